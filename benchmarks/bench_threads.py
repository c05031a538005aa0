"""Torch CPU thread count: training speed alone and beside a busy second process.

The app trains in a background thread of the Streamlit server, so the server (and the browser, on a
laptop) compete with torch's OpenMP threads for the cores. This measures the Trainer's images/s for
each thread count with the machine otherwise idle and with one other process spinning on a core,
the situation `dul_models.core.devices.default_thread_count` (all cores but one) is chosen for.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import torch
from common import write_result

from dul_models.data import get_dataset
from dul_models.models import build_model
from dul_models.train.trainer import TrainConfig, Trainer

STEPS = 60


def _spin(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def images_per_s() -> float:
    data = get_dataset("mnist5k")
    model = build_model("autoencoder", {}, seed=0)
    marks = {}
    settings = TrainConfig(
        steps=STEPS, batch_size=128, log_every=10, eval_every=10**6, preview_every=10**6, device="cpu"
    )

    def clock(trainer, event):
        if event == "log":
            marks[trainer.step] = time.perf_counter()

    trainer = Trainer(model, data, settings, callbacks=[clock])
    trainer.evaluate = lambda *args, **kwargs: {}
    trainer.fit()
    return (STEPS - 10) * 128 / (marks[STEPS] - marks[10])


def run() -> str:
    cores = os.cpu_count() or 1
    rows, previous = [], torch.get_num_threads()
    for threads in sorted({1, max(1, cores - 1), cores, 2 * cores}):
        torch.set_num_threads(threads)
        alone = images_per_s()
        stop = mp.Event()
        busy = mp.Process(target=_spin, args=(stop,), daemon=True)
        busy.start()
        try:
            beside = images_per_s()
        finally:
            stop.set()
            busy.join()
        rows.append(
            {
                "torch threads": threads,
                "images/s, idle machine": alone,
                "images/s, beside a busy process": beside,
            }
        )
    torch.set_num_threads(previous)
    notes = [
        f"{cores} cores. Trainer on mnist5k, default autoencoder (32/64 channels), batch 128, {STEPS - 10} timed steps.",
        "The busy process spins pure Python on one core, like a Streamlit server rendering a page.",
        "The app uses DUL_TORCH_THREADS if set, else all cores but one.",
    ]
    return str(write_result("threads", "Torch thread count beside a busy process", rows, notes))
