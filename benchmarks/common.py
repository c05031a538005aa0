"""Shared plumbing for the benchmarks: timing, machine description, result files and RESULTS.md."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import torch

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
RESULTS_MD = HERE / "RESULTS.md"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def write_result(name: str, title: str, rows: list[dict[str, Any]], notes: list[str]) -> Path:
    """One JSON file per benchmark, so benchmarks written by different pages never collide."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"name": name, "title": title, "machine": machine(), "rows": rows, "notes": notes}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def _table(rows: list[dict[str, Any]]) -> list[str]:
    columns = list(dict.fromkeys(k for row in rows for k in row))

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return lines


def render_results_md() -> Path:
    """Rebuild RESULTS.md from every JSON file in results/ (the README links this file)."""
    out = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run_all.py`); every number was measured "
        "on the machine named under its table.",
        "",
    ]
    for path in sorted(RESULTS_DIR.glob("*.json")):
        result = json.loads(path.read_text())
        m = result["machine"]
        out += [f"## {result['title']}", "", *_table(result["rows"]), ""]
        out += [f"- {note}" for note in result["notes"]]
        where = f"{m['cpu']}, {m['cores']} cores, torch {m['torch']} ({m['torch_threads']} threads)"
        out += [
            f"- Measured {m['date']} on {where}" + (f", GPU {m['cuda']}" if m["cuda"] else ", no GPU") + ".",
            "",
        ]
    RESULTS_MD.write_text("\n".join(out))
    return RESULTS_MD


# Prepended to a benchmark's child script: `anon_kb()` reads the process's anonymous RSS (what it allocated
# itself, unlike the pages of a memory-mapped file, which RSS also counts); `start_sampling()` keeps the
# peak in `peak[0]` every 20 ms until `done` gets an item.
ANON_SAMPLER = """
import threading, time

def anon_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0

peak, done = [0], []

def _sample():
    while not done:
        peak[0] = max(peak[0], anon_kb())
        time.sleep(0.02)

def start_sampling():
    threading.Thread(target=_sample, daemon=True).start()
"""
