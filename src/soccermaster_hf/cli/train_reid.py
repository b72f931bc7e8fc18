"""``soccermaster train-reid``: train the athlete re-identification network `SoccerMasterForReIdentification` on the
annotated identities of SoccerNet-GSR clips or SNMOT sequences (see :mod:`soccermaster_hf.training.reid`). Resumes
from the newest checkpoint in ``--output`` automatically.

The options are generated from :class:`~soccermaster_hf.training.reid.ReIdTrainingArguments`."""

from __future__ import annotations

import argparse

from .arguments import add_dataclass_arguments, dataclass_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..training.reid import ReIdTrainingArguments

    add_dataclass_arguments(parser, ReIdTrainingArguments)


def run(args: argparse.Namespace) -> int:
    from ..training.reid import ReIdTrainingArguments, train_reid

    arguments = dataclass_from_args(ReIdTrainingArguments, args)
    final = train_reid(arguments)
    print(f"final model: {final} (use it with: soccermaster analyze ... --reid-model {final})")
    return 0
