"""``soccermaster train-events``: train the event head (and the attention-pooling head) of a model on a frozen
backbone, from cached features of 1-fps semantic clips (see :mod:`soccermaster_hf.training.events`). Resumes from the
newest checkpoint in ``--output`` automatically.

The options are generated from :class:`~soccermaster_hf.training.events.EventTrainingArguments`."""

from __future__ import annotations

import argparse

from .arguments import add_dataclass_arguments, dataclass_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..training.events import EventTrainingArguments

    add_dataclass_arguments(parser, EventTrainingArguments)


def run(args: argparse.Namespace) -> int:
    from ..training.events import EventTrainingArguments, train_events

    arguments = dataclass_from_args(EventTrainingArguments, args)
    final = train_events(arguments)
    print(f"final model: {final} (use it with: soccermaster analyze CLIP --model {final})")
    return 0
