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
    code = "import sys, dul_models.__main__, dul_models.jobs, dul_models.bundled; print('streamlit' in sys.modules)"
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
