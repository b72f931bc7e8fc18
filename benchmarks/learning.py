"""Evaluate a pre-trained checkpoint on held-out SoccerSynth clips and print a table against the issue's bars.

    python benchmarks/learning.py --model runs/default/final [--data heldout] [--clips 6 --frames 20]

See :mod:`soccermaster_hf.evaluation.heldout` for the data and the metrics.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from soccermaster_hf.evaluation.heldout import ensure_data, evaluate

BARS = {"detection AP@50": 0.9, "keypoint accuracy (authors')": 0.9, "calibration final@5": 0.8,
        "calibration final@5 (shot-refined)": 0.8, "role accuracy": 0.95}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", default="heldout-soccersynth")
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--frames", type=int, default=20)
    args = parser.parse_args()
    data = ensure_data(Path(args.data), args.clips, args.frames)
    metrics = evaluate(args.model, data)
    print(f"{'metric':<32} {'value':>10}   bar")
    for name, value in metrics.items():
        bar = BARS.get(name)
        shown = f"{value:10.3f}" if isinstance(value, float) else f"{value!s:>10}"
        verdict = "" if bar is None else (f">= {bar}  {'met' if value >= bar else 'NOT met'}")
        print(f"{name:<32} {shown}   {verdict}")


if __name__ == "__main__":
    main()
