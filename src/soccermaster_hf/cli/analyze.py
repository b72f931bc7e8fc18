"""``soccermaster analyze``: a clip (video, image, frame folder or ``--demo``) -> athletes with identities, camera,
minimap and events (see :mod:`soccermaster_hf.analyze`).

The options are generated from :class:`AnalyzeArguments` (defaults and help live there; a test keeps them equal to
the defaults of :func:`soccermaster_hf.analyze.analyze`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .arguments import add_dataclass_arguments, dataclass_from_args


def _arg(default, help: str, **cli):
    return field(default=default, metadata={"help": help, **cli})


@dataclass
class AnalyzeArguments:
    """Settings of `soccermaster analyze` (passed to :func:`soccermaster_hf.analyze.analyze`)."""

    input: str | None = _arg(None, "Video file, image, or folder of frames.", positional=True)
    demo: bool = _arg(False, "Render a SoccerSynth clip and analyse it.")
    model: str | None = _arg(None, "SoccerMasterForPreTraining folder or Hub id (default: the shipped checkpoint).")
    out: str = _arg("soccermaster-analysis", "Output folder.")
    threshold: float = _arg(0.5, "Detection score threshold.", minimum=0.0, maximum=1.0)
    max_frames: int = _arg(250, "Analyse at most this many frames.", minimum=1)
    batch_size: int = _arg(4, "Frames per model pass.", minimum=1)
    seed: int = _arg(0, "Seed of the --demo clip.", minimum=0)
    precision: str = _arg("auto", "Backbone precision (auto: bf16 on CPUs with native bfloat16 instructions).",
                          choices=["auto", "fp32", "bf16"])
    overwrite: bool = _arg(False, "Write into a non-empty --out folder that is not a previous `soccermaster analyze` "
                                  "output (files it does not write are kept).")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataclass_arguments(parser, AnalyzeArguments)


def run(args: argparse.Namespace) -> int:
    from ..analyze import analyze
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
        ("speed", f"{summary['model_frames_per_second']:.1f} frames/s (model), "
                  f"{summary['total_frames_per_second']:.1f} frames/s (end to end)"),
        ("outputs", f"{options.out}/overlay.mp4, minimap.mp4, minimap.png, predictions.json, summary.json"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0

