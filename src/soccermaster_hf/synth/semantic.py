"""SoccerSynth semantic clips: 1-fps clips centred on derived events, for the event and alignment heads.

For an event at time `t`, the clip covers `[t - T/2, t + T/2)` seconds and samples the middle of every 1-s interval
(the authors' `sample="middle"` rule on UniSoccer's 30-s clips). The broadcast camera follows the play over the whole
window at the tracking rate and is sampled at the same instants. Each clip is written as a 1-fps MP4 named like
UniSoccer's clips (`<half>_<MM>_<SS>.mp4`) and listed, with its event keyword and an anonymised commentary, in
`events/classification.json` — the record format of UniSoccer / MatchTime classification files
(`{"video", "caption", "comments_text", "comments_text_anonymized"}`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..modeling.configuration_soccermaster import SOCCERNET_V2_TO_KEYWORD
from .camera_path import camera_path
from .events import CAPTIONS, Event
from .render import ClipRenderer
from .styles import LeagueStyle, randomised_style
from .tracking import Trajectories

# derived SoccerNet-v2 classes -> the authors' keywords (SOCCERNET_V2_TO_KEYWORD covers the official classes)
EVENT_TO_KEYWORD = {**SOCCERNET_V2_TO_KEYWORD, "Shots on target": "saved by goal-keeper"}


def _write_mp4(path: Path, frames: list[np.ndarray], fps: int = 1) -> None:
    import av

    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def render_semantic_clip(trajectories: Trajectories, event: Event, path: Path, rng: np.random.Generator,
                         num_frames: int = 30, width: int = 480, height: int = 270,
                         style: LeagueStyle | None = None) -> bool:
    """Render the 1-fps clip of `event` to `path`; `False` when the window leaves the tracking data."""
    width, height = width - width % 2, height - height % 2  # H.264 with 4:2:0 chroma needs even sizes
    fps = trajectories.fps
    start_time = event.time - num_frames / 2.0
    times = start_time + np.arange(num_frames) + 0.5
    first = int(np.searchsorted(trajectories.times, start_time))
    last = int(np.searchsorted(trajectories.times, start_time + num_frames))
    if first <= 0 or last >= len(trajectories.times):
        return False
    window = trajectories.window(first, last - first)
    if style is not None and style.randomise:
        style = randomised_style(rng)
    ranges = style.camera if style is not None else None
    cameras, _ = camera_path(window.ball, window.positions, width, height, rng, cut_probability=0.0, ranges=ranges)
    renderer = ClipRenderer(width, height, rng, style=style)
    frames = []
    for time in times:
        t = int(np.clip(round((time - window.times[0]) * fps), 0, len(window.times) - 1))
        people = [(p, window.positions[t, p], str(window.roles[p]), int(window.teams[p]), int(window.jerseys[p]), 1.8)
                  for p in range(window.positions.shape[1]) if np.isfinite(window.positions[t, p]).all()]
        frames.append(renderer.render(cameras[t], people, window.ball[t], t).image)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_mp4(path, frames)
    return True


def generate_semantic_clips(trajectories: Trajectories, events: list[Event], output_dir: Path, count: int,
                            seed: int = 0, num_frames: int = 30, width: int = 480, height: int = 270,
                            style: LeagueStyle | None = None) -> Path:
    """Render up to `count` semantic clips (events spread over the match) and write `events/classification.json`."""
    rng = np.random.default_rng([seed, 777])
    candidates = [e for e in events if e.label in EVENT_TO_KEYWORD]
    if count < len(candidates):
        picks = np.unique(np.linspace(0, len(candidates) - 1, count).round().astype(int))
        candidates = [candidates[i] for i in picks]
    records = []
    for event in candidates:
        period = int(trajectories.periods[event.frame]) if len(trajectories.periods) else 1
        in_period = trajectories.periods == period if len(trajectories.periods) else np.ones(len(trajectories.times), bool)
        minutes, seconds = divmod(int(event.time - trajectories.times[in_period][0]), 60)
        name = f"semantic/{period}_{minutes:02d}_{seconds:02d}.mp4"
        if not render_semantic_clip(trajectories, event, output_dir / name, rng, num_frames, width, height, style):
            continue
        _, text = CAPTIONS[event.label]
        records.append({"video": name, "caption": EVENT_TO_KEYWORD[event.label], "comments_text": text,
                        "comments_text_anonymized": text, "soccernet_v2_label": event.label})
    path = output_dir / "events" / "classification.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=1))
    return path


__all__ = ["EVENT_TO_KEYWORD", "generate_semantic_clips", "render_semantic_clip"]
