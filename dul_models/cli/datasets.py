"""The command line's `datasets` commands: list every data set, import your own images, remove an import.

`python -m dul_models datasets` lists (built-in sets exactly as before, then imported ones);
`datasets import PATH --name NAME` turns a folder or a .zip of images into a data set every command and
page can use; `datasets remove NAME` deletes one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

MAX_SKIPPED_SHOWN = 20  # skipped files named in the output; all are counted


def cmd_datasets(args: argparse.Namespace) -> int:
    """One line per data set: name, where it comes from, title and description."""
    from dul_models.data import list_datasets

    for spec in list_datasets():
        where = "imported" if spec.imported else "embedded" if spec.embedded else "download"
        print(f"{spec.name:<14} {where:<9} {spec.title} — {spec.description}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from dul_models.cli.progress_bars import progress_bars
    from dul_models.core.progress import reporting
    from dul_models.data.imported import ImportOptions, plan_import, run_import

    start = time.perf_counter()
    options = ImportOptions(
        args.name,
        size=args.size,
        channels=args.channels,
        test_share=args.test_share,
        seed=args.seed,
        replace=args.replace,
    )
    plan = plan_import(Path(args.path), options)
    with reporting(progress_bars()):  # one bar on stderr, so stdout stays clean for --json
        result = run_import(plan)
    seconds = time.perf_counter() - start  # the plan (names and headers) and the import together
    if args.json:
        print(json.dumps({**result.as_dict(MAX_SKIPPED_SHOWN), "seconds": round(seconds, 3)}))
        return 0
    kind = f"{len(result.classes)} classes ({', '.join(result.classes)})" if result.labelled else "unlabelled"
    print(
        f"imported {result.name!r}: {result.n_train:,} train / {result.n_test:,} test images, {kind}, "
        f"{result.size}×{result.size}×{result.channels}, in {seconds:.1f} s"
    )
    for note in result.notes:
        print(f"  note: {note}")
    if result.skipped:
        print(f"  skipped {len(result.skipped)}:")
        for path, why in result.skipped[:MAX_SKIPPED_SHOWN]:
            print(f"    {path}: {why}")
        if len(result.skipped) > MAX_SKIPPED_SHOWN:
            print(f"    ... and {len(result.skipped) - MAX_SKIPPED_SHOWN} more (listed in the manifest)")
    print(result.path)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from dul_models.data.imported import remove_imported

    remove_imported(args.name)
    print(f"removed {args.name!r}", file=sys.stderr)
    return 0


def add_dataset_commands(sub: argparse._SubParsersAction) -> None:
    """`datasets` (lists when given no sub-command), `datasets import` and `datasets remove`."""
    datasets = sub.add_parser("datasets", help="list the datasets, one line each; import or remove your own")
    datasets.set_defaults(func=cmd_datasets)
    actions = datasets.add_subparsers(dest="datasets_command")

    imp = actions.add_parser(
        "import",
        help="import a folder or .zip of images (class subfolders → labelled; flat → unlabelled)",
    )
    imp.add_argument("path", help="a folder of images, or a .zip of one")
    imp.add_argument("--name", required=True, help="the data set's name, as --dataset and the app show it")
    imp.add_argument(
        "--size", type=int, choices=(28, 32, 64), help="square size in pixels (default: 28 grey, 32 colour)"
    )
    imp.add_argument(
        "--channels", type=int, choices=(1, 3), help="1 greyscale or 3 colour (default: from the images)"
    )
    imp.add_argument("--test-share", type=float, default=0.2, help="share of images in the test split")
    imp.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    imp.add_argument("--replace", action="store_true", help="replace an imported set of the same name")
    imp.add_argument("--json", action="store_true", help="print one JSON object")
    imp.set_defaults(func=cmd_import)

    remove = actions.add_parser("remove", help="delete an imported data set")
    remove.add_argument("name")
    remove.set_defaults(func=cmd_remove)
