"""Command line: `python -m dul_models datasets | train | eval | list | embed | probe | cluster | bundle`.

Everything the app does with models can be done from here; bad input exits with code 2 and one line
that says what was wrong and what is allowed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dul_models.cli.datasets import add_dataset_commands
from dul_models.cli.features import add_feature_commands, print_result
from dul_models.cli.progress_bars import progress_bars
from dul_models.core.errors import ConfigError, DULError


def _parse_sets(pairs: Sequence[str], family: str) -> tuple[dict[str, str], dict[str, str]]:
    """Route each --set key=value to the family's config or to the training config."""
    from dul_models.models import get_family
    from dul_models.train.trainer import TrainConfig

    model_fields = {f.name for f in dataclasses.fields(get_family(family).config_cls)} - {"image_shape"}
    train_fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"steps", "epochs", "seed", "device"}
    model_cfg: dict[str, str] = {}
    train_cfg: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects key=value, got {pair!r}")
        if key in model_fields:
            model_cfg[key] = value
        elif key in train_fields:
            train_cfg[key] = value
        else:
            allowed = ", ".join(sorted(model_fields | train_fields))
            raise ConfigError(f"unknown key {key!r} for family {family!r}; allowed: {allowed}")
    return model_cfg, train_cfg


def _progress_callback(total: int):
    from tqdm import tqdm

    bar = tqdm(total=total, unit="step", dynamic_ncols=True, file=sys.stderr)

    def callback(trainer, event: str) -> None:
        if event == "log":
            bar.update(trainer.step - bar.n)
            row = trainer.history[-1]
            bar.set_postfix(loss=f"{row.get('loss', float('nan')):.4g}", img_s=f"{row['images_per_s']:.0f}")
        elif event == "end":
            bar.update(trainer.step - bar.n)
            bar.close()

    return callback


def cmd_train(args: argparse.Namespace) -> int:
    from dul_models.core.devices import configure_threads
    from dul_models.data import get_dataset
    from dul_models.models import build_model, config_from_dict
    from dul_models.runs import checkpoints
    from dul_models.train.trainer import TrainConfig, Trainer

    model_cfg, train_cfg = _parse_sets(args.set or [], args.family)
    dataset = get_dataset(args.dataset)
    model = build_model(args.family, {**model_cfg, "image_shape": dataset.image_shape}, seed=args.seed)
    train_values: dict[str, Any] = {**train_cfg, "seed": args.seed, "device": args.device}
    if args.steps is not None:
        train_values["steps"] = args.steps
    if args.epochs is not None:
        train_values["epochs"] = args.epochs
    train = config_from_dict(TrainConfig, train_values)
    run_dir = Path(args.out) if args.out else checkpoints.new_run_dir(args.family, args.dataset)
    configure_threads()
    from dul_models.core.devices import pick_device
    from dul_models.train.evaluators import build_evaluators

    evaluators = build_evaluators(
        model, dataset, pick_device(train.device)
    )  # as the app's jobs and bundles do
    trainer = Trainer(model, dataset, train, run_dir=run_dir, title=args.title or "", evaluators=evaluators)
    trainer.callbacks.append(_progress_callback(trainer.total_steps))
    metrics = trainer.fit()
    print(json.dumps({k: round(v, 4) for k, v in metrics.items() if isinstance(v, float)}), file=sys.stderr)
    print(run_dir)
    return 0


def evaluate_run(
    run_dir: Path, device: str = "auto", *, quick: bool = False, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The family's metrics on the run's dataset test split, with what was evaluated."""
    from dul_models.core.devices import eval_mode, pick_device
    from dul_models.core.progress import report
    from dul_models.data import get_dataset
    from dul_models.data.large_splits import first_rows
    from dul_models.runs.checkpoints import load_run
    from dul_models.train.evaluators import build_evaluators

    target = pick_device(device)
    loaded = load_run(run_dir, device=target)
    dataset = get_dataset(loaded.info.dataset)
    x, y, note = first_rows(dataset.test.x, dataset.test.y, target)  # a large split: its first rows, noted
    evaluators = build_evaluators(loaded.model, dataset, target)
    options = dict(options or {})
    routed = [{k: options.pop(k) for k in list(options) if k in e.options} for e in evaluators]
    stage = f"evaluating {loaded.info.name}"  # progress: the family's metrics, then each evaluator
    with eval_mode(loaded.model):
        loaded.model.prepare(dataset)
        metrics = loaded.model.evaluate(x, y, quick=quick, **options)  # rejects options nobody took
        report(stage, 1, 1 + len(evaluators))
        for done, (evaluator, own) in enumerate(zip(evaluators, routed, strict=True), start=2):
            metrics.update(evaluator(loaded.model, x, y, quick=quick, **own))
            report(stage, done, 1 + len(evaluators))
    return {
        "run": str(loaded.info.path),
        "family": loaded.info.family,
        "dataset": loaded.info.dataset,
        "split": "test",
        "n_images": int(x.shape[0]),
        "step": loaded.info.step,
        **metrics,
        **({"eval_note": note} if note else {}),
    }


def _number(value: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def cmd_eval(args: argparse.Namespace) -> int:
    from dul_models.core.devices import batch_thread_count, configure_threads
    from dul_models.core.progress import reporting

    configure_threads(batch_thread_count())
    options = {}
    for pair in args.set or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects key=value, got {pair!r}")
        options[key] = _number(value)
    with reporting(progress_bars()):
        result = evaluate_run(Path(args.run_dir), args.device, quick=args.quick, options=options)
    print_result(result, args.json)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from dul_models.runs.checkpoints import list_runs

    runs = list_runs(family=args.family)
    if args.json:
        rows = [
            {
                "path": str(r.path),
                "family": r.family,
                "dataset": r.dataset,
                "step": r.step,
                "bundled": r.bundled,
                "title": r.title,
                "created": r.created,
            }
            for r in runs
        ]
        print(json.dumps(rows))
    else:
        for r in runs:
            print(
                f"{'bundled' if r.bundled else 'user':<8} {r.family:<12} {r.dataset:<10} step {r.step:<6} {r.path}"
            )
        if not runs:
            print("no runs found")
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    from dul_models.core.devices import configure_threads
    from dul_models.core.progress import reporting
    from dul_models.train.bundled import build_bundled

    configure_threads()
    with reporting(progress_bars()):  # training steps, final evaluations, one bar each on stderr
        for path in build_bundled(args.names or None):
            print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from dul_models.core.devices import DEVICE_CHOICES
    from dul_models.data import DEFAULT_DATASET
    from dul_models.models import FAMILIES

    parser = argparse.ArgumentParser(prog="python -m dul_models", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add_dataset_commands(sub)

    train = sub.add_parser("train", help="train a model and write a run folder")
    train.add_argument("family", choices=list(FAMILIES))
    train.add_argument("--dataset", default=DEFAULT_DATASET)
    length = train.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=float)
    length.add_argument("--steps", type=int)
    train.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", help="run folder to write (default: a new folder under the runs folder)")
    train.add_argument("--title", help="a short name shown in the app's run picker")
    train.add_argument("--set", action="append", metavar="KEY=VALUE", help="config field, repeatable")
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser("eval", help="evaluate a run on its dataset's test split")
    ev.add_argument("run_dir")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    ev.add_argument("--quick", action="store_true", help="the cheap metrics the trainer logs periodically")
    ev.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="family evaluation option, repeatable"
    )
    ev.set_defaults(func=cmd_eval)

    ls = sub.add_parser("list", help="list bundled and user runs")
    ls.add_argument("--family", choices=list(FAMILIES))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    add_feature_commands(sub, DEFAULT_DATASET, DEVICE_CHOICES)

    bundle = sub.add_parser("bundle", help="(maintainers) retrain the bundled runs in checkpoints/")
    bundle.add_argument("names", nargs="*")
    bundle.set_defaults(func=cmd_bundle)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DULError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
