"""Matching networks (Vinyals et al., NeurIPS 2016, "Matching networks for one shot learning").

The classifier is a soft nearest-neighbour vote: a query attends to every support image with a softmax
of cosine similarities, and a class's probability is the attention its supports receive. Meta-training
on episodes shapes the embedding for that vote, as ProtoNet's does for class means. The paper's
"full context embeddings" (LSTMs that read the whole support set) are left out: Snell et al. found they
add little on Omniglot-like data, and the page compares the two rules on one backbone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dul_models.core.errors import ConfigError
from dul_models.models.episode_solvers import MATCHING_TEMPERATURE
from dul_models.models.episodic import MetricConfig, MetricLearner


@dataclass
class MatchingConfig(MetricConfig):
    temperature: float = MATCHING_TEMPERATURE  # cosine in [-1, 1] / 0.1: a softmax sharp enough to pick

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ConfigError(f"temperature must be a finite number > 0, got {self.temperature!r}")


class MatchingNetwork(MetricLearner):
    """Backbone → embedding; a query's class is an attention-weighted vote of the supports."""

    family = "matching"
    config_cls = MatchingConfig
    metric = "matching"
    title = "Matching network (few-shot)"
    description = (
        "An embedding meta-trained so that a soft nearest-neighbour vote over the supports is right."
    )
    recipes = ()
    tiny_config = {**MetricLearner.tiny_config, "width": 4}

    @property
    def temperature(self) -> float:
        return self.config.temperature
