"""Builders of spatial records (clips of T consecutive frames): SoccerNet-GSR, SNMOT, SoccerNet calibration and the
authors' SoccerFactory per-sequence JSON.

Frames are not copied: these sources are under the SoccerNet NDA, so a frame is referenced by the relative path of its
image (`frames[i].image`, relative to the source folder) or, for sequences released as videos, by `video` and the
frame's index in it. Labels follow :mod:`.features`.

SoccerNet-GSR clips are read with the package's reader (:func:`soccermaster_hf.data.soccernet_gsr.parse_clip`: the
same role / team / jersey normalisation, the same counted problems); the builder then takes from the same files what
the reader does not keep (the boxes as written, ``bbox_pitch``, every annotated point of every pitch element, the
keypoints as written, and the cameras SoccerSynth writes in ``cameras/``).
"""

from __future__ import annotations

import configparser
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..data.report import DataReport
from ..data.soccernet_gsr import (
    LINE_INDEX,
    NUM_LINES,
    _line_endpoints,
    _read_jersey,
    _read_role,
    _read_team,
    find_clip_folders,
    parse_clip,
)
from ..modeling.configuration_soccermaster import ROLE_NAMES, TEAM_NAMES
from ..modeling.pitch_definitions import normalize_class_name
from .base import BuildContext, Builder, Unit, find_folders, number_in, window_starts
from .features import BBOX_PITCH_KEYS, NUM_KEYPOINTS, SPATIAL, empty_camera, empty_keypoints

SOCCERNET_LICENSE_NOTE = ("Annotations: SoccerNet (https://www.soccer-net.org/data); images and videos are under the "
                          "SoccerNet NDA and are not included: records reference them by relative path.")
_NO_TEAM = TEAM_NAMES.index("none")


def _finite(values) -> list[float] | None:
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        return None
    return out if all(math.isfinite(v) for v in out) else None


def read_lines(lines, where: str, report: DataReport) -> dict[str, list[list[float]]]:
    """A SoccerNet ``{"<class>": [{"x", "y"}, ...]}`` object as ``{canonical class: [[x, y], ...]}`` (normalised, as
    written). Unknown class names are dropped and counted (``unknown_line_class``); a class with a malformed point is
    dropped and counted (``malformed_annotation``)."""
    out: dict[str, list[list[float]]] = {}
    if not isinstance(lines, dict):
        if lines is not None:
            report.add("malformed_annotation", f"{where}: 'lines' must be an object, got {type(lines).__name__}; "
                                               "no line kept.")
        return out
    for name, points in lines.items():
        canonical = normalize_class_name(name)
        if canonical is None:
            report.add("unknown_line_class", f"{where}: unknown pitch element {name!r}; dropped.")
            continue
        try:
            parsed = [_finite([point["x"], point["y"]]) for point in points]
        except (TypeError, KeyError):
            parsed = [None]
        if not parsed or any(p is None for p in parsed):
            report.add("malformed_annotation", f"{where}: pitch element {name!r} has a malformed point; dropped.")
            continue
        out[canonical] = parsed
    return out


def camera_entry(path: Path, report: DataReport) -> dict:
    """The camera struct of a SoccerNet camera JSON file (invalid, counted, when the file is malformed)."""
    from ..geometry.camera import Camera, CameraFormatError

    try:
        camera = Camera.load(path)
    except (OSError, CameraFormatError, ValueError) as error:
        report.add("malformed_camera", f"{path}: {error}; the frame has no camera.")
        return empty_camera()
    return {"valid": True, "K": camera.K.tolist(), "R": camera.rotation.tolist(),
            "position": [float(v) for v in camera.position], "has_position": True,
            "distortion": [float(v) for v in (*camera.radial, *camera.tangential, *camera.thin_prism)]}


def _athlete(track: int, role: str, team: str, jersey: int, bbox: list[float], bbox_pitch=None,
             legibility: float | None = None) -> dict:
    return {"track_id": int(track), "role": ROLE_NAMES.index(role), "team": TEAM_NAMES.index(team),
            "jersey": int(jersey), "jersey_legibility": legibility, "bbox": bbox, "bbox_pitch": bbox_pitch}


def line_targets(lines: dict[str, list], width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The line head's targets of a frame's pitch elements: the two endpoints (pixels) of each of the 23 line
    channels and their visibility, by the GSR reader's rule (:func:`~soccermaster_hf.data.soccernet_gsr._line_endpoints`)."""
    ends, visible = np.zeros((NUM_LINES, 2, 2), np.float32), np.zeros(NUM_LINES, bool)
    for name, points in lines.items():
        index = LINE_INDEX.get(name)
        found = None if index is None else _line_endpoints([{"x": x, "y": y} for x, y in points], width, height)
        if found is not None:
            ends[index], visible[index] = found, True
    return ends, visible


def _frame(index: int, fps: float, image: str = "", image_id: str = "", athletes=(), has_pitch: bool = False,
           lines: dict | None = None, keypoints: list | None = None, camera: dict | None = None,
           size: tuple[int, int] | None = None, targets: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    if targets is None:
        targets = line_targets(lines or {}, *size) if lines and size else (
            np.zeros((NUM_LINES, 2, 2), np.float32), np.zeros(NUM_LINES, bool))
    return {"frame_index": index, "timestamp": index / fps if fps > 0 else None, "image": image,
            "image_id": image_id, "athletes": list(athletes), "has_pitch": has_pitch,
            "lines": [{"name": name, "points": points} for name, points in (lines or {}).items()],
            "line_endpoints": targets[0].reshape(NUM_LINES, 4).tolist(), "line_visible": targets[1].tolist(),
            "has_keypoints": keypoints is not None, "keypoints": keypoints or empty_keypoints(),
            "camera": camera or empty_camera()}


def _clip_records(frames: list[dict], meta: dict, clip_length: int, stride: int,
                  runs: list[tuple[int, int]] | None = None) -> Iterator[dict]:
    """Windows of `clip_length` consecutive frames (within each run of consecutive frame indices)."""
    for first, last in runs or [(0, len(frames))]:
        for start in window_starts(last - first, clip_length, stride):
            window = frames[first + start:first + min(start + clip_length, last - first)]
            yield {**meta, "record_id": f"{meta['clip']}/{window[0]['frame_index']:06d}",
                   "frame_start": window[0]["frame_index"], "num_frames": len(window), "frames": window}


class _ClipBuilder(Builder):
    configs = (SPATIAL,)
    license_note = SOCCERNET_LICENSE_NOTE
    tags = ("soccer", "soccernet", "object-detection", "multi-object-tracking")

    def __init__(self, source, clip_length: int = 30, stride: int | None = None, split: str | None = None):
        super().__init__(source, split)
        if clip_length < 1:
            raise ValueError(f"clip_length must be >= 1, got {clip_length}")
        if stride is not None and stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        self.clip_length, self.stride = clip_length, stride or clip_length

    def options(self) -> dict:
        return {**super().options(), "clip_length": self.clip_length, "stride": self.stride}


class GSRBuilder(_ClipBuilder):
    """SoccerNet-GSR clip folders (``Labels-GameState.json`` + ``img1/``; also SoccerSynth output)."""

    format = "gsr"
    description = ("SoccerNet Game State Reconstruction clips: athletes (box, track, role, team, jersey, pitch "
                   "position), pitch lines and (SoccerSynth) keypoints and cameras, per frame.")
    tags = (*_ClipBuilder.tags, "game-state-reconstruction")

    def units(self) -> list[Unit]:
        return [Unit(self.relative(folder), folder, (folder / "Labels-GameState.json", folder / "Labels-Keypoints.json"))
                for folder in find_clip_folders(self.source)]

    def records(self, unit: Unit, context: BuildContext) -> Iterator[tuple[str, str, dict]]:
        split = self.split_of(unit.path)
        for record in self.clip_records(unit, context):
            yield SPATIAL, split, record

    def clip_records(self, unit: Unit, context: BuildContext) -> Iterator[dict]:
        """The records of one clip folder."""
        report = context.report
        clip = parse_clip(unit.path, report)
        if clip is None:
            return
        path = unit.path / "Labels-GameState.json"
        data = json.loads(path.read_text(encoding="utf-8"))  # parse_clip read it: valid JSON with a list of images
        info = data.get("info") if isinstance(data.get("info"), dict) else {}
        fps = _finite([info.get("frame_rate", 25)])
        fps = fps[0] if fps and fps[0] > 0 else 25.0
        ids = {}
        for image in data["images"]:
            if isinstance(image, dict) and isinstance(image.get("file_name"), str):
                ids.setdefault(str(image.get("image_id")), image["file_name"])
        image_ids = {name: key for key, name in reversed(list(ids.items()))}
        raw_boxes, raw_lines = self._raw_annotations(path, data, ids, report)
        keypoints = self._keypoints(unit.path, clip) if clip.keypoints is not None else {}
        frames = []
        for i, (name, labels) in enumerate(zip(clip.frame_files, clip.labels)):
            athletes = []
            for box, role, jersey, team, track in zip(labels.boxes, labels.roles, labels.jerseys, labels.teams,
                                                      labels.track_ids):
                matches = raw_boxes.get((name, int(track), tuple(box.tolist())))
                ltwh, pitch = matches.pop(0) if matches else (
                    [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])], None)
                athletes.append(_athlete(track, ROLE_NAMES[role], TEAM_NAMES[team], jersey, ltwh, pitch))
            number = number_in(name)
            camera_file = unit.path / "cameras" / f"camera_{number:06d}.json" if number is not None else None
            camera = camera_entry(camera_file, report) if camera_file is not None and camera_file.is_file() else None
            frames.append(_frame(i, fps, self.relative(unit.path / "img1" / name), image_ids.get(name, ""),
                                 athletes, bool(labels.has_pitch), raw_lines.get(name), keypoints.get(name), camera,
                                 targets=(labels.lines, labels.line_visibility)))
        meta = {"source": self.format, "split": self.split_of(unit.path), "clip": clip.name,
                "game_id": str(info.get("game_id", info.get("gameID", "")) or ""), "fps": fps,
                "width": clip.width, "height": clip.height, "video": ""}
        yield from _clip_records(frames, meta, self.clip_length, self.stride)

    @staticmethod
    def _raw_annotations(path: Path, data: dict, ids: dict, report: DataReport):
        """Per image file: the objects' boxes as written (keyed like the reader's float32 boxes) with their
        ``bbox_pitch``, and the pitch lines."""
        boxes: dict[tuple, list] = defaultdict(list)
        lines: dict[str, dict] = {}
        for number, annotation in enumerate(data.get("annotations") or []):
            if not isinstance(annotation, dict) or isinstance(annotation.get("image_id"), (dict, list)):
                continue
            name = ids.get(str(annotation.get("image_id")))
            if name is None:
                continue
            where = f"{path}: annotation #{number}"
            if annotation.get("supercategory") == "pitch":
                lines[name] = read_lines(annotation.get("lines") or {}, where, report)
                continue
            try:
                box = annotation["bbox_image"]
                ltwh = [float(box["x"]), float(box["y"]), float(box["w"]), float(box["h"])]
                track = annotation.get("track_id")
                track = -1 if track is None or track == "" else int(track)
            except (KeyError, TypeError, ValueError):
                continue  # the reader skipped and counted it
            key = tuple(np.array([ltwh[0], ltwh[1], ltwh[0] + ltwh[2], ltwh[1] + ltwh[3]], np.float32).tolist())
            pitch = annotation.get("bbox_pitch")
            values = None
            if isinstance(pitch, dict):
                values = [pitch.get(k) for k in BBOX_PITCH_KEYS]
                if not all(v is None or (isinstance(v, (int, float)) and math.isfinite(v)) for v in values):
                    report.add("malformed_bbox_pitch", f"{where}: bbox_pitch {pitch!r} is not numeric; kept as null.")
                    values = None
            elif pitch is not None:
                report.add("malformed_bbox_pitch", f"{where}: bbox_pitch must be an object; kept as null.")
            boxes[(name, track, key)].append((ltwh, values))
        return boxes, lines

    @staticmethod
    def _keypoints(folder: Path, clip) -> dict[str, list]:
        """The keypoints of ``Labels-Keypoints.json`` as written, for a clip whose keypoints the reader accepted."""
        entries = json.loads((folder / "Labels-Keypoints.json").read_text(encoding="utf-8"))["frames"]
        out = {}
        for name in clip.frame_files:
            rows = [[float(x), float(y), 1.0] if visible else [0.0, 0.0, 0.0]
                    for x, y, visible in entries[name][:NUM_KEYPOINTS]]
            out[name] = rows + [[0.0, 0.0, 0.0]] * (NUM_KEYPOINTS - len(rows))
        return out


_TRACKLET = re.compile(r"^trackletid_(\d+)$", re.IGNORECASE)
_PLURAL = {"goalkeepers": "goalkeeper", "players": "player", "referees": "referee"}


def _read_ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # keep the keys' case (trackletID_1, frameRate)
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


class SNMOTBuilder(_ClipBuilder):
    """SoccerNet tracking sequences (MOTChallenge layout: ``gt/gt.txt``, ``seqinfo.ini``, ``gameinfo.ini``)."""

    format = "snmot"
    description = ("SoccerNet tracking (SNMOT) sequences: athlete boxes and track ids per frame, with role, team and "
                   "jersey from gameinfo.ini.")

    def units(self) -> list[Unit]:
        return [Unit(self.relative(folder), folder, (folder / "gt" / "gt.txt", folder / "seqinfo.ini",
                                                      folder / "gameinfo.ini"))
                for folder in find_folders(self.root, "gt/gt.txt")]

    def _tracklets(self, path: Path, report: DataReport) -> tuple[dict[int, tuple[str, str, int]], str]:
        if not path.is_file():
            report.add("missing_gameinfo", f"{path}: no gameinfo.ini; roles read as 'other'.")
            return {}, ""
        try:
            section = _read_ini(path)["Sequence"]
        except (configparser.Error, KeyError, OSError, UnicodeDecodeError) as error:
            report.add("missing_gameinfo", f"{path}: unreadable ({type(error).__name__}: {error}); roles read as "
                                           "'other'.")
            return {}, ""
        tracklets = {}
        for key, value in section.items():
            match = _TRACKLET.match(key)
            if not match:
                continue
            where = f"{path}: {key}"
            description, _, extra = value.partition(";")
            words = description.strip().lower().split()
            try:
                role = _read_role(_PLURAL.get(words[0], words[0]) if words else "", where, report)
            except ValueError as error:
                report.add("malformed_annotation", f"{where}: {error}; the tracklet's boxes are skipped.")
                tracklets[int(match.group(1))] = None
                continue
            team = words[words.index("team") + 1] if "team" in words[:-1] else None
            team = _read_team(team, where, report) if role in ("player", "goalkeeper") else "none"
            jersey = _read_jersey(extra.strip(), where, report) if role in ("player", "goalkeeper") else -1
            tracklets[int(match.group(1))] = (role, team, jersey)
        return tracklets, str(section.get("gameID", section.get("game_id", "")) or "").strip()

    def records(self, unit: Unit, context: BuildContext) -> Iterator[tuple[str, str, dict]]:
        report = context.report
        folder = unit.path
        try:
            sequence = _read_ini(folder / "seqinfo.ini")["Sequence"]
            fps = float(sequence.get("frameRate", 25))
            length = int(sequence["seqLength"])
            width, height = int(sequence["imWidth"]), int(sequence["imHeight"])
            if length < 1 or width < 1 or height < 1 or not fps > 0:
                raise ValueError(f"seqLength {length}, size {width}x{height}, frameRate {fps}")
        except (OSError, configparser.Error, KeyError, ValueError, UnicodeDecodeError) as error:
            report.add("unusable_clip", f"{folder / 'seqinfo.ini'}: {type(error).__name__}: {error}; the sequence "
                                        "is skipped.")
            return
        image_dir = sequence.get("imDir", "img1").strip() or "img1"
        extension = sequence.get("imExt", ".jpg").strip() or ".jpg"
        tracklets, game_id = self._tracklets(folder / "gameinfo.ini", report)
        per_frame: list[list[dict]] = [[] for _ in range(length)]
        gt = folder / "gt" / "gt.txt"
        for number, line in enumerate(gt.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{gt}: line {number}"
            values = line.split(",")
            parsed = _finite(values[:7]) if len(values) >= 6 else None
            if parsed is None or parsed[0] != int(parsed[0]) or not 1 <= parsed[0] <= length or \
                    parsed[1] != int(parsed[1]) or parsed[4] <= 0 or parsed[5] <= 0:
                report.add("malformed_annotation", f"{where}: expected 'frame (1..{length}), id, x, y, w, h[, conf, "
                                                   f"...]' with a positive size, got {line.strip()[:80]!r}; skipped.")
                continue
            if len(parsed) > 6 and parsed[6] == 0:
                report.add("ignored_row", f"{where}: confidence 0 (MOTChallenge: not ground truth); left out.")
                continue
            track = int(parsed[1])
            if track not in tracklets:
                report.add("unknown_tracklet", f"{where}: track {track} is not in gameinfo.ini; role read as 'other'.")
                tracklets[track] = ("other", "none", -1)
            if tracklets[track] is None:
                continue  # its role is malformed (counted once)
            role, team, jersey = tracklets[track]
            per_frame[int(parsed[0]) - 1].append(_athlete(track, role, team, jersey, parsed[2:6]))
        frames = [_frame(i, fps, self.relative(folder / image_dir / f"{i + 1:06d}{extension}"), "", athletes)
                  for i, athletes in enumerate(per_frame)]
        meta = {"source": self.format, "split": self.split_of(folder), "clip": folder.name, "game_id": game_id,
                "fps": fps, "width": width, "height": height, "video": ""}
        for record in _clip_records(frames, meta, self.clip_length, self.stride):
            yield SPATIAL, meta["split"], record


_ANNOTATION_NAME = re.compile(r"^\d+\.json$")
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


class CalibrationBuilder(Builder):
    """SoccerNet camera-calibration annotations (``NNNNN.json`` = pitch elements in normalised image coordinates),
    with the camera of each image when a ``camera_NNNNN.json`` lies beside it, in a ``cameras/`` sibling folder (as
    SoccerSynth writes them) or in `cameras_dir`. Calibration images are independent: one record per image."""

    format = "calibration"
    configs = (SPATIAL,)
    license_note = SOCCERNET_LICENSE_NOTE
    description = "SoccerNet camera calibration: pitch elements (lines, circles, goal posts) per image, and cameras."
    tags = ("soccer", "soccernet", "camera-calibration")

    def __init__(self, source, image_size: tuple[int, int] = (960, 540), cameras_dir=None, split: str | None = None):
        super().__init__(source, split)
        self.image_size = image_size
        self.cameras_dir = Path(cameras_dir) if cameras_dir else None

    def options(self) -> dict:
        return {**super().options(), "image_size": list(self.image_size),
                "cameras_dir": self.cameras_dir.name if self.cameras_dir else None}

    def local_options(self) -> dict:
        return {"cameras_dir": str(self.cameras_dir.resolve()) if self.cameras_dir else None}

    def units(self) -> list[Unit]:
        if self.source.is_file():
            return [Unit(self.source.name, self.source.parent, (self.source,))]
        units = []
        for folder in [self.source, *sorted(p for p in self.source.rglob("*") if p.is_dir())]:
            if any(part.startswith(".") for part in folder.relative_to(self.source).parts):
                continue
            files = tuple(sorted((p for p in folder.iterdir() if _ANNOTATION_NAME.match(p.name) and p.is_file()),
                                 key=lambda p: int(p.stem)))
            if files:
                units.append(Unit(self.relative(folder), folder, files))
        return units

    def _companion(self, folder: Path, stem: str, names: list[str], subfolder: str) -> Path | None:
        for directory in ([self.cameras_dir] if self.cameras_dir and subfolder == "cameras" else []) + \
                [folder, folder.parent / subfolder]:
            for name in names:
                if (directory / name).is_file():
                    return directory / name
        return None

    def records(self, unit: Unit, context: BuildContext) -> Iterator[tuple[str, str, dict]]:
        from ..geometry.observations import AnnotationError, load_soccernet_annotation

        report = context.report
        split = self.split_of(unit.path)
        for path in unit.files:
            try:
                annotation = load_soccernet_annotation(path)
            except AnnotationError as error:
                report.add("malformed_record", f"{error}; skipped.")
                continue
            stem = path.stem
            lines = read_lines(annotation, str(path), report)
            image = self._companion(path.parent, stem, [stem + ext for ext in _IMAGE_EXTENSIONS], "img1")
            size = self._image_size(image) if image is not None else None
            if size is None:
                size = self.image_size
                report.add("assumed_image_size", f"{path}: no readable image beside it; image size taken as "
                                                 f"{size[0]}x{size[1]}.")
            camera_file = self._companion(path.parent, stem, [f"camera_{stem}.json"], "cameras")
            camera = camera_entry(camera_file, report) if camera_file is not None else None
            key = self.relative(path.parent)
            frame = _frame(int(stem), 0.0, self.relative(image) if image is not None else "", stem, (), True, lines,
                           None, camera, size=size)
            clip = f"{key}/{stem}" if key not in (".", "") else stem
            yield SPATIAL, split, {"record_id": clip, "source": self.format, "split": split, "clip": clip,
                                   "game_id": "", "fps": 0.0, "width": size[0], "height": size[1], "video": "",
                                   "frame_start": int(stem), "num_frames": 1, "frames": [frame]}

    @staticmethod
    def _image_size(path: Path) -> tuple[int, int] | None:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                return image.size
        except (OSError, UnidentifiedImageError, ValueError):
            return None


class SoccerFactoryBuilder(_ClipBuilder):
    """The authors' SoccerFactory annotations: one JSON per ``SNGS-1xxxx`` sequence, keyed by frame, each frame with
    ``people[]`` (``id``, ``bbox_ltwh`` in 1920x1080 pixels, ``role``, ``legibility_score``, ``jersey_number``) and
    ``valid_cam_params``, ``K``, ``R``.

    The exact layout of the release is inferred from its README (no file was available): the top level is the
    frame-keyed object (or holds it under ``"frames"``; a list of frames with a ``"frame"`` key is accepted too); a
    key's last run of digits is its frame number, 1-based unless some key is 0. There is no team (``team = none``)
    and no camera position (``has_position = false``); frames are taken from ``video_pattern`` (relative to the JSON's
    folder; default ``{sequence}.mp4``).
    """

    format = "soccerfactory"
    license_note = ("SoccerFactory pseudo-labels by the SoccerMaster authors (see their release terms); the "
                    "underlying videos come from SoccerNet (NDA) and are not included.")
    description = ("SoccerFactory automatically curated spatial labels (athlete boxes, tracks, roles, jersey numbers "
                   "with legibility, cameras K and R) per frame.")

    def __init__(self, source, clip_length: int = 30, stride: int | None = None, split: str | None = None,
                 image_size: tuple[int, int] = (1920, 1080), fps: float = 25.0, video_pattern: str = "{sequence}.mp4"):
        super().__init__(source, clip_length, stride, split)
        self.image_size, self.fps, self.video_pattern = image_size, fps, video_pattern

    def options(self) -> dict:
        return {**super().options(), "image_size": list(self.image_size), "fps": self.fps,
                "video_pattern": self.video_pattern}

    def units(self) -> list[Unit]:
        files = [self.source] if self.source.is_file() else sorted(
            p for p in self.source.rglob("*.json") if p.is_file() and not any(
                part.startswith(".") for part in p.relative_to(self.source).parts))
        return [Unit(self.relative(p), p, (p,)) for p in files]

    @staticmethod
    def _frames(data) -> list[tuple[object, object]]:
        if isinstance(data, dict) and isinstance(data.get("frames"), (dict, list)):
            data = data["frames"]
        if isinstance(data, dict):
            return list(data.items())
        if isinstance(data, list):
            return [(item.get("frame", item.get("frame_id", i)) if isinstance(item, dict) else i, item)
                    for i, item in enumerate(data)]
        raise ValueError(f"expected an object keyed by frame, got {type(data).__name__}")

    def _people(self, people, where: str, report: DataReport) -> list[dict]:
        athletes = []
        for number, person in enumerate(people if isinstance(people, list) else []):
            here = f"{where} person #{number}"
            try:
                if not isinstance(person, dict):
                    raise TypeError(f"expected an object, got {type(person).__name__}")
                box = _finite(person["bbox_ltwh"])
                if box is None or len(box) != 4 or box[2] <= 0 or box[3] <= 0:
                    raise ValueError(f"bad bbox_ltwh {person['bbox_ltwh']!r}")
                role = _read_role(person.get("role"), here, report)
                legibility = person.get("legibility_score")
                legibility = float(legibility) if isinstance(legibility, (int, float)) and \
                    not isinstance(legibility, bool) and math.isfinite(legibility) else None
                jersey = _read_jersey(person.get("jersey_number"), here, report) if role != "ball" else -1
                track = person.get("id")
                track = -1 if track is None or track == "" else int(track)
            except (KeyError, TypeError, ValueError) as error:
                report.add("malformed_annotation", f"{here}: {type(error).__name__}: {error}; skipped.")
                continue
            athletes.append(_athlete(track, role, "none", jersey, box, None, legibility))
        if people is not None and not isinstance(people, list):
            report.add("malformed_annotation", f"{where}: 'people' must be a list; the frame has no athlete.")
        return athletes

    def _camera(self, entry: dict, where: str, report: DataReport) -> dict:
        camera = empty_camera()
        if not entry.get("valid_cam_params"):
            return camera
        try:
            matrices = [np.asarray(entry[key], dtype=np.float64) for key in ("K", "R")]
            if any(m.shape != (3, 3) or not np.isfinite(m).all() for m in matrices):
                raise ValueError("K and R must be finite 3x3 matrices")
        except (KeyError, TypeError, ValueError) as error:
            report.add("malformed_camera", f"{where}: {error}; the frame has no camera.")
            return camera
        return {**camera, "valid": True, "K": matrices[0].tolist(), "R": matrices[1].tolist()}

    def records(self, unit: Unit, context: BuildContext) -> Iterator[tuple[str, str, dict]]:
        report = context.report
        try:
            entries = self._frames(json.loads(unit.path.read_text(encoding="utf-8")))
        except (OSError, ValueError, UnicodeDecodeError) as error:
            report.add("unusable_clip", f"{unit.path}: {type(error).__name__}: {error}; the sequence is skipped.")
            return
        numbered = []
        for key, entry in entries:
            number = number_in(str(key))
            if number is None or not isinstance(entry, dict):
                report.add("malformed_record", f"{unit.path}: frame {key!r} has no frame number or is not an "
                                               "object; skipped.")
                continue
            numbered.append((number, key, entry))
        if not numbered:
            report.add("unusable_clip", f"{unit.path}: no frame; the sequence is skipped.")
            return
        base = 0 if min(n for n, _, _ in numbered) == 0 else 1
        numbered.sort(key=lambda item: item[0])
        frames, seen = [], set()
        for number, key, entry in numbered:
            if number in seen:
                report.add("duplicate_image_id", f"{unit.path}: frame {key!r} appears twice; the first is kept.")
                continue
            seen.add(number)
            where = f"{unit.path}: frame {key!r}"
            frames.append(_frame(number - base, self.fps, "", str(key), self._people(entry.get("people"), where, report),
                                 False, None, None, self._camera(entry, where, report)))
        runs, first = [], 0
        for i in range(1, len(frames) + 1):
            if i == len(frames) or frames[i]["frame_index"] != frames[i - 1]["frame_index"] + 1:
                runs.append((first, i))
                first = i
        sequence = unit.path.stem
        video = self.relative(unit.path.parent / self.video_pattern.format(sequence=sequence))
        split = self.split_of(unit.path)
        meta = {"source": self.format, "split": split, "clip": sequence, "game_id": "", "fps": self.fps,
                "width": self.image_size[0], "height": self.image_size[1], "video": video}
        for record in _clip_records(frames, meta, self.clip_length, self.stride, runs):
            yield SPATIAL, split, record


__all__ = ["CalibrationBuilder", "GSRBuilder", "SNMOTBuilder", "SoccerFactoryBuilder", "camera_entry", "line_targets",
           "read_lines"]
