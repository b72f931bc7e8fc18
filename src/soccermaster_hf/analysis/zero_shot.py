"""Zero-shot event recognition: rank the event keywords (or any prompts) for a clip by video-text alignment.

Uses a model with a text tower (`SoccerMasterModel`, or any class with `get_video_features` / `get_text_features`
and the alignment scalars): each prompt gets the SigLIP probability `sigmoid(cos * exp(logit_scale) + logit_bias)`,
as the authors' alignment head is trained (independent per pair, so the scores do not sum to one).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

PROMPT_TEMPLATE = "{}"  # the authors align clips with the anonymised commentary itself, not with a templated phrase


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
        labels = model.config.event_config.id2label
        prompts = [labels[index] for index in sorted(labels)]
    if not prompts:
        raise ValueError("rank_prompts needs at least one prompt.")
    texts = [template.format(prompt) for prompt in prompts]
    tokens = tokenizer(texts, padding="max_length", max_length=max_length, truncation=True, return_tensors="pt")
    video = model.get_video_features(pixel_values)
    text = model.get_text_features(tokens["input_ids"], tokens.get("attention_mask"))
    probabilities = model.alignment_logits(video, text).sigmoid()
    ranked = []
    for row in probabilities:
        order = row.argsort(descending=True).tolist()
        ranked.append([(prompts[index], float(row[index])) for index in order])
    return ranked


__all__ = ["PROMPT_TEMPLATE", "rank_prompts"]
