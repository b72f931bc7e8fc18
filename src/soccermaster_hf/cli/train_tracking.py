"""``soccermaster train-tracking``: train the MOTIP ID decoder of `SoccerMasterForMultiObjectTracking` on
SoccerNet-GSR clips, on a frozen detector (see :mod:`soccermaster_hf.training.tracking`). Resumes from the newest
checkpoint in ``--output`` automatically.

The options are generated from :class:`~soccermaster_hf.training.tracking.TrackingTrainingArguments`."""

from __future__ import annotations

import argparse

from .arguments import add_dataclass_arguments, dataclass_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..training.tracking import TrackingTrainingArguments

    add_dataclass_arguments(parser, TrackingTrainingArguments)


def run(args: argparse.Namespace) -> int:
    from ..training.tracking import TrackingTrainingArguments, train_tracking

    arguments = dataclass_from_args(TrackingTrainingArguments, args)
    final = train_tracking(arguments)
    print(f"final model: {final} (use it with: soccermaster analyze ... --tracker motip --tracking-model {final})")
    return 0
