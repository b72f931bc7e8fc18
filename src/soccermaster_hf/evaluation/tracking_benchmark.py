"""Trackers compared on the same detections of held-out SoccerSynth clips (``benchmarks/tracking.py``).

Per clip the model runs once (:func:`~soccermaster_hf.analysis.pipeline.observe_frames`: detections, decoder
embeddings, torso colours, cameras); every tracker then links the same detections, the tracklet game state is voted,
and the official evaluators score the written files: HOTA / DetA / AssA / MOTA / IDF1 (TrackEval
``MotChallenge2DBox``) and GS-HOTA (sn-trackeval ``SoccerNetGS``). Also: tracker milliseconds per frame, tracks per
real athlete, and role / team accuracy of the per-box classifier ("before") against the tracklet vote and team
clustering ("after"). With `linking` every tracker is also scored after offline tracklet linking with each of its
settings (:func:`~soccermaster_hf.tracking.linking.link_frames`, row ``"<name> + <label>"``): the same tracker output,
linked across the gaps it could not bridge.
"""

from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path

import numpy as np

from ..analysis.writers import write_gsr_clip, write_snmot
from ..tracking import TrackedFrame, make_tracker, vote_game_state
from ..tracking.linking import LinkingConfig, link_frames
from .tracking import evaluate_game_state, evaluate_mot
from .tracking_attributes import attribute_accuracy, tracks_per_athlete
from .tracking_ground_truth import ground_truth_frames

__all__ = ["benchmark_trackers", "observe_clip"]


def observe_clip(folder: Path, model, processor, threshold: float | None = None, batch_size: int = 4,
                 max_frames: int | None = None, reid=None) -> tuple[list[TrackedFrame], tuple[int, int]]:
    """The untracked detections (scoring >= `threshold`, default: the checkpoint's own) of a clip folder's frames,
    and the frame size ``(width, height)``; with `reid` (a :class:`~soccermaster_hf.tracking.reid.ReIdEmbedder`),
    the athletes' re-identification embeddings."""
    import torch

    from ..analysis.pipeline import observe_frames, score_threshold
    from ..data.images import load_frames

    frames, _, _ = load_frames(str(folder / "img1"), max_frames or 10**9)
    observed = [TrackedFrame(index, found, calibrated=camera is not None) for index, found, camera, _ in
                observe_frames(frames, model, processor, score_threshold(model.config, threshold), batch_size,
                               torch.float32, reid=reid)]
    return observed, (int(frames[0].shape[1]), int(frames[0].shape[0]))


def _run_tracker(name: str, observed: list[TrackedFrame], model=None, **settings) -> tuple[list[TrackedFrame], float]:
    tracker = make_tracker(name, frame_rate=25.0, model=model, **settings)
    frames, seconds = [], 0.0
    for frame in copy.deepcopy(observed):
        found = frame.detections
        boxes = np.array([d.box for d in found]).reshape(-1, 4)
        embeddings = np.stack([d.embedding for d in found]) if found else None
        tick = time.perf_counter()
        ids = tracker.update(frame.frame_index, boxes, embeddings if embeddings is not None else np.zeros((0, 1)),
                             np.array([d.score for d in found]))
        seconds += time.perf_counter() - tick
        for detection, track_id in zip(found, ids):
            detection.track_id = int(track_id)
        frames.append(TrackedFrame(frame.frame_index, [d for d in found if d.track_id > 0], frame.calibrated))
    return frames, 1000.0 * seconds / max(1, len(observed))


def benchmark_trackers(data: Path, model, processor, trackers: dict[str, dict], motip_model=None,
                       threshold: float | None = None, max_frames: int | None = None,
                       linking: dict[str, LinkingConfig] | None = None, fps: float = 25.0, reid=None
                       ) -> dict[str, dict]:
    """Scores per tracker name on every clip folder under `data` (settings: keyword arguments of each tracker); with
    `linking` (``{label: settings}``), also per ``"<name> + <label>"``: the tracker's output linked offline (with
    `reid`, a :class:`~soccermaster_hf.tracking.reid.ReIdEmbedder`, on the athletes' re-identification embeddings
    too)."""
    clips = sorted(p for p in Path(data).iterdir() if (p / "Labels-GameState.json").is_file())
    observed = {clip.name: observe_clip(clip, model, processor, threshold, max_frames=max_frames, reid=reid)
                for clip in clips}
    truth = {clip.name: ground_truth_frames(clip) for clip in clips}
    num_frames = len(next(iter(observed.values()))[0])
    report = {}
    for name, settings in trackers.items():
        settings = dict(settings)
        kind = settings.pop("tracker", name)
        tracked_clips, timings = {}, []
        for clip in clips:
            frames_in, image_size = observed[clip.name]
            extra = {"image_size": image_size} if kind == "motip" else {}
            tracked, ms = _run_tracker(kind, frames_in, model=motip_model if kind == "motip" else None,
                                       **settings, **extra)
            tracked_clips[clip.name] = tracked
            timings.append(ms)
        variants = {name: None, **{f"{name} + {label}": settings for label, settings in (linking or {}).items()}}
        for variant, settings in variants.items():
            per_clip = copy.deepcopy(tracked_clips)
            report[variant] = _score(clips, per_clip, observed, truth, num_frames, settings, fps)
            report[variant]["tracker ms/frame"] = float(np.mean(timings))
    return report


def _score(clips: list[Path], tracked_clips: dict[str, list[TrackedFrame]], observed: dict, truth: dict,
           num_frames: int, linking: LinkingConfig | None, fps: float) -> dict:
    """The official scores and the attribute accuracies of one tracker's output on every clip (vote and, with
    `linking` settings, linking first: both modify the frames in place)."""
    fragments, before, after = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for clip in clips:
            tracked = tracked_clips[clip.name]
            image_size = observed[clip.name][1]
            gt_frames, image_ids = truth[clip.name]
            gt_frames = gt_frames[:len(tracked)]
            before.append(attribute_accuracy(tracked, gt_frames))
            if linking is not None:
                link_frames(tracked, fps, linking, image_width=float(image_size[0]))
            vote_game_state(tracked, image_width=float(image_size[0]))
            after.append(attribute_accuracy(tracked, gt_frames))
            fragments.append(tracks_per_athlete(tracked, gt_frames))
            write_snmot(out / f"{clip.name}.txt", tracked)
            write_gsr_clip(out / f"{clip.name}.json", tracked, image_ids)
        gt_root = _truncated_ground_truth(clips, out / "gt", num_frames)
        mot = evaluate_mot(gt_root, out, [c.name for c in clips])
        gs = evaluate_game_state(gt_root, out, [c.name for c in clips], split="test")
    return {
        "HOTA": mot.hota, "DetA": mot.deta, "AssA": mot.assa, "MOTA": mot.mota, "IDF1": mot.idf1,
        "GS-HOTA": gs.gs_hota, "tracks per athlete": float(np.nanmean(fragments)),
        "role accuracy before": _weighted(before, "role"), "role accuracy after": _weighted(after, "role"),
        "team accuracy before": _weighted(before, "team"), "team accuracy after": _weighted(after, "team"),
    }


def _weighted(results: list[dict], key: str) -> float:
    counts = np.array([r[f"{key}s_compared"] for r in results], float)
    values = np.array([r[f"{key}_accuracy"] for r in results], float)
    keep = counts > 0
    return float(np.sum(values[keep] * counts[keep]) / counts[keep].sum()) if keep.any() else float("nan")


def _truncated_ground_truth(clips: list[Path], root: Path, num_frames: int) -> Path:
    """The clips' SNMOT and GSR ground truth cut to the first `num_frames` frames (the frames that were analysed)."""
    import json

    for clip in clips:
        target = root / clip.name
        (target / "gt").mkdir(parents=True)
        rows = [line for line in (clip / "gt" / "gt.txt").read_text().splitlines()
                if line and int(line.split(",")[0]) <= num_frames]
        (target / "gt" / "gt.txt").write_text("".join(f"{row}\n" for row in rows))
        info = (clip / "seqinfo.ini").read_text().splitlines()
        (target / "seqinfo.ini").write_text("".join(
            f"seqLength={num_frames}\n" if line.startswith("seqLength=") else f"{line}\n" for line in info))
        labels = json.loads((clip / "Labels-GameState.json").read_text())
        images = sorted(labels["images"], key=lambda image: image["file_name"])[:num_frames]
        kept = {image["image_id"] for image in images}
        labels["images"] = images
        labels["annotations"] = [a for a in labels["annotations"] if a["image_id"] in kept]
        (target / "Labels-GameState.json").write_text(json.dumps(labels))
    return root
