"""Offline tracklet linking (soccermaster_hf.tracking.linking): gates, costs, the assignment, chains, relabelling."""

import numpy as np
import pytest

from soccermaster_hf.tracking import TrackedDetection, TrackedFrame, vote_game_state
from soccermaster_hf.tracking.game_state import END_POINTS, kit_colours, summarise
from soccermaster_hf.tracking.linking import (
    LinkingConfig,
    kit_cuts,
    link_cost,
    link_frames,
    link_tracklets,
    merge_summaries,
    split_at_kit_changes,
)

# these tests check the linking rules on tracklets of a few frames: keep them all (the drop rule is tested apart)
KEEP_ALL = LinkingConfig(min_tracklet_seconds=0)
RED, BLUE = np.array([50.0, 70.0, 50.0]), np.array([40.0, 10.0, -50.0])


def _detection(track_id, x_pixels, pitch=None, role="player", colour=RED, height=60.0):
    box = np.array([x_pixels, 100.0, x_pixels + height / 3, 100.0 + height])
    bbox_pitch = None if pitch is None else {"x_bottom_middle": float(pitch[0]), "y_bottom_middle": float(pitch[1])}
    return TrackedDetection(track_id, box, 0.9, role=role, colour=colour, bbox_pitch=bbox_pitch)


def _clip(tracks, num_frames):
    """Frames from ``{track_id: [(frame, x_pixels, pitch (x, y) or None, role, colour), ...]}``."""
    frames = [TrackedFrame(i, [], calibrated=True) for i in range(num_frames)]
    for track_id, rows in tracks.items():
        for frame, x, pitch, role, colour in rows:
            frames[frame].detections.append(_detection(track_id, x, pitch, role, colour))
    return frames


def _run(track_id, frames, x0, pitch0, velocity=(0.0, 0.0), role="player", colour=RED, fps=25.0):
    """A tracklet moving at `velocity` m/s on the pitch (and 4 px / frame in the image)."""
    first = frames[0]
    return {track_id: [(f, x0 + 4 * (f - first), np.asarray(pitch0) + np.asarray(velocity) * (f - first) / fps,
                        role, colour) for f in frames]}


def test_an_athlete_out_of_view_is_linked_and_his_teammate_is_not():
    # track 1 leaves the view at frame 20 at (10, 5) jogging +x; track 2 (same athlete) comes back 3 s later 6 m on;
    # track 3 starts at the same time on the other side of the pitch, same kit
    tracks = {**_run(1, range(0, 20), 100, (10.0, 5.0), (2.0, 0.0)),
              **_run(2, range(95, 130), 600, (17.5, 5.0), (2.0, 0.0)),
              **_run(3, range(95, 130), 300, (-30.0, 20.0))}
    linked = link_tracklets(summarise(_clip(tracks, 130)), fps=25.0, config=KEEP_ALL)
    assert linked == {1: 1, 2: 1, 3: 3}


def test_gates_speed_role_overlap_gap_and_kit():
    base = _run(1, range(0, 20), 100, (0.0, 0.0))
    cases = {
        "too fast": _run(2, range(45, 60), 600, (40.0, 0.0)),  # 40 m in 1 s
        "other role": _run(2, range(45, 60), 600, (1.0, 0.0), role="referee"),
        "overlap": _run(2, range(15, 60), 600, (1.0, 0.0)),
        "gap too long": _run(2, range(650, 660), 600, (1.0, 0.0)),  # 25 s
        "other kit": _run(2, range(45, 60), 600, (1.0, 0.0), colour=BLUE),
    }
    for name, later in cases.items():
        summaries = summarise(_clip({**base, **later}, 660))
        assert not np.isfinite(link_cost(summaries[1], summaries[2], 25.0)), name
        assert link_tracklets(summaries, 25.0, KEEP_ALL)[2] == 2, name
    # balls are never linked, even when they line up
    balls = summarise(_clip({**_run(1, range(0, 10), 100, (0.0, 0.0), role="ball"),
                             **_run(2, range(12, 20), 150, (0.5, 0.0), role="ball")}, 20))
    assert link_tracklets(balls, 25.0, KEEP_ALL) == {1: 1, 2: 2}
    # the teams of the clustering gate a pair too
    same = summarise(_clip({**base, **_run(2, range(45, 60), 600, (1.0, 0.0))}, 60))
    assert link_tracklets(same, 25.0, KEEP_ALL)[2] == 1
    assert link_tracklets(same, 25.0, KEEP_ALL, teams={1: "left", 2: "right"})[2] == 2


def test_the_assignment_pairs_crossing_ends_and_starts_by_the_lowest_total_cost():
    # two athletes leave at frame 20 at x = 0 and x = 8 m; two tracklets start at frame 70 at x = 1 and x = 9 m.
    # greedily the cheapest single pair could be wrong; the assignment takes the pairing of least total cost
    tracks = {**_run(1, range(0, 20), 100, (0.0, 0.0)), **_run(2, range(0, 20), 300, (8.0, 0.0)),
              **_run(3, range(70, 90), 110, (1.0, 0.0)), **_run(4, range(70, 90), 310, (9.0, 0.0))}
    linked = link_tracklets(summarise(_clip(tracks, 90)), 25.0, KEEP_ALL)
    assert linked == {1: 1, 2: 2, 3: 1, 4: 2}


def test_chains_take_the_first_id_and_the_summaries_merge():
    tracks = {**_run(5, range(0, 10), 100, (0.0, 0.0)), **_run(2, range(40, 50), 200, (1.0, 0.0)),
              **_run(9, range(80, 95), 300, (2.0, 0.0))}
    frames = _clip(tracks, 95)
    summaries = summarise(frames)
    linked = link_tracklets(summaries, 25.0, KEEP_ALL)
    assert linked == {5: 5, 2: 5, 9: 5}
    merged = merge_summaries(summaries, linked)
    assert list(merged) == [5]
    athlete = merged[5]
    assert athlete.count == 35 and athlete.first_frame == 0 and athlete.last_frame == 94
    assert athlete.role == "player" and athlete.pitch_count == 35
    assert athlete.end_point("head")[0] == 0 and athlete.end_point("tail")[0] == 94
    assert len(athlete.head) == END_POINTS and np.allclose(athlete.colour, RED)
    # relabelled in place, and the vote then runs per athlete
    link_frames(frames, 25.0, KEEP_ALL, image_width=1000.0)
    vote_game_state(frames, image_width=1000.0)
    assert {d.track_id for f in frames for d in f.detections} == {5}


def test_short_gaps_link_on_the_image_without_a_camera():
    tracks = {1: [(f, 100 + 4 * f, None, "player", RED) for f in range(0, 10)],
              2: [(f, 100 + 4 * f, None, "player", RED) for f in range(13, 20)],  # 3 frames on, in line
              3: [(f, 700 + 4 * f, None, "player", RED) for f in range(13, 20)]}  # far away in the image
    assert link_tracklets(summarise(_clip(tracks, 20)), 25.0, KEEP_ALL) == {1: 1, 2: 1, 3: 3}
    # without a camera a long gap is not linked (the image moves with the camera)
    late = {1: tracks[1], 2: [(f, 140 + 4 * f, None, "player", RED) for f in range(60, 70)]}
    assert link_tracklets(summarise(_clip(late, 70)), 25.0, KEEP_ALL) == {1: 1, 2: 2}


def test_nothing_to_link_and_bad_settings():
    assert link_tracklets({}, 25.0, KEEP_ALL) == {}
    single = summarise(_clip(_run(1, range(5), 100, (0.0, 0.0)), 5))
    assert link_tracklets(single, 25.0, KEEP_ALL) == {1: 1}
    for bad in ({"max_speed": 0}, {"typical_speed": -1.0}, {"max_cost": float("nan")}, {"image_gap_frames": -1},
                {"colour_weight": -0.5}, {"max_gap_seconds": float("inf")}):
        with pytest.raises(ValueError, match="LinkingConfig"):
            LinkingConfig(**bad)
    for fps in (0, -25.0, float("nan")):
        with pytest.raises(ValueError, match="fps"):
            link_tracklets(single, fps)


def test_non_finite_pitch_points_are_ignored():
    tracks = {**_run(1, range(0, 20), 100, (0.0, 0.0)), **_run(2, range(45, 60), 600, (1.0, 0.0))}
    frames = _clip(tracks, 60)
    frames[19].detections[0].bbox_pitch = {"x_bottom_middle": float("nan"), "y_bottom_middle": 0.0}
    assert link_tracklets(summarise(frames), 25.0, KEEP_ALL)[2] == 1


def test_linked_tracks_never_overlap_in_time_and_keep_one_role():
    # many random tracklets of a crowded clip: whatever is linked, one athlete is never in two places in one frame
    rng = np.random.default_rng(3)
    tracks = {}
    for track_id in range(1, 61):
        first = int(rng.integers(0, 700))
        length = int(rng.integers(1, 60))
        role = str(rng.choice(["player", "player", "player", "goalkeeper", "referee", "ball"]))
        colour = RED if rng.random() < 0.5 else BLUE
        pitch = rng.uniform(-40, 40, size=2)
        velocity = rng.normal(0, 2, size=2)
        tracks.update(_run(track_id, range(first, min(first + length, 750)), float(rng.uniform(0, 900)), pitch,
                           velocity, role, colour))
    frames = _clip(tracks, 750)
    summaries = summarise(frames)
    linked = link_tracklets(summaries, 25.0, KEEP_ALL)
    assert set(linked) == set(summaries) and len(set(linked.values())) < len(summaries)  # something was linked
    for frame in link_frames(frames, 25.0, KEEP_ALL, image_width=1000.0):
        ids = [d.track_id for d in frame.detections]
        assert len(ids) == len(set(ids)), frame.frame_index
    members: dict[int, list[int]] = {}
    for track, head in linked.items():
        members.setdefault(head, []).append(track)
    for head, group in members.items():
        spans = sorted((summaries[t].first_frame, summaries[t].last_frame) for t in group)
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:])), head
        assert len({summaries[t].role for t in group}) == 1
        assert head == min(group, key=lambda t: summaries[t].first_frame)  # a chain takes its first tracklet's id


def test_short_athlete_tracklets_are_dropped_before_linking():
    # track 1 (2 s) and track 3 (2 s, the same athlete 1 s later) with a 0.4 s flicker (track 2) between them where
    # track 1 ended: left in, the flicker takes track 1's link; dropped, track 3 links to track 1
    tracks = {**_run(1, range(0, 50), 100, (0.0, 0.0)), **_run(2, range(55, 65), 300, (0.5, 0.0)),
              **_run(3, range(75, 125), 500, (1.5, 0.0)),
              **_run(4, range(0, 8), 900, (30.0, 0.0), role="ball")}
    frames = _clip(tracks, 125)
    assert link_tracklets(summarise(frames), 25.0, KEEP_ALL) == {1: 1, 2: 1, 3: 1, 4: 4}
    linked = link_tracklets(summarise(frames), 25.0)  # default: athlete tracklets of < 0.8 s dropped, balls kept
    assert linked == {1: 1, 2: 0, 3: 1, 4: 4}
    assert linked == link_tracklets(summarise(frames), 25.0, LinkingConfig(min_tracklet_seconds=0.5))
    assert link_tracklets(summarise(frames), 25.0, LinkingConfig(min_tracklet_seconds=2.1)) == linked  # at the ends
    merged = merge_summaries(summarise(frames), linked)
    assert sorted(merged) == [1, 4] and merged[1].count == 100
    link_frames(frames, 25.0, image_width=1000.0)
    assert sum(len(f.detections) for f in frames) == 50 + 50 + 8
    assert all(d.track_id in (1, 4) for f in frames for d in f.detections)
    assert all(len(frames[f].detections) == 0 for f in range(55, 65))
    # a short tracklet at either end of the clip may be an athlete the clip cuts: kept
    edges = summarise(_clip({**tracks, **_run(5, range(0, 6), 700, (20.0, 0.0)),
                             **_run(6, range(119, 125), 800, (25.0, 0.0))}, 125))
    at_edges = link_tracklets(edges, 25.0)
    assert at_edges[2] == 0 and at_edges[5] == 5 and at_edges[6] != 0
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="min_tracklet_seconds"):
            LinkingConfig(min_tracklet_seconds=bad)


def _handover(noise=()):
    """Track 1 follows a red player for frames 0-39, then the tracker hands it to a blue opponent crossing him
    (frames 40-79, boxes of `noise` frames wear the other kit); tracks 2 and 3 are a red and a blue player all along
    (so the clip has two kits)."""
    rows = [(f, 100 + 2 * f, (0.1 * f, 0.0), "player", BLUE if f >= 40 else RED) for f in range(80)]
    rows = [(f, x, p, role, (RED if c is BLUE else BLUE) if f in noise else c) for f, x, p, role, c in rows]
    tracks = {1: rows, **_run(2, range(0, 80), 400, (20.0, 5.0)),
              **_run(3, range(0, 80), 700, (-20.0, 5.0), colour=BLUE)}
    return _clip(tracks, 80)


def test_a_track_handed_to_an_opponent_is_cut_where_the_kit_changes():
    frames = _handover()
    summaries = summarise(frames)
    colours = kit_colours(summaries, role_of=lambda _, s: s.role)
    stream = [(f.frame_index, d) for f in frames for d in f.detections]
    assert kit_cuts(stream, colours) == {1: [40]}  # the first blue box, not a box later
    assert kit_cuts(stream, colours, LinkingConfig(kit_split_boxes=0)) == {}
    assert kit_cuts(stream, None) == {}
    segments, parts = split_at_kit_changes(lambda: iter(stream), summaries)
    assert len(segments) == 1 and segments(1, 39) == 1 and segments(1, 40) == segments(1, 79) == 4
    assert segments(2, 79) == 2 and sorted(parts) == [1, 2, 3, 4]
    assert parts[1].count == parts[4].count == 40 and parts[4].first_frame == 40
    vote_game_state(link_frames(frames, 25.0, KEEP_ALL, image_width=1000.0), image_width=1000.0)
    teams = {(d.track_id, d.team) for f in frames for d in f.detections if d.box[0] < 300}
    assert teams == {(1, "left"), (4, "right")} or teams == {(1, "right"), (4, "left")}, teams
    # without the cut the handed-over track keeps one id and one team for both athletes
    unsplit = _handover()
    link_frames(unsplit, 25.0, LinkingConfig(min_tracklet_seconds=0, kit_split_boxes=0), image_width=1000.0)
    assert {d.track_id for f in unsplit for d in f.detections if d.box[0] < 300} == {1}


def test_kit_noise_does_not_cut_and_only_players_are_cut():
    # a few boxes of the other kit (a teammate's arm, an opponent passing in front) never cut the track
    frames = _handover(noise={5, 12, 13, 20, 50, 60, 61})
    summaries = summarise(frames)
    colours = kit_colours(summaries, role_of=lambda _, s: s.role)
    stream = [(f.frame_index, d) for f in frames for d in f.detections]
    assert kit_cuts(stream, colours) == {1: [40]}
    # a track has a kit once that many boxes agreed: 36 red boxes (of 40) are not 45
    assert kit_cuts(stream, colours, LinkingConfig(kit_split_boxes=45)) == {}
    # boxes without a colour neither cut nor count; a goalkeeper (own kit) or referee is never cut
    for detection in (d for f in frames for d in f.detections if d.track_id == 1):
        detection.role = "goalkeeper"
    assert kit_cuts(stream, colours) == {}
    for detection in (d for f in frames for d in f.detections if d.track_id == 1):
        detection.role, detection.colour = "player", None
    assert kit_cuts(stream, colours) == {}
    one_kit = summarise(_clip(_run(1, range(10), 100, (0.0, 0.0)), 10))
    assert kit_colours(one_kit) is None  # a single tracklet: no two kits
    for bad in ({"kit_split_boxes": -1}, {"kit_split_boxes": 2.5}, {"kit_split_boxes": True},
                {"kit_split_fraction": 0.5}, {"kit_split_fraction": 1.5}, {"kit_split_fraction": float("nan")}):
        with pytest.raises(ValueError, match="kit_split"):
            LinkingConfig(**bad)
