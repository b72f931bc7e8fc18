"""Malformed SoccerNet-GSR and semantic (UniSoccer) records: every skipped or repaired record is counted and printed
by file and reason; integer jerseys and case variants are read right; a source that yields nothing fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from reliability_helpers import assert_counted_skip, make_fifo, record

from soccermaster_hf.data.semantic import SemanticClips
from soccermaster_hf.data.soccernet_gsr import SoccerNetGSRClips

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def clip(gsr_clips, tmp_path) -> Path:
    target = tmp_path / "data" / "SNGS-001"
    shutil.copytree(gsr_clips / "SNGS-001", target)
    return target


def _edit(clip: Path, change) -> Path:
    path = clip / "Labels-GameState.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return path


def _first_object(document) -> dict:
    return next(a for a in document["annotations"] if a.get("supercategory") == "object"
                and (a.get("attributes") or {}).get("role") == "player")


def _set(field, value):
    def change(document):
        _first_object(document)["attributes"][field] = value
    return change


def _printed(dataset) -> str:
    return "\n".join(dataset.report.lines())


def _labels_of(dataset, annotation):
    """(role, team, jersey) indices read for `annotation` (found by its box)."""
    images = json.loads((dataset.clips[0].folder / "Labels-GameState.json").read_text())["images"]
    frame = [i["image_id"] for i in sorted(images, key=lambda i: i["file_name"])].index(annotation["image_id"])
    labels = dataset.clips[0].labels[frame]
    box = annotation["bbox_image"]
    row = [i for i, b in enumerate(labels.boxes.tolist()) if abs(b[0] - box["x"]) < 1e-3 and abs(b[1] - box["y"]) < 1e-3]
    assert row, "the edited annotation was read"
    return labels.roles[row[0]], labels.teams[row[0]], labels.jerseys[row[0]]


REPAIRS = [  # (field, value, counted kind, expected (role, team, jersey) value or None to skip the check)
    ("jersey", 10, "integer_jersey", ("player", None, 10)),
    ("jersey", 7.0, "integer_jersey", ("player", None, 7)),
    ("jersey", "150", "invalid_jersey", ("player", None, -1)),
    ("jersey", "ten", "invalid_jersey", ("player", None, -1)),
    ("jersey", [1], "invalid_jersey", ("player", None, -1)),
    ("team", "LEFT", "normalised_team", ("player", "left", None)),
    ("team", " Right ", "normalised_team", ("player", "right", None)),
    ("team", "blue", "unknown_team", ("player", "none", None)),
    ("team", 3, "unknown_team", ("player", "none", None)),
    ("role", "Player", "normalised_role", ("player", None, None)),
    ("role", "GOALKEEPER", "normalised_role", ("goalkeeper", None, None)),
]


@pytest.mark.parametrize(("field", "value", "kind", "expected"), REPAIRS)
def test_repaired_attribute_is_counted_and_read_right(field, value, kind, expected, clip):
    from soccermaster_hf.modeling.configuration_soccermaster import ROLE_NAMES, TEAM_NAMES

    edited = _first_object(json.loads((clip / "Labels-GameState.json").read_text()))
    path = _edit(clip, _set(field, value))
    dataset = SoccerNetGSRClips(clip, clip_length=2)
    printed = _printed(dataset)
    assert dataset.report.counts[kind] == 1 and "repaired 1" in printed and str(path) in printed
    assert "no problems" not in printed
    role, team, jersey = _labels_of(dataset, edited)
    want_role, want_team, want_jersey = expected
    assert ROLE_NAMES[role] == want_role
    if want_team is not None:
        assert TEAM_NAMES[team] == want_team
    if want_jersey is not None:
        assert jersey == want_jersey
    record("ok")


def _unknown_role(document):
    _first_object(document)["attributes"]["role"] = "coach"


def _nan_box(document):
    _first_object(document)["bbox_image"]["w"] = float("nan")


def _negative_box(document):
    _first_object(document)["bbox_image"]["h"] = -4


def _box_missing(document):
    del _first_object(document)["bbox_image"]


def _attributes_list(document):
    _first_object(document)["attributes"] = ["player"]


def _track_text(document):
    _first_object(document)["track_id"] = "seven"


def _unknown_image(document):
    _first_object(document)["image_id"] = "nowhere"


def _annotation_number(document):
    document["annotations"].insert(0, 42)


def _duplicate_image_id(document):
    twin = dict(document["images"][1])
    twin["file_name"] = "999999.jpg"
    twin["image_id"] = document["images"][0]["image_id"]
    document["images"].append(twin)


def _duplicate_file_name(document):
    twin = dict(document["images"][0])
    twin["image_id"] = "another"
    document["images"].append(twin)


def _image_without_name(document):
    document["images"].append({"image_id": "x"})


SKIPS = [
    (_unknown_role, "malformed_annotation", "unknown role 'coach'"),
    (_nan_box, "malformed_annotation", "bad bbox_image"),
    (_negative_box, "malformed_annotation", "bad bbox_image"),
    (_box_missing, "malformed_annotation", "bbox_image"),
    (_attributes_list, "malformed_annotation", "attributes must be an object"),
    (_track_text, "malformed_annotation", "seven"),
    (_unknown_image, "unknown_image_id", "nowhere"),
    (_annotation_number, "malformed_annotation", "expected an object"),
    (_duplicate_image_id, "duplicate_image_id", "duplicate image_id"),
    (_duplicate_file_name, "duplicate_image_id", "duplicate file_name"),
    (_image_without_name, "malformed_annotation", "file_name"),
]


@pytest.mark.parametrize(("change", "kind", "reason"), SKIPS, ids=[c.__name__.strip("_") for c, _, _ in SKIPS])
def test_skipped_record_is_counted_and_printed(change, kind, reason, clip):
    path = _edit(clip, change)
    dataset = SoccerNetGSRClips(clip, clip_length=2)
    assert dataset.report.counts[kind] == 1, dataset.report.counts
    printed = _printed(dataset)
    assert "skipped 1" in printed and reason in printed
    assert_counted_skip(printed, kind, path)


def test_duplicate_image_id_keeps_the_first_frame(clip):
    _edit(clip, _duplicate_image_id)
    dataset = SoccerNetGSRClips(clip, clip_length=2)
    assert "999999.jpg" not in dataset.clips[0].frame_files
    record("ok")


@pytest.mark.parametrize("kind", ["keypoints-truncated", "keypoints-nan", "keypoints-wrong-shape"])
def test_bad_keypoint_file_is_counted(kind, clip):
    path = clip / "Labels-Keypoints.json"
    if kind == "keypoints-truncated":
        path.write_text(path.read_text()[:50])
    else:
        document = json.loads(path.read_text())
        first = sorted(document["frames"])[0]
        document["frames"][first] = [["a", "b"]] if kind == "keypoints-wrong-shape" else \
            [[float("nan"), 0.5, True]] * len(document["frames"][first])
        path.write_text(json.dumps(document))
    dataset = SoccerNetGSRClips(clip, clip_length=2)
    assert dataset.clips[0].keypoints is None
    assert_counted_skip(_printed(dataset), "malformed_annotation", path)


def test_fifo_frame_is_masked_and_counted_never_read(clip):
    frame = sorted((clip / "img1").iterdir())[1]
    frame.unlink()
    make_fifo(frame)
    dataset = SoccerNetGSRClips(clip, clip_length=4)
    sample = dataset[0]
    assert sample["frame_valid"].tolist() == [True, False, True, True]
    assert_counted_skip("\n".join(dataset.report.lines()), "unreadable_frame", frame)


def test_one_broken_clip_among_good_ones_is_counted(gsr_clips, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(gsr_clips, data)
    broken = data / "SNGS-002" / "Labels-GameState.json"
    broken.write_text("{ truncated")
    dataset = SoccerNetGSRClips(data, clip_length=2)
    assert [c.name for c in dataset.clips] == ["SNGS-001"]
    assert_counted_skip(_printed(dataset), "unusable_clip", broken)


def test_clip_of_a_non_regular_labels_file_is_counted(gsr_clips, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(gsr_clips, data)
    (data / "SNGS-002" / "img1").rename(data / "SNGS-002" / "frames")  # no img1/: nothing readable
    dataset = SoccerNetGSRClips(data, clip_length=2)
    assert [c.name for c in dataset.clips] == ["SNGS-001"]
    assert_counted_skip(_printed(dataset), "unusable_clip", data / "SNGS-002" / "img1")


def test_train_prints_the_reader_report(clip, capsys):
    """End to end: `soccermaster train` prints every counted problem with its file before training."""
    from soccermaster_hf.cli.main import main

    path = _edit(clip, _set("jersey", 10))

    def second_player_is_a_coach(document):
        players = [a for a in document["annotations"] if (a.get("attributes") or {}).get("role") == "player"]
        players[1]["attributes"]["role"] = "coach"

    _edit(clip, second_player_is_a_coach)
    out = clip.parent.parent / "run"
    assert main(["train", str(clip.parent), "--output", str(out), "--max-steps", "1", "--clip-length", "2",
                 "--max-frame-size", "128", "--no-progress", "--no-augment"]) == 0
    printed = capsys.readouterr()
    assert_counted_skip(printed.out + printed.err, "integer_jersey", path, "unknown role 'coach'", "skipped 1",
                        "repaired 1")


# ---------------------------------------------------------------------------------------------------------------
# semantic (1-fps) clips


def _semantic_copy(semantic_set: Path, tmp_path: Path) -> tuple[Path, list]:
    root = tmp_path / "set"
    shutil.copytree(semantic_set, root)
    return root, json.loads((root / "events" / "classification.json").read_text())


def _write(root: Path, records) -> Path:
    path = root / "events" / "classification.json"
    path.write_text(json.dumps(records))
    return path


SEMANTIC_SKIPS = [
    ("not-a-dict", lambda root, r: r + ["goal"], "malformed_record"),
    ("no-video", lambda root, r: r + [{"caption": "goal"}], "malformed_record"),
    ("video-not-a-string", lambda root, r: r + [{"video": 3, "caption": "goal"}], "malformed_record"),
    ("unknown-keyword", lambda root, r: r + [{"video": r[0]["video"], "caption": "dance"}], "unknown_event"),
    ("keyword-not-a-string", lambda root, r: r + [{"video": r[0]["video"], "caption": 5}], "unknown_event"),
    ("missing-video", lambda root, r: r + [{"video": "semantic/none.mp4", "caption": "goal"}], "missing_video"),
    ("video-is-a-folder", lambda root, r: r + [{"video": "semantic", "caption": "goal"}], "missing_video"),
]


@pytest.mark.parametrize(("name", "change", "kind"), SEMANTIC_SKIPS, ids=[n for n, _, _ in SEMANTIC_SKIPS])
def test_semantic_bad_record_is_counted(name, change, kind, semantic_set, tmp_path):
    root, records = _semantic_copy(semantic_set, tmp_path)
    path = _write(root, change(root, records))
    dataset = SemanticClips(root, num_frames=2)
    assert len(dataset) == 3 and dataset.report.counts[kind] == 1
    assert_counted_skip(_printed(dataset), kind, path)


def test_semantic_unreadable_and_fifo_videos_are_counted(semantic_set, tmp_path):
    root, records = _semantic_copy(semantic_set, tmp_path)
    (root / "semantic" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 300)
    make_fifo(root / "semantic" / "pipe.mp4")
    _write(root, records + [{"video": "semantic/broken.mp4", "caption": "goal"},
                            {"video": "semantic/pipe.mp4", "caption": "goal"}])
    dataset = SemanticClips(root, num_frames=2)
    assert len(dataset) == 3
    assert dataset.report.counts["unreadable_video"] == 1 and dataset.report.counts["missing_video"] == 1
    assert_counted_skip(_printed(dataset), "unreadable_video", root / "semantic" / "broken.mp4")


def test_semantic_keywords_match_case_insensitively(semantic_set, tmp_path):
    root, records = _semantic_copy(semantic_set, tmp_path)
    records[0]["caption"] = "GOAL"
    _write(root, records)
    dataset = SemanticClips(root, num_frames=2)
    assert len(dataset) == 3 and dataset.records[0]["label"] == dataset.labels.index("goal")
    assert dataset.report.counts["normalised_event"] == 1
    record("ok")


def test_semantic_set_whose_clips_fail_to_decode_while_training_fails(semantic_set, tmp_path):
    """Videos that probe fine but cannot be decoded: the set must not train silently without the event loss."""
    root, _ = _semantic_copy(semantic_set, tmp_path)
    dataset = SemanticClips(root, num_frames=2)
    for video in (root / "semantic").iterdir():
        video.write_bytes(video.read_bytes()[:48])  # truncated after the probe
    with pytest.raises(ValueError, match="none of its 3 clips can be decoded") as error:
        for index in range(len(dataset)):
            dataset[index]
    assert str(root / "events" / "classification.json") in str(error.value)
    record("error")


def test_semantic_folder_and_json_read_the_same(semantic_set, tmp_path):
    """A folder given instead of the JSON (the synth layout) reads the same records."""
    root, _ = _semantic_copy(semantic_set, tmp_path)
    by_folder = SemanticClips(root, num_frames=2)
    by_file = SemanticClips(root / "events" / "classification.json", num_frames=2, video_root=root)
    assert [r["video"] for r in by_folder.records] == [r["video"] for r in by_file.records]
    record("ok")
