"""SoccerSynth: geometry of the rendered frames vs the ground truth, formats, determinism, resume, CLI."""

import configparser
import json

import cv2
import numpy as np
import pytest

from soccermaster_hf.cli.main import main as cli_main
from soccermaster_hf.geometry.camera import Camera
from soccermaster_hf.geometry.metric import evaluate_cameras
from soccermaster_hf.synth.generate import SynthConfig, generate_dataset
from soccermaster_hf.synth.render import ClipRenderer
from soccermaster_hf.synth.tracking import load_tracking


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "data"
    config = SynthConfig(clips=2, frames=12, seed=3, tracking="procedural")
    return generate_dataset(out, config, progress=False), config


def test_ground_truth_lines_land_on_rendered_lines(dataset):
    folders, config = dataset
    hits, total = 0, 0
    for folder in folders:
        for frame in ("000001", "000012"):
            image = cv2.imread(str(folder / "img1" / f"{frame}.jpg"))
            whiteness = image.min(axis=2)  # white lines are high in every channel, grass is not
            # contrast of the brightest pixel within 1 px against the local grass level (far lines are thin and faint)
            contrast = cv2.dilate(whiteness, np.ones((3, 3), np.uint8)).astype(int) - \
                cv2.medianBlur(whiteness, 9).astype(int)
            annotation = json.loads((folder / "calibration" / f"{frame}.json").read_text())
            for name, points in annotation.items():
                if name.startswith(("Goal", "Circle")) or len(points) != 2:
                    continue
                a = np.array([points[0]["x"] * (config.width - 1), points[0]["y"] * (config.height - 1)])
                b = np.array([points[1]["x"] * (config.width - 1), points[1]["y"] * (config.height - 1)])
                for t in np.linspace(0.05, 0.95, 15):
                    u, v = np.round(a + t * (b - a)).astype(int)
                    total += 1
                    hits += int(contrast[v, u] > 12)
    assert total > 50
    assert hits / total > 0.85, (hits, total)  # athletes may hide a few line pixels


def test_boxes_are_tight_around_rendered_athletes():
    rng = np.random.default_rng(0)
    renderer = ClipRenderer(640, 360, rng)
    camera = Camera.look_at(np.array([0.0, 70.0, -15.0]), np.array([0.0, 0.0, 0.0]), 1400.0, (319.5, 179.5))
    empty = renderer.render(camera, [], np.full(3, np.nan), 0).image.astype(int)
    person = (0, np.array([3.0, 5.0]), "player", 0, 10, 1.8)
    rendered = renderer.render(camera, [person], np.full(3, np.nan), 0)
    diff = np.abs(rendered.image.astype(int) - empty).max(axis=2) > 25
    ys, xs = np.nonzero(diff)
    drawn = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=float)
    box = np.array(rendered.people[0].box)
    inter = np.maximum(0, np.minimum(drawn[2:], box[2:]) - np.maximum(drawn[:2], box[:2])).prod()
    union = (drawn[2:] - drawn[:2]).prod() + (box[2:] - box[:2]).prod() - inter
    assert inter / union > 0.8, (drawn, box)
    assert rendered.people[0].jersey_drawn


def test_occluded_athletes_are_flagged():
    rng = np.random.default_rng(1)
    renderer = ClipRenderer(640, 360, rng)
    camera = Camera.look_at(np.array([0.0, 70.0, -15.0]), np.array([0.0, 0.0, 0.0]), 1400.0, (319.5, 179.5))
    far = (0, np.array([0.0, -3.0]), "player", 0, 7, 1.8)
    near = (1, np.array([0.0, 3.0]), "player", 1, 9, 1.8)  # same image column, closer to the camera
    people = {p.index: p for p in renderer.render(camera, [far, near], np.full(3, np.nan), 0).people}
    assert people[1].visible_fraction == 1.0
    assert people[0].visible_fraction < 0.9


def test_gt_camera_scores_100_percent_with_the_calibration_metric(dataset):
    folders, _ = dataset
    annotations, cameras = {}, {}
    for folder in folders:
        for path in sorted((folder / "calibration").glob("*.json")):
            annotations[str(path)] = json.loads(path.read_text())
            cameras[str(path)] = Camera.load(folder / "cameras" / f"camera_{path.name}")
    result = evaluate_cameras(cameras, annotations)
    assert result.n_images == 24
    assert result.final[5.0] == pytest.approx(1.0)


def test_files_follow_the_soccernet_formats(dataset):
    folders, config = dataset
    folder = folders[0]
    labels = json.loads((folder / "Labels-GameState.json").read_text())
    assert set(labels) == {"info", "images", "annotations", "categories"}
    assert labels["info"]["name"] == folder.name and labels["info"]["seq_length"] == config.frames
    ids = {image["image_id"] for image in labels["images"]}
    assert all(len(i) == 10 and i.startswith("1001") for i in ids)
    objects = [a for a in labels["annotations"] if a["supercategory"] == "object"]
    pitch = [a for a in labels["annotations"] if a["supercategory"] == "pitch"]
    assert len(pitch) == config.frames and objects
    roles = {a["attributes"]["role"] for a in objects}
    assert {"player", "referee"} <= roles
    for annotation in objects:
        assert annotation["image_id"] in ids
        assert set(annotation["bbox_image"]) == {"x", "y", "x_center", "y_center", "w", "h"}
        assert set(annotation["bbox_pitch"]) == {f"{c}_bottom_{s}" for c in "xy" for s in ("left", "middle", "right")}
        assert annotation["attributes"]["team"] in ("left", "right", None)
        if annotation["attributes"]["role"] in ("player", "goalkeeper"):
            assert annotation["attributes"]["team"] in ("left", "right")
    assert all(name[-1] != " " for a in pitch for name in a["lines"])  # GSR spelling: no trailing space
    # SNMOT
    rows = np.loadtxt(folder / "gt" / "gt.txt", delimiter=",")
    assert rows.shape[1] == 10 and rows[:, 0].min() == 1 and rows[:, 0].max() <= config.frames
    assert len(rows) == len(objects)
    seqinfo = configparser.ConfigParser()
    seqinfo.read(folder / "seqinfo.ini")
    assert seqinfo["Sequence"]["seqLength"] == str(config.frames) and seqinfo["Sequence"]["imWidth"] == "960"
    gameinfo = (folder / "gameinfo.ini").read_text()
    assert "trackletID_1=" in gameinfo
    # cameras round-trip and keypoints agree with them
    camera = Camera.load(folder / "cameras" / "camera_000005.json")
    again = Camera.from_dict(json.loads(json.dumps(camera.to_dict())))
    np.testing.assert_allclose(again.rotation, camera.rotation, atol=1e-9)
    keypoints = json.loads((folder / "Labels-Keypoints.json").read_text())
    assert len(keypoints["keypoint_names"]) == 57
    entries = keypoints["frames"]["000005.jpg"]
    from soccermaster_hf.modeling.pitch_definitions import KEYPOINTS

    world = np.array([[k.x, k.y, k.z] for k in KEYPOINTS])
    uv, _ = camera.project(world, distort=False)
    for (x, y, visible), point in zip(entries, uv):
        if visible:
            assert abs(x * 959 - point[0]) < 0.01 and abs(y * 539 - point[1]) < 0.01


def test_same_seed_same_bytes_and_resume(tmp_path):
    config = SynthConfig(clips=1, frames=4, seed=11, tracking="procedural")
    first = generate_dataset(tmp_path / "a", config, progress=False)[0]
    second = generate_dataset(tmp_path / "b", config, progress=False)[0]
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # resume: a killed run leaves a partial folder; the next run replaces it and keeps finished clips
    stamp = (first / "Labels-GameState.json").stat().st_mtime_ns
    (tmp_path / "a" / ".SNGS-002.partial" / "img1").mkdir(parents=True)
    config.clips = 2
    folders = generate_dataset(tmp_path / "a", config, progress=False)
    assert [f.name for f in folders] == ["SNGS-001", "SNGS-002"]
    assert (first / "Labels-GameState.json").stat().st_mtime_ns == stamp
    assert not (tmp_path / "a" / ".SNGS-002.partial").exists()
    assert "SoccerSynth dataset" in (tmp_path / "a" / "README.md").read_text()


def test_the_cards_command_regenerates_the_same_clips(tmp_path, monkeypatch):
    """The dataset card's "Regenerate with" command names every option that changes what is drawn (it once left
    out --time-range, and drew other windows of the match)."""
    import shlex

    monkeypatch.chdir(tmp_path)
    assert cli_main(["synth", "--out", "first", "--clips", "1", "--frames", "3", "--tracking", "procedural",
                     "--size", "320x180", "--seed", "4", "--time-range", "30.5:90", "--split", "valid"]) == 0
    card = (tmp_path / "first" / "README.md").read_text()
    command = card.split("Regenerate with:")[1].replace("\\\n", " ")
    assert "--time-range 30.5:90" in command and "--split valid" in command
    argv = shlex.split(command)[1:]
    argv[argv.index("--out") + 1] = "second"
    assert cli_main(argv) == 0
    for name in ("gt/gt.txt", "Labels-GameState.json", "img1/000002.jpg"):
        assert (tmp_path / "first" / "SNGS-001" / name).read_bytes() == (tmp_path / "second" / "SNGS-001" / name).read_bytes()
    other = cli_main(["synth", "--out", "third", "--clips", "1", "--frames", "3", "--tracking", "procedural",
                      "--size", "320x180", "--seed", "4"])
    assert other == 0 and (tmp_path / "third" / "SNGS-001" / "gt/gt.txt").read_bytes() != (
        tmp_path / "first" / "SNGS-001" / "gt/gt.txt").read_bytes()  # the options matter


def test_cli(tmp_path, capsys):
    assert cli_main(["synth", "--out", str(tmp_path / "cli"), "--clips", "1", "--frames", "3", "--tracking",
                     "procedural", "--size", "320x180"]) == 0
    assert "wrote 1 clips (3 frames)" in capsys.readouterr().out
    image = cv2.imread(str(tmp_path / "cli" / "SNGS-001" / "img1" / "000003.jpg"))
    assert image.shape == (180, 320, 3)
    assert cli_main(["synth", "--out", str(tmp_path / "x"), "--tracking", "nonexistent.npz"]) == 1


@pytest.mark.slow
def test_real_skillcorner_trajectories(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCCERMASTER_CACHE", str(tmp_path / "cache"))
    trajectories = load_tracking("skillcorner")
    assert abs(trajectories.fps - 25.0) < 1e-6
    assert trajectories.positions.shape[1] > 22 and (trajectories.roles == "goalkeeper").any()
    assert np.nanmax(np.abs(trajectories.positions[..., 0])) < 60 and np.nanmax(np.abs(trajectories.positions[..., 1])) < 45
    assert list((tmp_path / "cache" / "synth").glob("*.npz"))  # parsed once, cached
    folders = generate_dataset(tmp_path / "real", SynthConfig(clips=1, frames=6, seed=0), progress=False)
    labels = json.loads((folders[0] / "Labels-GameState.json").read_text())
    assert "SkillCorner" in json.loads((folders[0] / "synth.json").read_text())["source"]
    assert sum(a["supercategory"] == "object" for a in labels["annotations"]) >= 6 * 5


def _scripted_trajectories(ball_path):
    from soccermaster_hf.synth.tracking import Trajectories

    frames = len(ball_path)
    times = np.arange(frames) / 25.0
    positions = np.full((frames, 2, 2), np.nan)
    positions[:, 0] = np.asarray(ball_path)[:, :2] + [0.5, 0.0]  # a home player next to the ball
    ball = np.concatenate([np.asarray(ball_path, dtype=float)[:, :2], np.zeros((frames, 1))], axis=1)
    return Trajectories(times, positions, ball, np.array([9, 1]), np.array([0, 1]),
                        np.array(["player", "goalkeeper"]), np.array(["a", "b"]), "scripted", "",
                        np.ones(frames, np.int16))


def test_event_derivation_rules(tmp_path):
    from soccermaster_hf.synth.events import derive_events, write_event_files

    path = [(0.0, 0.0)] * 10                                           # kick-off at the centre spot
    path += [(0.0, 0.0 + 0.4 * i) for i in range(1, 95)]               # slowly to the touch line and over it
    path += [(np.nan, np.nan)] * 50                                    # 2 s unobserved
    path += [(10.0, 33.8)] * 10                                        # back at the touch line: throw-in
    path += [(30.0 + 0.9 * i, 0.5) for i in range(30)]                 # 22 m/s towards the right goal mouth, in
    path += [(np.nan, np.nan)] * 100
    path += [(0.0, 0.0)] * 10                                          # kick-off after the goal
    trajectories = _scripted_trajectories(path)
    labels = [event.label for event in derive_events(trajectories)]
    assert labels == ["Kick-off", "Ball out of play", "Throw-in", "Shots on target", "Goal", "Kick-off"], labels
    events = derive_events(trajectories)
    assert events[1].team == 0 and events[2].position == (10.0, 33.8)
    paths = write_event_files(trajectories, events, tmp_path)
    spotting = json.loads(paths["Labels-v2.json"].read_text())
    assert spotting["annotations"][4] == {"gameTime": "1 - 00:07", "label": "Goal", "position": str(
        int(round(events[4].time * 1000))), "team": "home", "visibility": "visible"}
    captions = json.loads(paths["Labels-caption.json"].read_text())["annotations"]
    assert all("[" in c["anonymized"] or c["label"] == "comments" for c in captions)
    assert captions[4]["label"] == "soccer-ball" and captions[4]["important"]


def test_solver_recovers_the_synthetic_cameras(dataset):
    """SoccerSynth annotations -> the geometry solver -> cameras that score like the ground truth (issues 4 + 6)."""
    from soccermaster_hf.geometry.calibrator import calibrate
    from soccermaster_hf.geometry.observations import PitchObservations

    folders, config = dataset
    annotations, cameras, failures = {}, {}, []
    for folder in folders:
        for path in sorted((folder / "calibration").glob("*.json"))[::4]:
            annotation = json.loads(path.read_text())
            annotations[str(path)] = annotation
            result = calibrate(PitchObservations.from_soccernet(annotation, config.width, config.height, str(path)))
            cameras[str(path)] = result.camera if result.success else None
            if not result.success:
                failures.append(result.failure)
    scores = evaluate_cameras(cameras, annotations)
    # every returned camera is right; views the solver cannot pin down (here: centre circle + penalty arc + one box
    # line, whose line residuals also fit a wrong camera) are explicit failures, never a wrong camera
    assert scores.accuracy[5.0] >= 0.95, scores.summary()
    assert scores.completeness >= 0.5
    assert all(failure.reason == "inconsistent_observations" for failure in failures)
