"""Match events derived from ball and player motion, for tracking sources without an event feed.

Derivation rules (SoccerNet pitch frame, metres; ball positions at the clip frame rate; a ball "observation" is a frame
where the tracking has the ball):

* **out of play**: the ball, observed inside the pitch, is next observed beyond a touch line (``|y| > 34.5``) or a goal
  line (``|x| > 53``); one event at the first observation outside.
* **goal**: out of play over a goal line between the posts (``|y| < 3.66``); followed by a **kick-off**.
* restart after an out of play, at the first observation back on the pitch within 40 s:
  **throw-in** if the ball left over a touch line; **corner** if it left over a goal line and restarts within 6 m of a
  corner flag; **goal kick** if it restarts inside a goal area; otherwise no restart event.
* **kick-off**: the ball observed within 2 m of the centre spot after at least 3 s unobserved or out of play, or as
  the first observation of a period.
* **shot**: ball speed above 18 m/s (over 0.4 s) towards a goal less than 30 m away whose direction passes within 10 m
  of the goal centre; at most one shot per 3 s. A shot followed by an out of play over that goal line within 3 s
  outside the posts is "off target", otherwise "on target".

The team of an event is the team of the player nearest to the ball at the event (``"not applicable"`` if none is
tracked within 5 m). Labels use SoccerNet-v2 class names (``Kick-off``, ``Throw-in``, ``Corner``, ``Goal``,
``Ball out of play``, ``Shots on target``, ``Shots off target``; a goal kick has no SoccerNet-v2 class and is written
as ``Indirect free-kick``, the restart class SoccerNet annotators use for it). Captions are templated commentary
with MatchTime's anonymisation (``[PLAYER]``, ``[TEAM]``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .tracking import Trajectories

HALF_LENGTH, HALF_WIDTH, GOAL_HALF_WIDTH = 52.5, 34.0, 3.66

CAPTIONS = {
    "Kick-off": ("whistle", "[TEAM] get the game going again with the kick-off."),
    "Throw-in": ("comments", "[PLAYER] ([TEAM]) takes the throw-in."),
    "Corner": ("corner", "[TEAM] win a corner. [PLAYER] goes over to take it."),
    "Indirect free-kick": ("comments", "[PLAYER] ([TEAM]) restarts play with a goal kick."),
    "Goal": ("soccer-ball", "GOAL! [PLAYER] ([TEAM]) finds the back of the net!"),
    "Ball out of play": ("comments", "The ball goes out of play."),
    "Shots on target": ("comments", "[PLAYER] ([TEAM]) shoots, but the goalkeeper is equal to it."),
    "Shots off target": ("comments", "[PLAYER] ([TEAM]) tries his luck from distance, but the effort goes wide."),
}


@dataclass
class Event:
    frame: int       # index into the trajectories
    time: float      # seconds (trajectory clock)
    label: str       # SoccerNet-v2 class
    team: int        # 0 home, 1 away, -1 not applicable
    position: tuple[float, float]


def _nearest_team(trajectories: Trajectories, frame: int, point: np.ndarray, radius: float = 5.0) -> int:
    positions = trajectories.positions[frame]
    distances = np.linalg.norm(positions - point[None], axis=1)
    distances = np.where(np.isfinite(distances) & (trajectories.teams >= 0), distances, np.inf)
    index = int(np.argmin(distances)) if len(distances) else -1
    return int(trajectories.teams[index]) if index >= 0 and distances[index] <= radius else -1


def derive_events(trajectories: Trajectories) -> list[Event]:
    """Events of the whole trajectory set, in time order (see the module docstring for the rules)."""
    ball = trajectories.ball[:, :2]
    times = trajectories.times
    fps = trajectories.fps
    observed = np.flatnonzero(np.isfinite(ball).all(axis=1))
    events: list[Event] = []

    def add(frame: int, label: str, point: np.ndarray) -> None:
        events.append(Event(int(frame), float(times[frame]), label, _nearest_team(trajectories, frame, point),
                            (float(point[0]), float(point[1]))))

    def inside(point: np.ndarray) -> bool:
        return abs(point[0]) <= HALF_LENGTH + 0.5 and abs(point[1]) <= HALF_WIDTH + 0.5

    previous = None
    pending_restart: tuple[str, float] | None = None  # (kind, time it left)
    last_shot_time = -1e9
    last_shot = None
    for frame in observed:
        point = ball[frame]
        gap = times[frame] - times[previous] if previous is not None else np.inf
        new_period = previous is not None and len(trajectories.periods) == len(times) and \
            trajectories.periods[frame] != trajectories.periods[previous]
        if previous is not None and inside(ball[previous]) and not inside(point) and gap < 2.0:
            over_goal_line = abs(point[0]) > HALF_LENGTH + 0.5
            if over_goal_line and abs(point[1]) < GOAL_HALF_WIDTH:
                add(frame, "Goal", point)
                pending_restart = ("goal", times[frame])
            else:
                add(frame, "Ball out of play", point)
                pending_restart = ("goal_line" if over_goal_line else "touch_line", times[frame])
            if last_shot is not None and times[frame] - last_shot.time < 3.0 and over_goal_line and \
                    abs(point[1]) >= GOAL_HALF_WIDTH and np.sign(point[0]) == np.sign(last_shot.position[0] or 1):
                last_shot.label = "Shots off target"
        elif inside(point) and (previous is None or not inside(ball[previous]) or gap >= 3.0 or new_period):
            near_centre = np.linalg.norm(point) < 2.0
            if pending_restart is not None and times[frame] - pending_restart[1] < 40.0:
                kind = pending_restart[0]
                if kind == "goal" and near_centre:
                    add(frame, "Kick-off", point)
                elif kind == "touch_line" and abs(point[1]) > HALF_WIDTH - 3.0:
                    add(frame, "Throw-in", point)
                elif kind == "goal_line" and abs(point[0]) > HALF_LENGTH - 6 and abs(point[1]) > HALF_WIDTH - 6:
                    add(frame, "Corner", point)
                elif kind == "goal_line" and abs(point[0]) > HALF_LENGTH - 5.5 and abs(point[1]) < 9.16:
                    add(frame, "Indirect free-kick", point)
                pending_restart = None
            elif near_centre and (previous is None or new_period or gap >= 3.0):
                add(frame, "Kick-off", point)
        # shots: fast ball heading to a nearby goal
        back = frame - int(round(0.4 * fps))
        if back >= 0 and np.isfinite(ball[back]).all() and inside(point):
            velocity = (point - ball[back]) / max(times[frame] - times[back], 1e-6)
            speed = float(np.linalg.norm(velocity))
            if speed > 18.0 and times[frame] - last_shot_time > 3.0:
                goal = np.array([np.sign(velocity[0]) * HALF_LENGTH, 0.0])
                distance = np.linalg.norm(goal - point)
                if distance < 30.0 and abs(velocity[0]) > 1e-6:
                    steps = (goal[0] - point[0]) / velocity[0]
                    crossing = point[1] + velocity[1] * steps
                    if steps > 0 and abs(crossing) < 10.0:
                        add(frame, "Shots on target", point)
                        last_shot, last_shot_time = events[-1], times[frame]
        previous = frame
    return events


def _game_time(seconds: float) -> str:
    minutes, secs = divmod(int(max(seconds, 0)), 60)
    return f"{minutes:02d}:{secs:02d}"


def write_event_files(trajectories: Trajectories, events: list[Event], output_dir: Path) -> dict[str, Path]:
    """Write `Labels-v2.json` (SoccerNet-v2 action spotting) and `Labels-caption.json` (MatchTime-style)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    period_start: dict[int, float] = {}
    if len(trajectories.periods) == len(trajectories.times):
        for period in np.unique(trajectories.periods):
            period_start[int(period)] = float(trajectories.times[trajectories.periods == period][0])
    teams = {0: "home", 1: "away", -1: "not applicable"}
    spotting, captions = [], []
    for event in events:
        period = int(trajectories.periods[event.frame]) if len(trajectories.periods) else 1
        seconds = event.time - period_start.get(period, float(trajectories.times[0]))
        game_time = f"{period} - {_game_time(seconds)}"
        spotting.append({"gameTime": game_time, "label": event.label, "position": str(int(round(seconds * 1000))),
                         "team": teams[event.team], "visibility": "visible"})
        caption_label, anonymized = CAPTIONS[event.label]
        captions.append({"gameTime": game_time, "label": caption_label, "description": anonymized,
                         "anonymized": anonymized, "important": event.label in ("Goal", "Corner"),
                         "visibility": "shown", "synth_frame": event.frame})
    header = {"UrlLocal": "soccersynth/", "gameHomeTeam": "Home", "gameAwayTeam": "Away", "gameDate": "",
              "gameScore": f"{sum(e.label == 'Goal' and e.team == 0 for e in events)} - "
                           f"{sum(e.label == 'Goal' and e.team == 1 for e in events)}",
              "source": trajectories.source, "derivation": "soccermaster_hf.synth.events (rules in its docstring)"}
    paths = {"Labels-v2.json": output_dir / "Labels-v2.json", "Labels-caption.json": output_dir / "Labels-caption.json"}
    paths["Labels-v2.json"].write_text(json.dumps({**header, "annotations": spotting}, indent=1))
    paths["Labels-caption.json"].write_text(json.dumps({**header, "annotations": captions}, indent=1))
    return paths


__all__ = ["CAPTIONS", "Event", "derive_events", "write_event_files"]
