"""``soccermaster analyze``: a clip (video, image, frame folder or ``--demo``) -> athletes with identities, camera,
minimap and events (see :mod:`soccermaster_hf.analysis`).

The options are generated from :class:`~soccermaster_hf.analysis.AnalyzeArguments` (defaults and help live there; a
test keeps them equal to the defaults of :func:`soccermaster_hf.analysis.analyze`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from ..analysis.arguments import AnalyzeArguments
from .arguments import add_dataclass_arguments, dataclass_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataclass_arguments(parser, AnalyzeArguments)


def run(args: argparse.Namespace) -> int:
    from ..analysis import analyze
    from ..data.report import DataReport
    from ..utils.io import prepare_output_dir, write_marker

    options = dataclass_from_args(AnalyzeArguments, args)
    if options.input is None and not options.demo:
        print("error: give an INPUT (video, image or frame folder) or --demo", file=sys.stderr)
        return 2
    # checked first; the folder is created (and marked) by the run itself, so a bad input leaves nothing behind
    prepare_output_dir(options.out, "analyze", overwrite=options.overwrite,
                       sources=[options.input if not options.demo else None, options.model], create=False)
    report = DataReport(source=str(options.input))
    settings = {k: v for k, v in asdict(options).items() if k not in ("input", "model", "out", "overwrite")}
    try:
        summary = analyze(options.input, options.model, options.out, **settings, report=report)
    finally:
        if Path(options.out).is_dir():
            write_marker(options.out, "analyze")
    for line in report.lines():
        print(line, file=sys.stderr)
    events = ", ".join(f"{e['label']} ({e['score']:.2f})" for e in summary["events"])
    rows = [
        ("input", summary["input"]),
        ("model", summary["model"]),
        ("frames", summary["frames"]),
        ("athletes / frame", f"{summary['athletes_per_frame']:.1f}"),
        ("identities (tracks)", summary["tracks"]),
        ("frames with a camera", f"{summary['frames_calibrated']} / {summary['frames']}"),
        ("events (top 3)", events),
        *([("commentary", summary["commentary"])] if summary.get("commentary") is not None else []),
        ("speed", f"{summary['model_frames_per_second']:.1f} frames/s (model), "
                  f"{summary['total_frames_per_second']:.1f} frames/s (end to end)"),
        ("outputs", f"{options.out}/overlay.mp4, minimap.mp4, minimap.png, {summary['game_state_file']}, "
                    f"{summary['tracking_file']}, summary.json"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0

