"""``soccermaster analyze``: a clip (video, image, frame folder or ``--demo``) -> athletes with identities, camera,
minimap and events (see :mod:`soccermaster_hf.analyze`)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", nargs="?", default=None, help="Video file, image, or folder of frames.")
    parser.add_argument("--demo", action="store_true", help="Render a SoccerSynth clip and analyse it.")
    parser.add_argument("--model", default=None, help="SoccerMasterForPreTraining folder or Hub id.")
    parser.add_argument("--out", default="soccermaster-analysis", help="Output folder.")
    parser.add_argument("--threshold", type=float, default=0.5, help="Detection score threshold.")
    parser.add_argument("--max-frames", type=int, default=250, help="Analyse at most this many frames.")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0, help="Seed of the --demo clip.")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                        help="Backbone precision (auto: bf16 on CPUs with native bfloat16 instructions).")


def run(args: argparse.Namespace) -> int:
    from ..analyze import analyze
    from ..processing import VideoDecodingError

    if args.input is None and not args.demo:
        print("error: give an INPUT (video, image or frame folder) or --demo", file=sys.stderr)
        return 2
    try:
        summary = analyze(args.input, args.model, args.out, threshold=args.threshold, max_frames=args.max_frames,
                          batch_size=args.batch_size, demo=args.demo, seed=args.seed,
                          precision=args.precision)
    except (FileNotFoundError, ValueError, VideoDecodingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    events = ", ".join(f"{e['label']} ({e['score']:.2f})" for e in summary["events"])
    rows = [
        ("input", summary["input"]),
        ("model", summary["model"]),
        ("frames", summary["frames"]),
        ("athletes / frame", f"{summary['athletes_per_frame']:.1f}"),
        ("identities (tracks)", summary["tracks"]),
        ("frames with a camera", f"{summary['frames_calibrated']} / {summary['frames']}"),
        ("events (top 3)", events),
        ("speed", f"{summary['model_frames_per_second']:.1f} frames/s (model), "
                  f"{summary['total_frames_per_second']:.1f} frames/s (end to end)"),
        ("outputs", f"{args.out}/overlay.mp4, minimap.mp4, minimap.png, predictions.json, summary.json"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0
