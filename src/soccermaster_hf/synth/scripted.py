"""A scripted match: procedural play with set pieces, for event and commentary training data of any size.

The real tracking SoccerSynth ships (one SkillCorner match) yields about 100 derived events, 57 of them "ball out of
play": too few to learn events from, and too few held-out clips to measure anything but the majority class.
`scripted_match(seconds, seed)` plays a match of any length whose every event is scripted and therefore common:

* **open play**: the team in possession passes the ball around (hold and dribble 1-3 s, pass at 10-15 m/s to a team
  mate 8-25 m away; one pass in five is intercepted); both teams keep a 4-4-2 shape that shifts with the ball, the
  goalkeepers keep their goal, the referee follows the play;
* each spell of play ends in one **set piece**: the ball kicked over a touch line and a throw-in where it left; over a
  goal line wide of the goal and a corner or a goal kick; a shot from 16-26 m at 22-30 m/s that the goalkeeper holds,
  that goes wide (then a goal kick), or that goes in (then both teams go back to their halves and kick off);
* both halves start with a kick-off and the teams change ends at half time.

The labels are *not* written by the script: :func:`~soccermaster_hf.synth.events.derive_events` derives them from the
ball and player motion with the same rules as for real tracking, so a scripted throw-in is labelled a throw-in only
because it looks like one to those rules. Every person is tracked in every frame (no broadcast gaps). A match is a pure
function of `(seconds, fps, seed)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .tracking import ROLE_GOALKEEPER, ROLE_PLAYER, ROLE_REFEREE, Trajectories

HALF_LENGTH, HALF_WIDTH = 52.5, 34.0
# a 4-4-2 of the team that defends the goal at x = -52.5 (goalkeeper first), pitch metres
FORMATION = np.array([[-50.0, 0], [-35, -20], [-35, -7], [-35, 7], [-35, 20], [-15, -22], [-15, -7], [-15, 7],
                      [-15, 22], [-3, -8], [-3, 8]])
REFEREE = 22
GOALKEEPERS = (0, 11)  # home's, away's
OUTFIELD = np.array([i not in GOALKEEPERS for i in range(23)], dtype=float)  # the goalkeepers do not wander
PLAYER_SPEED, ACTOR_SPEED = 5.0, 8.0  # m/s towards the shape / towards the ball or a set-piece spot


@dataclass
class _Leg:
    """The ball from `start` to `end` over frames [first, last); `actors` run to the ball (None) or to a spot."""

    first: int
    last: int
    start: np.ndarray
    end: np.ndarray
    actors: dict = field(default_factory=dict)
    kickoff_shape: bool = False


class _Script:
    def __init__(self, seconds: float, fps: float, seed: int):
        self.rng = np.random.default_rng(seed)
        self.fps = fps
        self.frames = int(round(seconds * fps))
        self.half_frame = self.frames // 2
        self.teams = np.array([0] * 11 + [1] * 11 + [-1])
        self.legs: list[_Leg] = []
        self.cursor = 0  # the frame the next planned leg starts at
        self.ball = np.zeros(2)  # where the next planned leg starts
        self.carrier = 9  # a home forward kicks off

    # ------------------------------------------------------------------ geometry
    def attack_sign(self, team: int, frame: int) -> float:
        """+1 when `team` attacks the goal at x = +52.5 at `frame` (home does in the first half)."""
        sign = 1.0 if team == 0 else -1.0
        return sign if frame < self.half_frame else -sign

    def shape(self, frame: int, ball: np.ndarray, kickoff: bool = False) -> np.ndarray:
        """(23, 2) where everybody would stand: the formations shifted towards the ball (own halves at a kick-off)."""
        home = FORMATION * [self.attack_sign(0, frame), 1]
        away = FORMATION * [self.attack_sign(1, frame), 1]
        targets = np.concatenate([home, away, [[0.0, 0.0]]])
        if not kickoff:
            shift = np.array([np.clip(ball[0] * 0.5, -18, 18), ball[1] * 0.35])
            targets[:22] += shift
            targets[list(GOALKEEPERS), 1] = np.clip(ball[1] * 0.15, -3, 3)  # goalkeepers stay on their line
            targets[list(GOALKEEPERS), 0] = home[0, 0], away[0, 0]
            targets[REFEREE] = np.clip(ball + [-8.0, -10.0 * np.sign(ball[1] or 1)], [-45, -30], [45, 30])
        else:
            targets[:22, 0] = np.sign(targets[:22, 0]) * np.maximum(np.abs(targets[:22, 0]), 2.0)
            targets[REFEREE] = [0.0, -15.0]
        return targets

    # ------------------------------------------------------------------ planning helpers
    def seconds(self, low: float, high: float) -> int:
        return max(1, int(round(self.rng.uniform(low, high) * self.fps)))

    def add(self, duration: int, end, actors: dict | None = None, kickoff: bool = False) -> None:
        end = np.asarray(end, dtype=float)
        self.legs.append(_Leg(self.cursor, self.cursor + duration, self.ball.copy(), end, actors or {}, kickoff))
        self.cursor += duration
        self.ball = end

    def place(self, point) -> None:
        """The ball put down at `point` (a restart): the next leg starts there."""
        self.ball = np.asarray(point, dtype=float)

    def travel(self, end, speed: float) -> int:
        return max(1, int(round(np.linalg.norm(np.asarray(end) - self.ball) / speed * self.fps)))

    def outfield(self, team: int, *, exclude: int = -1) -> np.ndarray:
        """The outfield players of `team` (everybody but its goalkeeper), without `exclude`."""
        return np.array([p for p in range(22) if self.teams[p] == team and p not in GOALKEEPERS and p != exclude])

    def expected(self, person: int) -> np.ndarray:
        """Roughly where `person` will be at the current cursor (the shape around the ball)."""
        return self.shape(self.cursor, self.ball)[person] + self.rng.normal(0, 2.0, 2)

    # ------------------------------------------------------------------ scenes
    def kickoff(self, team: int) -> None:
        """Everybody in their own half, the ball on the centre spot, a pass back."""
        self.place([0.0, 0.0])
        taker = 9 if team == 0 else 20
        self.add(self.seconds(1.0, 2.0), [0.0, 0.0], {taker: None}, kickoff=True)
        receiver = 6 if team == 0 else 17
        target = self.expected(receiver)
        self.add(self.travel(target, 10.0), target, {receiver: None})
        self.carrier = receiver

    def open_play(self) -> None:
        for _ in range(int(self.rng.integers(3, 9))):
            team = self.teams[self.carrier]
            sign = self.attack_sign(team, self.cursor)
            dribble = self.ball + [sign * self.rng.uniform(1, 6), self.rng.uniform(-3, 3)]
            dribble = np.clip(dribble, [-40, -30], [40, 30])
            self.add(self.seconds(1.0, 3.0), dribble, {self.carrier: None})
            intercepted = self.rng.random() < 0.2
            candidates = self.outfield(1 - team) if intercepted else self.outfield(team, exclude=self.carrier)
            spots = np.array([self.expected(p) for p in candidates])
            distance = np.linalg.norm(spots - self.ball, axis=1)
            usable = np.flatnonzero((distance > 8) & (distance < 25))
            pick = int(self.rng.choice(usable)) if len(usable) else int(np.argmin(np.abs(distance - 15)))
            receiver, target = int(candidates[pick]), np.clip(spots[pick], [-45, -31], [45, 31])
            self.add(self.travel(target, self.rng.uniform(10, 15)), target, {receiver: None})
            self.carrier = receiver

    def nearest(self, point: np.ndarray, team: int) -> int:
        people = self.outfield(team)
        spots = self.shape(self.cursor, point)[people]
        return int(people[int(np.argmin(np.linalg.norm(spots - point, axis=1)))])

    def throw_in(self) -> None:
        side = self.rng.choice([-1.0, 1.0])
        x = float(np.clip(self.ball[0] + self.rng.uniform(-12, 12), -48, 48))
        out = np.array([x, side * self.rng.uniform(35.5, 37.5)])
        self.add(self.travel(out, self.rng.uniform(9, 14)), out, {self.carrier: None})
        rest = out + [self.rng.uniform(-1, 1), side * self.rng.uniform(0.5, 1.5)]
        team = 1 - self.teams[self.carrier]
        thrower = self.nearest(out, team)
        spot = np.array([x, side * 34.3])
        self.add(self.seconds(5.0, 12.0), rest, {thrower: spot})
        self.place(spot)
        self.add(self.seconds(1.0, 2.0), spot, {thrower: spot})
        receiver = self.nearest(spot + [self.rng.uniform(-10, 10), -side * 10], team)
        target = spot + [self.rng.uniform(-8, 8), -side * self.rng.uniform(6, 12)]
        self.add(self.travel(target, 9.0), target, {receiver: None})
        self.carrier = receiver

    def goal_kick(self, defending: int) -> None:
        sign = -self.attack_sign(defending, self.cursor)  # the goal `defending` defends
        keeper = GOALKEEPERS[defending]
        spot = np.array([sign * 48.5, self.rng.uniform(-5, 5)])
        self.place(spot)
        self.add(self.seconds(2.0, 4.0), spot, {keeper: spot})
        receiver = self.nearest(np.array([-sign * 5.0, 0.0]), defending)
        target = np.array([sign * self.rng.uniform(5, 20), self.rng.uniform(-20, 20)])
        self.add(self.travel(target, 16.0), target, {receiver: None})
        self.carrier = receiver

    def corner(self, attacking: int) -> None:
        sign = self.attack_sign(attacking, self.cursor)
        spot = np.array([sign * 52.0, self.rng.choice([-1.0, 1.0]) * 33.5])
        taker = self.nearest(spot, attacking)
        self.place(spot)
        self.add(self.seconds(2.0, 4.0), spot, {taker: spot})
        target = np.array([sign * self.rng.uniform(40, 46), self.rng.uniform(-9, 9)])
        receiver = self.nearest(target, int(self.rng.integers(0, 2)))
        self.add(self.travel(target, 15.0), target, {receiver: None})
        self.carrier = receiver

    def wide(self) -> None:
        """A cross or a long ball over the goal line wide of the goal: a corner or a goal kick."""
        attacking = self.teams[self.carrier]
        sign = self.attack_sign(attacking, self.cursor)
        out = np.array([sign * self.rng.uniform(54, 56), self.rng.choice([-1.0, 1.0]) * self.rng.uniform(8, 30)])
        self.add(self.travel(out, self.rng.uniform(11, 16)), out, {self.carrier: None})
        self.add(self.seconds(4.0, 10.0), out + [sign * 1.0, 0.0])
        if self.rng.random() < 0.5:
            self.corner(attacking)
        else:
            self.goal_kick(1 - attacking)

    def shot(self) -> None:
        attacking = self.teams[self.carrier]
        defending = 1 - attacking
        sign = self.attack_sign(attacking, self.cursor)
        distance, angle = self.rng.uniform(16, 26), self.rng.uniform(-0.5, 0.5)
        spot = np.array([sign * (HALF_LENGTH - distance * np.cos(angle)), distance * np.sin(angle)])
        self.add(self.travel(spot, 4.0), spot, {self.carrier: None})  # dribble into range
        outcome = self.rng.choice(["saved", "wide", "goal"], p=[0.45, 0.35, 0.2])
        keeper = GOALKEEPERS[defending]
        speed = self.rng.uniform(22, 30)
        if outcome == "saved":
            end = np.array([sign * 51.5, self.rng.uniform(-2.5, 2.5)])
            self.add(self.travel(end, speed), end, {keeper: end})
            self.add(self.seconds(2.0, 4.0), end, {keeper: None})
            receiver = self.nearest(end - [sign * 20, 0], defending)
            target = end - [sign * self.rng.uniform(15, 25), self.rng.uniform(-15, 15)]
            self.add(self.travel(target, 10.0), target, {receiver: None})
            self.carrier = receiver
        elif outcome == "wide":
            end = np.array([sign * 55.0, self.rng.choice([-1.0, 1.0]) * self.rng.uniform(4.5, 9.0)])
            self.add(self.travel(end, speed), end)
            self.add(self.seconds(4.0, 10.0), end + [sign * 1.0, 0.0])
            self.goal_kick(defending)
        else:
            end = np.array([sign * 54.5, self.rng.uniform(-3.0, 3.0)])
            self.add(self.travel(end, speed), end)
            self.add(self.seconds(20.0, 35.0), end, kickoff=True)  # celebrations, back to the halves
            self.kickoff(defending)

    def plan_until(self, frame: int) -> None:
        while self.cursor <= frame:
            self.open_play()
            self.rng.choice([self.throw_in, self.wide, self.shot], p=[0.45, 0.2, 0.35])()


def scripted_match(seconds: float = 5400.0, fps: float = 25.0, seed: int = 0) -> Trajectories:
    """A match of `seconds` (two halves) at `fps` whose play is scripted from `seed` (see the module docstring)."""
    if not seconds > 0 or not fps > 0:
        raise ValueError(f"seconds and fps must be positive, got {seconds} and {fps}.")
    script = _Script(seconds, fps, seed)
    total = script.frames
    script.kickoff(0)
    script.plan_until(script.half_frame)
    first_half = [leg for leg in script.legs if leg.first < script.half_frame]
    script.legs, script.cursor, script.carrier = [], script.half_frame, 20
    script.kickoff(1)
    script.plan_until(total)
    legs = first_half + script.legs
    ball = np.zeros((total, 3))
    positions = np.zeros((total, 23, 2))
    wobble = np.cumsum(script.rng.normal(0, 0.05, size=(total, 23, 2)), axis=0)
    wobble -= np.linspace(0, 1, total)[:, None, None] * wobble[-1]  # a bounded drift around the shape
    wobble = np.clip(wobble, -4, 4)
    current = script.shape(0, np.zeros(2), kickoff=True)
    step = 1.0 / fps
    index = 0
    for frame in range(total):
        while index + 1 < len(legs) and legs[index + 1].first <= frame:  # legs follow each other in time
            index += 1
        leg = legs[index]
        fraction = np.clip((frame - leg.first) / max(leg.last - leg.first, 1), 0.0, 1.0)
        point = leg.start + fraction * (leg.end - leg.start)
        ball[frame, :2] = point
        targets = script.shape(frame, point, kickoff=leg.kickoff_shape) + wobble[frame] * OUTFIELD[:, None]
        targets = np.clip(targets, [-51, -33], [51, 33])
        speeds = np.full(23, PLAYER_SPEED)
        for person, spot in leg.actors.items():
            targets[person] = np.clip(point, [-54, -36], [54, 36]) if spot is None else spot  # chasers stop at the line
            speeds[person] = ACTOR_SPEED
        move = targets - current
        length = np.linalg.norm(move, axis=1, keepdims=True)
        current = current + move * np.minimum(1.0, speeds[:, None] * step / np.maximum(length, 1e-9))
        positions[frame] = current
    times = np.arange(total) / fps
    periods = np.where(np.arange(total) < script.half_frame, 1, 2).astype(np.int16)
    jerseys = np.array(list(range(1, 12)) * 2 + [-1])
    roles = np.array([ROLE_GOALKEEPER] + [ROLE_PLAYER] * 10 + [ROLE_GOALKEEPER] + [ROLE_PLAYER] * 10 + [ROLE_REFEREE])
    return Trajectories(times, positions, ball, jerseys, script.teams.copy(), roles,
                        np.array([str(i) for i in range(23)]), f"scripted match (seed {seed}, {seconds:g} s)",
                        "generated, no licence restrictions", periods)


__all__ = ["scripted_match"]
