"""SoccerSynth league styles: the default style is SoccerSynth as before, every style keeps the ground truth exact,
a league's clips share its look, and bad styles or a resume into another league are one-line errors."""

import json

import cv2
import numpy as np
import pytest

from soccermaster_hf.cli.main import main as cli_main
from soccermaster_hf.geometry.pitch import PitchModel
from soccermaster_hf.synth.camera_path import WC14_RANGES, camera_path
from soccermaster_hf.synth.generate import SynthConfig, generate_dataset
from soccermaster_hf.synth.render import TEXTURE_EXTENT, TEXTURE_SCALE, ClipRenderer, _mowing
from soccermaster_hf.synth.styles import DEFAULT_KITS, LEAGUES, LeagueStyle, get_league

NEW_LEAGUES = [name for name in LEAGUES if name not in ("default", "randomised")]  # fixed-look leagues


@pytest.fixture(scope="module")
def league_clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("leagues")
    return {name: generate_dataset(root / name, SynthConfig(clips=2, frames=6, seed=3, tracking="procedural",
                                                            width=960, height=540, league=name), progress=False)
            for name in LEAGUES}


def test_default_style_is_the_renderer_without_a_style():
    """`ClipRenderer(style=default)` draws the same random numbers and the same pixels as before styles existed."""
    from soccermaster_hf.geometry.camera import Camera

    camera = Camera.look_at(np.array([0.0, 70.0, -15.0]), np.array([0.0, 0.0, 0.0]), 900.0, (239.5, 134.5))
    people = [(0, np.array([3.0, 5.0]), "player", 0, 10, 1.8), (1, np.array([-8.0, 2.0]), "referee", -1, -1, 1.8)]
    images = []
    for style in (None, LEAGUES["default"]):
        rng = np.random.default_rng(7)
        renderer = ClipRenderer(480, 270, rng, style=style)
        images.append(renderer.render(camera, people, np.array([0.0, 0.0, 0.0]), 3).image)
        images.append(rng.random(4))  # the generator is left in the same state
    np.testing.assert_array_equal(images[0], images[2])
    np.testing.assert_array_equal(images[1], images[3])
    # the default mowing pattern is SoccerSynth's original vertical stripes, 20 bands along the length
    pitch = PitchModel()
    xs = (np.arange(int(2 * TEXTURE_EXTENT[0] * TEXTURE_SCALE)) + 0.5) / TEXTURE_SCALE - TEXTURE_EXTENT[0]
    original = np.floor((xs + pitch.length / 2) / (pitch.length / 20)) % 2
    np.testing.assert_array_equal(_mowing(LEAGUES["default"], pitch, xs, np.zeros(3))[0], original)


@pytest.mark.parametrize("league", list(LEAGUES))
def test_ground_truth_lines_land_on_rendered_lines_in_every_league(league_clips, league):
    """Across every annotated line, the image's mean profile peaks on the annotation, whatever the league's light and
    stream (far lines may be faint and soft, so the test looks for the peak, not a fixed contrast)."""
    frames = 0
    for folder in league_clips[league]:
        for frame in ("000001", "000006"):
            image = cv2.imread(str(folder / "img1" / f"{frame}.jpg"))
            whiteness = image.min(axis=2).astype(float)
            annotation = json.loads((folder / "calibration" / f"{frame}.json").read_text())
            profile, samples = np.zeros(11), 0
            for name, points in annotation.items():
                if name.startswith(("Goal", "Circle")) or len(points) != 2:
                    continue
                a = np.array([points[0]["x"] * 959, points[0]["y"] * 539])
                b = np.array([points[1]["x"] * 959, points[1]["y"] * 539])
                normal = np.array([a[1] - b[1], b[0] - a[0]]) / max(np.linalg.norm(b - a), 1e-9)
                for t in np.linspace(0.1, 0.9, 15):
                    across = np.round(a + t * (b - a) + np.arange(-5, 6)[:, None] * normal).astype(int)
                    if (across < 0).any() or (across[:, 0] > 959).any() or (across[:, 1] > 539).any():
                        continue
                    profile += whiteness[across[:, 1], across[:, 0]]
                    samples += 1
            if samples < 10:
                continue
            profile /= samples
            frames += 1
            assert abs(int(np.argmax(profile)) - 5) <= 1, (league, folder.name, frame, profile.round(1))
            assert profile[5] > min(profile[0], profile[-1]) + 4, (league, folder.name, frame, profile.round(1))
    assert frames >= 2, frames


def test_a_league_shares_its_look_and_differs_from_the_others():
    grass = {}
    for name in ["default", *NEW_LEAGUES]:
        style = LEAGUES[name]
        means = []
        for clip in range(4):
            renderer = ClipRenderer(160, 90, np.random.default_rng([clip, 5]), style=style)
            assert all(kit in style.kits for kit in renderer.team_kits)
            assert renderer.team_kits[0] != renderer.team_kits[1]
            means.append(renderer.texture.reshape(-1, 3).mean(0))
        grass[name] = np.array(means)
    for name in NEW_LEAGUES:  # within a league the grass varies less than between it and the default league
        within = np.linalg.norm(grass[name] - grass[name].mean(0), axis=1).max()
        between = np.linalg.norm(grass[name].mean(0) - grass["default"].mean(0))
        assert within < between, (name, within, between)
        # the new leagues' clubs wear colours the default palette lacks
        if name == "nordic-turf":
            assert not set(LEAGUES[name].kits) & set(DEFAULT_KITS)


def test_camera_path_is_quiet_when_nobody_is_tracked():
    """Frames without a tracked player (the ball carries the camera) used to print numpy's 'Mean of empty slice' and
    'Degrees of freedom <= 0' warnings during `soccermaster synth`."""
    import warnings

    ball = np.zeros((40, 3))
    ball[:10] = np.nan  # and neither ball nor players: the centre spot
    players = np.zeros((40, 4, 2))
    players[:20] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cameras, _ = camera_path(ball, players, 960, 540, np.random.default_rng(0), cut_probability=0.0)
    assert len(cameras) == 40 and all(np.isfinite(c.position).all() for c in cameras)


def test_camera_installations_follow_the_league():
    ball = np.zeros((40, 3))
    players = np.zeros((40, 4, 2))
    for name, style in LEAGUES.items():
        ranges = style.camera
        for seed in range(10):
            cameras, _ = camera_path(ball, players, 960, 540, np.random.default_rng(seed), cut_probability=0.0,
                                     ranges=ranges)
            position = cameras[0].position
            assert ranges["y"][0] <= position[1] <= ranges["y"][1]
            assert ranges["height"][0] <= -position[2] <= ranges["height"][1]
            hfov = np.degrees(2 * np.arctan(480 / cameras[0].fx))
            assert ranges["hfov_degrees"][0] - 1e-6 <= hfov <= ranges["hfov_degrees"][1] + 1e-6, (name, hfov)
    assert LEAGUES["default"].camera == WC14_RANGES


def test_a_low_resolution_feed_is_softer():
    from soccermaster_hf.geometry.camera import Camera

    camera = Camera.look_at(np.array([0.0, 70.0, -15.0]), np.array([0.0, 0.0, 0.0]), 900.0, (239.5, 134.5))
    sharpness = []
    for scale in (1.0, 0.45):
        style = LeagueStyle("probe", render_scale=scale, noise_sigma=(0.0, 0.0))
        image = ClipRenderer(480, 270, np.random.default_rng(1), style=style).render(
            camera, [], np.full(3, np.nan), 0).image
        sharpness.append(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
    assert sharpness[1] < 0.5 * sharpness[0], sharpness


def test_provenance_names_the_league(league_clips):
    folder = league_clips["nordic-turf"][0]
    assert json.loads((folder / "synth.json").read_text())["league"] == "nordic-turf"
    assert json.loads((folder.parent / "league.json").read_text()) == json.loads(
        json.dumps(LEAGUES["nordic-turf"].to_dict()))
    card = (folder.parent / "README.md").read_text()
    assert "nordic-turf" in card and "--league nordic-turf" in card


def test_a_style_round_trips_through_json(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"name": "mine", "mowing": "checker", "kits": [[[1, 2, 203], [4, 5, 6]],
                                                                             [[207, 8, 9], [10, 11, 12]]],
                                "camera": {"height": [6, 9]}}))
    style = get_league(str(path))
    assert style.mowing == "checker" and style.kits[1] == ((207, 8, 9), (10, 11, 12))
    assert style.camera["height"] == (6, 9) and style.camera["y"] == WC14_RANGES["y"]
    assert LeagueStyle.from_dict(json.loads(json.dumps(LEAGUES["summer-sun"].to_dict()))) == LEAGUES["summer-sun"]


BAD_STYLES = [
    ([], "JSON object"),
    ({"mowing": "none"}, "needs a 'name'"),
    ({"name": ""}, "name must be"),
    ({"name": "x", "colour": 1}, "unknown league style field"),
    ({"name": "x", "mowing": "zigzag"}, "mowing must be one of"),
    ({"name": "x", "mowing_bands": 0}, "mowing_bands"),
    ({"name": "x", "mowing_bands": True}, "mowing_bands"),
    ({"name": "x", "grass_bgr": [[1, 2], [3, 4]]}, "grass_bgr must be three"),
    ({"name": "x", "grass_bgr": [[1, 2], [3, 4], [9, 5]]}, "grass_bgr[2]"),
    ({"name": "x", "grass_bgr": [[1, 2], [3, 4], [5, "6"]]}, "grass_bgr[2]"),
    ({"name": "x", "stripe_delta": [0, float("nan")]}, "stripe_delta"),
    ({"name": "x", "gain": [0, 1]}, "gain"),
    ({"name": "x", "kits": [[[1, 2, 3], [4, 5, 6]]]}, "at least 2 kits"),
    ({"name": "x", "kits": [[[1, 2, 3], [4, 5, 256]], [[1, 2, 3], [4, 5, 6]]]}, "three integers 0-255"),
    ({"name": "x", "kits": "red"}, "at least 2 kits"),
    ({"name": "x", "referee_kit": [[1, 2, 3]]}, "a kit is"),
    ({"name": "x", "goalkeeper_kits": [[[1, 2, 3], [4, 5, 6]], [[1, 2], [4, 5, 6]]]}, "three integers"),
    ({"name": "x", "camera": {"height": [-3, 5]}}, "camera.height"),
    ({"name": "x", "camera": {"y": [10, 20]}}, "camera.y"),
    ({"name": "x", "camera": {"hfov_degrees": [20, 22]}}, "span at least 4"),
    ({"name": "x", "camera": {"zoom": 2}}, "unknown camera field"),
    ({"name": "x", "camera": [1, 2]}, "'camera' must be an object"),
    ({"name": "x", "camera": {"pan_limit_degrees": -1}}, "pan_limit_degrees"),
    ({"name": "x", "render_scale": 0}, "render_scale"),
    ({"name": "x", "render_scale": 2}, "render_scale"),
    ({"name": "x", "jpeg_quality": [90, 50]}, "jpeg_quality"),
    ({"name": "x", "jpeg_quality": [50.5, 60]}, "jpeg_quality"),
    ({"name": "x", "colour_gain_bgr": [1, 1]}, "colour_gain_bgr"),
    ({"name": "x", "gamma": "1"}, "gamma"),
    ({"name": "x", "vignette": 1.5}, "vignette"),
    ({"name": "x", "shadow": 1.0}, "shadow"),
    ({"name": "x", "optics_blur": -1}, "optics_blur"),
    ({"name": "x", "board_palette": [[1, 2, 3], [4, 5]]}, "board_palette"),
    ({"name": "x", "line_colour": None}, "line_colour"),
    # Law 4: a goalkeeper (or a team) dressed like the referee
    ({"name": "x", "goalkeeper_kits": [[[20, 20, 20], [20, 20, 20]], [[30, 230, 130], [30, 30, 30]]]},
     "goalkeeper_kits: a shirt [20, 20, 20] is too close to the referee's [20, 20, 20]"),
    ({"name": "x", "referee_kit": [[30, 230, 150], [20, 20, 20]]}, "goalkeeper_kits: a shirt [30, 230, 130]"),
    ({"name": "x", "referee_kit": [[40, 40, 190], [20, 20, 20]]}, "kits: a shirt [40, 40, 200] is too close"),
    ({"name": "x", "kits": [[[40, 40, 200], [240, 240, 240]], [[40, 40, 200], [240, 240, 240]]]},
     "kits: the shirts [40, 40, 200] and [40, 40, 200] are too close"),
    ({"name": "x", "goalkeeper_kits": [[[40, 40, 200], [0, 0, 0]], [[30, 230, 130], [0, 0, 0]]]},
     "goalkeeper_kits: a shirt [40, 40, 200] is too close to the team shirt [40, 40, 200]"),
]


@pytest.mark.parametrize("data,message", BAD_STYLES, ids=[str(i) for i in range(len(BAD_STYLES))])
def test_bad_styles_are_refused_with_the_reason(data, message):
    with pytest.raises(ValueError, match=None) as error:
        LeagueStyle.from_dict(data)
    assert message in str(error.value)


def test_cli_league_errors_are_one_line(tmp_path, capsys):
    assert cli_main(["synth", "--out", str(tmp_path / "a"), "--league", "premier"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown league 'premier'") and "\n" not in err
    assert not (tmp_path / "a").exists()
    for name, text in (("broken.json", "{not json"), ("bad.json", '{"name": "x", "gamma": 9}'),
                       ("list.json", "[1, 2]")):
        (tmp_path / name).write_text(text)
        assert cli_main(["synth", "--out", str(tmp_path / "b"), "--league", str(tmp_path / name)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {tmp_path / name}: ") and "\n" not in err, err
    assert cli_main(["synth", "--out", str(tmp_path / "b"), "--league", str(tmp_path / "missing.json")]) == 1
    assert "no such league style file" in capsys.readouterr().err
    (tmp_path / "dir.json").mkdir()
    assert cli_main(["synth", "--out", str(tmp_path / "b"), "--league", str(tmp_path / "dir.json")]) == 1
    assert "no such league style file" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_resuming_into_another_league_is_refused_and_keeps_the_clips(tmp_path, capsys):
    out = tmp_path / "data"
    arguments = ["synth", "--out", str(out), "--clips", "1", "--frames", "2", "--tracking", "procedural",
                 "--size", "160x90"]
    assert cli_main([*arguments, "--league", "summer-sun"]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert cli_main([*arguments, "--clips", "2", "--league", "floodlit-night"]) == 1
    err = capsys.readouterr().err.strip()
    assert "drawn from league 'summer-sun', not 'floodlit-night'" in err and "\n" not in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert cli_main([*arguments, "--clips", "2", "--league", "summer-sun"]) == 0  # the same league resumes
    assert (out / "SNGS-002" / "Labels-GameState.json").is_file()
    (out / "league.json").write_text("{broken")
    assert cli_main([*arguments, "--clips", "3", "--league", "summer-sun"]) == 1
    assert "unreadable league style" in capsys.readouterr().err


def test_randomised_league_draws_a_valid_style_per_clip(league_clips):
    from soccermaster_hf.synth.styles import randomised_style

    styles = [json.loads((folder / "synth.json").read_text())["league_style"] for folder in league_clips["randomised"]]
    assert styles[0] != styles[1]
    for style in styles:
        assert LeagueStyle.from_dict(style).name == "randomised"  # a valid style, recorded for provenance
    draws = [randomised_style(np.random.default_rng(seed)) for seed in range(40)]
    assert draws[0] == randomised_style(np.random.default_rng(0))  # deterministic
    assert {d.mowing for d in draws} == {"stripes", "checker", "diagonal", "none"}
    assert any(d.score_bug for d in draws) and not all(d.score_bug for d in draws)
    assert any(d.render_scale < 1 for d in draws) and any(d.shadow > 0 for d in draws)
    heights = [d.camera["height"][0] for d in draws]
    assert min(heights) < 10 < 20 < max(heights)
    for d in draws:
        kits = d.kits
        assert sum(abs(a - b) for a, b in zip(kits[0][0], kits[1][0])) > 150  # the two teams never look alike


def test_nobody_wears_the_referees_colours():
    """Law 4: the default league once gave one goalkeeper kit the referee's black, and the role head called that
    keeper a referee in every frame of a validation clip. No built-in league, and no randomised draw, dresses a keeper
    or a team like the referee, a keeper like a team, or the two teams alike now; a randomised draw whose colours
    complied keeps its first kits (those clips draw the same look as before)."""
    from soccermaster_hf.synth.styles import (
        DEFAULT_GOALKEEPER_KITS,
        DEFAULT_REFEREE_KIT,
        MIN_SHIRT_DIFFERENCE,
        _distinct_kits,
        _referee_kit,
        randomised_style,
    )

    def difference(a, b):
        return sum(abs(x - y) for x, y in zip(a[0], b[0]))

    assert all(difference(kit, DEFAULT_REFEREE_KIT) >= MIN_SHIRT_DIFFERENCE for kit in DEFAULT_GOALKEEPER_KITS)
    for style in [*LEAGUES.values(), *(randomised_style(np.random.default_rng([7, seed, 7919])) for seed in range(300))]:
        for kit in (*style.kits, *style.goalkeeper_kits):
            assert difference(kit, style.referee_kit) >= MIN_SHIRT_DIFFERENCE, style
        for keeper in style.goalkeeper_kits:
            assert all(difference(keeper, kit) >= MIN_SHIRT_DIFFERENCE for kit in style.kits), style
        assert all(difference(a, b) >= MIN_SHIRT_DIFFERENCE for i, a in enumerate(style.kits)
                   for b in style.kits[i + 1:]), style
    first = tuple(int(c) for c in np.random.default_rng(5).integers(0, 256, 3))
    assert _referee_kit(np.random.default_rng(5), ()) == (first, (20, 20, 20))
    redrawn = _referee_kit(np.random.default_rng(5), ((first, (0, 0, 0)),))
    assert difference(redrawn, (first, None)) >= MIN_SHIRT_DIFFERENCE
    assert _distinct_kits(np.random.default_rng(5), 2)[0][0] == first
    assert difference(_distinct_kits(np.random.default_rng(5), 2, avoid=((first, (0, 0, 0)),))[0], (first, None)) \
        >= MIN_SHIRT_DIFFERENCE
