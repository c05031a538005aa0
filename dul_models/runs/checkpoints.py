"""Run folders: save, list, validate and load trained models — atomically, and never with pickle.

A run is a folder holding `model.safetensors` (weights), `config.json` (family, config, dataset, seed,
step, versions, time), `metrics.json` and optionally `preview.png`. Every file is written to a temporary
name and renamed into place, so a crash or a NaN mid-save never leaves a half-written checkpoint.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_bytes

from dul_models.core.errors import CheckpointError, ConfigError
from dul_models.core.files import atomic_write_bytes, json_bytes
from dul_models.core.images import grid_array, png_bytes
from dul_models.core.version import __version__
from dul_models.models import DULModel, build_model, config_from_dict, get_family

FORMAT_VERSION = 1
WEIGHTS, CONFIG, METRICS, PREVIEW = "model.safetensors", "config.json", "metrics.json", "preview.png"
REPO_ROOT = Path(__file__).resolve().parents[2]


def bundled_dir() -> Path:
    """Read-only runs shipped with the project (`DUL_BUNDLED_DIR` overrides, for tests)."""
    return Path(os.environ.get("DUL_BUNDLED_DIR", REPO_ROOT / "checkpoints")).resolve()


def runs_dir() -> Path:
    """Where runs a user trains go: `DUL_RUNS_DIR`, else the git-ignored `runs/` of the project."""
    return Path(os.environ.get("DUL_RUNS_DIR", REPO_ROOT / "runs")).resolve()


def _is_inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def new_run_dir(family: str, dataset: str, root: Path | None = None) -> Path:
    """A fresh, unique folder name under the user runs folder (it is created on first save)."""
    root = runs_dir() if root is None else root
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = root / f"{family}-{dataset}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def preview_png(images: torch.Tensor, nrow: int) -> bytes:
    """PNG bytes of an image grid (N, C, H, W) in [0, 1]."""
    return png_bytes(grid_array(images, nrow=nrow))


def save_run(
    run_dir: Path,
    model: DULModel,
    *,
    dataset: str,
    seed: int,
    step: int,
    metrics: dict[str, Any] | None = None,
    train_config: dict[str, Any] | None = None,
    preview: tuple[torch.Tensor, int] | None = None,
    title: str = "",
    allow_bundled: bool = False,
) -> Path:
    """Write (or update) a run folder atomically; refuses to touch bundled runs unless told to."""
    run_dir = Path(run_dir)
    if not allow_bundled and _is_inside(run_dir, bundled_dir()):
        raise CheckpointError(
            f"{run_dir} is a bundled run and is read-only; save user runs under {runs_dir()}"
        )
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    config = {
        "format": FORMAT_VERSION,
        "family": model.family,
        "config": model.config.to_dict(),
        "dataset": dataset,
        "seed": seed,
        "step": step,
        "title": title,
        "train": train_config or {},
        "dul_models_version": __version__,
        "torch_version": torch.__version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    # weights first: a config.json that exists always describes weights that are complete
    atomic_write_bytes(run_dir / WEIGHTS, safetensors_bytes(state, metadata={"family": model.family}))
    atomic_write_bytes(run_dir / METRICS, json_bytes(metrics or {}))
    if preview is not None:
        atomic_write_bytes(run_dir / PREVIEW, preview_png(*preview))
    atomic_write_bytes(run_dir / CONFIG, json_bytes(config))
    return run_dir


@dataclass(frozen=True)
class RunInfo:
    """What `config.json` and `metrics.json` say about a run, read without building the model."""

    path: Path
    family: str
    dataset: str
    config: dict[str, Any]
    seed: int
    step: int
    title: str
    created: str
    bundled: bool
    metrics: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        origin = "bundled" if self.bundled else "yours"
        return f"{self.title or self.name} ({origin}, step {self.step})"


@dataclass(frozen=True)
class RunRef:
    """A hashable reference to a run: its folder and the modification time of its weights.

    A cache keyed by it gets a fresh entry when a run is retrained in place, and no hand-made stamp.
    """

    path: str
    mtime: float

    @classmethod
    def of(cls, path: str | Path) -> RunRef:
        weights = Path(path) / WEIGHTS
        return cls(str(path), weights.stat().st_mtime if weights.exists() else 0.0)


def run_stamps(value: Any) -> tuple[RunRef, ...]:
    """A RunRef for every run folder that `value` names: a path, or one inside a tuple, list, dict or
    dataclass (an `EncoderSpec`, a page's choice). The extra cache key of `app.resources.cached`."""
    found: list[RunRef] = []

    def walk(item: Any) -> None:
        if isinstance(item, RunRef):
            found.append(RunRef.of(item.path))
        elif isinstance(item, (str, Path)):
            if str(item) and (Path(item) / WEIGHTS).is_file():
                found.append(RunRef.of(item))
        elif isinstance(item, (tuple, list)):
            for part in item:
                walk(part)
        elif isinstance(item, dict):
            for part in item.values():
                walk(part)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            for f in dataclasses.fields(item):
                walk(getattr(item, f.name))

    walk(value)
    return tuple(found)


def read_json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise CheckpointError(f"{path.parent} has no {path.name}; a run folder needs {WEIGHTS} and {CONFIG}")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON ({what}): {exc}") from exc


def read_run_info(run_dir: Path) -> RunInfo:
    """Validate `config.json` (family known, config fields valid) and return the run's description."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CheckpointError(f"no run folder at {run_dir}")
    meta = read_json(run_dir / CONFIG, "the run's config")
    if not isinstance(meta, dict):
        raise CheckpointError(f"{run_dir / CONFIG} must hold a JSON object")
    for key, kind in (("family", str), ("config", dict), ("dataset", str)):
        if not isinstance(meta.get(key), kind):
            raise CheckpointError(f"{run_dir / CONFIG}: field {key!r} is missing or not a {kind.__name__}")
    if meta.get("format", FORMAT_VERSION) > FORMAT_VERSION:
        raise CheckpointError(
            f"{run_dir} uses checkpoint format {meta['format']}; this version reads up to {FORMAT_VERSION}"
        )
    try:
        config_from_dict(get_family(meta["family"]).config_cls, meta["config"])
    except ConfigError as exc:
        raise CheckpointError(f"{run_dir / CONFIG}: {exc}") from exc
    metrics_path = run_dir / METRICS
    metrics = read_json(metrics_path, "the run's metrics") if metrics_path.exists() else {}
    return RunInfo(
        path=run_dir,
        family=meta["family"],
        dataset=meta["dataset"],
        config=meta["config"],
        seed=int(meta.get("seed", 0)),
        step=int(meta.get("step", 0)),
        title=str(meta.get("title", "")),
        created=str(meta.get("created", "")),
        bundled=_is_inside(run_dir, bundled_dir()),
        metrics=metrics if isinstance(metrics, dict) else {},
        train=meta.get("train", {}) if isinstance(meta.get("train"), dict) else {},
    )


def _shape_errors(run_dir: Path, model: DULModel) -> list[str]:
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    try:
        with safe_open(run_dir / WEIGHTS, framework="pt") as handle:
            found = {k: tuple(handle.get_slice(k).get_shape()) for k in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{run_dir / WEIGHTS} is corrupt or truncated ({exc}); retrain or restore it"
        ) from exc
    problems = [f"tensor {k!r} is missing from the file" for k in sorted(set(expected) - set(found))]
    problems += [f"unexpected tensor {k!r} in the file" for k in sorted(set(found) - set(expected))]
    problems += [
        f"tensor {k!r} has shape {found[k]} in the file but the config builds {expected[k]}"
        for k in sorted(set(found) & set(expected))
        if found[k] != expected[k]
    ]
    return problems


@dataclass
class LoadedRun:
    info: RunInfo
    model: DULModel


def load_run(run_dir: Path, device: str | torch.device = "cpu") -> LoadedRun:
    """Validate family, config and every tensor shape, then build the model in eval mode on `device`."""
    info = read_run_info(run_dir)
    if not (info.path / WEIGHTS).is_file():
        raise CheckpointError(f"{info.path} has no {WEIGHTS}; a run folder needs {WEIGHTS} and {CONFIG}")
    model = build_model(info.family, info.config)
    problems = _shape_errors(info.path, model)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CheckpointError(f"{info.path} does not match its config: {problems[0]}{more}")
    with safe_open(info.path / WEIGHTS, framework="pt") as handle:
        state = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118
    model.load_state_dict(state)
    model.to(device).eval()
    return LoadedRun(info=info, model=model)


def list_runs(family: str | None = None, dataset: str | None = None) -> list[RunInfo]:
    """Bundled runs first, then the user's newest first; unreadable folders are skipped, not fatal."""
    found: list[RunInfo] = []
    for root in (bundled_dir(), runs_dir()):
        if not root.is_dir():
            continue
        folders = sorted((p for p in root.iterdir() if (p / CONFIG).is_file()), key=lambda p: p.name)
        if root == runs_dir():
            folders.reverse()
        for folder in folders:
            try:
                info = read_run_info(folder)
            except CheckpointError:
                continue
            if (family is None or info.family == family) and (dataset is None or info.dataset == dataset):
                found.append(info)
    return found


def run_archive(run_dir: Path) -> bytes:
    """The run folder as zip bytes, for a download button (hidden temporary files left out)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(run_dir).iterdir()):
            if path.is_file() and not path.name.startswith("."):
                archive.write(path, arcname=f"{Path(run_dir).name}/{path.name}")
    return buffer.getvalue()
