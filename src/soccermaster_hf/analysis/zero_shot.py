"""Zero-shot event recognition: rank the event keywords (or any prompts) for a clip by video-text alignment.

Uses a model with a text tower (`SoccerMasterModel`, or any class with `get_video_features` / `get_text_features`
and the alignment scalars): each prompt gets the SigLIP probability `sigmoid(cos * exp(logit_scale) + logit_bias)`,
as the authors' alignment head is trained (independent per pair, so the scores do not sum to one).

* :func:`rank_prompts` — the prompts ranked for clips of pixels.
* :class:`PromptScorer` — the prompts' text features computed once, then the probabilities of any F_sem (what
  ``soccermaster analyze`` scores on every spotting window); :func:`prompt_scorer` builds one for a model folder with a
  text tower and the tokenizer saved beside it (``soccermaster train --text-encoder`` saves both).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

PROMPT_TEMPLATE = "{}"  # the authors align clips with the anonymised commentary itself, not with a templated phrase


def _event_keywords(model) -> list[str]:
    labels = model.config.event_config.id2label
    return [labels[index] for index in sorted(labels)]


def _text_features(model, tokenizer, prompts: Sequence[str], template: str, max_length: int) -> torch.Tensor:
    """L2-normalised text features `(P, D)` of the templated prompts, padded to `max_length` tokens as the authors'
    SigLIP2 text tower expects (`model.text_model`'s pooled output)."""
    from ..modeling.modeling_soccermaster_video import encode_texts

    tokens = tokenizer([template.format(prompt) for prompt in prompts], padding="max_length", max_length=max_length,
                       truncation=True, return_tensors="pt")
    device = next(model.text_model.parameters()).device
    mask = tokens.get("attention_mask")
    return encode_texts(model, tokens["input_ids"].to(device), None if mask is None else mask.to(device), None)


@torch.no_grad()
def rank_prompts(
    model,
    tokenizer,
    pixel_values: torch.Tensor,
    prompts: Sequence[str] | None = None,
    template: str = PROMPT_TEMPLATE,
    max_length: int = 64,
) -> list[list[tuple[str, float]]]:
    """For every clip of `pixel_values` (`(batch, frames, 3, H, W)`, or `(batch, 3, H, W)` one-frame clips), the
    prompts sorted by probability, `[(prompt, probability), ...]`. `prompts` default to the model's event keywords
    (`config.event_config.id2label`); `template` formats each (e.g. "a soccer clip of a {}"). Captions are padded to
    `max_length` tokens as the authors' SigLIP2 text tower expects."""
    if prompts is None:
        prompts = _event_keywords(model)
    if not prompts:
        raise ValueError("rank_prompts needs at least one prompt.")
    video = model.get_video_features(pixel_values)
    text = _text_features(model, tokenizer, prompts, template, max_length)
    probabilities = model.alignment_logits(video, text).sigmoid()
    ranked = []
    for row in probabilities:
        order = row.argsort(descending=True).tolist()
        ranked.append([(prompts[index], float(row[index])) for index in order])
    return ranked


@dataclass
class PromptScorer:
    """SigLIP probabilities of fixed prompts for F_sem: `prompts`, their L2-normalised text features `(P, D)` and the
    alignment scalars (`logit_scale`, applied as ``exp``, and `logit_bias`)."""

    prompts: list[str]
    text_features: torch.Tensor
    logit_scale: float
    logit_bias: float

    @torch.no_grad()
    def __call__(self, pooler_output: torch.Tensor) -> list[float]:
        """Probabilities of the prompts for one clip's F_sem `(1, frames, hidden)` (the video feature is the
        normalised mean over frames, as the alignment head is trained)."""
        video = nn.functional.normalize(pooler_output.float().mean(dim=1), dim=-1)
        logits = video @ self.text_features.t() * math.exp(self.logit_scale) + self.logit_bias
        return [round(p, 6) for p in logits.sigmoid()[0].tolist()]


@torch.no_grad()
def prompt_scorer(model, tokenizer, prompts: Sequence[str] | None = None, template: str = PROMPT_TEMPLATE,
                  max_length: int = 64) -> PromptScorer:
    """A :class:`PromptScorer` for `model` (its `text_model` and alignment scalars) and `tokenizer`; `prompts`
    default to the model's event keywords. Raises `ValueError` when the model has no text tower or no prompt is
    given."""
    if getattr(model, "text_model", None) is None:
        raise ValueError("zero-shot prompts need a model with a text tower (`soccermaster train --text-encoder`).")
    prompts = [str(prompt) for prompt in (_event_keywords(model) if prompts is None else prompts)]
    if not prompts or not all(prompt.strip() for prompt in prompts):
        raise ValueError("zero-shot prompts must be non-empty texts.")
    features = _text_features(model, tokenizer, prompts, template, max_length)
    return PromptScorer(prompts, features.float().cpu(), float(model.logit_scale), float(model.logit_bias))


__all__ = ["PROMPT_TEMPLATE", "PromptScorer", "prompt_scorer", "rank_prompts"]
