from __future__ import annotations

import pytest

from dul_models.core.errors import ConfigError
from dul_models.models import FAMILIES, Recipe
from dul_models.train import bundled


def test_recipes_come_from_the_families_in_dependency_order():
    recipes = bundled.all_recipes()
    names = [r.name for r in recipes]
    assert sorted(names) == sorted(r.name for f in FAMILIES.values() for r in f.recipes)
    assert len(set(names)) == len(names)
    for index, recipe in enumerate(recipes):
        assert all(names.index(need) < index for need in recipe.requires), recipe.name
    assert names.index("classifier-mnist5k") < names.index("dcgan-mnist5k")
    assert bundled.get_recipe("dcgan-mnist5k").requires == ("classifier-mnist5k",)
    with pytest.raises(ConfigError, match="unknown bundled run 'nope'"):
        bundled.get_recipe("nope")


def test_a_missing_requirement_is_refused_before_training(tmp_path, monkeypatch):
    monkeypatch.setenv("DUL_BUNDLED_DIR", str(tmp_path))  # nothing bundled here
    with pytest.raises(ConfigError, match="requires the bundled run"):
        bundled.build_bundled(["dcgan-mnist5k"])


def test_circular_and_unknown_requirements_are_named(monkeypatch):
    a = Recipe("a", "vae", "digits", "A", requires=("b",))
    b = Recipe("b", "vae", "digits", "B", requires=("a",))
    lonely = Recipe("c", "vae", "digits", "C", requires=("missing",))
    for recipes, message in (((a, b), "circle"), ((lonely,), "which no family defines")):
        monkeypatch.setattr(FAMILIES["vae"].model_cls, "recipes", recipes)
        with pytest.raises(ConfigError, match=message):
            bundled.all_recipes()
