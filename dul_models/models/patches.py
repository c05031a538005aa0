"""Grid geometry shared by the two patch-based pretext tasks (jigsaw and context prediction).

Both cut a centre square of side `puzzle_size` out of each image, split it into grid×grid cells and feed
each cell, trimmed by a few random pixels, to the shared backbone. The backbone pools twice by 2, so a
patch needs at least `MIN_PATCH` pixels a side; bad geometry is refused here with the sizes that would
work, before any model is built.
"""

from __future__ import annotations

import torch

from dul_models.core.errors import ConfigError

MIN_PATCH = 4  # two 2× poolings leave a 1×1 map; anything smaller leaves nothing


def _either(options: list[int]) -> str:
    """[2, 4, 7] → "2, 4 or 7"."""
    words = [str(o) for o in options]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def puzzle_side(
    image_shape: tuple[int, int, int],
    grid: int,
    puzzle_size: int | None,
    *,
    trim: int = 0,
    grid_is_free: bool = True,
) -> int:
    """The checked side of the centre square: `puzzle_size`, or by default the largest multiple of
    `grid` that fits in the image (27 for 28×28, 30 for 32×32). `trim` pixels are cut off each cell's
    side (jitter or gap), so cells must be at least `MIN_PATCH + trim` wide. `grid_is_free=False` for
    tasks whose grid is fixed (context prediction), so the error does not suggest another grid."""
    _, height, width = image_shape
    largest = min(height, width)
    smallest_cell = MIN_PATCH + trim
    if puzzle_size is None:
        puzzle_size = largest - largest % grid
    elif puzzle_size > largest:
        raise ConfigError(
            f"puzzle_size {puzzle_size} is larger than the {height}×{width} images; use at most "
            f"{largest - largest % grid} for a {grid}×{grid} grid"
        )
    elif puzzle_size % grid:
        sizes = [
            s
            for s in (puzzle_size - puzzle_size % grid - k * grid for k in (0, 1))
            if s >= grid * smallest_cell
        ]
        grids = [
            g for g in range(2, puzzle_size + 1) if puzzle_size % g == 0 and puzzle_size // g >= smallest_cell
        ]
        advice = [f"puzzle_size {_either(sizes)}"] if sizes else []
        if grid_is_free and grids:
            advice.append(f"grid {_either(grids)}")
        raise ConfigError(
            f"a {grid}×{grid} grid does not divide a {puzzle_size}-pixel puzzle"
            + (f"; choose {', or '.join(advice)}" if advice else "")
        )
    patch = puzzle_size // grid - trim
    if patch < MIN_PATCH:
        raise ConfigError(
            f"a {grid}×{grid} grid on a {puzzle_size}-pixel puzzle leaves {patch}-pixel patches after trimming "
            f"{trim}; the backbone needs at least {MIN_PATCH} (cells of {smallest_cell} px: a puzzle of at "
            f"least {grid * smallest_cell} px, a smaller grid or less trimming)"
        )
    return puzzle_size


def centre_crop(x: torch.Tensor, side: int) -> torch.Tensor:
    """(B, C, H, W) → (B, C, side, side), the square in the middle (top-left of centre when odd)."""
    top, left = (x.shape[-2] - side) // 2, (x.shape[-1] - side) // 2
    return x[..., top : top + side, left : left + side]


def cut_cells(square: torch.Tensor, grid: int) -> torch.Tensor:
    """(B, C, S, S) → (B, grid², C, S/grid, S/grid): the cells in reading order (row by row)."""
    b, c, side, _ = square.shape
    cell = side // grid
    cells = square.reshape(b, c, grid, cell, grid, cell)  # (B, C, row, y, col, x)
    return cells.permute(0, 2, 4, 1, 3, 5).reshape(b, grid * grid, c, cell, cell)


def assemble(tiles: torch.Tensor, grid: int) -> torch.Tensor:
    """(B, grid², C, t, t) in reading order → (B, C, grid·t, grid·t); the inverse of `cut_cells`."""
    b, _, c, t, _ = tiles.shape
    rows = tiles.reshape(b, grid, grid, c, t, t)  # (B, row, col, C, y, x)
    return rows.permute(0, 3, 1, 4, 2, 5).reshape(b, c, grid * t, grid * t)


def jittered(cells: torch.Tensor, trim: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """(B, N, C, s, s) → (B, N, C, s − trim, s − trim): each cell cut at its own random offset in
    [0, trim]² (drawn on the CPU, so a seeded generator gives the same patches on every device)."""
    if trim == 0:
        return cells
    b, n, c, s, _ = cells.shape
    size = s - trim
    dy = torch.randint(trim + 1, (b, n), generator=generator).to(cells.device)  # (B, N)
    dx = torch.randint(trim + 1, (b, n), generator=generator).to(cells.device)
    span = torch.arange(size, device=cells.device)
    rows = (dy[..., None] + span).view(b, n, 1, size, 1).expand(b, n, c, size, s)
    cols = (dx[..., None] + span).view(b, n, 1, 1, size).expand(b, n, c, size, size)
    return cells.gather(3, rows).gather(4, cols)  # (B, N, C, size, size)


def in_frame(images: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(B, C, h, w) centred on a black (B, C, height, width) canvas, so previews keep the image shape."""
    b, c, h, w = images.shape
    canvas = images.new_zeros(b, c, height, width)
    top, left = (height - h) // 2, (width - w) // 2
    canvas[..., top : top + h, left : left + w] = images
    return canvas
