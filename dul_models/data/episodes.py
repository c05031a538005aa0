"""Few-shot episodes: class splits that keep test classes unseen, and reproducible N-way K-shot draws.

Few-shot learning trains on *base* classes with many labels and is tested on *novel* classes with one to
five labels each. An episode is one small task: N classes, K labelled support images per class and Q query
images per class to classify. Meta-learners train on episodes of base classes; every reported number is
the mean over many episodes of novel classes, with a 95 % interval (Vinyals et al. 2016; Snell et al. 2017).

- Class splits (`class_split`): glyphs 240 base / 60 validation / 100 novel classes; Omniglot its 964
  background characters (the last 100 for validation) / the 659 evaluation ones; the digit sets base
  digits 0–4 and novel 5–9, with the base digits' *test* images as the validation pool (ten classes leave
  none to spare); other sets the first 60 % / next 15 % / last 25 % of their classes (half / none / half
  below 20 classes).
- Pools (`episode_pool`): base = the training images of base classes (all a meta-learner ever trains on);
  validation and novel = the images of those classes from both splits (no model was trained on their
  labels). A self-supervised encoder trained on a whole training split has seen novel images without
  labels; pages that compare it say so.
- Episodes are index arrays into a pool (`EpisodeSet`), drawn with one seed per episode, so episode 17 of
  seed 0 is the same episode whichever method answers it, and images are gathered on the device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from dul_models.core.errors import ConfigError
from dul_models.data.registry import ImageDataset

ROLES = ("base", "val", "novel")
GLYPH_SPLIT = (240, 60, 100)  # glyphs' 400 classes, in class order
# Omniglot: the 964 background characters (the last 100 for validation), the 659 evaluation ones novel
OMNIGLOT_SPLIT = (864, 100, 659)
SMALL = 20  # below this many classes there is no validation class: half base, half novel


@dataclass(frozen=True)
class ClassSplit:
    """Disjoint class labels for meta-training (base), model selection (val) and testing (novel)."""

    base: tuple[int, ...]
    val: tuple[int, ...]
    novel: tuple[int, ...]


def class_split(dataset: ImageDataset) -> ClassSplit:
    """The dataset's few-shot class split (see the module docstring for the rule per dataset)."""
    if not dataset.has_labels:
        raise ConfigError(f"{dataset.name} has no labels: few-shot episodes need labelled classes")
    n = dataset.num_classes
    if dataset.name == "glyphs" and n == sum(GLYPH_SPLIT):
        cuts = (GLYPH_SPLIT[0], GLYPH_SPLIT[0] + GLYPH_SPLIT[1])
    elif dataset.name == "omniglot" and n == sum(OMNIGLOT_SPLIT):
        cuts = (OMNIGLOT_SPLIT[0], OMNIGLOT_SPLIT[0] + OMNIGLOT_SPLIT[1])
    elif n < SMALL:
        cuts = (n // 2, n // 2)
    else:
        cuts = (round(0.6 * n), round(0.75 * n))
    classes = tuple(range(n))
    return ClassSplit(base=classes[: cuts[0]], val=classes[cuts[0] : cuts[1]], novel=classes[cuts[1] :])


@dataclass(frozen=True, eq=False)
class EpisodePool:
    """The images episodes of one role are drawn from; `y` keeps the dataset's own class labels."""

    x: torch.Tensor  # (P, C, H, W) uint8 (or float) on the CPU
    y: torch.Tensor  # (P,) int64 dataset labels
    classes: tuple[int, ...]
    role: str
    description: str  # what the pool is, in words, for pages and reports

    def __len__(self) -> int:
        return self.x.shape[0]


def _rows_of(y: torch.Tensor, classes: Sequence[int]) -> torch.Tensor:
    return torch.nonzero(torch.isin(y, torch.tensor(list(classes), dtype=y.dtype))).flatten()


def _describe(dataset: ImageDataset, classes: Sequence[int]) -> str:
    names = dataset.class_names
    if len(classes) <= 10:
        return ", ".join(names[c] for c in classes)
    return f"{len(classes)} classes ({names[classes[0]]} … {names[classes[-1]]})"


def episode_pool(dataset: ImageDataset, role: str) -> EpisodePool:
    """The base, validation or novel pool of a dataset (module docstring: which images each holds)."""
    if role not in ROLES:
        raise ConfigError(f"unknown episode pool {role!r}; choose from: {', '.join(ROLES)}")
    split = class_split(dataset)
    classes = getattr(split, role)
    if role == "base" or (role == "val" and not classes):
        source = dataset.train if role == "base" else dataset.test
        classes = split.base
        rows = _rows_of(source.y, classes)
        x, y = source.x[rows], source.y[rows]
        which = "training" if role == "base" else "held-out test"
        text = f"{which} images of the base classes: {_describe(dataset, classes)}"
    else:
        x = torch.cat([dataset.train.x, dataset.test.x])
        y = torch.cat([dataset.train.y, dataset.test.y])
        rows = _rows_of(y, classes)
        x, y = x[rows], y[rows]
        text = f"{'validation' if role == 'val' else 'novel'} classes, all their images: {_describe(dataset, classes)}"
    return EpisodePool(
        x=x.contiguous(), y=y.contiguous(), classes=tuple(classes), role=role, description=text
    )


def with_rotated_classes(pool: EpisodePool) -> EpisodePool:
    """The pool with each class also turned by 90°, 180° and 270°, each turn a new class (Snell et al.'s
    Omniglot recipe, after Santoro et al. 2016): four times the classes to meta-train on. A turned "1" may
    look like another class, which only makes some training episodes harder."""
    offset = max(pool.classes) + 1
    x = torch.cat([torch.rot90(pool.x, turns, dims=(2, 3)) for turns in range(4)])
    y = torch.cat([pool.y + turns * offset for turns in range(4)])
    classes = tuple(c + turns * offset for turns in range(4) for c in pool.classes)
    text = f"{pool.description}, each also turned by 90°, 180° and 270° as new classes"
    return EpisodePool(x=x.contiguous(), y=y, classes=classes, role=pool.role, description=text)


# ---------------------------------------------------------------------------------------------------
# Drawing episodes
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeSet:
    """E episodes as rows of a pool: the episode's label of an image is its class's position in `classes`."""

    classes: np.ndarray  # (E, N) dataset labels, in episode order
    support: np.ndarray  # (E, N, K) pool rows
    query: np.ndarray  # (E, N, Q) pool rows
    seed: int

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """(episodes, way, shot, queries per class)."""
        e, n, k = self.support.shape
        return e, n, k, self.query.shape[2]

    def __len__(self) -> int:
        return self.support.shape[0]

    def slice(self, start: int, stop: int) -> EpisodeSet:
        """Episodes start..stop-1 (a chunk answered at once)."""
        return EpisodeSet(
            self.classes[start:stop], self.support[start:stop], self.query[start:stop], self.seed
        )

    def episode(self, i: int) -> EpisodeSet:
        return self.slice(i, i + 1)


def check_episode(labels: np.ndarray, classes: Sequence[int], way: int, shot: int, queries: int) -> None:
    """One clear error for an episode the pool cannot hold: too many ways, or too few images in a class."""
    if way < 2:
        raise ConfigError(f"an episode needs N ≥ 2 classes (ways), got {way}")
    if shot < 1 or queries < 1:
        raise ConfigError(f"K (shots) and queries per class must be ≥ 1, got K = {shot}, queries = {queries}")
    if way > len(classes):
        raise ConfigError(
            f"N = {way} ways, but this pool has only {len(classes)} classes; choose N ≤ {len(classes)}"
        )
    counts = {c: int((labels == c).sum()) for c in classes}
    smallest = min(counts, key=counts.get)
    if shot + queries > counts[smallest]:
        raise ConfigError(
            f"K + queries = {shot} + {queries} images per class, but class {smallest} has only "
            f"{counts[smallest]} images in this pool; lower K or the queries to at most {counts[smallest]} together"
        )


def sample_episodes(
    labels: np.ndarray | torch.Tensor,
    classes: Sequence[int],
    way: int,
    shot: int,
    queries: int,
    episodes: int = 1,
    seed: int = 0,
) -> EpisodeSet:
    """`episodes` N-way K-shot episodes over `classes`; episode i depends only on (seed, i)."""
    labels = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)
    check_episode(labels, classes, way, shot, queries)
    if episodes < 1:
        raise ConfigError(f"episodes must be ≥ 1, got {episodes}")
    rows_by_class = {c: np.flatnonzero(labels == c) for c in classes}
    pool_classes = np.asarray(classes)
    chosen = np.empty((episodes, way), dtype=np.int64)
    picked = np.empty((episodes, way, shot + queries), dtype=np.int64)
    for e in range(episodes):
        rng = np.random.default_rng([seed, e])
        chosen[e] = rng.choice(pool_classes, size=way, replace=False)
        for n, c in enumerate(chosen[e]):
            picked[e, n] = rng.choice(rows_by_class[int(c)], size=shot + queries, replace=False)
    return EpisodeSet(classes=chosen, support=picked[:, :, :shot], query=picked[:, :, shot:], seed=seed)


def hand_picked_episode(
    labels: np.ndarray | torch.Tensor, support: Sequence[Sequence[int]], queries: int, seed: int = 0
) -> EpisodeSet:
    """One episode whose supports a person picked: `support[n]` are pool rows of class n (all one class,
    the same number per class); the queries are drawn from the rest of each class's images."""
    labels = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)
    if len(support) < 2:
        raise ConfigError(f"pick support images for at least 2 classes, got {len(support)}")
    empty = [n for n, rows in enumerate(support) if len(rows) == 0]
    if empty:
        raise ConfigError(f"class {empty[0] + 1} of the episode has no support image: pick at least one")
    shots = {len(rows) for rows in support}
    if len(shots) > 1:
        raise ConfigError(f"pick the same number of support images for every class (K), got {sorted(shots)}")
    classes = []
    for n, rows in enumerate(support):
        kinds = set(labels[list(rows)].tolist())
        if len(kinds) != 1:
            raise ConfigError(
                f"the support images of class {n + 1} come from different classes: {sorted(kinds)}"
            )
        classes.append(kinds.pop())
    if len(set(classes)) != len(classes):
        raise ConfigError("two classes of the episode hold support images of the same class")
    rng = np.random.default_rng([seed, 0])
    query = []
    for c, rows in zip(classes, support, strict=True):
        rest = np.setdiff1d(np.flatnonzero(labels == c), np.asarray(rows))
        if len(rest) < queries:
            raise ConfigError(
                f"class {c} has only {len(rest)} images left for {queries} queries; ask for fewer"
            )
        query.append(rng.choice(rest, size=queries, replace=False))
    return EpisodeSet(
        classes=np.asarray([classes], dtype=np.int64),
        support=np.asarray([support], dtype=np.int64),
        query=np.asarray([query], dtype=np.int64),
        seed=seed,
    )
