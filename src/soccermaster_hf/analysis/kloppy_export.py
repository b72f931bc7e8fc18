"""The analysis as tracking data that kloppy loads, in two providers' formats (:func:`to_kloppy` reads either):
SkillCorner's broadcast-tracking format (match metadata JSON + one JSON line per frame, ``kloppy.skillcorner.load``)
and Metrica's CSV pair (one CSV per team, ``kloppy.metrica.load_tracking_csv``).

What is written (``OUT/tracking/``): ``match_data.json`` with the tracklets as players (``trackable_object`` = track id
+ 100; ``home`` = SoccerNet-GSR's ``left`` team, ``away`` = ``right``; jersey = the tracklet's voted number, 0 when
never read; goalkeepers get SkillCorner's goalkeeper role), the referees' tracklets as referees and the ball as
trackable object 1; ``structured_data.jsonl`` with one frame per 0.1 s (SkillCorner's 10 fps; kloppy derives times
from the frame number at that rate) holding every athlete with a pitch position (the bottom middle of the box on a
plausible camera) and the most confident ball. Coordinates are SkillCorner's: metres from the centre spot, ``x``
towards the right goal of the main camera's image, ``y`` towards the far touch line (SoccerNet's ``y`` negated).

Metrica CSV (``OUT/tracking/metrica_home.csv``, ``metrica_away.csv``; :class:`MetricaCSVWriter`): Metrica's layout
(three header rows: team, jersey numbers, ``Period,Frame,Time [s],Player<n>,,...,Ball,``), one row per 1/25 s
(kloppy reads Metrica CSV at 25 fps), coordinates normalised to the pitch: ``x`` from the left goal line, ``y`` from
the near touch line (kloppy's Metrica reader flips ``y``, so kloppy's ``y`` runs from the far line as for the
SkillCorner files), ``NaN`` when an athlete has no pitch position in that frame. Metrica names players by jersey
number only, so a tracklet without a readable number of its own (none, or one another tracklet of its team also
holds) gets ``1000 + track id``; the same players, teams and positions as the SkillCorner files (tested).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

from ..modeling.pitch_definitions import PITCH_LENGTH, PITCH_WIDTH
from ..tracking.game_state import TrackSummary
from ..utils.io import atomic_path, atomic_write_json

METRICA_FRAME_RATE = 25

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


def pitch_positions(detections: Iterable) -> tuple[list[tuple[int, object, int]], object | None]:
    """``([(trackable object, pitch point, track id)], ball point or None)`` of a frame's detections with a pitch
    position; the ball is the most confident ball detection."""
    athletes, ball, ball_score = [], None, -math.inf
    for detection in detections:
        point = detection.pitch_point
        if point is None:
            continue
        if detection.role == "ball":
            if detection.score > ball_score:
                ball, ball_score = point, detection.score
            continue
        athletes.append((detection.track_id + TRACK_OFFSET, point, detection.track_id))
    return athletes, ball


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
        data = []
        athletes, ball = pitch_positions(detections)
        for trackable, point, track_id in athletes:
            if trackable in self.known:
                data.append({"x": round(float(point[0]), 2), "y": round(-float(point[1]), 2),
                             "trackable_object": trackable, "track_id": track_id})
        if ball is not None:
            data.append({"x": round(float(ball[0]), 2), "y": round(-float(ball[1]), 2), "z": 0.0,
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


def metrica_numbers(players: list[dict]) -> dict[int, int]:
    """Trackable object -> the number written for it in Metrica's jersey row: its own number when readable and held
    by no other tracklet of the team, else ``1000 + track id`` (Metrica identifies players by number)."""
    counts: dict[tuple[int, int], int] = {}
    for player in players:
        counts[(player["team_id"], player["number"])] = counts.get((player["team_id"], player["number"]), 0) + 1
    return {p["trackable_object"]: p["number"] if p["number"] > 0 and counts[(p["team_id"], p["number"])] == 1
            else 1000 + p["id"] for p in players}


class MetricaCSVWriter:
    """Writes the frames of a run as Metrica's CSV pair (one row per 1/25 s); :meth:`close` publishes both files."""

    def __init__(self, output_dir: Path, summaries: dict[int, TrackSummary], teams: dict[int, str | None],
                 half: int = 1):
        self.folder = Path(output_dir) / "tracking"
        players = match_data(summaries, teams, "")["players"]
        numbers = metrica_numbers(players)
        self.columns = {team: [p["trackable_object"] for p in players if p["team_id"] == team] for team in (HOME, AWAY)}
        self.half, self.last_frame = half, 0
        self._contexts, self._handles = {}, {}
        for team, name in ((HOME, "Home"), (AWAY, "Away")):
            context = atomic_path(self.folder / f"metrica_{name.lower()}.csv")
            handle = open(context.__enter__(), "w", encoding="ascii", newline="")  # noqa: SIM115 - closed in close()
            self._contexts[team], self._handles[team] = context, handle
            tracked = self.columns[team]
            handle.write(",,," + "".join(f"{name},," for _ in tracked) + ",\n")
            handle.write(",,," + "".join(f"{numbers[t]},," for t in tracked) + ",\n")
            handle.write("Period,Frame,Time [s]," + "".join(f"Player{numbers[t]},," for t in tracked) + "Ball,\n")

    @staticmethod
    def _normalised(point) -> str:
        x = min(max((float(point[0]) + PITCH_LENGTH / 2) / PITCH_LENGTH, 0.0), 1.0)
        # SoccerNet's y points to the near touch line; kloppy reads Metrica's y flipped (1 - y): the near line is 0
        y = min(max((PITCH_WIDTH / 2 - float(point[1])) / PITCH_WIDTH, 0.0), 1.0)
        return f"{x:.5f},{y:.5f}"

    def add(self, time_seconds: float, detections: Iterable) -> None:
        frame = int(math.floor(time_seconds * METRICA_FRAME_RATE + 1e-6)) + 1  # Metrica's frames start at 1
        if frame <= self.last_frame:
            return  # one row per 1/25 s
        self.last_frame = frame
        athletes, ball = pitch_positions(detections)
        positions = {trackable: self._normalised(point) for trackable, point, _ in athletes}
        ball_text = self._normalised(ball) if ball is not None else "NaN,NaN"
        prefix = f"{self.half},{frame},{(frame - 1) / METRICA_FRAME_RATE:.2f},"
        for team, handle in self._handles.items():
            cells = "".join(positions.get(t, "NaN,NaN") + "," for t in self.columns[team])
            handle.write(prefix + cells + ball_text + "\n")

    def close(self) -> None:
        for team, handle in self._handles.items():
            handle.close()
            self._contexts[team].__exit__(None, None, None)

    def abort(self) -> None:
        error = RuntimeError("aborted")
        for team, handle in self._handles.items():
            handle.close()
            self._contexts[team].__exit__(RuntimeError, error, None)


def to_kloppy(output_dir: str | Path, provider: str = "skillcorner", **kwargs):
    """The tracking data of an analysis folder as a kloppy ``TrackingDataset``: ``kloppy.skillcorner.load`` on
    ``tracking/`` (``provider="skillcorner"``, 10 fps) or ``kloppy.metrica.load_tracking_csv`` on its Metrica CSV pair
    (``provider="metrica"``, 25 fps); `kwargs` go to the loader, e.g. ``coordinates="skillcorner"``."""
    folder = Path(output_dir) / "tracking"
    names = {"skillcorner": ("match_data.json", "structured_data.jsonl"),
             "metrica": ("metrica_home.csv", "metrica_away.csv")}
    if provider not in names:
        raise ValueError(f"provider must be one of {sorted(names)}, got {provider!r}.")
    for name in names[provider]:
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name}: no tracking data here (is {output_dir} an analyze output?).")
    first, second = (str(folder / name) for name in names[provider])
    if provider == "metrica":
        from kloppy import metrica

        return metrica.load_tracking_csv(home_data=first, away_data=second, **kwargs)
    from kloppy import skillcorner

    return skillcorner.load(meta_data=first, raw_data=second, **kwargs)


__all__ = ["MetricaCSVWriter", "SkillCornerWriter", "match_data", "metrica_numbers", "to_kloppy"]
