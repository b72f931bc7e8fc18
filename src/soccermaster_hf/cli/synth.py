"""``soccermaster synth``: render SoccerSynth clips with ground truth in SoccerNet formats (see
:mod:`soccermaster_hf.synth.generate`)."""

from __future__ import annotations

import argparse
import time

from .arguments import non_negative_int, positive_int


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 960x540, got {text!r}") from None
    if width < 64 or height < 64:
        raise argparse.ArgumentTypeError("size must be at least 64x64")
    if width > 7680 or height > 7680:  # 8K; larger frames only exhaust memory (a 10^8-pixel side once asked for PiB)
        raise argparse.ArgumentTypeError(f"size must be at most 7680 pixels a side, got {text!r}")
    return width, height


def _range(text: str) -> tuple[float, float]:
    try:
        start, end = (float(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"time range must look like 0:2400 (seconds), got {text!r}") from None
    if not (0 <= start < end < float("inf")):
        raise argparse.ArgumentTypeError(f"time range must satisfy 0 <= start < end, got {text!r}")
    return start, end


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="Output folder (clips SNGS-001 ... and a README dataset card).")
    parser.add_argument("--clips", type=positive_int, default=4, help="Number of clips.")
    parser.add_argument("--frames", type=positive_int, default=50, help="Frames per clip (25 fps).")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="Seed: same seed, same bytes.")
    parser.add_argument("--tracking", default="skillcorner",
                        help="skillcorner (default, real broadcast tracking shipped in kloppy), metrica, procedural, "
                             "scripted (a 90-minute match of scripted set pieces per --seed: ~280 events), or a .npz "
                             "of trajectories.")
    parser.add_argument("--size", type=_size, default=(960, 540), help="Frame size WIDTHxHEIGHT (default 960x540).")
    parser.add_argument("--split", default="train", choices=["train", "valid", "test", "challenge"],
                        help="Split digit used in SoccerNet image ids.")
    parser.add_argument("--semantic-clips", type=non_negative_int, default=0,
                        help="Also render this many 1-fps clips around derived events (event/alignment training).")
    parser.add_argument("--time-range", type=_range, default=None,
                        help="Only draw clips from this part of the match, in seconds (e.g. 0:2400; hold out the rest).")
    parser.add_argument("--league", default="default",
                        help="League style every clip is drawn from: default (broad per-clip randomisation), "
                             "nordic-turf, floodlit-night, summer-sun, or a .json file of LeagueStyle fields "
                             "(see soccermaster_hf.synth.styles).")
    parser.add_argument("--overwrite", action="store_true",
                        help="Write into a non-empty --out folder that is not a previous `soccermaster synth` output "
                             "(files it does not write are kept).")


def run(args: argparse.Namespace) -> int:
    from ..synth.generate import SynthConfig, generate_dataset
    from ..synth.styles import get_league
    from ..utils.io import prepare_output_dir

    get_league(args.league)  # a bad name or style file is one line, before any folder is made

    tracking = args.tracking if args.tracking.endswith(".npz") else None
    prepare_output_dir(args.out, "synth", overwrite=args.overwrite, sources=[tracking])
    config = SynthConfig(clips=args.clips, frames=args.frames, seed=args.seed, tracking=args.tracking,
                         width=args.size[0], height=args.size[1], split=args.split, time_range=args.time_range,
                         semantic_clips=args.semantic_clips, league=args.league)
    start = time.perf_counter()
    folders = generate_dataset(args.out, config)
    seconds = time.perf_counter() - start
    frames = len(folders) * args.frames
    league = f", league {config.style.name}" if config.style.name != "default" else ""
    print(f"wrote {len(folders)} clips ({frames} frames{league}) to {args.out} in {seconds:.1f} s")
    return 0
