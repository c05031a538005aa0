"""A set larger than it is wise to convert whole: `train autoencoder` and `embed` on a large generated 64×64
colour set, with peak memory against the set's size.

The set is written directly as `.npy` files through the imported sets' storage code (`save_array`, a
manifest, `move_into_place`), its images generated in chunks, so generation fits in memory too. Each
command then runs in a fresh subprocess (`python -m dul_models`'s `main`), which reports its time, its peak
RSS and its peak *anonymous* RSS (sampled every 20 ms from /proc/self/status). The split is memory-mapped,
so the pages of it that are read count in RSS as file-backed page cache, which the kernel drops under
memory pressure; anonymous memory is what the process really allocated. "whole" runs `embed` again with
the large-split threshold raised out of reach: the old path (train and test images concatenated whole
before encoding), for comparison.

python benchmarks/bench_large_set.py                 # 50,000 images (614 MB as uint8, 2.5 GB as float32)
python benchmarks/bench_large_set.py 200000 300      # the 200,000-image case (2.4 GB uint8, 9.8 GB float32):
                                                     # ~5 GB of free disk, ~15 min on 2 cores; add --no-whole
                                                     # where the old path would not fit in memory
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from common import write_result

SIDE, CHANNELS, NAME = 64, 3, "large-bench"
TEST_SHARE = 0.2  # as an import's default split
CHUNK = 2_000  # images generated at a time: ~100 MB of float32 noise

_CHILD = """
import json, resource, sys, threading, time

def anon_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0

peak, done = [0], []

def sample():
    while not done:
        peak[0] = max(peak[0], anon_kb())
        time.sleep(0.02)

import torch  # noqa: F401  (counted in 'anonymous before', not in the command)
import dul_models.data.large_splits as large_splits
from dul_models.cli.main import main

if sys.argv[1] == "whole":
    large_splits.LARGE_SPLIT_BYTES = 10**18  # every split "fits": the path before streaming
base = anon_kb()
threading.Thread(target=sample, daemon=True).start()
start = time.perf_counter()
rc = main(sys.argv[2:])
seconds = time.perf_counter() - start
done.append(True)
peak[0] = max(peak[0], anon_kb())
print(json.dumps({"rc": rc, "seconds": seconds, "base_anon_kb": base, "peak_anon_kb": peak[0],
                  "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def generate(staging: Path, count: int, seed: int = 0) -> np.memmap:
    """`count` smooth colour fields with noise (N, 3, 64, 64) uint8, written to a raw file chunk by chunk."""
    rows = np.memmap(staging, dtype=np.uint8, mode="w+", shape=(count, CHANNELS, SIDE, SIDE))
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.0, 1.0, SIDE, dtype=np.float32)
    for start in range(0, count, CHUNK):
        n = min(CHUNK, count - start)
        colours = rng.uniform(0, 255, size=(2, n, 3, 1, 1)).astype(np.float32)
        field = ramp[None, None, :, None] * colours[0] + ramp[None, None, None, :] * (255 - colours[1])
        noise = rng.normal(0, 12, size=(n, CHANNELS, SIDE, SIDE)).astype(np.float32)
        rows[start : start + n] = np.clip(field / 2 + noise, 0, 255).astype(np.uint8)
        rows.flush()
    return rows


def store(data_dir: Path, count: int) -> dict:
    """The generated set stored as an unlabelled imported set, as `run_import` stores one."""
    os.environ["DUL_DATA_DIR"] = str(data_dir)
    from dul_models.core.files import atomic_write_bytes, json_bytes
    from dul_models.data.imported_sets import FORMAT, MANIFEST, imported_root, move_into_place, save_array

    root = imported_root()
    tmp = root / f".tmp-{NAME}-{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    staging = tmp / "staging.raw"
    start = time.perf_counter()
    rows = generate(staging, count)
    n_test = round(count * TEST_SHARE)
    index = {"train": np.arange(n_test, count), "test": np.arange(n_test)}  # generated in random order
    labels = np.full(count, -1, dtype=np.int64)
    checksums = {}
    for split, rows_of in index.items():
        checksums[f"x_{split}.npy"] = save_array(tmp / f"x_{split}.npy", rows, rows_of)
        checksums[f"y_{split}.npy"] = save_array(tmp / f"y_{split}.npy", labels, rows_of)
    del rows
    staging.unlink()
    manifest = {
        "format": FORMAT,
        "id": uuid.uuid4().hex,
        "name": NAME,
        "source": str(data_dir / "generated"),
        "source_kind": "folder",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "labelled": False,
        "classes": [],
        "size": SIDE,
        "channels": CHANNELS,
        "test_share": TEST_SHARE,
        "split_seed": 0,
        "counts": {"train": count - n_test, "test": n_test, "per_class": {}},
        "checksums": checksums,
        "skipped_count": 0,
        "skipped": [],
        "notes": ["generated by benchmarks/bench_large_set.py"],
    }
    atomic_write_bytes(tmp / MANIFEST, json_bytes(manifest))
    move_into_place(tmp, root / NAME, replace=True)
    return {"seconds": time.perf_counter() - start, "train": count - n_test, "test": n_test}


def run_child(mode: str, argv: list[str], data_dir: Path) -> dict:
    env = {**os.environ, "DUL_DATA_DIR": str(data_dir), "DUL_RUNS_DIR": str(data_dir / "runs")}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(count: int = 50_000, steps: int = 300, whole: bool = True) -> str:
    uint8_mb, float_mb = count * CHANNELS * SIDE * SIDE / 1e6, count * CHANNELS * SIDE * SIDE * 4 / 1e6
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        made = store(data_dir, count)
        print(f"   stored {count:,} images ({uint8_mb:,.0f} MB) in {made['seconds']:.0f} s", flush=True)
        run_dir = Path(tmp) / "run"
        train = ["train", "autoencoder", "--dataset", NAME, "--steps", str(steps), "--device", "cpu"]
        commands = [
            (f"train autoencoder, {steps} steps", [*train, "--out", str(run_dir)]),
            ("embed --split all", ["embed", str(run_dir), "--dataset", NAME, "--split", "all"]),
        ]
        for what, argv in commands:
            # on the CPU, training takes the same path either way below 1 GB of test images as float32
            # (the training split is drawn from the memory map in both): "whole" only for embed
            for mode in ("streamed", "whole") if whole and argv[0] == "embed" else ("streamed",):
                out = ["--out", str(Path(tmp) / f"{mode}.npz")] if argv[0] == "embed" else []
                got = run_child(mode, [*argv, *out], data_dir)
                rows.append(
                    {
                        "images": count,
                        "command": what,
                        "path": mode,
                        "seconds": got["seconds"],
                        "images/s": (steps * 128 if argv[0] == "train" else count) / got["seconds"],
                        "peak RSS (MB)": got["peak_rss_kb"] / 1024,
                        "peak anonymous (MB)": got["peak_anon_kb"] / 1024,
                        "anonymous before (MB)": got["base_anon_kb"] / 1024,
                        "set uint8 (MB)": uint8_mb,
                        "set float32 (MB)": float_mb,
                    }
                )
                print(rows[-1], flush=True)
    notes = [
        f"Generated {SIDE}×{SIDE} colour images (smooth colour fields with noise), unlabelled, stored as an "
        f"imported set ({1 - TEST_SHARE:.0%} train / {TEST_SHARE:.0%} test) through save_array and a "
        "manifest, generated 2,000 at a time; each command runs in a fresh subprocess on the CPU.",
        "streamed: the library as it is (a split above LARGE_SPLIT_BYTES = 1 GB as float32 stays memory-"
        "mapped: batches, evaluations and embeddings convert only their rows); whole: embed with the "
        "threshold raised out of reach (the path before: both splits concatenated in memory first).",
        "peak RSS counts the pages of the memory-mapped set that were read (file-backed page cache, dropped "
        "by the kernel under memory pressure); peak anonymous is memory the process allocated itself. "
        "'anonymous before' is Python and torch before the command.",
        "train: batch 128, the default autoencoder (32 channels, latent 32, mixed noise); its final "
        "evaluation is on the whole test split when it fits in 1 GB as float32 (10,000 images: 491 MB, "
        "allocated once), else on the first 20,345 test images, noted in the metrics. embed: the encoder "
        "over every image, 500 at a time. images/s: images over the whole command's time (start-up, the "
        "final evaluation and the checkpoint included).",
        "The 200,000-image case (2.4 GB as uint8, 9.8 GB as float32): "
        "`python benchmarks/bench_large_set.py 200000 300` (~5 GB of free disk in the temporary folder; "
        "add --no-whole on a machine where the old path would not fit in memory).",
    ]
    return str(write_result("large_set", "A large imported set: train and embed, memory-mapped", rows, notes))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    print(run(*(int(a) for a in args), whole="--no-whole" not in sys.argv))
