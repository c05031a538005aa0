"""Splits too large to convert whole: what the Trainer, the batch sources, the evaluators and the encoders ask
before turning a split into float32 or moving it to the device at once.

A split that fits keeps the fast path: uint8 on the device, batches drawn there by index, the test split
as one float tensor. A larger one (an imported set is a memory-mapped uint8 array, possibly larger than
memory) stays where it is, on the CPU; batches are drawn from it by index and each batch alone is
converted and moved, so only the rows in use are ever read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import torch

from dul_models.data.registry import to_float

# A split above this size *as float32* is streamed, not converted or moved whole. 1 GB is above every
# built-in set (CIFAR-10's training split is 614 MB as float32), so their runs and numbers never change,
# yet a float copy this size beside the model, its optimiser and the page cache still fits a laptop; a
# 50,000-image 64×64 colour import (2.5 GB as float32) is already above it. Read at call time (tests lower it).
LARGE_SPLIT_BYTES = 1_000_000_000
CHUNK_ROWS = 2_000  # rows per step when a large split is read in pieces (pixels, PCA): ~100 MB at 64×64×3


def float32_bytes(x: torch.Tensor) -> int:
    """What images `x` take as float32."""
    return x.numel() * 4


def is_large(x: torch.Tensor) -> bool:
    """Whether images `x` are too large to convert to float32 or move to the device in one piece."""
    return float32_bytes(x) > LARGE_SPLIT_BYTES


def rows_that_fit(x: torch.Tensor) -> int:
    """How many of `x`'s images fit in `LARGE_SPLIT_BYTES` as float32 (at least one); all for a split that fits."""
    per_row = max(1, float32_bytes(x[:1]))
    return max(1, LARGE_SPLIT_BYTES // per_row)


def held_on(x: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """What a trainer draws batches from: `x` on the device (uint8, 4× smaller than float) when it fits,
    else `x` where it is (the memory map of an imported set), never copied whole."""
    return x if is_large(x) else x.to(device)


def row_parts(x: torch.Tensor, rows: int = CHUNK_ROWS) -> list[torch.Tensor]:
    """`[x]` when it fits, else views of `rows` consecutive images each (at most `rows_that_fit`; nothing
    is read yet)."""
    if not is_large(x):
        return [x]
    rows = min(rows, rows_that_fit(x))
    return [x[start : start + rows] for start in range(0, x.shape[0], rows)]


def first_rows(
    x: torch.Tensor, y: torch.Tensor, device: torch.device | str, items: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, str | None]:
    """The first `items` images (all when None) as float in [0, 1] on the device, their labels, and a note
    when a large split had to be cut to the `rows_that_fit` (an evaluation of the first rows, as the
    periodic ones are); None when nothing was cut."""
    wanted = x.shape[0] if items is None else min(items, x.shape[0])
    n = min(wanted, rows_that_fit(x))
    note = None
    if n < wanted:
        note = (
            f"evaluated on the first {n:,} of {x.shape[0]:,} test images: the split is "
            f"{float32_bytes(x) / 1e9:.1f} GB as float32, above the {LARGE_SPLIT_BYTES / 1e9:g} GB converted at once"
        )
    return to_float(x[:n].to(device)), y[:n].to(device), note


def batch_to(batch: Any, device: torch.device | str) -> Any:
    """A batch (a dataclass of tensors, as `Batch` and its subclasses are) with every tensor on the device;
    the same object when nothing had to move."""
    if not dataclasses.is_dataclass(batch):
        return batch
    moved = {
        field.name: value.to(device)
        for field in dataclasses.fields(batch)
        if field.init
        and isinstance(value := getattr(batch, field.name), torch.Tensor)
        and value.device != torch.device(device)
    }
    return dataclasses.replace(batch, **moved) if moved else batch


def float_chunks(x: torch.Tensor, device: torch.device | str, rows: int) -> Iterator[torch.Tensor]:
    """`x` in pieces of `rows` images, each converted to float and moved on its own."""
    for start in range(0, x.shape[0], rows):
        yield to_float(x[start : start + rows].to(device))
