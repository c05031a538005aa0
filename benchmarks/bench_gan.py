"""GAN sample quality: the bundled DCGAN vs the issue's targets, and how fast live CPU training gets digits.

FID here is the Fréchet distance in the penultimate features of the bundled mnist5k classifier
(Inception weights cannot be fetched offline), so it is not comparable with published Inception FIDs.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from common import write_result

from dul_models.__main__ import evaluate_run
from dul_models.core.devices import configure_threads
from dul_models.data import get_dataset, to_float
from dul_models.data.augment import corrupt
from dul_models.metrics.samples import feature_statistics, frechet_distance
from dul_models.models import build_model
from dul_models.runs.checkpoints import bundled_dir
from dul_models.train.evaluators import build_evaluators, load_scorer
from dul_models.train.trainer import TrainConfig, Trainer

BUDGET_S = 120.0  # the issue: digit-like samples within 2 minutes of live CPU training (1 core)
LIVE_CONFIG = {"base_channels": 16, "latent_dim": 64}  # the page's "Train live" defaults


# how the bundled recipe was chosen (measured by hand; re-running the ablation takes over an hour)
RECIPE_NOTE = (
    "Bundled recipe (dul_models/bundled.py): non-saturating loss with an R1 penalty γ = 10 on real "
    "images (no spectral norm, no batch norm in D), generator weights averaged (EMA 0.999, batch-norm "
    "statistics re-estimated), resize-convolution generator, 32 base channels, z = 64, batch 64, Adam 2e-4 "
    "(β 0.5, 0.999), 22,000 steps (352 epochs of the 4,000 digits), 72 min on 2 CPU threads; its "
    "500-sample FID (floor 22.2 at that size) fell 307 (step 1,000), 91 (4k), 66 (6k), 49.5 (10k), 45.0 "
    "(12k), 40.9 (15k), 36.7 (20k), 35.4 (21k): still falling, by 1–3 % per 1,000 steps. The previous bundle "
    "(hinge + spectral norm, 12,000 steps) scored 46.8 (9.8×). Ablation, 1,000 samples vs the test set "
    "(floor 9.6 at that size), two runs at a time on one CPU thread each, FID at steps 1k/2k/3k/4k(/5k): "
    "hinge + spectral norm + EMA + resize-conv 258/154/121/103/93 (84 at 6k); the same with D's learning "
    "rate 4e-4: 251/149/119/95/80; non-saturating + R1 γ 10: 291/143/105/84 (≈ 14 % slower per step, so "
    "about even with D lr 4e-4 per CPU second); depth 1 (a 3×3 conv more per resolution in G and D): 217 "
    "at 1k but 1.7× slower per step; class-conditional (projection D): 150/170/205 — every sample of a "
    "class became the same digit (classifier confidence 0.999), so FID rose. Earlier ablation: "
    "non-saturating + batch-norm D (D wins, D(x) ≈ 0.93, D(G(z)) ≈ 0.06) 238 at 4k even with EMA; "
    "DiffAugment (shift ±1/8, half-size cut-out) made that worse (372–403); transposed-conv G with hinge + "
    "spectral norm 164 at 4k."
)


def bundled_rows() -> list[dict]:
    classifier = evaluate_run(bundled_dir() / "classifier-mnist5k", "cpu")
    rows = [
        {
            "measure": "classifier-mnist5k test accuracy",
            "value": classifier["accuracy"],
            "target": "≥ 0.97",
            "met": classifier["accuracy"] >= 0.97,
        }
    ]
    entropy_target = 0.95 * math.log(10)
    for run in ("dcgan-mnist5k",):
        gan = evaluate_run(bundled_dir() / run, "cpu")
        ratio = gan["fid_classifier"] / gan["fid_real_baseline"]
        rows += [
            {"measure": f"{run}: fid_classifier", "value": gan["fid_classifier"]},
            {"measure": f"{run}: fid_real_baseline (test vs train)", "value": gan["fid_real_baseline"]},
            {"measure": f"{run}: fid ratio", "value": ratio, "target": "≤ 3", "met": ratio <= 3},
            {
                "measure": f"{run}: class_entropy (nats)",
                "value": gan["class_entropy"],
                "target": f"≥ 0.95·log 10 = {entropy_target:.3f}",
                "met": gan["class_entropy"] >= entropy_target,
            },
            {"measure": f"{run}: modes_covered (of 10)", "value": gan["modes_covered"]},
            {"measure": f"{run}: mean classifier confidence", "value": gan["mean_confidence"]},
        ]
    return rows


def reference_rows() -> list[dict]:
    """How large a distance is in this space: distorted real test images vs the training set."""
    data = get_dataset("mnist5k")
    scorer, note = load_scorer(data, torch.device("cpu"))
    if scorer is None:
        raise SystemExit(note)
    x = to_float(data.test.x)
    train_stats = feature_statistics(scorer.train_features_)
    blurred = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    variants = {
        "real test images (the floor)": x,
        "test + Gaussian noise σ=0.1": corrupt(
            x, "gaussian", 0.1, generator=torch.Generator().manual_seed(0)
        ),
        "test + Gaussian noise σ=0.2": corrupt(
            x, "gaussian", 0.2, generator=torch.Generator().manual_seed(0)
        ),
        "test, 3×3 box blur": blurred,
        "test, binarised at 0.5": (x > 0.5).float(),
        "test, only classes 0–6": x[data.test.y < 7],
    }
    return [
        {
            "measure": f"reference FID: {label} vs train",
            "value": frechet_distance(*feature_statistics(scorer.features(images)), *train_stats),
        }
        for label, images in variants.items()
    ]


def live_rows() -> list[dict]:
    data = get_dataset("mnist5k")
    model = build_model("dcgan", {**LIVE_CONFIG, "image_shape": data.image_shape}, seed=0)
    settings = TrainConfig(
        steps=100_000,
        batch_size=64,
        eval_every=100,
        preview_every=25,
        checkpoint_every=0,
        device="cpu",
        full_final_eval=False,
    )
    rows: list[dict] = []
    start, cpu_start = time.perf_counter(), time.process_time()

    def record(trainer: Trainer, event: str) -> None:
        if event == "end" or (event == "eval" and (trainer.step <= 300 or trainer.step % 500 == 0)):
            r = trainer.eval_history[-1]
            rows.append(
                {
                    "measure": "live training (wall s incl. evals)",
                    "wall_s": time.perf_counter() - start,
                    "cpu_s": time.process_time() - cpu_start,
                    "step": trainer.step,
                    "mean_confidence": r["mean_confidence"],
                    "class_entropy": r["class_entropy"],
                    "fid_classifier (500)": r["fid_classifier"],
                    "fid_real_baseline (500)": r["fid_real_baseline"],
                }
            )

    trainer = Trainer(
        model, data, settings, callbacks=[record], evaluators=build_evaluators(model, data, "cpu")
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    trainer.fit(should_stop=lambda: time.process_time() - cpu_start > BUDGET_S)  # CPU s: see notes
    return rows


def run() -> str:
    threads = configure_threads(1)  # the app leaves one of 2 cores to the server: 1 torch thread
    torch.manual_seed(0)
    rows = bundled_rows() + reference_rows() + live_rows()
    notes = [
        "Bundled rows: mnist5k test split (1,000 images); FID of 4,000 samples vs the test set, and the floor "
        "fid_real_baseline = test set vs the 4,000 training images, both in the 128-D penultimate features of "
        "classifier-mnist5k (same sample sizes, so the same finite-sample bias).",
        "Published full-MNIST FIDs of tuned GANs (6.7–9.8) use Inception features on 60k images: a different "
        "feature space and scale; only the ratio to the real-data floor is comparable across spaces.",
        "Reference rows put the scale in context: the same 1,000 real test digits, distorted, against the "
        "4,000 training digits in the same feature space (trace of the test features' covariance ≈ 981).",
        RECIPE_NOTE,
        f"Live rows: the page's default live settings ({LIVE_CONFIG}, batch 64, lr 2e-4/2e-4), {threads} torch "
        f"thread on CPU, stopped after {BUDGET_S:.0f} s of CPU time (one core's worth); every 100 steps a quick evaluation (500 samples vs "
        "500 test images, floor = 500 test vs 500 train images; the last row is the end of the budget: 500 "
        "samples vs all 1,000 test images, floor = those vs 500 train images; rows kept: steps ≤ 300, every "
        "500th and the last). wall_s includes these evaluations and any "
        "other process sharing the cores; cpu_s is this process's CPU time (1 thread), the time on an idle core.",
    ]
    return str(write_result("gan", "GAN sample quality (DCGAN, classifier-feature FID)", rows, notes))
