"""Game state per tracklet: weighted votes of roles and jerseys, teams by clustering torso colours, sides."""

from __future__ import annotations

import numpy as np

from soccermaster_hf.tracking import (
    TrackedDetection,
    TrackedFrame,
    assign_teams,
    torso_colour,
    vote_attributes,
    vote_game_state,
)


def _pitch(x: float) -> dict:
    return {f"{c}_bottom_{s}": (x if c == "x" else 0.0) for c in "xy" for s in ("left", "middle", "right")}


def test_votes_are_confidence_weighted_and_keep_jersey_visibility():
    box = np.array([0.0, 0.0, 10.0, 30.0])
    detections = [TrackedDetection(1, box, 0.9, "player", 0.9, jersey="7", jersey_score=0.9),
                  TrackedDetection(1, box, 0.9, "goalkeeper", 0.4, jersey="1", jersey_score=0.3),
                  TrackedDetection(1, box, 0.9, "goalkeeper", 0.4, jersey=None),
                  TrackedDetection(1, box, 0.9, "player", 0.5, jersey="7", jersey_score=0.2)]
    frames = [TrackedFrame(i, [d]) for i, d in enumerate(detections)]
    vote_attributes(frames)
    assert [f.detections[0].role for f in frames] == ["player"] * 4  # 1.4 against 0.8
    assert [f.detections[0].jersey for f in frames] == ["7", "7", None, "7"]


def test_torso_colour_reads_the_shirt():
    image = np.zeros((100, 100, 3), np.uint8)
    image[:, :] = (40, 160, 40)  # grass
    image[20:50, 40:60] = (220, 20, 20)  # a red shirt
    red = torso_colour(image, np.array([40.0, 10.0, 60.0, 90.0]))
    grass = torso_colour(image, np.array([0.0, 60.0, 20.0, 99.0]))
    assert red is not None and red[1] > 150 > grass[1]  # Lab a*: red is high
    assert torso_colour(image, np.array([50.0, 50.0, 50.0, 50.0])) is None


def _clip(rng, num_frames=6):
    """Two teams (red defending the left half, blue the right), a referee (black) and two goalkeepers."""
    kits = {"red": np.array([140.0, 190.0, 170.0]), "blue": np.array([90.0, 150.0, 60.0]),
            "black": np.array([20.0, 128.0, 128.0]), "green": np.array([150.0, 60.0, 180.0]),
            "yellow": np.array([220.0, 110.0, 200.0])}
    people = [(t, "player", "red", -20 + 3 * t) for t in range(1, 6)] + \
             [(t, "player", "blue", 5 + 3 * t) for t in range(6, 11)] + \
             [(11, "referee", "black", 0.0), (12, "goalkeeper", "green", -45.0), (13, "goalkeeper", "yellow", 44.0)]
    frames = []
    for i in range(num_frames):
        found = []
        for track, role, kit, x in people:
            found.append(TrackedDetection(track, np.array([0.0, 0.0, 10.0, 30.0]), 0.9, role, team="left",
                                          colour=kits[kit] + rng.normal(0, 4, 3), bbox_pitch=_pitch(x + i * 0.1)))
        frames.append(TrackedFrame(i, found))
    return frames


def test_teams_by_clustering_with_referee_apart_and_sides_from_the_pitch():
    frames = assign_teams(_clip(np.random.default_rng(0)))
    teams = {d.track_id: d.team for d in frames[-1].detections}
    assert {teams[t] for t in range(1, 6)} == {"left"} and {teams[t] for t in range(6, 11)} == {"right"}
    assert teams[11] is None and teams[12] == "left" and teams[13] == "right"


def test_sides_from_the_image_without_a_camera():
    frames = _clip(np.random.default_rng(1))
    for frame in frames:
        for detection in frame.detections:
            x = detection.bbox_pitch["x_bottom_middle"]
            u = (x / 105.0 + 0.5) * 960
            detection.box = np.array([u - 5, 100.0, u + 5, 130.0])
            detection.bbox_pitch = None
    teams = {d.track_id: d.team for d in vote_game_state(frames, image_width=960)[0].detections}
    assert {teams[t] for t in range(1, 6)} == {"left"} and {teams[t] for t in range(6, 11)} == {"right"}
    assert teams[12] == "left"


def test_sides_count_every_detection_not_every_tracklet():
    # red: one athlete seen all clip long on the left (x = -20) plus five one-frame fragments on the right (x = +30);
    # blue: one athlete at x = 0. Per-tracklet means would put red right of blue (21.7 > 0); per detection red
    # stands at -17.6, left of blue, and the sides do not depend on how the tracker cut the tracks
    red, blue = np.array([140.0, 190.0, 170.0]), np.array([90.0, 150.0, 60.0])
    box = np.array([0.0, 0.0, 10.0, 30.0])
    frames = []
    for i in range(100):
        found = [TrackedDetection(1, box, 0.9, "player", colour=red, bbox_pitch=_pitch(-20.0)),
                 TrackedDetection(2, box, 0.9, "player", colour=blue, bbox_pitch=_pitch(0.0))]
        if i < 5:
            found.append(TrackedDetection(10 + i, box, 0.9, "player", colour=red, bbox_pitch=_pitch(30.0)))
        frames.append(TrackedFrame(i, found))
    teams = {d.track_id: d.team for f in assign_teams(frames) for d in f.detections}
    assert teams[1] == "left" and teams[2] == "right" and {teams[t] for t in range(10, 15)} == {"left"}


def test_a_keeper_voted_player_does_not_take_a_team_cluster(monkeypatch):
    """A goalkeeper the role head calls a player, in a colour of neither team, was one k-means cluster on his own and
    left both teams in the other: every player of a validation clip got one side (team accuracy 0.43). A cluster
    under MIN_TEAM_SHARE of the detections is set apart now; its tracklet joins the team of its half, like a keeper."""
    from soccermaster_hf.tracking import game_state

    def teams_of(frames):
        return {d.track_id: d.team for frame in assign_teams(frames) for d in frame.detections}

    frames = _clip(np.random.default_rng(2), num_frames=20)
    sky = np.array([250.0, 250.0, 20.0])  # farther from either kit than the kits are from each other
    for frame in frames:
        for detection in frame.detections:
            if detection.track_id == 12:  # the left keeper, called a player, seen in 3 of the 20 frames
                detection.role, detection.colour = "player", sky
        frame.detections = [d for d in frame.detections if d.track_id != 12 or frame.frame_index < 3]
    frames = vote_attributes(frames)
    teams = teams_of(frames)
    assert {teams[t] for t in range(1, 6)} == {"left"} and {teams[t] for t in range(6, 11)} == {"right"}
    assert teams[12] == "left" and teams[11] is None
    monkeypatch.setattr(game_state, "MIN_TEAM_SHARE", 0.0)  # the rule off: the keeper takes a cluster of his own
    before = teams_of(frames)
    assert len({before[t] for t in range(1, 11)}) == 1
