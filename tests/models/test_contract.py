"""One contract every family in FAMILIES keeps: build → train steps → save/load → evaluate → verbs.

Each family brings its own `tiny_config` (and, when 8×8 grey digits cannot hold it, its `tiny_dataset`),
so a new family is covered by registering it, with no edit here.
"""

from __future__ import annotations

import inspect
import math

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import get_dataset, to_float
from dul_models.models import FAMILIES, build_model, config_from_dict
from dul_models.models.base import VERBS
from dul_models.runs import checkpoints
from dul_models.train.trainer import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py
FAMILY_NAMES = sorted(FAMILIES)


def tiny(name: str, dataset, seed: int = 0):
    return build_model(name, {**FAMILIES[name].tiny_config, "image_shape": dataset.image_shape}, seed=seed)


def finite_numbers(metrics: dict) -> list[float]:
    return [v for v in metrics.values() if isinstance(v, int | float) and not isinstance(v, bool)]


def outputs_of(value) -> list[torch.Tensor]:
    return [value] if isinstance(value, torch.Tensor) else [v for v in value if isinstance(v, torch.Tensor)]


@pytest.fixture(scope="module")
def datasets(digits):
    """Each family's `tiny_dataset` (digits for most), loaded once."""
    names = {FAMILIES[name].model_cls.tiny_dataset for name in FAMILY_NAMES}
    return {dataset: digits if dataset == "digits" else get_dataset(dataset) for dataset in names}


@pytest.fixture(scope="module")
def trained(datasets, tmp_path_factory):
    """Each family trained for 3 steps on its tiny dataset and saved, then loaded back."""
    runs = {}
    for name in FAMILY_NAMES:
        dataset = datasets[FAMILIES[name].model_cls.tiny_dataset]
        model = tiny(name, dataset)
        run_dir = tmp_path_factory.mktemp(name) / "run"
        config = TrainConfig(steps=3, batch_size=16, eval_items=40, full_final_eval=False, log_every=1)
        trainer = Trainer(model, dataset, config, run_dir=run_dir)
        trainer.fit()
        runs[name] = (trainer, checkpoints.load_run(run_dir).model, dataset)
    return runs


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_build_step_save_load_evaluate(name, trained):
    trainer, loaded, dataset = trained[name]
    model = trainer.model.eval()
    assert [row["step"] for row in trainer.history] == [1, 2, 3]
    assert all(math.isfinite(row["loss"]) for row in trainer.history)
    assert model.state_dict().keys() == loaded.state_dict().keys()
    saved = loaded.state_dict()
    assert all(torch.equal(value, saved[key]) for key, value in model.state_dict().items())
    x = to_float(dataset.test.x[:6])
    images, nrow = loaded.preview(x)
    assert images.ndim == 4 and images.shape[1:] == dataset.image_shape and images.shape[0] % nrow == 0
    assert torch.equal(images, model.preview(x)[0])  # the saved run behaves exactly like the trained one
    metrics = loaded.evaluate(to_float(dataset.test.x[:40]), dataset.test.y[:40], quick=True)
    numbers = finite_numbers(metrics)
    assert numbers and all(math.isfinite(v) for v in numbers)
    with pytest.raises(ConfigError, match="unknown evaluation option"):
        loaded.evaluate(x, dataset.test.y[:6], quick=True, no_such_option=1)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_capabilities_are_the_verbs_the_class_defines(name):
    family = FAMILIES[name]
    assert family.capabilities == {v for v in VERBS if callable(getattr(family.model_cls, v, None))}
    assert family.title and family.description and family.config_cls is family.model_cls.config_cls
    assert all(recipe.family == name for recipe in family.recipes)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_inference_verbs_run_without_gradients(name, trained):
    _, model, dataset = trained[name]
    x = to_float(dataset.test.x[:4]).clone().requires_grad_(True)
    caps = FAMILIES[name].capabilities
    for verb in {"embed", "encode", "reconstruct", "log_prob", "classify"} & caps:
        assert not any(t.requires_grad for t in outputs_of(getattr(model, verb)(x))), verb
    if {"embed", "decode"} <= caps:
        z = model.embed(x).clone().requires_grad_(True)
        assert not model.decode(z).requires_grad
    if "embed" in caps:
        features = model.embed(x)
        assert features.ndim == 2 and features.shape[0] == 4 and features.dtype == torch.float32
        assert torch.equal(features, model.embed(x))  # deterministic: eval mode, no sampling


@pytest.mark.parametrize("name", [n for n in FAMILY_NAMES if "sample" in FAMILIES[n].capabilities])
def test_one_sampling_signature(name, trained):
    _, model, dataset = trained[name]
    parameters = inspect.signature(model.sample).parameters
    assert list(parameters)[0] == "n" and parameters["n"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert parameters["generator"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["generator"].default is None
    assert parameters["temperature"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["temperature"].default == 1.0
    first = model.sample(3, generator=torch.Generator().manual_seed(5), temperature=0.9)
    again = model.sample(3, generator=torch.Generator().manual_seed(5), temperature=0.9)
    assert first.shape == (3, *dataset.image_shape) and not first.requires_grad
    assert torch.equal(first, again) and 0 <= float(first.min()) <= float(first.max()) <= 1


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_configs_come_from_json_and_name_a_bad_field(name):
    family = FAMILIES[name]
    config = config_from_dict(family.config_cls, {**family.tiny_config, "image_shape": [1, 8, 8]})
    assert config.image_shape == (1, 8, 8)
    with pytest.raises(ConfigError, match="unknown config field 'no_such_field'"):
        build_model(name, {"no_such_field": 1})
    with pytest.raises(ConfigError, match="lr must be > 0"):
        build_model(name, {"image_shape": (1, 8, 8), "lr": 0.0})
