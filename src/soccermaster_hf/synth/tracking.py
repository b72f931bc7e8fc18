"""Real player trajectories for SoccerSynth, through kloppy, in SoccerNet pitch coordinates.

Sources:

* ``"skillcorner"`` (default): the SkillCorner broadcast tracking of a full Bundesliga match that ships inside the
  kloppy package (``kloppy/tests/files/skillcorner_*``; 10 fps, jersey numbers and positions in its metadata; only
  players seen by the broadcast camera are tracked in a frame — exactly the population a broadcast clip shows).
* ``"metrica"``: Metrica Sports' EPTS sample (``epts_metrica_*``) shipped with kloppy.
* a path to a ``.npz`` written by :func:`save_trajectories`, or any kloppy ``TrackingDataset`` object.
* ``"procedural"``: a fallback that needs nothing: two 4-4-2 formations drifting with smooth random motion.
* ``"scripted"``: a 90-minute match of procedural play and scripted set pieces (throw-ins, corners, goal kicks, shots,
  goals, kick-offs), about 280 derived events per seed (:mod:`soccermaster_hf.synth.scripted`).

Everything is converted to SoccerNet's pitch frame (origin at the centre spot, x along the length, y towards the
main camera's side, metres) and resampled to the clip frame rate by linear interpolation over gaps shorter than
`max_gap` seconds (longer gaps stay missing). Parsed matches are cached as ``.npz`` (parsing the full SkillCorner
match takes ~5-17 s).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROLE_PLAYER, ROLE_GOALKEEPER, ROLE_REFEREE = "player", "goalkeeper", "referee"


@dataclass
class Trajectories:
    """Positions of every tracked person and the ball over time.

    Attributes:
        times: (T,) seconds.
        positions: (T, P, 2) pitch metres (SoccerNet frame), NaN where the person is not tracked.
        ball: (T, 3) metres (z negative upward, 0 when the source has no height), NaN where missing.
        jerseys: (P,) jersey numbers (-1 unknown). teams: (P,) 0 = home, 1 = away, -1 = none (referees).
        roles: (P,) "player" / "goalkeeper" / "referee". person_ids: (P,) source ids.
        source: description; licence: licence / provenance of the tracking data.
    """

    times: np.ndarray
    positions: np.ndarray
    ball: np.ndarray
    jerseys: np.ndarray
    teams: np.ndarray
    roles: np.ndarray
    person_ids: np.ndarray
    source: str = ""
    licence: str = ""
    periods: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))

    @property
    def fps(self) -> float:
        return float(1.0 / np.median(np.diff(self.times))) if len(self.times) > 1 else 25.0

    def resample(self, fps: float, max_gap: float = 1.0) -> Trajectories:
        """Linear interpolation to `fps`, per person, only across gaps up to `max_gap` seconds."""
        times = np.arange(self.times[0], self.times[-1], 1.0 / fps)
        positions = np.stack([_interp_columns(self.times, self.positions[:, p], times, max_gap)
                              for p in range(self.positions.shape[1])], axis=1)
        ball = _interp_columns(self.times, self.ball, times, max_gap)
        periods = (np.interp(times, self.times, self.periods).round().astype(np.int16)
                   if len(self.periods) == len(self.times) else np.zeros(len(times), np.int16))
        return Trajectories(times, positions, ball, self.jerseys, self.teams, self.roles, self.person_ids,
                            self.source, self.licence, periods)

    def window(self, start: int, length: int) -> Trajectories:
        sl = slice(start, start + length)
        periods = self.periods[sl] if len(self.periods) == len(self.times) else self.periods
        return Trajectories(self.times[sl], self.positions[sl], self.ball[sl], self.jerseys, self.teams, self.roles,
                            self.person_ids, self.source, self.licence, periods)


def _interp_columns(times: np.ndarray, values: np.ndarray, new_times: np.ndarray, max_gap: float) -> np.ndarray:
    """Interpolate (T, C) `values` with NaNs onto `new_times`; NaN where the nearest samples are > max_gap apart."""
    out = np.full((len(new_times), values.shape[1]), np.nan)
    valid = np.isfinite(values).all(axis=1)
    if valid.sum() < 2:
        return out
    known_times = times[valid]
    for column in range(values.shape[1]):
        out[:, column] = np.interp(new_times, known_times, values[valid, column], left=np.nan, right=np.nan)
    after = np.searchsorted(known_times, new_times)
    before = np.clip(after - 1, 0, len(known_times) - 1)
    after = np.clip(after, 0, len(known_times) - 1)
    gap = known_times[after] - known_times[before]
    out[gap > max_gap] = np.nan
    return out


def save_trajectories(trajectories: Trajectories, path: str | os.PathLike) -> None:
    """Write trajectories to `.npz` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, times=trajectories.times, positions=trajectories.positions, ball=trajectories.ball,
                        jerseys=trajectories.jerseys, teams=trajectories.teams, roles=trajectories.roles.astype("U16"),
                        person_ids=trajectories.person_ids.astype("U32"), periods=trajectories.periods,
                        source=np.array(trajectories.source), licence=np.array(trajectories.licence))
    os.replace(tmp, path)


def load_trajectories_npz(path: str | os.PathLike) -> Trajectories:
    try:
        data = np.load(path, allow_pickle=False)
        return Trajectories(data["times"], data["positions"], data["ball"], data["jerseys"], data["teams"],
                            data["roles"], data["person_ids"], str(data["source"]), str(data["licence"]),
                            data["periods"])
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(f"{path}: not a SoccerSynth trajectory file ({error}).") from error


def _kloppy_files() -> Path:
    try:
        import kloppy
    except ImportError as error:  # pragma: no cover - kloppy is a dependency
        raise ImportError("SoccerSynth's real trajectories need kloppy: `pip install kloppy`.") from error
    return Path(kloppy.__file__).parent / "tests" / "files"


def from_kloppy(dataset, source: str = "", licence: str = "") -> Trajectories:
    """Convert a kloppy `TrackingDataset` (any provider) to SoccerNet-frame :class:`Trajectories`."""
    metadata = dataset.metadata
    people = []
    for team_index, team in enumerate(metadata.teams):
        for player in team.players:
            position = getattr(player, "starting_position", None)
            name = str(getattr(position, "name", position) or "").lower()
            role = ROLE_GOALKEEPER if "goalkeeper" in name or name in ("gk",) else ROLE_PLAYER
            jersey = int(player.jersey_no) if getattr(player, "jersey_no", None) not in (None, "") else -1
            people.append((player, team_index, role, jersey))
    index = {player.player_id: i for i, (player, _, _, _) in enumerate(people)}
    frames = dataset.frames
    positions = np.full((len(frames), len(people), 2), np.nan)
    ball = np.full((len(frames), 3), np.nan)
    times = np.empty(len(frames))
    periods = np.empty(len(frames), np.int16)
    offset = 0.0
    last_period, last_time = None, 0.0
    for t, frame in enumerate(frames):
        stamp = frame.timestamp.total_seconds() if hasattr(frame.timestamp, "total_seconds") else float(frame.timestamp)
        period = frame.period.id if frame.period is not None else 1
        if last_period is not None and period != last_period:
            offset = last_time + 60.0 - stamp  # keep time increasing across halves, with a gap
        times[t] = stamp + offset
        last_time, last_period = times[t], period
        periods[t] = period
        if frame.ball_coordinates is not None:
            z = frame.ball_coordinates.z if getattr(frame.ball_coordinates, "z", None) is not None else 0.0
            ball[t] = (frame.ball_coordinates.x, -frame.ball_coordinates.y, -z)
        for player, coordinates in frame.players_coordinates.items():
            i = index.get(player.player_id)
            if i is not None and coordinates is not None:
                positions[t, i] = (coordinates.x, -coordinates.y)  # kloppy y points to the far side
    return Trajectories(times, positions, ball,
                        np.array([p[3] for p in people]), np.array([p[1] for p in people]),
                        np.array([p[2] for p in people]), np.array([str(p[0].player_id) for p in people]),
                        source, licence, periods)


def load_skillcorner() -> Trajectories:
    from kloppy import skillcorner

    files = _kloppy_files()
    dataset = skillcorner.load(meta_data=str(files / "skillcorner_match_data.json"),
                               raw_data=str(files / "skillcorner_structured_data.json"), coordinates="skillcorner")
    return from_kloppy(dataset, "SkillCorner broadcast tracking (kloppy test data, Bayern Munich - Borussia Dortmund)",
                       "SkillCorner open data sample as redistributed in kloppy (BSD-3-Clause package)")


def load_metrica() -> Trajectories:
    from kloppy import metrica

    files = _kloppy_files()
    dataset = metrica.load_tracking_epts(meta_data=str(files / "epts_metrica_metadata.xml"),
                                         raw_data=str(files / "epts_metrica_tracking.txt"),
                                         coordinates="secondspectrum")
    return from_kloppy(dataset, "Metrica Sports EPTS sample (kloppy test data)",
                       "Metrica Sports sample data as redistributed in kloppy (BSD-3-Clause package)")


def procedural_trajectories(seconds: float = 120.0, fps: float = 25.0, seed: int = 0) -> Trajectories:
    """Two 4-4-2 teams, goalkeepers and a referee with smooth random motion; the ball moves between players."""
    rng = np.random.default_rng(seed)
    formation = np.array([[-47, 0], [-35, -20], [-35, -7], [-35, 7], [-35, 20], [-15, -22], [-15, -7], [-15, 7],
                          [-15, 22], [-3, -8], [-3, 8]], dtype=float)
    base = np.concatenate([formation, formation * [-1, 1], [[0.0, 5.0]]])  # home, away (mirrored), referee
    count = len(base)
    times = np.arange(0, seconds, 1 / fps)
    drift = np.cumsum(rng.normal(0, 0.15, size=(len(times), 1, 2)), axis=0)
    drift = drift - np.linspace(0, 1, len(times))[:, None, None] * drift[-1]  # return to the formation
    wobble = np.cumsum(rng.normal(0, 0.08, size=(len(times), count, 2)), axis=0)
    positions = base[None] + drift + 0.3 * wobble
    positions[..., 0] = np.clip(positions[..., 0], -52, 52)
    positions[..., 1] = np.clip(positions[..., 1], -33, 33)
    carrier = rng.integers(1, 22, size=int(seconds / 3) + 1)
    ball = np.zeros((len(times), 3))
    for t in range(len(times)):
        ball[t, :2] = positions[t, carrier[int(times[t] // 3)]] + [0.6, 0.3]
    jerseys = np.array(list(range(1, 12)) * 2 + [-1])
    teams = np.array([0] * 11 + [1] * 11 + [-1])
    roles = np.array([ROLE_GOALKEEPER] + [ROLE_PLAYER] * 10 + [ROLE_GOALKEEPER] + [ROLE_PLAYER] * 10 + [ROLE_REFEREE])
    return Trajectories(times, positions, ball, jerseys, teams, roles, np.array([str(i) for i in range(count)]),
                        f"procedural formations (seed {seed})", "generated, no licence restrictions",
                        np.ones(len(times), np.int16))


def cache_dir() -> Path:
    root = os.environ.get("SOCCERMASTER_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "soccermaster_hf")
    return Path(root) / "synth"


def load_tracking(source: str = "skillcorner", fps: float = 25.0, use_cache: bool = True, seed: int = 0) -> Trajectories:
    """Trajectories from `source` (see the module docstring), resampled to `fps`, cached on disk."""
    if source == "procedural":
        return procedural_trajectories(fps=fps, seed=seed)
    if source == "scripted":
        from .scripted import scripted_match

        return scripted_match(fps=fps, seed=seed)
    path = Path(source)
    if path.suffix == ".npz":
        if not path.is_file():
            raise FileNotFoundError(f"{path}: trajectory file not found.")
        trajectories = load_trajectories_npz(path)
        return trajectories if abs(trajectories.fps - fps) < 1e-3 else trajectories.resample(fps)
    loaders = {"skillcorner": load_skillcorner, "metrica": load_metrica}
    if source not in loaders:
        raise ValueError(f"Unknown tracking source {source!r}: use 'skillcorner', 'metrica', 'procedural', "
                         "'scripted' or a .npz.")
    key = hashlib.sha1(f"{source}-{fps}-v1".encode()).hexdigest()[:12]
    cached = cache_dir() / f"{source}-{key}.npz"
    if use_cache and cached.is_file():
        return load_trajectories_npz(cached)
    trajectories = loaders[source]().resample(fps)
    if use_cache:
        save_trajectories(trajectories, cached)
    return trajectories


__all__ = ["Trajectories", "cache_dir", "from_kloppy", "load_tracking", "procedural_trajectories",
           "save_trajectories"]
