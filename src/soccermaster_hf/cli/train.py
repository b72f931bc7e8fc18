"""``soccermaster train``: multi-task pre-training on SoccerNet-GSR-format clips (see
:mod:`soccermaster_hf.training.pretrain`). Resumes from the newest checkpoint in ``--output`` automatically.

The options are generated from :class:`~soccermaster_hf.training.pretrain.TrainingArguments` (defaults and help live
there)."""

from __future__ import annotations

import argparse

from .arguments import add_dataclass_arguments, dataclass_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..training.pretrain import TrainingArguments

    add_dataclass_arguments(parser, TrainingArguments)


def run(args: argparse.Namespace) -> int:
    import os

    # Bitwise-reproducible MKL results whatever the memory alignment (else a resumed run can drift by 1e-7 from an
    # uninterrupted one). Must be set before the first BLAS call of the process; costs a few percent of speed.
    os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")
    from ..training.pretrain import TrainingArguments, train

    final = train(dataclass_from_args(TrainingArguments, args))
    print(f"final model: {final}")
    return 0
