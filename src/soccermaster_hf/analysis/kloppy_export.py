"""The analysis as tracking data that kloppy loads: SkillCorner's broadcast-tracking format (match metadata JSON +
one JSON line per frame), read by ``kloppy.skillcorner.load`` (:func:`to_kloppy`).

What is written (``OUT/tracking/``): ``match_data.json`` with the tracklets as players (``trackable_object`` = track id
+ 100; ``home`` = SoccerNet-GSR's ``left`` team, ``away`` = ``right``; jersey = the tracklet's voted number, 0 when
never read; goalkeepers get SkillCorner's goalkeeper role), the referees' tracklets as referees and the ball as
trackable object 1; ``structured_data.jsonl`` with one frame per 0.1 s (SkillCorner's 10 fps; kloppy derives times
from the frame number at that rate) holding every athlete with a pitch position (the bottom middle of the box on a
plausible camera) and the most confident ball. Coordinates are SkillCorner's: metres from the centre spot, ``x``
towards the right goal of the main camera's image, ``y`` towards the far touch line (SoccerNet's ``y`` negated).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

from ..tracking.game_state import TrackSummary
from ..utils.io import atomic_path, atomic_write_json

BALL_ID = 1
TRACK_OFFSET = 100
FRAME_RATE = 10  # SkillCorner's (kloppy reads frame numbers at this rate)
HOME, AWAY = 1, 2


def match_data(summaries: dict[int, TrackSummary], teams: dict[int, str | None], name: str) -> dict:
    players, referees = [], []
    for track_id, summary in sorted(summaries.items()):
        role = summary.role
        if role == "referee":
            referees.append({"trackable_object": track_id + TRACK_OFFSET, "id": track_id, "first_name": "referee",
                             "last_name": str(track_id), "referee_role": 0, "start_time": None, "end_time": None})
            continue
        team = teams.get(track_id)
        if role not in ("player", "goalkeeper") or team not in ("left", "right"):
            continue
        jersey = summary.jersey
        players.append({
            "trackable_object": track_id + TRACK_OFFSET, "id": track_id, "team_id": HOME if team == "left" else AWAY,
            "number": int(jersey) if jersey is not None and str(jersey).isdigit() else 0,
            "first_name": "track", "last_name": str(track_id), "start_time": None, "end_time": None,
            "player_role": {"id": 0, "name": "Goalkeeper", "acronym": "GK"} if role == "goalkeeper" else
            {"id": 17, "name": "Unknown", "acronym": "UNK"},
            "birthday": None, "injured": False, "goal": 0, "own_goal": 0, "red_card": 0, "yellow_card": 0,
        })
    return {
        "id": 0, "date_time": None, "status": "analysed", "pitch_length": 105, "pitch_width": 68,
        "home_team": {"id": HOME, "name": "left", "short_name": "left", "acronym": "L"},
        "away_team": {"id": AWAY, "name": "right", "short_name": "right", "acronym": "R"},
        "home_team_score": None, "away_team_score": None, "home_team_coach": None, "away_team_coach": None,
        "ball": {"trackable_object": BALL_ID}, "players": players, "referees": referees,
        "stadium": None, "competition_edition": None, "competition_round": None, "source": name,
    }


class SkillCornerWriter:
    """Writes the frames of a run as they are read back (one line per 0.1 s); :meth:`close` publishes both files."""

    def __init__(self, output_dir: Path, summaries: dict[int, TrackSummary], teams: dict[int, str | None],
                 name: str, half: int = 1):
        self.folder = Path(output_dir) / "tracking"
        self.meta = match_data(summaries, teams, name)
        self.known = {p["trackable_object"] for p in self.meta["players"]} | \
            {r["trackable_object"] for r in self.meta["referees"]}
        self.half, self.last_frame = half, -1
        self._context = atomic_path(self.folder / "structured_data.jsonl")
        self._handle = open(self._context.__enter__(), "w", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def add(self, time_seconds: float, detections: Iterable) -> None:
        frame = int(math.floor(time_seconds * FRAME_RATE + 1e-6))  # the 0.1-s slot the frame falls in
        if frame <= self.last_frame:
            return  # one frame per 0.1 s
        self.last_frame = frame
        data, ball = [], None
        for detection in detections:
            point = detection.pitch_point
            if point is None:
                continue
            if detection.role == "ball":
                if ball is None or detection.score > ball[0]:
                    ball = (detection.score, point)
                continue
            trackable = detection.track_id + TRACK_OFFSET
            if trackable in self.known:
                data.append({"x": round(float(point[0]), 2), "y": round(-float(point[1]), 2),
                             "trackable_object": trackable, "track_id": detection.track_id})
        if ball is not None:
            data.append({"x": round(float(ball[1][0]), 2), "y": round(-float(ball[1][1]), 2), "z": 0.0,
                         "trackable_object": BALL_ID, "track_id": 0})
        minutes, seconds = divmod(time_seconds, 60.0)
        self._handle.write(json.dumps({"frame": frame, "period": self.half, "time": f"{int(minutes)}:{seconds:05.2f}",
                                       "possession": {"trackable_object": None, "group": None}, "data": data})
                           + "\n")

    def close(self) -> None:
        self._handle.close()
        self._context.__exit__(None, None, None)
        atomic_write_json(self.folder / "match_data.json", self.meta)

    def abort(self) -> None:
        self._handle.close()
        error = RuntimeError("aborted")
        self._context.__exit__(RuntimeError, error, None)


def to_kloppy(output_dir: str | Path, **kwargs):
    """The tracking data of an analysis folder as a kloppy ``TrackingDataset`` (``kloppy.skillcorner.load`` on
    ``tracking/``; `kwargs` go to it, e.g. ``coordinates="skillcorner"``)."""
    from kloppy import skillcorner

    folder = Path(output_dir) / "tracking"
    for name in ("match_data.json", "structured_data.jsonl"):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name}: no tracking data here (is {output_dir} an analyze output?).")
    return skillcorner.load(meta_data=str(folder / "match_data.json"), raw_data=str(folder / "structured_data.jsonl"),
                            **kwargs)


__all__ = ["SkillCornerWriter", "match_data", "to_kloppy"]
