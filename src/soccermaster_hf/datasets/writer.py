"""Write a builder's records as a Hub-ready dataset folder: size-bounded Parquet shards, `meta/info.json`, a dataset
card; resumable per shard, idempotent; optional upload with `huggingface_hub`.

Layout (LeRobot v3's ``meta/`` + ``data/`` + ``videos/`` split, with one folder per config and split so that
``load_dataset(DIR, CONFIG)`` and the Hub viewer find them from the card's ``configs``)::

    DIR/
      README.md                                   dataset card: YAML (configs, dataset_info, license, tags) + text
      meta/info.json                              schema version, features, splits, files, stats, problems, build
      meta/build_state.json                       resume state (not uploaded)
      data/<config>/<split>/shard-00000.parquet   records (features embedded in the Parquet schema metadata)
      videos/<config>/chunk-000/<clip>.mp4        SoccerSynth only: the frames, beside the data

**Shards.** Records are appended to the open shard of their ``(config, split)`` until the next one would push its
Arrow size past `max_shard_size` (the Parquet file is smaller: compressed); a record larger than the bound gets a
shard of its own. Row groups hold about 8 MB so streaming reads them piecewise.

**Resume and idempotence.** Units (clip folders, games, label files) are processed in sorted order and every record
has a position ``(unit, index among its stream's records in that unit)``. Each finished shard is written atomically
and `meta/build_state.json` records where it ends, so a rerun of the same build (same fingerprint: format, options,
schema version, the label files' sizes and modification times) restarts at the earliest open shard: earlier units are
not read again, finished shards and videos are not rewritten. A rerun of a finished build rewrites only the
metadata, with the same bytes. A build whose fingerprint changed removes the files the previous one wrote first.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..utils.io import (
    atomic_path,
    atomic_write_json,
    atomic_write_text,
    package_version,
    prepare_output_dir,
    read_marker,
    write_marker,
)
from .base import BuildContext, Builder, BuildReport
from .features import CODEBASE_VERSION, FEATURES, SCHEMA_VERSION, SPATIAL, label_mapping

COMMAND = "dataset"
STATE_FILE = "meta/build_state.json"
INFO_FILE = "meta/info.json"
DATA_PATH = "data/{config}/{split}/shard-{shard_index:05d}.parquet"
ROW_GROUP_BYTES = 8_000_000
DEFAULT_MAX_SHARD_SIZE = "100MB"  # LeRobot v3's default data file size


def parse_size(value: int | str) -> int:
    """Bytes of `value` (an int or a string like "100MB", "512KiB"; `datasets`' convention)."""
    from datasets.utils.py_utils import convert_file_size_to_int

    try:
        size = convert_file_size_to_int(value)
    except (ValueError, TypeError):
        raise ValueError(f"max_shard_size must be a number of bytes or a size like '100MB', got {value!r}") from None
    if size < 1:
        raise ValueError(f"max_shard_size must be positive, got {value!r}")
    return size


class _Stream:
    """The shards of one ``(config, split)``: finished ones (from the state) and the open one (in memory).

    Records arrive with their position and are converted to Arrow in chunks of at most :data:`CHUNK` (one conversion
    per chunk, not per record). A chunk starts at the stream's first record, after each full chunk, at each unit and
    at each shard boundary, so a build resumed at a shard boundary cuts exactly the shards an uninterrupted one does.
    """

    CHUNK = 64

    def __init__(self, config: str, split: str, out: Path, limit: int, shards: list | None = None,
                 resume: tuple[int, int] = (0, 0)):
        self.config, self.split, self.out, self.limit = config, split, out, limit
        features = FEATURES[config]
        self.schema = features.arrow_schema
        self.names = (features["frames"].feature["athletes"].feature["role"].names if config == SPATIAL
                      else features["label"].names)
        self.shards = list(shards or [])
        self.resume = tuple(resume)
        self.buffer: list[tuple[dict, tuple[int, int]]] = []
        self.batches: list[pa.RecordBatch] = []
        self.pending_bytes = 0
        self.stats: Counter = Counter()

    def state(self) -> dict:
        return {"config": self.config, "split": self.split, "shards": self.shards, "resume": list(self.resume)}

    def _batch(self, records: list[dict]) -> pa.RecordBatch:
        return pa.RecordBatch.from_pylist(records, schema=self.schema)

    def push(self, record: dict, position: tuple[int, int], on_flush: Callable[[], None]) -> None:
        self.buffer.append((record, position))
        if len(self.buffer) >= self.CHUNK:
            self._absorb(on_flush, final=False)

    def end_unit(self, on_flush: Callable[[], None]) -> None:
        self._absorb(on_flush, final=True)

    def finish(self, end: tuple[int, int], on_flush: Callable[[], None]) -> None:
        self._absorb(on_flush, final=True)
        if self.batches:
            self._flush(end)

    def _absorb(self, on_flush: Callable[[], None], final: bool) -> None:
        while self.buffer and (final or len(self.buffer) >= self.CHUNK):
            records = [record for record, _ in self.buffer]
            batch = self._batch(records)
            if self.pending_bytes + batch.nbytes <= self.limit:
                self._accept(batch, records)
                self.buffer = []
                return
            # the chunk does not fit: the longest prefix that does (one record at least in an empty shard)
            taken, total = 0, self.pending_bytes
            for record in records:
                size = self._batch([record]).nbytes
                if total + size > self.limit and (taken or self.batches):
                    break
                taken, total = taken + 1, total + size
            if taken:
                self._accept(self._batch(records[:taken]), records[:taken])
            if taken < len(records):
                self._flush(self.buffer[taken][1])
                on_flush()
            self.buffer = self.buffer[taken:]

    def _accept(self, batch: pa.RecordBatch, records: list[dict]) -> None:
        self.batches.append(batch)
        self.pending_bytes += batch.nbytes
        self.stats["records"] += len(records)
        for record in records:
            if self.config == SPATIAL:
                self.stats["frames"] += len(record["frames"])
                for frame in record["frames"]:
                    for athlete in frame["athletes"]:
                        self.stats[f"role:{self.names[athlete['role']]}"] += 1
            else:
                label = record.get("label")
                self.stats[f"label:{self.names[label] if label is not None and label >= 0 else '(none)'}"] += 1

    def _flush(self, end: tuple[int, int]) -> str:
        relative = DATA_PATH.format(config=self.config, split=self.split, shard_index=len(self.shards))
        table = pa.Table.from_batches(self.batches, schema=self.schema)
        rows = max(1, min(table.num_rows, int(ROW_GROUP_BYTES * table.num_rows / max(1, self.pending_bytes))))
        with atomic_path(self.out / relative) as tmp:
            pq.write_table(table, tmp, row_group_size=rows)
        self.shards.append({"file": relative, "records": table.num_rows,
                            "bytes": (self.out / relative).stat().st_size, "end": list(end),
                            "stats": dict(sorted(self.stats.items()))})
        self.resume = tuple(end)
        self.batches, self.pending_bytes, self.stats = [], 0, Counter()
        return relative


def _read_state(path: Path) -> dict | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("streams"), dict) else None


def _written_files(state: dict) -> list[str]:
    return [shard["file"] for stream in state.get("streams", {}).values() for shard in stream.get("shards", [])] + \
        list(state.get("media", []))


def _remove_previous(out: Path, state: dict | None) -> None:
    """Remove the data / video files a previous build of this folder wrote (listed in its state or marker)."""
    names = set(_written_files(state)) if state else set()
    marker = read_marker(out)
    if marker is not None:
        names |= {name for name in marker["files"] if name.startswith(("data/", "videos/"))}
    for name in names:
        path = out / name
        if path.is_file() and not path.is_symlink() and out.resolve() in path.resolve().parents:
            path.unlink()


def _make_readable(out: Path, files: list[str]) -> None:
    """Give the files the permissions of a normally created file (atomic writes create them owner-only)."""
    mask = os.umask(0)
    os.umask(mask)
    for name in files:
        path = out / name
        if path.is_file() and not path.is_symlink():
            os.chmod(path, 0o666 & ~mask)


def write_dataset(builder: Builder, output_dir: str | os.PathLike, *, max_shard_size: int | str = DEFAULT_MAX_SHARD_SIZE,
                  overwrite: bool = False, command_line: str | None = None, log: Callable[[str], None] | None = print,
                  progress: bool = False) -> dict:
    """Build `builder`'s records into `output_dir` (see the module docstring); returns the written `meta/info.json`.

    Raises `ValueError` (one line) when the source yields no record, and
    :class:`~soccermaster_hf.utils.io.OutputFolderError` for an output folder the package refuses.
    """
    log = log or (lambda line: None)
    limit = parse_size(max_shard_size)
    units = builder.units()
    if not units:
        raise ValueError(f"{builder.source}: no {builder.format} input found (see `soccermaster dataset build --help` "
                         "for what each format reads).")
    out = prepare_output_dir(output_dir, COMMAND, overwrite=overwrite, sources=[builder.source])
    fingerprint = builder.fingerprint(units, {"max_shard_size": limit})
    state = _read_state(out / STATE_FILE)
    if state is None or state.get("fingerprint") != fingerprint:
        _remove_previous(out, state)
        state = {"fingerprint": fingerprint, "complete": False, "streams": {}, "media": [], "report_at": {}}
    report = BuildReport(source=str(builder.source))
    if state["complete"]:
        report.restore(state["report"])
        log(f"{out}: already built from these inputs (fingerprint {fingerprint}); metadata refreshed.")
    else:
        _build(builder, units, out, limit, state, report, log, progress)
    total = sum(shard["records"] for stream in state["streams"].values() for shard in stream["shards"])
    if not total:
        for line in report.lines(final=False):
            log(line)
        raise ValueError(f"{builder.source}: no usable {builder.format} record ({report.summary()}).")
    info = _info(builder, state, report, limit)
    atomic_write_json(out / INFO_FILE, info)
    atomic_write_text(out / "README.md", dataset_card(builder, info, command_line))
    files = [*_written_files(state), INFO_FILE, STATE_FILE, "README.md"]
    _make_readable(out, files)
    write_marker(out, COMMAND, files)
    for line in report.lines(final=False):
        log(line)
    return info


def _build(builder: Builder, units: list, out: Path, limit: int, state: dict, report: BuildReport, log, progress):
    from tqdm.auto import tqdm

    streams = {name: _Stream(s["config"], s["split"], out, limit, s["shards"], tuple(s["resume"]))
               for name, s in state["streams"].items()}
    start = min((s.resume[0] for s in streams.values()), default=0)
    if start:
        report.restore(state["report_at"].get(str(start), {}))
        log(f"{out}: resuming at unit {start + 1} of {len(units)} ({units[start].key}); "
            f"{sum(len(s.shards) for s in streams.values())} shards already written.")
    context = BuildContext(report, out, set(state["media"]))
    snapshots: dict[int, dict] = {}

    def save():
        first = min((s.resume[0] for s in streams.values()), default=0)
        state["streams"] = {name: s.state() for name, s in sorted(streams.items())}
        state["media"] = sorted(context.media)
        state["report_at"] = {str(first): snapshots.get(first, report.state())}
        for key in [k for k in snapshots if k < first]:
            del snapshots[key]
        atomic_write_json(out / STATE_FILE, state)

    for index in tqdm(range(start, len(units)), desc=f"building {builder.format}", disable=not progress,
                      initial=start, total=len(units)):
        snapshots[index] = report.state()
        seen: Counter = Counter()
        for config, split, record in builder.records(units[index], context):
            name = f"{config}/{split}"
            stream = streams.get(name)
            if stream is None:
                stream = streams[name] = _Stream(config, split, out, limit, resume=(index, 0))
            position = (index, seen[name])
            seen[name] += 1
            if position < stream.resume:
                continue  # in a finished shard
            stream.push(record, position, save)
        for stream in streams.values():  # chunks end with their unit (so a resumed build cuts the same shards)
            stream.end_unit(save)
    for stream in streams.values():
        stream.finish((len(units), 0), save)
    state["complete"] = True
    state["report"] = report.state()
    save()


def _info(builder: Builder, state: dict, report: BuildReport, limit: int) -> dict:
    configs: dict = {}
    for stream in state["streams"].values():
        config = configs.setdefault(stream["config"], {"features": FEATURES[stream["config"]].to_dict(),
                                                       "splits": {}})
        stats: Counter = Counter()
        for shard in stream["shards"]:
            stats.update(shard["stats"])
        config["splits"][stream["split"]] = {
            "num_records": sum(shard["records"] for shard in stream["shards"]),
            "num_bytes": sum(shard["bytes"] for shard in stream["shards"]),
            "files": [shard["file"] for shard in stream["shards"]],
            "stats": dict(sorted(stats.items())),
        }
    ordered = {name: configs[name] for name in builder.configs if name in configs}
    return {
        "codebase_version": CODEBASE_VERSION,
        "schema_version": SCHEMA_VERSION,
        "format": builder.format,
        "source": builder.source.name,
        "license": builder.license,
        "license_note": builder.license_note,
        "media_root": builder.media_root,
        "data_path": DATA_PATH,
        "video_path": "videos/{config}/chunk-{chunk_index:03d}/{name}.mp4" if builder.media_root == "dataset" else None,
        "max_shard_size": limit,
        "options": builder.options(),
        "label_mapping": label_mapping(),
        "configs": ordered,
        "problems": dict(sorted(report.counts.items())),
        "package_version": package_version(),
        "fingerprint": state["fingerprint"],
    }


def dataset_card(builder: Builder, info: dict, command_line: str | None = None) -> str:
    """The dataset card (README.md): YAML header with `configs`, `dataset_info` (features, splits), licence, tags;
    then what the data is, how it was built and how to load it."""
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    card = DatasetCardData(license=builder.license, pretty_name=f"SoccerFactory: {builder.format}",
                           tags=list(builder.tags))
    configs, infos = {}, {}
    for index, (name, config) in enumerate(info["configs"].items()):
        configs[name] = {"data_files": [{"split": split, "path": f"data/{name}/{split}/*.parquet"}
                                        for split in config["splits"]], **({"default": True} if index == 0 else {})}
        splits = SplitDict()
        for split, values in config["splits"].items():
            splits.add(SplitInfo(name=split, num_bytes=values["num_bytes"], num_examples=values["num_records"]))
        infos[name] = DatasetInfo(features=FEATURES[name], splits=splits, config_name=name)
    MetadataConfigs(configs).to_dataset_card_data(card)
    DatasetInfosDict(infos).to_dataset_card_data(card)
    rows = "\n".join(f"| `{name}` | `{split}` | {values['num_records']} | {len(values['files'])} |"
                     for name, config in info["configs"].items() for split, values in config["splits"].items())
    problems = ", ".join(f"{kind}: {count}" for kind, count in info["problems"].items()) or "none"
    media = ("Videos are stored beside the data (`videos/…`, faststart H.264 MP4, short GOP); a record's `video` "
             "is relative to the dataset root." if info["media_root"] == "dataset" else
             "Images and videos are **not** included (their licence does not allow it): `frames[].image` / `video` "
             "are relative to the root of your copy of the source.")
    first = next(iter(info["configs"]))
    body = f"""
# SoccerFactory: `{builder.format}`

{builder.description}

{media}

## Licence

`{builder.license}`. {builder.license_note}

## Configs and splits

| config | split | records | shards |
|---|---|---|---|
{rows}

Spatial records are clips of consecutive frames (`frames[]`, each with its `frame_index` and `timestamp`, a list of
athlete structs, pitch lines, keypoints and a fixed-shape camera); semantic records are 30-s windows at 1 fps around
an event or a comment (`frame_times` in seconds into `video`, `label` = one of the 23 SoccerMaster event keywords).
Coordinates are stored as in the source files: boxes `[x, y, w, h]` in pixels, lines and keypoints normalised by
`(width - 1, height - 1)`. Full field list: `meta/info.json` and the `dataset_info` above (schema version
{info['schema_version']}).

## How it was built

`{command_line or f'soccermaster dataset build {builder.source.name} --format {builder.format}'}` with soccermaster_hf
{info['package_version']} (options `{json.dumps(info['options'], sort_keys=True)}`, shards of at most
{info['max_shard_size']} bytes, input fingerprint `{info['fingerprint']}`). Problems met in the source (records
skipped or repaired, by reason): {problems}.

## Loading

```python
from datasets import load_dataset

records = load_dataset("REPO_OR_FOLDER", "{first}", split="train")                  # map-style
stream = load_dataset("REPO_OR_FOLDER", "{first}", split="train", streaming=True)   # streaming
```

Decode frames into model inputs with `soccermaster_hf.datasets.SpatialCollate` / `SemanticCollate`.
"""
    return f"---\n{card.to_yaml()}\n---\n{body}"


def push_to_hub(folder: str | os.PathLike, repo_id: str, *, private: bool | None = None, token: str | None = None,
                revision: str | None = None, api=None, commit_message: str | None = None) -> str:
    """Upload a built dataset folder to the Hub dataset repo `repo_id` (created if needed); returns the commit URL.

    `upload_folder` uploads large files in parts and skips those already on the Hub, so rerunning an interrupted
    upload resumes it. The resume state and the package's marker are not uploaded.
    """
    from huggingface_hub import HfApi

    folder = Path(folder)
    if not (folder / INFO_FILE).is_file():
        raise FileNotFoundError(f"{folder}: not a built dataset (no {INFO_FILE}); run `soccermaster dataset build`.")
    api = api or HfApi(token=token)
    repo_id = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True).repo_id
    info = api.upload_folder(repo_id=repo_id, folder_path=str(folder), repo_type="dataset", revision=revision,
                             commit_message=commit_message or "Upload SoccerFactory dataset (soccermaster_hf)",
                             ignore_patterns=[STATE_FILE, ".soccermaster*", ".*", "**/.*"])
    return str(getattr(info, "commit_url", None) or f"https://huggingface.co/datasets/{repo_id}")


__all__ = ["COMMAND", "DATA_PATH", "DEFAULT_MAX_SHARD_SIZE", "INFO_FILE", "dataset_card", "parse_size", "push_to_hub",
           "write_dataset"]
