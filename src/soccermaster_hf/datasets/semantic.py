"""Builders of semantic records (30-s windows at 1 fps around an event or a comment): SoccerNet-v2 games
(``Labels-v2.json`` + ``Labels-cameras.json``), MatchTime / SoccerNet-Caption ``Labels-caption.json`` and UniSoccer /
MatchTime / SoccerReplay-1988 classification JSON.

The videos (SoccerNet halves, UniSoccer clips) are under the SoccerNet NDA or gated: records reference them by
relative path and carry the exact sample times; decoding needs the user's copy (see :mod:`.collate`).

Time bases (FORMATS.md §1.3-1.5): Labels-v2 ``position`` is milliseconds into the half's video; a caption's
``gameTime`` is the video time of its half (not the match clock); a UniSoccer clip is a 30-s file cut 15 s before and
after its timestamp, so its window is the whole file.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

from ..data.report import DataReport
from ..modeling.configuration_soccermaster import EVENT_KEYWORDS, SOCCERNET_V2_TO_KEYWORD
from .base import BuildContext, Builder, Unit, find_folders
from .features import (
    MATCHTIME_CAPTION_TO_KEYWORD,
    SEMANTIC,
    SEMANTIC_FPS,
    SEMANTIC_WINDOW_SECONDS,
    semantic_frame_times,
)
from .spatial import SOCCERNET_LICENSE_NOTE

KEYWORD_INDEX = {keyword: i for i, keyword in enumerate(EVENT_KEYWORDS)}
_LOOKUP = {keyword.lower(): i for i, keyword in enumerate(EVENT_KEYWORDS)}
_GAME_TIME = re.compile(r"^\s*(\d+)\s*-\s*(\d+):(\d{1,2})\s*$")
_CLIP_NAME = re.compile(r"^(?P<half>\d+)_(?P<minutes>\d{1,3})_(?P<seconds>\d{1,2})\.[A-Za-z0-9]+$")


def parse_game_time(text) -> tuple[int, float] | None:
    """``"<half> - MM:SS"`` -> (half, seconds into the half), `None` when malformed."""
    match = _GAME_TIME.match(text) if isinstance(text, str) else None
    if not match:
        return None
    half, minutes, seconds = (int(g) for g in match.groups())
    return (half, minutes * 60.0 + seconds) if half >= 1 and seconds < 60 else None


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _load_json(path: Path, report: DataReport, kind: str = "unusable_clip"):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as error:
        report.add(kind, f"{path}: cannot read ({type(error).__name__}: {error}); skipped.")
        return None


def _annotations(path: Path, report: DataReport) -> list | None:
    """The ``annotations`` list of a SoccerNet label file (`None`, counted, when the file is unusable)."""
    data = _load_json(path, report)
    if data is None:
        return None
    annotations = data.get("annotations") if isinstance(data, dict) else None
    if not isinstance(annotations, list):
        report.add("unusable_clip", f"{path}: no 'annotations' list; skipped.")
        return None
    return annotations


def semantic_record(**fields) -> dict:
    """A semantic record with defaults for the fields a source does not have; the window is `window_center` +/- 15 s
    at 1 fps (`frame_times`), frame indices at `video_fps`."""
    center = fields["window_center"]
    times = fields.pop("frame_times", None) or semantic_frame_times(center)
    fps = fields.get("video_fps", 25.0)
    record = {"split": "train", "video_fps": fps, "game": "", "half": 0, "event_time": None, "game_time": "",
              "label": None, "source_label": "", "team": "", "visibility": "", "caption": "",
              "caption_anonymized": "", "important": None, "camera_shot": "", "replay": None, **fields}
    record["frame_times"] = times
    record["frame_indices"] = [int(math.floor(t * fps + 1e-9)) for t in times]
    return record


class _SemanticBuilder(Builder):
    configs = (SEMANTIC,)
    license_note = SOCCERNET_LICENSE_NOTE
    tags = ("soccer", "soccernet", "video-classification", "action-spotting")

    def __init__(self, source, split: str | None = None, video_name: str = "{half}_224p.mkv"):
        super().__init__(source, split)
        self.video_name = video_name

    def options(self) -> dict:
        return {**super().options(), "video_name": self.video_name,
                "window_seconds": SEMANTIC_WINDOW_SECONDS, "sampling_fps": SEMANTIC_FPS}


class SoccerNetV2Builder(_SemanticBuilder):
    """SoccerNet-v2 action-spotting games: one record per ``Labels-v2.json`` annotation, its label mapped to the
    keywords by :data:`~soccermaster_hf.SOCCERNET_V2_TO_KEYWORD`, the camera shot at the event from
    ``Labels-cameras.json`` when present; the video is the half (`video_name`, default ``{half}_224p.mkv``)."""

    format = "soccernet-v2"
    description = ("SoccerNet-v2 action spotting: 30-s windows at 1 fps around each annotated action, labelled "
                   "with the SoccerMaster event keywords (documented SoccerNet-v2 mapping).")

    def units(self) -> list[Unit]:
        return [Unit(self.relative(folder), folder, (folder / "Labels-v2.json", folder / "Labels-cameras.json"))
                for folder in find_folders(self.root, "Labels-v2.json", max_depth=4)]

    @staticmethod
    def _shots(path: Path, report: DataReport) -> dict[int, list[tuple[float, str, bool | None]]]:
        """Per half: the camera shots of ``Labels-cameras.json`` as (start second, label, replay), sorted."""
        data = _load_json(path, report, "malformed_camera_labels") if path.is_file() else None
        shots: dict[int, list] = {}
        for number, entry in enumerate(data.get("annotations", []) if isinstance(data, dict) else []):
            game_time = parse_game_time(entry.get("gameTime")) if isinstance(entry, dict) else None
            if game_time is None:
                report.add("malformed_camera_labels", f"{path}: annotation #{number} has no valid gameTime; ignored.")
                continue
            half, seconds = game_time
            with contextlib.suppress(KeyError, TypeError, ValueError):
                seconds = float(entry["position"]) / 1000.0
            replay = entry.get("replay")
            replay = None if not isinstance(replay, str) else replay.strip().lower() == "replay"
            shots.setdefault(half, []).append((seconds, _text(entry.get("label")), replay))
        return {half: sorted(values) for half, values in shots.items()}

    def records(self, unit: Unit, context: BuildContext) -> Iterator[tuple[str, str, dict]]:
        report = context.report
        path = unit.path / "Labels-v2.json"
        annotations = _annotations(path, report)
        if annotations is None:
            return
        shots = self._shots(unit.path / "Labels-cameras.json", report)
        split = self.split_of(unit.path)
        for number, entry in enumerate(annotations):
            where = f"{path}: annotation #{number}"
            game_time = parse_game_time(entry.get("gameTime")) if isinstance(entry, dict) else None
            if game_time is None:
                report.add("malformed_record", f"{where}: needs a gameTime '<half> - MM:SS'; skipped.")
                continue
            half, seconds = game_time
            try:
                seconds = float(entry["position"]) / 1000.0
                if not math.isfinite(seconds) or seconds < 0:
                    raise ValueError(entry["position"])
            except (KeyError, TypeError, ValueError):
                report.add("position_from_game_time", f"{where}: no valid 'position'; the time is taken from "
                                                      f"gameTime {entry.get('gameTime')!r}.")
            label = entry.get("label")
            keyword = SOCCERNET_V2_TO_KEYWORD.get(label) if isinstance(label, str) else None
            if keyword is None:
                report.add("unknown_event", f"{where}: label {label!r} is not a SoccerNet-v2 class; skipped.")
                continue
            shot = ("", None)
            for start, name, replay in shots.get(half, []):
                if start > seconds:
                    break
                shot = (name, replay)
            yield SEMANTIC, split, semantic_record(
                record_id=f"{unit.key}/{half}/{int(round(seconds * 1000)):08d}/{number:05d}", source=self.format,
                split=split, video=self.relative(unit.path / self.video_name.format(half=half)), game=unit.key,
                half=half, event_time=seconds, game_time=_text(entry.get("gameTime")), window_center=seconds,
                label=KEYWORD_INDEX[keyword], source_label=label, team=_text(entry.get("team")),
                visibility=_text(entry.get("visibility")), camera_shot=shot[0], replay=shot[1])


# the most precise time of a caption first: MatchTime's manual test alignment, its fine and coarse automatic
# alignments, then SoccerNet-Caption's original gameTime
CAPTION_TIME_KEYS = ("gt_gameTime", "contrastive_aligned_gameTime", "event_aligned_gameTime", "gameTime")


_LEAGUE_SEASON = re.compile(r"^(?P<league>.+)_(?P<season>\d{4}-\d{4})$")


def soccernet_game(folder: Path) -> str | None:
    """The SoccerNet game path ``league/season/game`` of a MatchTime game folder ``.../league_season/game``
    (`None` when the folder does not follow that layout)."""
    match = _LEAGUE_SEASON.match(folder.parent.name)
    return f"{match['league']}/{match['season']}/{folder.name}" if match else None


class MatchTimeBuilder(_SemanticBuilder):
    """MatchTime / SoccerNet-Caption games: one record per ``Labels-caption*.json`` annotation (``league_season/game``
    layout), at its most precise time (:data:`CAPTION_TIME_KEYS`). `game` and `video` follow SoccerNet's
    ``league/season/game`` layout (where the videos are: relative to a SoccerNet root). The caption label maps to a
    keyword by
    :data:`~soccermaster_hf.datasets.features.MATCHTIME_CAPTION_TO_KEYWORD` (others: label -1, the commentary is the
    content)."""

    format = "matchtime"
    license = "cc-by-sa-4.0"
    license_note = ("MatchTime annotations (Homie0609/MatchTime, CC BY-SA 4.0) on SoccerNet-Caption; the videos are "
                    "SoccerNet's (NDA) and are not included.")
    description = ("MatchTime / SoccerNet-Caption commentary: 30-s windows at 1 fps around each timestamped comment, "
                   "with the commentary (original and anonymised) and its caption label.")
    tags = ("soccer", "soccernet", "video-text-to-text", "commentary")

    def units(self) -> list[Unit]:
        files = [self.source] if self.source.is_file() else sorted(
            p for p in self.source.rglob("Labels-caption*.json") if p.is_file())
        return [Unit(self.relative(p), p, (p,)) for p in files]

    def records(self, unit: Unit, context: BuildContext) -> Iterator[tuple[str, str, dict]]:
        report = context.report
        annotations = _annotations(unit.path, report)
        if annotations is None:
            return
        game = soccernet_game(unit.path.parent) or self.relative(unit.path.parent)
        split = self.split_of(unit.path)
        for number, entry in enumerate(annotations):
            where = f"{unit.path}: annotation #{number}"
            if not isinstance(entry, dict):
                report.add("malformed_record", f"{where}: not an object; skipped.")
                continue
            timed = next(((key, parse_game_time(entry.get(key))) for key in CAPTION_TIME_KEYS
                          if parse_game_time(entry.get(key)) is not None), None)
            if timed is None or timed[1][0] > 2:
                report.add("malformed_record", f"{where}: no valid time in {', '.join(CAPTION_TIME_KEYS)} (half 1 or "
                                               f"2), gameTime {entry.get('gameTime')!r}; skipped.")
                continue
            if timed[0] != "gameTime" and parse_game_time(entry.get("gameTime")) is None:
                report.add("aligned_time_only", f"{where}: gameTime malformed; {timed[0]} used.")
            half, seconds = timed[1]
            label = _text(entry.get("label"))
            keyword = MATCHTIME_CAPTION_TO_KEYWORD.get(label.strip().lower())
            important = entry.get("important")
            yield SEMANTIC, split, semantic_record(
                record_id=f"{game}/{half}/{int(seconds):05d}/{number:05d}", source=self.format, split=split,
                video=f"{game}/{self.video_name.format(half=half)}", game=game, half=half,
                event_time=seconds, game_time=_text(entry.get("gameTime")), window_center=seconds,
                label=KEYWORD_INDEX[keyword] if keyword else None, source_label=label,
                visibility=_text(entry.get("visibility")), caption=_text(entry.get("description")),
                caption_anonymized=_text(entry.get("anonymized")),
                important=important if isinstance(important, bool) else None)


class UniSoccerBuilder(_SemanticBuilder):
    """UniSoccer / MatchTime / SoccerReplay-1988 classification JSON (a list of ``{"video", "caption",
    "comments_text", "comments_text_anonymized"}``): one record per entry, the event keyword matched
    case-insensitively. A clip file is the 30-s window itself (`video` as written, relative to the dataset's clip
    folder); half and time come from its name ``<half>_<MM>_<SS>.mp4`` when it follows UniSoccer's naming."""

    format = "unisoccer"
    license = "mit"
    license_note = ("Clip lists from jyrao/UniSoccer (MIT); the clips are cut from SoccerNet / MatchTime / "
                    "SoccerReplay-1988 videos (NDA or gated) and are not included.")
    description = ("UniSoccer event classification clips: 30-s clips at 1 fps with the event keyword and, for "
                   "MatchTime / SoccerReplay-1988, the commentary.")
    tags = ("soccer", "soccernet", "video-classification")

    def __init__(self, source, split: str | None = None, clip_fps: float = 25.0):
        super().__init__(source, split, video_name="")
        self.clip_fps = clip_fps

    def options(self) -> dict:
        return {**super().options(), "clip_fps": self.clip_fps}

    def units(self) -> list[Unit]:
        if self.source.is_file():
            files = [self.source]
        else:
            files = sorted(p for p in self.source.rglob("*.json") if p.is_file() and (
                p.name.startswith("classification") or p.parent.name == "events" and p.name == "classification.json"))
        return [Unit(self.relative(p), p, (p,)) for p in files]

    def split_of(self, path: Path, default: str = "train") -> str:
        match = re.search(r"classification_([a-z]+)\.json$", path.name)
        if match and not self.split_override:
            return {"validation": "valid", "val": "valid"}.get(match.group(1), match.group(1))
        return super().split_of(path, default)

    def entry(self, entry, where: str, report: DataReport) -> dict | None:
        """The record fields of one entry (`None`, counted, when it is unusable)."""
        if not isinstance(entry, dict) or not isinstance(entry.get("video"), str) or not entry["video"]:
            report.add("malformed_record", f"{where}: needs a 'video' path string; skipped.")
            return None
        keyword = entry.get("caption")
        label = _LOOKUP.get(keyword.strip().lower()) if isinstance(keyword, str) else None
        if label is None:
            report.add("unknown_event", f"{where}: unknown event keyword {keyword!r}; skipped.")
            return None
        if keyword != EVENT_KEYWORDS[label]:
            report.add("normalised_event", f"{where}: event {keyword!r} read as {EVENT_KEYWORDS[label]!r}.")
        video = entry["video"]
        name = video.rsplit("/", 1)[-1]
        match = _CLIP_NAME.match(name)
        half = int(match.group("half")) if match else 0
        event_time = int(match.group("minutes")) * 60.0 + int(match.group("seconds")) if match else None
        source_label = entry.get("soccernet_v2_label")
        return {"video": video, "game": video.rsplit("/", 1)[0] if "/" in video else "", "half": half,
                "event_time": event_time,
                "game_time": f"{half} - {int(match.group('minutes')):02d}:{int(match.group('seconds')):02d}"
                if match else "", "label": label,
                "source_label": source_label if isinstance(source_label, str) else keyword,
                "caption": _text(entry.get("comments_text")),
                "caption_anonymized": _text(entry.get("comments_text_anonymized"))}

    def records(self, unit: Unit, context: BuildContext) -> Iterator[tuple[str, str, dict]]:
        report = context.report
        data = _load_json(unit.path, report)
        if data is None:
            return
        if not isinstance(data, list):
            report.add("unusable_clip", f"{unit.path}: expected a list of clip records, got {type(data).__name__}.")
            return
        split = self.split_of(unit.path)
        for number, entry in enumerate(data):
            fields = self.entry(entry, f"{unit.path}: record #{number}", report)
            if fields is None:
                continue
            yield SEMANTIC, split, semantic_record(
                record_id=f"{unit.path.stem}/{number:06d}", source=self.format, split=split,
                video_fps=self.clip_fps, window_center=SEMANTIC_WINDOW_SECONDS / 2, **fields)


__all__ = ["CAPTION_TIME_KEYS", "MatchTimeBuilder", "SoccerNetV2Builder", "UniSoccerBuilder", "parse_game_time",
           "semantic_record"]
