# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""`SoccerMasterCommentaryProcessor`: the language model's tokenizer side of commentary generation.

Builds MatchTime's training sequences `[num_query_tokens video tokens] + <bos> + caption + <eos>` (right-padded with
the pad id, which is the eos id when the tokenizer has none, as MatchTime pads), with `labels` = -100 on the video
tokens and the padding, and the generation prompt `[video tokens] + <bos>`; adds the anonymisation placeholders
(`[PLAYER]`, `[TEAM]`, `[COACH]`, `[REFEREE]`, `([TEAM])`) and the video token as special tokens; decodes generated
ids back to commentary strings (placeholders kept). Clips go through `SoccerMasterVideoProcessor` (1-fps semantic
sampling) as for every semantic head. Ships as Hub remote code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from transformers.image_processing_utils import BatchFeature
from transformers.processing_utils import ProcessorMixin

IGNORE_INDEX = -100
PLACEHOLDER_TOKENS = ("[PLAYER]", "[TEAM]", "[COACH]", "[REFEREE]", "([TEAM])")


class SoccerMasterCommentaryProcessor(ProcessorMixin):
    r"""
    The language model's tokenizer (any causal LM's) for commentary generation.

    `processor(text=captions)` returns `input_ids`, `attention_mask` and `labels` (same shape); without `text`,
    `processor(batch_size=n)` gives the generation prompt. Call [`add_tokens_to`] once on a fresh tokenizer / model
    pair (placeholders, video token, resized embeddings, `config.video_token_id`).

    Args:
        tokenizer ([`PreTrainedTokenizerBase`]): the language model's tokenizer.
        num_query_tokens (`int`, *optional*, defaults to 32): video tokens per sequence (the model's prefix length).
        max_length (`int`, *optional*, defaults to 128): longest caption in tokens, `<bos>` and `<eos>` included.
        video_token (`str`, *optional*, defaults to `"<video>"`): the token marking prefix positions.
    """

    def __init__(self, tokenizer=None, num_query_tokens: int = 32, max_length: int = 128,
                 video_token: str = "<video>", **kwargs):
        self.num_query_tokens = int(num_query_tokens)
        self.max_length = int(max_length)
        self.video_token = video_token
        super().__init__(tokenizer, **kwargs)

    # ---------------------------------------------------------------- vocabulary
    @property
    def video_token_id(self) -> int:
        token_id = self.tokenizer.convert_tokens_to_ids(self.video_token)
        if token_id is None or token_id == self.tokenizer.unk_token_id:
            raise ValueError(f"The tokenizer has no {self.video_token!r} token: call `processor.add_tokens_to(model)`.")
        return int(token_id)

    def _special_id(self, name: str) -> int:
        token_id = getattr(self.tokenizer, f"{name}_token_id")
        if token_id is None:
            raise ValueError(f"The tokenizer has no {name} token; set `tokenizer.{name}_token`.")
        return int(token_id)

    def add_tokens_to(self, model=None) -> int:
        """Add the placeholders and the video token as special tokens (pad = eos when the tokenizer has no pad);
        with `model`: resize its embeddings to the tokenizer and set `config.video_token_id` and the text config's
        bos / eos / pad ids. Returns the number of tokens added."""
        added = self.tokenizer.add_tokens([*PLACEHOLDER_TOKENS, self.video_token], special_tokens=True)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        if model is not None:
            model.resize_token_embeddings(len(self.tokenizer))
            model.config.video_token_id = self.video_token_id
            text_config = model.config.text_config
            for name in ("bos", "eos", "pad"):
                setattr(text_config, f"{name}_token_id", self._special_id(name))
            generation_config = model.language_model.generation_config
            generation_config.bos_token_id, generation_config.eos_token_id = text_config.bos_token_id, \
                text_config.eos_token_id
            generation_config.pad_token_id = text_config.pad_token_id
        return added

    def allowed_token_ids(self, texts: Iterable[str]) -> list[int]:
        """The token ids of `texts` (e.g. the training captions or a soccer word list), the placeholders and the eos:
        the vocabulary MatchTime restricts decoding to (`generate(..., allowed_token_ids=...)`)."""
        ids = {self._special_id("eos"), *self.tokenizer.convert_tokens_to_ids(list(PLACEHOLDER_TOKENS))}
        for text in texts:
            ids.update(self.tokenizer(text, add_special_tokens=False)["input_ids"])
        return sorted(i for i in ids if i is not None)

    # ---------------------------------------------------------------- encoding
    def __call__(self, text: str | Sequence[str] | None = None, batch_size: int | None = None) -> BatchFeature:
        """`input_ids`, `attention_mask` and (with `text`) `labels`, as tensors; without `text`, the generation
        prompt `[video tokens] + <bos>` repeated `batch_size` times."""
        data: dict[str, Any] = {}
        prefix = [self.video_token_id] * self.num_query_tokens + [self._special_id("bos")]
        if text is None:
            if batch_size is None:
                raise ValueError("Give `text` or `batch_size`.")
            data["input_ids"] = torch.tensor([prefix] * batch_size, dtype=torch.long)
            data["attention_mask"] = torch.ones_like(data["input_ids"])
            return BatchFeature(data=data)
        texts = [text] if isinstance(text, str) else list(text)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("`text` must be a string or a list of strings.")
        eos, pad = self._special_id("eos"), self._special_id("pad")
        encoded = self.tokenizer(texts, add_special_tokens=False, truncation=True,
                                 max_length=max(1, self.max_length - 2))["input_ids"]
        sequences = [prefix + ids + [eos] for ids in encoded]
        longest = max(len(s) for s in sequences)
        input_ids = torch.full((len(sequences), longest), pad, dtype=torch.long)
        labels = torch.full_like(input_ids, IGNORE_INDEX)
        attention_mask = torch.zeros_like(input_ids)
        for row, sequence in enumerate(sequences):
            input_ids[row, : len(sequence)] = torch.tensor(sequence)
            labels[row, self.num_query_tokens: len(sequence)] = torch.tensor(sequence[self.num_query_tokens:])
            attention_mask[row, : len(sequence)] = 1
        data.update({"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels})
        return BatchFeature(data=data)

    # ---------------------------------------------------------------- decoding
    def post_process_commentary(self, generated_ids: torch.Tensor | Sequence[Sequence[int]]) -> list[str]:
        """Commentary strings from generated ids: cut at the first eos, bos / pad / video ids dropped, placeholders
        kept (they are special tokens, so `skip_special_tokens` would remove them), whitespace normalised."""
        eos, drop = self._special_id("eos"), {self.tokenizer.bos_token_id, self.tokenizer.pad_token_id}
        drop.add(self.tokenizer.convert_tokens_to_ids(self.video_token))
        texts = []
        for row in (generated_ids.tolist() if isinstance(generated_ids, torch.Tensor) else generated_ids):
            row = list(row)
            if eos in row:
                row = row[: row.index(eos)]
            text = self.tokenizer.decode([i for i in row if i not in drop], skip_special_tokens=False)
            texts.append(" ".join(text.split()))
        return texts

    def batch_decode(self, *args, **kwargs):
        return self.tokenizer.batch_decode(*args, **kwargs)

    def decode(self, *args, **kwargs):
        return self.tokenizer.decode(*args, **kwargs)

    @property
    def model_input_names(self) -> list[str]:
        return ["input_ids", "attention_mask"]


__all__ = ["PLACEHOLDER_TOKENS", "SoccerMasterCommentaryProcessor"]
