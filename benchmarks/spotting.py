"""Action spotting of `soccermaster analyze` on a SoccerSynth match stretch, scored by the `SoccerNet` package's
official evaluation (average-mAP, tight: 1-5 s tolerances, loose: 5-60 s).

A stretch of a real match's tracking data (SkillCorner, else procedural) is rendered at 2 fps (the event windows
take one frame per second; the other frames only cost time here) and encoded as a video; its SoccerNet-v2 labels
come from the events SoccerSynth derives from the ball and players (`synth.json`). `analyze` spots events on it; the
table compares its `results_spotting.json` with two references scored by the same evaluator: the labels themselves
(the harness must give 1.0) and uniformly random scores every 5 s (chance).

    python benchmarks/spotting.py [--minutes 5] [--model DIR] [--stride 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--model", default=None, help="default: the shipped checkpoint")
    parser.add_argument("--stride", type=float, default=2.0, help="seconds between event windows")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from SoccerNet.Evaluation.ActionSpotting import evaluate
    from SoccerNet.Evaluation.utils import EVENT_DICTIONARY_V2

    from soccermaster_hf.analysis import analyze
    from soccermaster_hf.analysis.render import VideoWriter
    from soccermaster_hf.data.images import load_image
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    fps = 2.0
    frames = int(args.minutes * 60 * fps)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tmp = Path(tmp)
        tick = time.perf_counter()
        config = dict(clips=1, frames=frames, fps=fps, seed=args.seed, width=480, height=270, cut_probability=0.0,
                      time_range=(0, 2700))
        try:
            folder = generate_dataset(tmp / "synth", SynthConfig(**config), progress=True)[0]
        except (ImportError, ValueError):
            folder = generate_dataset(tmp / "synth", SynthConfig(**config, tracking="procedural"), progress=True)[0]
        render_seconds = time.perf_counter() - tick
        writer = VideoWriter(tmp / "match.mp4", fps)
        for image in sorted((folder / "img1").glob("*.jpg")):
            writer.write(load_image(image))
        writer.close()
        events = json.loads((folder / "synth.json").read_text())["events"]
        labels = {"annotations": [{"gameTime": f"1 - {int((e['frame'] - 1) / fps) // 60:02d}:"
                                                f"{int((e['frame'] - 1) / fps) % 60:02d}",
                                   "label": e["label"], "position": str(int(round((e["frame"] - 1) / fps * 1000))),
                                   "team": "home", "visibility": "visible"} for e in events]}
        (tmp / "labels" / "match").mkdir(parents=True)
        (tmp / "labels" / "match" / "Labels-v2.json").write_text(json.dumps(labels))
        tick = time.perf_counter()
        summary = analyze(str(tmp / "match.mp4"), args.model, tmp / "out", progress=True, spotting_stride=args.stride)
        analyse_seconds = time.perf_counter() - tick
        predictions = {"ours": json.loads((tmp / "out" / "results_spotting.json").read_text())}
        predictions["labels as predictions"] = {"predictions": [{**a, "half": "1", "confidence": "1.0"}
                                                                for a in labels["annotations"]]}
        rng = np.random.default_rng(0)
        predictions["random every 5 s"] = {"predictions": [
            {"gameTime": "1 - 00:00", "label": label, "position": str(int(t * 1000)), "half": "1",
             "confidence": str(float(rng.random()))}
            for t in np.arange(0, args.minutes * 60, 5.0) for label in EVENT_DICTIONARY_V2]}
        rows = []
        present = sorted({a["label"] for a in labels["annotations"]})
        for name, prediction in predictions.items():
            (tmp / name / "match").mkdir(parents=True)
            (tmp / name / "match" / "results_spotting.json").write_text(json.dumps(prediction))
            scores = {}
            for metric in ("tight", "loose"):
                result = evaluate(str(tmp / "labels"), str(tmp / name), split=None, version=2,
                                  prediction_file="results_spotting.json", label_files="Labels-v2.json",
                                  dataset=None, metric=metric, EVENT_DICTIONARY=EVENT_DICTIONARY_V2)
                per_class = dict(zip(EVENT_DICTIONARY_V2, result["a_mAP_per_class"]))
                # average over the classes the stretch has (the evaluator's a_mAP averages all 17)
                scores[metric] = float(np.mean([per_class[c] for c in present]))
            rows.append((name, len(prediction["predictions"]), scores["tight"], scores["loose"]))
    print(f"SoccerSynth stretch: {args.minutes:g} min at {fps:g} fps (rendered in {render_seconds:.0f} s), "
          f"{len(events)} events of {len(present)} classes: {', '.join(present)}")
    print(f"analyze: {summary['model']}; {summary['spotting_windows']} windows (stride {args.stride:g} s) in "
          f"{analyse_seconds:.0f} s")
    print(f"{'predictions':<24} {'spotted':>8} {'tight a-mAP':>12} {'loose a-mAP':>12}")
    for name, count, tight, loose in rows:
        print(f"{name:<24} {count:>8} {tight:12.3f} {loose:12.3f}")
    print("a-mAP: the SoccerNet package's average-mAP, averaged over the classes present in the stretch")


if __name__ == "__main__":
    main()
