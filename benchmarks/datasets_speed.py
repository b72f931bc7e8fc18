"""Datasets speed: build throughput (records/s) and streaming read throughput (clips/s decoded to model inputs, 1 and
2 DataLoader workers) of the 🤗 datasets path against reading the raw folders directly, side by side in one run.

    python benchmarks/datasets_speed.py [--clips 8] [--frames 64] [--size 960x540] [--clip-length 8] [--rounds 7]
        [--records-per-shard 32]

A SoccerSynth folder is generated first (real SkillCorner tracking by default). Build: `write_dataset` for the gsr /
snmot / synth formats (synth includes encoding every clip to MP4) and, when shared/ has it, the real SoccerNet-v2
classification file, against constructing the raw reader (`SoccerNetGSRClips`: parsing the same label files). Read: every spatial
clip decoded and turned into `SoccerMasterForPreTraining` inputs through a `DataLoader`, from

* raw: `SoccerNetGSRClips` (JPEG frames) + `to_model_inputs`;
* gsr dataset: the Parquet records streamed with `load_dataset(..., streaming=True)` + `SpatialCollate` (frames read
  from the same JPEG files), row by row or `.with_format("arrow")`, and through `StreamingClips` (our worker-aware
  torch `IterableDataset`: Arrow batches read column-wise, an epoch split between the workers);
* synth dataset: the same with the frames decoded from the dataset's own MP4 files (native size, and stored
  downscaled to the training frame size with `--video-max-size`);

and the semantic 1-fps clips from `SemanticClips` against the synth dataset's semantic config. Candidates are
interleaved, each measured `--rounds` times; every measurement is printed, then the median and, for a dataset path,
the median of its per-round ratio to the raw reader measured just before it (paired: robust to a noisy machine).
DataLoader rates are steady-state (from the first batch on; the start-up to the first batch is printed apart); the
last table reads as `soccermaster train` does, in the training process (`StreamingRecords` for the stream).
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

import torch  # noqa: E402


def _loader_rate(dataset, collate, workers: int) -> tuple[float, float]:
    """Steady-state clips/s (from the first batch on: worker start-up excluded) and the start-up seconds."""
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, num_workers=workers, collate_fn=collate,
                                         persistent_workers=False)
    start = time.perf_counter()
    first = None
    count = 0
    for batch in loader:
        if first is None:
            first = time.perf_counter()
        else:
            count += batch[next(iter(batch))].shape[0]
    return count / (time.perf_counter() - first), first - start


def _drawer(samples):
    """One sample per call: the map-style reader in index order, the stream's next sample, or a training
    `Samples`' next draw (decoded ahead in its DataLoader workers)."""
    if hasattr(samples, "draw"):
        return lambda: samples.draw()[0]
    if hasattr(samples, "next"):
        return lambda: samples.next()[0]
    indices = iter(range(len(samples)))
    return lambda: samples[next(indices)]


def _training_rate(draw, count: int, collate) -> float:
    """Clips/s of `count` draws in this process, each collated alone (how `soccermaster train` reads)."""
    start = time.perf_counter()
    for _ in range(count):
        collate([draw()])
    return count / (time.perf_counter() - start)


def _raw_collate(samples, size):
    from soccermaster_hf.data.soccernet_gsr import to_model_inputs

    return to_model_inputs(samples, size)


def _raw_semantic_collate(samples, size):
    from soccermaster_hf.data.semantic import to_semantic_inputs

    return to_semantic_inputs(samples, size)


def _shard_size(folder: Path, config: str, records: int) -> int:
    """A `max_shard_size` (bytes) that puts about `records` records of `config` in each shard, from the Arrow size per
    record of a dataset already built in `folder` (shards are bounded by uncompressed Arrow size)."""
    import pyarrow.parquet as pq

    tables = [pq.read_table(path) for path in sorted((folder / "data" / config).rglob("*.parquet"))]
    per_record = sum(t.nbytes for t in tables) / sum(t.num_rows for t in tables)
    return max(1, int(per_record * (records + 0.5)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--size", default="960x540")
    parser.add_argument("--clip-length", type=int, default=8)
    parser.add_argument("--max-frame-size", type=int, default=480)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--semantic-clips", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tracking", default="skillcorner",
                        help="SoccerSynth tracking source (procedural: faster, fewer events).")
    parser.add_argument("--records-per-shard", type=int, default=32,
                        help="Spatial records per Parquet shard in the read tests (the shard size is set from the "
                             "records' Arrow size). A built dataset's default 100MB shard holds thousands of clips; "
                             "every shard costs a fixed ~5-15 ms to open (Parquet footer, `datasets`' per-shard "
                             "set-up), so tiny shards measure that cost instead of the read path.")
    parser.add_argument("--semantic-records-per-shard", type=int, default=4)
    parser.add_argument("--max-shard-size", default="100KB", help="Shard size of the build tests.")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    import datasets

    from soccermaster_hf.data.semantic import SemanticClips
    from soccermaster_hf.data.soccernet_gsr import SoccerNetGSRClips
    from soccermaster_hf.datasets import (
        GSRBuilder,
        SemanticCollate,
        SNMOTBuilder,
        SpatialCollate,
        SpatialDecoder,
        StreamingClips,
        SynthBuilder,
        UniSoccerBuilder,
        write_dataset,
    )
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset
    from soccermaster_hf.utils.shared import shared_path

    work = Path(tempfile.mkdtemp(prefix="datasets-speed-"))
    synth = work / "synth"
    start = time.perf_counter()
    generate_dataset(synth, SynthConfig(clips=args.clips, frames=args.frames, seed=0, width=width, height=height,
                                        tracking=args.tracking, semantic_clips=args.semantic_clips), progress=False)
    print(f"SoccerSynth: {args.clips} clips x {args.frames} frames at {width}x{height} + {args.semantic_clips} "
          f"semantic clips in {time.perf_counter() - start:.1f} s ({work}); torch threads {torch.get_num_threads()}")

    # ---- build -------------------------------------------------------------------------------------------------
    print("\nbuild (records/s; one record = a clip of "
          f"{args.clip_length} frames / a 1-fps window)                 run 1      run 2   ...")
    builds = {"raw reader: SoccerNetGSRClips(...) (parse only)": lambda out: len(
        SoccerNetGSRClips(synth, clip_length=args.clip_length).windows)}
    for name, make in (("gsr", lambda: GSRBuilder(synth, clip_length=args.clip_length)),
                       ("snmot", lambda: SNMOTBuilder(synth, clip_length=args.clip_length)),
                       ("synth (+ MP4 encoding)", lambda: SynthBuilder(synth, clip_length=args.clip_length))):
        builds[f"write_dataset --format {name}"] = functools.partial(
            lambda out, make: sum(v["num_records"] for c in write_dataset(
                make(), out, max_shard_size=args.max_shard_size, log=None)["configs"].values() for v in c["splits"].values()),
            make=make)
    real = shared_path("data", "real", "event_labels", "soccernet_v2_classification_valid.json")
    if real is not None:
        builds["write_dataset --format unisoccer (real SN-v2 valid)"] = lambda out: sum(
            v["num_records"] for v in write_dataset(UniSoccerBuilder(real), out, max_shard_size="10MB",
                                                    log=None)["configs"]["semantic"]["splits"].values())
    rates: dict[str, list[float]] = {name: [] for name in builds}
    for round_index in range(args.rounds):
        for name, build in builds.items():
            out = work / f"build-{abs(hash(name))}-{round_index}"
            start = time.perf_counter()
            count = build(out)
            rates[name].append(count / (time.perf_counter() - start))
    for name, values in rates.items():
        print(f"  {name:<58} " + "  ".join(f"{v:9.1f}" for v in values) + f"   median {statistics.median(values):9.1f}")

    # ---- read ----------------------------------------------------------------------------------------------------
    gsr_out, synth_out, small_out = work / "read-gsr", work / "read-synth", work / "read-synth-small"
    write_dataset(GSRBuilder(synth, clip_length=args.clip_length), work / "probe-gsr", max_shard_size="10GB", log=None)
    shard = _shard_size(work / "probe-gsr", "spatial", args.records_per_shard)
    write_dataset(GSRBuilder(synth, clip_length=args.clip_length), gsr_out, max_shard_size=shard, log=None)
    write_dataset(SynthBuilder(synth, clip_length=args.clip_length), synth_out, max_shard_size=shard, log=None)
    write_dataset(SynthBuilder(synth, clip_length=args.clip_length, video_max_size=args.max_frame_size), small_out,
                  max_shard_size=shard, log=None)
    semantic_out = work / "read-semantic"
    write_dataset(SynthBuilder(synth, clip_length=args.clip_length), semantic_out, log=None,
                  max_shard_size=_shard_size(synth_out, "semantic", args.semantic_records_per_shard))
    size, max_size = args.image_size, args.max_frame_size
    raw = SoccerNetGSRClips(synth, clip_length=args.clip_length, max_size=max_size)
    raw_semantic = SemanticClips(synth, num_frames=30)
    candidates = {
        "raw folders: SoccerNetGSRClips + to_model_inputs": (
            lambda: raw, functools.partial(_raw_collate, size=size)),
        "gsr dataset, streaming (JPEG frames) + SpatialCollate": (
            lambda: datasets.load_dataset(str(gsr_out), "spatial", split="train", streaming=True),
            SpatialCollate(size, synth, max_size=max_size)),
        "gsr dataset, streaming .with_format('arrow') + SpatialCollate": (
            lambda: datasets.load_dataset(str(gsr_out), "spatial", split="train", streaming=True).with_format("arrow"),
            SpatialCollate(size, synth, max_size=max_size)),
        "gsr dataset, StreamingClips (worker-aware, column-wise)": (
            lambda: StreamingClips(datasets.load_dataset(str(gsr_out), "spatial", split="train", streaming=True),
                                   SpatialDecoder(synth, max_size=max_size)),
            functools.partial(_raw_collate, size=size)),
        "synth dataset, streaming (MP4 frames) + SpatialCollate": (
            lambda: datasets.load_dataset(str(synth_out), "spatial", split="train", streaming=True),
            SpatialCollate(size, synth_out, max_size=max_size)),
        f"synth dataset, videos stored at <= {max_size} px": (
            lambda: datasets.load_dataset(str(small_out), "spatial", split="train", streaming=True),
            SpatialCollate(size, small_out, max_size=max_size)),
        "raw semantic: SemanticClips + to_semantic_inputs": (
            lambda: raw_semantic, functools.partial(_raw_semantic_collate, size=size)),
        "synth dataset semantic, streaming + SemanticCollate": (
            lambda: datasets.load_dataset(str(semantic_out), "semantic", split="train", streaming=True),
            SemanticCollate(size, semantic_out, num_frames=30)),
    }
    shards = "/".join(str(datasets.load_dataset(str(folder), "spatial", split="train", streaming=True).num_shards)
                      for folder in (gsr_out, synth_out, small_out))
    semantic_shards = datasets.load_dataset(str(semantic_out), "semantic", split="train", streaming=True).num_shards
    # per-clip decode time, interleaved clip by clip, minimum over the rounds (robust to a noisy shared machine)
    decoders = {
        "raw folders: SoccerNetGSRClips[i]": (lambda i: raw[i], None),
        "gsr dataset: SpatialDecoder(record) (JPEG frames)": (SpatialDecoder(synth, max_size=max_size), gsr_out),
        "synth dataset: SpatialDecoder(record) (MP4 frames)": (SpatialDecoder(synth_out, max_size=max_size),
                                                                synth_out),
        f"synth dataset, videos stored at <= {max_size} px": (SpatialDecoder(small_out, max_size=max_size),
                                                             small_out),
    }
    tables = {name: datasets.load_dataset(str(folder), "spatial", split="train").to_list()
              for name, (_, folder) in decoders.items() if folder is not None}
    minima: dict[str, list[float]] = {name: [float("inf")] * len(raw) for name in decoders}
    for _ in range(args.rounds):
        for index in range(len(raw)):
            for name, (decode, folder) in decoders.items():
                start = time.perf_counter()
                decode(tables[name][index] if folder is not None else index)
                minima[name][index] = min(minima[name][index], time.perf_counter() - start)
    print(f"\ndecode one clip to the reader's sample dict (ms per clip, per-clip minimum of {args.rounds} rounds)")
    for name, values in minima.items():
        print(f"  {name:<58} {1000 * sum(values) / len(values):8.1f}")

    print(f"\nread (clips/s decoded to model inputs at {size}x{size}, frames downscaled to <= {max_size} px; "
          f"{len(raw)} spatial clips in {shards} shards (gsr/synth/small), {len(raw_semantic)} semantic clips of 30 frames in "
          f"{semantic_shards} shards)")
    pairs = {"gsr dataset, streaming (JPEG frames) + SpatialCollate": "raw folders: SoccerNetGSRClips + to_model_inputs",
             "gsr dataset, streaming .with_format('arrow') + SpatialCollate":
                 "raw folders: SoccerNetGSRClips + to_model_inputs",
             "gsr dataset, StreamingClips (worker-aware, column-wise)": "raw folders: SoccerNetGSRClips + to_model_inputs",
             f"synth dataset, videos stored at <= {max_size} px": "raw folders: SoccerNetGSRClips + to_model_inputs",
             "synth dataset semantic, streaming + SemanticCollate": "raw semantic: SemanticClips + to_semantic_inputs"}

    def report(measured: dict[str, list[float]], indent: str = "    ") -> None:
        for name, values in measured.items():
            ratio = ""
            if name in pairs and pairs[name] in measured:  # paired per round: both measured back to back
                ratio = f"   x{statistics.median(a / b for a, b in zip(values, measured[pairs[name]])):.3f} of raw"
            print(f"{indent}{name:<56} " + "  ".join(f"{v:8.2f}" for v in values) +
                  f"   median {statistics.median(values):8.2f}{ratio}")

    for workers in (1, 2):
        measured: dict[str, list[float]] = {name: [] for name in candidates}
        startup: dict[str, list[float]] = {name: [] for name in candidates}
        for _ in range(args.rounds):
            for name, (make, collate) in candidates.items():
                rate, seconds = _loader_rate(make(), collate, workers)
                measured[name].append(rate)
                startup[name].append(seconds)
        print(f"  {workers} DataLoader worker{'s' if workers > 1 else ''} (steady state: from the first batch on; "
              "start-up to the first batch, median s: " +
              ", ".join(f"{name.split(':')[0].split(',')[0]} {statistics.median(v):.2f}" for name, v in startup.items())
              + ")")
        report(measured)

    # the path `soccermaster train` takes: the sample drawn in the training process (map-style reader or
    # StreamingRecords, the resumable stream with its batched Arrow reads), collated alone
    from soccermaster_hf.datasets import open_clips

    spatial_collate = functools.partial(_raw_collate, size=size)
    training = {
        "raw folders: SoccerNetGSRClips + to_model_inputs": (lambda: _drawer(raw), spatial_collate),
        "gsr dataset, streaming (JPEG frames) + SpatialCollate": (
            lambda: _drawer(open_clips(gsr_out, "spatial", streaming=True, media_root=synth, max_size=max_size)),
            spatial_collate),
        f"synth dataset, videos stored at <= {max_size} px": (
            lambda: _drawer(open_clips(small_out, "spatial", streaming=True, max_size=max_size)), spatial_collate),
    }
    from types import SimpleNamespace

    from soccermaster_hf.training.samples import Samples

    one_process = SimpleNamespace(process_index=0, num_processes=1)
    for workers in (1, 2):  # `soccermaster train --dataloader-num-workers N`: the same draws, decoded ahead
        training[f"raw folders, --dataloader-num-workers {workers}"] = (
            functools.partial(lambda workers: _drawer(Samples(raw, 0, one_process, workers=workers)), workers),
            spatial_collate)
        training[f"gsr dataset streaming, --dataloader-num-workers {workers}"] = (
            functools.partial(lambda workers: _drawer(Samples(
                open_clips(gsr_out, "spatial", streaming=True, media_root=synth, max_size=max_size), 0, one_process,
                streaming=True, workers=workers)), workers), spatial_collate)
        pairs[f"gsr dataset streaming, --dataloader-num-workers {workers}"] = \
            f"raw folders, --dataloader-num-workers {workers}"
    measured = {name: [] for name in training}
    for _ in range(args.rounds):
        for name, (make, collate) in training.items():
            measured[name].append(_training_rate(make(), len(raw), collate))
    print("  as `soccermaster train` reads (in the training process: the map-style reader or StreamingRecords; with "
          "--dataloader-num-workers, the same draws decoded ahead in worker processes, start-up included)")
    report(measured)


if __name__ == "__main__":
    main()
