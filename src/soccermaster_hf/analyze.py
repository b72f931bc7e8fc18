"""`soccermaster analyze`: a match clip in, athletes with identities, a calibrated camera, a minimap and events out.

Per frame: the detection head gives athletes (box, role, team, jersey); a Hungarian association on IoU and on the
cosine similarity of the decoder's query embeddings links them across frames (a simple baseline until the tracking
issue); the pitch heads give keypoints and line endpoints that the geometry solver turns into a camera; athletes are
projected onto the pitch through the bottom-centre of their boxes. Per clip: the event head on the clip's F_sem.

Writes to `--out`: `overlay.mp4` (boxes, ids, role/jersey labels in team colours, projected pitch lines),
`minimap.mp4` and `minimap.png` (last frame), `predictions.json` (SoccerNet-GSR challenge submission format) and
`summary.json`; prints a short table.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import torch

from .data.images import IMAGE_SUFFIXES, load_frames  # noqa: F401 - re-exported
from .geometry.calibrator import calibrate_predicted
from .geometry.camera import Camera
from .geometry.metric import project_pitch_polylines
from .geometry.observations import PitchObservations
from .tracking import HungarianTracker as Tracker

TEAM_COLOURS = {"left": (60, 60, 230), "right": (230, 140, 40), "none": (40, 230, 230)}  # BGR


def demo_frames(num_frames: int, seed: int) -> tuple[list[np.ndarray], float, str]:
    """A SoccerSynth clip rendered on the fly (real SkillCorner trajectories when available)."""
    from .synth.generate import SynthConfig, generate_dataset

    with tempfile.TemporaryDirectory() as tmp:
        try:
            folder = generate_dataset(tmp, SynthConfig(clips=1, frames=num_frames, seed=seed), progress=False)[0]
        except (ImportError, ValueError):
            folder = generate_dataset(tmp, SynthConfig(clips=1, frames=num_frames, seed=seed,
                                                       tracking="procedural"), progress=False)[0]
        frames, _, _ = load_frames(str(folder / "img1"), num_frames)
    return frames, 25.0, f"SoccerSynth demo clip, {len(frames)} frames 960x540"


def draw_minimap(positions: list[tuple[np.ndarray, str, int]], scale: float = 5.0) -> np.ndarray:
    """Top-down pitch (105 x 68 m) with athletes as dots in team colours and their ids."""
    from .geometry.pitch import PitchModel

    margin = 5.0
    width, height = int((105 + 2 * margin) * scale), int((68 + 2 * margin) * scale)
    image = np.full((height, width, 3), (60, 130, 60), np.uint8)

    def to_px(points):
        return np.round((np.asarray(points)[:, :2] + [52.5 + margin, 34 + margin]) * scale * 4).astype(np.int32)

    for name, points in PitchModel().sample_all(step=0.5).items():
        if not name.startswith("Goal"):
            cv2.polylines(image, [to_px(points)], False, (235, 235, 235), 1, cv2.LINE_AA, shift=2)
    for point, team, track_id in positions:
        if np.isfinite(point).all() and abs(point[0]) < 60 and abs(point[1]) < 42:
            centre = tuple(int(v) for v in np.round((point[:2] + [52.5 + margin, 34 + margin]) * scale))
            cv2.circle(image, centre, 5, TEAM_COLOURS.get(team or "none", TEAM_COLOURS["none"]), -1, cv2.LINE_AA)
            cv2.putText(image, str(track_id), (centre[0] + 6, centre[1] - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                        (255, 255, 255), 1, cv2.LINE_AA)
    return image


def _write_video(path: Path, frames: list[np.ndarray], fps: float) -> None:
    import av

    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=int(round(fps)) or 25)
        stream.width, stream.height, stream.pix_fmt = width - width % 2, height - height % 2, "yuv420p"
        for frame in frames:
            if frame.shape[:2] != (height, width):  # mixed-size inputs: the video takes the first frame's size
                frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[: stream.height, : stream.width, ::-1]),
                                                     format="rgb24")
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def analyze(
    source: str | None,
    model_name: str | None,
    output_dir: str | Path,
    threshold: float = 0.5,
    max_frames: int = 250,
    batch_size: int = 4,
    demo: bool = False,
    seed: int = 0,
    progress: bool = True,
    precision: str = "auto",
    report=None,
) -> dict:
    """Run the pipeline (see the module docstring); returns the summary dictionary (also written to disk).

    `precision`: `"fp32"`, `"bf16"` (the backbone and the convolutional pitch heads run in bfloat16; the detection
    head runs in float32 on the backbone's features, so boxes keep float32 resolution) or `"auto"` (bf16 on a CPU
    with native bfloat16 instructions, else fp32).
    """
    from tqdm.auto import tqdm

    from .processing import SoccerMasterImageProcessor

    started = time.perf_counter()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    frames, fps, description = demo_frames(min(max_frames, 50), seed) if demo or source is None else \
        load_frames(source, max_frames, report)
    model, model_description = load_analysis_model(model_name)
    model.eval()
    backbone_dtype = _backbone_dtype(precision, next(model.parameters()).device)
    model.vision_model.to(backbone_dtype)
    # the convolutional pitch heads run in the backbone's precision too (their heatmap peaks are refined in float32)
    model.keypoint_head.to(backbone_dtype)
    model.line_head.to(backbone_dtype)
    config = model.config
    size = config.vision_config.image_size
    processor = SoccerMasterImageProcessor(size={"height": size, "width": size})
    tracker = Tracker()
    overlay, minimaps, predictions, per_frame = [], [], [], []
    calibrated = 0
    previous_camera, preferred_subset = None, "all"
    event_features = []
    model_seconds = 0.0
    for start in tqdm(range(0, len(frames), batch_size), desc="analyzing", disable=not progress):
        chunk = frames[start:start + batch_size]
        sizes = [frame.shape[:2] for frame in chunk]  # per frame: a folder may mix frame sizes
        inputs = processor(chunk, return_tensors="pt")["pixel_values"]
        tick = time.perf_counter()
        with torch.inference_mode():
            # one backbone pass: the chunk as one clip gives F_spa (per frame) and F_sem (for the events)
            features = model.vision_model(inputs.unsqueeze(0).to(backbone_dtype))
            spatial_low = features.spatial_hidden_state[0]
            spatial = spatial_low.float()
            out = SimpleNamespace(detection=model.detection_head(spatial),
                                  keypoint_heatmaps=model.keypoint_head(spatial_low).float(),
                                  line_heatmaps=model.line_head(spatial_low).float())
            semantic = features.pooler_output.float()
        model_seconds += time.perf_counter() - tick
        event_features.append(semantic)
        detections = processor.post_process_object_detection(out.detection, threshold=threshold,
                                                              target_sizes=sizes)
        pitch = processor.post_process_keypoints(
            {"keypoint_heatmaps": out.keypoint_heatmaps, "line_heatmaps": out.line_heatmaps},
            target_sizes=sizes, threshold=config.pitch_config.keypoint_threshold,
            line_names=list(_line_names()))
        for offset, (frame, detection, pitch_points) in enumerate(zip(chunk, detections, pitch)):
            index = start + offset
            height, width = frame.shape[:2]
            boxes = detection["boxes"].numpy()
            embeddings = out.detection["last_hidden_state"][offset][detection["query_indices"]].numpy()
            ids = tracker.update(index, boxes, embeddings, detection["scores"].numpy())
            observations = PitchObservations.from_pixels(
                (width, height), lines={name: np.array([p[:2] for p in points]) for name, points in
                                        pitch_points["lines"].items()},
                keypoints={k: v for k, v in pitch_points["keypoints"].items()}, source=f"frame {index + 1}")
            # the previous frame's camera starts the solve (a broadcast camera moves little between frames)
            # and the subset of observations that worked there is tried first
            result = calibrate_predicted(observations, initial_camera=previous_camera, first=preferred_subset)
            camera = result.camera if result.success else None
            previous_camera = camera
            if camera is not None:
                preferred_subset = result.subset
            calibrated += camera is not None
            ground = np.full((len(boxes), 3), np.nan)
            if camera is not None and len(boxes):
                feet = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]], axis=1)
                ground, _ = camera.backproject_to_ground(feet)
            overlay.append(draw_overlay(frame, boxes, ids, detection, camera))
            minimaps.append(draw_minimap([(ground[i], detection["teams"][i], ids[i]) for i in range(len(boxes))]))
            image_id = f"4999{index + 1:06d}"
            for i in range(len(boxes)):
                bottom = _bbox_pitch(camera, boxes[i])
                predictions.append({
                    "image_id": image_id, "track_id": int(ids[i]), "category_id": 1, "supercategory": "object",
                    "confidence": float(detection["scores"][i]),
                    "attributes": {"role": detection["roles"][i], "jersey": detection["jerseys"][i],
                                   "team": detection["teams"][i] if detection["roles"][i] in ("player", "goalkeeper")
                                   else None},
                    "bbox_image": {"x": float(boxes[i, 0]), "y": float(boxes[i, 1]),
                                   "w": float(boxes[i, 2] - boxes[i, 0]), "h": float(boxes[i, 3] - boxes[i, 1])},
                    "bbox_pitch": bottom,
                })
            per_frame.append({"frame": index + 1, "athletes": len(boxes), "camera": camera is not None,
                              "calibration_failure": None if camera else str(result.failure)})
    with torch.inference_mode():
        event_logits, _ = model.event_head(torch.cat(event_features, dim=1))
    probabilities = event_logits.softmax(-1)[0]
    top = probabilities.topk(min(3, len(probabilities)))
    labels = config.event_config.id2label
    events = [{"label": labels[int(i)], "score": float(s)} for s, i in zip(top.values, top.indices)]
    _write_video(output_dir / "overlay.mp4", overlay, fps)
    _write_video(output_dir / "minimap.mp4", minimaps, fps)
    cv2.imwrite(str(output_dir / "minimap.png"), minimaps[-1])
    cv2.imwrite(str(output_dir / "overlay_last.png"), overlay[-1])
    (output_dir / "predictions.json").write_text(json.dumps({"predictions": predictions}))
    elapsed = time.perf_counter() - started
    summary = {
        "input": description, "model": model_description, "frames": len(frames),
        "athletes_per_frame": float(np.mean([f["athletes"] for f in per_frame])),
        "tracks": tracker.next_id - 1, "frames_calibrated": calibrated, "events": events,
        "model_frames_per_second": len(frames) / max(model_seconds, 1e-9),
        "total_frames_per_second": len(frames) / elapsed, "backbone_precision": str(backbone_dtype).split(".")[-1],
        "per_frame": per_frame,
    }
    (output_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _backbone_dtype(precision: str, device: torch.device) -> torch.dtype:
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"precision must be 'auto', 'fp32' or 'bf16', got {precision!r}.")
    if precision == "auto":
        # private torch helpers (present in torch 2.x); missing ones count as "no native bfloat16"
        checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
        native = device.type == "cpu" and any(bool(check()) for check in checks if check is not None)
        precision = "bf16" if native else "fp32"
    return torch.bfloat16 if precision == "bf16" else torch.float32


def _line_names():
    from .modeling.pitch_definitions import LINE_CLASSES

    return LINE_CLASSES


def _bbox_pitch(camera: Camera | None, box: np.ndarray) -> dict:
    keys = [f"{c}_bottom_{s}" for s in ("left", "middle", "right") for c in "xy"]
    if camera is None:
        return dict.fromkeys(keys)
    bottom = np.array([[box[0], box[3]], [(box[0] + box[2]) / 2, box[3]], [box[2], box[3]]])
    points, valid = camera.backproject_to_ground(bottom)
    out = {}
    for (point, ok), side in zip(zip(points, valid), ("left", "middle", "right")):
        out[f"x_bottom_{side}"] = float(point[0]) if ok else None
        out[f"y_bottom_{side}"] = float(point[1]) if ok else None
    return out


def draw_overlay(frame: np.ndarray, boxes: np.ndarray, ids: list[int], detection: dict,
                 camera: Camera | None) -> np.ndarray:
    image = np.ascontiguousarray(frame[..., ::-1]).copy()  # RGB -> BGR for OpenCV
    height, width = image.shape[:2]
    if camera is not None:
        for polyline in project_pitch_polylines(camera, width, height).values():
            cv2.polylines(image, [np.round(polyline * 4).astype(np.int32)], False, (0, 255, 255), 1, cv2.LINE_AA,
                          shift=2)
    for i, box in enumerate(boxes):
        team = detection["teams"][i] if "teams" in detection else "none"
        colour = TEAM_COLOURS.get(team or "none", TEAM_COLOURS["none"])
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        cv2.rectangle(image, (x0, y0), (x1, y1), colour, 2)
        jersey = detection["jerseys"][i] if "jerseys" in detection else None
        label = f"#{ids[i]} {detection['roles'][i][:2] if 'roles' in detection else ''}{' ' + jersey if jersey else ''}"
        cv2.putText(image, label, (x0, max(10, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA)
    return image


def load_analysis_model(model_name: str | None):
    """The model to analyse with: `model_name` (folder or Hub id), else the default checkpoint shipped with the
    package, else (with a loud warning) a small untrained model so the pipeline still runs."""
    from .modeling import SoccerMasterConfig, SoccerMasterForPreTraining

    if model_name:
        from .utils.errors import load_pretrained

        return load_pretrained(SoccerMasterForPreTraining, model_name), model_name
    default = Path(__file__).parent / "assets" / "default_checkpoint"
    if (default / "config.json").is_file():
        return SoccerMasterForPreTraining.from_pretrained(default), ("default checkpoint (trained on SoccerSynth; "
                                                                     "event head untrained)")
    import warnings

    warnings.warn("No --model and no default checkpoint in this installation: using an UNTRAINED model; boxes, "
                  "cameras and events are meaningless. Pass --model.", stacklevel=2)
    torch.manual_seed(0)
    from .training.pretrain import PRESETS

    vision, detection, pitch = PRESETS["tiny"]
    config = SoccerMasterConfig(vision_config={**vision, "num_frames": 4}, detection_config=detection,
                                pitch_config=pitch, event_config={"num_layers": 1})
    return SoccerMasterForPreTraining(config), "untrained tiny model (no checkpoint)"


__all__ = ["Tracker", "analyze", "draw_minimap", "load_frames"]
