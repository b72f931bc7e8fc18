"""Streaming `analyze`: resume after a kill, time ranges, shots and plausible cameras, event spotting and its
SoccerNet-v2 output, bounded memory (untrained tiny models: the pipeline's mechanics, not its accuracy)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from soccermaster_hf.analysis import analyze
from soccermaster_hf.analysis.cameras import CameraGate, ShotDetector, view_class
from soccermaster_hf.analysis.pipeline import AnalysisError, _Run
from soccermaster_hf.analysis.segments import IdentityStitcher
from soccermaster_hf.analysis.source import FrameSource
from soccermaster_hf.analysis.spotting import EventSpotter, is_sample, results_spotting, spot_events
from soccermaster_hf.cli.main import main
from soccermaster_hf.geometry.camera import Camera


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    out = tmp_path_factory.mktemp("streaming") / "synth"
    return generate_dataset(out, SynthConfig(clips=1, frames=12, seed=5, tracking="procedural", width=320,
                                             height=180), progress=False)[0]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from soccermaster_hf import SoccerMasterConfig, SoccerMasterForGameStateReconstruction

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny") / "model"
    SoccerMasterForGameStateReconstruction(SoccerMasterConfig.from_preset("tiny", num_frames=4)).save_pretrained(folder)
    return str(folder)


OUTPUTS = ("SNGS-001.json", "SNMOT-001.txt", "frames.jsonl", "results_spotting.json", "events.json")


def _outputs(folder):
    return {name: (folder / name).read_text() for name in OUTPUTS}


def test_a_killed_run_resumes_to_the_same_outputs(clip, tiny_model, tmp_path, monkeypatch):
    settings = dict(threshold=0.0, batch_size=2, progress=False, tracker="bytetrack", segment_seconds=4 / 25)
    whole = analyze(str(clip / "img1"), tiny_model, tmp_path / "whole", **settings)
    assert whole["frames"] == 12 and len(list((tmp_path / "whole" / ".analysis").glob("*.done.json"))) == 3
    original = _Run._segment

    def killed(self, index, *args, **kwargs):
        if index == 1:
            raise KeyboardInterrupt  # the run dies in its second segment
        return original(self, index, *args, **kwargs)

    monkeypatch.setattr(_Run, "_segment", killed)
    with pytest.raises(KeyboardInterrupt):
        analyze(str(clip / "img1"), tiny_model, tmp_path / "killed", **settings)
    assert not (tmp_path / "killed" / "summary.json").exists()
    assert [p.name for p in (tmp_path / "killed" / ".analysis").glob("*.done.json")] == ["00000.done.json"]
    monkeypatch.setattr(_Run, "_segment", original)
    from soccermaster_hf.utils.io import prepare_output_dir, read_marker

    assert read_marker(tmp_path / "killed") is not None  # marked when created: a SIGKILL-ed run is resumable
    prepare_output_dir(tmp_path / "killed", "analyze", create=False)  # what the CLI checks before --resume
    calls = []

    def counted(self, index, *args, **kwargs):
        calls.append(index)
        return original(self, index, *args, **kwargs)

    monkeypatch.setattr(_Run, "_segment", counted)
    resumed = analyze(str(clip / "img1"), tiny_model, tmp_path / "killed", resume=True, **settings)
    assert calls == [1, 2]  # the committed segment is not redone
    assert _outputs(tmp_path / "killed") == _outputs(tmp_path / "whole")
    assert resumed["tracks"] == whole["tracks"] and resumed["frames"] == 12
    assert (tmp_path / "killed" / "overlay.mp4").is_file()
    # a finished run resumes to its summary; other settings are refused
    calls.clear()
    assert analyze(str(clip / "img1"), tiny_model, tmp_path / "killed", resume=True, **settings)["frames"] == 12
    assert calls == []
    with pytest.raises(AnalysisError, match="threshold"):
        analyze(str(clip / "img1"), tiny_model, tmp_path / "killed", resume=True, **{**settings, "threshold": 0.5})


def test_segments_stitch_identities(clip, tiny_model, tmp_path):
    """Tracks continue over segment boundaries (a fresh tracker per segment, ids matched on the last frame)."""
    one = analyze(str(clip / "img1"), tiny_model, tmp_path / "one", threshold=0.0, progress=False,
                  tracker="hungarian")
    many = analyze(str(clip / "img1"), tiny_model, tmp_path / "many", threshold=0.0, progress=False,
                   tracker="hungarian", segment_seconds=3 / 25)
    assert many["tracks"] <= one["tracks"] + 2
    stitch = IdentityStitcher([(7, [0, 0, 10, 10]), (9, [50, 50, 60, 60])], next_id=10)
    assert stitch([1, 2, 0], np.array([[51, 50, 61, 60], [200, 0, 210, 10], [0, 0, 10, 10]])) == [9, 10, 0]
    assert stitch([1, 2, 3], np.array([[52, 50, 62, 60], [200, 0, 210, 10], [1, 0, 11, 10]])) == [9, 10, 7]


def test_time_range_and_bad_settings(clip, tiny_model, tmp_path, capsys):
    summary = analyze(str(clip / "img1"), tiny_model, tmp_path / "range", start=4 / 25, end=8 / 25, progress=False,
                      tracker="hungarian")
    rows = [json.loads(line) for line in (tmp_path / "range" / "frames.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in rows] == [5, 6, 7, 8] and summary["start_seconds"] == 0.16
    for argv, message in ((["--start", "10"], "nothing to analyse"), (["--end", "0"], "end must be"),
                          (["--segment-seconds", "0"], "must be > 0"), (["--half", "3"], "invalid choice"),
                          (["--spotting-stride", "-1"], "must be > 0"), (["--max-frames", "0"], ">= 1"),
                          (["--min-tracklet-seconds", "-0.5"], ">= 0"), (["--min-tracklet-seconds", "nan"], "finite"),
                          (["--kit-split-boxes", "-1"], ">= 0"), (["--kit-split-boxes", "2.5"], "expected an integer")):
        code = main(["analyze", str(clip / "img1"), "--model", tiny_model, "--out", str(tmp_path / "bad"), *argv])
        assert code in (1, 2) and message in capsys.readouterr().err, argv
        assert not (tmp_path / "bad").exists()
    with pytest.raises(AnalysisError, match="min_tracklet_seconds"):
        analyze(str(clip / "img1"), tiny_model, tmp_path / "bad", progress=False, min_tracklet_seconds=float("inf"))
    with pytest.raises(AnalysisError, match="kit_split_boxes"):
        analyze(str(clip / "img1"), tiny_model, tmp_path / "bad", progress=False, kit_split_boxes=-3)
    assert not (tmp_path / "bad").exists()


def test_a_single_image_gets_no_events(clip, tiny_model, tmp_path):
    summary = analyze(str(clip / "img1" / "000001.jpg"), tiny_model, tmp_path / "one", progress=False)
    assert summary["frames"] == 1 and summary["events"] == [] and summary["top_events"] == []
    assert summary["spotting_windows"] == 0
    assert json.loads((tmp_path / "one" / "results_spotting.json").read_text())["predictions"] == []


def test_video_input_streams_and_counts_corrupt_packets(tmp_path):
    from soccermaster_hf.analysis.render import write_video
    from soccermaster_hf.data.report import DataReport

    rng = np.random.default_rng(0)
    frames = [np.full((64, 96, 3), 40 + 4 * i, np.uint8) + rng.integers(0, 20, (64, 96, 3), dtype=np.uint8)
              for i in range(50)]
    write_video(tmp_path / "clip.mp4", frames, 25)
    source = FrameSource.open(tmp_path / "clip.mp4")
    assert source.kind == "video" and source.num_frames == 50 and source.fps == 25
    got = list(source.frames(10, 20))
    assert [i for i, _ in got] == list(range(10, 20))
    assert np.abs(got[0][1].astype(int) - frames[10]).mean() < 12  # the right frame (lossy codec)
    data = bytearray((tmp_path / "clip.mp4").read_bytes())
    middle = int(len(data) * 0.3)  # inside the media data (the index of an MP4 from PyAV is at the end)
    data[middle:middle + 2000] = bytes(2000)  # a stretch of the stream zeroed
    (tmp_path / "broken.mp4").write_bytes(bytes(data))
    report = DataReport(source="broken.mp4")
    broken = FrameSource.open(tmp_path / "broken.mp4", report)
    indices = [i for i, _ in broken.frames()]
    assert indices == sorted(indices) and len(indices) >= 10
    if len(indices) < 50:  # what was lost is counted, never silent
        assert report.counts, indices


def test_temporal_forward_is_the_video_forward(tiny_model):
    from soccermaster_hf import SoccerMasterForGameStateReconstruction

    model = SoccerMasterForGameStateReconstruction.from_pretrained(tiny_model).eval()
    size = model.config.vision_config.image_size
    pixels = torch.randn(1, 3, 3, size, size)
    with torch.no_grad():
        video = model.vision_model(pixels)
        images = model.vision_model(pixels[0]).spatial_hidden_state
        _, pooled = model.vision_model.temporal_forward(images[None])
    torch.testing.assert_close(pooled, video.pooler_output, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="batch, frames"):
        model.vision_model.temporal_forward(images)


def test_spotting_windows_nms_and_the_official_evaluator(tiny_model, tmp_path):
    from soccermaster_hf import SoccerMasterForGameStateReconstruction

    assert [i for i in range(60) if is_sample(i, 25.0)] == [0, 25, 50]
    assert [i for i in range(8) if is_sample(i, 2.5)] == [0, 3, 5]
    model = SoccerMasterForGameStateReconstruction.from_pretrained(tiny_model).eval()
    hidden = model.config.vision_config.hidden_size
    spotter = EventSpotter(model, fps=2.0, window=4, stride=3.0)
    windows = []
    for index in range(0, 40):
        if spotter.wants(index):
            windows += spotter.add(index, torch.randn(4, hidden))
    # 1-fps samples at 0, 2, 4, ... (20 s); windows of 4 s every 3 s: ends 4, 7, 10, ... 19
    assert [w["end"] for w in windows] == [4.0, 7.0, 10.0, 13.0, 16.0, 19.0]
    assert all(math.isclose(sum(w["probabilities"]), 1.0, rel_tol=1e-4) for w in windows)
    scores = [{"centre": t, "probabilities": [p, 1 - p]} for t, p in ((10, 0.9), (12, 0.8), (30, 0.7), (31, 0.1))]
    events = spot_events(scores, {0: "goal", 1: "corner"}, nms_seconds=10)
    assert [(e["label"], e["time"]) for e in events if e["label"] == "goal"] == [("goal", 10.0), ("goal", 30.0)]
    # SoccerNet-v2 results: keywords back to the 17 classes ("free kick" is both free-kick classes)
    written = results_spotting([{"label": "free kick", "time": 75.4, "confidence": 0.5},
                                {"label": "var", "time": 3.0, "confidence": 0.9}], half=2)
    assert {p["label"] for p in written["predictions"]} == {"Direct free-kick", "Indirect free-kick"}
    assert written["predictions"][0]["gameTime"] == "2 - 01:15" and written["predictions"][0]["position"] == "75400"
    evaluation = pytest.importorskip("SoccerNet.Evaluation.ActionSpotting")
    from SoccerNet.Evaluation.utils import EVENT_DICTIONARY_V2

    labels = {"annotations": [{"gameTime": "1 - 00:40", "label": "Goal", "position": "40000", "team": "home",
                               "visibility": "visible"},
                              {"gameTime": "1 - 02:00", "label": "Corner", "position": "120000", "team": "away",
                               "visibility": "visible"}]}
    (tmp_path / "labels" / "game").mkdir(parents=True)
    (tmp_path / "labels" / "game" / "Labels-v2.json").write_text(json.dumps(labels))
    (tmp_path / "preds" / "game").mkdir(parents=True)
    perfect = results_spotting([{"label": "goal", "time": 40.0, "confidence": 0.9},
                                {"label": "corner", "time": 120.0, "confidence": 0.8}])
    (tmp_path / "preds" / "game" / "results_spotting.json").write_text(json.dumps(perfect))
    result = evaluation.evaluate(str(tmp_path / "labels"), str(tmp_path / "preds"), split=None, version=2,
                                 prediction_file="results_spotting.json", label_files="Labels-v2.json",
                                 dataset=None, metric="tight", EVENT_DICTIONARY=EVENT_DICTIONARY_V2)
    per_class = dict(zip(EVENT_DICTIONARY_V2, result["a_mAP_per_class"]))
    assert per_class["Goal"] > 0.99 and per_class["Corner"] > 0.99


def test_shot_cuts_and_views_on_soccersynth(tmp_path):
    from soccermaster_hf.data.images import load_frames
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    folder = generate_dataset(tmp_path, SynthConfig(clips=1, frames=40, seed=3, tracking="procedural",
                                                    cut_probability=1.0, closeup_probability=1.0, width=320,
                                                    height=180), progress=False)[0]
    meta = json.loads((folder / "synth.json").read_text())
    assert meta["camera_views"] == ["main", "closeup"] and len(meta["camera_cuts"]) == 1
    frames, _, _ = load_frames(str(folder / "img1"), 40)
    detector = ShotDetector()
    cuts = [i for i, frame in enumerate(frames) if detector.update(frame)]
    cut = meta["camera_cuts"][0]
    assert [i for i in cuts if i <= cut] == [0, cut]  # the main-camera shot has no false cut; the cut is found
    assert view_class(frames[0], np.zeros((0, 4))) == "main"
    assert view_class(np.zeros((90, 160, 3), np.uint8), np.zeros((0, 4))) == "other"  # no grass: not the main view
    tall = np.array([[10, 10, 40, 170], [60, 5, 90, 175]], float)  # athletes as tall as the frame: a close-up
    assert view_class(frames[0], tall) == "other"


def test_camera_gate_rejects_implausible_and_jumping_cameras():
    gate = CameraGate(smoothing=0.0)
    camera = Camera.look_at(np.array([0.0, 70.0, -15.0]), np.array([0.0, 0.0, 0.0]), 1500.0, (479.5, 269.5))
    on_pitch, _ = camera.project(np.array([[x, y, 0.0] for x in (-10, 0, 10) for y in (-5, 5)]))
    assert gate.check(0, camera, on_pitch, 960, 540).camera is not None
    off = np.array([[480.0, 5.0], [400.0, 2.0], [500.0, 8.0]])  # feet high above the horizon of the pitch
    assert "off the pitch" in gate.check(1, camera, off, 960, 540).reason
    jumped = Camera.look_at(np.array([0.0, 70.0, -15.0]), np.array([40.0, 0.0, 0.0]), 1500.0, (479.5, 269.5))
    assert "jumped" in gate.check(2, jumped, np.zeros((0, 2)), 960, 540).reason
    gate.reset()  # a cut: the new shot may look anywhere
    assert gate.check(3, jumped, np.zeros((0, 2)), 960, 540).camera is not None
    underground = Camera.look_at(np.array([0.0, 70.0, 2.0]), np.array([0.0, 0.0, 0.0]), 1500.0, (479.5, 269.5))
    assert gate.check(4, underground, np.zeros((0, 2)), 960, 540).reason == "implausible camera position"
    smooth = CameraGate(smoothing=0.5)
    noisy = [Camera.look_at(np.array([0.0, 70.0, -15.0]), np.array([x, 0.0, 0.0]), 1500.0, (479.5, 269.5))
             for x in (0.0, 1.0, -1.0, 1.0, -1.0)]
    pans = [smooth.check(i, c, np.zeros((0, 2)), 960, 540).camera.pan_tilt_roll[0] for i, c in enumerate(noisy)]
    raw = [c.pan_tilt_roll[0] for c in noisy]
    assert np.std(np.diff(pans)) < np.std(np.diff(raw))  # smoothing damps the jitter


@pytest.mark.slow
def test_memory_does_not_grow_with_the_video_length(tiny_model, tmp_path):
    """Peak RSS of a 2-minute and a 20-minute video (2 fps, 64x36) differs by < 10 %."""
    script = f"""
import resource, sys, warnings
import numpy as np
from soccermaster_hf.analysis.render import VideoWriter
from soccermaster_hf.analysis import analyze
minutes = float(sys.argv[1])
path = sys.argv[2] + "/clip.mp4"
writer = VideoWriter(path, 2)
rng = np.random.default_rng(0)
for i in range(int(minutes * 60 * 2)):
    writer.write(rng.integers(0, 255, (36, 64, 3), dtype=np.uint8))
writer.close()
analyze(path, {tiny_model!r}, sys.argv[2] + "/out", progress=False, tracker="hungarian", segment_seconds=60)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
    peaks = {}
    for minutes in (2, 20):
        folder = tmp_path / f"m{minutes}"
        folder.mkdir()
        with warnings.catch_warnings():
            done = subprocess.run([sys.executable, "-c", script, str(minutes), str(folder)], capture_output=True,
                                  text=True, timeout=1200)
        assert done.returncode == 0, done.stderr[-2000:]
        peaks[minutes] = int(done.stdout.split()[-1])
        frames = (folder / "out" / "frames.jsonl").read_text().count("\n")
        assert frames == minutes * 120
    assert abs(peaks[20] - peaks[2]) / peaks[2] < 0.10, peaks


def test_keyframes_and_interpolated_cameras(clip, tiny_model, tmp_path):
    from soccermaster_hf.analysis.segment_runner import interpolate_camera

    a = Camera.look_at(np.array([0.0, 70.0, -15.0]), np.array([0.0, 0.0, 0.0]), 1500.0, (479.5, 269.5))
    b = Camera.look_at(np.array([2.0, 70.0, -15.0]), np.array([10.0, 0.0, 0.0]), 1700.0, (479.5, 269.5))
    half = interpolate_camera(a, b, 0.5)
    assert np.allclose(interpolate_camera(a, b, 0.0).rotation, a.rotation, atol=1e-9)
    assert np.allclose(interpolate_camera(a, b, 1.0).position, b.position)
    assert half.fx == 1600.0 and np.isclose(half.pan_tilt_roll[0], (a.pan_tilt_roll[0] + b.pan_tilt_roll[0]) / 2)
    analyze(str(clip / "img1"), tiny_model, tmp_path / "out", progress=False, tracker="hungarian", calibrate_every=4)
    rows = [json.loads(line) for line in (tmp_path / "out" / ".analysis" / "00000.rows.jsonl").read_text().splitlines()]
    main_view = [r for r in rows if r["view"] != "Other view"]
    keys = [r["frame"] for r in main_view if r["keyframe"]]
    # every 4th frame of a shot and the last frame are solved; the others never are
    assert all((f - 0) % 4 == 0 or f == 11 for f in keys), keys
    for row in rows:
        if not row["keyframe"] and row["camera"] is not None:
            assert row["calibration"] == "ok"  # an interpolated camera only between two plausible keyframes


def test_keyframes_are_refined_with_the_previous_ones_of_their_shot(clip, tiny_model, tmp_path, monkeypatch):
    """`shot_window`: each keyframe's solve goes to refine_shot with at most `shot_window` keyframes of its shot (the
    window slides, and restarts at a cut); what refine_shot returns for the newest keyframe is what the gate sees."""
    from soccermaster_hf.analysis import segment_runner
    from soccermaster_hf.geometry.results import CalibrationResult

    truth = Camera.look_at(np.array([0.0, 70.0, -15.0]), np.array([0.0, 0.0, 0.0]), 600.0, (159.5, 89.5))
    calls, gated = [], []
    monkeypatch.setattr(segment_runner, "calibrate_predicted",
                        lambda observations, **_: CalibrationResult(truth.copy(), initialisation=None))

    def spy_refine(observations, results, frame_indices):
        calls.append(list(frame_indices))
        marked = truth.copy()
        marked.fx = 601.0  # the refined camera: the gate must see this one
        return results[:-1] + [CalibrationResult(marked, refined_in_shot=True)]

    monkeypatch.setattr(segment_runner, "refine_shot", spy_refine)
    check = segment_runner.CameraGate.check
    monkeypatch.setattr(segment_runner.CameraGate, "check",
                        lambda self, index, camera, *a: (gated.append(camera), check(self, index, camera, *a))[1])
    analyze(str(clip / "img1"), tiny_model, tmp_path / "out", progress=False, tracker="hungarian", calibrate_every=2,
            shot_window=3)
    rows = [json.loads(line) for line in (tmp_path / "out" / ".analysis" / "00000.rows.jsonl").read_text().splitlines()]
    keys = [r["frame"] for r in rows if r["keyframe"]]
    assert len(keys) >= 3 and calls, (keys, calls)
    for window in calls:
        assert 2 <= len(window) <= 3 and window == sorted(window) and set(window) <= set(keys)
        shot = {r["shot"] for r in rows if r["frame"] in window}
        assert len(shot) == 1  # never across a cut
    assert any(len(w) == 3 for w in calls) or len(keys) < 3
    # the gate saw the refined camera exactly when a window of two or more keyframes was refined
    assert len(gated) == len(keys) and sum(c.fx == 601.0 for c in gated) == len(calls), (gated, calls)
    assert gated[0].fx == 600.0  # the first keyframe of the clip has no earlier one
    # shot_window=1 turns it off
    calls.clear()
    analyze(str(clip / "img1"), tiny_model, tmp_path / "off", progress=False, tracker="hungarian", calibrate_every=2,
            shot_window=1)
    assert calls == []


def test_tracking_data_loads_in_kloppy(tmp_path):
    pytest.importorskip("kloppy")
    from soccermaster_hf.analysis.kloppy_export import to_kloppy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = analyze(None, None, tmp_path / "out", demo=True, max_frames=25, progress=False)
    dataset = to_kloppy(tmp_path / "out", coordinates="skillcorner", include_empty_frames=True)
    assert len(dataset) == 10  # 1 s at SkillCorner's 10 fps
    rows = [json.loads(line) for line in (tmp_path / "out" / "tracking" / "structured_data.jsonl").read_text().splitlines()]
    meta = json.loads((tmp_path / "out" / "tracking" / "match_data.json").read_text())
    referees = {r["trackable_object"] for r in meta["referees"]}  # kloppy keeps officials apart from the players
    positioned = sum(d["trackable_object"] not in referees for r in rows for d in r["data"])
    loaded = sum(len(frame.players_data) + (frame.ball_coordinates is not None) for frame in dataset.frames)
    assert loaded == positioned
    if summary["frames_calibrated"]:
        assert positioned > 0
        frame = next(f for f in dataset.frames if f.players_data)
        point = next(iter(frame.players_data.values())).coordinates
        assert abs(point.x) <= 60 and abs(point.y) <= 45  # metres from the centre spot
    with pytest.raises(FileNotFoundError, match="no tracking data"):
        to_kloppy(tmp_path)
    # the same tracking data as Metrica's CSV pair (25 fps): the same players, teams and positions
    metrica = to_kloppy(tmp_path / "out", provider="metrica")
    assert len(metrica) == 25
    skillcorner = to_kloppy(tmp_path / "out", include_empty_frames=True)  # both in kloppy normalised coordinates
    compared = 0
    for slot, frame in enumerate(skillcorner.frames):  # 0.1-s slot k holds the first 25-fps frame at or after k/10 s
        twin = metrica.frames[math.ceil(slot * 2.5 - 1e-9)]
        theirs = [(d.coordinates.x, d.coordinates.y) for d in twin.players_data.values()]
        assert len(theirs) == len(frame.players_data)
        for data in frame.players_data.values():
            assert min(abs(x - data.coordinates.x) + abs(y - data.coordinates.y) for x, y in theirs) < 5e-4
            compared += 1
    assert compared == sum(len(f.players_data) for f in skillcorner.frames)
    players = [p for team in metrica.metadata.teams for p in team.players]
    assert len({p.player_id for p in players}) == len(players) == len(meta["players"])  # one Metrica player each
    rows = (tmp_path / "out" / "tracking" / "metrica_home.csv").read_text().splitlines()
    assert rows[2].startswith("Period,Frame,Time [s],") and rows[2].endswith("Ball,")
    assert rows[3].startswith("1,1,0.00,") and len(rows) == 3 + 25
    with pytest.raises(ValueError, match="provider"):
        to_kloppy(tmp_path / "out", provider="tracab")


def _small_videos(folder, count):
    from soccermaster_hf.analysis.render import write_video

    folder.mkdir()
    rng = np.random.default_rng(1)
    for k in range(count):
        write_video(folder / f"match{k}.mp4", [rng.integers(0, 255, (36, 64, 3), dtype=np.uint8) for _ in range(6)],
                    25)
    return folder


def test_batch_runs_split_across_two_processes(tiny_model, tmp_path):
    """Two processes (RANK 0 / 1 of WORLD_SIZE 2, what torchrun and accelerate set) share a folder of videos with
    no input analysed twice; a second run skips what is done."""
    videos = _small_videos(tmp_path / "videos", 3)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "soccermaster_hf.cli.main", "analyze", str(videos), "--model", tiny_model,
               "--out", str(out), "--tracker", "hungarian"]
    env = {**__import__("os").environ, "WORLD_SIZE": "2"}
    procs = [subprocess.Popen(command, env={**env, "RANK": str(rank)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for rank in (0, 1)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1500:] for o in outputs]
    ranks = [json.loads((out / f"batch-rank{r}.json").read_text()) for r in (0, 1)]
    done = [Path(p).name for r in ranks for p in r["done"]]
    assert sorted(done) == ["match0.mp4", "match1.mp4", "match2.mp4"]  # each exactly once
    assert [Path(p).name for p in ranks[0]["done"]] == ["match0.mp4", "match2.mp4"]
    for name in ("match0", "match1", "match2"):
        assert (out / name / "summary.json").is_file() and (out / name / "SNMOT-001.txt").is_file()
    assert "process 1 of 2: 2 of 3 inputs" in outputs[0][0]
    again = subprocess.run(command, env={**env, "RANK": "1"}, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "already done 1" in again.stdout


def test_batch_list_counts_a_broken_input_and_goes_on(tiny_model, tmp_path, capsys):
    videos = _small_videos(tmp_path / "videos", 2)
    (videos / "broken.mp4").write_bytes(b"\x00" * 64)
    listing = tmp_path / "list.txt"
    listing.write_text("# two matches and a broken file\nvideos/match0.mp4\n\nvideos/broken.mp4\nvideos/match1.mp4\n")
    code = main(["analyze", str(listing), "--model", tiny_model, "--out", str(tmp_path / "out"), "--tracker",
                 "hungarian"])
    captured = capsys.readouterr()
    assert code == 1 and "broken.mp4" in captured.err and "failed 1" in captured.out
    assert (tmp_path / "out" / "match0" / "summary.json").is_file()
    assert (tmp_path / "out" / "match1" / "summary.json").is_file()
    (tmp_path / "empty.txt").write_text("# nothing\n")
    assert main(["analyze", str(tmp_path / "empty.txt"), "--out", str(tmp_path / "o2")]) == 1
    assert "names no input" in capsys.readouterr().err


def _chromium():
    import shutil

    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


@pytest.mark.skipif(_chromium() is None, reason="needs headless Chromium (Debian: apt-get install chromium)")
def test_report_page_in_headless_chromium(clip, tiny_model, tmp_path):
    """report.html opens from disk: the overlay video plays, a click on the timeline seeks it and the minimap
    follows; a screenshot renders."""
    import cv2

    out = tmp_path / "out"
    analyze(str(clip / "img1"), tiny_model, out, threshold=0.0, progress=False, tracker="hungarian")
    page = (out / "report.html").read_text()
    assert "http://" not in page and "https://" not in page  # nothing from the network
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"]
    dom = subprocess.run([_chromium(), *flags, "--virtual-time-budget=8000", "--dump-dom",
                          f"file://{out / 'report.html'}#selftest"], capture_output=True, text=True, timeout=120)
    marker = '<pre id="selftest">'
    assert marker in dom.stdout, dom.stderr[-1500:]
    result = json.loads(dom.stdout.split(marker, 1)[1].split("</pre>", 1)[0])
    assert result.get("played") is True and result.get("synced") is True, result
    shot = tmp_path / "report.png"
    subprocess.run([_chromium(), *flags, "--hide-scrollbars", "--window-size=1340,1200", "--virtual-time-budget=3000",
                    f"--screenshot={shot}", f"file://{out / 'report.html'}"], capture_output=True, timeout=120)
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[:2] == (1200, 1340) and image.std() > 10
