"""Progress crosses the library boundary as plain data, and never reaches stdout."""

from __future__ import annotations

import json
import threading

from dul_models.core.progress import report, reporting


def test_reports_reach_the_listener_of_this_block_only():
    seen: list[tuple[str, int, int]] = []
    report("before", 0, 1)  # no listener: nothing happens
    with reporting(lambda *event: seen.append(event)):
        report("work", 1, 3)
        other = threading.Thread(target=report, args=("other thread", 1, 1))
        other.start()
        other.join()
        with reporting(None):
            report("silenced", 1, 1)
    report("after", 1, 1)
    assert seen == [("work", 1, 3)]


def test_vae_eval_json_is_one_clean_line_with_a_progress_bar_on_stderr(tmp_path, capsys):
    from dul_models.__main__ import main

    run = tmp_path / "vae"
    assert (
        main(
            [
                "train",
                "vae",
                "--dataset",
                "shapes",
                "--steps",
                "2",
                "--out",
                str(run),
                "--set",
                "latent_dim=3",
                "--set",
                "base_channels=4",
                "--set",
                "full_final_eval=false",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["eval", str(run), "--json", "--set", "iwae_k=3"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["iwae_k"] == 3 and 0.0 <= result["mig"] <= 1.0
    assert set(result["mig_per_factor"]) == {"shape", "scale", "rotation", "x", "y"}
    assert len(result["latent_factor"]) == 3
    assert "IWAE bound, k = 3" in err and "evaluating vae" in err and "100%" in err
