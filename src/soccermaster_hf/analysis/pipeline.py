"""The main job: a match video in, athletes with identities, calibrated cameras, a minimap and spotted events out, in
memory that does not depend on the video's length.

Streaming (decode -> batch -> model -> post-process -> write): frames are decoded one at a time
(:class:`~soccermaster_hf.analysis.source.FrameSource`), run through the spatial layers in chunks of `batch_size`
(image mode: the temporal layers only run for the event windows), and every result is written as soon as it exists:

* per frame: the detection head gives athletes (box, role, team, jersey, decoder embedding); a tracker (`--tracker`:
  ByteTrack from the `trackers` library, the MOTIP ID decoder, or the Hungarian IoU + cosine baseline) links them;
  cuts are detected and the view classified (:mod:`~soccermaster_hf.analysis.cameras`); on main-camera views the pitch
  heads' keypoints and lines give a camera (warm-started from the previous frame of the shot), which counts only when
  :class:`~soccermaster_hf.analysis.cameras.CameraGate` finds it plausible; athletes are projected onto the pitch
  through the bottom edge of their boxes; the overlay and minimap frames are drawn and encoded at once.
* per second: F_spa of one frame feeds the event spotter (30-frame 1-fps windows every `spotting_stride` s,
  :mod:`~soccermaster_hf.analysis.spotting`).
* per segment (`segment_seconds` of video): the rows, windows and videos of the segment are committed
  (:mod:`~soccermaster_hf.analysis.segments`); a killed run continues from the last commit with ``--resume``.
* at the end, from the rows on disk: roles and jerseys by tracklet vote and teams by clustering the athletes' torso
  colours (left / right from the pitch positions), then the outputs.

Writes to `--out`: ``overlay.mp4`` (boxes, ids, role / jersey labels in team colours, projected pitch lines; teams as
known when the frame was drawn), ``minimap.mp4``, ``minimap.png`` (the frame with the most athletes on a plausible
camera), ``overlay_last.png``, ``SNGS-xxx.json`` (SoccerNet-GSR predictions, scored by sn-trackeval's GS-HOTA),
``SNMOT-xxx.txt`` (MOTChallenge rows), ``cameras/NNNNNN.json`` (SoccerNet camera JSON of every calibrated frame,
1-based frame numbers), ``frames.jsonl`` (per frame: shot, view, camera status, athletes), ``results_spotting.json``
(SoccerNet-v2 action spotting), ``events.json`` (every spotted event keyword and the window scores) and
``summary.json``. The clip's name and image ids follow its ``Labels-GameState.json`` when the input is a clip folder
(or its ``img1/``), else ``SNGS-001`` with ids ``{split}{clip}{frame}``.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from ..data.images import load_frames
from ..geometry.calibrator import calibrate_predicted
from ..geometry.camera import Camera, pan_tilt_roll_to_rotation
from ..geometry.observations import PitchObservations
from ..modeling.modeling_soccermaster_detection import detection_output
from ..modeling.modeling_soccermaster_pitch import pitch_output
from ..tracking import TrackedDetection, make_tracker, torso_colour
from ..tracking.game_state import TrackSummary, team_assignment
from ..utils.io import _temporary_name as temporary_name
from ..utils.io import atomic_path, atomic_write_json, clean_stale_staging, write_marker
from .cameras import OTHER_VIEW, CameraGate, ShotDetector, main_camera_class, view_class
from .kloppy_export import SkillCornerWriter
from .render import VideoWriter, concatenate_videos, draw_minimap, draw_overlay
from .report import TeamPositions, write_report
from .segments import STATE_DIR, IdentityStitcher, SegmentStore, detection_from_row, detection_row, frame_from_row
from .source import FrameSource
from .spotting import EventSpotter, is_sample, results_spotting, spot_events
from .writers import bbox_pitch, clip_identity, gsr_prediction

RUN_FILE = "run.json"
# the summary lists the spotted events at least this confident (results_spotting.json and events.json keep all: the
# official average-mAP integrates over every confidence)
EVENT_THRESHOLD = 0.25
TEAM_REFRESH_FRAMES = 50  # the overlay's teams are re-clustered every this many frames


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


class AnalysisError(ValueError):
    """A run that cannot start or continue (bad range, a --resume whose settings differ); the message says why."""


def analyze(
    source: str | None,
    model_name: str | None,
    output_dir: str | Path,
    threshold: float = 0.5,
    max_frames: int | None = None,
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
    start: float = 0.0,
    end: float | None = None,
    resume: bool = False,
    segment_seconds: float = 60.0,
    spotting_stride: float = 5.0,
    half: int = 1,
    calibrate_every: int = 10,
) -> dict:
    """Run the pipeline (see the module docstring); returns the summary dictionary (also written to disk).

    `precision`: `"fp32"`, `"bf16"` (the backbone and the convolutional pitch heads run in bfloat16; the detection
    head runs in float32 on the backbone's features, so boxes keep float32 resolution) or `"auto"` (bf16 on a CPU
    with native bfloat16 instructions, else fp32). `report`: a :class:`~soccermaster_hf.data.report.DataReport` that
    counts the input problems skipped (unreadable images of a folder, corrupt packets, missing frames). `tracker`:
    `"bytetrack"`, `"motip"` (needs `tracking_model`, a `SoccerMasterForMultiObjectTracking` trained on this model's
    detector) or `"hungarian"`. `split`: the SoccerNet split of the image ids when the input has no
    `Labels-GameState.json`. `commentary_model`: a commentary adapter folder; the summary then holds a generated line
    of `commentary` for the first 30 s (`None` for a single image). `start` / `end` (seconds) and `max_frames` limit
    the frames analysed. `resume`: continue a killed run in `output_dir` with the same settings. `segment_seconds`:
    the commit interval. `spotting_stride`: seconds between event windows. `half`: the match half the video shows
    (SoccerNet-v2 `gameTime`). `calibrate_every`: solve the camera on every this many frames of a shot (and on its
    last frame); the frames between get cameras interpolated between two plausible keyframe cameras (1: every frame).
    """
    from ..processing import SoccerMasterImageProcessor

    started = time.perf_counter()
    output_dir = Path(output_dir)
    _check_settings(max_frames, batch_size, start, end, segment_seconds, spotting_stride, half, calibrate_every)
    if demo or source is None:
        frames, fps, description = demo_frames(min(max_frames or 50, 50), seed)
        frame_source = FrameSource.from_arrays(frames, fps, description)
    else:
        frame_source = FrameSource.open(source, report)
    first = frame_source.frame_at(start)
    last = frame_source.num_frames if end is None else frame_source.frame_at(end)
    if max_frames is not None:
        last = min(last, first + max_frames)
    if first >= last:
        raise AnalysisError(f"{source or 'demo'}: nothing to analyse between {start:g} s and "
                            f"{'the end' if end is None else f'{end:g} s'} (the input lasts "
                            f"{frame_source.duration:.1f} s).")
    model, model_description = load_analysis_model(model_name)
    model.eval()
    motip = load_tracking_model_for(model, tracking_model) if tracker == "motip" else None
    commentator = None
    if commentary_model is not None:
        from ..training.commentary import load_commentary_model

        commentator = load_commentary_model(commentary_model)
    settings = {"input": None if demo or source is None else _fingerprint(source), "demo_seed": seed if demo else None,
                "model": model_description, "threshold": threshold, "first": first, "last": last,
                "batch_size": batch_size, "precision": precision, "tracker": tracker, "tracking_model": tracking_model,
                "segment_seconds": segment_seconds, "spotting_stride": spotting_stride, "split": split, "half": half,
                "commentary_model": commentary_model, "calibrate_every": calibrate_every}
    store = SegmentStore(output_dir)
    previous = _read_run(output_dir)
    if resume and previous is not None and previous.get("settings") != settings:
        changed = sorted(k for k in settings if previous.get("settings", {}).get(k) != settings[k])
        raise AnalysisError(f"{output_dir}: --resume with other settings than the stopped run ({', '.join(changed)}"
                            " differ); run again without --resume to start over.")
    if resume and previous is not None and previous.get("complete") and (output_dir / "summary.json").is_file():
        return json.loads((output_dir / "summary.json").read_text(encoding="utf-8"))
    output_dir.mkdir(parents=True, exist_ok=True)  # only once input and model are good: a bad input leaves nothing
    write_marker(output_dir, "analyze")  # at once: a run killed by SIGKILL leaves a folder --resume accepts
    if not (resume and previous is not None):
        shutil.rmtree(store.root, ignore_errors=True)  # our own state folder (the marker says the folder is ours)
        if (output_dir / "cameras").is_dir():
            for file in (output_dir / "cameras").glob("[0-9]*.json"):
                file.unlink()
    store.root.mkdir(parents=True, exist_ok=True)
    for folder in (output_dir, store.root, output_dir / "cameras", output_dir / "tracking"):
        clean_stale_staging(folder)  # temporary files a killed run left (only the package's temporary-name pattern)
    atomic_write_json(store.root / RUN_FILE, {"settings": settings, "complete": False})
    backbone_dtype = _backbone_dtype(precision, next(model.parameters()).device)
    # backbone, pitch and event heads in bfloat16 where native (heatmap peaks are refined in float32); detection fp32
    model.to_mixed_precision(backbone_dtype)
    run = _Run(model, SoccerMasterImageProcessor.from_model_config(model.config), frame_source, store, output_dir,
               first, last, threshold, batch_size, backbone_dtype, tracker, motip, segment_seconds, spotting_stride,
               commentator is not None, progress, calibrate_every)
    run.process()
    summary = run.finish(source if not demo else None, split, half, description=frame_source.description,
                         model_description=model_description, tracker=tracker, commentator=commentator,
                         elapsed=time.perf_counter() - started)
    atomic_write_json(store.root / RUN_FILE, {"settings": settings, "complete": True})
    return summary


def _check_settings(max_frames, batch_size, start, end, segment_seconds, spotting_stride, half,
                    calibrate_every) -> None:
    def positive(name, value, integer=False):
        ok = isinstance(value, int) and not isinstance(value, bool) if integer else \
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or value <= 0:
            raise AnalysisError(f"{name} must be a positive {'integer' if integer else 'number'}, got {value!r}.")

    if max_frames is not None:
        positive("max_frames", max_frames, integer=True)
    positive("batch_size", batch_size, integer=True)
    positive("calibrate_every", calibrate_every, integer=True)
    positive("segment_seconds", segment_seconds)
    positive("spotting_stride", spotting_stride)
    if not isinstance(start, (int, float)) or not math.isfinite(start) or start < 0:
        raise AnalysisError(f"start must be a number of seconds >= 0, got {start!r}.")
    if end is not None and (not isinstance(end, (int, float)) or not math.isfinite(end) or end <= start):
        raise AnalysisError(f"end must be a number of seconds after start ({start:g}), got {end!r}.")
    if half not in (1, 2):
        raise AnalysisError(f"half must be 1 or 2, got {half!r}.")


def _fingerprint(source: str) -> dict:
    path = Path(source).resolve()
    info = path.stat()
    return {"path": str(path), "size": info.st_size, "mtime": int(info.st_mtime)}


def _read_run(output_dir: Path) -> dict | None:
    try:
        return json.loads((output_dir / STATE_DIR / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _replace_text(path: Path, text: str) -> None:
    """Write `path` through a temporary file and a rename, without fsync: for the per-frame camera files, which a
    resumed run rewrites whenever their segment was not committed (the commit itself is fsync-ed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = temporary_name(path)  # the package's temporary-name pattern: a killed run's leftovers are cleaned
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


class _Renderer:
    """Draws and encodes the overlay and minimap frames in a worker thread (OpenCV and the H.264 encoder release the
    GIL, so drawing overlaps the model and the solver on the other core); at most `depth` frames wait. Keeps the
    best minimap (the most athletes on the pitch with a camera) as ``minimap.png`` and the last overlay."""

    def __init__(self, overlay: VideoWriter, minimap: VideoWriter, best_path: Path, best: float, depth: int = 8):
        import queue
        import threading

        self.overlay, self.minimap, self.best_path, self.best = overlay, minimap, best_path, best
        self.last_overlay: np.ndarray | None = None
        self.error: BaseException | None = None
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.thread = threading.Thread(target=self._work, name="soccermaster-render", daemon=True)
        self.thread.start()

    def submit(self, frame, boxes, ids, attributes, camera) -> None:
        if self.error is not None:
            raise RuntimeError(f"drawing the overlay failed: {self.error}") from self.error
        self.queue.put((frame, boxes, ids, attributes, camera))

    def _work(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is not None:
                continue
            try:
                self._draw(*item)
            except BaseException as error:  # noqa: BLE001 - handed to the main thread at the next submit / close
                self.error = error

    def _draw(self, frame, boxes, ids, attributes, camera) -> None:
        image = draw_overlay(frame, boxes, ids, attributes, camera)
        ground = np.full((len(ids), 3), np.nan)
        if camera is not None and len(ids):
            feet = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]], axis=1)
            ground, _ = camera.backproject_to_ground(feet)
        on_pitch = float(np.sum((np.abs(ground[:, 0]) <= 55) & (np.abs(ground[:, 1]) <= 37))) if len(ids) else 0.0
        teams = attributes["teams"]
        points = draw_minimap([(ground[i], teams[i] or "none", ids[i]) for i in range(len(ids))])
        self.overlay.write(image[..., ::-1])
        self.minimap.write(points[..., ::-1])
        if camera is not None and on_pitch > self.best:
            self.best = on_pitch
            with atomic_path(self.best_path) as path:
                cv2.imwrite(str(path), points)
        self.last_overlay = image

    def close(self) -> tuple[float, np.ndarray | None]:
        """Wait for the queued frames, publish the two videos; returns ``(best, last_overlay)``."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            self.overlay.abort()
            self.minimap.abort()
            raise RuntimeError(f"drawing the overlay failed: {self.error}") from self.error
        self.overlay.close()
        self.minimap.close()
        return self.best, self.last_overlay


class _FrameResult:
    """One frame's detections (post-processed) and, on demand, its pitch keypoints and lines: the pitch heads run
    on the frame's F_spa only when the frame is calibrated."""

    __slots__ = ("run", "detections", "embeddings", "state", "size", "_pitch")

    def __init__(self, run: _Run, detections: dict, embeddings: torch.Tensor, state: torch.Tensor, size):
        self.run, self.detections, self.embeddings, self.state, self.size = run, detections, embeddings, state, size
        self._pitch = None

    def pitch(self) -> dict:
        """``{"keypoints": ..., "lines": ...}`` in pixels (see `post_process_keypoints`)."""
        if self._pitch is None:
            model, run = self.run.model, self.run
            with torch.inference_mode():
                out = pitch_output(model.keypoint_head, model.line_head, model.config.pitch_config, self.state)
            self._pitch = run.processor.post_process_keypoints(
                out, target_sizes=[self.size], threshold=model.config.pitch_config.keypoint_threshold)[0]
            self.state = None
        return self._pitch


class _Pending:
    """A frame waiting for its camera (keyframes are calibrated; the frames between get interpolated cameras)."""

    __slots__ = ("index", "frame", "result", "found", "view", "shot", "camera", "status", "keyframe")

    def __init__(self, index, frame, result, found, view, shot):
        self.index, self.frame, self.result, self.found, self.view, self.shot = index, frame, result, found, view, shot
        self.camera, self.status, self.keyframe = None, "not a main-camera view", False


class _SegmentState:
    """The per-segment machinery of a run: tracker, identity stitching, shot detector, camera gate, the frames waiting
    for a camera, the segment's videos, and the stage timers."""

    def __init__(self, run: _Run, index: int, state: dict):
        self.run = run
        self.tracker = run._make_tracker()
        self.stitch = IdentityStitcher(state["last_tracks"], next_id=state["next_id"])
        self.gate = CameraGate()
        self.shots = ShotDetector()
        if state["histogram"] is not None:
            self.shots.previous = np.asarray(state["histogram"], np.float32).reshape(16, 8)
        self.warm_camera = None
        if state["camera"] is not None:
            self.gate.previous = self.warm_camera = Camera.from_dict(state["camera"])
            self.gate.previous_frame = state["camera_frame"]
            self.gate.state = None if state["gate_state"] is None else np.asarray(state["gate_state"], float)
            self.gate.jumps = state.get("gate_jumps", 0)
        run.spotter.next_end = state["spotter_next_end"]
        self.shot, self.shot_start, self.best = state["shot"], state["shot_start"], state["best_minimap"]
        self.last_key: _Pending | None = None  # the last calibrated keyframe of the current shot
        if self.gate.previous is not None and state.get("key_camera") is not None:
            # the previous segment ended on a keyframe of this shot: the first frames interpolate from it
            self.last_key = _Pending(state["key_frame"], None, None, [], "main", self.shot)
            self.last_key.camera, self.last_key.keyframe = Camera.from_dict(state["key_camera"]), True
        self.preferred = "all"
        self.failures, self.next_try = state.get("failures", 0), state.get("next_try", 0)
        self.stages = dict(state["stage_seconds"])
        self.model_seconds = state["model_seconds"]
        self.renderer = _Renderer(VideoWriter(run.store.path(index, "overlay.mp4"), run.fps),
                                  VideoWriter(run.store.path(index, "minimap.mp4"), run.fps),
                                  run.output_dir / "minimap.png", self.best)
        self.last_tracks: list = []
        self.last_overlay = None
        self.pending: list[_Pending] = []
        self.rows_file = self.windows_file = None

    def tick(self, name: str, since: float) -> None:
        self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - since

    def state(self, begin: int, end: int) -> dict:
        gate = self.gate
        return {"next_id": self.stitch.next_id, "last_tracks": self.last_tracks,
                "camera": None if gate.previous is None else gate.previous.to_dict(),
                "camera_frame": gate.previous_frame,
                "gate_state": None if gate.state is None else [float(v) for v in gate.state],
                "gate_jumps": gate.jumps, "failures": self.failures, "next_try": self.next_try, "histogram": None if self.shots.previous is None else self.shots.previous.ravel().tolist(),
                "shot": self.shot, "shot_start": self.shot_start, "best_minimap": self.best,
                "spotter_next_end": self.run.spotter.next_end, "model_seconds": self.model_seconds,
                "stage_seconds": self.stages, "begin": begin, "end": end,
                "key_camera": None if self.last_key is None or self.last_key.index != end - 1 else
                self.last_key.camera.to_dict(),
                "key_frame": None if self.last_key is None else self.last_key.index}

    def add_frame(self, frame_index: int, frame: np.ndarray, result) -> None:
        run = self.run
        clock = time.perf_counter()
        detection = result.detections
        boxes = detection["boxes"].numpy().reshape(-1, 4)
        athletes = np.array([r != "ball" for r in detection["roles"]], dtype=bool)
        if self.shots.update(frame):
            # a cut: the old shot's last waiting frame becomes a keyframe, so its frames get cameras too
            self.flush(final=True)
            self.shot, self.shot_start, self.warm_camera, self.preferred = self.shot + 1, frame_index, None, "all"
            self.gate.reset()
            self.last_key, self.failures, self.next_try = None, 0, 0
        view = view_class(frame, boxes[athletes] if len(boxes) else boxes)
        self.tick("shots", clock)
        clock = time.perf_counter()
        embeddings = result.embeddings.numpy()
        found = [TrackedDetection(
            track_id=0, box=boxes[i], score=float(detection["scores"][i]), role=detection["roles"][i],
            role_score=float(detection["role_scores"][i]), team=detection["teams"][i],
            team_score=float(detection["team_scores"][i]), jersey=detection["jerseys"][i],
            jersey_score=float(detection["jersey_scores"][i]), embedding=embeddings[i],
            colour=torso_colour(frame, boxes[i])) for i in range(len(boxes))]
        hidden = run.model.config.detection_config.hidden_size
        local = self.tracker.update(frame_index, boxes, embeddings if len(found) else np.zeros((0, hidden)),
                                    np.array([d.score for d in found]))
        for found_detection, track_id in zip(found, self.stitch(list(local), boxes)):
            found_detection.track_id = int(track_id)
        self.tick("tracking", clock)
        item = _Pending(frame_index, frame, result, [d for d in found if d.track_id > 0], view, self.shot)
        self.pending.append(item)
        if (view == "main" and (frame_index - self.shot_start) % run.calibrate_every == 0
                and frame_index >= self.next_try):
            self.calibrate(item)
            self.flush()

    def calibrate(self, item: _Pending) -> None:
        """Solve and gate the camera of a keyframe."""
        clock = time.perf_counter()
        pitch = item.result.pitch()
        elapsed = time.perf_counter() - clock
        self.model_seconds += elapsed  # the pitch heads and their post-processing count as the model's time
        self.stages["pitch heads"] = self.stages.get("pitch heads", 0.0) + elapsed
        clock = time.perf_counter()
        frame = item.frame
        height, width = frame.shape[:2]
        observations = PitchObservations.from_pixels(
            (width, height), lines={name: np.array([p[:2] for p in points]) for name, points in pitch["lines"].items()},
            keypoints=dict(pitch["keypoints"]), source=f"frame {item.index + 1}")
        solved = calibrate_predicted(observations, initial_camera=self.warm_camera, first=self.preferred)
        boxes = np.array([d.box for d in item.found]).reshape(-1, 4)
        athletes = [d.role != "ball" for d in item.found]
        feet = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]], axis=1)[athletes] if len(boxes) else \
            np.zeros((0, 2))
        decision = self.gate.check(item.index, solved.camera if solved.success else None, feet, width, height)
        if solved.success:
            self.warm_camera, self.preferred = solved.camera, solved.subset
        item.keyframe, item.camera = True, decision.camera
        # a failed solve costs several full searches: after failures, try again 2x, then 4x later (within the shot)
        self.failures = 0 if decision.camera is not None else self.failures + 1
        self.next_try = item.index + self.run.calibrate_every * (2 ** min(self.failures, 2)) if self.failures else 0
        item.status = "ok" if decision.camera is not None else (decision.reason or str(solved.failure))
        self.tick("calibration", clock)

    def flush(self, final: bool = False) -> None:
        """Write the waiting frames up to the last keyframe (all of them when `final`: the last waiting main-view
        frame is calibrated first). Frames between two plausible keyframes of a shot get the interpolated camera."""
        if final and self.pending and not self.pending[-1].keyframe and self.pending[-1].view == "main":
            self.calibrate(self.pending[-1])
        keys = [k for k, item in enumerate(self.pending) if item.keyframe]
        if not keys and not final:
            return
        upto = len(self.pending) if final else keys[-1] + 1
        ready, self.pending = self.pending[:upto], self.pending[upto:]
        for item in ready:
            if item.keyframe:
                if item.camera is not None:
                    self.last_key = item
                self._write(item)
                continue
            if item.view == "main":
                after = next((k for k in ready if k.keyframe and k.index > item.index), None)
                before = self.last_key if self.last_key is not None and self.last_key.index < item.index else None
                if before is not None and after is not None and after.camera is not None:
                    weight = (item.index - before.index) / (after.index - before.index)
                    item.camera, item.status = interpolate_camera(before.camera, after.camera, weight), "ok"
                else:
                    item.status = "no plausible keyframe camera on both sides"
            self._write(item)

    def _write(self, item: _Pending) -> None:
        run, camera = self.run, item.camera
        clock = time.perf_counter()
        for detection in item.found:
            detection.bbox_pitch = bbox_pitch(camera, detection.box)
        tracked = [detection_row(d) for d in item.found]
        view_name = (main_camera_class(camera) if camera is not None else
                     ("Main camera center" if item.view == "main" else OTHER_VIEW))
        row = {"frame": item.index, "time": round(item.index / run.fps, 3), "shot": item.shot, "view": view_name,
               "camera": None if camera is None else camera.to_dict(), "calibration": item.status,
               "keyframe": item.keyframe, "athletes": len(item.result.detections["boxes"]), "detections": tracked}
        self.rows_file.write(json.dumps(row) + "\n")
        if camera is not None:
            _replace_text(run.output_dir / "cameras" / f"{item.index + 1:06d}.json", json.dumps(camera.to_dict()))
        self.tick("write", clock)
        clock = time.perf_counter()
        detections = [detection_from_row(r) for r in tracked]
        for d in detections:
            run.summaries.setdefault(d.track_id, TrackSummary()).add(d)
        if not run.online_teams or (item.index - run.first) % TEAM_REFRESH_FRAMES == 0:
            # teams as known so far (new tracks get theirs at the next refresh): a bounded cost per frame
            run.online_teams = team_assignment(run.summaries, image_width=run.source.width,
                                               role_of=lambda _, summary: summary.role)
        boxes = np.array([d.box for d in detections]).reshape(-1, 4)
        attributes = {"roles": [(run.summaries[d.track_id].role or "none") for d in detections],
                      "teams": [run.online_teams.get(d.track_id) for d in detections],
                      "jerseys": [run.summaries[d.track_id].jersey if d.jersey is not None else None
                                  for d in detections]}
        self.renderer.submit(item.frame, boxes, [d.track_id for d in detections], attributes, camera)
        self.last_tracks = [(d.track_id, [float(v) for v in d.box]) for d in detections]
        step = max(1, int(round(run.fps)))
        if run.keep_commentary_frames and len(run.commentary_frames) < 30 and (item.index - run.first) % step == 0:
            run.commentary_frames.append(item.frame)
        self.tick("render", clock)


def interpolate_camera(a: Camera, b: Camera, weight: float) -> Camera:
    """The camera `weight` (0..1) of the way from `a` to `b`: pan, tilt, roll, focal lengths and position linearly
    (the two keyframes of a shot are a few frames apart, so the angles are close)."""
    pa, pb = np.array(a.pan_tilt_roll), np.array(b.pan_tilt_roll)
    delta = (pb - pa + 180.0) % 360.0 - 180.0
    pan, tilt, roll = pa + weight * delta
    out = b.copy()
    out.rotation = pan_tilt_roll_to_rotation(pan, tilt, roll)
    out.fx, out.fy = (1 - weight) * a.fx + weight * b.fx, (1 - weight) * a.fy + weight * b.fy
    out.cx, out.cy = (1 - weight) * a.cx + weight * b.cx, (1 - weight) * a.cy + weight * b.cy
    out.position = (1 - weight) * a.position + weight * b.position
    return out


class _Run:
    """One streaming analysis (see the module docstring); holds the per-segment state only."""

    def __init__(self, model, processor, source: FrameSource, store: SegmentStore, output_dir: Path, first: int,
                 last: int, threshold: float, batch_size: int, dtype, tracker: str, motip, segment_seconds: float,
                 spotting_stride: float, keep_commentary_frames: bool, progress: bool, calibrate_every: int = 1):
        self.model, self.processor, self.source, self.store, self.output_dir = model, processor, source, store, output_dir
        self.first, self.last, self.threshold, self.batch_size, self.dtype = first, last, threshold, batch_size, dtype
        self.tracker_name, self.motip, self.progress = tracker, motip, progress
        self.calibrate_every = calibrate_every
        self.fps = source.fps
        self.segment_frames = max(1, int(round(segment_seconds * self.fps)))
        self.spotting_stride = spotting_stride
        self.keep_commentary_frames = keep_commentary_frames
        self.commentary_frames: list[np.ndarray] = []
        window = 30
        duration = (last - first) / self.fps
        self.short_clip = None
        if last - first == 1:
            self.short_clip = []  # a single image: no events
        elif duration < window:
            step = (last - first) / window
            self.short_clip = sorted({first + min(last - first - 1, int(step * (k + 0.5))) for k in range(window)})
        self.spotter = EventSpotter(model, self.fps, window=window, stride=spotting_stride, short_clip=self.short_clip)

    # ------------------------------------------------------------------------------------------------ segments
    def segments(self) -> list[tuple[int, int, int]]:
        out, begin, index = [], self.first, 0
        while begin < self.last:
            out.append((index, begin, min(self.last, begin + self.segment_frames)))
            begin += self.segment_frames
            index += 1
        return out

    def process(self) -> None:
        from tqdm.auto import tqdm

        segments = self.segments()
        done = set(self.store.committed())
        state = self.store.state(max(done)) if done else self._initial_state()
        todo = [s for s in segments if s[0] not in done]
        self.summaries = self._summaries_from_rows()
        self.online_teams: dict[int, str | None] = {}
        if todo and done:
            self._warm_up_spotter(todo[0][1])
        if todo and done and self.keep_commentary_frames:
            self._collect_commentary_frames()  # the first 30 s at 1 fps, decoded again
        bar = tqdm(total=self.last - self.first, initial=sum(e - b for i, b, e in segments if i in done),
                   desc="analyzing", unit="frame", disable=not self.progress or not todo)
        try:
            for index, begin, end in todo:
                state = self._segment(index, begin, end, state, bar)
        finally:
            bar.close()

    def _initial_state(self) -> dict:
        return {"next_id": 1, "last_tracks": [], "camera": None, "camera_frame": None, "gate_state": None,
                "histogram": None, "shot": -1, "shot_start": self.first, "best_minimap": -1.0,
                "spotter_next_end": None, "model_seconds": 0.0, "stage_seconds": {}}

    def _summaries_from_rows(self) -> dict[int, TrackSummary]:
        summaries: dict[int, TrackSummary] = {}
        for row in self.store.rows():
            for record in row["detections"]:
                summaries.setdefault(record["track_id"], TrackSummary()).add(detection_from_row(record))
        return summaries

    def _warm_up_spotter(self, begin: int) -> None:
        """Refill the spotter's F_spa buffer with the 1-fps frames before `begin` (a resumed run)."""
        window_frames = int(math.ceil(self.spotter.window * self.fps)) + 1
        wanted = [(i, f) for i, f in self.source.frames(max(self.first, begin - window_frames), begin)
                  if self.spotter.wants(i)]
        for k in range(0, len(wanted), self.batch_size):
            chunk = wanted[k:k + self.batch_size]
            pixel_values = self.processor([f for _, f in chunk], return_tensors="pt")["pixel_values"]
            with torch.inference_mode():
                states = self.model.vision_model(pixel_values.to(self.dtype)).spatial_hidden_state
            for (index, _), spatial in zip(chunk, states):
                self.spotter.buffer.append((index, spatial.clone()))

    def _collect_commentary_frames(self) -> None:
        step = max(1, int(round(self.fps)))
        self.commentary_frames = []
        for index, frame in self.source.frames(self.first, min(self.last, self.first + 30 * step)):
            if (index - self.first) % step == 0 and len(self.commentary_frames) < 30:
                self.commentary_frames.append(frame)

    def _make_tracker(self):
        settings = {"image_size": (self.source.width, self.source.height)} if self.motip is not None else {}
        return make_tracker(self.tracker_name, frame_rate=self.fps, model=self.motip, **settings)

    # ------------------------------------------------------------------------------------------------ one segment
    def _segment(self, index: int, begin: int, end: int, state: dict, bar) -> dict:
        """Analyse frames `begin`..`end` - 1 as segment `index` (see the module docstring) and commit it."""
        store = self.store
        seg = _SegmentState(self, index, state)
        rows_path, windows_path = store.path(index, "rows.jsonl"), store.path(index, "windows.jsonl")
        with atomic_path(rows_path) as rows_tmp, atomic_path(windows_path) as windows_tmp, \
                open(rows_tmp, "w", encoding="utf-8") as rows_file, \
                open(windows_tmp, "w", encoding="utf-8") as windows_file:
            seg.rows_file, seg.windows_file = rows_file, windows_file
            chunk: list[tuple[int, np.ndarray]] = []
            clock = time.perf_counter()
            frames = self.source.frames(begin, end)
            while True:
                item = next(frames, None)
                if item is not None:
                    chunk.append(item)
                    if len(chunk) < self.batch_size:
                        continue
                if not chunk:
                    break
                seg.tick("decode", clock)
                self._chunk(seg, chunk)
                bar.update(len(chunk))
                chunk = []
                clock = time.perf_counter()
                if item is None:
                    break
            seg.flush(final=True)
            if self.short_clip is not None and end == self.last:
                for window in self.spotter.finish():
                    windows_file.write(json.dumps(window) + "\n")
        clock = time.perf_counter()
        seg.best, seg.last_overlay = seg.renderer.close()
        if seg.last_overlay is not None:
            with atomic_path(self.output_dir / "overlay_last.png") as path:
                cv2.imwrite(str(path), seg.last_overlay)
        seg.tick("render", clock)
        new_state = seg.state(begin, end)
        atomic_write_json(store.path(index, "done.json"), new_state)
        return new_state

    def _chunk(self, seg: _SegmentState, chunk: list[tuple[int, np.ndarray]]) -> None:
        """One model pass over a chunk of frames, then each frame's shot, view, detections and tracks."""
        clock = time.perf_counter()
        pixel_values = self.processor([f for _, f in chunk], return_tensors="pt")["pixel_values"]
        seg.tick("preprocess", clock)
        clock = time.perf_counter()
        with torch.inference_mode():
            vision = self.model.vision_model(pixel_values.to(self.dtype))
            states = vision.spatial_hidden_state
            # the detection head on every frame; the pitch heads (most of the heads' cost) only on the keyframes
            # that are calibrated (`_FrameResult.pitch`)
            detection = detection_output(self.model.detection_head, states)
            for k, (frame_index, _) in enumerate(chunk):
                if self.spotter.wants(frame_index):
                    for window in self.spotter.add(frame_index, states[k].clone()):
                        seg.windows_file.write(json.dumps(window) + "\n")
        elapsed = time.perf_counter() - clock
        seg.model_seconds += elapsed
        seg.stages["model"] = seg.stages.get("model", 0.0) + elapsed
        clock = time.perf_counter()
        sizes = [f.shape[:2] for _, f in chunk]
        found = self.processor.post_process_object_detection(detection, threshold=self.threshold, target_sizes=sizes)
        hidden = detection.last_hidden_state.reshape(-1, *detection.last_hidden_state.shape[-2:])
        results = [_FrameResult(self, found[k], hidden[k, found[k]["query_indices"]].float(), states[k:k + 1],
                                sizes[k]) for k in range(len(chunk))]
        seg.tick("postprocess", clock)
        for (frame_index, frame), result in zip(chunk, results):
            seg.add_frame(frame_index, frame, result)

    def event_commentary(self, event: dict, commentator, window: float = 30.0) -> str | None:
        """A generated line for a spotted event: the 1-fps frames of the `window` seconds centred on it (decoded
        again; at most 30)."""
        begin = max(self.first, self.source.frame_at(event["time"] - window / 2))
        end = min(self.last, self.source.frame_at(event["time"] + window / 2) + 1)
        frames = [f for i, f in self.source.frames(begin, end) if is_sample(i, self.fps)][:30]
        return commentary_line(frames, *commentator) if frames else None

    # ------------------------------------------------------------------------------------------------ outputs
    def finish(self, source, split: str, half: int, description: str, model_description: str, tracker: str,
               commentator, elapsed: float) -> dict:
        out, store = self.output_dir, self.store
        config = self.model.config
        summaries = self._summaries_from_rows()
        teams = team_assignment(summaries, image_width=self.source.width, role_of=lambda _, s: s.role)
        clip_name, mot_name, image_ids = clip_identity(source, self.source.num_frames, split)
        frames = calibrated = athletes = 0
        shots: list[dict] = []
        tracks: set[int] = set()
        skillcorner = SkillCornerWriter(out, summaries, teams, name=str(source or "demo"), half=half)
        positions = TeamPositions()
        with atomic_path(out / f"{clip_name}.json") as gsr_tmp, atomic_path(out / f"{mot_name}.txt") as mot_tmp, \
                atomic_path(out / "frames.jsonl") as frames_tmp, open(gsr_tmp, "w", encoding="utf-8") as gsr, \
                open(mot_tmp, "w", encoding="utf-8") as mot, open(frames_tmp, "w", encoding="utf-8") as per_frame:
            gsr.write(json.dumps({"info": {"version": "1.3", "name": clip_name, "source": "soccermaster_hf"}})[:-1]
                      + ', "predictions": [')
            first_record = True
            for row in store.rows():
                frame = frame_from_row(row)
                frames += 1
                calibrated += frame.calibrated
                athletes += row["athletes"]
                if not shots or shots[-1]["shot"] != row["shot"]:
                    shots.append({"shot": row["shot"], "start": row["time"], "end": row["time"], "frames": 0,
                                  "calibrated": 0, "views": {}})
                current = shots[-1]
                current["end"] = round(row["time"] + 1 / self.fps, 3)
                current["frames"] += 1
                current["calibrated"] += frame.calibrated
                current["views"][row["view"]] = current["views"].get(row["view"], 0) + 1
                seen = set()
                for detection in frame.detections:
                    summary = summaries[detection.track_id]
                    detection.role = summary.role
                    if detection.jersey is not None:
                        detection.jersey = summary.jersey
                    detection.team = teams.get(detection.track_id)
                    tracks.add(detection.track_id)
                    positions.add(detection.track_id, detection.team, detection.pitch_point)
                    if detection.track_id in seen:
                        raise RuntimeError(f"frame {frame.frame_index + 1}: track id {detection.track_id} twice.")
                    seen.add(detection.track_id)
                    x0, y0, x1, y1 = (float(v) for v in detection.box)
                    mot.write(f"{frame.frame_index + 1},{detection.track_id},{x0:.2f},{y0:.2f},{x1 - x0:.2f},"
                              f"{y1 - y0:.2f},{detection.score:.4f},-1,-1,-1\n")
                    record = gsr_prediction(image_ids[frame.frame_index], detection)
                    if record is not None:
                        gsr.write(("" if first_record else ", ") + json.dumps(record))
                        first_record = False
                skillcorner.add(row["time"] - self.first / self.fps, frame.detections)
                per_frame.write(json.dumps({"frame": row["frame"] + 1, "time": row["time"], "shot": row["shot"],
                                            "view": row["view"], "camera": row["camera"] is not None,
                                            "calibration": row["calibration"], "athletes": row["athletes"],
                                            "tracked": len(row["detections"])}) + "\n")
            gsr.write("]}\n")
        skillcorner.close()
        for shot in shots:
            shot["view"] = max(shot.pop("views").items(), key=lambda item: item[1])[0]
        windows = store.windows()
        labels = config.event_config.id2label
        spotted = spot_events(windows, {int(k): v for k, v in labels.items()})
        top = sorted(spotted, key=lambda e: -e["confidence"])[:3]
        events = [e for e in spotted if e["confidence"] >= EVENT_THRESHOLD]
        commentary = None
        if commentator is not None and self.commentary_frames and self.last - self.first >= 2:
            commentary = commentary_line(self.commentary_frames, *commentator)
            for event in events:  # one line per reported event, from its 30-s window at 1 fps
                event["commentary"] = self.event_commentary(event, commentator)
        atomic_write_json(out / "results_spotting.json",
                          results_spotting(spotted, half=half, url=str(source or "demo")))
        atomic_write_json(out / "events.json", {"events": spotted, "reported": events, "windows": windows,
                                                 "labels": [labels[i] for i in range(len(labels))]}, indent=None)
        for name in ("overlay", "minimap"):
            parts = [store.path(i, f"{name}.mp4") for i in store.committed()]
            concatenate_videos(parts, out / f"{name}.mp4")
        if not (out / "minimap.png").is_file():  # no frame had a plausible camera: the last minimap (empty pitch)
            with atomic_path(out / "minimap.png") as path:
                cv2.imwrite(str(path), draw_minimap([]))
        last_state = store.state(max(store.committed()))
        model_seconds = last_state["model_seconds"]
        summary = {
            "input": description, "model": model_description, "frames": frames,
            "start_seconds": round(self.first / self.fps, 3), "end_seconds": round(self.last / self.fps, 3),
            "athletes_per_frame": athletes / max(frames, 1), "tracks": len(tracks), "tracker": tracker,
            "game_state_file": f"{clip_name}.json", "tracking_file": f"{mot_name}.txt",
            "frames_calibrated": calibrated, "shots": shots, "events": events, "top_events": top,
            "spotting_windows": len(windows), "commentary": commentary,
            "model_frames_per_second": frames / max(model_seconds, 1e-9),
            "total_frames_per_second": frames / max(elapsed, 1e-9),
            "stage_seconds": {k: round(v, 3) for k, v in last_state["stage_seconds"].items()},
            "backbone_precision": str(self.dtype).split(".")[-1],
        }
        atomic_write_json(out / "summary.json", summary)
        write_report(out, summary, positions)
        for part in store.root.glob("*.mp4"):  # joined above; the rows and commits stay for --resume
            part.unlink()
        return summary


def observe_frames(frames: list[np.ndarray], model, processor, threshold: float, batch_size: int,
                   backbone_dtype: torch.dtype, stats: dict | None = None, progress: bool = False):
    """Per frame ``(index, detections, camera, failure)`` of frames in memory: the post-processed detections
    (untracked: ``track_id`` 0) with decoder embeddings, torso colours and pitch positions, and the calibrated camera
    (``None`` with the calibration's failure reason). One spatial-layers pass per chunk of `batch_size` frames;
    `stats` collects ``model_seconds``. (The tracking benchmark's path; ``analyze`` streams instead.)"""
    from tqdm.auto import tqdm

    stats = {"model_seconds": 0.0} if stats is None else stats
    config = model.config
    previous_camera, preferred_subset = None, "all"
    for start in tqdm(range(0, len(frames), batch_size), desc="analyzing", disable=not progress):
        chunk = frames[start:start + batch_size]
        sizes = [frame.shape[:2] for frame in chunk]  # per frame: a folder may mix frame sizes
        inputs = processor(chunk, return_tensors="pt")["pixel_values"]
        tick = time.perf_counter()
        with torch.inference_mode():
            out = model(inputs.to(backbone_dtype))
        stats["model_seconds"] += time.perf_counter() - tick
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
    if len(frames) < 2:
        return None
    step = max(1, int(round(fps)))
    return commentary_line(frames[::step][:max_frames], model, processor)


def commentary_line(frames: list[np.ndarray], model, processor) -> str:
    """The commentary model's line for `frames` (RGB uint8, already sampled at 1 fps), greedy, at most 32 tokens."""
    from ..training.commentary import generate_commentary

    clip = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float().div_(255.0)
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


__all__ = ["AnalysisError", "analyze", "clip_commentary", "demo_frames", "load_analysis_model",
           "load_tracking_model_for", "observe_frames"]
