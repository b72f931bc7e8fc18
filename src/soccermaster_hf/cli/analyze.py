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
from ..analysis.batch import is_batch_input
from .arguments import add_dataclass_arguments, dataclass_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataclass_arguments(parser, AnalyzeArguments)


def run_batch(options: AnalyzeArguments, settings: dict) -> int:
    """Many inputs (a list or a folder of videos): this process's share, each input in ``--out/<name>/``."""
    from ..analysis.batch import analyze_many, process_rank
    from ..utils.io import write_marker

    rank, world = process_rank()
    settings = {k: v for k, v in settings.items() if k not in ("resume", "demo", "seed")}
    Path(options.out).mkdir(parents=True, exist_ok=True)
    write_marker(options.out, "analyze")
    outcome = analyze_many(options.input, options.out, options.model, rank=rank, world_size=world,
                           report_errors=lambda line: print(line, file=sys.stderr), **settings)
    share = len(range(rank, outcome["inputs"], world))
    print(f"process {rank + 1} of {world}: {share} of {outcome['inputs']} inputs; analysed {len(outcome['done'])}, "
          f"already done {len(outcome['skipped'])}, failed {len(outcome['failed'])} (outputs in {options.out}/)")
    return 1 if outcome["failed"] else 0


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
    if options.input is not None and not options.demo and is_batch_input(options.input):
        return run_batch(options, settings)
    try:
        summary = analyze(options.input, options.model, options.out, **settings, report=report)
    finally:
        if Path(options.out).is_dir():
            write_marker(options.out, "analyze")
    for line in report.lines():
        print(line, file=sys.stderr)
    events = ", ".join(f"{e['label']} at {e['time']:.0f} s ({e['confidence']:.2f})" for e in summary["top_events"])
    shots = summary["shots"]
    rows = [
        ("input", summary["input"]),
        ("model", summary["model"]),
        ("frames", f"{summary['frames']} ({summary['start_seconds']:g}-{summary['end_seconds']:g} s)"),
        ("athletes / frame", f"{summary['athletes_per_frame']:.1f}"),
        ("identities (tracks)", summary["tracks"]),
        ("shots", f"{len(shots)} ({sum(s['view'] != 'Other view' for s in shots)} main camera)"),
        ("frames with a camera", f"{summary['frames_calibrated']} / {summary['frames']} (plausible cameras only)"),
        ("events", f"{len(summary['events'])} spotted in {summary['spotting_windows']} windows"
                   + (f"; best: {events}" if events else " (a single image has none)")),
        *([("zero-shot prompts", ", ".join(f"{e['label']} at {e['time']:.0f} s ({e['confidence']:.2f})"
                                           for e in summary["zero_shot_top"]) or "no window")]
          if summary.get("zero_shot_top") is not None else []),
        *([("commentary", summary["commentary"])] if summary.get("commentary") is not None else []),
        ("speed", f"{summary['model_frames_per_second']:.1f} frames/s (model), "
                  f"{summary['total_frames_per_second']:.1f} frames/s (end to end)"),
        ("outputs", f"{options.out}/overlay.mp4, minimap.mp4, minimap.png, {summary['game_state_file']}, "
                    f"{summary['tracking_file']}, cameras/, results_spotting.json, events.json, frames.jsonl, "
                    "tracking/ (kloppy: SkillCorner JSON, Metrica CSV), report.html, team_*.png, summary.json"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0

