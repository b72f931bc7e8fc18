"""Cameras from a model's predicted keypoints and lines, per frame and refined per shot. Prints a table.

    python benchmarks/calibration_shots.py [--model DIR] [--data heldout-soccersynth --clips 3 --frames 20 --seed 99]

The model (default: the shipped checkpoint) runs once per frame of held-out SoccerSynth clips (generated at `--data`
unless they exist; match time 2000-2800 s, never used in training). Its keypoints and lines go to
`calibrate_predicted` per frame, then each shot (a clip up to and between its camera cuts) goes to
`geometry.temporal.refine_shot` with the settings of each row; the cameras are scored with the SoccerNet metric at
960x540 against the clips' calibration annotations. Rows, side by side on the same predictions:

* per frame: `calibrate_predicted` alone;
* shared centre: `refine_shot` with `shot_smoothness=0` and `identity_rounds=0`;
* + smooth motion: `shot_smoothness=1` (the default), no identity check;
* + identity check, 1 / 2 (the default) / 3 rounds;
* the default with `shot_smoothness` 0.3 and 3, and with `verify_px` 8 and 16 (sensitivity);
* per frame and the default on heatmap peaks decoded without sub-pixel refinement (`subpixel=False`).

Also the predicted keypoints' errors against the ground truth (median, share more than 15 px off, share on keypoints
the ground truth does not show), to say what the solver is fed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from soccermaster_hf.data.soccernet_gsr import SoccerNetGSRClips
from soccermaster_hf.evaluation.heldout import camera_cuts, ensure_data
from soccermaster_hf.geometry import PitchObservations, SolverConfig, calibrate_predicted, evaluate_cameras
from soccermaster_hf.geometry.temporal import refine_shot

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "src" / "soccermaster_hf" / "assets" / "default_checkpoint"
ROWS = [
    ("shared centre", dict(shot_smoothness=0.0), 0),
    ("+ smooth motion", dict(), 0),
    ("+ identity check, 1 round", dict(), 1),
    ("+ identity check, 2 rounds (default)", dict(), 2),
    ("+ identity check, 3 rounds", dict(), 3),
    ("default, shot_smoothness 0.3", dict(shot_smoothness=0.3), 2),
    ("default, shot_smoothness 3", dict(shot_smoothness=3.0), 2),
    ("default, verify_px 8", dict(verify_px=8.0), 2),
    ("default, verify_px 16", dict(verify_px=16.0), 2),
]


def _observations(pitch: dict) -> PitchObservations:
    return PitchObservations.from_pixels(
        (960, 540), lines={k: np.array([p[:2] for p in v]) for k, v in pitch["lines"].items()},
        keypoints=pitch["keypoints"])


def predict(model_path: Path, data: Path) -> tuple[list[dict], dict]:
    """Per frame: key, clip, frame index, observations and per-frame result (also from integer peaks); and the
    keypoint error summary."""
    from soccermaster_hf.modeling import SoccerMasterForGameStateReconstruction
    from soccermaster_hf.processing import SoccerMasterImageProcessor

    model = SoccerMasterForGameStateReconstruction.from_pretrained(model_path).eval()
    processor = SoccerMasterImageProcessor.from_model_config(model.config)
    dataset = SoccerNetGSRClips(data, clip_length=1)
    frames, errors, on_hidden, predicted = [], [], 0, 0
    solve_seconds = 0.0
    for index in range(len(dataset)):
        sample = dataset[index]
        image = (sample["frames"][0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        with torch.inference_mode():
            out = model(processor(image, return_tensors="pt")["pixel_values"])
        observations = _observations(processor.post_process_keypoints(out.pitch, target_sizes=[(540, 960)])[0])
        integer = _observations(processor.post_process_keypoints(out.pitch, target_sizes=[(540, 960)],
                                                                 subpixel=False)[0])
        start = time.perf_counter()
        result = calibrate_predicted(observations)
        solve_seconds += time.perf_counter() - start
        truth = sample["keypoints"][0].numpy() / np.array([image.shape[1], image.shape[0]]) * np.array([960, 540])
        visible = sample["keypoint_visibility"][0].numpy()
        for keypoint, (x, y, _) in observations.keypoints.items():
            predicted += 1
            if visible[keypoint]:
                errors.append(float(np.hypot(x - truth[keypoint, 0], y - truth[keypoint, 1])))
            else:
                on_hidden += 1
        frame_index = int(sample["frame_indices"][0])
        frames.append({"key": f"{sample['clip']}/{frame_index + 1:06d}", "clip": sample["clip"], "frame": frame_index,
                       "observations": observations, "result": result,
                       "integer observations": integer, "integer result": calibrate_predicted(integer)})
    errors = np.array(errors)
    summary = {"frames": len(frames), "keypoints predicted": predicted,
               "median error px (visible)": float(np.median(errors)) if len(errors) else float("nan"),
               "share > 15 px (visible)": float((errors > 15).mean()) if len(errors) else float("nan"),
               "share on keypoints not in view": on_hidden / max(predicted, 1),
               "per-frame solve ms": 1000 * solve_seconds / max(len(frames), 1)}
    return frames, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=Path("heldout-soccersynth"))
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--seed", type=int, default=99)
    args = parser.parse_args()
    if args.clips < 1 or args.frames < 3:
        parser.error("--clips must be >= 1 and --frames >= 3")
    data = ensure_data(args.data, args.clips, args.frames, seed=args.seed, semantic_clips=0)
    frames, summary = predict(args.model, data)
    annotations = {f["key"]: json.loads((data / f["clip"] / "calibration" / f"{f['frame'] + 1:06d}.json").read_text())
                   for f in frames}
    shots: dict = {}
    for f in frames:
        shot = (f["clip"], sum(f["frame"] >= cut for cut in camera_cuts(data / f["clip"])))
        shots.setdefault(shot, []).append(f)

    def score(cameras: dict) -> tuple[float, float, float]:
        result = evaluate_cameras(cameras, annotations, thresholds=(5.0,))
        return result.completeness, result.accuracy[5.0], result.final[5.0]

    def refined(settings: dict, rounds: int, prefix: str = "") -> tuple[tuple[float, float, float], float]:
        config = SolverConfig(**settings)
        cameras, start = {}, time.perf_counter()
        for members in shots.values():
            members.sort(key=lambda f: f["frame"])
            out = refine_shot([f[prefix + "observations"] for f in members], [f[prefix + "result"] for f in members],
                              frame_indices=[f["frame"] for f in members], config=config, identity_rounds=rounds)
            cameras.update({f["key"]: r.camera for f, r in zip(members, out)})
        return score(cameras), 1000 * (time.perf_counter() - start) / len(frames)

    rows = [("per frame (calibrate_predicted)", *score({f["key"]: f["result"].camera for f in frames}),
             summary["per-frame solve ms"])]
    for label, settings, rounds in ROWS:
        scores, ms = refined(settings, rounds)
        rows.append((label, *scores, ms))
    rows.append(("per frame, integer peaks", *score({f["key"]: f["integer result"].camera for f in frames}),
                 float("nan")))
    scores, ms = refined({}, 2, "integer ")
    rows.append(("default, integer peaks", *scores, ms))
    print(f"data: {data} ({summary['frames']} frames, {len(shots)} shots, seed {args.seed}); model: {args.model}")
    print(f"predicted keypoints: {summary['keypoints predicted']}; median error {summary['median error px (visible)']:.1f}"
          f" px of 960x540 on keypoints in view, {100 * summary['share > 15 px (visible)']:.1f} % more than 15 px off;"
          f" {100 * summary['share on keypoints not in view']:.1f} % on keypoints the ground truth does not show")
    print("| cameras | compl. | acc@5 | final@5 | ms/frame (added) |")
    print("| --- | --- | --- | --- | --- |")
    for label, completeness, accuracy, final, ms in rows:
        shown = f"{ms:.0f}" if np.isfinite(ms) else "n/a"
        print(f"| {label} | {completeness:.3f} | {accuracy:.3f} | {final:.3f} | {shown} |")


if __name__ == "__main__":
    main()
