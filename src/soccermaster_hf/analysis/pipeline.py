"""The main job: a match clip in, athletes with identities, a calibrated camera, a minimap and events out.

Per frame: the detection head gives athletes (box, role, team, jersey, decoder embedding); a tracker (`--tracker`:
ByteTrack from the `trackers` library, the MOTIP ID decoder, or the Hungarian IoU + cosine baseline) links them
across frames; the pitch heads give keypoints and line endpoints that the geometry solver turns into a camera; athletes
are projected onto the pitch through the bottom edge of their boxes. Per clip: roles and jerseys by tracklet vote,
teams by clustering the athletes' torso colours (left / right from the pitch positions), and the event head on the
clip's F_sem.

Writes to `--out`: `overlay.mp4` (boxes, ids, role/jersey labels in team colours, projected pitch lines),
`minimap.mp4` and `minimap.png` (last frame), `SNGS-xxx.json` (SoccerNet-GSR predictions of the clip, scored by
sn-trackeval's GS-HOTA), `SNMOT-xxx.txt` (MOTChallenge tracking rows) and `summary.json`; prints a short table.
The clip's name and image ids follow its `Labels-GameState.json` when the input is a clip folder (or its `img1/`),
else `SNGS-001` with ids `{split}{clip}{frame}`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from ..data.images import load_frames
from ..geometry.calibrator import calibrate_predicted
from ..geometry.observations import PitchObservations
from ..tracking import TrackedDetection, TrackedFrame, make_tracker, torso_colour, vote_game_state
from ..utils.io import atomic_path, atomic_write_json
from .render import draw_minimap, draw_overlay, write_video
from .writers import bbox_pitch, clip_identity, write_gsr_clip, write_snmot


def demo_frames(num_frames: int, seed: int) -> tuple[list[np.ndarray], float, str]:
    """A SoccerSynth clip rendered on the fly (real SkillCorner trajectories when available)."""
    from ..synth.generate import SynthConfig, generate_dataset

    with tempfile.TemporaryDirectory() as tmp:
        try:
            folder = generate_dataset(tmp, SynthConfig(clips=1, frames=num_frames, seed=seed), progress=False)[0]
        except (ImportError, ValueError):
            folder = generate_dataset(tmp, SynthConfig(clips=1, frames=num_frames, seed=seed,
                                                       tracking="procedural"), progress=False)[0]
        frames, _, _ = load_frames(str(folder / "img1"), num_frames)
    return frames, 25.0, f"SoccerSynth demo clip, {len(frames)} frames 960x540"


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
    tracker: str = "bytetrack",
    split: str = "test",
    report=None,
    tracking_model: str | None = None,
    commentary_model: str | None = None,
) -> dict:
    """Run the pipeline (see the module docstring); returns the summary dictionary (also written to disk).

    `precision`: `"fp32"`, `"bf16"` (the backbone and the convolutional pitch heads run in bfloat16; the detection
    head runs in float32 on the backbone's features, so boxes keep float32 resolution) or `"auto"` (bf16 on a CPU
    with native bfloat16 instructions, else fp32). `report`: a :class:`~soccermaster_hf.data.report.DataReport` that
    counts the input files skipped (non-regular or unreadable files of a frame folder). `tracker`: `"bytetrack"`,
    `"motip"` (needs `tracking_model`, a `SoccerMasterForMultiObjectTracking` trained on this model's detector) or
    `"hungarian"`. `split`: the SoccerNet split
    of the image ids when the input has no `Labels-GameState.json`. `commentary_model`: a commentary adapter folder;
    the summary then holds a generated line of `commentary` for the clip (`None` for a single image).
    """
    from ..processing import SoccerMasterImageProcessor

    started = time.perf_counter()
    output_dir = Path(output_dir)
    frames, fps, description = demo_frames(min(max_frames, 50), seed) if demo or source is None else \
        load_frames(source, max_frames, report)
    model, model_description = load_analysis_model(model_name)
    model.eval()
    motip = load_tracking_model_for(model, tracking_model) if tracker == "motip" else None
    commentator = None
    if commentary_model is not None:
        from ..training.commentary import load_commentary_model

        commentator = load_commentary_model(commentary_model)
    output_dir.mkdir(parents=True, exist_ok=True)  # only once input and model are good: a bad input leaves nothing
    backbone_dtype = _backbone_dtype(precision, next(model.parameters()).device)
    # backbone, pitch and event heads in bfloat16 where native (heatmap peaks are refined in float32); detection fp32
    model.to_mixed_precision(backbone_dtype)
    config = model.config
    processor = SoccerMasterImageProcessor.from_model_config(config)
    motip_settings = {"image_size": (frames[0].shape[1], frames[0].shape[0])} if motip is not None else {}
    tracker_runtime = make_tracker(tracker, frame_rate=fps, model=motip, **motip_settings)
    tracked, cameras, per_frame = [], [], []
    stats = {"model_seconds": 0.0, "event_features": []}
    for index, found, camera, failure in observe_frames(frames, model, processor, threshold, batch_size,
                                                        backbone_dtype, stats, progress):
        boxes = np.array([d.box for d in found]).reshape(-1, 4)
        embeddings = np.stack([d.embedding for d in found]) if found else np.zeros((0, config.detection_config.hidden_size))
        ids = tracker_runtime.update(index, boxes, embeddings, np.array([d.score for d in found]))
        for detection, track_id in zip(found, ids):
            detection.track_id = int(track_id)
        cameras.append(camera)
        tracked.append(TrackedFrame(index, [d for d in found if d.track_id > 0], calibrated=camera is not None))
        per_frame.append({"frame": index + 1, "athletes": len(found), "camera": camera is not None,
                          "calibration_failure": None if camera else str(failure)})
    calibrated = sum(camera is not None for camera in cameras)
    model_seconds, event_features = stats["model_seconds"], stats["event_features"]
    vote_game_state(tracked, image_width=frames[0].shape[1] if frames else None)
    overlay, minimaps = [], []
    for frame, frame_tracks, camera in zip(frames, tracked, cameras):
        found = frame_tracks.detections
        boxes = np.array([d.box for d in found]).reshape(-1, 4)
        attributes = {"roles": [d.role or "none" for d in found], "teams": [d.team for d in found],
                      "jerseys": [d.jersey for d in found]}
        overlay.append(draw_overlay(frame, boxes, [d.track_id for d in found], attributes, camera))
        ground = np.full((len(found), 3), np.nan)
        if camera is not None and len(found):
            feet = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]], axis=1)
            ground, _ = camera.backproject_to_ground(feet)
        minimaps.append(draw_minimap([(ground[i], found[i].team or "none", found[i].track_id)
                                      for i in range(len(found))]))
    with torch.inference_mode():
        event_logits = model(pooler_output=torch.cat(event_features, dim=1)).event_logits.float()
    probabilities = event_logits.softmax(-1)[0]
    top = probabilities.topk(min(3, len(probabilities)))
    labels = config.event_config.id2label
    events = [{"label": labels[int(i)], "score": float(s)} for s, i in zip(top.values, top.indices)]
    commentary = clip_commentary(frames, fps, *commentator) if commentator is not None else None
    write_video(output_dir / "overlay.mp4", overlay, fps)
    write_video(output_dir / "minimap.mp4", minimaps, fps)
    for name, image in (("minimap.png", minimaps[-1]), ("overlay_last.png", overlay[-1])):
        with atomic_path(output_dir / name) as path:
            if not cv2.imwrite(str(path), image):
                raise OSError(f"{output_dir / name}: could not write the image.")
    clip_name, mot_name, image_ids = clip_identity(None if demo else source, len(frames), split)
    write_gsr_clip(output_dir / f"{clip_name}.json", tracked, image_ids, clip_name)
    write_snmot(output_dir / f"{mot_name}.txt", tracked)
    elapsed = time.perf_counter() - started
    summary = {
        "input": description, "model": model_description, "frames": len(frames),
        "athletes_per_frame": float(np.mean([f["athletes"] for f in per_frame])),
        "tracks": len({d.track_id for f in tracked for d in f.detections}), "tracker": tracker,
        "game_state_file": f"{clip_name}.json", "tracking_file": f"{mot_name}.txt",
        "frames_calibrated": calibrated, "events": events, "commentary": commentary,
        "model_frames_per_second": len(frames) / max(model_seconds, 1e-9),
        "total_frames_per_second": len(frames) / elapsed, "backbone_precision": str(backbone_dtype).split(".")[-1],
        "per_frame": per_frame,
    }
    atomic_write_json(output_dir / "summary.json", summary)
    return summary


def observe_frames(frames: list[np.ndarray], model, processor, threshold: float, batch_size: int,
                   backbone_dtype: torch.dtype, stats: dict | None = None, progress: bool = False):
    """Per frame ``(index, detections, camera, failure)``: the post-processed detections (untracked:
    ``track_id`` 0) with decoder embeddings, torso colours and pitch positions, and the calibrated camera (``None``
    with the calibration's failure reason). One model pass per chunk of `batch_size` frames; `stats` collects
    ``model_seconds`` and the chunks' ``event_features`` (F_sem pooled) when given."""
    from tqdm.auto import tqdm

    stats = {"model_seconds": 0.0, "event_features": []} if stats is None else stats
    config = model.config
    previous_camera, preferred_subset = None, "all"
    for start in tqdm(range(0, len(frames), batch_size), desc="analyzing", disable=not progress):
        chunk = frames[start:start + batch_size]
        sizes = [frame.shape[:2] for frame in chunk]  # per frame: a folder may mix frame sizes
        inputs = processor(chunk, return_tensors="pt")["pixel_values"]
        tick = time.perf_counter()
        with torch.inference_mode():
            # one backbone pass: the chunk as one clip gives F_spa (per frame) and F_sem (for the events)
            out = model(inputs.unsqueeze(0).to(backbone_dtype))
        stats["model_seconds"] += time.perf_counter() - tick
        stats["event_features"].append(out.pooler_output)
        results = processor.post_process_game_state(out, target_sizes=sizes, threshold=threshold,
                                                    keypoint_threshold=config.pitch_config.keypoint_threshold)
        for offset, (frame, result_frame) in enumerate(zip(chunk, results)):
            index = start + offset
            height, width = frame.shape[:2]
            detection = result_frame.detections
            boxes = detection["boxes"].numpy()
            embeddings = result_frame.embeddings.numpy()
            observations = PitchObservations.from_pixels(
                (width, height), lines={name: np.array([p[:2] for p in points]) for name, points in
                                        result_frame.lines.items()},
                keypoints=dict(result_frame.keypoints), source=f"frame {index + 1}")
            # the previous frame's camera starts the solve (a broadcast camera moves little between frames)
            # and the subset of observations that worked there is tried first
            result = calibrate_predicted(observations, initial_camera=previous_camera, first=preferred_subset)
            camera = result.camera if result.success else None
            previous_camera = camera
            if camera is not None:
                preferred_subset = result.subset
            found = [TrackedDetection(
                track_id=0, box=boxes[i], score=float(detection["scores"][i]), role=detection["roles"][i],
                role_score=float(detection["role_scores"][i]), team=detection["teams"][i],
                team_score=float(detection["team_scores"][i]), jersey=detection["jerseys"][i],
                jersey_score=float(detection["jersey_scores"][i]), embedding=embeddings[i],
                colour=torso_colour(frame, boxes[i]), bbox_pitch=bbox_pitch(camera, boxes[i]))
                for i in range(len(boxes))]
            yield index, found, camera, result.failure


def _backbone_dtype(precision: str, device: torch.device) -> torch.dtype:
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"precision must be 'auto', 'fp32' or 'bf16', got {precision!r}.")
    if precision == "auto":
        # private torch helpers (present in torch 2.x); missing ones count as "no native bfloat16"
        checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
        native = device.type == "cpu" and any(bool(check()) for check in checks if check is not None)
        precision = "bf16" if native else "fp32"
    return torch.bfloat16 if precision == "bf16" else torch.float32


def clip_commentary(frames: list[np.ndarray], fps: float, model, processor, max_frames: int = 30) -> str | None:
    """One generated line of commentary for a clip: its frames sampled at 1 fps (at most `max_frames`, the 1-fps
    windows commentary is trained on), through the commentary model's own backbone; `None` for a single image."""
    from ..training.commentary import generate_commentary

    if len(frames) < 2:
        return None
    step = max(1, int(round(fps)))
    picked = np.stack(frames[::step][:max_frames])
    clip = torch.from_numpy(picked).permute(0, 3, 1, 2).float().div_(255.0)
    with torch.inference_mode():
        return generate_commentary(model, processor, [{"frames": clip}], max_new_tokens=32, do_sample=False)[0]


def load_tracking_model_for(model, tracking_model: str | None):
    """The `SoccerMasterForMultiObjectTracking` at `tracking_model`, checked to hold the same detector as `model`
    (its ID decoder reads that detector's embeddings)."""
    if tracking_model is None:
        raise ValueError("--tracker motip needs --tracking-model: a SoccerMasterForMultiObjectTracking folder "
                         "(`soccermaster train-tracking --init-from <your --model>`).")
    from ..modeling import SoccerMasterForMultiObjectTracking
    from ..utils.errors import load_pretrained

    motip = load_pretrained(SoccerMasterForMultiObjectTracking, tracking_model).eval()
    ours, theirs = model.detection_head.state_dict(), motip.detection_head.state_dict()
    same = ours.keys() == theirs.keys() and all(
        ours[key].shape == theirs[key].shape and torch.equal(ours[key].float(), theirs[key].float()) for key in ours)
    if not same:
        raise ValueError(f"{tracking_model}: its ID decoder was trained on another detector's embeddings (the "
                         "detection heads differ); train it from this model: soccermaster train-tracking "
                         "--init-from <model>.")
    return motip


def load_analysis_model(model_name: str | None):
    """The model to analyse with: `model_name` (folder or Hub id), else the default checkpoint shipped with the
    package, else (with a loud warning) a small untrained model so the pipeline still runs."""
    from ..modeling import SoccerMasterConfig, SoccerMasterForGameStateReconstruction

    if model_name:
        from ..utils.errors import load_pretrained

        return load_pretrained(SoccerMasterForGameStateReconstruction, model_name), model_name
    default = Path(__file__).parents[1] / "assets" / "default_checkpoint"
    if (default / "config.json").is_file():
        return SoccerMasterForGameStateReconstruction.from_pretrained(default), ("default checkpoint (trained on SoccerSynth; "
                                                                     "event head untrained)")
    import warnings

    warnings.warn("No --model and no default checkpoint in this installation: using an UNTRAINED model; boxes, "
                  "cameras and events are meaningless. Pass --model.", stacklevel=2)
    torch.manual_seed(0)
    config = SoccerMasterConfig.from_preset("tiny", num_frames=4)
    return SoccerMasterForGameStateReconstruction(config), "untrained tiny model (no checkpoint)"


__all__ = ["analyze", "clip_commentary", "demo_frames", "load_analysis_model", "load_tracking_model_for",
           "observe_frames"]
