"""``soccermaster calibrate``: files in, camera JSON out, failures reported, metric printed."""

from __future__ import annotations

import json

import pytest
from geometry_synth import broadcast_camera, synthetic_annotation

from soccermaster_hf.cli.main import main
from soccermaster_hf.geometry import Camera, score_frame


def test_calibrate_folder(tmp_path, capsys):
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    truth = broadcast_camera(x=-25.0, target=(-40.0, -4.0), focal=1500.0, k1=0.05)
    good = synthetic_annotation(truth)
    (annotations / "00001.json").write_text(json.dumps(good))
    (annotations / "00002.json").write_text("{broken")
    (annotations / "00003.json").write_text(json.dumps({"Side line top": [{"x": 0.0, "y": 0.3}, {"x": 1.0, "y": 0.3}]}))
    out = tmp_path / "cameras"
    code = main(
        ["calibrate", "--annotations", str(annotations), "--output", str(out), "--width", "960", "--height", "540"]
        + ["--evaluate", "--quiet"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "calibrated 1/3 frames" in printed
    assert "SoccerNet metric at 960x540: completeness 50.0, acc@5 100.0" in printed
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "calibration_failures.json", "calibration_outliers.json", "camera_00001.json"]
    assert json.loads((out / "calibration_outliers.json").read_text()) == {}
    camera = Camera.load(out / "camera_00001.json")
    assert score_frame(camera, good).accuracy[5.0] == 1.0
    failures = json.loads((out / "calibration_failures.json").read_text())
    assert failures["00002"].startswith("bad_annotation:") and "00002.json" in failures["00002"]
    assert failures["00003"].startswith("too_few_constraints")


def test_calibrate_drops_a_mislabelled_class_and_lists_it(tmp_path, capsys):
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    truth = broadcast_camera(x=-25.0, target=(-40.0, -4.0), focal=1500.0)
    good = synthetic_annotation(truth)
    wrong = dict(good)
    wrong["Big rect. right main"] = wrong.pop("Big rect. left main")  # labelled as its mirror image
    (annotations / "00001.json").write_text(json.dumps(wrong))
    out = tmp_path / "cameras"
    assert main(["calibrate", "--annotations", str(annotations), "--output", str(out), "--quiet"]) == 0
    assert "dropped annotations that contradict the other classes on 1 frames" in capsys.readouterr().out
    assert json.loads((out / "calibration_outliers.json").read_text()) == {"00001": ["Big rect. right main"]}
    assert score_frame(Camera.load(out / "camera_00001.json"), good).accuracy[5.0] == 1.0
    plain = tmp_path / "plain"
    assert main(["calibrate", "--annotations", str(annotations), "--output", str(plain), "--quiet", "--no-robust"]) == 1
    assert json.loads((plain / "calibration_failures.json").read_text())["00001"].startswith("inconsistent_observations")


def test_calibrate_reports_bad_arguments(tmp_path, capsys):
    assert main(["calibrate", "--annotations", str(tmp_path / "nope"), "--output", str(tmp_path / "o")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["calibrate", "--annotations", str(tmp_path / "empty"), "--output", str(tmp_path / "o")]) == 2
    assert "no *.json annotation" in capsys.readouterr().err


@pytest.mark.real_data
def test_calibrate_real_frames_cli(wc14_dir, tmp_path, capsys):
    subset = tmp_path / "subset"
    subset.mkdir()
    for name in ("1", "43", "100"):
        (subset / f"{name}.json").write_text((wc14_dir / "wc14_test_gt_lines" / f"{name}.json").read_text())
    assert main(["calibrate", "--annotations", str(subset), "--output", str(tmp_path / "out"), "--quiet"]) == 0
    assert "calibrated 3/3 frames" in capsys.readouterr().out
