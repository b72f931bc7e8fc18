"""Official tracking evaluation: our writers' files scored by TrackEval (MotChallenge2DBox) and sn-trackeval
(SoccerNetGS). Ground truth written back through the writers scores 1.0; a corrupted copy scores less."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from soccermaster_hf.analysis.writers import (
    clip_number,
    gsr_image_id,
    gsr_prediction,
    snmot_rows,
    write_gsr_clip,
    write_snmot,
)
from soccermaster_hf.evaluation.tracking import evaluate_game_state, evaluate_mot
from soccermaster_hf.evaluation.tracking_ground_truth import ground_truth_frames
from soccermaster_hf.tracking.types import TrackedDetection, TrackedFrame


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    root = tmp_path_factory.mktemp("tracking_eval") / "synth"
    folders = generate_dataset(root, SynthConfig(clips=2, frames=8, seed=3, tracking="procedural", width=320,
                                                 height=180), progress=False)
    return root, folders


def _write_ground_truth(folders, out, mutate=None):
    out.mkdir(parents=True, exist_ok=True)
    for folder in folders:
        frames, image_ids = ground_truth_frames(folder)
        if mutate is not None:
            frames = mutate(frames)
        write_snmot(out / f"{folder.name}.txt", frames)
        write_gsr_clip(out / f"{folder.name}.json", frames, image_ids)
    return out


def test_ground_truth_through_the_writers_scores_one(clips, tmp_path):
    root, folders = clips
    predictions = _write_ground_truth(folders, tmp_path / "pred")
    mot = evaluate_mot(root, predictions)
    assert mot.hota == pytest.approx(1.0) and mot.deta == pytest.approx(1.0) and mot.assa == pytest.approx(1.0)
    assert mot.mota == pytest.approx(1.0) and mot.idf1 == pytest.approx(1.0)
    assert set(mot.per_sequence) == {"SNGS-001", "SNGS-002"}
    gs = evaluate_game_state(root, predictions, split="train")
    assert gs.gs_hota == pytest.approx(1.0) and gs.gs_assa == pytest.approx(1.0)


def test_wrong_attributes_and_swapped_ids_score_less(clips, tmp_path):
    root, folders = clips

    def corrupt(frames):
        frames = copy.deepcopy(frames)
        for frame in frames[len(frames) // 2:]:  # identities swap half-way: an id switch per pair
            ids = [d.track_id for d in frame.detections]
            for detection, new in zip(frame.detections, ids[1:] + ids[:1]):
                detection.track_id = new
        for frame in frames:
            for detection in frame.detections:
                if detection.team == "left":
                    detection.team = "right"
        return frames

    predictions = _write_ground_truth(folders, tmp_path / "bad", corrupt)
    mot = evaluate_mot(root, predictions)
    assert mot.deta == pytest.approx(1.0) and 0 < mot.assa < 0.9
    gs = evaluate_game_state(root, predictions, split="train")
    assert 0 < gs.gs_hota < mot.hota


def test_gsr_records_follow_the_evaluator_vocabulary():
    pitch = {f"{c}_bottom_{s}": 1.0 for c in "xy" for s in ("left", "middle", "right")}
    box = np.array([10.0, 20.0, 30.0, 80.0])
    image_id = gsr_image_id("test", clip_number("SNGS-116"), 7)
    assert image_id == "3116000007" and clip_number("SNMOT-060") == 60 and clip_number("match") is None
    player = gsr_prediction(image_id, TrackedDetection(3, box, 0.9, "player", team="left", jersey="07",
                                                       bbox_pitch=pitch))
    assert player["attributes"] == {"role": "player", "jersey": "7", "team": "left"}
    assert player["bbox_image"]["w"] == 20.0 and player["image_id"] == image_id
    referee = gsr_prediction(image_id, TrackedDetection(4, box, 0.9, "referee", team="left", jersey="3",
                                                        bbox_pitch=pitch))
    assert referee["attributes"] == {"role": "referee", "jersey": None, "team": None}
    keeper = gsr_prediction(image_id, TrackedDetection(5, box, 0.9, "goalkeeper", team="none", jersey="1",
                                                       bbox_pitch=pitch))
    assert keeper["attributes"] == {"role": "goalkeeper", "jersey": None, "team": None}
    unknown = gsr_prediction(image_id, TrackedDetection(6, box, 0.9, "none", bbox_pitch=pitch))
    assert unknown["attributes"]["role"] == "other"
    assert gsr_prediction(image_id, TrackedDetection(7, box, 0.9, "ball", bbox_pitch=pitch)) is None
    assert gsr_prediction(image_id, TrackedDetection(8, box, 0.9, "player", bbox_pitch=None)) is None  # no camera
    with pytest.raises(ValueError):
        gsr_image_id("training", 1, 1)


def test_snmot_rows_are_one_based_and_reject_repeated_ids(tmp_path):
    box = np.array([10.0, 20.0, 30.0, 80.0])
    frames = [TrackedFrame(0, [TrackedDetection(1, box, 0.5), TrackedDetection(2, box + 5, 0.8)])]
    assert snmot_rows(frames)[0] == (1, 1, 10.0, 20.0, 20.0, 60.0, 0.5)
    path = write_snmot(tmp_path / "SNMOT-001.txt", frames)
    assert path.read_text().splitlines()[1] == "1,2,15.00,25.00,20.00,60.00,0.8000,-1,-1,-1"
    with pytest.raises(ValueError, match="twice"):
        snmot_rows([TrackedFrame(0, [TrackedDetection(1, box, 0.5), TrackedDetection(1, box, 0.5)])])
    written = json.loads(write_gsr_clip(tmp_path / "SNGS-001.json", frames, ["1001000001"]).read_text())
    assert written["info"]["version"] == "1.3" and written["predictions"] == []  # no camera: nothing scorable


def test_missing_files_are_clear_errors(clips, tmp_path):
    root, _ = clips
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no"):
        evaluate_mot(root, tmp_path / "empty")
    (tmp_path / "empty" / "SNGS-404.txt").write_text("")
    with pytest.raises(FileNotFoundError, match="SNGS-404"):
        evaluate_mot(root, tmp_path / "empty", ["SNGS-404"])
    with pytest.raises(ValueError, match="no"):  # discovered files must name a ground-truth sequence
        evaluate_mot(root, tmp_path / "empty")
