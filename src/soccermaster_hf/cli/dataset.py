"""``soccermaster dataset build SOURCE --format F --out DIR``: build a Hub-ready 🤗 dataset (sharded Parquet, dataset
card, ``meta/info.json``) from one SoccerFactory source (see :mod:`soccermaster_hf.datasets`); ``--push-to-hub REPO``
uploads it. Rerunning the same command resumes an interrupted build and leaves a finished one unchanged.

The build options are generated from :class:`~soccermaster_hf.datasets.build.DatasetBuildArguments`.
"""

from __future__ import annotations

import argparse

from .arguments import add_dataclass_arguments, dataclass_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..datasets.build import DatasetBuildArguments

    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="Build a dataset folder from a source.",
                               description="Build a Hub-ready dataset (sharded Parquet + card + meta/info.json) from "
                                           "a source folder or file; resumable and idempotent.")
    add_dataclass_arguments(build, DatasetBuildArguments)


def run(args: argparse.Namespace) -> int:
    import time

    from ..datasets.build import DatasetBuildArguments, build_dataset

    arguments = dataclass_from_args(DatasetBuildArguments, args)
    start = time.perf_counter()
    info = build_dataset(arguments)
    seconds = time.perf_counter() - start
    for name, config in info["configs"].items():
        for split, values in config["splits"].items():
            print(f"{name}/{split}: {values['num_records']} records in {len(values['files'])} shards")
    total = sum(v["num_records"] for c in info["configs"].values() for v in c["splits"].values())
    print(f"wrote {arguments.out} ({total} records, {seconds:.1f} s)")
    return 0
