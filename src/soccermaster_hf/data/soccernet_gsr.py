"""Read SoccerNet-GSR clip folders (the real format; SoccerSynth writes it) as spatial training clips.

A clip folder holds ``Labels-GameState.json`` and ``img1/000001.jpg ...`` (see ``shared/docs/FORMATS.md`` §1.1).
:class:`SoccerNetGSRClips` cuts every clip into windows of ``clip_length`` consecutive frames (non-overlapping by
default, as the authors do) and returns, per window, the frames and per-frame labels:

* athletes: boxes (pixels, ``x0, y0, x1, y1``), class (0 person, 1 ball), role index, jersey (``-1`` when not
  readable), team (0 left, 1 right, 2 none), track id;
* pitch: the 57 keypoints with visibility (from ``Labels-KeyPoints.json`` when present, as SoccerSynth writes it) and
  the two endpoints of each of the 23 lines (from the ``pitch`` annotation's ``lines``, the extremities of each
  straight line's points), both in pixels.

Problems are reported by file and counted, never silently ignored: a missing or unreadable image blanks that frame
(its labels are masked with ``frame_valid = False``); a malformed annotation entry is skipped; a clip whose
``Labels-GameState.json`` cannot be parsed, or that has no readable frame, is left out. ``report`` holds the counts and
the first messages. A clip shorter than ``clip_length`` gives one window that repeats its last frame; it is
counted as ``shorter_than_clip_length``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from ..modeling.configuration_soccermaster import ROLE_NAMES, TEAM_NAMES
from ..modeling.pitch_definitions import KEYPOINTS, LINE_CLASSES, normalize_class_name
from ..processing.image_processing_soccermaster import SoccerMasterImageProcessor
from .report import SKIP_KINDS, DataReport

NUM_KEYPOINTS = len(KEYPOINTS)
NUM_LINES = len(LINE_CLASSES)
LINE_INDEX = {name: i for i, name in enumerate(LINE_CLASSES)}


@dataclass
class FrameLabels:
    boxes: np.ndarray          # (N, 4) x0 y0 x1 y1 pixels
    class_labels: np.ndarray   # (N,) 0 person, 1 ball
    roles: np.ndarray          # (N,) index in ROLE_NAMES
    jerseys: np.ndarray        # (N,) 0-99 or -1
    teams: np.ndarray          # (N,) 0 left, 1 right, 2 none
    track_ids: np.ndarray      # (N,)
    lines: np.ndarray          # (23, 2, 2) pixels
    line_visibility: np.ndarray  # (23,) bool
    has_pitch: bool


def _empty_labels() -> FrameLabels:
    return FrameLabels(np.zeros((0, 4), np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64),
                       np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                       np.zeros((NUM_LINES, 2, 2), np.float32), np.zeros(NUM_LINES, bool), False)


def _line_endpoints(points: list, width: int, height: int) -> np.ndarray | None:
    """The two extremities (pixels) of a straight line's annotated points (normalised by (W-1, H-1))."""
    try:
        array = np.array([[float(p["x"]), float(p["y"])] for p in points], dtype=np.float64)
    except (TypeError, KeyError, ValueError):
        return None
    if len(array) < 2 or not np.isfinite(array).all():
        return None
    array = array * [width - 1, height - 1]
    centred = array - array.mean(0)
    direction = np.linalg.svd(centred, full_matrices=False)[2][0] if len(array) > 2 else array[1] - array[0]
    projection = centred @ direction
    return np.stack([array[projection.argmin()], array[projection.argmax()]]).astype(np.float32)


@dataclass
class ClipRecord:
    name: str
    folder: Path
    frame_files: list[str]
    width: int
    height: int
    labels: list[FrameLabels]
    keypoints: np.ndarray | None            # (F, 57, 2) pixels
    keypoint_visibility: np.ndarray | None  # (F, 57)


_ROLES = {name.lower(): name for name in ROLE_NAMES}
_TEAMS = {"left": "left", "right": "right"}
_NO_TEAM = {"", "none", "null", "n/a", "na", "-"}
_NO_JERSEY = {"", "x", "none", "null", "n/a", "na", "-", "?"}


def _positive_int(value, name: str, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    number = float(value)
    if not np.isfinite(number) or number <= 0 or number != int(number):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(number)


def _read_role(value, where: str, report: DataReport) -> str:
    """A role name of `ROLE_NAMES` (case-insensitive; missing: "other"); unknown roles raise ValueError."""
    if value is None or value == "":
        return "other"
    if not isinstance(value, str):
        raise ValueError(f"role must be a string, got {value!r}")
    role = _ROLES.get(value.strip().lower())
    if role is None:
        raise ValueError(f"unknown role {value!r} (known: {', '.join(ROLE_NAMES)})")
    if role != value:
        report.add("normalised_role", f"{where}: role {value!r} read as {role!r}.")
    return role


def _read_team(value, where: str, report: DataReport) -> str:
    """"left" / "right" (case-insensitive) or "none"; an unknown team is counted and read as "none"."""
    if value is None:
        return "none"
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in _TEAMS:
        if value != text:
            report.add("normalised_team", f"{where}: team {value!r} read as {text!r}.")
        return text
    if text in _NO_TEAM:
        return "none"
    report.add("unknown_team", f"{where}: unknown team {value!r} read as 'none'.")
    return "none"


def _read_jersey(value, where: str, report: DataReport) -> int:
    """A jersey number 0-99, or -1 when not readable. Strings ("10") and integers (10) are accepted; anything else
    is counted and read as -1."""
    if value is None or (isinstance(value, str) and value.strip().lower() in _NO_JERSEY):
        return -1
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        number = int(value)
        report.add("integer_jersey", f"{where}: integer jersey {value!r} read as the string {str(number)!r}.")
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
        report.add("integer_jersey", f"{where}: jersey {value!r} read as {str(number)!r}.")
    else:
        report.add("invalid_jersey", f"{where}: jersey {value!r} is not a number 0-99; read as unreadable.")
        return -1
    if not 0 <= number <= 99:
        report.add("invalid_jersey", f"{where}: jersey {value!r} is not a number 0-99; read as unreadable.")
        return -1
    return number


def _read_images(path: Path, data, report: DataReport) -> tuple[list[dict], list]:
    """The clip's image records (sorted by file name, duplicates of an `image_id` or a `file_name` dropped and
    counted) and its annotations; ValueError when the document has no usable image list."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    images, annotations = data.get("images"), data.get("annotations", [])
    if not isinstance(images, list):
        raise ValueError("'images' must be a list")
    if not isinstance(annotations, list):
        raise ValueError("'annotations' must be a list")
    kept, ids, names = [], set(), set()
    for number, image in enumerate(images):
        where = f"{path}: image #{number}"
        if not isinstance(image, dict) or not isinstance(image.get("file_name"), str) or not image["file_name"] \
                or "image_id" not in image or isinstance(image["image_id"], (dict, list)):
            report.add("malformed_annotation", f"{where}: needs a 'file_name' string and an 'image_id'; skipped.")
            continue
        key = str(image["image_id"])
        if key in ids or image["file_name"] in names:
            duplicate = f"image_id {image['image_id']!r}" if key in ids else f"file_name {image['file_name']!r}"
            report.add("duplicate_image_id", f"{where}: duplicate {duplicate}; the first one is kept.")
            continue
        ids.add(key)
        names.add(image["file_name"])
        kept.append(image)
    return sorted(kept, key=lambda image: image["file_name"]), annotations


def parse_clip(folder: Path, report: DataReport) -> ClipRecord | None:
    """Parse one clip's annotations; `None` (with a report entry) if the clip is unusable."""
    path = folder / "Labels-GameState.json"
    try:
        if not path.is_file():
            raise OSError(f"{path.name} is not a regular file")
        images, annotations = _read_images(path, json.loads(path.read_text(encoding="utf-8")), report)
        width = _positive_int(images[0].get("width"), "width", 1920) if images else 0
        height = _positive_int(images[0].get("height"), "height", 1080) if images else 0
    except (OSError, ValueError, KeyError, TypeError) as error:
        report.add("unusable_clip", f"{path}: cannot read the annotations ({type(error).__name__}: {error}).")
        return None
    if not images:
        report.add("unusable_clip", f"{path}: no images listed.")
        return None
    index = {str(image["image_id"]): i for i, image in enumerate(images)}
    frames: list[dict] = [{"boxes": [], "class": [], "role": [], "jersey": [], "team": [], "track": [],
                           "lines": np.zeros((NUM_LINES, 2, 2), np.float32), "line_vis": np.zeros(NUM_LINES, bool),
                           "has_pitch": False} for _ in images]
    for number, annotation in enumerate(annotations):
        where = f"{path}: annotation #{number}"
        try:
            if not isinstance(annotation, dict):
                raise TypeError(f"expected an object, got {type(annotation).__name__}")
            image_id = annotation.get("image_id")
            if isinstance(image_id, (dict, list)) or str(image_id) not in index:
                report.add("unknown_image_id", f"{where}: image_id {image_id!r} is not in 'images'; skipped.")
                continue
            frame = frames[index[str(image_id)]]
            if annotation.get("supercategory") == "pitch":
                frame["has_pitch"] = True
                for name, points in (annotation.get("lines") or {}).items():
                    canonical = normalize_class_name(name)
                    if canonical not in LINE_INDEX:
                        continue  # circles and unknown classes are not line-head channels
                    ends = _line_endpoints(points, width, height)
                    if ends is not None:
                        frame["lines"][LINE_INDEX[canonical]] = ends
                        frame["line_vis"][LINE_INDEX[canonical]] = True
                continue
            if annotation.get("supercategory") != "object":
                continue
            box = annotation["bbox_image"]
            x0, y0, w, h = float(box["x"]), float(box["y"]), float(box["w"]), float(box["h"])
            if not np.isfinite([x0, y0, w, h]).all() or w <= 0 or h <= 0:
                raise ValueError(f"bad bbox_image {box}")
            attributes = annotation.get("attributes") or {}
            if not isinstance(attributes, dict):
                raise TypeError(f"attributes must be an object, got {attributes!r}")
            role = _read_role(attributes.get("role"), where, report)
            jersey = _read_jersey(attributes.get("jersey"), where, report)
            team = _read_team(attributes.get("team"), where, report)
            track = annotation.get("track_id")
            track = -1 if track is None or track == "" else int(track)
            frame["boxes"].append([x0, y0, x0 + w, y0 + h])
            frame["class"].append(1 if role == "ball" else 0)
            frame["role"].append(ROLE_NAMES.index(role))
            frame["jersey"].append(jersey)
            frame["team"].append(TEAM_NAMES.index(team))
            frame["track"].append(track)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            report.add("malformed_annotation", f"{where}: {type(error).__name__}: {error}; skipped.")
    labels = [FrameLabels(np.array(f["boxes"], np.float32).reshape(-1, 4), np.array(f["class"], np.int64),
                          np.array(f["role"], np.int64), np.array(f["jersey"], np.int64), np.array(f["team"], np.int64),
                          np.array(f["track"], np.int64), f["lines"], f["line_vis"], f["has_pitch"]) for f in frames]
    keypoints = visibility = None
    keypoint_file = folder / "Labels-Keypoints.json"
    if keypoint_file.is_file():
        try:
            entries = json.loads(keypoint_file.read_text(encoding="utf-8"))["frames"]
            keypoints = np.zeros((len(images), NUM_KEYPOINTS, 2), np.float32)
            visibility = np.zeros((len(images), NUM_KEYPOINTS), bool)
            for i, image in enumerate(images):
                for k, (x, y, visible) in enumerate(entries[image["file_name"]][:NUM_KEYPOINTS]):
                    if visible:
                        if not np.isfinite([float(x), float(y)]).all():
                            raise ValueError(f"non-finite keypoint {k} of {image['file_name']}")
                        keypoints[i, k] = (float(x) * (width - 1), float(y) * (height - 1))
                        visibility[i, k] = True
        except (OSError, ValueError, KeyError, TypeError) as error:
            report.add("malformed_annotation", f"{keypoint_file}: {type(error).__name__}: {error}; keypoints "
                                               "of this clip are not used.")
            keypoints = visibility = None
    record = ClipRecord(folder.name, folder, [image["file_name"] for image in images], width, height, labels,
                        keypoints, visibility)
    if not _has_readable_frame(record):
        report.add("unusable_clip", f"{folder / 'img1'}: none of the listed frames is a readable image.")
        return None
    return record


def _has_readable_frame(clip: ClipRecord, probes: int = 3) -> bool:
    """Whether one of (up to `probes`) existing frame files of the clip decodes (a clip of only missing or corrupt
    frames would train on blank masked frames)."""
    existing = [name for name in clip.frame_files if (clip.folder / "img1" / name).is_file()]
    if not existing:
        return False
    picks = {existing[0], existing[len(existing) // 2], existing[-1]}
    return any(cv2.imread(str(clip.folder / "img1" / name), cv2.IMREAD_REDUCED_COLOR_8) is not None
               for name in sorted(picks)[:probes])


def find_clip_folders(root: str | os.PathLike) -> list[Path]:
    """Every folder at or below `root` (depth <= 2) that holds a ``Labels-GameState.json``."""
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such folder.")
    if not root.is_dir():
        raise NotADirectoryError(f"{root}: not a folder (give a clip folder, a split folder or a dataset root).")
    candidates = [root] + sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    folders = []
    for candidate in candidates:
        if (candidate / "Labels-GameState.json").is_file():
            folders.append(candidate)
        elif candidate != root:
            folders += sorted(p for p in candidate.iterdir() if p.is_dir() and (p / "Labels-GameState.json").is_file())
    return [f for f in folders if not f.name.startswith(".")]


class SoccerNetGSRClips(torch.utils.data.Dataset):
    """Windows of `clip_length` consecutive frames of SoccerNet-GSR clips, with labels (see the module docstring).

    Args:
        roots: one or more folders (a clip, a split folder of clips, or a dataset root of splits).
        clip_length: frames per window (the authors: 30).
        stride: start-to-start distance of windows (default `clip_length`: non-overlapping, as the authors).
        max_size: if set, frames are downscaled (keeping aspect) so that their longer side is at most this, labels
            scaled accordingly (cheap loading for small models).
    """

    def __init__(self, roots: str | os.PathLike | list, clip_length: int = 30, stride: int | None = None,
                 max_size: int | None = None):
        if clip_length < 1:
            raise ValueError(f"clip_length must be >= 1, got {clip_length}")
        if stride is not None and stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        if max_size is not None and max_size < 1:
            raise ValueError(f"max_size must be >= 1, got {max_size}")
        roots = list(roots) if isinstance(roots, (list, tuple)) else [roots]
        self.report = DataReport(source=", ".join(str(root) for root in roots))
        self.clip_length, self.stride, self.max_size = clip_length, stride or clip_length, max_size
        self.clips: list[ClipRecord] = []
        for root in roots:
            found = 0
            for folder in find_clip_folders(root):
                record = parse_clip(folder, self.report)
                if record is not None:
                    self.clips.append(record)
                    found += 1
            if not found:  # a whole data source that yields nothing fails the run instead of shrinking it silently
                raise ValueError(f"{root}: no usable SoccerNet-GSR clip (a folder with Labels-GameState.json and "
                                 f"img1/ frames) found ({self.report.summary()}).")
        self.windows = [(c, start) for c, clip in enumerate(self.clips)
                        for start in range(0, max(1, len(clip.frame_files) - clip_length + 1), self.stride)]
        for clip in self.clips:  # counted, not silent: such a window repeats the clip's last frame to its length
            if len(clip.frame_files) < clip_length:
                self.report.add("shorter_than_clip_length", f"{clip.folder}: {len(clip.frame_files)} frames, "
                                f"clip_length {clip_length}: its window repeats the last frame.")

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> dict:
        clip_index, start = self.windows[index]
        clip = self.clips[clip_index]
        scale = 1.0
        if self.max_size and max(clip.width, clip.height) > self.max_size:
            scale = self.max_size / max(clip.width, clip.height)
        width, height = round(clip.width * scale), round(clip.height * scale)
        frames, valid, labels = [], [], []
        indices = [min(start + t, len(clip.frame_files) - 1) for t in range(self.clip_length)]
        for i in indices:
            path = clip.folder / "img1" / clip.frame_files[i]
            image = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
            if image is None:
                self.report.add("unreadable_frame", f"{path}: missing or unreadable image; frame masked.")
                frames.append(np.zeros((height, width, 3), np.uint8))
                valid.append(False)
                labels.append(_empty_labels())
                continue
            if image.shape[:2] != (clip.height, clip.width):
                self.report.add("size_mismatch", f"{path}: image is {image.shape[1]}x{image.shape[0]}, annotations "
                                f"say {clip.width}x{clip.height}; resized.")
            if image.shape[:2] != (height, width):
                image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
            frames.append(image[..., ::-1])  # BGR -> RGB
            valid.append(True)
            labels.append(clip.labels[i])
        pixels = torch.from_numpy(np.ascontiguousarray(np.stack(frames))).permute(0, 3, 1, 2).float() / 255.0
        sample = {
            "frames": pixels,
            "frame_valid": torch.tensor(valid),
            "boxes": [torch.from_numpy(frame_labels.boxes * scale) for frame_labels in labels],
            "class_labels": [torch.from_numpy(frame_labels.class_labels) for frame_labels in labels],
            "roles": [torch.from_numpy(frame_labels.roles) for frame_labels in labels],
            "jerseys": [torch.from_numpy(frame_labels.jerseys) for frame_labels in labels],
            "teams": [torch.from_numpy(frame_labels.teams) for frame_labels in labels],
            "track_ids": [torch.from_numpy(frame_labels.track_ids) for frame_labels in labels],
            "lines": torch.from_numpy(np.stack([frame_labels.lines for frame_labels in labels]) * scale),
            "line_visibility": torch.from_numpy(
                np.stack([frame_labels.line_visibility & v for frame_labels, v in zip(labels, valid)])),
            "has_pitch": torch.tensor([frame_labels.has_pitch and v for frame_labels, v in zip(labels, valid)]),
            "clip": clip.name,
            "frame_indices": torch.tensor(indices),
            "image_size": (height, width),
        }
        if clip.keypoints is not None:
            sample["keypoints"] = torch.from_numpy(clip.keypoints[indices] * scale)
            sample["keypoint_visibility"] = torch.from_numpy(clip.keypoint_visibility[indices]) & \
                torch.tensor(valid)[:, None]
        else:
            sample["keypoints"] = torch.zeros(self.clip_length, NUM_KEYPOINTS, 2)
            sample["keypoint_visibility"] = torch.zeros(self.clip_length, NUM_KEYPOINTS, dtype=torch.bool)
        sample["has_keypoints"] = clip.keypoints is not None
        return sample


BOX_FIELDS = ["class_labels", "roles", "jerseys", "teams", "track_ids"]


def to_model_inputs(samples: list[dict], size: int) -> dict:
    """Batch clips for `SoccerMasterForPreTraining`: `spatial_pixel_values` (B, T, 3, size, size) normalised like the
    processors (warp resize, mean = std = 0.5), per-frame `detection_labels` (normalised cxcywh) and `pitch_labels`
    (normalised coordinates), frames in batch-major order."""
    pixels, detection, pitch = [], [], []
    for sample in samples:
        frames = sample["frames"]
        height, width = frames.shape[-2:]
        # the processors' transform (bicubic + antialias, clamp, mean = std = 0.5) on frames already in [0, 1]
        pixels.append(SoccerMasterImageProcessor.resize_and_normalize(frames, (size, size), do_rescale=False)[0])
        scale = torch.tensor([width, height, width, height], dtype=torch.float32)
        for t in range(frames.shape[0]):
            boxes = sample["boxes"][t].float() / scale
            cxcywh = torch.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2,
                                  boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], -1) if len(boxes) else \
                torch.zeros(0, 4)
            detection.append({"class_labels": sample["class_labels"][t], "boxes": cxcywh,
                              "roles": sample["roles"][t], "jerseys": [int(j) if j >= 0 else None
                                                                       for j in sample["jerseys"][t].tolist()],
                              "teams": sample["teams"][t]})
            norm = torch.tensor([width - 1, height - 1], dtype=torch.float32)
            frame_valid = bool(sample["frame_valid"][t])
            pitch.append({
                "keypoints": sample["keypoints"][t] / norm,
                "keypoint_visibility": sample["keypoint_visibility"][t],
                "keypoint_mask": torch.full((NUM_KEYPOINTS,), float(sample["has_keypoints"])),
                "lines": sample["lines"][t] / norm,
                "line_visibility": sample["line_visibility"][t],
                "line_mask": torch.full((NUM_LINES,), float(bool(sample["has_pitch"][t]))),
                "valid": frame_valid,
            })
    return {"spatial_pixel_values": torch.stack(pixels), "detection_labels": detection, "pitch_labels": pitch}


__all__ = ["BOX_FIELDS", "SKIP_KINDS", "DataReport", "SoccerNetGSRClips", "find_clip_folders", "parse_clip", "to_model_inputs"]
