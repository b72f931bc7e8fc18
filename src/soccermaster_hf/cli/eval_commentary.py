"""``soccermaster eval-commentary PRED.csv|json``: BLEU-1..4, METEOR, ROUGE-L and CIDEr of generated commentary,
exactly as MatchTime's ``score_single.py`` computes them (see :mod:`soccermaster_hf.evaluation.commentary`).

Reads MatchTime's inference CSV (reference = ``anonymized``, prediction = ``predicted_res_0``) or our predictions JSON.
Prints MatchTime's ×100 table; METEOR is skipped with a message when Java is missing. The options are generated from
:class:`~soccermaster_hf.evaluation.commentary.EvalCommentaryArguments`.
"""

from __future__ import annotations

import argparse

from .arguments import add_dataclass_arguments, dataclass_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..evaluation.commentary import EvalCommentaryArguments

    add_dataclass_arguments(parser, EvalCommentaryArguments)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from ..evaluation.commentary import EvalCommentaryArguments, evaluate_predictions_file
    from ..utils.io import atomic_write_json

    arguments = dataclass_from_args(EvalCommentaryArguments, args)
    if arguments.output and Path(arguments.output).is_dir():  # before scoring: its METEOR note would come first
        raise ValueError(f"{arguments.output}: is a folder; --output takes a .json file path.")
    scores = evaluate_predictions_file(arguments.predictions, meteor=None if arguments.meteor else False,
                                       reference_key=arguments.reference_key,
                                       prediction_key=arguments.prediction_key)
    print(f"{scores.num_samples} clips")
    for name, value in scores.as_matchtime().items():
        print(f"{name:8s} {value:8.3f}")
    if scores.meteor_note:
        print(scores.meteor_note, file=sys.stderr)
    if arguments.output:
        atomic_write_json(arguments.output, scores.to_dict())
    return 0
