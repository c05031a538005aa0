"""Batches for meta-training: T episodes of one shape gathered on the device, supports and queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from dul_models.data.episodes import EpisodePool, EpisodeSet, check_episode, sample_episodes
from dul_models.data.registry import to_float

# ---------------------------------------------------------------------------------------------------
# Batches for meta-training
# ---------------------------------------------------------------------------------------------------


@dataclass
class EpisodeBatch:
    """T episodes of one shape, images gathered on the device: supports and queries with episode labels.

    `x`/`y` are the supports, so it reads like a `Batch` to the Trainer (which only asks `batch.x.device`);
    it is not a subclass because `dul_models.data` does not import `dul_models.models`.
    """

    x: torch.Tensor  # (T·N·K, C, H, W) float in [0, 1], episode-major, class-major within an episode
    y: torch.Tensor  # (T·N·K,) episode labels 0..N-1
    query_x: torch.Tensor  # (T·N·Q, C, H, W)
    query_y: torch.Tensor  # (T·N·Q,)
    tasks: int
    way: int
    shot: int
    queries: int


def gather_episodes(x: torch.Tensor, episodes: EpisodeSet) -> EpisodeBatch:
    """The images of every episode in `episodes`, gathered from pool images `x` on their device."""
    e, n, k, q = episodes.shape
    device = x.device
    support = torch.from_numpy(episodes.support).to(device).reshape(-1)
    query = torch.from_numpy(episodes.query).to(device).reshape(-1)
    ways = torch.arange(n, device=device)
    return EpisodeBatch(
        x=to_float(x[support]),
        y=ways.repeat_interleave(k).repeat(e),  # (E·N·K,) 0,0,..,1,1,.. per episode
        query_x=to_float(x[query]),
        query_y=ways.repeat_interleave(q).repeat(e),
        tasks=e,
        way=n,
        shot=k,
        queries=q,
    )


def episode_batches(
    pool: EpisodePool,
    way: int,
    shot: int,
    queries: int,
    tasks: int,
    generator: torch.Generator,
    device: torch.device | str,
) -> Iterator[EpisodeBatch]:
    """Endless meta-training batches of `tasks` episodes each from the pool, seeded by `generator`."""
    way = min(way, len(pool.classes))  # five base digits cannot fill a 20-way training episode
    labels = pool.y.numpy()
    check_episode(labels, pool.classes, way, shot, queries)
    x = pool.x.to(device)
    while True:
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
        yield gather_episodes(x, sample_episodes(labels, pool.classes, way, shot, queries, tasks, seed))
