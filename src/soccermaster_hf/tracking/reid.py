"""Appearance embeddings of athletes' boxes for tracklet linking (:class:`ReIdEmbedder`).

A :class:`~soccermaster_hf.modeling.SoccerMasterForReIdentification` (``soccermaster train-reid``; the package ships
one trained on SoccerSynth, :data:`DEFAULT_REID_MODEL`) turns the pixel crop of each athlete box into a unit-length
embedding; :class:`~soccermaster_hf.tracking.game_state.TrackSummary` averages them per tracklet and
:func:`~soccermaster_hf.tracking.linking.link_cost` compares an ending tracklet's with a starting one's
(``appearance_weight``, ``max_appearance_distance``). See docs/tracking.md, *Re-identification*.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

__all__ = ["DEFAULT_REID_MODEL", "ReIdEmbedder", "load_reid_model"]

#: The re-identification network shipped with the package (trained on SoccerSynth clips of match time 0-1800 s).
DEFAULT_REID_MODEL = Path(__file__).parents[1] / "assets" / "default_reid"


def load_reid_model(name_or_path: str | Path | None = None):
    """A `SoccerMasterForReIdentification` in eval mode: `name_or_path` (a folder or Hub id), or with ``None`` /
    ``"default"`` the shipped :data:`DEFAULT_REID_MODEL`. A folder that is not such a model is a one-line
    ``ValueError``."""
    from ..modeling import SoccerMasterForReIdentification, SoccerMasterReIdConfig
    from ..utils.errors import ModelLoadError, load_pretrained

    if name_or_path is None or str(name_or_path) == "default":
        if not (DEFAULT_REID_MODEL / "config.json").is_file():
            raise FileNotFoundError(f"{DEFAULT_REID_MODEL}: this installation has no default re-identification model; "
                                    "pass a folder (soccermaster train-reid).")
        name_or_path = DEFAULT_REID_MODEL
    try:  # another kind of model would load with fresh random weights and only a warning
        kind = SoccerMasterReIdConfig.get_config_dict(str(name_or_path))[0].get("model_type")
    except Exception:  # noqa: BLE001 - unreadable: load_pretrained below names the problem
        kind = SoccerMasterReIdConfig.model_type
    if kind != SoccerMasterReIdConfig.model_type:
        raise ModelLoadError(f"{name_or_path}: a {kind!r} model, not a re-identification network "
                             "(SoccerMasterForReIdentification, from soccermaster train-reid).")
    return load_pretrained(SoccerMasterForReIdentification, str(name_or_path)).eval()


class ReIdEmbedder:
    """``embedder(frame, boxes) -> (N, embedding_size)`` float32 unit-length embeddings of the boxes `(N, 4)`
    ``(x0, y0, x1, y1)`` of an RGB uint8 frame, `batch_size` crops per forward pass (no gradients)."""

    def __init__(self, model, batch_size: int = 256):
        from ..processing import SoccerMasterReIdProcessor

        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size!r}.")
        self.model = model.eval()
        self.processor = SoccerMasterReIdProcessor.from_model_config(model.config)
        self.batch_size = batch_size
        self.seconds = 0.0

    @property
    def embedding_size(self) -> int:
        return int(self.model.config.embedding_size)

    def __call__(self, frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        import time

        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if not len(boxes):
            return np.zeros((0, self.embedding_size), dtype=np.float32)
        tick = time.perf_counter()
        pixels = self.processor(frame, boxes)["pixel_values"]
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            out = torch.cat([self.model(pixels[i:i + self.batch_size].to(device)).embeddings.float().cpu()
                             for i in range(0, len(pixels), self.batch_size)])
        self.seconds += time.perf_counter() - tick
        return out.numpy()
