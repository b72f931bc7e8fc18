"""Generate SoccerSynth clips: render frames and write ground truth in the real SoccerNet formats.

One folder per clip, named like SoccerNet-GSR clips (``SNGS-001`` ...), holding both the GSR and the SNMOT layouts
(they share ``img1/``) plus calibration files::

    SNGS-001/
      img1/000001.jpg ...            frames (JPEG)
      Labels-GameState.json          SoccerNet-GSR ground truth (athletes, ball, pitch lines per frame)
      gt/gt.txt, seqinfo.ini, gameinfo.ini     SNMOT (MOTChallenge) tracking ground truth
      calibration/000001.json        SoccerNet calibration annotations (lines, normalised by (W-1, H-1))
      cameras/camera_000001.json     SoccerNet camera JSON of the ground-truth camera
      Labels-Keypoints.json          image coordinates and visibility of the 57 pitch keypoints per frame
      synth.json                     provenance: source window, seed, league, camera cuts, kits, events in the clip
    league.json                      the league style every clip was drawn from (soccermaster_hf.synth.styles)
    events/Labels-v2.json            SoccerNet-v2 action-spotting labels derived from the whole match
    events/Labels-caption.json       MatchTime-style anonymised caption records of the same events

Clips are written to a temporary folder and renamed when complete, so a killed run never leaves a half clip; running
again skips finished clips (resume). Every clip is a pure function of `(seed, clip index, tracking source, league)`.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..geometry.camera import Camera
from ..geometry.pitch import PitchModel
from ..modeling.pitch_definitions import CIRCLE_CLASSES, KEYPOINTS
from ..utils.io import commit_staging
from .camera_path import camera_path
from .render import ClipRenderer
from .styles import LEAGUES, LeagueStyle, get_league, randomised_style
from .tracking import ROLE_GOALKEEPER, ROLE_REFEREE, Trajectories, load_tracking

LEAGUES_DEFAULT = LEAGUES["default"]

CATEGORIES = [
    {"id": 1, "supercategory": "object", "name": "player"},
    {"id": 2, "supercategory": "object", "name": "goalkeeper"},
    {"id": 3, "supercategory": "object", "name": "referee"},
    {"id": 4, "supercategory": "object", "name": "ball"},
    {"id": 5, "supercategory": "pitch", "name": "pitch"},
    {"id": 6, "supercategory": "camera", "name": "camera"},
    {"id": 7, "supercategory": "object", "name": "other"},
]
CATEGORY_ID = {"player": 1, "goalkeeper": 2, "referee": 3, "ball": 4, "other": 7}
SPLIT_IDS = {"train": 1, "valid": 2, "test": 3, "challenge": 4}


@dataclass
class SynthConfig:
    """Generation settings (`soccermaster synth` flags)."""

    clips: int = 4
    frames: int = 50
    seed: int = 0
    tracking: str = "skillcorner"
    width: int = 960
    height: int = 540
    fps: float = 25.0
    split: str = "train"
    time_range: tuple[float, float] | None = None  # seconds of the match to draw windows from
    jpeg_quality: tuple[int, int] | None = None  # None: the league's range
    min_players: int = 6
    semantic_clips: int = 0  # 1-fps clips around derived events (events/classification.json)
    semantic_frames: int = 30
    cut_probability: float = 0.15  # a clip longer than 30 frames cuts to another camera with this probability
    closeup_probability: float = 0.0  # the shot after a cut is a close-up with this probability
    league: str | LeagueStyle = "default"  # a league style (name, .json file or LeagueStyle; see synth.styles)

    @property
    def style(self) -> LeagueStyle:
        return self.league if isinstance(self.league, LeagueStyle) else get_league(self.league)


def _choose_window(trajectories: Trajectories, length: int, rng: np.random.Generator, config: SynthConfig) -> int:
    times = trajectories.times
    low, high = 0, len(times) - length
    if config.time_range is not None:
        low = int(np.searchsorted(times, times[0] + config.time_range[0]))
        high = min(high, int(np.searchsorted(times, times[0] + config.time_range[1])) - length)
    if high <= low:
        raise ValueError(f"The tracking data ({len(times)} frames in the time range) is shorter than a clip of "
                         f"{length} frames.")
    counts = np.isfinite(trajectories.positions[..., 0]).sum(axis=1)
    ball = np.isfinite(trajectories.ball[:, 0])
    best, best_score = low, -1.0
    for _ in range(40):
        start = int(rng.integers(low, high + 1))
        window = slice(start, start + length)
        score = float(np.mean(counts[window] >= config.min_players) + np.mean(ball[window]))
        if score > best_score:
            best, best_score = start, score
        if score >= 1.9:
            break
    return best


def _synthetic_referee(ball: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A referee following the play 8-14 m from the ball (sources like SkillCorner do not track referees)."""
    target = ball[:, :2].copy()
    known = np.isfinite(target).all(axis=1)
    if not known.any():
        return np.full((len(ball), 2), np.nan)
    for t in range(len(target)):
        if not known[t]:
            target[t] = target[t - 1] if t else target[known][0]
    offset = np.array([rng.uniform(-12, -6), rng.uniform(-10, -5)])
    position = target + offset
    for t in range(1, len(position)):  # a referee moves more slowly than the ball
        position[t] = 0.93 * position[t - 1] + 0.07 * position[t]
    return position


def _team_sides(window: Trajectories) -> dict[int, str]:
    """"left" / "right" as SoccerNet-GSR defines them: the team defending the goal on the left of the image (x < 0)."""
    means = {}
    for team in (0, 1):
        keepers = (window.teams == team) & (window.roles == ROLE_GOALKEEPER)
        members = keepers if np.isfinite(window.positions[:, keepers, 0]).any() else window.teams == team
        values = window.positions[:, members, 0]
        means[team] = float(np.nanmean(values)) if np.isfinite(values).any() else (-1.0 if team == 0 else 1.0)
    left = 0 if means[0] <= means[1] else 1
    return {left: "left", 1 - left: "right"}


def visible_lines(camera: Camera, width: int, height: int, pitch: PitchModel) -> dict[str, np.ndarray]:
    """Pixel points of every pitch element in the image, clipped exactly as the SoccerNet evaluator clips them.

    Straight elements keep the two extremities of their visible part (as SoccerNet annotators click them), circles up
    to 12 points along it. Using the evaluator's own projection rule makes the ground truth and the metric agree.
    """
    from ..geometry.metric import project_pitch_polylines

    lines = {}
    for name, polyline in project_pitch_polylines(camera, width, height, pitch).items():
        inside = polyline[(polyline[:, 0] >= 0) & (polyline[:, 0] <= width - 1) & (polyline[:, 1] >= 0) &
                          (polyline[:, 1] <= height - 1)]
        if len(inside) == 0:
            continue
        if name in CIRCLE_CLASSES:
            inside = inside[:: max(1, len(inside) // 12)]
        elif len(inside) > 1:
            inside = inside[[0, -1]]
        lines[name] = inside
    return lines


def _normalised(points: np.ndarray, width: int, height: int) -> list[dict[str, float]]:
    return [{"x": float(u) / (width - 1), "y": float(v) / (height - 1)} for u, v in points]


def _box_dict(box: tuple[float, float, float, float], width: int, height: int) -> dict | None:
    x0, y0, x1, y1 = max(0.0, box[0]), max(0.0, box[1]), min(width - 1.0, box[2]), min(height - 1.0, box[3])
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return {"x": round(x0, 2), "y": round(y0, 2), "x_center": round((x0 + x1) / 2, 2),
            "y_center": round((y0 + y1) / 2, 2), "w": round(x1 - x0, 2), "h": round(y1 - y0, 2)}


def _bbox_pitch(camera: Camera, box: dict) -> dict[str, float]:
    bottom = box["y"] + box["h"]
    uv = np.array([[box["x"], bottom], [box["x"] + box["w"] / 2, bottom], [box["x"] + box["w"], bottom]])
    points, _ = camera.backproject_to_ground(uv)
    out = {}
    for key, point in zip(("left", "middle", "right"), points):
        out[f"x_bottom_{key}"] = float(point[0]) if np.isfinite(point[0]) else None
        out[f"y_bottom_{key}"] = float(point[1]) if np.isfinite(point[1]) else None
    return out


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, separators=(",", ":")))


def generate_clip(trajectories: Trajectories, clip_index: int, config: SynthConfig, output_dir: Path,
                  events: list | None = None) -> Path:
    """Render and write one clip; returns its folder (written atomically)."""
    rng = np.random.default_rng([config.seed, clip_index])
    clip_id = f"{clip_index + 1:03d}"
    name = f"SNGS-{clip_id}"
    final = output_dir / name
    staging = output_dir / f".{name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "img1").mkdir(parents=True)
    (staging / "calibration").mkdir()
    (staging / "cameras").mkdir()
    (staging / "gt").mkdir()

    start = _choose_window(trajectories, config.frames, rng, config)
    window = trajectories.window(start, config.frames)
    referee = _synthetic_referee(window.ball, rng)
    sides = _team_sides(window)
    width, height = config.width, config.height
    views: list[str] = []
    style = config.style
    if style.randomise:  # domain randomisation: this clip's own look, from its own generator (the scene is unchanged)
        style = randomised_style(np.random.default_rng([config.seed, clip_index, 7919]))
    cameras, cuts = camera_path(window.ball, window.positions, width, height, rng,
                                cut_probability=config.cut_probability,
                                closeup_probability=config.closeup_probability, views=views, ranges=style.camera)
    renderer = ClipRenderer(width, height, rng, style=style)
    pitch = renderer.pitch
    keypoint_world = np.array([[k.x, k.y, k.z] for k in KEYPOINTS])
    statures = rng.normal(1.8, 0.07, size=window.positions.shape[1] + 1)
    jpeg_range = config.jpeg_quality or style.jpeg_quality
    quality = int(rng.integers(jpeg_range[0], jpeg_range[1] + 1))
    split_id = SPLIT_IDS.get(config.split, 1)

    track_ids: dict[int, int] = {}
    people_meta: dict[int, tuple[str, int, int]] = {}
    for p in range(window.positions.shape[1]):
        people_meta[p] = (str(window.roles[p]), int(window.teams[p]), int(window.jerseys[p]))
    referee_index = window.positions.shape[1]
    people_meta[referee_index] = (ROLE_REFEREE, -1, -1)
    ball_track = None

    images, annotations, gt_rows, keypoint_labels = [], [], [], {}
    previous = None
    for t in range(config.frames):
        camera = cameras[t]
        people = []
        for p in range(window.positions.shape[1]):
            position = window.positions[t, p]
            if np.isfinite(position).all():
                role, team, jersey = people_meta[p]
                people.append((p, position, role, team, jersey, statures[p]))
        if np.isfinite(referee[t]).all():
            people.append((referee_index, referee[t], ROLE_REFEREE, -1, -1, statures[-1]))
        frame = renderer.render(camera, people, window.ball[t], t, previous)
        previous = camera
        file_name = f"{t + 1:06d}.jpg"
        cv2.imwrite(str(staging / "img1" / file_name), frame.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        image_id = f"{split_id}{clip_id}{t + 1:06d}"
        images.append({"is_labeled": True, "image_id": image_id, "file_name": file_name, "height": height,
                       "width": width, "has_labeled_person": True, "has_labeled_pitch": True,
                       "has_labeled_camera": True, "ignore_regions_y": [], "ignore_regions_x": []})
        for person in frame.people:
            box = _box_dict(person.box, width, height)
            if box is None:
                continue
            role, team, jersey = people_meta[person.index]
            track = track_ids.setdefault(person.index, len(track_ids) + 1)
            annotations.append({
                "id": f"{image_id}{len(annotations) % 10000:04d}", "image_id": image_id, "track_id": track,
                "supercategory": "object", "category_id": CATEGORY_ID[role],
                "attributes": {"role": role, "jersey": str(jersey) if person.jersey_drawn else None,
                               "team": sides.get(team) if role != ROLE_REFEREE else None},
                "bbox_image": box, "bbox_pitch": _bbox_pitch(camera, box),
                "visibility": round(person.visible_fraction, 3),
            })
            gt_rows.append((t + 1, track, box["x"], box["y"], box["w"], box["h"]))
        if frame.ball_box is not None:
            box = _box_dict(frame.ball_box, width, height)
            if box is not None:
                if ball_track is None:
                    ball_track = len(track_ids) + 1
                    track_ids[-1] = ball_track
                annotations.append({
                    "id": f"{image_id}{len(annotations) % 10000:04d}", "image_id": image_id, "track_id": ball_track,
                    "supercategory": "object", "category_id": CATEGORY_ID["ball"],
                    "attributes": {"role": "ball", "jersey": None, "team": None},
                    "bbox_image": box, "bbox_pitch": _bbox_pitch(camera, box), "visibility": 1.0,
                })
                gt_rows.append((t + 1, ball_track, box["x"], box["y"], box["w"], box["h"]))
        lines = visible_lines(camera, width, height, pitch)
        calibration = {name: _normalised(points, width, height) for name, points in lines.items()}
        gsr_lines = {name.strip(): value for name, value in calibration.items()}  # GSR drops the trailing space
        annotations.append({"id": f"{image_id}00", "image_id": image_id, "supercategory": "pitch", "category_id": 5,
                            "lines": gsr_lines})
        _write_json(staging / "calibration" / f"{t + 1:06d}.json", calibration)
        camera.save(staging / "cameras" / f"camera_{t + 1:06d}.json")
        uv, valid = camera.project(keypoint_world, distort=False)
        visible = valid & np.isfinite(uv).all(1) & (uv[:, 0] >= 0) & (uv[:, 0] <= width - 1) & (uv[:, 1] >= 0) & \
            (uv[:, 1] <= height - 1)
        keypoint_labels[file_name] = [[round(float(u) / (width - 1), 6), round(float(v) / (height - 1), 6), int(vis)]
                                      if vis else [None, None, 0] for (u, v), vis in zip(uv, visible)]

    period = int(window.periods[0]) if len(window.periods) else 1
    minute, second = divmod(int(window.times[0]) % 2700, 60)
    end_minute, end_second = divmod(int(window.times[-1]) % 2700, 60)
    info = {
        "version": "1.3", "game_id": "0", "id": clip_id, "num_tracklets": str(len(track_ids)),
        "action_position": "0", "action_class": "", "visibility": "visible",
        "game_time_start": f"{period} - {minute:02d}:{second:02d}",
        "game_time_stop": f"{period} - {end_minute:02d}:{end_second:02d}",
        "clip_start": str(int(window.times[0] * 1000)), "clip_stop": str(int(window.times[-1] * 1000)),
        "name": name, "im_dir": "img1", "frame_rate": int(config.fps), "seq_length": config.frames, "im_ext": ".jpg",
    }
    _write_json(staging / "Labels-GameState.json",
                {"info": info, "images": images, "annotations": annotations, "categories": CATEGORIES})
    with open(staging / "gt" / "gt.txt", "w") as handle:
        for frame_number, track, x, y, w, h in gt_rows:
            handle.write(f"{frame_number},{track},{x:.2f},{y:.2f},{w:.2f},{h:.2f},1,-1,-1,-1\n")
    (staging / "seqinfo.ini").write_text(
        f"[Sequence]\nname={name}\nimDir=img1\nframeRate={int(config.fps)}\nseqLength={config.frames}\n"
        f"imWidth={width}\nimHeight={height}\nimExt=.jpg\n")
    lines = [f"[Sequence]\nname={name}\ngameID=0\ngameTimeStart= {info['game_time_start']}\n"
             f"gameTimeStop= {info['game_time_stop']}\nclipStart= {info['clip_start']}\nclipStop= {info['clip_stop']}\n"
             f"actionPosition= 0\nactionClass= \nvisibility= visible\nnum_tracklets= {len(track_ids)}\n"]
    for person, track in sorted(track_ids.items(), key=lambda item: item[1]):
        if person == -1:
            lines.append(f"trackletID_{track}= ball;1\n")
            continue
        role, team, jersey = people_meta[person]
        if role == ROLE_REFEREE:
            lines.append(f"trackletID_{track}= referee;main\n")
        else:
            lines.append(f"trackletID_{track}= {role} team {sides.get(team, 'left')};{jersey if jersey >= 0 else 'X'}\n")
    (staging / "gameinfo.ini").write_text("".join(lines))
    _write_json(staging / "Labels-Keypoints.json", {"keypoint_names": [k.name for k in KEYPOINTS],
                                                    "coordinates": "normalised by (width - 1, height - 1)",
                                                    "frames": keypoint_labels})
    _write_json(staging / "synth.json", {
        "source": trajectories.source, "licence": trajectories.licence, "seed": config.seed, "clip_index": clip_index,
        "league": style.name, **({"league_style": style.to_dict()} if config.style.randomise else {}),
        "window_start_seconds": float(window.times[0]), "camera_cuts": cuts, "camera_views": views, "jpeg_quality": quality,
        "team_sides": {str(k): v for k, v in sides.items()}, "referee": "synthetic, follows the ball",
        "events": [{"frame": event.frame - start + 1, "label": event.label,
                    "team": sides.get(event.team) if event.team >= 0 else None}
                   for event in (events or []) if start <= event.frame < start + config.frames],
    })
    commit_staging(staging, final, "synth")  # files of a foreign folder named like the clip are never deleted
    return final


def generate_dataset(output_dir: str | os.PathLike, config: SynthConfig, progress: bool = True) -> list[Path]:
    """Generate `config.clips` clips under `output_dir` (skipping finished ones) and write the dataset card."""
    from tqdm.auto import tqdm

    output_dir = Path(output_dir)
    style = config.style
    _check_league(output_dir, style)
    output_dir.mkdir(parents=True, exist_ok=True)
    _write_json(output_dir / "league.json", style.to_dict())
    from .events import derive_events, write_event_files

    trajectories = load_tracking(config.tracking, fps=config.fps, seed=config.seed)
    events = derive_events(trajectories)
    write_event_files(trajectories, events, output_dir / "events")
    folders = []
    for index in tqdm(range(config.clips), desc="SoccerSynth clips", disable=not progress):
        folder = output_dir / f"SNGS-{index + 1:03d}"
        if (folder / "Labels-GameState.json").is_file():
            folders.append(folder)  # resume: finished clips are kept
            continue
        folders.append(generate_clip(trajectories, index, config, output_dir, events))
    if config.semantic_clips > 0 and not (output_dir / "events" / "classification.json").is_file():
        from .semantic import generate_semantic_clips

        in_range = events
        if config.time_range is not None:
            low, high = (trajectories.times[0] + t for t in config.time_range)
            in_range = [e for e in events if low <= e.time <= high]
        generate_semantic_clips(trajectories, in_range, output_dir, config.semantic_clips, config.seed,
                                config.semantic_frames, config.width // 2, config.height // 2, style)
    write_dataset_card(output_dir, config, trajectories, folders)
    return folders


def _check_league(output_dir: Path, style: LeagueStyle) -> None:
    """Resuming into a folder drawn from another league would mix two looks: refuse it."""
    path = output_dir / "league.json"
    if not path.is_file():
        return
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: unreadable league style of the clips already there ({error})") from None
    if previous != json.loads(json.dumps(style.to_dict())):
        name = previous.get("name", "?") if isinstance(previous, dict) else "?"
        raise ValueError(f"{path}: the clips there were drawn from league {name!r}, not {style.name!r}; "
                         "use another output folder")


def write_dataset_card(output_dir: Path, config: SynthConfig, trajectories: Trajectories, folders: list[Path]) -> None:
    athletes = sum(1 for folder in folders for a in json.loads((folder / "Labels-GameState.json").read_text())
                   ["annotations"] if a["supercategory"] == "object")
    style = config.style
    if isinstance(config.league, LeagueStyle):
        league = "" if config.league == LEAGUES_DEFAULT else f" --league {output_dir.name}/league.json"
    else:
        league = "" if config.league == "default" else f" --league {config.league}"
    # every option that changes what is drawn (the card once left out --time-range, so its command drew other clips)
    options = league
    if config.time_range is not None:
        options += f" --time-range {config.time_range[0]:.12g}:{config.time_range[1]:.12g}"
    if config.split != "train":
        options += f" --split {config.split}"
    if config.semantic_clips > 0:
        options += f" --semantic-clips {config.semantic_clips}"
    card = f"""---
license: other
task_categories: [object-detection, video-classification]
tags: [soccer, synthetic, soccernet, game-state-reconstruction]
---
# SoccerSynth dataset

Synthetic broadcast-style soccer clips rendered by `soccermaster synth` (soccermaster_hf) from real player
trajectories, with exact ground truth in the SoccerNet formats (GSR `Labels-GameState.json`, SNMOT `gt/gt.txt`,
SoccerNet calibration annotations and camera JSON, 57 pitch keypoints).

| | |
|---|---|
| clips | {len(folders)} x {config.frames} frames at {config.fps:g} fps, {config.width}x{config.height} |
| athlete / ball boxes | {athletes} |
| seed | {config.seed} |
| tracking source | {trajectories.source} |
| tracking licence | {trajectories.licence} |
| split id in image ids | {config.split} |
| league style | {style.name}: {style.description} (`league.json`) |

Camera parameters follow the league style's ranges (the default league's are fitted to real broadcast cameras of
WorldCup 2014). Referees are synthetic (they follow the ball); lens distortion is zero; athletes are billboards.
Regenerate with:

    soccermaster synth --out {output_dir.name} --clips {config.clips} --frames {config.frames} --seed {config.seed} \\
        --tracking {config.tracking} --size {config.width}x{config.height}{options}
"""
    (output_dir / "README.md").write_text(card)


__all__ = ["CATEGORIES", "SynthConfig", "generate_clip", "generate_dataset", "visible_lines"]
