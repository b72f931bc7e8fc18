"""SoccerNet-GSR reader on SoccerSynth output: labels, problems reported by file and counted, model inputs."""

import json
import shutil

import pytest
import torch

from soccermaster_hf.data.soccernet_gsr import SoccerNetGSRClips, to_model_inputs
from soccermaster_hf.synth.generate import SynthConfig, generate_dataset


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("gsr") / "synth"
    generate_dataset(out, SynthConfig(clips=2, frames=6, seed=2, tracking="procedural", width=320, height=180),
                     progress=False)
    return out


def test_reads_windows_and_labels(synth):
    dataset = SoccerNetGSRClips(synth, clip_length=3)
    assert len(dataset) == 4 and dataset.report.summary() == "no problems"
    sample = dataset[0]
    assert sample["frames"].shape == (3, 3, 180, 320) and sample["frames"].max() <= 1
    labels = json.loads((synth / "SNGS-001" / "Labels-GameState.json").read_text())
    first = [a for a in labels["annotations"] if a["supercategory"] == "object"
             and a["image_id"] == labels["images"][0]["image_id"]]
    assert len(sample["boxes"][0]) == len(first)
    box = first[0]["bbox_image"]
    torch.testing.assert_close(sample["boxes"][0][0], torch.tensor([box["x"], box["y"], box["x"] + box["w"],
                                                                    box["y"] + box["h"]]))
    assert sample["has_keypoints"] and sample["keypoint_visibility"].any()
    assert sample["line_visibility"].any() and bool(sample["has_pitch"].all())


def test_problems_are_reported_and_counted(synth, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(synth, copy)
    (copy / "SNGS-001" / "img1" / "000002.jpg").unlink()                        # a missing frame
    (copy / "SNGS-001" / "img1" / "000003.jpg").write_bytes(b"not a jpeg")      # an unreadable frame
    labels = json.loads((copy / "SNGS-002" / "Labels-GameState.json").read_text())
    labels["annotations"][0]["bbox_image"] = {"x": "a"}                          # a malformed annotation
    (copy / "SNGS-002" / "Labels-GameState.json").write_text(json.dumps(labels))
    (copy / "SNGS-003").mkdir()
    (copy / "SNGS-003" / "Labels-GameState.json").write_text("{ truncated")      # an unusable clip
    dataset = SoccerNetGSRClips(copy, clip_length=3)
    assert len(dataset) == 4  # the broken clip is left out, the others are kept
    assert dataset.report.counts["unusable_clip"] == 1 and dataset.report.counts["malformed_annotation"] == 1
    assert any("SNGS-003" in message for message in dataset.report.messages)
    sample = dataset[0]
    assert sample["frame_valid"].tolist() == [True, False, False]
    assert len(sample["boxes"][1]) == 0 and not sample["keypoint_visibility"][1].any()
    assert dataset.report.counts["unreadable_frame"] == 2
    assert any("000002.jpg" in message for message in dataset.report.messages)
    with pytest.raises(ValueError, match="no usable SoccerNet-GSR clip"):
        SoccerNetGSRClips(copy / "SNGS-003")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        SoccerNetGSRClips(tmp_path / "missing")


def test_model_inputs(synth):
    dataset = SoccerNetGSRClips(synth, clip_length=2, max_size=160)
    assert dataset[0]["frames"].shape[-2:] == (90, 160)
    inputs = to_model_inputs([dataset[0], dataset[1]], 64)
    assert inputs["spatial_pixel_values"].shape == (2, 2, 3, 64, 64)
    assert len(inputs["detection_labels"]) == 4 and len(inputs["pitch_labels"]) == 4
    boxes = inputs["detection_labels"][0]["boxes"]
    assert boxes.numel() and (boxes >= 0).all() and (boxes <= 1).all()
