"""The library's layer order is a test, not a wish (DESIGN section 1-2): a module imports only its own
layer or lower ones, imports inside functions included; the app reaches the library through its face."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# lowest first; `dul_models` itself (the package's face and `python -m`) stands above all of them
LAYERS = ("core", "data", "metrics", "models", "runs", "features", "train", "explore", "cli")


def layer_of(module: str) -> int:
    """The layer index of a dul_models module name ("dul_models.models.vae" → 3)."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in ("__main__",):
        return len(LAYERS)
    if parts[1] not in LAYERS:
        raise AssertionError(f"{module} sits in no layer; the layers are {', '.join(LAYERS)}")
    return LAYERS.index(parts[1])


def imported_modules(path: Path) -> set[str]:
    """Every dul_models module (or package) a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "dul_models"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "dul_models":
                found |= (
                    {node.module}
                    if node.module != "dul_models"
                    else {f"dul_models.{a.name}" for a in node.names}
                )
    return found


def upward_imports(package: Path) -> list[str]:
    """`file -> module` for every import of a higher layer under `package` (a dul_models tree)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        name = ".".join(path.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
        if name == "dul_models":
            continue  # the face re-exports names from every layer, lazily
        own = layer_of(name)
        for target in sorted(imported_modules(path)):
            if layer_of(target) > own:
                found.append(f"{path.relative_to(package.parent)} -> {target}")
    return found


def test_every_library_module_imports_only_its_layer_or_lower_ones():
    assert upward_imports(ROOT / "dul_models") == []


def test_the_layer_check_catches_a_planted_upward_import(tmp_path):
    tree = tmp_path / "dul_models"
    shutil.copytree(ROOT / "dul_models", tree, ignore=shutil.ignore_patterns("__pycache__"))
    victim = tree / "models" / "vae.py"
    victim.write_text(
        victim.read_text() + "\n\ndef _planted():\n    from dul_models.explore import vae  # noqa\n"
    )
    assert upward_imports(tree) == ["dul_models/models/vae.py -> dul_models.explore"]


@pytest.mark.parametrize("layer", LAYERS)
def test_every_layer_is_a_package(layer):
    assert (ROOT / "dul_models" / layer / "__init__.py").exists()
