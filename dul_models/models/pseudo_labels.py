"""Pseudo-labels: a model's class probabilities on unlabelled images, scored against the hidden labels."""

from __future__ import annotations

from typing import Any

import torch

from dul_models.core.devices import eval_mode
from dul_models.data import to_float

CHUNK = 500  # images per forward pass: bounded memory on any device


@torch.no_grad()
def class_probabilities(
    model: Any, x: torch.Tensor, device: torch.device | str | None = None
) -> torch.Tensor:
    """`model.classify` over uint8 or float images (N, C, H, W), in chunks, in eval mode: (N, classes) on the CPU."""

    if device is None:  # wherever the model's weights are (a model without any runs on the CPU)
        tensors = [*model.parameters(), *model.buffers()]
        device = tensors[0].device if tensors else "cpu"
    with eval_mode(model):
        chunks = [
            model.classify(to_float(x[s : s + CHUNK]).to(device)).float().cpu()
            for s in range(0, len(x), CHUNK)
        ]
    return torch.cat(chunks)


def pseudo_label_scores(probs: torch.Tensor, hidden: torch.Tensor, threshold: float) -> dict[str, float]:
    """`mask_rate`: share of images whose top probability reaches τ; `pseudo_label_acc`: how many of
    those pseudo-labels match the hidden labels (of all images when none reaches τ, so it stays finite)."""
    confidence, pseudo = probs.max(1)
    mask = confidence >= threshold
    correct = (pseudo == hidden).float()
    accuracy = correct[mask].mean() if bool(mask.any()) else correct.mean()
    return {"mask_rate": float(mask.float().mean()), "pseudo_label_acc": float(accuracy)}
