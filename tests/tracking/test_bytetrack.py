"""ByteTrack (Roboflow `trackers`) behind the Tracker interface, and the converter to / from `sv.Detections`."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from soccermaster_hf.tracking import (
    ByteTracker,
    HungarianTracker,
    Tracker,
    from_supervision,
    make_tracker,
    to_supervision,
)


def test_converter_round_trips_boxes_scores_and_data():
    boxes = np.array([[10, 10, 30, 60], [100, 20, 120, 70]], dtype=float)
    embeddings = np.arange(8.0).reshape(2, 4)
    detections = to_supervision(boxes, np.array([0.9, 0.4]), class_ids=np.array([3, 1]), embeddings=embeddings)
    assert isinstance(detections, sv.Detections) and len(detections) == 2
    back = from_supervision(detections[np.array([1, 0])])  # libraries may reorder: the index travels along
    assert back["detection_index"].tolist() == [1, 0]
    np.testing.assert_allclose(back["boxes"], boxes[[1, 0]])
    np.testing.assert_allclose(back["scores"], [0.4, 0.9], rtol=1e-6)
    assert back["class_ids"].tolist() == [1, 3] and back["tracker_ids"].tolist() == [-1, -1]
    np.testing.assert_allclose(back["embeddings"], embeddings[[1, 0]])
    empty = from_supervision(to_supervision(np.zeros((0, 4))))
    assert empty["boxes"].shape == (0, 4) and empty["scores"].shape == (0,)
    with pytest.raises(ValueError, match="rows"):
        to_supervision(boxes, embeddings=embeddings[:1])


def test_bytetrack_keeps_identities_of_moving_boxes_in_any_order():
    tracker = ByteTracker(minimum_consecutive_frames=1)
    assert isinstance(tracker, Tracker)
    boxes = np.array([[10, 10, 30, 60], [100, 20, 120, 70], [200, 40, 220, 90]], dtype=float)
    scores = np.array([0.9, 0.95, 0.85])
    # the library reports a track from the frame after its birth (the birth frame gets -1, here 0)
    assert tracker.update(0, boxes, scores=scores) == [0, 0, 0]
    first = tracker.update(1, boxes + 1, scores=scores)
    assert sorted(first) == [1, 2, 3]
    order = [2, 0, 1]
    for step in range(2, 7):
        moved = boxes + step * np.array([3.0, 1.0, 3.0, 1.0])
        assert tracker.update(step, moved[order], scores=scores[order]) == [first[i] for i in order]
    box = np.array([[400, 10, 420, 60]], dtype=float)
    assert tracker.update(7, box, scores=np.array([0.9])) == [0]
    assert tracker.update(8, box, scores=np.array([0.9])) == [4]
    tracker.reset()
    tracker.update(0, boxes, scores=scores)
    assert sorted(tracker.update(1, boxes, scores=scores)) == [1, 2, 3]


def test_bytetrack_unconfirmed_and_empty_frames():
    tracker = ByteTracker()  # library default: a track is confirmed on its 2nd consecutive frame
    box = np.array([[10, 10, 30, 60]], dtype=float)
    assert tracker.update(0, box, scores=np.array([0.9])) == [0]
    assert tracker.update(1, box + 1, scores=np.array([0.9])) == [1]
    low = ByteTracker()
    assert low.update(0, box, scores=np.array([0.3])) == [0]  # below the activation threshold: no track
    assert low.update(1, box, scores=np.array([0.3])) == [0]
    assert tracker.update(2, np.zeros((0, 4)), scores=np.zeros(0)) == []
    assert tracker.update(5, box + 2, scores=np.array([0.9])) == [1]  # a short gap keeps the id


def test_make_tracker_by_name():
    assert isinstance(make_tracker("bytetrack", frame_rate=25), ByteTracker)
    assert isinstance(make_tracker("hungarian"), HungarianTracker)
    with pytest.raises(ValueError, match="model"):
        make_tracker("motip")
    with pytest.raises(ValueError, match="no ID decoder"):  # a model without the MOTIP ID decoder
        make_tracker("motip", model=object())
    with pytest.raises(ValueError, match="unknown tracker"):
        make_tracker("sort")
