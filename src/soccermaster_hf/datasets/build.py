"""`soccermaster dataset build`: the arguments (one dataclass, read by the CLI and the Python API) and the builder
registry."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .base import Builder
from .semantic import MatchTimeBuilder, SoccerNetV2Builder, UniSoccerBuilder
from .spatial import CalibrationBuilder, GSRBuilder, SNMOTBuilder, SoccerFactoryBuilder
from .synth import SynthBuilder
from .writer import DEFAULT_MAX_SHARD_SIZE, push_to_hub, write_dataset

BUILDERS: dict[str, type[Builder]] = {
    "gsr": GSRBuilder,
    "snmot": SNMOTBuilder,
    "calibration": CalibrationBuilder,
    "soccernet-v2": SoccerNetV2Builder,
    "matchtime": MatchTimeBuilder,
    "unisoccer": UniSoccerBuilder,
    "soccerfactory": SoccerFactoryBuilder,
    "synth": SynthBuilder,
}

FORMAT_HELP = {
    "gsr": "SoccerNet-GSR clip folders (Labels-GameState.json + img1/): a clip, a split or a dataset root.",
    "snmot": "SoccerNet tracking sequences (gt/gt.txt, seqinfo.ini, gameinfo.ini).",
    "calibration": "SoccerNet calibration annotations NNNNN.json (+ images, camera_NNNNN.json).",
    "soccernet-v2": "SoccerNet-v2 games (Labels-v2.json, Labels-cameras.json).",
    "matchtime": "MatchTime / SoccerNet-Caption Labels-caption*.json (league_season/game layout).",
    "unisoccer": "UniSoccer / MatchTime / SoccerReplay-1988 classification JSON (a file or a folder of them).",
    "soccerfactory": "The authors' SoccerFactory per-sequence JSON (people, valid_cam_params, K, R per frame).",
    "synth": "A `soccermaster synth` output folder (clips + events/classification.json; videos are embedded).",
}


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise ValueError(f"image size must look like 960x540, got {text!r}") from None
    if width < 2 or height < 2:
        raise ValueError(f"image size must be at least 2x2, got {text!r}")
    return width, height


@dataclass
class DatasetBuildArguments:
    """Settings of :func:`build_dataset` (the `soccermaster dataset build` options are generated from these fields)."""

    source: str = field(metadata={"help": "Source folder or file.", "positional": True})
    format: str = field(metadata={"help": "Source format: " + "; ".join(f"{k}: {v}" for k, v in FORMAT_HELP.items()),
                                  "choices": list(BUILDERS), "flags": ["--format", "-f"]})
    out: str = field(metadata={"help": "Output dataset folder.", "flags": ["--out", "-o"]})
    clip_length: int = field(default=30, metadata={
        "help": "Frames per spatial record (the authors: 30; build with the training clip length to get the raw "
                "reader's windows).", "minimum": 1})
    stride: int | None = field(default=None, metadata={
        "help": "Start-to-start distance of spatial records (default: clip length, non-overlapping).", "minimum": 1})
    split: str | None = field(default=None, metadata={
        "help": "Split of every record (default: from the source's folder / file names, else train)."})
    max_shard_size: str = field(default=DEFAULT_MAX_SHARD_SIZE, metadata={
        "help": "Largest Parquet shard (bytes, or e.g. 100MB, 512KiB)."})
    video_name: str = field(default="{half}_224p.mkv", metadata={
        "help": "soccernet-v2 / matchtime: file name of a half's video in the game folder."})
    image_size: str | None = field(default=None, metadata={
        "help": "calibration: image size when the image is absent (default 960x540); soccerfactory: the frame size "
                "(default 1920x1080)."})
    cameras_dir: str | None = field(default=None, metadata={
        "help": "calibration: a folder of camera_NNNNN.json files for the annotations (default: beside them or in "
                "a cameras/ sibling folder)."})
    video_max_size: int | None = field(default=None, metadata={
        "help": "synth: store the spatial videos downscaled to this longer side (default: the frames' size; "
                "smaller is faster to decode, e.g. the training --max-frame-size).", "minimum": 16})
    push_to_hub: str | None = field(default=None, metadata={
        "help": "Upload the built folder to this Hub dataset repo.", "metavar": "REPO_ID"})
    private: bool = field(default=False, metadata={"help": "With --push-to-hub: create the repo private."})
    overwrite: bool = field(default=False, metadata={
        "help": "Write into a non-empty --out folder that is not a previous `soccermaster dataset build` output "
                "(files it does not write are kept)."})
    progress: bool = field(default=True, metadata={"help": "Progress bar (--no-progress hides it)."})

    def __post_init__(self):
        if self.format not in BUILDERS:
            raise ValueError(f"format must be one of {list(BUILDERS)}, got {self.format!r}.")
        if self.clip_length < 1 or (self.stride is not None and self.stride < 1):
            raise ValueError("clip_length and stride must be >= 1.")


def make_builder(args: DatasetBuildArguments) -> Builder:
    cls = BUILDERS[args.format]
    if args.format == "synth":
        return cls(args.source, clip_length=args.clip_length, stride=args.stride, split=args.split,
                   video_max_size=args.video_max_size)
    if args.format in ("gsr", "snmot"):
        return cls(args.source, clip_length=args.clip_length, stride=args.stride, split=args.split)
    if args.format == "soccerfactory":
        return cls(args.source, clip_length=args.clip_length, stride=args.stride, split=args.split,
                   image_size=_size(args.image_size or "1920x1080"))
    if args.format == "calibration":
        return cls(args.source, image_size=_size(args.image_size or "960x540"), cameras_dir=args.cameras_dir,
                   split=args.split)
    if args.format in ("soccernet-v2", "matchtime"):
        return cls(args.source, split=args.split, video_name=args.video_name)
    return cls(args.source, split=args.split)


def command_line(args: DatasetBuildArguments) -> str:
    """The build command for the dataset card: folder names only (no local paths), options that differ from the
    defaults."""
    import shlex
    from dataclasses import fields
    from pathlib import Path

    words = ["soccermaster", "dataset", "build", Path(args.source).name, "--format", args.format, "--out",
             Path(args.out).name]
    for spec in fields(args):
        if spec.name in ("source", "format", "out", "push_to_hub", "private", "overwrite", "progress", "cameras_dir"):
            continue
        value = getattr(args, spec.name)
        if value != spec.default:
            words += [f"--{spec.name.replace('_', '-')}", str(value)]
    return shlex.join(words)


def build_dataset(args: DatasetBuildArguments, log=print, api=None) -> dict:
    """Build (or resume, or refresh) the dataset of `args` and push it when asked; returns its `meta/info.json`."""
    builder = make_builder(args)
    info = write_dataset(builder, args.out, max_shard_size=args.max_shard_size, overwrite=args.overwrite,
                         command_line=command_line(args), log=log, progress=args.progress)
    if args.push_to_hub:
        url = push_to_hub(args.out, args.push_to_hub, private=args.private or None, api=api)
        if log:
            log(f"uploaded {os.fspath(args.out)} to {url}")
    return info


__all__ = ["BUILDERS", "DatasetBuildArguments", "build_dataset", "command_line", "make_builder"]
