"""House rules that code review alone would let slip."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_library_never_imports_streamlit():
    offenders = []
    for path in (ROOT / "dul_models").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_importing_the_library_loads_no_streamlit_and_runs_nothing():
    code = "import sys, dul_models.__main__, dul_models.cli.main, dul_models.train.jobs, dul_models.train.bundled; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_no_legacy_pages_folder_and_no_pickle_loading():
    assert not (ROOT / "app" / "pages").exists()
    for path in list((ROOT / "dul_models").rglob("*.py")) + list((ROOT / "app").rglob("*.py")):
        text = path.read_text()
        assert "pickle.load" not in text and "pickle.dump" not in text, path
        assert "torch.load(" not in text or "weights_only=True" in text, path


def test_ruff_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _imports_of(path: Path, package: str) -> set[str]:
    """Every dul_models module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(package)}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(package):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def test_no_import_cycles_in_the_library():
    """A model must never reach into checkpoints (which imports the models): no cycle, even inside functions."""
    modules = {}
    for path in (ROOT / "dul_models").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imports_of(path, "dul_models"):
            while imported and imported not in modules:  # `from pkg import name` names a module or an object
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets

    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for target in graph[node]:
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def _app_files() -> list[Path]:
    return sorted((ROOT / "app").rglob("*.py"))


def test_the_app_reaches_the_library_only_through_explore_jobs_and_the_face():
    """app/ may import dul_models.explore.*, dul_models.train.jobs and the names dul_models exports."""
    import dul_models

    offenders = []
    for path in _app_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names if a.name.split(".")[0] == "dul_models"]
                offenders += [f"{path.relative_to(ROOT)}: import {m}" for m in modules]
            elif (
                isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dul_models"
            ):
                if node.module == "dul_models":
                    unknown = [a.name for a in node.names if a.name not in dul_models.__all__]
                    offenders += [
                        f"{path.relative_to(ROOT)}: dul_models.{n} is not exported" for n in unknown
                    ]
                elif not (
                    node.module.startswith("dul_models.explore") or node.module == "dul_models.train.jobs"
                ):
                    offenders.append(f"{path.relative_to(ROOT)}: from {node.module}")
    assert offenders == []


def test_every_exported_name_exists():
    import dul_models

    assert [name for name in dul_models.__all__ if not hasattr(dul_models, name)] == []


def test_pages_import_no_torch_or_numpy():
    """Pages only render: the maths lives in dul_models.explore (imports inside functions count)."""
    offenders = []
    for path in sorted((ROOT / "app" / "app_pages").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in ("torch", "numpy")
            ]
    assert offenders == []


def test_page_scripts_read_like_a_table_of_contents_and_library_files_stay_short():
    long_pages = [
        f"{p.relative_to(ROOT)}: {n}"
        for p in sorted((ROOT / "app" / "app_pages").glob("*/page.py"))
        if (n := len(p.read_text().splitlines())) > 150
    ]
    long_modules = [
        f"{p.relative_to(ROOT)}: {n}"
        for p in sorted((ROOT / "dul_models").rglob("*.py"))
        if (n := len(p.read_text().splitlines())) > 300
    ]
    assert long_pages == [] and long_modules == []
