"""``soccermaster train-commentary``: train the commentary head (video Q-Former + projection, optionally a LoRA
adapter and the backbone) of any causal language model on captioned clips (see
:mod:`soccermaster_hf.training.commentary`). Resumes from the newest checkpoint in ``--output`` automatically.

The options are generated from :class:`~soccermaster_hf.training.commentary.CommentaryTrainingArguments`."""

from __future__ import annotations

import argparse

from .arguments import add_dataclass_arguments, dataclass_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..training.commentary import CommentaryTrainingArguments

    add_dataclass_arguments(parser, CommentaryTrainingArguments)


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from ..training.commentary import CommentaryTrainingArguments, train_commentary

    arguments = dataclass_from_args(CommentaryTrainingArguments, args)
    final = train_commentary(arguments)
    scores = Path(arguments.output_dir) / "scores.json"
    if scores.is_file():
        data = json.loads(scores.read_text())
        for name, table in (("held-out", data["model"]), ("constant caption", data["baseline_constant_caption"])):
            print(f"{name}: " + ", ".join(f"{key} {value:.2f}" for key, value in table["matchtime"].items()))
    print(f"final adapter: {final}")
    return 0
