"""The semi-supervised family's bundled runs (recipes), kept beside `semisup.py` so the model file reads as
one model (as `vae_recipes.py` does for the VAE); `SemiSupervised.recipes` is `RECIPES`."""

from __future__ import annotations

from dul_models.models.base import Recipe

# measured on mnist5k, one CPU thread (test_acc at the end; CPU-seconds): supervised 0.917 (62 s),
# FixMatch 0.983 (758 s; 0.977 after 1,500 steps), Mean Teacher 0.977 (153 s; with λ = 1: 0.959),
# pseudo-label 0.946 (1,500 steps of 32, 127 s: not bundled, it sits between the two)
RECIPES = (
    Recipe(
        name="semisup-mnist5k-supervised-10",
        family="semisup",
        dataset="mnist5k",
        title="Supervised only, 10 labels per class",
        model_config={"method": "supervised"},
        train={"steps": 1500, "batch_size": 64, "seed": 0, "lr_schedule": "cosine"},
    ),
    Recipe(
        name="semisup-mnist5k-fixmatch-10",
        family="semisup",
        dataset="mnist5k",
        title="FixMatch, 10 labels per class",
        model_config={"method": "fixmatch"},
        train={"steps": 3000, "batch_size": 64, "seed": 0, "lr_schedule": "cosine"},
    ),
    Recipe(
        name="semisup-mnist5k-meanteacher-10",
        family="semisup",
        dataset="mnist5k",
        title="Mean Teacher, 10 labels per class",
        model_config={"method": "mean_teacher", "unlabelled_weight": 10.0},
        train={"steps": 1500, "batch_size": 32, "seed": 0, "lr_schedule": "cosine"},
    ),
)
