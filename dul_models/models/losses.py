"""Self- and semi-supervised losses and the diagnostics that go with them, written out by hand to be read.

- NT-Xent: Chen, Kornblith, Norouzi & Hinton, ICML 2020, "A simple framework for contrastive learning
  of visual representations" (SimCLR).
- InfoNCE with a queue of negatives: He, Fan, Wu, Xie & Girshick, CVPR 2020, "Momentum contrast for
  unsupervised visual representation learning" (MoCo); the bound itself is van den Oord, Li & Vinyals
  (2018), "Representation learning with contrastive predictive coding".
- Alignment and uniformity: Wang & Isola, ICML 2020, "Understanding contrastive representation
  learning through alignment and uniformity on the hypersphere".
- Embedding std as a collapse check: Chen & He, CVPR 2021, "Exploring simple Siamese representation
  learning" (SimSiam).
- Semi-supervised: FixMatch's masked cross-entropy on pseudo-labels (Sohn et al., NeurIPS 2020) and Mean
  Teacher's consistency (Tarvainen & Valpola, NeurIPS 2017).

Every function is pure (no state, any device) and checks its arguments first, raising `ConfigError`,
so a bad temperature or a mismatched pair of views fails with a message rather than a NaN later.
Similarities are computed in float32 (or float64 if given) even under autocast: at temperatures like
0.1, half-precision cosines lose the small differences between negatives that the softmax amplifies.
"""

from __future__ import annotations

import contextlib
import math
import numbers

import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError

__all__ = [
    "alignment",
    "contrastive_logits",
    "embedding_std",
    "info_nce",
    "nt_xent",
    "positive_share",
    "uniformity",
]


# ---------------------------------------------------------------------------------------------------
# Argument checks and precision
# ---------------------------------------------------------------------------------------------------


def _check_positive(value: float, name: str) -> float:
    """A finite number > 0: temperatures and exponents outside that make the loss NaN or meaningless."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be a finite number > 0, got {value!r} ({type(value).__name__})")
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_embeddings(z: torch.Tensor, name: str, min_batch: int) -> None:
    """A floating (B, D) tensor with at least `min_batch` rows and at least one dimension."""
    if not isinstance(z, torch.Tensor):
        raise ConfigError(f"{name} must be a torch.Tensor of shape (B, D), got {type(z).__name__}")
    if z.ndim != 2:
        raise ConfigError(f"{name} must have shape (B, D), got {tuple(z.shape)}")
    if not z.is_floating_point():
        raise ConfigError(f"{name} must be a floating-point tensor, got {z.dtype}")
    if z.shape[0] < min_batch:
        raise ConfigError(f"{name} needs a batch of at least {min_batch} rows, got {z.shape[0]}")
    if z.shape[1] < 1:
        raise ConfigError(f"{name} needs at least one dimension, got shape {tuple(z.shape)}")


def _check_pair(z1: torch.Tensor, z2: torch.Tensor, names: tuple[str, str], min_batch: int) -> None:
    """Two views of the same batch: same shape, same device."""
    _check_embeddings(z1, names[0], min_batch)
    _check_embeddings(z2, names[1], min_batch)
    if z1.shape != z2.shape:
        raise ConfigError(
            f"{names[0]} and {names[1]} must have the same shape (B, D), "
            f"got {tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    if z1.device != z2.device:
        raise ConfigError(f"{names[0]} and {names[1]} must be on one device, got {z1.device} and {z2.device}")


def _full_precision(device: torch.device) -> contextlib.AbstractContextManager:
    """Switch autocast off so the matmuls below really run in the dtype we cast to."""
    if torch.amp.is_autocast_available(device.type):
        return torch.autocast(device.type, enabled=False)
    return contextlib.nullcontext()


def _unit_rows(z: torch.Tensor) -> torch.Tensor:
    """L2-normalise each row, in at least float32 (float64 stays float64)."""
    return F.normalize(z.to(torch.promote_types(z.dtype, torch.float32)), dim=1)


# ---------------------------------------------------------------------------------------------------
# Contrastive losses
# ---------------------------------------------------------------------------------------------------


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's loss: each of the 2B views must pick out its partner among the other 2B − 1.

    z1, z2 are the (B, D) projections of two augmentations of the same B images, row i of each from
    image i; they are L2-normalised here. Anchor i's positive is its other view; the remaining 2B − 2
    samples are its negatives. Its own similarity (always 1/T, the largest) is masked with −inf so it
    gets zero probability instead of being subtracted out. The result is the mean over the 2B anchors,
    i.e. the mean of the view1→view2 and view2→view1 losses.
    """
    _check_pair(z1, z2, ("z1", "z2"), min_batch=2)
    temperature = _check_positive(temperature, "temperature")
    batch = z1.shape[0]
    with _full_precision(z1.device):
        z = _unit_rows(torch.cat([z1, z2], dim=0))  # (2B, D): rows 0..B-1 view 1, B..2B-1 view 2
        logits = z @ z.T / temperature  # (2B, 2B) cosine / T
        is_self = torch.eye(2 * batch, dtype=torch.bool, device=z.device)
        logits = logits.masked_fill(is_self, float("-inf"))
        positive = (torch.arange(2 * batch, device=z.device) + batch) % (2 * batch)  # (2B,) the other view
        return F.cross_entropy(logits, positive)


def info_nce(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float) -> torch.Tensor:
    """MoCo's loss: each query must pick out its own key among the key plus K queued negatives.

    q (B, D) are queries from the encoder being trained; k (B, D) are keys of the other view from the
    momentum encoder, the positives. Keys and the queue are treated as constants (detached): in MoCo
    only the query encoder learns by gradient, the key encoder follows it by moving average. q and k
    are L2-normalised here; the queue's (K, D) rows are assumed already normalised, since they are keys
    that were normalised when they were enqueued. K = 0 is allowed (then the loss is 0: no negatives).
    Logits are [q·k, q·queueᵀ] / T, the target is column 0, and the result is the mean over B.
    """
    _check_pair(q, k, ("q", "k"), min_batch=1)  # negatives come from the queue, so B = 1 is fine
    temperature = _check_positive(temperature, "temperature")
    if not isinstance(queue, torch.Tensor) or queue.ndim != 2 or queue.shape[1] != q.shape[1]:
        shape = tuple(queue.shape) if isinstance(queue, torch.Tensor) else type(queue).__name__
        raise ConfigError(f"queue must have shape (K, D) with D = {q.shape[1]} like q, got {shape}")
    if not queue.is_floating_point():
        raise ConfigError(f"queue must be a floating-point tensor, got {queue.dtype}")
    if queue.device != q.device:
        raise ConfigError(f"queue must be on q's device {q.device}, got {queue.device}")
    with _full_precision(q.device):
        q = _unit_rows(q)  # (B, D)
        k = _unit_rows(k.detach())  # (B, D)
        negatives = queue.detach().to(q.dtype)  # (K, D), already unit rows
        positive_logit = (q * k).sum(dim=1, keepdim=True)  # (B, 1)
        negative_logits = q @ negatives.T  # (B, K)
        logits = torch.cat([positive_logit, negative_logits], dim=1) / temperature  # (B, 1 + K)
        target = torch.zeros(q.shape[0], dtype=torch.long, device=q.device)  # the positive is column 0
        return F.cross_entropy(logits, target)


def contrastive_logits(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """(B, B) cosine similarity of every view-1 row with every view-2 row, divided by T.

    Row i asks "which view-2 sample is the partner of view-1 sample i?"; the answer is the diagonal.
    This is the board of the app's InfoNCE game.
    """
    _check_pair(z1, z2, ("z1", "z2"), min_batch=2)
    temperature = _check_positive(temperature, "temperature")
    with _full_precision(z1.device):
        return _unit_rows(z1) @ _unit_rows(z2).T / temperature  # (B, B)


def positive_share(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """(B,) the probability each view-1 anchor gives its own partner: softmax of its row, at the diagonal.

    −log of it is the per-anchor loss of one-directional (view1→view2) InfoNCE with in-batch negatives,
    so the mean of −log(positive_share) is that loss; 1/B is chance, 1 is a perfect pick.
    """
    logits = contrastive_logits(z1, z2, temperature)  # (B, B)
    return logits.softmax(dim=1).diagonal()  # (B,)


# ---------------------------------------------------------------------------------------------------
# Diagnostics of the embedding space
# ---------------------------------------------------------------------------------------------------


def alignment(z1: torch.Tensor, z2: torch.Tensor, alpha: float = 2.0) -> torch.Tensor:
    """Mean over positive pairs of ‖f(x) − f(y)‖₂^α on unit vectors: 0 when both views map to one point.

    Wang & Isola's alignment (lower is better); rows are L2-normalised here, so it lies in [0, 2^α].
    """
    _check_pair(z1, z2, ("z1", "z2"), min_batch=1)
    alpha = _check_positive(alpha, "alpha")
    return (_unit_rows(z1) - _unit_rows(z2)).norm(dim=1).pow(alpha).mean()


def uniformity(z: torch.Tensor, t: float = 2.0) -> torch.Tensor:
    """log of the mean over pairs i < j of exp(−t‖zᵢ − zⱼ‖²) on unit vectors: how evenly z covers the sphere.

    Wang & Isola's uniformity (lower is better). It is 0 when every row is the same point (collapse)
    and falls towards −t·2 = −4 (for t = 2) as the points spread out on a high-dimensional sphere.
    """
    _check_embeddings(z, "z", min_batch=2)  # it needs at least one pair
    t = _check_positive(t, "t")
    squared_distances = torch.pdist(_unit_rows(z), p=2).pow(2)  # (B(B-1)/2,) one per pair i < j
    return squared_distances.mul(-t).exp().mean().log()


def embedding_std(z: torch.Tensor) -> torch.Tensor:
    """Mean over dimensions of the std over the batch of L2-normalised z: SimSiam's collapse check.

    For healthy embeddings spread over the sphere each coordinate has std about 1/√D; when the network
    collapses to one output it drops to near 0. The std is torch's default (unbiased, over B − 1).
    """
    _check_embeddings(z, "z", min_batch=2)  # a std needs two rows
    return _unit_rows(z).std(dim=0).mean()


# --- Semi-supervised -------------------------------------------------------------------------------


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Cross-entropy (logits (N, K), targets (N,)) averaged over all N images, masked ones counting 0."""
    return (F.cross_entropy(logits.float(), targets, reduction="none") * mask.float()).mean()


def consistency_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor) -> torch.Tensor:
    """Squared distance between the student's and the teacher's class probabilities, mean over images."""
    return (F.softmax(student_logits.float(), dim=1) - teacher_probs).pow(2).sum(1).mean()


# --- Few-shot --------------------------------------------------------------------------------------


def prototypical_logits(support: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
    """Prototypical networks (Snell et al. 2017): −‖q − c_n‖² to each class mean c_n of the supports.

    support (E, N, K, D) embeddings of E episodes (class-major), query (E, M, D) → logits (E, M, N).
    Squared Euclidean distance makes the classifier a linear model in q: the paper's finding that it
    beats cosine distance for prototypes.
    """
    prototypes = support.float().mean(2)  # (E, N, D)
    return -torch.cdist(query.float(), prototypes).pow(2)  # (E, M, N)


def matching_logits(support: torch.Tensor, query: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Matching networks (Vinyals et al. 2016), without full-context embeddings: each query attends to
    every support image by a softmax of cosine similarities (divided by `temperature`) and a class's
    probability is the attention its supports receive: a soft, learnable kNN.

    support (E, N, K, D), query (E, M, D) → log-probabilities (E, M, N), ready for `F.nll_loss`.
    """
    temperature = _check_positive(temperature, "temperature")
    e, n, k, d = support.shape
    keys = _unit_rows(support.float().reshape(e * n * k, d)).reshape(e, n * k, d)
    similarity = _unit_rows(query.float().reshape(-1, d)).reshape(e, -1, d) @ keys.transpose(
        1, 2
    )  # (E, M, N·K)
    attention = (similarity / temperature).softmax(dim=2).reshape(e, -1, n, k)  # (E, M, N, K)
    return attention.sum(3).clamp_min(1e-12).log()  # (E, M, N)


def sigmoid_rampup(step: int, rampup_steps: int) -> float:
    """Mean Teacher's ramp: exp(−5(1 − t/T)²) rising from 0.0067 to 1 over T steps, then 1."""
    if rampup_steps == 0 or step >= rampup_steps:
        return 1.0
    return math.exp(-5.0 * (1.0 - step / rampup_steps) ** 2)
