"""Recipes for the runs bundled in `checkpoints/`, so `make checkpoints` can rebuild every one of them.

Each recipe is a family, a dataset, config overrides and a training length; building writes the run
folder under `checkpoints/` and refreshes MANIFEST.json with sizes and hashes, which the tests verify.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dul_models import checkpoints
from dul_models.data import get_dataset
from dul_models.errors import ConfigError
from dul_models.models import build_model, config_from_dict
from dul_models.training import TrainConfig, Trainer

MANIFEST = "MANIFEST.json"


@dataclass(frozen=True)
class Recipe:
    name: str
    family: str
    dataset: str
    title: str
    model_config: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)


RECIPES: tuple[Recipe, ...] = (
    Recipe(
        name="autoencoder-mnist5k-denoising",
        family="autoencoder",
        dataset="mnist5k",
        title="Denoising AE (mixed noise)",
        model_config={"corruption": "mixed", "noise_level": 0.6},
        train={"epochs": 60, "seed": 0, "grad_clip": 10.0},  # as the bundled run was trained
    ),
    Recipe(
        name="autoencoder-mnist5k-plain",
        family="autoencoder",
        dataset="mnist5k",
        title="Plain AE (no noise in training)",
        model_config={"corruption": "none", "noise_level": 0.0},
        train={"epochs": 60, "seed": 0, "grad_clip": 10.0},  # as the bundled run was trained
    ),
    Recipe(  # before dcgan-mnist5k: the GAN's FID and class histogram use this run's features
        name="classifier-mnist5k",
        family="classifier",
        dataset="mnist5k",
        title="CNN classifier (features for FID)",
        model_config={},
        train={"epochs": 30, "seed": 0},
    ),
    Recipe(  # after classifier-mnist5k, whose features score the samples
        name="dcgan-mnist5k",
        family="dcgan",
        dataset="mnist5k",
        title="DCGAN (R1 penalty, resize-conv G, averaged G)",
        model_config={
            "base_channels": 32,
            "latent_dim": 64,
            "loss": "non_saturating",
            "r1_gamma": 10.0,
            "ema_decay": 0.999,
            "upsampling": "nearest",
        },
        train={"steps": 22000, "batch_size": 64, "eval_every": 1000, "preview_every": 250, "seed": 0},
    ),
    Recipe(
        name="pixelcnn-mnist5k-plain",
        family="pixelcnn",
        dataset="mnist5k",
        title="Plain PixelCNN (masked convs, blind spot)",
        model_config={
            "variant": "plain",
            "channels": 32,
            "layers": 6,
            "kernel_size": 3,
            "first_kernel_size": 7,
            "lr": 2e-3,
        },
        train={"epochs": 30, "batch_size": 64, "seed": 0},
    ),
    Recipe(
        name="pixelcnn-mnist5k-gated",
        family="pixelcnn",
        dataset="mnist5k",
        title="Gated PixelCNN (vertical + horizontal stacks)",
        model_config={
            "variant": "gated",
            "channels": 32,
            "layers": 4,
            "kernel_size": 3,
            "first_kernel_size": 7,
            "lr": 1e-3,
        },
        train={"epochs": 25, "batch_size": 32, "seed": 0},
    ),
    # the final evaluation is the published protocol: IWAE with k = 1000 on the whole test split. The
    # shallow shared blocks reached 99.4 nats (60 epochs, constant lr); one residual block per resolution
    # each way and a cosine lr decay are what bring it under 95
    Recipe(
        name="vae-mnist5k-z16",
        family="vae",
        dataset="mnist5k",
        title="VAE, 16-D latent (Bernoulli, β = 1)",
        model_config={"latent_dim": 16, "depth": 1},
        train={"epochs": 150, "eval_every": 500, "lr_schedule": "cosine", "seed": 0},
    ),
    Recipe(
        name="vae-mnist5k-z2",
        family="vae",
        dataset="mnist5k",
        title="VAE, 2-D latent (for the manifold)",
        model_config={"latent_dim": 2},
        train={"epochs": 40, "eval_every": 500, "full_final_eval": False, "seed": 0},
    ),
    Recipe(
        name="vae-shapes-beta1",
        family="vae",
        dataset="shapes",
        title="VAE on shapes (β = 1)",
        model_config={"latent_dim": 10, "beta": 1.0},
        train={"epochs": 80, "eval_every": 500, "full_final_eval": False, "seed": 0},  # IWAE k = 50
    ),
    Recipe(
        name="vae-shapes-beta4",
        family="vae",
        dataset="shapes",
        title="β-VAE on shapes (β = 4)",
        model_config={"latent_dim": 10, "beta": 4.0},
        train={"epochs": 80, "eval_every": 500, "full_final_eval": False, "seed": 0},
    ),
)


def get_recipe(name: str) -> Recipe:
    for recipe in RECIPES:
        if recipe.name == name:
            return recipe
    raise ConfigError(f"unknown bundled run {name!r}; choose from: {', '.join(r.name for r in RECIPES)}")


def build_bundled(
    names: list[str] | None = None, callbacks: list[Callable[[Trainer, str], None]] | None = None
) -> list[Path]:
    """Train the named recipes (all by default) into the bundled folder and refresh the manifest."""
    recipes = [get_recipe(n) for n in names] if names else list(RECIPES)
    written = []
    for recipe in recipes:
        dataset = get_dataset(recipe.dataset)
        model = build_model(
            recipe.family,
            {**recipe.model_config, "image_shape": dataset.image_shape},
            seed=recipe.train.get("seed", 0),
        )
        train = config_from_dict(TrainConfig, {"checkpoint_every": 0, **recipe.train})
        run_dir = checkpoints.bundled_dir() / recipe.name
        trainer = Trainer(
            model,
            dataset,
            train,
            run_dir=run_dir,
            title=recipe.title,
            callbacks=callbacks or [],
            allow_bundled=True,
        )
        trainer.fit()
        written.append(run_dir)
    write_manifest()
    return written


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_RUN_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def write_manifest(root: Path | None = None) -> Path:
    """List every bundled run with its files' sizes and sha256, so damage or drift is detectable."""
    root = checkpoints.bundled_dir() if root is None else root
    runs = []
    for folder in sorted(p for p in root.iterdir() if (p / checkpoints.CONFIG).is_file()):
        info = checkpoints.read_run_info(folder)
        files = {
            f.name: {"bytes": f.stat().st_size, "sha256": _sha256(f)}
            for f in sorted(folder.iterdir())
            if f.is_file() and not f.name.startswith(".")
        }
        runs.append({"name": folder.name, "family": info.family, "dataset": info.dataset, "files": files})
    path = root / MANIFEST
    checkpoints.atomic_write_bytes(
        path, checkpoints.json_bytes({"format": checkpoints.FORMAT_VERSION, "runs": runs})
    )
    return path


def verify_manifest(root: Path | None = None) -> list[str]:
    """Problems found comparing bundled runs with MANIFEST.json (empty list = all intact)."""
    root = checkpoints.bundled_dir() if root is None else root
    manifest = checkpoints.read_json(root / MANIFEST, "the bundled-run manifest")
    problems = []
    for run in manifest.get("runs", []):
        if not _RUN_NAME.match(run["name"]):
            problems.append(f"bad run name {run['name']!r}")
            continue
        for name, expected in run["files"].items():
            path = root / run["name"] / name
            if not path.is_file():
                problems.append(f"{path} is missing")
            elif path.stat().st_size != expected["bytes"] or _sha256(path) != expected["sha256"]:
                problems.append(f"{path} differs from MANIFEST.json")
    return problems
