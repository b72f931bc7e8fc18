"""Model cards of converted folders (the arguments :func:`soccermaster_hf.hub.save_hub_folder` builds the card from)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from huggingface_hub import ModelCardData

from ..hub import AUTHORS_REPO

# the authors' pre-training data (SPEC §1.5): spatial labels from SoccerNet-GSR (+ SoccerFactory frames), events and
# commentary from SoccerNet-v2, MatchTime and SoccerReplay-1988
RELEASE_DATASETS = ["SoccerNet-GSR", "SoccerNet-v2", "MatchTime", "SoccerReplay-1988"]
TASK_TITLES = {
    "backbone": "backbone (F_spa / F_sem)",
    "object-detection": "athlete detection and identification",
    "pitch-registration": "pitch keypoints and lines",
    "video-classification": "event classification",
    "video-text-alignment": "video-text alignment",
    "pretraining": "all heads (multi-task pre-training model)",
}


def conversion_card(task: str, source: str, files: Iterable[str], *, base_model: str | None = None,
                    revision: str | None = None, fresh_parameters: Iterable[str] = ()) -> dict[str, Any]:
    """Card arguments of a folder converted from the authors' release (`source`: the folder or Hub id read).

    `base_model` (a Hub id) is recorded as the card's ``base_model``; when it is the authors' repo the card also lists
    the authors' training datasets.
    """
    names = ", ".join(f"`{name}`" for name in sorted(files))
    where = f"[`{source}`](https://huggingface.co/{source})" if base_model == source else f"`{source}`"
    details = (f"Converted from the authors' release {where}"
               f"{f' at revision `{revision}`' if revision else ''} (files {names}) with `soccermaster convert`: "
               "every tensor of the release is mapped onto the transformers classes (the key mapping is documented in "
               "`soccermaster_hf.conversion.official`); the conversion is strict (no missing or unexpected keys) "
               "and checked against the authors' forward pass on a tiny fixture.")
    fresh = sorted(set(fresh_parameters))
    limitations = None
    if fresh:
        limitations = ("The release has no weights for " + ", ".join(f"`{name}*`" for name in fresh)
                       + ": they are freshly initialised here (fine-tune before relying on them).")
    return {
        "card_data": ModelCardData(base_model=base_model,
                                   datasets=list(RELEASE_DATASETS) if base_model == AUTHORS_REPO else None),
        "title": f"SoccerMaster ({TASK_TITLES.get(task, task)}), converted from the authors' release",
        "details": details,
        "details_title": "Conversion",
        "limitations": limitations,
    }


__all__ = ["RELEASE_DATASETS", "conversion_card"]
