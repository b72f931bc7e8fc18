"""One segment of a streaming analysis (:mod:`~soccermaster_hf.analysis.pipeline`): per frame the shot, view,
detections and tracks; the keyframe cameras and the interpolated ones between; the rows, camera files and drawn frames
(drawing and encoding in a worker thread). :class:`SegmentState` holds what lives for one segment; the run that owns
it (``run``) holds the model, the source and what lives across segments."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from ..geometry.calibrator import calibrate_predicted
from ..geometry.camera import Camera, pan_tilt_roll_to_rotation
from ..geometry.observations import PitchObservations
from ..geometry.temporal import refine_shot
from ..modeling.modeling_soccermaster_pitch import pitch_output
from ..tracking import TrackedDetection, torso_colour
from ..tracking.game_state import TrackSummary, team_assignment
from ..utils.io import atomic_path, atomic_write_json
from .cameras import OTHER_VIEW, CameraGate, ShotDetector, main_camera_class, view_class
from .render import VideoWriter, draw_minimap, draw_overlay
from .segments import IdentityStitcher, detection_from_row, detection_row
from .writers import bbox_pitches

TEAM_REFRESH_FRAMES = 50  # the overlay's teams are re-clustered every this many frames


def athletes_of(detection: dict, embeddings: np.ndarray, frame: np.ndarray, camera: Camera | None = None,
                reid=None) -> list[TrackedDetection]:
    """A frame's post-processed detections as untracked :class:`TrackedDetection` s (``track_id`` 0) with their
    decoder embeddings, torso colours and, given a camera, pitch positions; with `reid` (a
    :class:`~soccermaster_hf.tracking.reid.ReIdEmbedder`), the re-identification embeddings of the boxes that are
    not balls."""
    boxes = detection["boxes"].numpy().reshape(-1, 4)
    pitch = bbox_pitches(camera, boxes)
    appearance: list = [None] * len(boxes)
    if reid is not None and len(boxes):
        athletes = [i for i, role in enumerate(detection["roles"]) if role != "ball"]
        for i, vector in zip(athletes, reid(frame, boxes[athletes])):
            appearance[i] = vector
    return [TrackedDetection(
        track_id=0, box=boxes[i], score=float(detection["scores"][i]), role=detection["roles"][i],
        role_score=float(detection["role_scores"][i]), team=detection["teams"][i],
        team_score=float(detection["team_scores"][i]), jersey=detection["jerseys"][i],
        jersey_score=float(detection["jersey_scores"][i]), embedding=embeddings[i],
        colour=torso_colour(frame, boxes[i]), appearance=appearance[i], bbox_pitch=pitch[i]) for i in range(len(boxes))]


class Renderer:
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
        self.overlay.write(image, channel_order="bgr")  # OpenCV drawings: BGR
        self.minimap.write(points, channel_order="bgr")
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


class FrameResult:
    """One frame's detections (post-processed) and, on demand, its pitch keypoints and lines: the pitch heads run
    on the frame's F_spa only when the frame is calibrated."""

    __slots__ = ("run", "detections", "embeddings", "state", "size", "_pitch")

    def __init__(self, run, detections: dict, embeddings: torch.Tensor, state: torch.Tensor, size):
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


class Pending:
    """A frame waiting for its camera (keyframes are calibrated; the frames between get interpolated cameras)."""

    __slots__ = ("index", "frame", "result", "found", "view", "shot", "camera", "status", "keyframe")

    def __init__(self, index, frame, result, found, view, shot):
        self.index, self.frame, self.result, self.found, self.view, self.shot = index, frame, result, found, view, shot
        self.camera, self.status, self.keyframe = None, "not a main-camera view", False


class SegmentState:
    """The per-segment machinery of a run: tracker, identity stitching, shot detector, camera gate, the frames waiting
    for a camera, the segment's videos, and the stage timers."""

    def __init__(self, run, index: int, state: dict):
        self.run = run
        self.tracker = run._make_tracker()
        self.stitch = IdentityStitcher(state["last_tracks"], next_id=state["next_id"])
        # with the joint refinement of a shot's keyframes the cameras are smooth already: no exponential smoothing
        # on top (it lags behind a panning camera by a few keyframes)
        self.gate = CameraGate(smoothing=0.0 if run.shot_window > 1 else 0.25)
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
        self.last_key: Pending | None = None  # the last calibrated keyframe of the current shot
        self.shot_keys: list = []  # (frame index, observations, per-frame result) of the shot's latest keyframes
        if self.gate.previous is not None and state.get("key_camera") is not None:
            # the previous segment ended on a keyframe of this shot: the first frames interpolate from it
            self.last_key = Pending(state["key_frame"], None, None, [], "main", self.shot)
            self.last_key.camera, self.last_key.keyframe = Camera.from_dict(state["key_camera"]), True
        self.preferred = "all"
        self.failures, self.next_try = state.get("failures", 0), state.get("next_try", 0)
        self.stages = dict(state["stage_seconds"])
        self.model_seconds = state["model_seconds"]
        self.renderer = Renderer(VideoWriter(run.store.path(index, "overlay.mp4"), run.fps),
                                  VideoWriter(run.store.path(index, "minimap.mp4"), run.fps),
                                  run.output_dir / "minimap.png", self.best)
        self.last_tracks: list = []
        self.last_overlay = None
        self.pending: list[Pending] = []
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
            self.shot_keys = []
        view = view_class(frame, boxes[athletes] if len(boxes) else boxes)
        self.tick("shots", clock)
        clock = time.perf_counter()
        embeddings = result.embeddings.numpy()
        reid_before = run.reid.seconds if run.reid is not None else 0.0
        found = athletes_of(detection, embeddings, frame, reid=run.reid)
        if run.reid is not None:  # its own stage in the profile (its time is not tracking's)
            spent = run.reid.seconds - reid_before
            self.stages["re-identification"] = self.stages.get("re-identification", 0.0) + spent
            clock += spent
        hidden = run.model.config.detection_config.hidden_size
        local = self.tracker.update(frame_index, boxes, embeddings if len(found) else np.zeros((0, hidden)),
                                    np.array([d.score for d in found]))
        for found_detection, track_id in zip(found, self.stitch(list(local), boxes)):
            found_detection.track_id = int(track_id)
        self.tick("tracking", clock)
        item = Pending(frame_index, frame, result, [d for d in found if d.track_id > 0], view, self.shot)
        self.pending.append(item)
        if (view == "main" and (frame_index - self.shot_start) % run.calibrate_every == 0
                and frame_index >= self.next_try):
            self.calibrate(item)
            self.flush()

    def calibrate(self, item: Pending) -> None:
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
        if self.run.shot_window > 1:
            # the keyframe with the previous ones of its shot: one camera centre, smooth motion (per-frame results
            # are kept in the window, so every joint solve starts from them)
            self.shot_keys = (self.shot_keys + [(item.index, observations, solved)])[-self.run.shot_window:]
            if len(self.shot_keys) >= 2:
                refined = refine_shot([k[1] for k in self.shot_keys], [k[2] for k in self.shot_keys],
                                      frame_indices=[k[0] for k in self.shot_keys])[-1]
                solved = refined if refined.success else solved
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

    def _write(self, item: Pending) -> None:
        run, camera = self.run, item.camera
        clock = time.perf_counter()
        pitch = bbox_pitches(camera, np.array([d.box for d in item.found]))
        for detection, position in zip(item.found, pitch):
            detection.bbox_pitch = position
        tracked = [detection_row(d) for d in item.found]
        view_name = (main_camera_class(camera) if camera is not None else
                     ("Main camera center" if item.view == "main" else OTHER_VIEW))
        row = {"frame": item.index, "time": round(item.index / run.fps, 3), "shot": item.shot, "view": view_name,
               "camera": None if camera is None else camera.to_dict(), "calibration": item.status,
               "keyframe": item.keyframe, "athletes": len(item.result.detections["boxes"]), "detections": tracked}
        self.rows_file.write(json.dumps(row) + "\n")
        if camera is not None:
            # no fsync per frame: a resumed run rewrites the cameras of an uncommitted segment (the commit is fsync-ed)
            atomic_write_json(run.output_dir / "cameras" / f"{item.index + 1:06d}.json", camera.to_dict(), indent=None,
                              durable=False)
        self.tick("write", clock)
        clock = time.perf_counter()
        detections = [detection_from_row(r) for r in tracked]
        for d in detections:
            run.summaries.setdefault(d.track_id, TrackSummary()).add(d, item.index)
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


__all__ = ["FrameResult", "Pending", "Renderer", "SegmentState", "TEAM_REFRESH_FRAMES", "athletes_of",
           "interpolate_camera"]
