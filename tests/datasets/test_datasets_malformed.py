"""Malformed inputs of every format: each bad record is counted and printed by source file and reason, the rest
builds; a source that yields nothing fails with one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from soccermaster_hf.cli.main import main
from soccermaster_hf.datasets import (
    CalibrationBuilder,
    GSRBuilder,
    MatchTimeBuilder,
    SNMOTBuilder,
    SoccerFactoryBuilder,
    SoccerNetV2Builder,
    UniSoccerBuilder,
    write_dataset,
)

pytestmark = pytest.mark.timeout(120)


def _build(builder, tmp_path):
    lines = []
    info = write_dataset(builder, tmp_path / "out", log=lines.append)
    return info, "\n".join(lines)


def _counted(info, printed, path, **kinds):
    assert info["problems"] == kinds
    for kind, count in kinds.items():
        assert f"{path}: {kind} x {count}" in printed  # by file and reason


def test_gsr(synth_dir, tmp_path):
    clip = tmp_path / "src" / "SNGS-001"
    shutil.copytree(synth_dir / "SNGS-001", clip)
    path = clip / "Labels-GameState.json"
    document = json.loads(path.read_text())
    objects = [a for a in document["annotations"] if a["supercategory"] == "object"]
    objects[0]["bbox_pitch"] = {"x_bottom_left": "far"}
    objects[1]["attributes"]["role"] = "coach"  # the reader skips unknown roles
    objects[2]["bbox_image"] = {"x": 1}
    pitch = next(a for a in document["annotations"] if a["supercategory"] == "pitch")
    pitch["lines"]["Banner"] = [{"x": 0.1, "y": 0.2}]
    pitch["lines"]["Middle line"] = [{"x": "a", "y": 0.2}, {"x": 0.3, "y": 0.4}]
    path.write_text(json.dumps(document))
    info, printed = _build(GSRBuilder(tmp_path / "src", clip_length=4), tmp_path)
    _counted(info, printed, path, malformed_annotation=3, malformed_bbox_pitch=1, unknown_line_class=1)
    assert "skipped 3 (malformed_annotation: 3)" in printed
    assert info["configs"]["spatial"]["splits"]["train"]["num_records"] == 2


def test_snmot(synth_dir, tmp_path):
    sequence = tmp_path / "src" / "SNMOT-001"
    shutil.copytree(synth_dir / "SNGS-001", sequence)
    gt = sequence / "gt" / "gt.txt"
    rows = gt.read_text().splitlines()
    rows[0] = "1,1,abc,2,3,4,1,-1,-1,-1"
    rows[1] = "99,1,1,2,3,4,1,-1,-1,-1"  # beyond seqLength
    rows[2] = rows[2].replace(",1,-1,-1,-1", ",0,-1,-1,-1")  # MOT "ignore" row
    rows.append("2,77,1,2,3,4,1,-1,-1,-1")  # no tracklet in gameinfo.ini
    gt.write_text("\n".join(rows) + "\n")
    gameinfo = sequence / "gameinfo.ini"
    gameinfo.write_text(gameinfo.read_text().replace("= referee;main", "= mascot;main", 1))
    info, printed = _build(SNMOTBuilder(tmp_path / "src", clip_length=4), tmp_path)
    assert info["problems"] == {"malformed_annotation": 3, "ignored_row": 1, "unknown_tracklet": 1}
    assert f"{gt}: malformed_annotation x 2" in printed and f"{gameinfo}: malformed_annotation x 1" in printed
    (sequence / "seqinfo.ini").write_text("[Sequence]\nname=x\n")
    with pytest.raises(ValueError, match=r"no usable snmot record \(unusable_clip: 1\)"):
        write_dataset(SNMOTBuilder(tmp_path / "src"), tmp_path / "out2", log=None)


def test_calibration(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "00000.json").write_text(json.dumps({"Side line top": [{"x": 0.0, "y": 0.3}, {"x": 1.0, "y": 0.2}]}))
    (folder / "00001.json").write_text("{not json")
    (folder / "00002.json").write_text(json.dumps([1, 2]))
    (folder / "camera_00000.json").write_text(json.dumps({"pan_degrees": 1}))
    info, printed = _build(CalibrationBuilder(folder), tmp_path)
    assert info["problems"] == {"malformed_record": 2, "malformed_camera": 1, "assumed_image_size": 1}
    assert f"{folder / '00001.json'}: malformed_record x 1" in printed


def test_soccernet_v2(tmp_path):
    game = tmp_path / "src" / "england_epl" / "2014-2015" / "2015-05-17 - 18-00 Manchester United 1 - 1 Arsenal"
    game.mkdir(parents=True)
    annotations = [
        {"gameTime": "1 - 00:00", "label": "Kick-off", "position": "94", "team": "home", "visibility": "not shown"},
        {"gameTime": "2 - 16:39", "label": "Indirect free-kick", "position": "999583", "team": "away",
         "visibility": "visible"},
        {"gameTime": "2 - 16:40", "label": "Dancing", "position": "1000000"},
        {"gameTime": "half time", "label": "Goal", "position": "5"},
        {"gameTime": "1 - 01:02", "label": "Goal", "position": "soon"},
        "not an object",
    ]
    (game / "Labels-v2.json").write_text(json.dumps({"annotations": annotations}))
    (game / "Labels-cameras.json").write_text(json.dumps({"annotations": [
        {"gameTime": "1 - 00:00", "label": "Main camera center", "replay": "real-time", "position": "0"},
        {"gameTime": "bad"}]}))
    info, printed = _build(SoccerNetV2Builder(tmp_path / "src"), tmp_path)
    assert info["problems"] == {"unknown_event": 1, "malformed_record": 2, "position_from_game_time": 1,
                                "malformed_camera_labels": 1}
    assert f"{game / 'Labels-v2.json'}: malformed_record x 2" in printed
    assert info["configs"]["semantic"]["splits"]["train"]["num_records"] == 3


def test_matchtime(tmp_path):
    game = tmp_path / "src" / "SN-Caption" / "test" / "england_epl_2014-2015" / "2015-02-21 - 18-00 Chelsea 1 - 1 Burnley"
    game.mkdir(parents=True)
    path = game / "Labels-caption.json"
    path.write_text(json.dumps({"annotations": [
        {"gameTime": "1 - 00:27", "label": "comments", "description": "Chelsea start.", "anonymized": "[TEAM] start."},
        {"gameTime": "3 - 00:10", "label": "corner"},
        {"gameTime": "", "gt_gameTime": "", "label": "corner"},
        {"gameTime": "xx", "gt_gameTime": "2 - 10:00", "label": "y-card"},
    ]}))
    info, printed = _build(MatchTimeBuilder(tmp_path / "src"), tmp_path)
    assert info["problems"] == {"malformed_record": 2, "aligned_time_only": 1}
    assert set(info["configs"]["semantic"]["splits"]) == {"test"}  # from SN-Caption/test/
    assert f"{path}: malformed_record x 2" in printed


def test_unisoccer(tmp_path):
    path = tmp_path / "classification_test.json"
    path.write_text(json.dumps([
        {"video": "a_2016-2017/g/1_00_10.mp4", "caption": "Goal"},
        {"video": "a_2016-2017/g/1_00_20.mp4", "caption": "dance"},
        {"caption": "goal"},
        7,
    ]))
    info, printed = _build(UniSoccerBuilder(path), tmp_path)
    assert info["problems"] == {"normalised_event": 1, "unknown_event": 1, "malformed_record": 2}
    assert "skipped 3 (malformed_record: 2, unknown_event: 1); repaired 1 (normalised_event: 1)" in printed
    assert set(info["configs"]["semantic"]["splits"]) == {"test"}
    path.write_text(json.dumps({"video": "x"}))
    assert main(["dataset", "build", str(path), "--format", "unisoccer", "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 1


def test_soccerfactory(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    eye = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    frames = {
        "000001": {"people": [{"id": 3, "bbox_ltwh": [10, 20, 30, 60], "role": "player", "jersey_number": 7,
                               "legibility_score": 0.9},
                              {"id": 4, "bbox_ltwh": [1, 2, -3, 4], "role": "player"},
                              {"id": 5, "bbox_ltwh": [1, 2, 3, 4], "role": "mascot"}],
                   "valid_cam_params": True, "K": eye, "R": eye},
        "000002": {"people": "nobody", "valid_cam_params": True, "K": [[1, 2]], "R": eye},
        "frame": {"people": []},
    }
    path = folder / "SNGS-10001.json"
    path.write_text(json.dumps(frames))
    info, printed = _build(SoccerFactoryBuilder(folder, clip_length=2), tmp_path)
    assert info["problems"] == {"malformed_annotation": 3, "malformed_camera": 1, "malformed_record": 1,
                                "integer_jersey": 1}
    assert f"{path}: malformed_annotation x 3" in printed


def test_a_build_that_yields_nothing_fails_with_one_line(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    code = main(["dataset", "build", str(empty), "--format", "gsr", "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "no gsr input found" in err[0]
    clip = tmp_path / "bad" / "SNGS-001"
    clip.mkdir(parents=True)
    (clip / "Labels-GameState.json").write_text("{broken")
    code = main(["dataset", "build", str(tmp_path / "bad"), "--format", "gsr", "--out", str(tmp_path / "o2"),
                 "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1 and captured.err.count("\n") == 1
    assert "no usable gsr record (unusable_clip: 1)" in captured.err
    assert "Labels-GameState.json: unusable_clip x 1" in captured.out  # the problem, by file and reason


def test_reports_name_the_file_in_the_messages(tmp_path):
    path = Path(tmp_path / "classification_valid.json")
    path.write_text(json.dumps([{"video": "g/1_00_10.mp4", "caption": "goal"}, {"video": "", "caption": "goal"}]))
    builder = UniSoccerBuilder(path)
    dataset = builder.to_dataset()
    assert len(dataset) == 1 and builder.report.by_file == {(f"{path}", "malformed_record"): 1}
    assert any(line.startswith(f"  malformed_record: {path}: record #1") for line in builder.report.lines())
