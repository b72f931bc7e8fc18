"""Held-out evaluation of a pre-trained SoccerMaster checkpoint (used by `benchmarks/learning.py` and the examples).

Held-out data come from a part of the SkillCorner match never used for training (`--time-range 2000:2800` s; the
default checkpoint is trained on 0-2000 s) with another seed. Metrics:

* detection AP@50 and AP@[.5:.95] (pycocotools, person class);
* role and jersey accuracy on athletes matched at IoU >= 0.5 (Hungarian) among the detections scoring at least the
  checkpoint's score threshold (`detection_config.score_threshold`, 0.5 by default)
  (jersey: only athletes whose number is readable in the ground truth);
* keypoint accuracy as the authors compute it: confidence threshold 0.1, distance threshold 5 heatmap pixels; a
  keypoint is correct when it is visible and found within 5 px, or invisible and not found; also recall/precision;
* calibration final@5 of the geometry solver fed the predicted keypoints and lines (SoccerNet metric, 960x540), per
  frame and after :func:`~soccermaster_hf.geometry.temporal.refine_shot` over each shot (a clip up to and between its
  camera cuts, from its ``synth.json``);
* event accuracy: top-1 on the 1-fps semantic clips around derived events (`events/classification.json`).
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torchvision.ops import box_iou

from ..data.soccernet_gsr import SoccerNetGSRClips
from ..geometry.calibrator import calibrate_predicted
from ..geometry.metric import evaluate_cameras
from ..geometry.observations import PitchObservations
from ..geometry.temporal import refine_shot
from ..modeling import SoccerMasterForGameStateReconstruction
from ..processing import SoccerMasterImageProcessor


def ensure_data(path: Path, clips: int, frames: int, seed: int = 99,
                time_range: tuple[float, float] = (2000.0, 2800.0), width: int = 960, height: int = 540,
                semantic_clips: int = 8, league: str = "default") -> Path:
    """Generate held-out SoccerSynth clips (of a league style) at `path` unless they exist."""
    if (path / "README.md").is_file():
        return path
    from ..synth.generate import SynthConfig, generate_dataset

    generate_dataset(path, SynthConfig(clips=clips, frames=frames, seed=seed, time_range=time_range, width=width,
                                       height=height, semantic_clips=semantic_clips, league=league), progress=True)
    return path


def evaluate(model_or_path, data: Path, threshold: float | None = None, calibration: bool = True) -> dict:
    """Metrics of the module docstring for a model (or a path to one) on the clips under `data`; role and jersey
    accuracy among detections scoring >= `threshold` (default: the checkpoint's own)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from ..analysis.pipeline import score_threshold

    if isinstance(model_or_path, (str, Path)):
        model = SoccerMasterForGameStateReconstruction.from_pretrained(model_or_path)
    else:  # any multi-task model (pre-training, PEFT-wrapped): an inference view sharing its modules
        model = SoccerMasterForGameStateReconstruction.sharing_modules_of(model_or_path)
    model.eval()
    threshold = score_threshold(model.config, threshold)
    processor = SoccerMasterImageProcessor.from_model_config(model.config)
    dataset = SoccerNetGSRClips(data, clip_length=1)
    images, annotations, results = [], [], []
    role_hits = role_total = jersey_hits = jersey_total = 0
    role_names = model.config.detection_config.role_names
    kp_correct = kp_total = kp_visible = kp_found_visible = kp_predicted = kp_predicted_right = 0
    cameras, gt_lines, shots, cuts = {}, {}, {}, {}
    seconds = 0.0
    for index in range(len(dataset)):
        sample = dataset[index]
        frame = (sample["frames"][0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        height, width = frame.shape[:2]
        pixels = processor(frame, return_tensors="pt")["pixel_values"]
        start = time.perf_counter()
        with torch.inference_mode():
            out = model(pixels)
        seconds += time.perf_counter() - start
        detection = processor.post_process_object_detection(out.detection, threshold=0.0, top_k=100,
                                                            target_sizes=[(height, width)])[0]
        images.append({"id": index, "width": width, "height": height})
        gt_boxes = sample["boxes"][0].numpy()
        persons = sample["class_labels"][0].numpy() == 0
        for box in gt_boxes[persons]:
            annotations.append({"id": len(annotations) + 1, "image_id": index, "category_id": 1, "iscrowd": 0,
                                "bbox": [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])],
                                "area": float((box[2] - box[0]) * (box[3] - box[1]))})
        boxes = detection["boxes"].numpy()
        for box, score, label in zip(boxes, detection["scores"].tolist(), detection["labels"].tolist()):
            if label == 0:
                results.append({"image_id": index, "category_id": 1, "score": score,
                                "bbox": [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])]})
        confident = detection["scores"].numpy() >= threshold
        if confident.any() and persons.any():
            iou = box_iou(torch.as_tensor(gt_boxes[persons]), torch.as_tensor(boxes[confident])).numpy()
            rows, cols = linear_sum_assignment(-iou)
            gt_roles = sample["roles"][0].numpy()[persons]
            gt_jerseys = sample["jerseys"][0].numpy()[persons]
            predicted_roles = [r for r, keep in zip(detection["roles"], confident) if keep]
            predicted_jerseys = [j for j, keep in zip(detection["jerseys"], confident) if keep]
            for r, c in zip(rows, cols):
                if iou[r, c] < 0.5:
                    continue
                role_total += 1
                role_hits += int(predicted_roles[c] == role_names[gt_roles[r]])
                if gt_jerseys[r] >= 0:
                    jersey_total += 1
                    jersey_hits += int(predicted_jerseys[c] == str(gt_jerseys[r]))
        # keypoints, in heatmap pixels
        heatmaps = out.pitch.keypoint_heatmaps[0, :-1]
        map_h, map_w = heatmaps.shape[-2:]
        peaks, flat = heatmaps.reshape(heatmaps.shape[0], -1).max(dim=1)
        predicted_xy = torch.stack([(flat % map_w).float() + 0.5, (flat // map_w).float() + 0.5], -1).numpy()
        found = peaks.numpy() > 0.1
        gt_xy = sample["keypoints"][0].numpy() / [width, height] * [map_w, map_h]
        visible = sample["keypoint_visibility"][0].numpy()
        close = np.linalg.norm(predicted_xy - gt_xy, axis=1) <= 5.0
        kp_correct += int(((visible & found & close) | (~visible & ~found)).sum())
        kp_total += len(visible)
        kp_visible += int(visible.sum())
        kp_found_visible += int((visible & found & close).sum())
        kp_predicted += int(found.sum())
        kp_predicted_right += int((found & visible & close).sum())
        if not calibration:
            continue
        # calibration from the predicted pitch elements, scored at 960x540
        pitch = processor.post_process_keypoints(out.pitch, target_sizes=[(540, 960)], threshold=0.1)[0]
        observations = PitchObservations.from_pixels(
            (960, 540), lines={k: np.array([p[:2] for p in v]) for k, v in pitch["lines"].items()},
            keypoints=pitch["keypoints"])
        result = calibrate_predicted(observations)
        frame_index = int(sample["frame_indices"][0])
        key = f"{sample['clip']}/{frame_index + 1:06d}"
        cameras[key] = result.camera if result.success else None
        if sample["clip"] not in cuts:
            cuts[sample["clip"]] = camera_cuts(data / sample["clip"])
        shot = (sample["clip"], sum(frame_index >= cut for cut in cuts[sample["clip"]]))
        shots.setdefault(shot, []).append((key, frame_index, observations, result))
        gt_lines[key] = json.loads((data / sample["clip"] / "calibration" / f"{frame_index + 1:06d}.json").read_text())
    coco = COCO()
    coco.dataset = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "person"}]}
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
        detections = coco.loadRes(results) if results else None
        if detections is not None:
            evaluator = COCOeval(coco, detections, "bbox")
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
    ap, ap50 = (float(evaluator.stats[0]), float(evaluator.stats[1])) if detections is not None else (0.0, 0.0)
    calibration_scores = evaluate_cameras(cameras, gt_lines) if calibration else None
    shot_scores = None
    if calibration:
        refined_cameras = {}
        for frames in shots.values():
            frames.sort(key=lambda item: item[1])
            refined = refine_shot([f[2] for f in frames], [f[3] for f in frames], frame_indices=[f[1] for f in frames])
            refined_cameras.update({f[0]: r.camera for f, r in zip(frames, refined)})
        shot_scores = evaluate_cameras(refined_cameras, gt_lines)
    return {
        "frames": len(dataset), "detection AP@50": ap50, "detection AP": ap,
        "role accuracy": role_hits / max(role_total, 1), "jersey accuracy": jersey_hits / max(jersey_total, 1),
        "matched athletes": role_total, "readable jerseys": jersey_total,
        "keypoint accuracy (authors')": kp_correct / max(kp_total, 1),
        "keypoint recall": kp_found_visible / max(kp_visible, 1),
        "keypoint precision": kp_predicted_right / max(kp_predicted, 1),
        "calibration completeness": calibration_scores.completeness if calibration_scores else float("nan"),
        "calibration final@5": calibration_scores.final[5.0] if calibration_scores else float("nan"),
        "calibration final@5 (shot-refined)": shot_scores.final[5.0] if shot_scores else float("nan"),
        "event accuracy": _event_accuracy(model, data, processor),
        "model ms/frame": 1000 * seconds / max(len(dataset), 1),
    }


def camera_cuts(clip: Path) -> list[int]:
    """0-based frame indices where a SoccerSynth clip cuts to another camera (``synth.json``; none if absent)."""
    try:
        cuts = json.loads((clip / "synth.json").read_text()).get("camera_cuts", [])
        return [int(c) for c in cuts]
    except (OSError, ValueError, TypeError, AttributeError):
        return []


def _event_accuracy(model, data: Path, processor, num_frames: int = 30) -> float | str:
    """Top-1 event accuracy on the semantic clips listed in `data/events/classification.json` (if any), `num_frames`
    frames at 1 fps per clip (the authors' clips and `analyze`'s spotting window: 30)."""
    from ..data.semantic import SemanticClips, to_semantic_inputs

    if not (data / "events" / "classification.json").is_file():
        return "n/a (no semantic clips)"
    clips = SemanticClips(data, num_frames=num_frames)
    size = processor.size.height
    correct = 0
    for index in range(len(clips)):
        inputs = to_semantic_inputs([clips[index]], size)
        with torch.inference_mode():
            logits = model(inputs["semantic_pixel_values"]).event_logits
        correct += int(logits.argmax(-1).item() == int(inputs["event_labels"][0]))
    return correct / max(len(clips), 1)


__all__ = ["camera_cuts", "ensure_data", "evaluate"]
