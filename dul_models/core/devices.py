"""Device choice, seeding, mixed precision and the torch thread count.

Code asks for "auto" and gets cuda -> mps -> cpu, so the same call works on a laptop, a GPU box and CI.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch

from dul_models.core.errors import ConfigError

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


def available_devices() -> list[str]:
    """Devices this machine can run on, best first."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def pick_device(preference: str = "auto") -> torch.device:
    """Resolve "auto" to the best available device; reject a device that is not present."""
    if preference not in DEVICE_CHOICES:
        raise ConfigError(f"unknown device {preference!r}; choose from: {', '.join(DEVICE_CHOICES)}")
    present = available_devices()
    if preference == "auto":
        return torch.device(present[0])
    if preference not in present:
        raise ConfigError(
            f"device {preference!r} is not available on this machine; available: {', '.join(present)}"
        )
    return torch.device(preference)


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a CPU generator for code that wants its own stream."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA (no loss scaler needed); a no-op elsewhere, where it would only slow things."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def default_thread_count() -> int:
    """Torch intra-op threads: `DUL_TORCH_THREADS`, else all cores but one (at least one).

    Leaving one core free keeps the Streamlit server and the browser responsive while a model trains;
    letting OpenMP take every core beside a busy server was measured 30x slower on a 2-core machine.
    """
    env = os.environ.get("DUL_TORCH_THREADS")
    if env:
        try:
            value = int(env)
        except ValueError as exc:
            raise ConfigError(f"DUL_TORCH_THREADS must be a positive integer, got {env!r}") from exc
        if value < 1:
            raise ConfigError(f"DUL_TORCH_THREADS must be a positive integer, got {env!r}")
        return value
    return max(1, (os.cpu_count() or 2) - 1)


def batch_thread_count() -> int:
    """Torch threads for a command-line batch job (`eval`): `DUL_TORCH_THREADS`, else the idle cores.

    No server shares the machine then, so every core that the 1-minute load average says is idle is
    used; never more, because OpenMP threads beside a busy process wait on each other (measured 30×
    slower per decode on 2 cores with one other busy process).
    """
    if os.environ.get("DUL_TORCH_THREADS"):
        return default_thread_count()
    cores = os.cpu_count() or 1
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, int(cores - busy + 0.5)))


def configure_threads(count: int | None = None) -> int:
    """Set torch's thread count once, deliberately; returns the count in force."""
    count = default_thread_count() if count is None else count
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    return count


@contextlib.contextmanager
def eval_mode(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Run a block with the model in eval mode and no grad, then restore its previous mode."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)
