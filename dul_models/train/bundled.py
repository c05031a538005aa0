"""Building the runs bundled in `checkpoints/` from the recipes kept beside their families.

Each recipe (`dul_models.models.base.Recipe`) is a family, a dataset, config overrides, a training
length and the runs it requires; `make checkpoints` builds them in dependency order, writes each run
folder under `checkpoints/` and refreshes MANIFEST.json with sizes and hashes, which the tests verify.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from dul_models.core.devices import pick_device
from dul_models.core.errors import ConfigError
from dul_models.core.progress import report
from dul_models.data import get_dataset
from dul_models.models import FAMILIES, Recipe, build_model, config_from_dict
from dul_models.runs import checkpoints
from dul_models.train.evaluators import build_evaluators
from dul_models.train.trainer import TrainConfig, Trainer

MANIFEST = "MANIFEST.json"


def all_recipes() -> tuple[Recipe, ...]:
    """Every family's recipes, ordered so that each comes after the runs it `requires`."""
    recipes = {r.name: r for family in FAMILIES.values() for r in family.recipes}
    ordered: list[Recipe] = []
    visiting: set[str] = set()

    def visit(recipe: Recipe) -> None:
        if recipe in ordered:
            return
        if recipe.name in visiting:
            raise ConfigError(f"bundled recipes require each other in a circle at {recipe.name!r}")
        visiting.add(recipe.name)
        for needed in recipe.requires:
            if needed not in recipes:
                raise ConfigError(f"recipe {recipe.name!r} requires {needed!r}, which no family defines")
            visit(recipes[needed])
        ordered.append(recipe)

    for recipe in recipes.values():
        visit(recipe)
    return tuple(ordered)


def get_recipe(name: str) -> Recipe:
    for recipe in all_recipes():
        if recipe.name == name:
            return recipe
    choices = ", ".join(r.name for r in all_recipes())
    raise ConfigError(f"unknown bundled run {name!r}; choose from: {choices}")


def build_bundled(
    names: list[str] | None = None, callbacks: list[Callable[[Trainer, str], None]] | None = None
) -> list[Path]:
    """Train the named recipes (all by default, in dependency order) into the bundled folder.

    A recipe whose required runs are neither bundled already nor asked for is refused before any
    training starts; the manifest is refreshed at the end.
    """
    wanted = {get_recipe(n).name for n in names} if names else {r.name for r in all_recipes()}
    recipes = [r for r in all_recipes() if r.name in wanted]
    for recipe in recipes:
        missing = [
            need
            for need in recipe.requires
            if need not in wanted and not (checkpoints.bundled_dir() / need / checkpoints.CONFIG).is_file()
        ]
        if missing:
            raise ConfigError(
                f"{recipe.name} requires the bundled run(s) {', '.join(missing)}: build them first"
            )
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
            callbacks=[*(callbacks or []), _report_steps(f"training {recipe.name}")],
            evaluators=build_evaluators(model, dataset, pick_device(train.device)),
            allow_bundled=True,
        )
        trainer.fit()
        written.append(run_dir)
    write_manifest()
    return written


def _report_steps(what: str) -> Callable[[Trainer, str], None]:
    """A Trainer callback passing the step count to `dul_models.core.progress` (the CLI draws a bar)."""

    def callback(trainer: Trainer, event: str) -> None:
        if event == "log":
            report(what, trainer.step, trainer.total_steps)

    return callback


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
