"""DeepCluster: the spherical k-means against a naive loop, each guard firing (and not, when switched
off), balanced sampling, the round records, labels used only for scoring, and a short run that learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError
from dul_models.models import build_model
from dul_models.models.deep_kmeans import kmeans_plusplus_init, spherical_kmeans
from dul_models.models.deepcluster import DeepCluster
from dul_models.train.trainer import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


def tiny(**overrides) -> DeepCluster:
    config = {"width": 4, "clusters": 3, "steps_per_round": 2, "kmeans_iters": 3, "image_shape": (1, 8, 8)}
    return build_model("deepcluster", {**config, **overrides}, seed=0)


def naive_spherical_kmeans(z: np.ndarray, centroids: np.ndarray, iters: int) -> np.ndarray:
    """One point at a time: nearest centroid by cosine, then each centroid = its members' normalised mean."""
    centroids = centroids.copy()
    for _ in range(iters):
        assign = np.array([int(np.argmax([row @ c for c in centroids])) for row in z])
        for j in range(len(centroids)):
            members = z[assign == j]
            if len(members):
                mean = members.sum(0)
                centroids[j] = mean / np.linalg.norm(mean)
    return np.array([int(np.argmax([row @ c for c in centroids])) for row in z])


def test_spherical_kmeans_matches_a_naive_loop():
    z = F.normalize(torch.randn(60, 5, generator=torch.Generator().manual_seed(0)), dim=1)
    start = z[:4].clone()
    assign, centroids, reseeded = spherical_kmeans(z, start, 5, True, torch.Generator().manual_seed(0))
    expected = naive_spherical_kmeans(z.numpy(), start.numpy(), 5)
    assert assign.tolist() == expected.tolist() and reseeded == []
    assert torch.allclose(centroids.norm(dim=1), torch.ones(4))


def test_empty_cluster_is_reseeded_from_a_non_empty_one_or_left_empty_without_the_guard():
    z = F.normalize(torch.tensor([[1.0, 0.1], [1.0, -0.1], [1.0, 0.0], [0.9, 0.05]]), dim=1)
    start = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])  # the second centroid points away from every point
    assign, _, reseeded = spherical_kmeans(z, start, 4, True, torch.Generator().manual_seed(0))
    assert reseeded[0] == (1, 0)  # empty cluster 1, seeded from cluster 0 (the only donor)
    assert set(assign.tolist()) == {0, 1}  # the two now split the points
    assign, centroids, reseeded = spherical_kmeans(z, start, 4, False, torch.Generator().manual_seed(0))
    assert reseeded == [] and set(assign.tolist()) == {0}
    assert torch.equal(centroids[1], start[1])  # an empty centroid stays put


def test_kmeans_plusplus_start_is_unit_norm_rows_of_the_data_space():
    z = F.normalize(torch.randn(30, 6), dim=1)
    start = kmeans_plusplus_init(z, 4, seed=0)
    assert start.shape == (4, 6) and torch.allclose(start.norm(dim=1), torch.ones(4))


def test_config_and_batch_source_reject_impossible_values(digits):
    for bad in ({"clusters": 1}, {"steps_per_round": 0}, {"dominant_share": 0.0}, {"whiten_dim": -1}):
        with pytest.raises(ConfigError):
            tiny(**bad)
    model = tiny(clusters=50)
    x, y = digits.train.x[:20], digits.train.y[:20]
    with pytest.raises(ConfigError, match=r"clusters \(50\) cannot exceed the 20 training images"):
        model.batch_source(x, y, 8, torch.Generator())


def test_rounds_are_recorded_and_batches_carry_pseudo_labels(digits):
    model = tiny(clusters=4, steps_per_round=3)
    batches = model.batch_source(digits.train.x, digits.train.y, 16, torch.Generator().manual_seed(0))
    first = [next(batches) for _ in range(3)]
    assert len(model.rounds) == 1 and all(int(b.y.max()) < 4 for b in first)
    next(batches)  # the fourth batch starts round 2
    events = model.training_events()
    assert [e["round"] for e in events] == [0, 1] and [e["step"] for e in events] == [0, 3]
    assert sum(events[0]["sizes"]) == len(digits.train) and set(events[0]["scores"]) == {"acc", "nmi", "ari"}


def test_labels_are_used_only_for_scoring(digits):
    """The same run with scrambled true labels trains to identical weights: only the scores differ."""
    weights = []
    for scramble in (False, True):
        y = (
            digits.train.y[torch.randperm(len(digits.train.y), generator=torch.Generator().manual_seed(1))]
            if scramble
            else digits.train.y
        )
        model = tiny()
        batches = model.batch_source(digits.train.x, y, 16, torch.Generator().manual_seed(0))
        optimizers = model.make_optimizers()
        torch.manual_seed(0)
        for _ in range(5):
            model.train_step(next(batches), optimizers, None)
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(weights[0], weights[1])


def test_balanced_sampling_evens_out_pseudo_classes(digits):
    counts = {}
    for balanced in (True, False):
        model = tiny(clusters=6, steps_per_round=50, balanced=balanced, whiten_dim=0)
        batches = model.batch_source(digits.train.x, digits.train.y, 64, torch.Generator().manual_seed(0))
        labels = torch.cat([next(batches).y for _ in range(50)])
        sizes = np.array(model.rounds[0].sizes, dtype=float)
        counts[balanced] = (np.bincount(labels.numpy(), minlength=6) / labels.numel(), sizes / sizes.sum())
    drawn, _ = counts[True]
    assert np.abs(drawn - 1 / 6).max() < 0.03  # every pseudo-class about equally often
    drawn, share = counts[False]
    assert np.abs(drawn - share).max() < 0.03  # uniform over images: in proportion to cluster sizes


def test_dominant_cluster_warning_names_the_cluster(digits):
    model = tiny(clusters=2, dominant_share=0.01)  # any cluster is "dominant": the warning must fire
    next(model.batch_source(digits.train.x, digits.train.y, 8, torch.Generator()))
    record = model.rounds[0]
    assert record.warning and f"cluster {int(np.argmax(record.sizes))} holds" in record.warning


def test_short_run_beats_chance_and_reports_its_clusters(digits, tmp_path):
    model = build_model(
        "deepcluster", {"width": 8, "clusters": 10, "steps_per_round": 20, "image_shape": (1, 8, 8)}, seed=0
    )
    config = TrainConfig(steps=80, batch_size=64, eval_every=1000, full_final_eval=False)
    metrics = Trainer(model, digits, config, run_dir=tmp_path / "run").fit()
    assert {"cluster_acc", "nmi", "ari", "largest_cluster_share"} <= set(metrics)
    assert metrics["cluster_acc"] > 0.3 and metrics["nmi"] > 0.3  # chance: 0.1-ish ACC, ~0 NMI
    assert len(model.rounds) == 4 and all(r.scores["acc"] > 0.3 for r in model.rounds)
    saved = (tmp_path / "run" / "metrics.json").read_text()
    assert '"events"' in saved and '"reseeded"' in saved
