"""Action spotting on a video's timeline with the event head, and SoccerNet-v2's ``results_spotting.json``.

The event head was trained on 30-frame clips at 1 fps centred on the event (UniSoccer's 15 s before + 15 s after;
SPEC "Semantic clips"). :class:`EventSpotter` keeps F_spa of one frame per second (the frames the analysis already
passed through the spatial layers, so nothing is decoded or embedded twice) and every `stride` seconds runs the
temporal layers, the pooling head and the event head on the last `window` of them (:meth:`SoccerMasterVisionModel.
temporal_forward`); the window's event probabilities are the scores of its centre time. A clip shorter than one window
gets one window of `window` frames spread uniformly over it (the paper's semantic sampling); a single image gets none.

:func:`spot_events` turns the windows' scores into events with greedy non-maximum suppression in time per class
(`nms_seconds`), and :func:`results_spotting` writes them in SoccerNet-v2's format (``gameTime`` ``"half - mm:ss"``,
``label``, ``position`` in ms, ``half``, ``confidence``): the event keywords map back to the 17 SoccerNet-v2 classes
through the inverse of ``SOCCERNET_V2_TO_KEYWORD`` (a keyword with two classes, "free kick", is written for both;
keywords with no SoccerNet-v2 class stay in ``events.json`` only). Scored by the ``SoccerNet`` package's official
evaluation (:func:`soccermaster_hf.evaluation.spotting.evaluate_spotting`).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import torch

from ..modeling.configuration_soccermaster import SOCCERNET_V2_TO_KEYWORD


def is_sample(index: int, fps: float, sampling_fps: float = 1.0) -> bool:
    """Whether frame `index` is the first frame of one of the 1-fps samples (second ``k`` -> ``ceil(k * fps)``)."""
    step = fps / sampling_fps
    k = math.floor(index / step + 1e-9)  # the only second whose first frame can be `index`
    return math.ceil(k * step - 1e-9) == index


class EventSpotter:
    """Event scores along a video (see the module docstring).

    `add(index, state)` takes F_spa of a sample frame (``(num_patches, hidden)``) and returns the windows completed
    by it: dicts ``{"start": s, "end": s, "centre": s, "probabilities": [...]}`` (seconds of the input).
    `short_clip`: frame indices of the one window of a clip shorter than `window` seconds (then :meth:`finish` runs
    it).
    """

    def __init__(self, model, fps: float, window: int = 30, stride: float = 5.0, sampling_fps: float = 1.0,
                 short_clip: list[int] | None = None, prompt_scorer=None):
        if window < 2:
            raise ValueError(f"the spotting window needs at least 2 frames, got {window}.")
        if not stride > 0 or not math.isfinite(stride):
            raise ValueError(f"the spotting stride must be positive, got {stride}.")
        self.model, self.fps, self.window, self.stride, self.sampling_fps = model, fps, window, stride, sampling_fps
        self.short_clip = None if short_clip is None else sorted(set(int(i) for i in short_clip))
        self.buffer: deque[tuple[int, torch.Tensor]] = deque(maxlen=window)
        self.next_end: float | None = None  # the end time (s) of the next window to score
        self.prompt_scorer = prompt_scorer  # zero-shot prompts (analysis.zero_shot.PromptScorer), or None

    def wants(self, index: int) -> bool:
        """Whether frame `index`'s F_spa is needed."""
        if self.short_clip is not None:
            return index in self.short_clip
        return is_sample(index, self.fps, self.sampling_fps)

    def add(self, index: int, state: torch.Tensor) -> list[dict]:
        self.buffer.append((index, state.detach()))
        if self.short_clip is not None or len(self.buffer) < self.window:
            return []
        first = self.buffer[0][0] / self.fps
        end = first + self.window / self.sampling_fps
        if self.next_end is None:
            self.next_end = end
        if end + 1e-6 < self.next_end:
            return []
        self.next_end = end + self.stride
        return [self._score(list(self.buffer), first, end)]

    def finish(self) -> list[dict]:
        """The window of a short clip (none when fewer than 2 of its frames were seen)."""
        if self.short_clip is None or len(self.buffer) < 2:
            return []
        items = list(self.buffer)
        start, end = items[0][0] / self.fps, (items[-1][0] + 1) / self.fps
        return [self._score(items, start, end)]

    def _score(self, items: list[tuple[int, torch.Tensor]], start: float, end: float) -> dict:
        states = torch.stack([state for _, state in items])[None]  # (1, frames, patches, hidden)
        with torch.inference_mode():
            tokens, pooled = self.model.vision_model.temporal_forward(states)
            logits = self.model(pooler_output=pooled, last_hidden_state=tokens).event_logits.float()
        probabilities = logits.softmax(-1)[0].tolist()
        window = {"start": round(start, 3), "end": round(end, 3), "centre": round((start + end) / 2, 3),
                  "probabilities": [round(p, 6) for p in probabilities]}
        if self.prompt_scorer is not None:  # the same F_sem against the prompts' text features
            window["prompt_probabilities"] = self.prompt_scorer(pooled)
        return window


def spot_events(windows: list[dict], labels: dict[int, str], nms_seconds: float = 10.0,
                min_score: float = 0.0, key: str = "probabilities") -> list[dict]:
    """Events ``{"label", "time", "confidence"}`` (sorted by time) from window scores (``window[key]``: the event
    head's ``probabilities``, or the zero-shot ``prompt_probabilities``): per class, repeatedly take the best-scoring
    window and drop the windows within `nms_seconds` / 2 of it."""
    windows = [w for w in windows if key in w]
    if not windows:
        return []
    times = np.array([w["centre"] for w in windows], dtype=float)
    scores = np.array([w[key] for w in windows], dtype=float)
    events = []
    for cls in range(scores.shape[1]):
        remaining = np.ones(len(times), dtype=bool)
        while remaining.any():
            candidates = np.where(remaining, scores[:, cls], -np.inf)
            best = int(np.argmax(candidates))
            if candidates[best] < min_score:
                break
            events.append({"label": labels[cls], "time": float(times[best]), "confidence": float(scores[best, cls])})
            remaining &= np.abs(times - times[best]) > nms_seconds / 2
    return sorted(events, key=lambda e: (e["time"], -e["confidence"]))


def keyword_to_soccernet() -> dict[str, list[str]]:
    """Event keyword -> the SoccerNet-v2 classes that map to it."""
    inverse: dict[str, list[str]] = {}
    for v2, keyword in SOCCERNET_V2_TO_KEYWORD.items():
        inverse.setdefault(keyword, []).append(v2)
    return inverse


def game_time(seconds: float, half: int) -> str:
    whole = max(0, int(seconds))
    return f"{half} - {whole // 60:02d}:{whole % 60:02d}"


def results_spotting(events: list[dict], half: int = 1, url: str = "") -> dict:
    """SoccerNet-v2 ``results_spotting.json`` of `events` (keyword labels; see the module docstring)."""
    if half not in (1, 2):
        raise ValueError(f"half must be 1 or 2, got {half}.")
    inverse = keyword_to_soccernet()
    predictions = []
    for event in events:
        for label in inverse.get(event["label"], []):
            predictions.append({"gameTime": game_time(event["time"], half), "label": label,
                                "position": str(int(round(event["time"] * 1000))), "half": str(half),
                                "confidence": str(round(event["confidence"], 6))})
    return {"UrlLocal": url, "predictions": predictions}


__all__ = ["EventSpotter", "game_time", "is_sample", "keyword_to_soccernet", "results_spotting", "spot_events"]
