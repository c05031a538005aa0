"""Prototypical networks (Snell, Swersky & Zemel, NeurIPS 2017, "Prototypical networks for few-shot learning").

An embedding f is trained on episodes of base classes so that each query lands nearest the mean of its
class's supports (the prototype c_n): p(y = n | q) = softmax_n(−‖f(q) − c_n‖²). Squared Euclidean distance
makes this a linear classifier in f(q) (weights 2c_n, bias −‖c_n‖²), a Gaussian classifier with a shared
covariance, which the paper found better than cosine distance. At test time nothing is trained: the
supports of novel classes give new prototypes, and the query goes to the nearest.
"""

from __future__ import annotations

from dataclasses import dataclass

from dul_models.models.base import Recipe
from dul_models.models.episodic import MetricConfig, MetricLearner


@dataclass
class ProtoNetConfig(MetricConfig):
    pass


class ProtoNet(MetricLearner):
    """Backbone → embedding; a query's class is the nearest class mean of the supports."""

    family = "protonet"
    config_cls = ProtoNetConfig
    metric = "protonet"
    title = "Prototypical network (few-shot)"
    description = "An embedding meta-trained on episodes so that each query lands nearest its class mean."
    recipes = (
        Recipe(
            name="protonet-mnist5k",
            family="protonet",
            dataset="mnist5k",
            title="ProtoNet, meta-trained on digits 0–4 (tested on 5–9)",
            # five base classes are little to learn a metric from; measured on novel 5–9, 5-way 1-shot, 1,000
            # steps: width 16 0.706, width 32 + warps 0.732, rotated classes 0.691, 5-shot training 0.724
            model_config={"train_way": 5, "train_shot": 1, "train_queries": 15, "width": 32, "augment": 1.0},
            train={"steps": 1500, "seed": 0, "eval_every": 250, "lr_schedule": "cosine"},
        ),
        Recipe(
            name="protonet-glyphs",
            family="protonet",
            dataset="glyphs",
            title="ProtoNet, meta-trained on 240 glyph classes (tested on 100 unseen)",
            model_config={"train_way": 20, "train_shot": 1, "train_queries": 5},
            train={"steps": 2000, "seed": 0, "eval_every": 250, "lr_schedule": "cosine"},
        ),
    )
    tiny_config = {**MetricLearner.tiny_config, "width": 4}
