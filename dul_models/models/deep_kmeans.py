"""The k-means step of deep clustering, on the device, with DeepCluster's guard against empty clusters.

Spherical Lloyd steps (features and centroids on the unit sphere, similarity = dot product), written
out rather than scikit-learn's `KMeans` because scikit-learn silently moves an empty centroid to a far
point — the very event the DeepCluster family records and the clustering page shows. The first round's
seeds are scikit-learn's k-means++; later rounds start from the last round's clusters (`member_means`),
so cluster ids stay comparable from round to round.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

RESEED_EPSILON = 1e-3  # the paper's perturbation between an empty cluster's new centroid and its donor's


def kmeans_plusplus_init(z: torch.Tensor, k: int, seed: int) -> torch.Tensor:
    """k-means++ seeds (scikit-learn's) for unit-norm features z (N, D): (k, D) on z's device."""
    from sklearn.cluster import kmeans_plusplus

    centres, _ = kmeans_plusplus(z.float().cpu().numpy(), k, random_state=seed)
    return F.normalize(torch.from_numpy(centres).to(z.device), dim=1)


def spherical_kmeans(
    z: torch.Tensor,
    centroids: torch.Tensor,
    iters: int,
    reseed_empty: bool,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, int]]]:
    """Lloyd steps on the unit sphere: assign each row of z (N, D) to its most similar centroid (k, D),
    move each centroid to its members' normalised mean. Returns assignments (N,), centroids and the
    guard's firings (empty cluster, donor). Without the guard an empty centroid simply stays put."""
    centroids = centroids.clone()
    k = centroids.shape[0]
    reseeded: list[tuple[int, int]] = []
    for _ in range(iters):
        assign = (z @ centroids.T).argmax(1)  # (N,)
        sizes = torch.bincount(assign, minlength=k)
        if reseed_empty and bool((sizes == 0).any()):
            for empty in torch.nonzero(sizes == 0).flatten().tolist():
                donor = int(torch.multinomial(sizes.float().cpu(), 1, generator=generator))
                nudge = RESEED_EPSILON * torch.randn(centroids.shape[1], generator=generator).to(z.device)
                centroids[empty] = F.normalize(centroids[donor] + nudge, dim=0)
                centroids[donor] = F.normalize(centroids[donor] - nudge, dim=0)
                sizes[donor] //= 2  # the two now share its members: a smaller chance to donate again
                reseeded.append((empty, donor))
            assign = (z @ centroids.T).argmax(1)
        sums = torch.zeros_like(centroids).index_add_(0, assign, z)  # (k, D)
        filled = torch.bincount(assign, minlength=k) > 0
        centroids[filled] = F.normalize(sums[filled], dim=1)
    assign = (z @ centroids.T).argmax(1)
    return assign, centroids, reseeded


def member_means(
    z: torch.Tensor, assign: torch.Tensor, k: int, fallback: torch.Tensor | None = None
) -> torch.Tensor:
    """Each cluster's normalised mean of its members' rows of z (k, d); an empty one keeps `fallback`'s row
    (or stays zero, which the next k-means step treats as a centroid no image is near)."""
    sums = torch.zeros(k, z.shape[1], device=z.device).index_add_(0, assign, z)
    means = F.normalize(sums, dim=1)
    if fallback is not None:
        empty = torch.bincount(assign, minlength=k) == 0
        means[empty] = fallback[empty]
    return means
