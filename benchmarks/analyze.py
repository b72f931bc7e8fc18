"""Frames per second of `soccermaster analyze` on this machine (goal: >= 10 fps at the default input size with the
default checkpoint). Prints model-only and end-to-end rates.

    python benchmarks/analyze.py [--model DIR] [--frames 50]
"""

from __future__ import annotations

import argparse
import tempfile
import warnings

from soccermaster_hf.analysis import analyze


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--precision", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16", "auto"])
    args = parser.parse_args()
    rows = []
    for precision in args.precision:
        with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary = analyze(None, args.model, out, demo=True, max_frames=args.frames, progress=False,
                              precision=precision)
        rows.append((precision, summary))
    print(f"model: {rows[0][1]['model']}")
    print(f"frames: {rows[0][1]['frames']} ({rows[0][1]['input']})")
    print(f"{'backbone':>9} {'model fps':>10} {'end-to-end fps':>15} {'athletes/frame':>15} {'calibrated':>11}")
    for _, summary in rows:
        print(f"{summary['backbone_precision']:>9} {summary['model_frames_per_second']:10.1f} "
              f"{summary['total_frames_per_second']:15.1f} {summary['athletes_per_frame']:15.1f} "
              f"{summary['frames_calibrated']:>6}/{summary['frames']}")
    print("goal: >= 10 frames/s end to end (calibration, tracking, drawing and video encoding included)")


if __name__ == "__main__":
    main()
