"""VAE: the bundled run's likelihood, live training speed, slider decode latency, and MIG for β = 1 / 4.

- Likelihood: the IWAE bound (k = 1000) of `checkpoints/vae-mnist5k-z16` on the mnist5k test split,
  binarised stochastically with a fixed seed. `BENCH_VAE_REEVAL=1` re-runs the evaluation (a few CPU
  minutes); by default the number is the one the bundled run's final evaluation stored, computed by the
  same `VAE.evaluate` code that `python -m dul_models eval RUN --json` runs.
- Live training: a fresh default VAE trained on the CPU until 60 s of process CPU time, as the page's
  "Train live" does; reports steps, seconds per step and the test −ELBO / IWAE (k = 50) it reached.
- Slider move: one decode of a single code, plus turning it into an image grid, as the page does.
"""

from __future__ import annotations

import os
import statistics
import time

import torch
from common import RESULTS_DIR, write_result

from dul_models.__main__ import evaluate_run
from dul_models.checkpoints import bundled_dir, load_run
from dul_models.data import get_dataset
from dul_models.devices import configure_threads, eval_mode
from dul_models.images import grid_array, png_bytes
from dul_models.latent_space import mig_on_dataset
from dul_models.models import build_model
from dul_models.training import TrainConfig, Trainer

TARGET_NATS, LIVE_CPU_S, DECODES = 95.0, 60.0, 300
RECOGNISABLE_NATS = 130.0  # −ELBO below which this VAE's samples read as digits (checked by eye on the PNG)


def likelihood_row() -> dict:
    run = bundled_dir() / "vae-mnist5k-z16"
    if os.environ.get("BENCH_VAE_REEVAL"):
        metrics, source = evaluate_run(run, "cpu", options={"iwae_k": 1000}), "re-evaluated now"
    else:
        metrics, source = load_run(run).info.metrics, "bundled run's final evaluation"
    return {
        "measurement": "iwae_nll, vae-mnist5k-z16, mnist5k test (1,000 images)",
        "value": metrics["iwae_nll"],
        "unit": "nats/image",
        "target": f"≤ {TARGET_NATS:g}",
        "met": metrics["iwae_nll"] <= TARGET_NATS,
        "detail": f"k = {metrics['iwae_k']}, binarisation {metrics['binarisation']}; −ELBO {metrics['neg_elbo']:.1f}, "
        f"KL {metrics['kl']:.1f}, {metrics['active_units']} active units, "
        f"{metrics['bits_per_dim']:.4f} bits/dim ({source})",
    }


def live_training_rows() -> list[dict]:
    data = get_dataset("mnist5k")
    model = build_model("vae", {"image_shape": data.image_shape}, seed=0)
    settings = TrainConfig(
        steps=100_000, device="cpu", eval_every=10**6, preview_every=10**6, full_final_eval=False
    )
    trainer = Trainer(model, data, settings)
    start_cpu, start_wall, spent = time.process_time(), time.perf_counter(), {}

    def out_of_time() -> bool:
        spent.update(cpu=time.process_time() - start_cpu, wall=time.perf_counter() - start_wall)
        return spent["cpu"] >= LIVE_CPU_S

    metrics = trainer.fit(should_stop=out_of_time)  # then a quick evaluation (IWAE k = 50, 1,000 images)
    with eval_mode(model):
        samples = model.sample(64, generator=torch.Generator().manual_seed(0))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "vae_live_samples.png").write_bytes(png_bytes(grid_array(samples, nrow=8)))
    return [
        {
            "measurement": "live training on the CPU, 60 s of CPU time",
            "value": trainer.step,
            "unit": "steps (batch 128)",
            "target": "recognisable samples in 60 s",
            "met": metrics["neg_elbo"] < RECOGNISABLE_NATS,
            "detail": f"{spent['cpu'] / trainer.step * 1000:.0f} ms CPU per step ({spent['wall']:.0f} s wall on a shared machine); "
            f"test −ELBO {metrics['neg_elbo']:.1f} nats, IWAE (k = 50) {metrics['iwae_nll']:.1f} nats; "
            "samples in results/vae_live_samples.png",
        }
    ]


def decode_row() -> dict:
    model = load_run(bundled_dir() / "vae-mnist5k-z16").model
    z = torch.zeros(1, model.config.latent_dim)
    times = []
    with torch.no_grad():
        for i in range(DECODES):
            z[0, i % z.shape[1]] = (i % 13) / 3 - 2  # a different code each time, like a moving slider
            start = time.perf_counter()
            grid_array(model.decode(z), nrow=1, scale=6)
            times.append(1000 * (time.perf_counter() - start))
    return {
        "measurement": "server time per slider move (decode 1 code + image)",
        "value": statistics.median(times),
        "unit": "ms (median)",
        "target": "< 100",
        "met": statistics.median(times) < 100,
        "detail": f"{DECODES} single-code decodes on the CPU; 95th percentile {sorted(times)[int(0.95 * DECODES)]:.1f} ms",
    }


def mig_rows() -> list[dict]:
    shapes = get_dataset("shapes")
    rows = []
    for beta in (1, 4):
        loaded = load_run(bundled_dir() / f"vae-shapes-beta{beta}")
        result = mig_on_dataset(loaded.model, shapes)
        gaps = ", ".join(f"{k} {v:.2f}" for k, v in result.per_factor.items())
        rows.append(
            {
                "measurement": f"MIG, vae-shapes-beta{beta} (β = {beta}), shapes test (1,536 images)",
                "value": result.mig,
                "unit": "0–1",
                "target": "shown for each β",
                "detail": f"per factor {gaps}; IWAE (k = {loaded.info.metrics['iwae_k']}) "
                f"{loaded.info.metrics['iwae_nll']:.1f} nats, {loaded.info.metrics['active_units']} active units",
            }
        )
    return rows


def run() -> str:
    threads = configure_threads(1)  # the app's server keeps one core free; slider decodes use one thread
    live = live_training_rows()
    rows = [likelihood_row(), decode_row(), *mig_rows(), *live]
    notes = [
        "All numbers on the embedded mnist5k set (4,000 train / 1,000 test MNIST digits) or the generated "
        "shapes set (6,144 / 1,536); published MNIST numbers — 86.8 nats (VAE) and 84.8 nats (IWAE), Burda "
        "et al. 2016 — are on full MNIST (60,000 training images), so they are not directly comparable.",
        "vae-mnist5k-z16 recipe: latent 16, β = 1, Bernoulli, 32 base channels with one residual block "
        "(two 3×3 convs) per resolution in encoder and decoder (`depth` = 1), 150 epochs = 4,688 steps at "
        "batch 128, Adam 1e-3 with cosine decay to 0; about 12 min on one CPU thread to train plus about 7 min "
        "for the k = 1000 evaluation. Its test −ELBO (97.5) is about 6.5 nats above the training −ELBO of "
        "its last steps (about 91): 4,000 training images. The shallow shared blocks (`depth` = 0, used by the "
        "other bundled VAEs and by live training) reached 99.4 nats with 60 epochs at a constant rate.",
        "IWAE: importance-weighted bound with k samples from q(z|x), chunked so memory stays bounded; the "
        "test images are binarised stochastically with a fixed seed (0), so the number is reproducible.",
        "MIG: mutual information gap (Chen et al. 2018) between binned posterior means (20 bins) and the "
        "known factors (shape, scale, rotation, x, y); the square's and ellipse's rotation symmetries make "
        "rotation partly unidentifiable, as in dSprites.",
        "MIG is reported, not targeted: both bundled shapes runs score about 0.04, i.e. at this training "
        "budget (80 epochs of 6,144 images) neither the VAE nor the β-VAE disentangles the factors; β = 4 "
        "switches latents off and costs likelihood, but does not raise MIG measurably.",
        f"CPU, {threads} torch thread; the machine was shared with other jobs, so wall times are noisy and "
        "CPU times are given where they matter.",
    ]
    return str(write_result("vae", "Variational autoencoders", rows, notes))
