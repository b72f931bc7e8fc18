"""The samples a training loop draws: a seeded, resumable sampler over map-style readers and built datasets' streams,
the same draws decoded ahead in DataLoader workers (:class:`DrawAhead`), and the seeded per-draw augmentation.

Split out of :mod:`.pretrain` (which re-exports these names); `soccermaster train` and `train-commentary` draw with it.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import torch


class DataPosition:
    """Epoch / cursor of the deterministic sampler (saved in checkpoints)."""

    def __init__(self, size: int, seed: int):
        self.size, self.seed = size, seed
        self.epoch, self.cursor = 0, 0
        self._order = None

    def order(self) -> torch.Tensor:
        if self._order is None or self._order[0] != self.epoch:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            self._order = (self.epoch, torch.randperm(self.size, generator=generator))
        return self._order[1]

    def next(self) -> tuple[int, int, int]:
        """`(dataset index, epoch, cursor)` of the next sample."""
        if self.cursor >= self.size:
            self.epoch, self.cursor = self.epoch + 1, 0
        index = int(self.order()[self.cursor])
        position = (index, self.epoch, self.cursor)
        self.cursor += 1
        return position

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "cursor": self.cursor}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.cursor = int(state["epoch"]), int(state["cursor"])


def _draw_for_process(position: DataPosition, rank: int, world_size: int) -> tuple[int, int, int]:
    """Every process advances the shared sampler by `world_size` and keeps its own draw (data parallel: a global
    batch of distinct samples); returns `(index, epoch, cursor)` of process `rank`'s sample."""
    mine = None
    for other in range(world_size):
        drawn = position.next()
        if other == rank:
            mine = drawn
    return mine


def is_built_dataset(source: str) -> bool:
    """A folder written by `soccermaster dataset build` (it has `meta/info.json`), or a Hub id that is no local path."""
    path = Path(source)
    if path.exists():
        return (path / "meta" / "info.json").is_file()
    return "/" in source and not source.startswith((".", "/")) and source.count("/") == 1


class Samples:
    """The samples of one kind (spatial or semantic) for the loop: a map-style dataset drawn by a seeded
    :class:`DataPosition` (every process advances it; data parallel), or a built dataset's stream (each process
    reads its own shards). `draw()` gives `(sample, epoch, cursor)` (with `transform(sample, epoch, cursor)` applied,
    e.g. the seeded augmentation); `state()` / `load()` are what checkpoints keep (streams: one position per process,
    gathered).

    With `workers > 0` the draws are read ahead in that many DataLoader worker processes (:class:`DrawAhead`) and
    arrive in exactly the order, with exactly the values, of the in-process draws: the run, its checkpoints and its
    resume are the same with any number of workers. `reports` (the readers' problem counts) get the problems the
    workers met.
    """

    def __init__(self, dataset, seed: int, accelerator, streaming: bool = False, reports: list | None = None,
                 transform=None, workers: int = 0):
        self.dataset, self.accelerator, self.streaming = dataset, accelerator, streaming
        self.rank, self.world_size = accelerator.process_index, accelerator.num_processes
        self.position = None if streaming else DataPosition(len(dataset), seed)
        self.reports = list(reports) if reports is not None else []
        self.transform, self.workers = transform, workers
        self._ahead = None  # the DataLoader iterator of the workers
        self._state = None  # with workers: this process's position after the last draw it consumed

    def __len__(self) -> int:
        return int(self.dataset.num_records) if self.streaming else len(self.dataset)

    def __getstate__(self) -> dict:  # what a worker gets: no accelerator, no iterator of its own
        return {**self.__dict__, "accelerator": None, "_ahead": None}

    def local_state(self) -> dict:
        """This process's position (after the last draw it consumed)."""
        if self._state is not None:
            return self._state
        return self.dataset.state_dict() if self.streaming else self.position.state_dict()

    @property
    def epoch(self) -> int:
        return int(self.local_state()["epoch"])

    def advance(self) -> tuple[object, int, int]:
        """The next draw's `(record or index, epoch, cursor)`, nothing decoded."""
        if self.streaming:
            return self.dataset.advance()
        return _draw_for_process(self.position, self.rank, self.world_size)

    def materialize(self, drawn: tuple[object, int, int]) -> tuple[dict, int, int]:
        """Decode an :meth:`advance` result (and apply `transform`)."""
        item, epoch, cursor = drawn
        sample = self.dataset.decode(item) if self.streaming else self.dataset[item]
        if self.transform is not None:
            sample = self.transform(sample, epoch, cursor)
        return sample, epoch, cursor

    def draw(self) -> tuple[dict, int, int]:
        if not self.workers:
            return self.materialize(self.advance())
        if self._ahead is None:  # the workers start from this process's current position
            # a copy without the iterator: no reference cycle, so a dropped `Samples` stops its workers at once
            # (a cycle would be collected later, possibly inside another DataLoader's forked worker)
            copy = Samples.__new__(Samples)
            copy.__dict__.update(self.__getstate__())
            loader = torch.utils.data.DataLoader(DrawAhead(copy), batch_size=None, num_workers=self.workers,
                                                 collate_fn=_as_is)
            self._ahead = iter(loader)
        large, blob = next(self._ahead)
        if large is None:  # the worker's error, raised here as itself (a one-line error, not a worker traceback)
            self.close()
            raise pickle.loads(blob)
        sample, epoch, cursor, state, problems = pickle.loads(blob)  # our own worker's bytes
        sample = {**sample, **large}
        self._state = state
        for report, (counts, messages) in zip(self.reports, problems):
            report.counts.update(counts)
            report.messages.extend(messages[:max(0, report.max_messages - len(report.messages))])
        return sample, epoch, cursor

    def close(self) -> None:
        """Stop the workers (the position stays where the last consumed draw left it)."""
        if self._ahead is not None:
            if self.streaming:
                self.dataset.load_state_dict(self.local_state())
            else:
                self.position.load_state_dict(self.local_state())
            self._ahead, self._state = None, None

    def state(self) -> dict | list:
        """Call on every process (a stream's positions are gathered)."""
        if self.streaming:
            from accelerate.utils import gather_object

            return gather_object([self.local_state()])
        return self.local_state()

    def load(self, state) -> None:
        self._ahead, self._state = None, None  # workers restart from the loaded position
        if self.streaming:
            if not isinstance(state, list) or len(state) != self.accelerator.num_processes:
                raise ValueError("the checkpoint's stream positions do not match this run (streaming / number of "
                                 "processes changed); resume with the same settings.")
            self.dataset.load_state_dict(state[self.accelerator.process_index])
        else:
            self.position.load_state_dict(state)


LARGE_TENSOR = 1 << 16  # elements: a sample's tensors this large go to a DataLoader worker's shared memory


def _as_is(item):
    return item


class DrawAhead(torch.utils.data.IterableDataset):
    """The draws of a :class:`Samples`, decoded ahead in DataLoader workers, in the in-process order.

    Each of `W` workers holds its own copy of the sampler (forked or pickled at the DataLoader's start) and advances it
    through every draw, which is cheap (a permutation index, or one Arrow row of a stream), but decodes and transforms
    only the draws `k` with ``k % W == worker``. The DataLoader hands the workers' items out round-robin (its default
    in-order mode) and every worker's sequence is endless, so item `k` is draw `k`: the same samples, epochs and
    cursors (hence augmentations) as drawing in the training process. Each item also carries the position after that
    draw (what a checkpoint must keep, not the read-ahead position) and the problems the readers counted for it.
    """

    def __init__(self, samples: Samples):
        self.samples = samples

    def __iter__(self):
        import itertools
        from collections import Counter

        info = torch.utils.data.get_worker_info()
        workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
        samples = self.samples
        try:
            for index in itertools.count():
                drawn = samples.advance()  # every worker reads every draw (a corrupt shard fails them all at draw k)
                if index % workers != worker:
                    continue
                marks = [(Counter(report.counts), len(report.messages)) for report in samples.reports]
                sample, epoch, cursor = samples.materialize(drawn)
                problems = [(report.counts - counts, report.messages[count:])
                            for report, (counts, count) in zip(samples.reports, marks)]
                # the frames go through shared memory (torch's way for a tensor); the rest as one pickled blob: a
                # sample's dozens of small tensors would each take a shared-memory file, and megabytes of pickled
                # frames two more copies through a pipe (either about halves the transfer rate of 8 frames of 480x270)
                large = {key: value for key, value in sample.items()
                         if isinstance(value, torch.Tensor) and value.numel() >= LARGE_TENSOR}
                rest = {key: value for key, value in sample.items() if key not in large}
                yield large, pickle.dumps((rest, epoch, cursor, samples.local_state(), problems), protocol=5)
        except Exception as error:  # noqa: BLE001 - handed to the training process, which raises it at this draw
            try:
                blob = pickle.dumps(error)
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                blob = pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))
            yield None, blob


def open_samples(sources: list[str], kind: str, args, accelerator, seed: int, transform=None):
    """:class:`Samples` of `sources` (raw folders / JSON files, or built datasets) and their problem reports;
    `transform(sample, epoch, cursor)` is applied to each draw, in the DataLoader workers when there are some. `args`:
    the run's :class:`~.pretrain.TrainingArguments`."""
    workers = args.dataloader_num_workers
    built = [is_built_dataset(str(source)) for source in sources]
    if args.streaming and (len(sources) != 1 or not built[0]):
        raise ValueError(f"--streaming reads one built dataset (`soccermaster dataset build`); got {list(sources)}.")
    if any(built):
        from ..datasets.collate import open_clips

        options = ({"clip_length": args.clip_length, "max_size": args.max_frame_size} if kind == "spatial"
                   else {"num_frames": args.semantic_frames})
        if args.streaming:
            stream = open_clips(sources[0], kind, streaming=True, media_root=args.media_root, seed=seed,
                                rank=accelerator.process_index, world_size=accelerator.num_processes, **options)
            return Samples(stream, seed, accelerator, streaming=True, reports=[stream.report], transform=transform,
                           workers=workers), [stream.report]
    parts, reports = [], []
    for source, is_built in zip(sources, built):
        if is_built:
            part = open_clips(source, kind, media_root=args.media_root, **options)
        elif kind == "spatial":
            from ..data.soccernet_gsr import SoccerNetGSRClips

            part = SoccerNetGSRClips([source], clip_length=args.clip_length, max_size=args.max_frame_size)
        else:
            from ..data.semantic import SemanticClips

            part = SemanticClips(source, num_frames=args.semantic_frames)
        parts.append(part)
        reports.append(part.report)
    if sum(len(part) for part in parts) == 0:
        raise ValueError(f"{', '.join(map(str, sources))}: no {kind} clips to train on.")
    dataset = parts[0] if len(parts) == 1 else torch.utils.data.ConcatDataset(parts)
    return Samples(dataset, seed, accelerator, reports=reports, transform=transform, workers=workers), reports


@dataclass
class SeededAugmentation:
    """`transform(sample, epoch, cursor)` of the spatial draws: `augmentation` with a generator seeded by the run's
    seed and the draw's epoch / cursor (so a resumed run, or a draw decoded in a DataLoader worker, gets the same
    augmentation)."""

    augmentation: object
    seed: int

    def __call__(self, sample: dict, epoch: int, cursor: int) -> dict:
        return _augment(sample, self.augmentation, self.seed, epoch, cursor)


def _augment(sample: dict, augmentation, seed: int, epoch: int, cursor: int) -> dict:
    if augmentation is None:
        return sample
    from ..data.soccernet_gsr import BOX_FIELDS

    generator = torch.Generator().manual_seed((seed * 1_000_003 + epoch * 10_007 + cursor) % (2**63))
    targets = {key: sample[key] for key in ("boxes", *BOX_FIELDS, "keypoints", "keypoint_visibility", "lines",
                                            "line_visibility")}
    targets["box_fields"] = list(BOX_FIELDS)
    frames, targets = augmentation(sample["frames"], targets, generator=generator)
    out = dict(sample)
    out["frames"] = frames
    for key in ("boxes", *BOX_FIELDS, "keypoints", "keypoint_visibility", "lines", "line_visibility"):
        out[key] = targets[key]
    return out


__all__ = ["DataPosition", "DrawAhead", "Samples", "SeededAugmentation", "is_built_dataset", "open_samples"]
