"""Trackers on the same detections of held-out SoccerSynth clips, scored by the official evaluators.

    python benchmarks/tracking.py [--model DETECTION_MODEL] [--motip-model TRACKING_MODEL] [--clips 2 --frames 50]

Held-out data: SoccerSynth clips of seed 99 from the match time 2000-2800 s (never used for training: the default
checkpoint and `soccermaster train-tracking` draw from other seeds and 0-1800 s), 960x540, split "test".
Prints HOTA / DetA / AssA / MOTA / IDF1 (TrackEval MotChallenge2DBox, as SoccerNet runs it), GS-HOTA (sn-trackeval
SoccerNetGS), tracker ms/frame (association only, the model is shared), tracks per real athlete, and role / team
accuracy of the per-box heads ("before") and after the tracklet vote and team clustering ("after").
See :mod:`soccermaster_hf.evaluation.tracking_benchmark`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from soccermaster_hf.evaluation.heldout import ensure_data
from soccermaster_hf.evaluation.tracking_benchmark import benchmark_trackers

TRACKERS = {
    "ByteTrack (library defaults)": {"tracker": "bytetrack"},
    "ByteTrack (activation 0.5)": {"tracker": "bytetrack", "track_activation_threshold": 0.5,
                                   "high_conf_det_threshold": 0.5, "minimum_consecutive_frames": 1},
    "Hungarian IoU+cosine (old baseline)": {"tracker": "hungarian"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="detection model (default: the shipped checkpoint)")
    parser.add_argument("--motip-model", default=None, help="SoccerMasterForMultiObjectTracking folder (adds MOTIP)")
    parser.add_argument("--data", default="heldout-soccersynth-tracking")
    parser.add_argument("--clips", type=int, default=2)
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()

    from soccermaster_hf.analysis.pipeline import load_analysis_model
    from soccermaster_hf.processing import SoccerMasterImageProcessor

    data = ensure_data(Path(args.data), args.clips, args.frames, semantic_clips=0)
    model, description = load_analysis_model(args.model)
    model.eval()
    processor = SoccerMasterImageProcessor.from_model_config(model.config)
    trackers = {name: dict(settings) for name, settings in TRACKERS.items()}
    motip = None
    if args.motip_model:
        from soccermaster_hf import SoccerMasterForMultiObjectTracking

        motip = SoccerMasterForMultiObjectTracking.from_pretrained(args.motip_model).eval()
        trackers["MOTIP (ID decoder, object-max)"] = {"tracker": "motip"}
        trackers["MOTIP (ID decoder, Hungarian)"] = {"tracker": "motip", "assignment": "hungarian"}
    report = benchmark_trackers(data, model, processor, trackers, motip_model=motip, threshold=args.threshold)
    print(f"detections: {description}; data: {data} ({args.clips} clips x {args.frames} frames)")
    names = list(report)
    print(f"{'metric':<22}" + "".join(f"  {name:>36}" for name in names))
    for metric in next(iter(report.values())):
        print(f"{metric:<22}" + "".join(f"  {report[name][metric]:>36.3f}" for name in names))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
