"""Tracking and game-state metrics through the official evaluators (no metric is computed here).

* :func:`evaluate_mot` — HOTA / DetA / AssA / MOTA / IDF1 with TrackEval's ``MotChallenge2DBox`` configured as
  SoccerNet runs it for SoccerNet-Tracking (sn-tracking ``tools/evaluate_soccernet_v3_tracking.py``: ``DO_PREPROC
  False``, metrics HOTA + CLEAR + Identity, threshold 0.5, a seqmap with a ``name`` header). The combined HOTA sums the
  counts over the sequences and averages over TrackEval's 19 α thresholds.
* :func:`evaluate_game_state` — GS-HOTA with ``SoccerNetGS`` (the evaluator names it "HOTA"): pitch-space Gaussian
  similarity (5 m tolerance) gated by role, team and jersey.

Both come from the PyPI package ``sn-trackeval`` (SoccerNet's fork of TrackEval, import name ``trackeval``): it holds
both dataset classes, and its ``MotChallenge2DBox``, HOTA, CLEAR and Identity run on numpy 2. (PyPI ``trackeval``
installs the same import name, so the two cannot sit in one environment; the fork is the one with ``SoccerNetGS``.)

Ground truth is read where it lies: a folder of sequence folders, each with ``gt/gt.txt`` + ``seqinfo.ini`` (SNMOT)
and/or ``Labels-GameState.json`` (GSR) — SoccerSynth clips have both. Predictions: a folder of ``<seq>.txt`` (SNMOT)
or ``<seq>.json`` (GSR) files, named like the sequence folders (SoccerSynth: ``SNGS-001``; SoccerNet: ``SNMOT-116``);
the ``SNMOT-xxx.txt`` of a SoccerSynth clip ``SNGS-xxx`` (as ``analyze`` writes it) is found too.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["GameStateScores", "TrackingScores", "evaluate_game_state", "evaluate_mot"]

_TRACKER = "soccermaster"
_QUIET_EVAL = {"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_ONLY_COMBINED": True, "PRINT_CONFIG": False,
               "TIME_PROGRESS": False, "DISPLAY_LESS_PROGRESS": True, "OUTPUT_SUMMARY": False,
               "OUTPUT_EMPTY_CLASSES": False, "OUTPUT_DETAILED": False, "PLOT_CURVES": False,
               "BREAK_ON_ERROR": True, "RETURN_ON_ERROR": False, "LOG_ON_ERROR": None}


@dataclass
class TrackingScores:
    """Combined scores over the sequences (fractions in [0, 1]) and HOTA per sequence."""

    hota: float
    deta: float
    assa: float
    mota: float
    idf1: float
    per_sequence: dict[str, float] = field(default_factory=dict)


@dataclass
class GameStateScores:
    """GS-HOTA, GS-DetA, GS-AssA combined over the clips (fractions) and GS-HOTA per clip."""

    gs_hota: float
    gs_deta: float
    gs_assa: float
    per_sequence: dict[str, float] = field(default_factory=dict)


def _prediction_file(predictions: Path, seq: str, suffix: str) -> Path:
    """``<seq><suffix>``, or for a SoccerSynth clip ``SNGS-xxx`` scored as tracking, ``SNMOT-xxx.txt``."""
    path = predictions / f"{seq}{suffix}"
    if not path.is_file() and suffix == ".txt" and seq.startswith("SNGS-"):
        path = predictions / f"SNMOT-{seq.split('-', 1)[1]}.txt"
    return path


def _sequences(gt_folder: Path, predictions: Path, suffix: str, marker: str, sequences) -> list[str]:
    if sequences is None:  # every prediction file named after a ground-truth sequence (summary.json is not one)
        sequences = sorted(p.stem for p in predictions.glob(f"*{suffix}"))
        if suffix == ".txt":  # SNMOT-xxx.txt predictions of SoccerSynth clips (SNGS-xxx folders)
            sequences = [seq if (gt_folder / seq).is_dir() or not (gt_folder / f"SNGS-{seq[6:]}").is_dir()
                         else f"SNGS-{seq[6:]}" for seq in sequences]
        sequences = [seq for seq in sequences if (gt_folder / seq / marker).is_file()]
    sequences = list(sequences)
    if not sequences:
        raise ValueError(f"{predictions}: no *{suffix} prediction file of a sequence of {gt_folder} to evaluate.")
    for seq in sequences:
        if not (gt_folder / seq / marker).is_file():
            raise FileNotFoundError(f"{gt_folder / seq / marker}: no ground truth for sequence {seq!r}.")
        if not _prediction_file(predictions, seq, suffix).is_file():
            raise FileNotFoundError(f"{predictions / (seq + suffix)}: no prediction for sequence {seq!r}.")
    return sequences


def _stage_predictions(workspace: Path, predictions: Path, sequences: list[str], suffix: str) -> Path:
    data = workspace / "trackers" / _TRACKER / "data"
    data.mkdir(parents=True)
    for seq in sequences:
        shutil.copyfile(_prediction_file(predictions, seq, suffix), data / f"{seq}{suffix}")
    return workspace / "trackers"


def _alpha_mean(value) -> float:
    return float(np.mean(value))


def evaluate_mot(gt_folder: str | os.PathLike, predictions: str | os.PathLike,
                 sequences: list[str] | None = None) -> TrackingScores:
    """HOTA / DetA / AssA / MOTA / IDF1 of ``predictions/<seq>.txt`` against ``gt_folder/<seq>/gt/gt.txt``."""
    import trackeval

    gt_folder, predictions = Path(gt_folder), Path(predictions)
    sequences = _sequences(gt_folder, predictions, ".txt", "gt/gt.txt", sequences)
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        seqmap = workspace / "seqmap.txt"
        seqmap.write_text("name\n" + "".join(f"{seq}\n" for seq in sequences))
        dataset_config = {
            "GT_FOLDER": str(gt_folder), "TRACKERS_FOLDER": str(_stage_predictions(workspace, predictions, sequences,
                                                                                   ".txt")),
            "OUTPUT_FOLDER": str(workspace / "out"), "TRACKERS_TO_EVAL": [_TRACKER], "BENCHMARK": "SNMOT",
            "SPLIT_TO_EVAL": "test", "SKIP_SPLIT_FOL": True, "SEQMAP_FILE": str(seqmap), "DO_PREPROC": False,
            "PRINT_CONFIG": False, "TRACKER_SUB_FOLDER": "data", "CLASSES_TO_EVAL": ["pedestrian"],
        }
        metrics_config = {"METRICS": ["HOTA", "CLEAR", "Identity"], "THRESHOLD": 0.5, "PRINT_CONFIG": False}
        with contextlib.redirect_stdout(io.StringIO()):
            evaluator = trackeval.Evaluator(dict(_QUIET_EVAL))
            dataset = trackeval.datasets.MotChallenge2DBox(dataset_config)
            metrics = [trackeval.metrics.HOTA(metrics_config), trackeval.metrics.CLEAR(metrics_config),
                       trackeval.metrics.Identity(metrics_config)]
            results, messages = evaluator.evaluate([dataset], metrics)
    result = results["MotChallenge2DBox"][_TRACKER]
    if "COMBINED_SEQ" not in result:
        raise RuntimeError(f"TrackEval failed: {messages}")
    combined = result["COMBINED_SEQ"]["pedestrian"]
    return TrackingScores(
        hota=_alpha_mean(combined["HOTA"]["HOTA"]), deta=_alpha_mean(combined["HOTA"]["DetA"]),
        assa=_alpha_mean(combined["HOTA"]["AssA"]), mota=float(combined["CLEAR"]["MOTA"]),
        idf1=float(combined["Identity"]["IDF1"]),
        per_sequence={seq: _alpha_mean(result[seq]["pedestrian"]["HOTA"]["HOTA"]) for seq in sequences})


def evaluate_game_state(gt_folder: str | os.PathLike, predictions: str | os.PathLike,
                        sequences: list[str] | None = None, split: str = "test") -> GameStateScores:
    """GS-HOTA of ``predictions/<clip>.json`` against ``gt_folder/<clip>/Labels-GameState.json`` (``SoccerNetGS``
    defaults: pitch space, Gaussian similarity with 5 m tolerance, roles, teams and jerseys, ball ignored).

    ``split`` only serves the evaluator's repair of non-standard image ids; ids in the ground truth's convention
    (:func:`~soccermaster_hf.analysis.writers.gsr_image_id`) match directly.
    """
    import trackeval

    gt_folder, predictions = Path(gt_folder), Path(predictions)
    sequences = _sequences(gt_folder, predictions, ".json", "Labels-GameState.json", sequences)
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        dataset_config = {
            "GT_FOLDER": str(gt_folder), "TRACKERS_FOLDER": str(_stage_predictions(workspace, predictions, sequences,
                                                                                   ".json")),
            "OUTPUT_FOLDER": str(workspace / "out"), "TRACKERS_TO_EVAL": [_TRACKER], "SPLIT_TO_EVAL": split,
            "SKIP_SPLIT_FOL": True, "SEQ_INFO": dict.fromkeys(sequences), "PRINT_CONFIG": False,
            "TRACKER_SUB_FOLDER": "data",
        }
        metrics_config = {"METRICS": ["HOTA"], "PRINT_CONFIG": False}
        with contextlib.redirect_stdout(io.StringIO()):
            evaluator = trackeval.Evaluator(dict(_QUIET_EVAL))
            dataset = trackeval.datasets.SoccerNetGS(dataset_config)
            results, messages = evaluator.evaluate([dataset], [trackeval.metrics.HOTA(metrics_config)])
    result = results["SoccerNetGS"][_TRACKER]
    if "COMBINED_SEQ" not in result:
        raise RuntimeError(f"sn-trackeval failed: {messages}")
    combined = result["COMBINED_SEQ"]["person"]["HOTA"]
    return GameStateScores(
        gs_hota=_alpha_mean(combined["HOTA"]), gs_deta=_alpha_mean(combined["DetA"]),
        gs_assa=_alpha_mean(combined["AssA"]),
        per_sequence={seq: _alpha_mean(result[seq]["person"]["HOTA"]["HOTA"]) for seq in sequences})
