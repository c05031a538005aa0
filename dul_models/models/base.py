"""What every model family shares: the config base class, batches, recipes and the training-step contract.

The Trainer knows nothing about a family beyond these methods, so a new family plugs into the loop,
the checkpoints, the CLI and the app's training panel by implementing them. What a batch *is* belongs
to the family (`batch_source`): two augmented views, an N-way K-shot episode or a labelled + unlabelled
pair plug in without touching the loop.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, Union, get_args, get_origin

import torch
from torch import nn

from dul_models.core.devices import autocast
from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset, to_float


@dataclass
class ModelConfig:
    """Fields every family has. `image_shape` is filled in from the dataset when a model is built."""

    image_shape: tuple[int, int, int] = (1, 28, 28)
    lr: float = 1e-3  # Adam's default learning rate is a safe start for all small families here

    def __post_init__(self) -> None:
        shape = tuple(int(v) for v in self.image_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ConfigError(
                f"image_shape must be three positive integers (C, H, W), got {self.image_shape!r}"
            )
        self.image_shape = shape  # JSON gives lists back; keep a tuple
        if not self.lr > 0:
            raise ConfigError(f"lr must be > 0, got {self.lr!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


T = TypeVar("T")


def _coerce(name: str, value: Any, annotation: Any) -> Any:
    """Turn a JSON or command-line value into the field's declared type, or say which field is wrong."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() == "none"):
            return None
        return _coerce(name, value, options[0])
    if origin is tuple or annotation is tuple:
        if isinstance(value, str):
            value = [v for v in value.replace("(", "").replace(")", "").split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"field {name!r} expects a list of numbers, got {value!r}")
        inner = get_args(annotation)[0] if get_args(annotation) else int
        return tuple(_coerce(name, v, inner) for v in value)
    try:
        if annotation is bool:
            if isinstance(value, str):
                lowered = value.lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return lowered in ("true", "1", "yes")
            return bool(value)
        if annotation is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if annotation is float:
            return float(value)
        if annotation is str:
            return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"field {name!r} expects {annotation.__name__}, got {value!r}") from exc
    return value


def config_from_dict(config_cls: type[T], data: dict[str, Any]) -> T:
    """Build a config dataclass from a plain dict, naming any unknown field or bad value in the error."""
    if isinstance(data, config_cls):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"config must be a JSON object, got {type(data).__name__}")
    hints = typing.get_type_hints(config_cls)
    fields = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ConfigError(
            f"unknown config field {unknown[0]!r} for {config_cls.__name__}; allowed: {', '.join(sorted(fields))}"
        )
    values = {k: _coerce(k, v, hints[k]) for k, v in data.items()}
    return config_cls(**values)


@dataclass
class Batch:
    """One minibatch: images as float in [0, 1] on the training device, and labels (-1 = none).

    Families whose batches carry more (a second view, an episode's query set) subclass it.
    """

    x: torch.Tensor  # (B, C, H, W)
    y: torch.Tensor  # (B,)


def uniform_batches(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
    device: torch.device | str | None = None,
) -> Iterator[Batch]:
    """Endless labelled batches drawn by index from `x`, reshuffled every epoch.

    `x` may be uint8 (4× smaller on the device); each batch is converted to float in [0, 1] on its own.
    With `device`, each batch is moved there first: a split too large for the device stays on the CPU
    (an imported set memory-mapped), and only the rows drawn are read and moved, as uint8.
    """
    n = x.shape[0]
    if batch_size > n:
        raise ConfigError(f"batch_size {batch_size} is larger than the {n} training images")
    while True:
        order = torch.randperm(n, generator=generator).to(x.device)
        for start in range(0, n - batch_size + 1, batch_size):
            idx = order[start : start + batch_size]
            xb, yb = x[idx], y[idx]
            if device is not None:  # a no-op when x is on the device already
                xb, yb = xb.to(device), yb.to(device)
            yield Batch(x=to_float(xb), y=yb)


@dataclass(frozen=True)
class Recipe:
    """How one bundled run is trained, kept beside its family; `requires` names runs that must exist first."""

    name: str
    family: str
    dataset: str
    title: str
    model_config: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    requires: tuple[str, ...] = ()


# The verbs a family may offer; its capabilities are the ones its class really defines.
VERBS = (
    "encode",
    "decode",
    "reconstruct",
    "embed",
    "sample",
    "generate",
    "interpolate",
    "traverse",
    "log_prob",
    "classify",
)


class DULModel(nn.Module):
    """Base class of every family: the Trainer calls only these methods."""

    family: ClassVar[str] = ""
    config_cls: ClassVar[type[ModelConfig]] = ModelConfig
    title: ClassVar[str] = ""  # the app's pickers and the CLI show these
    description: ClassVar[str] = ""
    recipes: ClassVar[tuple[Recipe, ...]] = ()  # the family's bundled runs
    tiny_config: ClassVar[dict[str, Any]] = {}  # smallest config exercising every layer (contract test)
    tiny_dataset: ClassVar[str] = "digits"  # the embedded set the contract test trains it on; families that
    # need colour or larger images than 8×8 (colourisation, context patches) name another
    evaluators: ClassVar[tuple[str, ...]] = ()  # outside-resource evaluators the builder should inject

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        """The scalar to minimise and the metrics to log for this batch."""
        raise NotImplementedError

    def batch_source(
        self, x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator
    ) -> Iterator[Batch]:
        """The batches this family trains on (default: uniform labelled batches); x is the train split,
        on the device, or on the CPU when it is too large (`data.large_splits`): batches go to the model."""
        return uniform_batches(x, y, batch_size, generator, self.device)

    def refresh(self) -> None:
        """Bring state derived from the weights up to date before inference or saving (no-op by default).

        The Trainer calls it before every evaluation, preview and checkpoint, in the training thread, so
        a loaded model is always current and never needs a lock.
        """

    def training_events(self) -> list[dict[str, Any]]:
        """Plain-data records the family keeps while training (deep clustering's rounds), for the page's
        live view and `metrics.json`; none by default."""
        return []

    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.parameters(), lr=self.config.lr)]

    def train_step(
        self, batch: Batch, optimizers: list[torch.optim.Optimizer], grad_clip: float | None
    ) -> dict[str, float]:
        """One optimisation step; families with several optimisers (GANs) override this."""
        (optimizer,) = optimizers
        optimizer.zero_grad(set_to_none=True)
        with autocast(batch.x.device):
            loss, metrics = self.loss(batch)
        loss.backward()
        if grad_clip is not None:
            metrics["grad_norm"] = float(nn.utils.clip_grad_norm_(self.parameters(), grad_clip))
        optimizer.step()
        return {"loss": float(loss.detach()), **metrics}

    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Images (N, C, H, W) in [0, 1] to show while training, and how many go in one grid row."""
        raise NotImplementedError

    def prepare(self, dataset: ImageDataset) -> None:
        """Hook called with the dataset before training or evaluation (e.g. to load a feature network)."""

    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, *, quick: bool = False, **options: Any
    ) -> dict[str, Any]:
        """The family's metrics on a split (x float in [0, 1] on the model's device).

        `quick=True` is the cheap version the Trainer runs periodically; `options` are family-specific
        evaluation settings (e.g. the number of importance samples), rejected when unknown.
        """
        raise NotImplementedError

    def check_options(self, options: dict[str, Any], allowed: tuple[str, ...] = ()) -> None:
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            choices = ", ".join(allowed) or "none"
            raise ConfigError(
                f"unknown evaluation option {unknown[0]!r} for {self.family}; allowed: {choices}"
            )
