"""Commentary metrics exactly as MatchTime scores them (``evaluation/score_single.py``), through pycocoevalcap 1.2.

* BLEU-1..4: ``BleuScorer(n=4)`` fed every clip's `(prediction, [reference])`, ``compute_score(option="closest")``;
* METEOR: pycocoevalcap's ``Meteor()`` (the METEOR 1.5 jar, ``-l en -norm``; needs Java; skipped with a message
  without it);
* ROUGE-L: ``Rouge()``, the mean of the per-clip scores (MatchTime's script prints ``scores[2]``, the third clip's
  score, which reads as a slip: the mean is what the paper's tables mean);
* CIDEr: ``Cider()`` (CIDEr-D), its IDF computed from the references of the whole set, so scores are corpus-level:
  scoring in batches gives other numbers.

One reference per clip, raw strings: no PTB tokenizer, split on whitespace, case and punctuation kept, placeholders
(`[PLAYER]`, `([TEAM])`) as words. Reported values are fractions; :meth:`CommentaryScores.as_matchtime` gives
MatchTime's ×100 table. Predictions are read from MatchTime's inference CSV (`league,game,half,timestamp,type,
anonymized,predicted_res_0`, reference = `anonymized`) or from our JSON (a list of `{"reference", "prediction", ...}`
records, or `{"predictions": [...]}`, as `soccermaster train-commentary` writes).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

MATCHTIME_REFERENCE_COLUMN = "anonymized"
MATCHTIME_PREDICTION_COLUMN = "predicted_res_0"


@dataclass
class CommentaryRecord:
    """One clip: its reference (anonymised) commentary, the generated one, and what identifies it."""

    reference: str
    prediction: str
    metadata: dict = field(default_factory=dict)


@dataclass
class CommentaryScores:
    """Corpus-level scores (fractions; CIDEr unbounded). `meteor` is `None` when it was skipped (`meteor_note`)."""

    bleu_1: float
    bleu_2: float
    bleu_3: float
    bleu_4: float
    rouge_l: float
    cider: float
    meteor: float | None
    num_samples: int
    meteor_note: str | None = None

    def as_matchtime(self) -> dict[str, float]:
        """MatchTime's table: ×100 (`BLEU-1`, `BLEU-4`, `METEOR`, `ROUGE-L`, `CIDER`, plus BLEU-2/3)."""
        table = {"BLEU-1": self.bleu_1, "BLEU-2": self.bleu_2, "BLEU-3": self.bleu_3, "BLEU-4": self.bleu_4,
                 "METEOR": self.meteor, "ROUGE-L": self.rouge_l, "CIDER": self.cider}
        return {name: round(value * 100, 3) for name, value in table.items() if value is not None}

    def to_dict(self) -> dict:
        return {**asdict(self), "matchtime": self.as_matchtime()}


def _clean(text: str) -> str:
    # METEOR's stdio protocol is line based; MatchTime's CSVs hold one-line captions, so this changes nothing there
    return str(text).replace("\r", " ").replace("\n", " ")


def _require_pycocoevalcap():
    try:
        import pycocoevalcap  # noqa: F401
    except ImportError:
        raise ValueError("commentary metrics need pycocoevalcap: pip install 'soccermaster_hf[commentary]' "
                         "(or pip install pycocoevalcap)") from None


def java_available() -> bool:
    return shutil.which("java") is not None


def meteor_score(gts: dict, res: dict) -> float:
    """pycocoevalcap's METEOR (Java subprocess, closed afterwards)."""
    from pycocoevalcap.meteor.meteor import Meteor

    meteor = Meteor()
    try:
        score, _ = meteor.compute_score(gts, res)
    finally:
        meteor.meteor_p.stdin.close()
        meteor.meteor_p.kill()
        meteor.meteor_p.wait()  # its __del__ repeats this harmlessly
    return float(score)


def score_commentary(references: Sequence[str], predictions: Sequence[str], meteor: bool | None = None) -> CommentaryScores:
    """Score `predictions` against `references` (one each) as MatchTime does (see the module docstring).

    `meteor`: `True` requires Java, `False` skips it, `None` (default) runs it when `java` is on the PATH and says
    why not otherwise (in `meteor_note`, which the CLI prints; it is not logged as well, which printed it twice).
    """
    _require_pycocoevalcap()
    from pycocoevalcap.bleu.bleu_scorer import BleuScorer
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    if len(references) != len(predictions):
        raise ValueError(f"{len(references)} references but {len(predictions)} predictions.")
    if not references:
        raise ValueError("nothing to score: no clips.")
    gts = {i: [_clean(ref)] for i, ref in enumerate(references)}
    res = {i: [_clean(pred)] for i, pred in enumerate(predictions)}
    bleu_scorer = BleuScorer(n=4)
    for i in gts:
        bleu_scorer += (res[i][0], gts[i])
    bleu, _ = bleu_scorer.compute_score(option="closest", verbose=0)
    rouge, _ = Rouge().compute_score(gts, res)
    cider, _ = Cider().compute_score(gts, res)
    meteor_value, note = None, None
    if meteor is False:
        note = "METEOR skipped (disabled)."
    elif not java_available():
        if meteor:
            raise ValueError("METEOR needs Java (`java` on the PATH; e.g. apt-get install default-jre-headless).")
        note = "METEOR skipped: no Java on the PATH (apt-get install default-jre-headless to score it)."
    else:
        meteor_value = meteor_score(gts, res)
    return CommentaryScores(bleu_1=float(bleu[0]), bleu_2=float(bleu[1]), bleu_3=float(bleu[2]),
                            bleu_4=float(bleu[3]), rouge_l=float(rouge), cider=float(cider), meteor=meteor_value,
                            num_samples=len(references), meteor_note=note)


def read_predictions(path: str | os.PathLike, reference_key: str | None = None,
                     prediction_key: str | None = None) -> list[CommentaryRecord]:
    """Records of a MatchTime inference CSV or of our JSON (see the module docstring), in file order.

    CSV: columns `reference_key` (default `anonymized`) and `prediction_key` (default `predicted_res_0`); the other
    columns become metadata. JSON: keys `reference_key` / `prediction_key` (default `reference` / `prediction`, then
    MatchTime's names). Empty predictions are kept (they score 0).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such predictions file.")
    if path.suffix.lower() == ".csv":
        return _read_csv(path, reference_key or MATCHTIME_REFERENCE_COLUMN, prediction_key or MATCHTIME_PREDICTION_COLUMN)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(f"{path}: neither a .csv nor valid JSON ({error}).") from None
    except RecursionError:
        raise ValueError(f"{path}: JSON nested too deeply.") from None
    if isinstance(data, dict):
        data = data.get("predictions")
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of records or {{'predictions': [...]}}.")
    records = []
    for number, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"{path}: record #{number} is not an object.")
        ref_key = reference_key or next((k for k in ("reference", MATCHTIME_REFERENCE_COLUMN) if k in item), None)
        pred_key = prediction_key or next((k for k in ("prediction", MATCHTIME_PREDICTION_COLUMN) if k in item), None)
        if ref_key not in item or pred_key not in item:
            raise ValueError(f"{path}: record #{number} needs 'reference' and 'prediction' (or {reference_key!r} / "
                             f"{prediction_key!r}); it has {sorted(item)}.")
        reference, prediction = item[ref_key], item[pred_key]
        # text only: a null / number / list was scored as its Python spelling ("None", "3.5") before
        if not isinstance(reference, str) or not reference.strip():
            raise ValueError(f"{path}: record #{number}: {ref_key!r} must be non-empty text, got {reference!r}.")
        if prediction is not None and not isinstance(prediction, str):
            raise ValueError(f"{path}: record #{number}: {pred_key!r} must be text (or null: an empty prediction), "
                             f"got {prediction!r}.")
        records.append(CommentaryRecord(reference, prediction or "",
                                        {k: v for k, v in item.items() if k not in (ref_key, pred_key)}))
    return records


def _read_csv(path: Path, ref_key: str, pred_key: str) -> list[CommentaryRecord]:
    """The records of a MatchTime inference CSV; a row with more or fewer cells than the header, or without a
    reference, is an error naming its line (it was scored as an empty prediction, or silently shifted)."""
    records = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [key for key in (ref_key, pred_key) if key not in columns]
            if missing:
                raise ValueError(f"{path}: no column(s) {missing} (columns: {columns}); MatchTime's inference CSV "
                                 f"has {MATCHTIME_REFERENCE_COLUMN!r} and {MATCHTIME_PREDICTION_COLUMN!r}.")
            for row in reader:
                if None in row or any(value is None for value in row.values()):
                    raise ValueError(f"{path}: line {reader.line_num} has {'more' if None in row else 'fewer'} "
                                     f"cells than the header's {len(columns)}.")
                if not row[ref_key].strip():
                    raise ValueError(f"{path}: line {reader.line_num} has an empty {ref_key!r}.")
                records.append(CommentaryRecord(row[ref_key], row[pred_key],
                                                {k: v for k, v in row.items() if k not in (ref_key, pred_key)}))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}).") from None
    except csv.Error as error:
        raise ValueError(f"{path}: not a readable CSV ({error}).") from None
    return records


def write_predictions(path: str | os.PathLike, records: Sequence[CommentaryRecord]) -> Path:
    """Our predictions JSON (atomic write): `[{"reference", "prediction", **metadata}, ...]`."""
    from ..utils.io import atomic_write_json

    path = Path(path)
    atomic_write_json(path, [{"reference": r.reference, "prediction": r.prediction, **r.metadata} for r in records])
    return path


@dataclass
class EvalCommentaryArguments:
    """Settings of `soccermaster eval-commentary` (its options are generated from these fields)."""

    predictions: str = field(metadata={"help": "MatchTime inference CSV or our predictions JSON.", "positional": True,
                                       "metavar": "PRED.csv|json"})
    meteor: bool = field(default=True, metadata={"help": "Score METEOR when Java is available (--no-meteor skips "
                                                         "it)."})
    reference_key: str | None = field(default=None, metadata={"help": "Reference column / key (default: "
                                                                      "`anonymized` in CSV, `reference` in JSON)."})
    prediction_key: str | None = field(default=None, metadata={"help": "Prediction column / key (default: "
                                                                       "`predicted_res_0` in CSV, `prediction` in "
                                                                       "JSON)."})
    output: str | None = field(default=None, metadata={"help": "Also write the scores to this JSON file.",
                                                       "flags": ["--output", "-o"]})


def evaluate_predictions_file(path: str | os.PathLike, meteor: bool | None = None, reference_key: str | None = None,
                              prediction_key: str | None = None) -> CommentaryScores:
    """:func:`read_predictions` + :func:`score_commentary`."""
    records = read_predictions(path, reference_key, prediction_key)
    if not records:
        raise ValueError(f"{path}: no records to score.")
    return score_commentary([r.reference for r in records], [r.prediction for r in records], meteor=meteor)


__all__ = ["CommentaryRecord", "CommentaryScores", "EvalCommentaryArguments", "evaluate_predictions_file", "java_available", "read_predictions",
           "score_commentary", "write_predictions"]
