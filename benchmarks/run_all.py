"""Run every benchmark (or those named) and rebuild benchmarks/RESULTS.md.

python benchmarks/run_all.py            # all
python benchmarks/run_all.py throughput # only bench_throughput.py
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import render_results_md  # noqa: E402


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"   wrote {module.run()}", flush=True)
    print(f"== {render_results_md()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
