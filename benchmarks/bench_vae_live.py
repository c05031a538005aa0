"""Live VAE training against the example everyone starts from: nats vs CPU seconds on mnist5k.

- The page's default live VAE (`dul_models.models.vae_recipes.LIVE_MODEL` / `LIVE_TRAIN`, what "Train live"
  starts with) on one torch thread, stopped after 60 s of process CPU time; the IWAE bound (k = 1000) on
  the whole mnist5k test split (1,000 digits, binarised dynamically with seed 0) at 15, 30, 45 and 60
  CPU seconds. The evaluations pause the clock: only training counts.
- The reference: PyTorch's `examples/vae` (an MLP 784-400-20, Adam 1e-3, batch 128, Bernoulli loss on
  grey levels), written again here by hand, trained on the same 4,000 digits for 50 epochs and scored
  with the same bound, same binarisation, same seed.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from common import write_result
from torch import nn

from dul_models.core.devices import configure_threads, eval_mode, seed_everything
from dul_models.data import get_dataset, to_float
from dul_models.models import build_model
from dul_models.models.vae import TEST_BINARISATION_SEED
from dul_models.models.vae_recipes import LIVE_MODEL, LIVE_TRAIN
from dul_models.models.vae_terms import gaussian_kl, iwae_bound
from dul_models.train.trainer import TrainConfig, Trainer

BUDGET_CPU_S, CHECKPOINTS_CPU_S, K = 60.0, (15.0, 30.0, 45.0, 60.0), 1000
REFERENCE_EPOCHS, REFERENCE_NATS = 50, 104.8  # the number #16 quotes for the example
TARGET_NATS = 99.8  # 5 nats better than the example at the same cost


def iwae_nats(model, x: torch.Tensor) -> float:
    """The bound the VAE family reports: −log p(x) ≤ …, k = 1000, test digits binarised with seed 0."""
    generator = torch.Generator().manual_seed(TEST_BINARISATION_SEED)
    binary = torch.bernoulli(x, generator=generator)
    with torch.no_grad():
        return float(iwae_bound(model, binary, K, generator)[0].mean())


class ExampleVAE(nn.Module):
    """PyTorch examples/vae: 784 → 400 → (μ, log σ²) of 20 → 400 → 784, ReLU, Bernoulli decoder."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden, self.mean, self.logvar = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.up, self.out = nn.Linear(20, 400), nn.Linear(400, 784)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.hidden(x.flatten(1)))  # (B, 400)
        return self.mean(h), self.logvar(h)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(F.relu(self.up(z))).view(-1, 1, 28, 28)  # (B, 1, 28, 28)

    def log_likelihood(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return (x * logits - F.softplus(logits)).sum((-3, -2, -1))


def reference_row(x_train: torch.Tensor, x_test: torch.Tensor) -> dict:
    seed_everything(1)  # the example's default seed
    model, generator = ExampleVAE(), torch.Generator().manual_seed(1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.process_time()
    for _ in range(REFERENCE_EPOCHS):
        for batch in torch.randperm(len(x_train), generator=generator).split(128):
            x = x_train[batch]
            mean, logvar = model.encode(x)
            z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
            # the example's loss: BCE against the grey levels, summed, + KL; averaged per image here
            loss = (
                -model.log_likelihood(model.decode_logits(z), x) + gaussian_kl(mean, logvar).sum(1)
            ).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    cpu = time.process_time() - start
    model.eval()
    nats = iwae_nats(model, x_test)
    return {
        "measurement": f"PyTorch examples/vae MLP 784-400-20, {REFERENCE_EPOCHS} epochs (reference)",
        "value": nats,
        "unit": "nats/image (IWAE k = 1000)",
        "target": f"#16 measured {REFERENCE_NATS:g}",
        "detail": f"{cpu:.0f} s CPU to train, one thread; Adam 1e-3, batch 128, BCE on grey levels as the example",
    }


def live_rows(data, x_test: torch.Tensor) -> list[dict]:
    model = build_model("vae", {"image_shape": data.image_shape, **LIVE_MODEL}, seed=0)
    settings = TrainConfig(
        **LIVE_TRAIN,
        device="cpu",
        eval_every=10**6,
        preview_every=10**6,
        checkpoint_every=0,
        full_final_eval=False,
    )
    trainer = Trainer(model, data, settings)
    trainer.evaluate = lambda items=None, quick=True: {}  # the final quick evaluation is not this benchmark's
    curve, paused, pending = [], 0.0, list(CHECKPOINTS_CPU_S)
    start = time.process_time()

    def should_stop() -> bool:
        nonlocal paused
        spent = time.process_time() - start - paused
        if pending and spent >= pending[0]:
            pending.pop(0)
            before = time.process_time()
            with eval_mode(model):
                curve.append((spent, trainer.step, iwae_nats(model, x_test)))
            paused += time.process_time() - before
        return spent >= BUDGET_CPU_S

    trainer.fit(should_stop=should_stop)
    spent = time.process_time() - start - paused
    if not curve or curve[-1][1] != trainer.step:  # the schedule ended before the budget: score the end
        with eval_mode(model):
            curve.append((spent, trainer.step, iwae_nats(model, x_test)))
    final = curve[-1][2]
    settings_text = ", ".join(f"{k} {v}" for k, v in {**LIVE_MODEL, **LIVE_TRAIN}.items())
    return [
        {
            "measurement": "page's default live VAE, 60 s of CPU time (1 thread)",
            "value": final,
            "unit": "nats/image (IWAE k = 1000)",
            "target": f"≤ {TARGET_NATS:g}",
            "met": final <= TARGET_NATS,
            "detail": f"{trainer.step} steps = {trainer.epoch:.1f} epochs in {spent:.0f} s CPU; {settings_text}",
        },
        {
            "measurement": "its curve: nats at CPU seconds",
            "value": "; ".join(f"{s:.0f} s: {n:.1f}" for s, _, n in curve),
            "unit": "s CPU: nats",
            "detail": "steps at each point: " + ", ".join(str(step) for _, step, _ in curve),
        },
    ]


def run() -> str:
    threads = configure_threads(1)  # the app trains beside its server on all cores but one: 1 of 2
    data = get_dataset("mnist5k")
    x_train, x_test = to_float(data.train.x), to_float(data.test.x)
    rows = [*live_rows(data, x_test), reference_row(x_train, x_test)]
    notes = [
        "mnist5k: 4,000 training / 1,000 test MNIST digits. Every number is the importance-weighted bound "
        "(Burda et al. 2016) with k = 1000 on all 1,000 test digits, binarised stochastically with seed 0, "
        "computed by dul_models.models.vae_terms.iwae_bound for both models.",
        "CPU time is the process's (time.process_time): on a 2-core machine shared with other jobs wall "
        "time is noisy, CPU seconds much less so; evaluations are excluded from the live run's budget.",
        f"CPU, {threads} torch thread for both models.",
    ]
    return str(write_result("vae_live", "VAE live training vs PyTorch's example", rows, notes))
