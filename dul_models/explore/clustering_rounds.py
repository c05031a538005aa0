"""DeepCluster's rounds as the clustering page draws them: the events the family records each round
(`DeepCluster.training_events`, saved in a run's `metrics.json` and streamed by a live job) turned into
chart rows, a sizes matrix and one sentence per guard that fired; and the train-live defaults that fit
the chosen set (`deepcluster_live_defaults`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dul_models.data import ImageDataset
from dul_models.explore.live_defaults import batch_choice, training_images

BATCH_SIZES = (32, 64, 128, 256, 512)  # the batch-size slider's choices, before those the set cannot fill
LIVE_BATCH = 256
MAX_CLUSTERS = 30  # the clusters slider's top
UNLABELLED_CLUSTERS = 10  # k on a set without classes to count


@dataclass(frozen=True)
class Rounds:
    """Plain data of DeepCluster's rounds, in round order."""

    score_rows: list[dict[str, Any]]  # {round, measure, value}: scores vs the hidden labels, largest share
    round_ids: list[int]
    sizes: list[list[int]]  # (rounds, k): images per cluster in each round, 0 = empty
    reseeded: list[str]  # the empty-cluster guard firing: "round r: cluster a was empty, re-seeded from b"
    empty: list[str]  # clusters left empty because re-seeding was off
    dominant: list[str]  # the warnings of a cluster taking over

    @property
    def guards_fired(self) -> int:
        return len(self.reseeded) + len(self.empty) + len(self.dominant)


def deepcluster_rounds(events: Sequence[dict[str, Any]]) -> Rounds:
    """The rounds recorded by a DeepCluster run (each {round, sizes, largest_share, scores?, reseeded?,
    empty?, warning?}) as chart rows and guard sentences."""
    score_rows = [
        {"round": e["round"], "measure": name.upper(), "value": value}
        for e in events
        for name, value in e.get("scores", {}).items()
    ]
    score_rows += [
        {"round": e["round"], "measure": "largest cluster share", "value": e["largest_share"]} for e in events
    ]
    return Rounds(
        score_rows=score_rows,
        round_ids=[int(e["round"]) for e in events],
        sizes=[[int(n) for n in e["sizes"]] for e in events],
        reseeded=[
            f"round {e['round']}: cluster {a} was empty, re-seeded from cluster {b}"
            for e in events
            for a, b in e.get("reseeded", [])
        ],
        empty=[
            f"round {e['round']}: cluster(s) {', '.join(map(str, e['empty']))} left empty (re-seeding is off)"
            for e in events
            if e.get("empty")
        ],
        dominant=[f"round {e['round']}: {e['warning']}" for e in events if e.get("warning")],
    )


@dataclass(frozen=True)
class DeepClusterDefaults:
    """Where DeepCluster's train-live controls start on one set."""

    batch_sizes: list[int]  # the batch sizes the set can fill
    batch_size: int
    max_clusters: int  # no more clusters than training images (k-means needs a member per cluster)
    clusters: int  # the set's number of classes (10 when unlabelled), at most `max_clusters`


def deepcluster_live_defaults(data: ImageDataset) -> DeepClusterDefaults:
    """k = the number of classes (ACC against the labels needs it), 10 on an unlabelled set, never more than
    the training images; batches the training split can fill."""
    n = training_images(data)
    max_clusters = max(2, min(MAX_CLUSTERS, n))
    clusters = min(data.num_classes or UNLABELLED_CLUSTERS, max_clusters)
    options, batch = batch_choice(data, BATCH_SIZES, LIVE_BATCH)
    return DeepClusterDefaults(options, batch, max_clusters, max(2, clusters))
