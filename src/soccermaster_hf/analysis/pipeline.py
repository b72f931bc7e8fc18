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

import dataclasses
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from ..data.images import load_frames
from ..geometry.calibrator import calibrate_predicted
from ..geometry.observations import PitchObservations
from ..modeling.modeling_soccermaster_detection import detection_output
from ..tracking import make_tracker
from ..tracking.game_state import TrackSummary, team_assignment
from ..tracking.linking import LinkingConfig, Segments, link_summaries, split_at_kit_changes
from ..utils.io import atomic_file, atomic_path, atomic_write_json, clean_stale_staging, write_marker
from .kloppy_export import MetricaCSVWriter, SkillCornerWriter
from .render import concatenate_videos, draw_minimap
from .report import TeamPositions, write_report
from .segment_runner import FrameResult, SegmentState, athletes_of
from .segments import STATE_DIR, SegmentStore, detection_from_row, frame_from_row
from .source import FrameSource
from .spotting import EventSpotter, is_sample, results_spotting, spot_events
from .writers import GsrClipWriter, clip_identity, snmot_frame_rows, snmot_line

RUN_FILE = "run.json"
# the summary lists the spotted events at least this confident (results_spotting.json and events.json keep all: the
# official average-mAP integrates over every confidence)
EVENT_THRESHOLD = 0.25


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
    threshold: float | None = None,
    max_frames: int | None = None,
    batch_size: int = 8,
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
    shot_window: int = 4,
    link_tracklets: bool = True,
    prompts: list[str] | None = None,
    min_tracklet_seconds: float = LinkingConfig.min_tracklet_seconds,
    kit_split_boxes: int = LinkingConfig.kit_split_boxes,
    reid_model: str | None = "default",
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
    `shot_window`: each keyframe's camera is refined jointly with the previous keyframes of its shot, at most this many
    keyframes in all (:func:`~soccermaster_hf.geometry.temporal.refine_shot`: one camera centre, smooth motion; the
    window restarts at a cut and at a segment boundary; 1: off). `link_tracklets`: join the tracker's tracklets across
    gaps it cannot bridge (:func:`~soccermaster_hf.tracking.linking.link_tracklets`: pitch position, kit colour and
    role) before the tracklet vote; the output files carry the linked ids, the overlay video the tracker's.
    `min_tracklet_seconds`: with linking, athlete tracklets shorter than this that do not touch the first or last
    frame are dropped first (:class:`~soccermaster_hf.tracking.linking.LinkingConfig`; 0 keeps them).
    `kit_split_boxes`: with linking, a player tracklet is cut first where most of its next this many boxes wear the
    other team's kit (:func:`~soccermaster_hf.tracking.linking.kit_cuts`; 0: never).
    `reid_model`: with linking, the re-identification network whose embeddings of each athlete's pixels cut
    tracklets where they change and join the linking cost (:mod:`~soccermaster_hf.tracking.reid`): ``"default"`` (the one shipped with the package), a
    `SoccerMasterForReIdentification` folder or Hub id, or ``None`` / ``"none"`` (off).
    `prompts`: zero-shot texts scored on every spotting window by the model's video-text alignment (a model with a
    text tower and its tokenizer, as `soccermaster train --text-encoder` saves it; such a model scores the event
    keywords by default); spotted like the event head's classes, in `events.json` under `zero_shot`.
    """
    from ..processing import SoccerMasterImageProcessor

    started = time.perf_counter()
    output_dir = Path(output_dir)
    _check_settings(max_frames, batch_size, start, end, segment_seconds, spotting_stride, half, calibrate_every,
                    shot_window)
    try:
        linking = LinkingConfig(min_tracklet_seconds=float(min_tracklet_seconds))
    except (TypeError, ValueError) as error:
        raise AnalysisError(f"min_tracklet_seconds must be a number of seconds >= 0, got {min_tracklet_seconds!r} "
                            f"({error}).") from None
    try:
        linking = dataclasses.replace(linking, kit_split_boxes=kit_split_boxes)
    except (TypeError, ValueError) as error:
        raise AnalysisError(f"kit_split_boxes must be a whole number of boxes >= 0, got {kit_split_boxes!r} "
                            f"({error}).") from None
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
    threshold = score_threshold(model.config, threshold)
    motip = load_tracking_model_for(model, tracking_model) if tracker == "motip" else None
    reid_model = None if reid_model is None or str(reid_model).lower() == "none" or not link_tracklets else reid_model
    reid = None
    if reid_model is not None:
        from ..tracking.reid import ReIdEmbedder, load_reid_model

        try:
            reid = ReIdEmbedder(load_reid_model(reid_model))
        except FileNotFoundError as error:
            raise AnalysisError(str(error)) from None
    scorer = _prompt_scorer(model, model_name, prompts)
    commentator = None
    if commentary_model is not None:
        from ..training.commentary import load_commentary_model

        commentator = load_commentary_model(commentary_model)
    settings = {"input": None if demo or source is None else _fingerprint(source), "demo_seed": seed if demo else None,
                "model": model_description, "threshold": threshold, "first": first, "last": last,
                "batch_size": batch_size, "precision": precision, "tracker": tracker, "tracking_model": tracking_model,
                "segment_seconds": segment_seconds, "spotting_stride": spotting_stride, "split": split, "half": half,
                "commentary_model": commentary_model, "calibrate_every": calibrate_every,
                "shot_window": shot_window, "link_tracklets": link_tracklets,
                "min_tracklet_seconds": min_tracklet_seconds, "kit_split_boxes": kit_split_boxes,
                "reid_model": reid_model, "prompts": None if scorer is None else scorer.prompts}
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
               commentator is not None, progress, calibrate_every, shot_window, scorer)
    run.reid, run.reid_name = reid, None if reid_model is None else str(reid_model)
    run.process()
    summary = run.finish(source if not demo else None, split, half, description=frame_source.description,
                         model_description=model_description, tracker=tracker, commentator=commentator,
                         elapsed=time.perf_counter() - started, link=link_tracklets, linking=linking)
    atomic_write_json(store.root / RUN_FILE, {"settings": settings, "complete": True})
    return summary


def _check_settings(max_frames, batch_size, start, end, segment_seconds, spotting_stride, half,
                    calibrate_every, shot_window=1) -> None:
    def positive(name, value, integer=False):
        ok = isinstance(value, int) and not isinstance(value, bool) if integer else \
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or value <= 0:
            raise AnalysisError(f"{name} must be a positive {'integer' if integer else 'number'}, got {value!r}.")

    if max_frames is not None:
        positive("max_frames", max_frames, integer=True)
    positive("batch_size", batch_size, integer=True)
    positive("calibrate_every", calibrate_every, integer=True)
    positive("shot_window", shot_window, integer=True)
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


class _Run:
    """One streaming analysis (see the module docstring); holds the per-segment state only."""

    def __init__(self, model, processor, source: FrameSource, store: SegmentStore, output_dir: Path, first: int,
                 last: int, threshold: float, batch_size: int, dtype, tracker: str, motip, segment_seconds: float,
                 spotting_stride: float, keep_commentary_frames: bool, progress: bool, calibrate_every: int = 1,
                 shot_window: int = 1, prompt_scorer=None):
        self.model, self.processor, self.source, self.store, self.output_dir = model, processor, source, store, output_dir
        self.first, self.last, self.threshold, self.batch_size, self.dtype = first, last, threshold, batch_size, dtype
        self.tracker_name, self.motip, self.progress = tracker, motip, progress
        self.reid = None  # a ReIdEmbedder: re-identification embeddings of the athletes, for linking
        self.reid_name: str | None = None
        self.calibrate_every = calibrate_every
        self.shot_window = shot_window
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
        self.spotter = EventSpotter(model, self.fps, window=window, stride=spotting_stride, short_clip=self.short_clip,
                                    prompt_scorer=prompt_scorer)

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
                summaries.setdefault(record["track_id"], TrackSummary()).add(detection_from_row(record), row["frame"])
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
        seg = SegmentState(self, index, state)
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

    def _chunk(self, seg: SegmentState, chunk: list[tuple[int, np.ndarray]]) -> None:
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
        results = [FrameResult(self, found[k], hidden[k, found[k]["query_indices"]].float(), states[k:k + 1],
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
               commentator, elapsed: float, link: bool = True, linking: LinkingConfig | None = None) -> dict:
        out, store = self.output_dir, self.store
        config = self.model.config
        summaries = self.summaries  # built from the rows on disk and every row since: what the rows give
        linked: dict[int, int] = {}
        segments = Segments({}, 1)
        if link:  # tracklets cut where their kit changes, then linked: votes, teams, kloppy players are per athlete
            def stream():
                return ((row["frame"], detection_from_row(record)) for row in store.rows()
                        for record in row["detections"])

            segments, summaries = split_at_kit_changes(stream, summaries, linking)
            linked, summaries = link_summaries(summaries, self.fps, linking, image_width=self.source.width)
        teams = team_assignment(summaries, image_width=self.source.width, role_of=lambda _, s: s.role)
        clip_name, mot_name, image_ids = clip_identity(source, self.source.num_frames, split)
        frames = calibrated = athletes = 0
        shots: list[dict] = []
        tracks: set[int] = set()
        skillcorner = SkillCornerWriter(out, summaries, teams, name=str(source or "demo"), half=half)
        metrica = MetricaCSVWriter(out, summaries, teams, half=half)
        gsr = GsrClipWriter(out / f"{clip_name}.json", image_ids, clip_name)
        positions = TeamPositions()
        try:
            with atomic_file(out / f"{mot_name}.txt") as mot, atomic_file(out / "frames.jsonl") as per_frame:
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
                    for detection in frame.detections:
                        part = segments(detection.track_id, row["frame"])
                        detection.track_id = linked.get(part, part)
                    # linked to 0: a tracklet too short to keep (LinkingConfig.min_tracklet_seconds)
                    frame.detections = [detection for detection in frame.detections if detection.track_id != 0]
                    for detection in frame.detections:  # the tracklet votes
                        summary = summaries[detection.track_id]
                        detection.role = summary.role
                        if detection.jersey is not None:
                            detection.jersey = summary.jersey
                        detection.team = teams.get(detection.track_id)
                        tracks.add(detection.track_id)
                        positions.add(detection.track_id, detection.team, detection.pitch_point)
                    mot.writelines(snmot_line(r) for r in snmot_frame_rows(frame))
                    gsr.add(frame)
                    skillcorner.add(row["time"] - self.first / self.fps, frame.detections)
                    metrica.add(row["time"] - self.first / self.fps, frame.detections)
                    per_frame.write(json.dumps({"frame": row["frame"] + 1, "time": row["time"], "shot": row["shot"],
                                                "view": row["view"], "camera": row["camera"] is not None,
                                                "calibration": row["calibration"], "athletes": row["athletes"],
                                                "tracked": len(frame.detections)}) + "\n")
        except BaseException:
            gsr.abort()
            skillcorner.abort()
            metrica.abort()
            raise
        gsr.close()
        skillcorner.close()
        metrica.close()
        for shot in shots:
            shot["view"] = max(shot.pop("views").items(), key=lambda item: item[1])[0]
        windows = store.windows()
        labels = config.event_config.id2label
        spotted = spot_events(windows, {int(k): v for k, v in labels.items()})
        scorer = self.spotter.prompt_scorer
        zero_shot = [] if scorer is None else spot_events(windows, dict(enumerate(scorer.prompts)),
                                                          key="prompt_probabilities")
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
                                                 "labels": [labels[i] for i in range(len(labels))],
                                                 "prompts": None if scorer is None else scorer.prompts,
                                                 "zero_shot": zero_shot}, indent=None)
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
            "athletes_per_frame": athletes / max(frames, 1), "tracks": len(tracks), "tracklets": len(self.summaries),
            "kit_cuts": len(segments), "detection_threshold": self.threshold,
            "tracks_linked": bool(link), "tracker": tracker, "reid_model": self.reid_name,
            "game_state_file": f"{clip_name}.json", "tracking_file": f"{mot_name}.txt",
            "frames_calibrated": calibrated, "shots": shots, "events": events, "top_events": top,
            "spotting_windows": len(windows), "commentary": commentary,
            "zero_shot_top": sorted(zero_shot, key=lambda e: -e["confidence"])[:3] if scorer is not None else None,
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
                   backbone_dtype: torch.dtype, stats: dict | None = None, progress: bool = False, reid=None):
    """Per frame ``(index, detections, camera, failure)`` of frames in memory: the post-processed detections
    (untracked: ``track_id`` 0) with decoder embeddings, torso colours and pitch positions, and the calibrated camera
    (``None`` with the calibration's failure reason). One spatial-layers pass per chunk of `batch_size` frames;
    `stats` collects ``model_seconds``; `reid`: a :class:`~soccermaster_hf.tracking.reid.ReIdEmbedder` for the
    athletes' re-identification embeddings. (The tracking benchmark's path; ``analyze`` streams instead.)"""
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
            found = athletes_of(detection, embeddings, frame, camera, reid=reid)
            yield index, found, camera, result.failure


def _backbone_dtype(precision: str, device: torch.device) -> torch.dtype:
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"precision must be 'auto', 'fp32' or 'bf16', got {precision!r}.")
    if precision == "auto":
        from ..utils.hardware import cpu_has_native_bfloat16

        precision = "bf16" if device.type == "cpu" and cpu_has_native_bfloat16() else "fp32"
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


def _prompt_scorer(model, model_name: str | None, prompts: list[str] | None):
    """The zero-shot prompt scorer of the run (see :func:`analyze`'s `prompts`), or ``None``: a model without a text
    tower scores none (asking for prompts then is an error), and one whose folder lacks the tokenizer is told once."""
    from .zero_shot import prompt_scorer

    if prompts is not None and not prompts:
        raise AnalysisError("--prompts: give at least one text.")
    if getattr(model, "text_model", None) is None:
        if prompts:
            raise AnalysisError(f"{model_name or 'the default checkpoint'}: --prompts needs a model with a text tower "
                                "(trained with `soccermaster train --text-encoder`); this one has none.")
        return None
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model_name)
    except (OSError, ValueError) as error:
        if prompts:
            raise AnalysisError(f"{model_name}: no tokenizer for its text tower ({error}); save it beside the model "
                                "(`soccermaster train --text-encoder` does).") from None
        print(f"note: {model_name}: the model has a text tower but no tokenizer beside it: no zero-shot prompts.",
              file=sys.stderr)
        return None
    try:
        return prompt_scorer(model, tokenizer, prompts)
    except ValueError as error:
        raise AnalysisError(f"--prompts: {error}") from None


def score_threshold(config, threshold: float | None = None) -> float:
    """`threshold` when given, else the checkpoint's own detection score threshold
    (``config.detection_config.score_threshold``; 0.5 unless it was chosen for the checkpoint)."""
    return float(config.detection_config.score_threshold if threshold is None else threshold)


def load_analysis_model(model_name: str | None):
    """The model to analyse with: `model_name` (folder or Hub id), else the default checkpoint shipped with the
    package, else (with a loud warning) a small untrained model so the pipeline still runs."""
    from ..modeling import SoccerMasterConfig, SoccerMasterForGameStateReconstruction

    if model_name:
        from ..utils.errors import load_pretrained

        return load_pretrained(SoccerMasterForGameStateReconstruction, model_name), model_name
    default = Path(__file__).parents[1] / "assets" / "default_checkpoint"
    if (default / "config.json").is_file():
        return SoccerMasterForGameStateReconstruction.from_pretrained(default), "default checkpoint (trained on SoccerSynth)"
    import warnings

    warnings.warn("No --model and no default checkpoint in this installation: using an UNTRAINED model; boxes, "
                  "cameras and events are meaningless. Pass --model.", stacklevel=2)
    torch.manual_seed(0)
    config = SoccerMasterConfig.from_preset("tiny", num_frames=4)
    return SoccerMasterForGameStateReconstruction(config), "untrained tiny model (no checkpoint)"


__all__ = ["AnalysisError", "analyze", "clip_commentary", "demo_frames", "load_analysis_model",
           "load_tracking_model_for", "observe_frames", "score_threshold"]
