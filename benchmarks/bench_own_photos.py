"""Your own photographs, end to end: import a labelled folder of real JPEGs of mixed sizes, then ask how well
raw pixels, PCA-50, the untrained backbone and a SimCLR trained live for two minutes represent them.

The photographs ship offline with scikit-image and scikit-learn, so nothing is downloaded:
- `skimage.data.lfw_subset()`: 100 faces and 100 non-faces (background patches), 25×25 grey → classes
  "face" and "not-face";
- crops at random positions, sides 48–160 px and aspect 3:4 … 4:3 of eight colour photographs
  (astronaut, coffee, chelsea, rocket, immunohistochemistry, hubble_deep_field; china and flower from
  scikit-learn's `load_sample_images`), one class per photograph, 150 crops each, saved at their own size.
Ten classes, 1,400 JPEGs, written to a temporary folder and imported through the library
(`plan_import` + `run_import`) as a 32×32 colour set; `DUL_DATA_DIR` and `DUL_RUNS_DIR` point to temporary
folders too, so nothing lands in the user's data or runs folder.

Reported: import seconds and images/s; per encoder kNN (k = 20, cosine, train split as the bank) and a linear
probe with 10 labels per class (mean ± std of 5 draws) on the test split; k-means (k = 10) ACC / NMI / ARI
on every image (train + test); the SimCLR is the self-supervised page's "train live" default (preset
"default", batch 128, width 16, τ 0.2, the page's `live_train_config`, map timeline on) as a TrainingJob
cancelled after 120 s of wall time. The whole benchmark takes ~2½ minutes on 2 cores.

python benchmarks/bench_own_photos.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from common import write_result
from PIL import Image

from dul_models.core.devices import configure_threads
from dul_models.data import get_dataset
from dul_models.data.imported import ImportOptions, plan_import, run_import
from dul_models.features.clustering import clustering_report
from dul_models.features.encoders import EncoderSpec, extract_features, features, image_split
from dul_models.metrics.probes import probe_report
from dul_models.train.jobs import TrainingJob
from dul_models.train.trainer import live_train_config

NAME = "own-photos-bench"
CROPS_PER_CLASS = 150
CROP_SIDES = (48, 160)  # the shorter side of a crop, in pixels
CROP_ASPECT = (0.75, 4 / 3)  # width / height
JPEG_QUALITY = 90
TRAIN_S = 120.0  # wall time of the live SimCLR before it is cancelled
# the self-supervised page's train-live controls at their defaults (app/app_pages/self_supervised/training.py)
PAGE_STEPS_MAX, PAGE_BATCH, PAGE_WIDTH, PAGE_TEMPERATURE, PAGE_PRESET = 20_000, 128, 16, 0.2, "default"
K_NN, PROBE_LABELS, PROBE_SEEDS = 20, 10, 5


def colour_photos() -> dict[str, np.ndarray]:
    """Class name → (H, W, 3) uint8 photograph, every one bundled with scikit-image or scikit-learn."""
    from skimage import data as sk
    from sklearn.datasets import load_sample_images

    photos = {
        name: getattr(sk, name)()
        for name in ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field")
    }
    sample = load_sample_images()
    for path, image in zip(sample.filenames, sample.images, strict=True):
        photos[Path(path).stem] = image  # china, flower
    return {name: np.ascontiguousarray(image[..., :3], dtype=np.uint8) for name, image in photos.items()}


def lfw_images() -> tuple[np.ndarray, np.ndarray]:
    """(200, 25, 25) uint8 grey patches and their labels (True = face): the first 100 are faces."""
    from skimage import data as sk

    images = sk.lfw_subset()
    if images.dtype != np.uint8:  # float in [0, 1] in some scikit-image versions
        images = np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)
    return images, np.arange(images.shape[0]) < images.shape[0] // 2


def make_folder(folder: Path, seed: int = 0) -> dict[str, float]:
    """The labelled folder (one sub-folder per class) of JPEGs at their own sizes; returns what was made."""
    rng = np.random.default_rng(seed)
    sides: list[int] = []
    total_bytes = 0

    def save(pixels: np.ndarray, cls: str, index: int) -> None:
        nonlocal total_bytes
        path = folder / cls / f"{cls}-{index:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(path, quality=JPEG_QUALITY)
        total_bytes += path.stat().st_size
        sides.extend(pixels.shape[:2])

    faces, is_face = lfw_images()
    for i, (pixels, face) in enumerate(zip(faces, is_face, strict=True)):
        save(pixels, "face" if face else "not-face", i)
    for name, photo in colour_photos().items():
        height, width = photo.shape[:2]
        for i in range(CROPS_PER_CLASS):
            short = int(rng.integers(CROP_SIDES[0], CROP_SIDES[1] + 1))
            aspect = float(rng.uniform(*CROP_ASPECT))
            w, h = (round(short * aspect), short) if aspect >= 1 else (short, round(short / aspect))
            w, h = min(w, width), min(h, height)
            top, left = int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1))
            save(photo[top : top + h, left : left + w], name, i)
    return {
        "images": len(sides) // 2,
        "MB": total_bytes / 1e6,
        "smallest side": min(sides),
        "largest side": max(sides),
    }


def encoder_row(label: str, data, train_x, test_x, all_x) -> dict:
    """kNN and 10-label probe on the test split, k-means on every image, for one encoder's features."""
    start = time.perf_counter()
    probes = probe_report(
        train_x,
        data.train.y.numpy(),
        test_x,
        data.test.y.numpy(),
        budgets=(PROBE_LABELS,),
        seeds=PROBE_SEEDS,
        k=K_NN,
    )
    _, clusters = clustering_report(
        all_x, image_split(data, "all").y.numpy(), "kmeans", len(data.class_names)
    )
    return {
        "encoder": label,
        "dim": probes["dim"],
        "knn_acc (k=20, cosine)": probes["knn_acc"],
        "probe_acc (10/class)": f"{probes['linear_probe_acc_10']:.3f} ± {probes['linear_probe_acc_10_std']:.3f}",
        "kmeans_acc": clusters["acc"],
        "kmeans_nmi": clusters["nmi"],
        "kmeans_ari": clusters["ari"],
        "seconds (probes + k-means)": time.perf_counter() - start,
    }


def baseline_rows(data) -> list[dict]:
    rows = []
    for spec in (EncoderSpec("pixels"), EncoderSpec("pca"), EncoderSpec("random")):
        train_x, test_x, all_x = (features(spec, data, split) for split in ("train", "test", "all"))
        rows.append(encoder_row(spec.label, data, train_x, test_x, all_x))
        print(rows[-1], flush=True)
    return rows


def train_simclr(runs: Path) -> tuple[TrainingJob, dict]:
    """The page's default SimCLR as a background TrainingJob, cancelled after TRAIN_S seconds of wall time."""
    from dul_models.explore import self_supervised as explore

    model_config = explore.train_model_config(
        "simclr", PAGE_PRESET, {"width": PAGE_WIDTH, "temperature": PAGE_TEMPERATURE}
    )
    # the page's own loop settings; the length is the wall clock, so the steps are the page's maximum
    train = live_train_config(
        seed=0,
        device="cpu",
        steps=PAGE_STEPS_MAX,
        batch_size=PAGE_BATCH,
        eval_items=500,
        preview_every=50,
        checkpoint_every=0,
    )
    job = TrainingJob(
        "simclr",
        NAME,
        model_config,
        train,
        run_dir=runs / "simclr-live",
        title="simclr live (default)",
        callbacks=("map_timeline",),
    )
    start = time.perf_counter()
    job.start()
    while not job.snapshot().finished and time.perf_counter() - start < TRAIN_S:
        time.sleep(0.25)
    job.cancel()
    snap = job.wait()
    if snap.status == "failed":
        raise RuntimeError(f"the live SimCLR failed: {snap.error}")
    last_eval = snap.eval_history[-1] if snap.eval_history else {}
    rate = [row["images_per_s"] for row in snap.history if "images_per_s" in row]
    return job, {
        "status": snap.status,
        "steps": snap.step,
        "epochs": snap.epoch,
        "train_s": snap.elapsed_s,
        "wall_s (incl. final evaluation)": time.perf_counter() - start,
        "images/s": float(np.median(rate)) if rate else float("nan"),
        "job_knn": last_eval.get("knn_acc", float("nan")),  # the job's own, on 500 test images
    }


def run() -> str:
    configure_threads()
    saved_env = {key: os.environ.get(key) for key in ("DUL_DATA_DIR", "DUL_RUNS_DIR")}
    with tempfile.TemporaryDirectory(prefix="bench-own-photos-") as tmp:
        os.environ["DUL_DATA_DIR"], os.environ["DUL_RUNS_DIR"] = f"{tmp}/data", f"{tmp}/runs"
        try:
            start = time.perf_counter()
            made = make_folder(Path(tmp) / "photos")
            made_s = time.perf_counter() - start
            print(f"made {made} in {made_s:.1f} s", flush=True)

            start = time.perf_counter()
            plan = plan_import(Path(tmp) / "photos", ImportOptions(NAME, size=32, channels=3))
            planned = time.perf_counter()
            report = run_import(plan)
            imported = time.perf_counter()
            n = report.n_train + report.n_test
            rows: list[dict] = [
                {
                    "encoder": f"import: {n:,} JPEGs ({made['smallest side']}–{made['largest side']} px) "
                    f"→ 32×32 colour, {len(report.classes)} classes",
                    "plan (s)": planned - start,
                    "import (s)": imported - planned,
                    "images/s (plan + import)": n / (imported - start),
                    "skipped": len(report.skipped),
                }
            ]
            print(rows[-1], flush=True)

            data = get_dataset(NAME)
            rows += baseline_rows(data)

            job, live = train_simclr(Path(tmp) / "runs")
            print(live, flush=True)
            train_x, test_x = (extract_features(job.model, part.x) for part in (data.train, data.test))
            label = f"SimCLR live, page default, {live['train_s']:.0f} s ({live['steps']:,} steps)"
            rows.append(encoder_row(label, data, train_x, test_x, np.concatenate([train_x, test_x])))
            rows[-1].update(
                {
                    "train steps": live["steps"],
                    "train epochs": live["epochs"],
                    "train images/s": live["images/s"],
                }
            )
            print(rows[-1], flush=True)
        finally:
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    classes = ", ".join(report.classes)
    notes = [
        f"Data: {made['images']:,} real photographs bundled offline ({made['MB']:.1f} MB of JPEG, quality "
        f"{JPEG_QUALITY}, sides {made['smallest side']}–{made['largest side']} px): scikit-image's lfw_subset "
        "(100 faces, 100 non-face background patches, 25×25 grey) and 150 random crops (shorter side "
        f"{CROP_SIDES[0]}–{CROP_SIDES[1]} px, aspect 3:4…4:3) of each of eight colour photographs "
        "(scikit-image's astronaut, coffee, chelsea, rocket, immunohistochemistry, hubble_deep_field; "
        f"scikit-learn's china and flower). Classes: {classes}.",
        f"Imported with plan_import + run_import as 32×32 colour (shorter side scaled, longer centre-cropped; "
        f"grey patches made RGB), seeded stratified 80/20 split: {report.n_train:,} train, {report.n_test:,} "
        "test. Into a temporary DUL_DATA_DIR; the live run into a temporary DUL_RUNS_DIR.",
        f"kNN: k = {K_NN}, cosine, the train split as the bank, scored on the test split; probe: logistic "
        f"regression on {PROBE_LABELS} labels per class, mean ± std of {PROBE_SEEDS} draws; k-means: k = "
        f"{len(report.classes)} on every image (train + test), ACC by Hungarian matching.",
        "SimCLR: the self-supervised page's train-live defaults (preset 'default', batch 128, width 16, "
        "τ 0.2, live_train_config with eval every 100 steps on 500 test images, map timeline on) as a "
        f"TrainingJob on the CPU, cancelled after {TRAIN_S:.0f} s of wall time: {live['steps']:,} steps "
        f"({live['epochs']:.1f} epochs) at {live['images/s']:,.0f} images/s; the job's own last kNN "
        f"(500 test images) {live['job_knn']:.3f}.",
        "The machine was shared with other work while this ran (2 cores), which slows the two-minute "
        "training (fewer steps) and the timings; accuracies of the baselines do not depend on it.",
    ]
    return str(write_result("own_photos", "Your own photographs: import, probes and clustering", rows, notes))


if __name__ == "__main__":
    print(run())
