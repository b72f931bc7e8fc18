"""Frames per second of `soccermaster analyze` on this machine (goal: >= 10 fps at the default input size with the
default checkpoint). Prints model-only and end-to-end rates.

    python benchmarks/analyze.py [--model DIR] [--frames 50]
"""

from __future__ import annotations

import argparse
import tempfile
import warnings

from soccermaster_hf.analyze import analyze


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--frames", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = analyze(None, args.model, out, demo=True, max_frames=args.frames, progress=False)
    print(f"model: {summary['model']}")
    print(f"frames: {summary['frames']} ({summary['input']})")
    print(f"model only:  {summary['model_frames_per_second']:6.1f} frames/s")
    print(f"end to end:  {summary['total_frames_per_second']:6.1f} frames/s   (goal >= 10; includes calibration, "
          "tracking, drawing and video encoding)")


if __name__ == "__main__":
    main()
