"""The scripted match: deterministic, physically plausible, and every set piece derives to its event label."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from soccermaster_hf.synth.events import derive_events
from soccermaster_hf.synth.scripted import scripted_match
from soccermaster_hf.synth.tracking import load_tracking


@pytest.fixture(scope="module")
def match():
    return scripted_match(seconds=900.0, fps=25.0, seed=3)


def test_same_seed_same_match_other_seed_other_match(match):
    again = scripted_match(seconds=900.0, fps=25.0, seed=3)
    np.testing.assert_array_equal(again.positions, match.positions)
    np.testing.assert_array_equal(again.ball, match.ball)
    other = scripted_match(seconds=900.0, fps=25.0, seed=4)
    assert not np.allclose(other.ball, match.ball)


def test_shapes_periods_and_people(match):
    frames = 900 * 25
    assert match.positions.shape == (frames, 23, 2) and match.ball.shape == (frames, 3)
    assert np.isfinite(match.positions).all() and np.isfinite(match.ball).all()  # everybody tracked in every frame
    assert match.periods[0] == 1 and match.periods[-1] == 2 and (np.diff(match.periods) >= 0).all()
    assert Counter(match.roles.tolist()) == {"player": 20, "goalkeeper": 2, "referee": 1}
    assert match.fps == pytest.approx(25.0)


def test_people_run_at_human_speeds_and_stay_near_the_pitch(match):
    speed = np.linalg.norm(np.diff(match.positions, axis=0), axis=2) * match.fps
    assert speed.max() <= 8.0 + 1e-6
    assert np.abs(match.positions[..., 0]).max() < 56 and np.abs(match.positions[..., 1]).max() < 38
    assert np.abs(match.ball[:, 0]).max() < 58 and np.abs(match.ball[:, 1]).max() < 40


def test_every_kind_of_set_piece_derives_to_its_label(match):
    events = derive_events(match)
    labels = Counter(event.label for event in events)
    for label in ("Kick-off", "Ball out of play", "Throw-in", "Shots on target", "Indirect free-kick"):
        assert labels[label] >= 1, labels
    assert len(events) >= 30  # ~280 in 90 minutes; far more than the real match's ~100
    kickoffs = [event.time for event in events if event.label == "Kick-off"]
    assert kickoffs[0] == 0.0 and any(abs(t - 450.0) < 0.1 for t in kickoffs)  # both halves start with one
    for before, after in zip(events, events[1:]):  # a restart follows the ball going out
        if after.label in ("Throw-in", "Corner", "Indirect free-kick"):
            assert before.label == "Ball out of play" and 0 < after.time - before.time < 40


def test_goals_are_followed_by_a_kickoff():
    events = derive_events(scripted_match(seconds=5400.0, fps=10.0, seed=0))
    goals = [i for i, event in enumerate(events) if event.label == "Goal"]
    assert goals
    for i in goals:
        assert events[i - 1].label == "Shots on target" and events[i + 1].label == "Kick-off"


def test_load_tracking_source_and_bad_arguments():
    trajectories = load_tracking("scripted", fps=5.0, seed=1)
    assert trajectories.source.startswith("scripted match (seed 1")
    assert len(trajectories.times) == 5400 * 5
    with pytest.raises(ValueError, match="positive"):
        scripted_match(seconds=0)
    with pytest.raises(ValueError, match="scripted"):
        load_tracking("no-such-source")


def test_synth_cli_renders_scripted_event_clips(tmp_path):
    import json

    from soccermaster_hf.cli.main import main as cli_main

    out = tmp_path / "scripted"
    assert cli_main(["synth", "--out", str(out), "--clips", "1", "--frames", "2", "--size", "128x72", "--seed", "1",
                     "--tracking", "scripted", "--semantic-clips", "6"]) == 0
    records = json.loads((out / "events" / "classification.json").read_text())
    assert 3 <= len(records) <= 6 and all((out / r["video"]).is_file() for r in records)
    assert len({r["caption"] for r in records}) >= 2  # spread over the match: not one kind of event
    labels = json.loads((out / "events" / "Labels-v2.json").read_text())["annotations"]
    assert len(labels) > 200
