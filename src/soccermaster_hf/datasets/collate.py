"""From records to the model inputs the training loop uses: decoders, collates, torch datasets, a resumable stream.

* :class:`SpatialDecoder` turns a spatial record into exactly the sample dict of
  :class:`~soccermaster_hf.data.soccernet_gsr.SoccerNetGSRClips` (frames in [0, 1], boxes x0 y0 x1 y1 in pixels of
  the possibly downscaled frame, roles / jerseys / teams / track ids, pitch-line endpoints, keypoints, validity
  masks): the records' line endpoints were computed at build time by the reader's own rule, so a record built from a
  clip gives the reader's labels bit for bit. Frames are read from the record's image files or decoded from its video.
* :class:`SemanticDecoder` turns a semantic record into the sample dict of
  :class:`~soccermaster_hf.data.semantic.SemanticClips` (`frames`, `label`, `text`), sampling the record's window
  with the video processor's 1-fps rule.
* :class:`SpatialCollate` / :class:`SemanticCollate` batch records into the inputs of `SoccerMasterForPreTraining`
  (:func:`~soccermaster_hf.data.soccernet_gsr.to_model_inputs` / :func:`~soccermaster_hf.data.semantic.to_semantic_inputs`);
  use them as a `DataLoader`'s ``collate_fn`` over a map-style or streaming `datasets` dataset.
* :class:`RecordClips` is a map-style torch dataset over a `datasets.Dataset` (a drop-in for the raw readers) and
  :class:`StreamingRecords` a deterministic, resumable stream over a streaming one (its position is a small dict
  for the training state); :class:`StreamingClips` is the same stream as a torch `IterableDataset` whose epoch is
  split between a DataLoader's workers.

Relative media paths resolve against `media_root`: a local folder, or ``hf://datasets/<repo>[@revision]`` (files are
fetched one by one with `hf_hub_download` when first needed).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import torch

from ..data.report import DataReport
from ..data.semantic import to_semantic_inputs
from ..data.soccernet_gsr import NUM_KEYPOINTS, NUM_LINES, to_model_inputs
from ..modeling.configuration_soccermaster import ROLE_NAMES
from ..processing.video_processing_soccermaster import (
    VideoDecodingError,
    probe_video,
    read_video_frames,
    sample_frame_indices,
)
from .features import SCHEMA_VERSION, SEMANTIC_FPS, SPATIAL
from .video import read_frames
from .writer import INFO_FILE

BALL = ROLE_NAMES.index("ball")
HUB_PREFIX = "hf://datasets/"


class MediaRoot:
    """Resolve a record's relative media path to a local file (a folder, or a Hub dataset repo)."""

    def __init__(self, root: str | os.PathLike):
        text = str(root)
        self.repo = self.revision = None
        if text.startswith(HUB_PREFIX):
            self.repo, _, revision = text[len(HUB_PREFIX):].partition("@")
            self.revision = revision or None
        else:
            self.folder = Path(root)

    def __call__(self, relative: str) -> Path:
        if self.repo is None:
            return self.folder / relative
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(self.repo, relative, repo_type="dataset", revision=self.revision))

    def __repr__(self) -> str:
        return f"MediaRoot({HUB_PREFIX}{self.repo})" if self.repo else f"MediaRoot({self.folder})"


def _media_root(root) -> MediaRoot:
    if root is None:
        raise ValueError("media_root is needed to decode frames: the folder holding the source's images / videos "
                         "(SoccerNet data is not redistributed), or the dataset folder / hf://datasets/<repo> for "
                         "SoccerSynth.")
    return root if isinstance(root, MediaRoot) else MediaRoot(root)


def _to_unit_float(frames: list[np.ndarray] | np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 RGB frames -> (T, 3, H, W) float32 in [0, 1]."""
    array = torch.as_tensor(np.ascontiguousarray(frames if isinstance(frames, np.ndarray) else np.stack(frames)))
    return array.permute(0, 3, 1, 2).to(torch.float32).div_(255.0)  # in place: one float copy, not two


def _flat(array):
    """One list level unnested (slices of the parent taken into account)."""
    return pc.list_flatten(array)


def _complete(array, name: str, table: pa.Table):
    """`array` (a fixed-size list field) unnested; a missing value there would shift every later row, so refuse."""
    if array.null_count:
        ids = table.column("record_id").to_pylist() if "record_id" in table.column_names else []
        raise ValueError(f"spatial records {', '.join(map(str, ids[:3]))}{' ...' if len(ids) > 3 else ''}: "
                         f"{array.null_count} missing {name!r} value(s); every athlete needs a bbox and every frame "
                         "its line and keypoint tables.")
    return _flat(array)


def _numbers(array, fill=None) -> np.ndarray:
    if fill is not None and array.null_count:
        array = pc.fill_null(array, fill)
    return array.to_numpy(zero_copy_only=False)


def spatial_records_from_arrow(table: pa.Table) -> list[dict]:
    """Spatial records of an Arrow table (a batch of `dataset.with_format("arrow")`) with the per-frame labels read
    column-wise: each frame's ``athletes`` is a dict of arrays (``bbox`` (N, 4) and ``role`` / ``team`` / ``jersey``
    / ``jersey_legibility`` (NaN when absent) / ``track_id`` (N,)) and its lines / keypoints are arrays, instead of
    one Python object per value. :class:`SpatialDecoder` gives the same sample for both forms (tested bit for bit);
    this one costs a fraction of the row-wise conversion (about 0.15 against 0.4-2 ms per 8-frame record here, the
    row-wise form's nested dicts also waking the garbage collector). Fields the decoder does not read (cameras, pitch
    positions, polylines) are left out; read the rows with the default format for the full record."""
    if not table.num_rows:
        return []
    names = [name for name in table.column_names if name != "frames"]
    scalars = {name: table.column(name).to_pylist() for name in names}
    frames_column = table.column("frames").combine_chunks()
    frames = _flat(frames_column)
    frame_offsets = np.concatenate([[0], np.cumsum(_numbers(pc.list_value_length(frames_column), 0))])

    def field(name):
        return pc.struct_field(frames, name)

    frame_index = _numbers(field("frame_index"), -1)
    images = field("image").to_pylist()
    has_pitch, has_keypoints = field("has_pitch").to_pylist(), field("has_keypoints").to_pylist()
    lines = _numbers(_complete(_complete(field("line_endpoints"), "line_endpoints", table), "line_endpoints", table)
                     ).reshape(len(frames), NUM_LINES, 4)
    line_visible = _numbers(_complete(field("line_visible"), "line_visible", table), False).reshape(len(frames),
                                                                                                     NUM_LINES)
    keypoints = _numbers(_complete(_complete(field("keypoints"), "keypoints", table), "keypoints", table)
                         ).reshape(len(frames), NUM_KEYPOINTS, 3)
    athletes_column = field("athletes")
    athletes = _flat(athletes_column)
    athlete_offsets = np.concatenate([[0], np.cumsum(_numbers(pc.list_value_length(athletes_column), 0))])

    def athlete(name, fill=None):
        return _numbers(pc.struct_field(athletes, name), fill)

    columns = {"bbox": _numbers(_complete(pc.struct_field(athletes, "bbox"), "bbox", table)).reshape(-1, 4),
               "role": athlete("role", -1).astype(np.int64), "team": athlete("team", -1).astype(np.int64),
               "jersey": athlete("jersey", -1).astype(np.int64), "track_id": athlete("track_id", -1).astype(np.int64),
               "jersey_legibility": athlete("jersey_legibility").astype(np.float64)}  # nulls -> NaN
    records = []
    for row in range(table.num_rows):
        record = {name: scalars[name][row] for name in names}
        record["frames"] = [
            {"frame_index": int(frame_index[f]), "image": images[f], "has_pitch": has_pitch[f],
             "has_keypoints": has_keypoints[f], "line_endpoints": lines[f], "line_visible": line_visible[f],
             "keypoints": keypoints[f],
             "athletes": {key: value[athlete_offsets[f]:athlete_offsets[f + 1]] for key, value in columns.items()}}
            for f in range(frame_offsets[row], frame_offsets[row + 1])]
        records.append(record)
    return records


class SpatialDecoder:
    """A spatial record -> the sample dict of `SoccerNetGSRClips.__getitem__` (see the module docstring).

    Args:
        media_root: where the record's relative `frames[].image` / `video` paths point.
        clip_length: frames per sample (default: the record's); a shorter record repeats its last frame (the
            reader's rule), a longer one is cut.
        max_size: downscale frames so their longer side is at most this (labels scaled), as the reader does.
        report: problems met while decoding (missing or unreadable frames) are counted here.
    """

    def __init__(self, media_root, clip_length: int | None = None, max_size: int | None = None,
                 report: DataReport | None = None):
        self.media = _media_root(media_root)
        self.clip_length, self.max_size = clip_length, max_size
        self.report = report if report is not None else DataReport(source="spatial records")

    def _decode(self, record: dict, frames: list[dict], full: tuple[int, int], size: tuple[int, int]) -> list:
        """One RGB uint8 array of `size` (height, width) per frame, `None` where the frame cannot be read."""
        import cv2

        if record["video"]:
            path = self.media(record["video"])
            try:
                images = read_frames(path, [frame["frame_index"] for frame in frames])
            except (VideoDecodingError, ValueError) as error:
                self.report.add("unreadable_video", f"{error}; frames of {record['record_id']} masked.")
                return [None] * len(frames)
            sources, channels = [f"{path} frame {frame['frame_index']}" for frame in frames], "rgb"
        else:
            images, sources, channels = [], [], "bgr"
            for frame in frames:
                path = self.media(frame["image"])
                images.append(cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None)
                sources.append(str(path))
        out = []
        for image, source in zip(images, sources):
            if image is None:
                self.report.add("unreadable_frame", f"{source}: missing or unreadable image; frame masked.")
                out.append(None)
                continue
            if image.shape[:2] != full and channels == "bgr":  # (videos may be stored downscaled)
                self.report.add("size_mismatch", f"{source}: image is {image.shape[1]}x{image.shape[0]}, the record "
                                                 f"says {full[1]}x{full[0]}; resized.")
            if image.shape[:2] != size:
                image = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            out.append(image[..., ::-1] if channels == "bgr" else image)
        return out

    @staticmethod
    def _labels(frame: dict) -> dict:
        athletes = frame["athletes"]
        if isinstance(athletes, dict):  # columnar (`spatial_records_from_arrow`): one array per field
            xywh = athletes["bbox"]
            boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1).astype(np.float32)
            roles = athletes["role"]
            # the authors' rule: a number is a target only when legible (score > 0.5); NaN = no score
            jerseys = np.where(athletes["jersey_legibility"] <= 0.5, -1, athletes["jersey"])
            teams, track_ids = athletes["team"], athletes["track_id"]
        else:
            boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in athletes)],
                             np.float32).reshape(-1, 4)
            roles = np.array([a["role"] for a in athletes], np.int64)
            jerseys = [-1 if a["jersey_legibility"] is not None and a["jersey_legibility"] <= 0.5 else a["jersey"]
                       for a in athletes]  # the authors' rule: a number is a target only when legible (score > 0.5)
            teams, track_ids = [a["team"] for a in athletes], [a["track_id"] for a in athletes]
        lines = np.asarray(frame["line_endpoints"], np.float32).reshape(NUM_LINES, 2, 2)
        visible = np.asarray(frame["line_visible"], bool)
        return {"boxes": boxes, "class_labels": (roles == BALL).astype(np.int64), "roles": np.asarray(roles, np.int64),
                "jerseys": np.asarray(jerseys, np.int64), "teams": np.asarray(teams, np.int64),
                "track_ids": np.asarray(track_ids, np.int64), "lines": lines, "line_visibility": visible,
                "has_pitch": bool(frame["has_pitch"])}

    @staticmethod
    def _keypoints(frame: dict, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        table = np.asarray(frame["keypoints"], np.float64)[:NUM_KEYPOINTS]
        points, visible = np.zeros((NUM_KEYPOINTS, 2), np.float32), np.zeros(NUM_KEYPOINTS, bool)
        shown = table[:, 2] != 0
        points[: len(table)][shown] = table[shown, :2] * np.array([width - 1, height - 1], np.float64)
        visible[: len(table)] = shown
        return points, visible

    def __call__(self, record) -> dict:
        if isinstance(record, pa.Table):  # a one-row Arrow table (`dataset.with_format("arrow")`)
            (record,) = spatial_records_from_arrow(record)
        frames = record["frames"]
        if not frames:
            raise ValueError(f"record {record.get('record_id')!r} has no frame.")
        length = self.clip_length or len(frames)
        chosen = [frames[min(t, len(frames) - 1)] for t in range(length)]
        width, height = int(record["width"]), int(record["height"])
        scale = 1.0
        if self.max_size and max(width, height) > self.max_size:
            scale = self.max_size / max(width, height)
        size = (round(height * scale), round(width * scale))
        images = self._decode(record, chosen, (height, width), size)
        valid = [image is not None for image in images]
        empty = {"boxes": np.zeros((0, 4), np.float32), "lines": np.zeros((NUM_LINES, 2, 2), np.float32),
                 "line_visibility": np.zeros(NUM_LINES, bool), "has_pitch": False,
                 **{key: np.zeros(0, np.int64) for key in ("class_labels", "roles", "jerseys", "teams", "track_ids")}}
        labels = [self._labels(frame) if ok else empty for frame, ok in zip(chosen, valid)]
        has_keypoints = all(frame["has_keypoints"] for frame in frames)
        sample = {
            "frames": _to_unit_float([image if image is not None else np.zeros((*size, 3), np.uint8)
                                      for image in images]),
            "frame_valid": torch.tensor(valid),
            "boxes": [torch.from_numpy(label["boxes"] * scale) for label in labels],
            **{key: [torch.from_numpy(label[key]) for label in labels]
               for key in ("class_labels", "roles", "jerseys", "teams", "track_ids")},
            "lines": torch.from_numpy(np.stack([label["lines"] for label in labels]) * scale),
            "line_visibility": torch.from_numpy(np.stack([label["line_visibility"] & ok
                                                          for label, ok in zip(labels, valid)])),
            "has_pitch": torch.tensor([label["has_pitch"] and ok for label, ok in zip(labels, valid)]),
            "clip": record["clip"],
            "frame_indices": torch.tensor([frame["frame_index"] for frame in chosen]),
            "image_size": size,
            "has_keypoints": has_keypoints,
        }
        if has_keypoints:
            points, shown = zip(*(self._keypoints(frame, width, height) for frame in chosen))
            sample["keypoints"] = torch.from_numpy(np.stack(points) * scale)
            sample["keypoint_visibility"] = torch.from_numpy(np.stack(shown)) & torch.tensor(valid)[:, None]
        else:
            sample["keypoints"] = torch.zeros(length, NUM_KEYPOINTS, 2)
            sample["keypoint_visibility"] = torch.zeros(length, NUM_KEYPOINTS, dtype=torch.bool)
        return sample


class SemanticDecoder:
    """A semantic record -> the sample dict of `SemanticClips.__getitem__`: `num_frames` frames (default: the
    record's) at 1 fps around the record's `window_center` (the video processor's semantic sampling, so a clip file's
    window is the one `SemanticClips` takes); an undecodable video gives blank frames and label -1 (counted)."""

    def __init__(self, media_root, num_frames: int | None = None, report: DataReport | None = None):
        self.media = _media_root(media_root)
        self.num_frames = num_frames
        self.report = report if report is not None else DataReport(source="semantic records")

    def __call__(self, record: dict) -> dict:
        count = self.num_frames or len(record["frame_times"])
        label = record["label"] if record["label"] is not None else -1
        text = record["caption_anonymized"] or ""
        try:
            path = self.media(record["video"])
            info = probe_video(path)
            indices = sample_frame_indices(info.num_frames, info.fps, count, "semantic",
                                           timestamp=record["window_center"], sampling_fps=SEMANTIC_FPS)
            frames = read_video_frames(path, indices, info)
        except (VideoDecodingError, OSError) as error:
            self.report.add("unreadable_video", f"{error}; record {record['record_id']} gets label -1 (no event "
                                                "loss).")
            return {"frames": torch.zeros(count, 3, 64, 64), "label": -1, "text": text}
        return {"frames": _to_unit_float(frames), "label": label, "text": text}


class SpatialCollate:
    """`collate_fn` for spatial records: `to_model_inputs([SpatialDecoder(record) ...], image_size)`."""

    def __init__(self, image_size: int, media_root, clip_length: int | None = None, max_size: int | None = None):
        self.image_size = image_size
        self.decode = SpatialDecoder(media_root, clip_length, max_size)

    def __call__(self, records: list[dict]) -> dict:
        return to_model_inputs([self.decode(record) for record in records], self.image_size)


class SemanticCollate:
    """`collate_fn` for semantic records: `to_semantic_inputs([SemanticDecoder(record) ...], image_size)`."""

    def __init__(self, image_size: int, media_root, num_frames: int | None = None):
        self.image_size = image_size
        self.decode = SemanticDecoder(media_root, num_frames)

    def __call__(self, records: list[dict]) -> dict:
        return to_semantic_inputs([self.decode(record) for record in records], self.image_size)


class RecordClips(torch.utils.data.Dataset):
    """A map-style torch dataset of decoded samples over a `datasets.Dataset` of records (a drop-in for
    `SoccerNetGSRClips` / `SemanticClips`: same samples, `report` of the decoding problems)."""

    def __init__(self, records, decoder):
        self.records, self.decoder = records, decoder
        # spatial records are read column-wise (one-row Arrow tables: `spatial_records_from_arrow`)
        columnar = isinstance(decoder, SpatialDecoder) and hasattr(records, "with_format")
        self._rows = records.with_format("arrow") if columnar else records

    @property
    def report(self) -> DataReport:
        return self.decoder.report

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict:
        return self.decoder(self._rows[int(index)])


def _unbatched(stream, batch_size: int, columnar: bool = False):
    """The rows of a streaming dataset, in order, read `batch_size` at a time (`IterableDataset.iter`); `columnar`:
    spatial records read column-wise from Arrow (`spatial_records_from_arrow`)."""
    if columnar:
        for table in stream.with_format("arrow").iter(batch_size=batch_size):
            yield from spatial_records_from_arrow(table)
        return
    for batch in stream.iter(batch_size=batch_size):
        columns = list(batch)
        for index in range(len(batch[columns[0]]) if columns else 0):
            yield {column: batch[column][index] for column in columns}


def _shard_name(shard, index: int, count: int) -> str:
    """The Parquet file of a streaming dataset's shard (for error messages), else ``shard i of n``."""
    files = getattr(getattr(shard, "_ex_iterable", None), "kwargs", {}).get("files")  # datasets' Parquet streams
    if isinstance(files, list) and len(files) == 1:
        return str(files[0])
    return f"shard {index} of {count}"


def _shard_records(stream, index: int, num_shards: int, batch_size: int, columnar: bool, skip: int = 0):
    """The records of shard `index` of a streaming dataset, in order from row `skip` (:func:`_unbatched`); a read
    error (a damaged Parquet file) is a ValueError naming the shard's file."""
    shard = stream.shard(num_shards=num_shards, index=index, contiguous=True)
    rows = _unbatched(shard.skip(skip) if skip else shard, batch_size, columnar)
    while True:
        try:
            record = next(rows)
        except StopIteration:
            return
        except (pa.ArrowException, OSError, ValueError) as error:
            raise ValueError(f"{_shard_name(shard, index, num_shards)}: unreadable records ({error})") from None
        yield record


class StreamingRecords:
    """A deterministic, resumable stream over a streaming `datasets.IterableDataset` (Parquet shards).

    Epoch `e` visits the shards in a permutation seeded by ``(seed, e)`` and the rows of each shard in order. With
    `world_size` processes, process `rank` takes every `world_size`-th shard of that order when the shard count is a
    multiple of `world_size` (as `datasets.distributed.split_dataset_by_node`), else every `world_size`-th row: the
    processes' records are disjoint either way. :meth:`next` returns ``(item, epoch, cursor)`` (`cursor`: items this
    process drew in the epoch, for per-sample augmentation seeds); :meth:`state_dict` is the position, and
    :meth:`load_state_dict` continues exactly there (rows before it are read again but not decoded).
    """

    read_batch_size = 16  # rows are read from Arrow 16 at a time (~3x cheaper per row than one by one), then unbatched

    def __init__(self, stream, decoder=None, seed: int = 0, rank: int = 0, world_size: int = 1):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
        self.stream, self.decoder = stream, decoder
        self.num_shards = int(stream.num_shards)
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.epoch = self.position = self.row = self.seen = self.cursor = 0
        self._rows = None

    @property
    def by_shard(self) -> bool:
        return self.num_shards % self.world_size == 0

    @property
    def report(self) -> DataReport | None:
        return getattr(self.decoder, "report", None)

    def shard_order(self, epoch: int) -> list[int]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        order = torch.randperm(self.num_shards, generator=generator).tolist()
        return order[self.rank::self.world_size] if self.by_shard else order

    def _next_record(self) -> dict:
        while True:
            order = self.shard_order(self.epoch)
            if self.position >= len(order):
                if self.cursor == 0:
                    raise ValueError(f"the stream has no record for process {self.rank} of {self.world_size}.")
                self.epoch, self.position, self.row, self.seen, self.cursor = self.epoch + 1, 0, 0, 0, 0
                self._rows = None
                continue
            if self._rows is None:
                self._rows = _shard_records(self.stream, order[self.position], self.num_shards, self.read_batch_size,
                                            isinstance(self.decoder, SpatialDecoder), skip=self.row)
            try:
                record = next(self._rows)
            except StopIteration:
                self.position, self.row, self._rows = self.position + 1, 0, None
                continue
            except ValueError:  # an unreadable shard: a retry reads it again (and fails again), never skips it
                self._rows = None
                raise
            self.row += 1
            self.seen += 1
            if self.by_shard or (self.seen - 1) % self.world_size == self.rank:
                return record

    def advance(self) -> tuple[dict, int, int]:
        """``(record, epoch, cursor)`` of the next record, not decoded: :meth:`next` is ``decode(advance())``. A
        reader that runs ahead (DataLoader workers) advances a copy through every record and decodes only its own."""
        record = self._next_record()
        epoch, cursor = self.epoch, self.cursor
        self.cursor += 1
        return record, epoch, cursor

    def decode(self, record: dict):
        return self.decoder(record) if self.decoder is not None else record

    def next(self) -> tuple[object, int, int]:
        record, epoch, cursor = self.advance()
        return self.decode(record), epoch, cursor

    def __iter__(self):
        while True:
            yield self.next()

    def __getstate__(self) -> dict:  # a copy (pickled into a DataLoader worker) reopens its shard at `row`
        return {**self.__dict__, "_rows": None}

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "position": self.position, "row": self.row, "seen": self.seen,
                "cursor": self.cursor, "num_shards": self.num_shards, "seed": self.seed,
                "world_size": self.world_size, "rank": self.rank}

    def load_state_dict(self, state: dict) -> None:
        for key in ("num_shards", "seed", "world_size", "rank"):
            if int(state.get(key, getattr(self, key))) != getattr(self, key):
                raise ValueError(f"cannot resume this stream: the saved position has {key} = {state.get(key)}, the "
                                 f"stream {getattr(self, key)}.")
        for key in ("epoch", "position", "row", "seen", "cursor"):
            setattr(self, key, int(state[key]))
        self._rows = None


class StreamingClips(torch.utils.data.IterableDataset):
    """Decoded samples of a streaming dataset, one epoch per iteration, for a `DataLoader` with any number of workers.

    The same records and shard order as :class:`StreamingRecords` (epoch `e`: shards in a permutation seeded by
    ``(seed, e)``, set with :meth:`set_epoch`; processes `rank` of `world_size` get disjoint records), read the same
    way (Arrow batches of 16, spatial records column-wise), and split between the DataLoader's workers: whole shards
    when this process has at least as many shards as there are workers (no worker reads another's shards), else every
    `num_workers`-th record (each worker reads the rows, which is cheap, and decodes its own). Each record is decoded
    once per epoch. Unlike iterating a
    `datasets` stream in a DataLoader, rows are not formatted one by one. Use it with ``collate_fn=to_model_inputs``
    (spatial) / ``to_semantic_inputs`` (semantic) and a fixed image size, e.g. ``functools.partial(to_model_inputs,
    image_size=224)``. Decoding problems are counted in each worker's copy of the decoder's `report`.
    """

    def __init__(self, stream, decoder, seed: int = 0, rank: int = 0, world_size: int = 1):
        self.order = StreamingRecords(stream, None, seed, rank, world_size)  # validates rank / world_size
        self.stream, self.decoder = stream, decoder
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"epoch must be an integer >= 0, got {epoch!r}.")
        self.epoch = int(epoch)

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
        order, process = self.order.shard_order(self.epoch), self.order
        by_worker_shard = process.by_shard and len(order) >= workers
        columnar = isinstance(self.decoder, SpatialDecoder)
        seen = kept = 0
        for index in (order[worker::workers] if by_worker_shard else order):
            for record in _shard_records(self.stream, index, process.num_shards, process.read_batch_size, columnar):
                if not by_worker_shard:
                    seen += 1
                    if not process.by_shard and (seen - 1) % process.world_size != process.rank:
                        continue  # another process's record
                    kept += 1
                    if (kept - 1) % workers != worker:
                        continue  # another worker's record
                yield self.decoder(record) if self.decoder is not None else record


@dataclass
class Records:
    """A loaded dataset: `dataset` (`datasets.Dataset` or `IterableDataset`), its `meta/info.json`, the config and
    the media root its records' paths point into (`None` when the user's copy of the source is needed)."""

    dataset: object
    info: dict
    config: str
    media_root: str | None


def read_info(source: str | os.PathLike, revision: str | None = None) -> dict:
    """`meta/info.json` of a dataset folder or Hub repo; refuses another major schema version."""
    folder = Path(source)
    if folder.is_dir():
        path = folder / INFO_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{folder}: not a dataset built by `soccermaster dataset build` (no {INFO_FILE}).")
    else:
        from huggingface_hub import hf_hub_download

        path = Path(hf_hub_download(str(source), INFO_FILE, repo_type="dataset", revision=revision))
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        major = str(info["schema_version"]).split(".")[0]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: unreadable dataset info ({type(error).__name__}: {error}).") from None
    if major != SCHEMA_VERSION.split(".")[0]:
        raise ValueError(f"{path}: schema version {info['schema_version']}, this package reads {SCHEMA_VERSION}.")
    return info


def load_records(source: str | os.PathLike, config: str | None = None, split: str = "train", *,
                 streaming: bool = False, media_root=None, revision: str | None = None) -> Records:
    """Load a built dataset (a folder or a Hub id) with `datasets.load_dataset`; the media root defaults to the
    dataset itself for SoccerSynth and must be given (your copy of the source) otherwise."""
    import datasets

    info = read_info(source, revision)
    config = config or next(iter(info["configs"]))
    if config not in info["configs"]:
        raise ValueError(f"{source}: no config {config!r} (has {', '.join(info['configs'])}).")
    dataset = datasets.load_dataset(str(source), config, split=split, streaming=streaming, revision=revision)
    if media_root is None and info.get("media_root") == "dataset":
        media_root = str(source) if Path(source).is_dir() else f"{HUB_PREFIX}{source}" + (
            f"@{revision}" if revision else "")
    return Records(dataset, info, config, str(media_root) if media_root is not None else None)


def open_clips(source: str | os.PathLike, config: str | None = None, split: str = "train", *, streaming: bool = False,
               media_root=None, clip_length: int | None = None, max_size: int | None = None,
               num_frames: int | None = None, seed: int = 0, rank: int = 0, world_size: int = 1):
    """Decoded samples of a built dataset for training: a :class:`RecordClips` (map-style) or, with `streaming`, a
    :class:`StreamingRecords`; spatial configs decode with :class:`SpatialDecoder`, semantic ones with
    :class:`SemanticDecoder`. The result carries the dataset's `info` (meta/info.json) and `num_records` of the
    split (a stream has no `len`: use it for schedules)."""
    records = load_records(source, config, split, streaming=streaming, media_root=media_root)
    if records.config == SPATIAL:
        decoder = SpatialDecoder(records.media_root, clip_length, max_size)
    else:
        decoder = SemanticDecoder(records.media_root, num_frames)
    decoder.report.source = f"{source} ({records.config}/{split})"
    clips = StreamingRecords(records.dataset, decoder, seed, rank, world_size) if streaming else \
        RecordClips(records.dataset, decoder)
    clips.info = records.info
    clips.num_records = int(records.info["configs"][records.config]["splits"].get(split, {}).get("num_records", 0))
    return clips


__all__ = ["MediaRoot", "RecordClips", "Records", "SemanticCollate", "SemanticDecoder", "SpatialCollate",
           "SpatialDecoder", "StreamingClips", "StreamingRecords", "load_records", "open_clips", "read_info", "spatial_records_from_arrow"]
