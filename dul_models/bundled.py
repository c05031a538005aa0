"""Recipes for the runs bundled in `checkpoints/`, so `make checkpoints` can rebuild every one of them.

Each recipe is a family, a dataset, config overrides and a training length; building writes the run
folder under `checkpoints/` and refreshes MANIFEST.json with sizes and hashes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dul_models import checkpoints
from dul_models.data import get_dataset
from dul_models.errors import ConfigError
from dul_models.models import build_model, config_from_dict
from dul_models.training import TrainConfig, Trainer


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
        train={"epochs": 60, "seed": 0},
    ),
    Recipe(
        name="autoencoder-mnist5k-plain",
        family="autoencoder",
        dataset="mnist5k",
        title="Plain AE (no noise in training)",
        model_config={"corruption": "none", "noise_level": 0.0},
        train={"epochs": 60, "seed": 0},
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
    checkpoints.write_manifest()
    return written
