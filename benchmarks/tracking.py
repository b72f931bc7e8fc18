"""Trackers on the same detections of held-out SoccerSynth clips, scored by the official evaluators.

    python benchmarks/tracking.py [--model DETECTION_MODEL] [--motip-model TRACKING_MODEL] [--clips 2 --frames 50]
                                  [--no-link] [--linking LABEL=JSON ...] [--seed 99] [--reid-model none]

Held-out data: SoccerSynth clips of seed 99 from the match time 2000-2800 s (never used for training: the default
checkpoint and `soccermaster train-tracking` draw from other seeds and 0-1800 s), 960x540, split "test".
Prints HOTA / DetA / AssA / MOTA / IDF1 (TrackEval MotChallenge2DBox, as SoccerNet runs it), GS-HOTA (sn-trackeval
SoccerNetGS), tracker ms/frame (association only, the model is shared), tracks per real athlete, and role / team
accuracy of the per-box heads ("before") and after the tracklet vote and team clustering ("after"). Each tracker is
also scored after offline tracklet linking at its defaults (rows "+ linking"; `--no-link` to leave them out) and at
the `--linking` settings given (``LABEL='{"max_gap_seconds": 2}'``: `LinkingConfig` fields, rows "+ LABEL").
The linking uses the shipped re-identification network (`--reid-model`: another folder, or `none`); the row
"+ no re-id" links the same tracklets without it.
`--seed` / `--time-range` generate another clip set (e.g. a validation set to tune the linking on, never the held-out
one).
See :mod:`soccermaster_hf.evaluation.tracking_benchmark`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from soccermaster_hf.evaluation.heldout import ensure_data
from soccermaster_hf.evaluation.tracking_benchmark import benchmark_trackers
from soccermaster_hf.tracking.linking import LinkingConfig

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
    parser.add_argument("--threshold", type=float, default=None,
                        help="detection score threshold (default: the checkpoint's own)")
    parser.add_argument("--seed", type=int, default=99, help="SoccerSynth seed of the clips (99: held out)")
    parser.add_argument("--time-range", type=float, nargs=2, default=(2000.0, 2800.0), metavar=("START", "END"),
                        help="match seconds the clips are drawn from (2000-2800: held out)")
    parser.add_argument("--link", action=argparse.BooleanOptionalAction, default=True,
                        help="also score every tracker after offline tracklet linking")
    parser.add_argument("--linking", nargs="+", default=[], metavar="LABEL=JSON",
                        help="more linking settings to score (LinkingConfig fields as a JSON object)")
    parser.add_argument("--reid-model", default="default",
                        help="re-identification network for the linking ('default': the shipped one; 'none': off)")
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()

    from soccermaster_hf.analysis.pipeline import load_analysis_model, score_threshold
    from soccermaster_hf.processing import SoccerMasterImageProcessor

    reid = None
    if args.reid_model.lower() != "none":
        from soccermaster_hf.tracking.reid import ReIdEmbedder, load_reid_model

        reid = ReIdEmbedder(load_reid_model(args.reid_model))
    linking = {"linking": LinkingConfig()} if args.link else {}
    if args.link and reid is not None:
        linking["no re-id"] = LinkingConfig(appearance_weight=0.0, max_appearance_distance=2.0,
                                            appearance_split_boxes=0)
    for item in args.linking:
        label, _, text = item.partition("=")
        try:
            linking[label] = LinkingConfig(**json.loads(text))
        except (ValueError, TypeError) as error:
            raise SystemExit(f"error: --linking {item}: {error}") from None
    if args.clips < 1 or args.frames < 1:
        raise SystemExit("error: --clips and --frames must be >= 1")
    data = ensure_data(Path(args.data), args.clips, args.frames, seed=args.seed,
                       time_range=tuple(args.time_range), semantic_clips=0)
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
    threshold = score_threshold(model.config, args.threshold)
    report = benchmark_trackers(data, model, processor, trackers, motip_model=motip, threshold=threshold,
                                linking=linking, reid=reid)
    print(f"detections: {description}, score >= {threshold:g}; data: {data} ({args.clips} clips x {args.frames} "
          "frames)")
    metrics = list(next(iter(report.values())))
    width = max(len(name) for name in report)
    print(f"{'tracker':<{width}}" + "".join(f" | {metric:>{max(len(metric), 6)}}" for metric in metrics))
    for name, row in report.items():
        print(f"{name:<{width}}" + "".join(f" | {row[metric]:>{max(len(metric), 6)}.3f}" for metric in metrics))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
