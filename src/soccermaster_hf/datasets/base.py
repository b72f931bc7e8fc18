"""What every builder shares: the unit of work, the counted report, the builder interface, `to_dataset`.

A builder turns one source (a folder or a file in a real on-disk format) into records of one of the two schemas of
:mod:`.features`. It lists its **units** (clip folders, games, label files: sorted, so a build is deterministic and a
resumed build can skip the units it already wrote) and yields, per unit, ``(config, split, record)`` triples. The
writer (:mod:`.writer`) shards them into Parquet; :meth:`Builder.to_dataset` makes an in-memory `datasets.Dataset`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import datasets

from ..data.report import SKIP_KINDS, DataReport
from .features import FEATURES

SPLIT_NAMES = ("train", "valid", "test", "challenge")
_SPLIT_ALIASES = {"validation": "valid", "val": "valid"}


class BuildReport(DataReport):
    """A :class:`~soccermaster_hf.data.report.DataReport` that also tallies problems by source file and reason.

    The readers write messages ``"<file>: <problem>"``; the file is taken from that prefix.
    """

    def __init__(self, source: str = "data", max_messages: int = 50):
        super().__init__(source=source, max_messages=max_messages)
        self.by_file: Counter = Counter()

    def add(self, kind: str, message: str) -> None:
        super().add(kind, message)
        self.by_file[(message.split(": ", 1)[0], kind)] += 1

    def skipped(self) -> int:
        return sum(count for kind, count in self.counts.items() if kind in SKIP_KINDS)

    def state(self) -> dict:
        return {"counts": dict(self.counts), "by_file": [[f, k, n] for (f, k), n in sorted(self.by_file.items())]}

    def restore(self, state: dict) -> None:
        self.counts = Counter(state.get("counts", {}))
        self.by_file = Counter({(f, k): n for f, k, n in state.get("by_file", [])})

    def lines(self, final: bool = False, max_files: int = 50) -> list[str]:
        out = super().lines(final=final)
        if self.by_file:
            out.append(f"{self.source}: problems by file and reason")
            rows = sorted(self.by_file.items(), key=lambda item: (-item[1], item[0]))
            out += [f"  {file}: {kind} x {count}" for (file, kind), count in rows[:max_files]]
            if len(rows) > max_files:
                out.append(f"  ... and {len(rows) - max_files} more (file, reason) pairs")
        return out


@dataclass(frozen=True)
class Unit:
    """One piece of a source: `key` (its path relative to the source, stable across runs), `path`, and the files
    whose size and modification time make the build's fingerprint."""

    key: str
    path: Path
    files: tuple[Path, ...] = ()

    def signature(self) -> list:
        out = [self.key]
        for file in self.files:
            try:
                stat = file.stat()
                out.append([file.name, stat.st_size, stat.st_mtime_ns])
            except OSError:
                out.append([file.name, None, None])
        return out


@dataclass
class BuildContext:
    """What a builder's `records` may use: the report and, for builders that write media (SoccerSynth videos), the
    output folder (`media_dir`) and the set of media files written."""

    report: BuildReport
    media_dir: Path | None = None
    media: set[str] = field(default_factory=set)


class Builder:
    """Base class of the builders (one per source format).

    Subclasses set `format` (the ``--format`` name), `configs` (config names, each a key of :data:`FEATURES`),
    `license` (a Hub licence id) and `license_note`, `description`, `media_root` (``"source"``: relative paths point
    into the source, whose videos/images the user holds; ``"dataset"``: into the dataset folder), and implement
    :meth:`units` and :meth:`records`.
    """

    format: str = ""
    configs: tuple[str, ...] = ()
    license: str = "other"
    license_note: str = ""
    description: str = ""
    media_root: str = "source"
    tags: tuple[str, ...] = ("soccer",)

    def __init__(self, source: str | os.PathLike, split: str | None = None):
        self.source = Path(source)
        if not self.source.exists():
            raise FileNotFoundError(f"{self.source}: no such file or folder.")
        self.split_override = split

    # -- to implement -------------------------------------------------------------------------------------------
    def units(self) -> list[Unit]:
        raise NotImplementedError

    def records(self, unit: Unit, context: BuildContext) -> Iterator[tuple[str, str, dict]]:
        raise NotImplementedError

    def options(self) -> dict:
        """The options that change the records (part of the fingerprint and of the dataset card)."""
        return {"split": self.split_override}

    def local_options(self) -> dict:
        """Options that change the records but are local paths (in the fingerprint, not in the published card)."""
        return {}

    # -- shared ----------------------------------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        """The folder relative paths are taken from (the source folder, or the folder of a source file)."""
        return self.source if self.source.is_dir() else self.source.parent

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def split_of(self, path: Path, default: str = "train") -> str:
        """`--split`, else the first SoccerNet split name among the path's folders (train / valid / test /
        challenge; "validation" and "val" read as valid), else `default`."""
        if self.split_override:
            return self.split_override
        try:
            parts = path.resolve().relative_to(self.root.resolve().parent).parts
        except ValueError:
            parts = path.parts
        for part in parts:
            name = _SPLIT_ALIASES.get(part.lower(), part.lower())
            if name in SPLIT_NAMES:
                return name
        return default

    def fingerprint(self, units: list[Unit], extra: dict | None = None) -> str:
        from .features import SCHEMA_VERSION

        payload = {"format": self.format, "schema": SCHEMA_VERSION, "options": self.options(),
                   "local": self.local_options(), "extra": extra or {},
                   "units": [unit.signature() for unit in units]}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def iter_records(self, context: BuildContext, config: str | None = None) -> Iterator[tuple[str, str, dict]]:
        for unit in self.units():
            for item in self.records(unit, context):
                if config is None or item[0] == config:
                    yield item

    def to_dataset(self, config: str | None = None, split: str | None = None,
                   media_dir: str | os.PathLike | None = None) -> datasets.Dataset:
        """The records of one config (default: the first) as an in-memory `datasets.Dataset` with explicit features.

        `split` keeps one split only. Builders that write media (SoccerSynth) need `media_dir`, where the videos go.
        The build's problems are in `self.report` afterwards.
        """
        config = config or self.configs[0]
        if config not in self.configs:
            raise ValueError(f"{self.format}: unknown config {config!r} (has {', '.join(self.configs)}).")
        self.report = BuildReport(source=str(self.source))
        context = BuildContext(self.report, Path(media_dir) if media_dir is not None else None)

        records = [record for _, record_split, record in self.iter_records(context, config)
                   if split is None or record_split == split]
        if not records:
            raise ValueError(f"{self.source}: no usable {self.format} record ({self.report.summary()}).")
        features = FEATURES[config]
        return datasets.Dataset.from_list([{key: record[key] for key in features} for record in records],
                                          features=features)


def window_starts(length: int, clip_length: int, stride: int) -> range:
    """Start indices of the windows of `clip_length` consecutive frames in a sequence of `length` frames (as
    :class:`~soccermaster_hf.data.soccernet_gsr.SoccerNetGSRClips` cuts them: a shorter sequence gives one window)."""
    return range(0, max(1, length - clip_length + 1), stride)


def find_folders(root: Path, marker: str, max_depth: int = 3) -> list[Path]:
    """Folders at or below `root` (at most `max_depth` levels) that contain the relative path `marker`, sorted;
    hidden folders are left out."""
    found, frontier = [], [root]
    for _ in range(max_depth + 1):
        next_frontier = []
        for folder in frontier:
            if (folder / marker).is_file():
                found.append(folder)
                continue
            try:
                next_frontier += [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
            except OSError:
                continue
        frontier = next_frontier
    return sorted(found)


_DIGITS = re.compile(r"(\d+)")


def number_in(name: str) -> int | None:
    """The last run of digits in `name` as an integer (``"000012.jpg"`` -> 12), `None` when there is none."""
    found = _DIGITS.findall(name)
    return int(found[-1]) if found else None


__all__ = ["BuildContext", "BuildReport", "Builder", "SPLIT_NAMES", "Unit", "find_folders", "number_in",
           "window_starts"]
