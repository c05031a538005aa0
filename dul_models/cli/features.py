"""The command line's feature commands — `embed`, `probe`, `cluster`, `episodes` — what an encoder's
features are worth.

Each takes an encoder (`pixels`, `pca`, `random`, a run folder whose family embeds, or a features file as
`embed` writes it) and a dataset, and mirrors one section of the representation pages, so a number on a
page can be reproduced from a shell. A features file describes one split (`--split`, default test); a
file of every image (`embed --split all`) serves each split, so `probe` and `episodes` need one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from dul_models.core.errors import ConfigError

ENCODER_HELP = (
    "pixels, pca, random, a run folder whose family embeds, or a features file (.npz / .csv, as embed "
    "writes it; for probe and episodes, one of every image: embed --split all)"
)
SPLIT_HELP = "train, test or all (train then test); a features file's rows must be this split's"


def print_result(result: dict[str, Any], as_json: bool) -> None:
    """One JSON object, or one aligned `key  value` line per entry."""
    if as_json:
        print(json.dumps(result))
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value:.4f}" if isinstance(value, float) else f"{key:<{width}}  {value}")


def require_labels(dataset: Any, command: str, why: str) -> None:
    """Refuse (exit 2, one line) a command that needs labels on a set that has none, saying what gives them."""
    if dataset.has_labels:
        return
    raise ConfigError(
        f"{command} needs labels ({why}) and {dataset.name!r} has none (imported from a flat folder); "
        "import the images again with one subfolder per class, or with a metadata.csv of file_name,label "
        f"beside them (python -m dul_models datasets import FOLDER --name {dataset.name!r} --replace), or use "
        "a labelled dataset"
    )


def cmd_embed(args: argparse.Namespace) -> int:
    from dul_models.core.devices import configure_threads
    from dul_models.data import get_dataset
    from dul_models.features.encoders import (
        EXPORT_FORMATS,
        features,
        parse_encoder,
        split_labels,
        write_features,
    )

    out = Path(args.out)
    if out.suffix.lower() not in EXPORT_FORMATS:
        raise ConfigError(f"--out must end in one of {', '.join(EXPORT_FORMATS)}, got {out.name!r}")
    spec = parse_encoder(args.encoder)
    dataset = get_dataset(args.dataset)
    configure_threads()
    vectors = features(spec, dataset, args.split, args.device)
    labels = split_labels(dataset, args.split)  # -1 where an image has none
    for path in write_features(out, vectors, labels):
        print(path)
    print(
        f"{vectors.shape[0]} × {vectors.shape[1]} features of {args.dataset}/{args.split} by {spec.label}",
        file=sys.stderr,
    )
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from dul_models.core.devices import configure_threads
    from dul_models.data import get_dataset
    from dul_models.features.encoders import features, parse_encoder
    from dul_models.metrics.probes import probe_report

    spec = parse_encoder(args.encoder)
    dataset = get_dataset(args.dataset)
    require_labels(dataset, "probe", "its kNN and linear probes learn the training labels")
    configure_threads()
    train_x = features(spec, dataset, "train", args.device)
    test_x = features(spec, dataset, "test", args.device)
    report = probe_report(train_x, dataset.train.y.numpy(), test_x, dataset.test.y.numpy())
    result = {"encoder": spec.label, "dataset": args.dataset, **report}
    print_result(result, args.json)
    return 0


def parse_reduce(text: str) -> tuple[str, int]:
    """`none`, `pca:D` or `umap:D` → (method, dims)."""
    from dul_models.features.clustering import REDUCTIONS

    method, _, dims = text.partition(":")
    if method == "none" and not dims:
        return "none", 0
    if method not in REDUCTIONS or method == "none" or not dims.isdigit():
        raise ConfigError(f"--reduce expects none, pca:D or umap:D (e.g. umap:10), got {text!r}")
    return method, int(dims)


def cmd_cluster(args: argparse.Namespace) -> int:
    from dul_models.core.devices import configure_threads
    from dul_models.data import get_dataset
    from dul_models.features.clustering import clustering_report, reduce_features
    from dul_models.features.encoders import features, parse_encoder, split_labels

    method, dims = parse_reduce(args.reduce)
    spec = parse_encoder(args.encoder)
    dataset = get_dataset(args.dataset)
    configure_threads()
    vectors = features(spec, dataset, args.split, args.device)
    start = time.perf_counter()
    reduced = reduce_features(vectors, method, dims, cache_key=(spec, args.dataset, args.split))
    reduce_seconds = time.perf_counter() - start
    labels = split_labels(dataset, args.split)
    labelled = dataset.has_labels and bool((labels >= 0).all())
    if not labelled:  # silhouette, k and seconds need no labels; ACC / NMI / ARI do, and are left out
        print(f"{args.dataset} has no labels: ACC, NMI and ARI are not computed", file=sys.stderr)
    _, row = clustering_report(reduced, labels if labelled else None, args.algorithm, args.k)
    result = {
        "encoder": spec.label,
        "dataset": args.dataset,
        "split": args.split,
        "algorithm": args.algorithm,
        "reduce": args.reduce,
        **row,
        "reduce_seconds": reduce_seconds,
    }
    print_result(result, args.json)
    return 0


def cmd_episodes(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from dul_models.core.devices import configure_threads
    from dul_models.data import get_dataset
    from dul_models.features.encoders import parse_encoder
    from dul_models.features.few_shot import run_episodes

    spec = parse_encoder(args.encoder)
    dataset = get_dataset(args.dataset)
    require_labels(dataset, "episodes", "each episode's support and query images are drawn by class")
    configure_threads()
    with tqdm(total=args.episodes, desc="episodes", unit="ep", file=sys.stderr, leave=False) as bar:

        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)

        result = run_episodes(
            spec,
            dataset,
            args.way,
            args.shot,
            args.queries,
            args.episodes,
            args.method,
            args.pool,
            args.seed,
            args.device,
            progress,
        )
    print_result(result, args.json)
    return 0


def add_feature_commands(
    sub: argparse._SubParsersAction, default_dataset: str, devices: tuple[str, ...]
) -> None:
    """The `embed`, `probe`, `cluster` and `episodes` sub-commands."""
    from dul_models.data.episodes import ROLES
    from dul_models.features.clustering import ALGORITHMS
    from dul_models.models.episode_solvers import METHODS

    embed = sub.add_parser(
        "embed", help="write an encoder's features of a dataset split (.npz, .csv or .tsv)"
    )
    embed.add_argument("encoder", help=ENCODER_HELP)
    embed.add_argument("--dataset", default=default_dataset)
    embed.add_argument("--split", default="test", help=SPLIT_HELP)
    embed.add_argument("--device", default="auto", choices=devices)
    embed.add_argument("--out", required=True, help="FILE.npz, FILE.csv or FILE.tsv (+ FILE-metadata.tsv)")
    embed.set_defaults(func=cmd_embed)

    probe = sub.add_parser("probe", help="kNN and linear-probe accuracy of an encoder's features")
    probe.add_argument("encoder", help=ENCODER_HELP)
    probe.add_argument("--dataset", default=default_dataset)
    probe.add_argument("--device", default="auto", choices=devices)
    probe.add_argument("--json", action="store_true", help="print one JSON object")
    probe.set_defaults(func=cmd_probe)

    cluster = sub.add_parser(
        "cluster", help="cluster an encoder's features; ACC / NMI / ARI against the labels it never saw"
    )
    cluster.add_argument("encoder", help=ENCODER_HELP)
    cluster.add_argument("--dataset", default=default_dataset)
    cluster.add_argument("--split", default="test", help=SPLIT_HELP)
    cluster.add_argument("--algorithm", default="kmeans", choices=ALGORITHMS)
    cluster.add_argument("--k", type=int, default=10, help="number of clusters (HDBSCAN finds its own)")
    cluster.add_argument("--reduce", default="none", help="none, pca:D or umap:D before clustering")
    cluster.add_argument("--device", default="auto", choices=devices)
    cluster.add_argument("--json", action="store_true", help="print one JSON object")
    cluster.set_defaults(func=cmd_cluster)

    episodes = sub.add_parser(
        "episodes",
        help="few-shot accuracy (mean ± 95 %% interval) over N-way K-shot episodes of unseen classes",
    )
    episodes.add_argument("encoder", help=ENCODER_HELP + " (a ProtoNet, matching or MAML run included)")
    episodes.add_argument("--dataset", default=default_dataset)
    episodes.add_argument("--way", type=int, default=5, help="N: classes per episode")
    episodes.add_argument("--shot", type=int, default=1, help="K: labelled support images per class")
    episodes.add_argument("--queries", type=int, default=15, help="query images per class")
    episodes.add_argument("--episodes", type=int, default=600)
    episodes.add_argument(
        "--method",
        default=None,
        choices=METHODS,
        help="default: a meta-learner run's own rule, else protonet",
    )
    episodes.add_argument(
        "--pool", default="novel", choices=ROLES, help="which classes episodes are drawn from"
    )
    episodes.add_argument("--seed", type=int, default=0, help="episode i depends only on (seed, i)")
    episodes.add_argument("--device", default="auto", choices=devices)
    episodes.add_argument("--json", action="store_true", help="print one JSON object")
    episodes.set_defaults(func=cmd_episodes)
