"""Each builder on its real on-disk format: fixtures written from the real excerpts quoted in
shared/docs/FORMATS.md (GSR SNGS-060, SNMOT gameinfo.ini, Labels-v2 lines, MatchTime captions), the SoccerFactory
layout of the authors' README, and the real WorldCup-2014 calibration annotations + PnLCalib cameras in shared/."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from datasets_helpers import assert_same

import soccermaster_hf.datasets as smd
from soccermaster_hf import ROLE_NAMES, TEAM_NAMES
from soccermaster_hf.data.soccernet_gsr import SoccerNetGSRClips
from soccermaster_hf.datasets.features import BBOX_PITCH_KEYS

pytestmark = pytest.mark.timeout(120)

SNGS_060_PLAYER = {
    "id": "1060000001", "image_id": "1060000001", "track_id": 1, "supercategory": "object", "category_id": 1,
    "attributes": {"role": "player", "jersey": "10", "team": "left"},
    "bbox_image": {"x": 914, "y": 855, "x_center": 941.5, "y_center": 941, "w": 55, "h": 172},
    "bbox_pitch": {"x_bottom_left": -0.8043577233367065, "y_bottom_left": 24.095541188956325,
                   "x_bottom_right": 0.19365378518930804, "y_bottom_right": 24.10328518536706,
                   "x_bottom_middle": -0.3053155494888499, "y_bottom_middle": 24.100111551334564}}
SNGS_060_PITCH = {
    "id": "1060000019", "image_id": "1060000001", "supercategory": "pitch", "category_id": 5,
    "lines": {"Side line top": [{"x": 0, "y": 0.2940777777777778}, {"x": 0.4890421875, "y": 0.2992666666666666}],
              "Middle line": [{"x": 0.5051244791666667, "y": 0.9998490740740741}],
              "Goal left post left": [{"x": 0.2796953320503235, "y": 0.2796666622161865},
                                      {"x": 0.28245311975479126, "y": 0.4395138919353485}]}}


def _jpeg(path: Path, width: int = 192, height: int = 108) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((height, width, 3), 90, np.uint8))


def test_soccernet_gsr_excerpt(tmp_path):
    clip = tmp_path / "SoccerNetGS" / "train" / "SNGS-060"
    info = {"version": "1.3", "game_id": "4", "id": "060", "num_tracklets": "26", "action_position": "895",
            "action_class": "Kick-off", "visibility": "visible", "game_time_start": "1 - 00:00",
            "game_time_stop": "1 - 00:30", "clip_start": "0", "clip_stop": "30000", "name": "SNGS-060",
            "im_dir": "img1", "frame_rate": 25, "seq_length": 750, "im_ext": ".jpg"}
    image = {"is_labeled": True, "image_id": "1060000001", "file_name": "000001.jpg", "height": 1080, "width": 1920,
             "has_labeled_person": True, "has_labeled_pitch": True, "has_labeled_camera": True,
             "ignore_regions_y": [], "ignore_regions_x": []}
    clip.mkdir(parents=True)
    (clip / "Labels-GameState.json").write_text(json.dumps({
        "info": info, "images": [image], "annotations": [SNGS_060_PLAYER, SNGS_060_PITCH], "categories": []}))
    _jpeg(clip / "img1" / "000001.jpg", 1920, 1080)
    builder = smd.GSRBuilder(tmp_path / "SoccerNetGS", clip_length=1)
    record = builder.to_dataset()[0]
    assert builder.report.counts == {}
    assert (record["clip"], record["game_id"], record["split"], record["fps"]) == ("SNGS-060", "4", "train", 25.0)
    frame = record["frames"][0]
    assert (frame["image"], frame["image_id"], frame["frame_index"]) == ("train/SNGS-060/img1/000001.jpg",
                                                                        "1060000001", 0)
    athlete = frame["athletes"][0]
    assert athlete["bbox"] == [914, 855, 55, 172] and athlete["track_id"] == 1 and athlete["jersey"] == 10
    assert (ROLE_NAMES[athlete["role"]], TEAM_NAMES[athlete["team"]]) == ("player", "left")
    assert athlete["bbox_pitch"] == [SNGS_060_PLAYER["bbox_pitch"][key] for key in BBOX_PITCH_KEYS]
    lines = {line["name"]: line["points"] for line in frame["lines"]}
    assert lines["Goal left post left "] == [[0.2796953320503235, 0.2796666622161865],
                                             [0.28245311975479126, 0.4395138919353485]]  # the canonical spelling
    assert lines["Middle line"] == [[0.5051244791666667, 0.9998490740740741]]
    sample = smd.SpatialDecoder(tmp_path / "SoccerNetGS", max_size=480)(record)
    assert_same(SoccerNetGSRClips(tmp_path / "SoccerNetGS", clip_length=1, max_size=480)[0], sample)
    assert sample["line_visibility"][0].sum() == 2  # a one-point "Middle line" has no endpoints


def test_snmot_gameinfo_excerpt(tmp_path):
    sequence = tmp_path / "tracking" / "test" / "SNMOT-116"
    (sequence / "gt").mkdir(parents=True)
    (sequence / "seqinfo.ini").write_text("[Sequence]\nname=SNMOT-116\nimDir=img1\nframeRate=25\nseqLength=2\n"
                                          "imWidth=1920\nimHeight=1080\nimExt=.jpg\n")
    (sequence / "gameinfo.ini").write_text(
        "[Sequence]\nname=SNMOT-116\ngameID=4\ngameTimeStart= 1 - 00:00\nclipStart= 0\nnum_tracklets= 5\n"
        "trackletID_1= player team left;10\ntrackletID_14= referee;main\ntrackletID_18= ball;1\n"
        "trackletID_25= goalkeepers team right;X\ntrackletID_26= referee;side bottom\n")
    (sequence / "gt" / "gt.txt").write_text(
        "1,1,914,855,55,172,1,-1,-1,-1\n1,14,100,200,30,80,1,-1,-1,-1\n1,18,500,600,10,10,1,-1,-1,-1\n"
        "2,25,1800,500,40,120,1,-1,-1,-1\n2,26,50,900,30,90,1,-1,-1,-1\n")
    builder = smd.SNMOTBuilder(tmp_path / "tracking", clip_length=2)
    record = builder.to_dataset()[0]
    assert builder.report.counts == {} and record["split"] == "test" and record["game_id"] == "4"
    athletes = {a["track_id"]: (ROLE_NAMES[a["role"]], TEAM_NAMES[a["team"]], a["jersey"], a["bbox"])
                for frame in record["frames"] for a in frame["athletes"]}
    assert athletes == {1: ("player", "left", 10, [914, 855, 55, 172]), 14: ("referee", "none", -1, [100, 200, 30, 80]),
                        18: ("ball", "none", -1, [500, 600, 10, 10]),
                        25: ("goalkeeper", "right", -1, [1800, 500, 40, 120]),
                        26: ("referee", "none", -1, [50, 900, 30, 90])}
    assert [f["image"] for f in record["frames"]] == ["test/SNMOT-116/img1/000001.jpg", "test/SNMOT-116/img1/000002.jpg"]


def test_soccernet_v2_lines_and_cameras(tmp_path):
    game = tmp_path / "SoccerNet" / "england_epl" / "2014-2015" / "2015-05-17 - 18-00 Manchester United 1 - 1 Arsenal"
    game.mkdir(parents=True)
    (game / "Labels-v2.json").write_text(json.dumps({"UrlLocal": "england_epl/2014-2015/...", "annotations": [
        {"gameTime": "1 - 00:00", "label": "Kick-off", "position": "94", "team": "home", "visibility": "not shown"},
        {"gameTime": "2 - 16:39", "label": "Indirect free-kick", "position": "999583", "team": "away",
         "visibility": "visible"}]}))
    (game / "Labels-cameras.json").write_text(json.dumps({"annotations": [
        {"gameTime": "1 - 00:00", "label": "Main camera center", "change_type": "abrupt", "replay": "real-time",
         "position": "0"},
        {"gameTime": "2 - 16:30", "label": "Close-up player or field referee", "replay": "replay",
         "position": "990000"}]}))
    builder = smd.SoccerNetV2Builder(tmp_path / "SoccerNet")
    records = builder.to_dataset()
    assert builder.report.counts == {}
    names = records.features["label"].names
    kick_off, free_kick = records[0], records[1]
    assert names[kick_off["label"]] == "start of half game" and names[free_kick["label"]] == "free kick"
    assert kick_off["event_time"] == 0.094 and kick_off["frame_times"][:2] == [0.5, 1.5]  # shifted to the start
    assert free_kick["frame_times"][0] == pytest.approx(999.583 - 15 + 0.5) and len(free_kick["frame_times"]) == 30
    assert free_kick["frame_indices"][0] == int((999.583 - 15 + 0.5) * 25)
    assert kick_off["video"] == "england_epl/2014-2015/2015-05-17 - 18-00 Manchester United 1 - 1 Arsenal/1_224p.mkv"
    assert (kick_off["camera_shot"], kick_off["replay"]) == ("Main camera center", False)
    assert (free_kick["camera_shot"], free_kick["replay"]) == ("Close-up player or field referee", True)
    assert (kick_off["team"], kick_off["visibility"], kick_off["source_label"]) == ("home", "not shown", "Kick-off")


def test_matchtime_aligned_test_captions(tmp_path):
    game = tmp_path / "MatchTime" / "SN-Caption-test-align" / "europe_uefa-champions-league_2016-2017" / \
        "2016-11-23 - 22-45 Arsenal 2 - 2 Paris SG"
    game.mkdir(parents=True)
    (game / "Labels-caption_with_gt.json").write_text(json.dumps({"annotations": [
        {"gameTime": "2 - 43:36", "gt_gameTime": "2 - 43:40", "label": "comments", "important": False,
         "visibility": "shown",
         "description": "Jese (Paris SG) gets on the end of a pass on the edge of the box but his shot is blocked.",
         "anonymized": "[PLAYER] ([TEAM]) gets on the end of a pass on the edge of the box but his shot is blocked."},
        {"gameTime": "1 - 00:27", "gt_gameTime": "", "label": "y-card", "description": "Booked.",
         "anonymized": "Booked."}]}))
    builder = smd.MatchTimeBuilder(tmp_path / "MatchTime")
    records = builder.to_dataset()
    assert builder.report.counts == {}
    comment, card = records[0], records[1]
    assert comment["event_time"] == 43 * 60 + 40 and comment["game_time"] == "2 - 43:36"  # the manual alignment
    assert card["event_time"] == 27 and records.features["label"].names[card["label"]] == "yellow card"
    assert comment["label"] is None and comment["caption_anonymized"].startswith("[PLAYER] ([TEAM])")
    assert comment["video"] == "europe_uefa-champions-league/2016-2017/2016-11-23 - 22-45 Arsenal 2 - 2 Paris SG/2_224p.mkv"
    assert comment["game"] == "europe_uefa-champions-league/2016-2017/2016-11-23 - 22-45 Arsenal 2 - 2 Paris SG"


def test_soccerfactory_sequence_with_its_video(tmp_path):
    from soccermaster_hf.datasets.video import encode_images

    folder = tmp_path / "sn500"
    frames = {}
    for number in (1, 2, 3):
        frames[str(number)] = {
            "people": [{"id": 7, "bbox_ltwh": [10.5, 20, 30, 60], "role": "player", "jersey_number": "9",
                        "legibility_score": 0.3 if number == 2 else 0.9},
                       {"id": 1, "bbox_ltwh": [100, 50, 6, 6], "role": "ball", "jersey_number": None}],
            "valid_cam_params": number != 3, "K": [[1000, 0, 96], [0, 1000, 54], [0, 0, 1]],
            "R": [[1, 0, 0], [0, 0, -1], [0, 1, 0]]}
    folder.mkdir()
    (folder / "SNGS-10001.json").write_text(json.dumps(frames))
    for number in (1, 2, 3):
        _jpeg(tmp_path / "frames" / f"{number:06d}.jpg")
    encode_images(sorted((tmp_path / "frames").glob("*.jpg")), folder / "SNGS-10001.mp4", 25.0)
    builder = smd.SoccerFactoryBuilder(folder, clip_length=3, image_size=(192, 108))
    record = builder.to_dataset()[0]
    assert builder.report.counts == {}
    assert record["video"] == "SNGS-10001.mp4" and [f["frame_index"] for f in record["frames"]] == [0, 1, 2]
    first = record["frames"][0]
    assert first["camera"]["valid"] and not first["camera"]["has_position"] and first["camera"]["K"][0][0] == 1000
    assert not record["frames"][2]["camera"]["valid"]
    assert first["athletes"][0]["jersey_legibility"] == pytest.approx(0.9) and TEAM_NAMES[first["athletes"][0]["team"]] == "none"
    sample = smd.SpatialDecoder(folder)(record)
    assert sample["frame_valid"].all() and sample["frames"].shape == (3, 3, 108, 192)
    assert [j.tolist() for j in sample["jerseys"]] == [[9, -1], [-1, -1], [9, -1]]  # legibility <= 0.5: no target
    assert [c.tolist() for c in sample["class_labels"]] == [[0, 1]] * 3


@pytest.mark.real_data
def test_real_worldcup_calibration_annotations_and_cameras(shared_dir):
    lines = shared_dir / "data" / "real" / "calibration" / "wc14_test_gt_lines"
    cameras = shared_dir / "data" / "real" / "calibration" / "wc14_test_pnlcalib_cameras"
    if not lines.is_dir() or not cameras.is_dir():
        pytest.skip("WorldCup 2014 calibration data not in shared/")
    builder = smd.CalibrationBuilder(lines, cameras_dir=cameras)
    records = builder.to_dataset()
    assert len(records) == 186
    assert builder.report.counts == {"assumed_image_size": 186}  # no images: 960x540, as the cameras imply
    assert all(record["frames"][0]["camera"]["valid"] for record in records)
    record = records[0]
    annotation = json.loads((lines / f"{record['clip']}.json").read_text())
    assert sum(len(line["points"]) for line in record["frames"][0]["lines"]) == sum(
        len(points) for name, points in annotation.items())
    assert record["frames"][0]["camera"]["K"][0][2] == 479.5


@pytest.mark.real_data
def test_real_worldcup_calibration_with_the_command(shared_dir, tmp_path, capsys):
    from soccermaster_hf.cli.main import main

    lines = shared_dir / "data" / "real" / "calibration" / "wc14_test_gt_lines"
    cameras = shared_dir / "data" / "real" / "calibration" / "wc14_test_pnlcalib_cameras"
    if not lines.is_dir() or not cameras.is_dir():
        pytest.skip("WorldCup 2014 calibration data not in shared/")
    assert main(["dataset", "build", str(lines), "--format", "calibration", "--cameras-dir", str(cameras),
                 "--out", str(tmp_path / "wc14"), "--no-progress"]) == 0
    info = json.loads((tmp_path / "wc14" / "meta" / "info.json").read_text())
    assert info["configs"]["spatial"]["splits"]["train"]["num_records"] == 186
    assert info["problems"] == {"assumed_image_size": 186} and info["options"]["cameras_dir"] == cameras.name
    assert str(shared_dir) not in (tmp_path / "wc14" / "README.md").read_text()
