"""Importing your own images: images per second and peak memory, from a folder and from a zip.

Generates 256×256 JPEGs (smooth colour fields with noise, ~10-20 KB each, like small photos) in ten class
folders, then imports them as 32×32 colour in a fresh subprocess, so the peak memory (max RSS) is the
import's own: a plan (names and headers) and the import (decode, split, write). Target: ≥ 300 images/s
on 2 cores.

python benchmarks/bench_import.py            # 1,000 and 20,000 images
python benchmarks/bench_import.py 1000       # only 1,000
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from common import ANON_SAMPLER, write_result
from PIL import Image

COUNTS = (1_000, 20_000)
SIDE, CLASSES = 256, 10

_CHILD = (
    ANON_SAMPLER
    + """
import json, resource, sys
from pathlib import Path
from dul_models.data.imported import ImportOptions, plan_import, run_import
base, base_anon = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, anon_kb()
start_sampling()
start = time.perf_counter()
plan = plan_import(Path(sys.argv[1]), ImportOptions(sys.argv[2], size=32, channels=3))
planned = time.perf_counter()
report = run_import(plan)
finished = time.perf_counter()
done.append(True)
peak[0] = max(peak[0], anon_kb())
print(json.dumps({"images": report.n_train + report.n_test, "plan_s": planned - start,
                  "import_s": finished - planned, "base_rss_kb": base,
                  "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "base_anon_kb": base_anon, "peak_anon_kb": peak[0]}))
"""
)


def make_images(folder: Path, count: int, seed: int = 0) -> int:
    """`count` JPEGs in CLASSES folders; returns their total size in bytes."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.0, 1.0, SIDE, dtype=np.float32)
    total = 0
    for i in range(count):
        cls = folder / f"class{i % CLASSES}"
        cls.mkdir(parents=True, exist_ok=True)
        colours = rng.uniform(0, 255, size=(2, 3)).astype(np.float32)
        field = ramp[:, None, None] * colours[0] + ramp[None, :, None] * (255 - colours[1])  # (H, W, 3)
        pixels = np.clip(field / 2 + rng.normal(0, 12, size=(SIDE, SIDE, 3)), 0, 255).astype(np.uint8)
        path = cls / f"{i:06d}.jpg"
        Image.fromarray(pixels).save(path, quality=85)
        total += path.stat().st_size
    return total


def import_in_subprocess(source: Path, data_dir: Path, name: str) -> dict:
    env = {**__import__("os").environ, "DUL_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(source), name],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=1800,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(counts: tuple[int, ...] = COUNTS) -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in counts:
            folder = Path(tmp) / f"images{count}"
            start = time.perf_counter()
            size = make_images(folder, count)
            made = time.perf_counter() - start
            archive = Path(tmp) / f"images{count}.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:  # JPEGs: deflate gains nothing
                for path in sorted(folder.rglob("*.jpg")):
                    out.write(path, path.relative_to(folder).as_posix())
            for kind, source in (("folder", folder), ("zip", archive)):
                got = import_in_subprocess(source, Path(tmp) / "data", f"bench-{kind}-{count}")
                total_s = got["plan_s"] + got["import_s"]
                rows.append(
                    {
                        "images": count,
                        "source": kind,
                        "plan (s)": got["plan_s"],
                        "import (s)": got["import_s"],
                        "images/s (plan + import)": got["images"] / total_s,
                        "images/s (import only)": got["images"] / got["import_s"],
                        "peak RSS (MB)": got["peak_rss_kb"] / 1024,
                        "RSS before (MB)": got["base_rss_kb"] / 1024,
                        "peak anonymous (MB)": got["peak_anon_kb"] / 1024,
                        "anonymous before (MB)": got["base_anon_kb"] / 1024,
                    }
                )
                print(rows[-1], flush=True)
            print(f"   {count} JPEGs, {size / 1e6:.0f} MB, generated in {made:.0f} s", flush=True)
    notes = [
        f"Generated {SIDE}×{SIDE} JPEGs (quality 85) in {CLASSES} class folders, imported as 32×32 colour; "
        "the zip stores them uncompressed (JPEGs do not deflate).",
        "Each import runs in a fresh subprocess; peak RSS is that process's maximum resident size, "
        "'RSS before' what Python, NumPy, torch and PIL take before the first image; RSS also counts the pages "
        "of the memory-mapped staging file, anonymous RSS (sampled every 20 ms) only what the process allocated.",
        "JPEGs decode in PIL's draft mode (1/8 scale for 256 → 32 px); the plan reads names and headers only.",
        "Target: ≥ 300 images/s (plan + import) on 2 cores.",
    ]
    return str(write_result("import", "Importing your own images (folder and zip)", rows, notes))


if __name__ == "__main__":
    print(run(tuple(int(a) for a in sys.argv[1:]) or COUNTS))
