"""`analyze`'s own outputs, scored by the official evaluators on a held-out SoccerSynth clip (default checkpoint)."""

from __future__ import annotations

import warnings

import pytest

from soccermaster_hf.evaluation.tracking import evaluate_game_state, evaluate_mot


@pytest.mark.slow
def test_analyze_predictions_score_above_zero(tmp_path):
    from soccermaster_hf.analysis import analyze
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    root = tmp_path / "heldout"
    try:
        folders = generate_dataset(root, SynthConfig(clips=1, frames=12, seed=99, time_range=(2000, 2800),
                                                     split="test"), progress=False)
    except (ImportError, ValueError):
        folders = generate_dataset(root, SynthConfig(clips=1, frames=12, seed=99, tracking="procedural",
                                                     split="test"), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = analyze(str(folders[0] / "img1"), None, tmp_path / "out", progress=False, tracker="bytetrack")
    assert summary["game_state_file"] == "SNGS-001.json" and summary["tracking_file"] == "SNMOT-001.txt"
    mot = evaluate_mot(root, tmp_path / "out")
    gs = evaluate_game_state(root, tmp_path / "out")
    assert mot.hota > 0 and mot.deta > 0
    assert gs.gs_hota > 0, "the GSR file is scored (ids, vocabulary, numeric bbox_pitch)"
