# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Commentary generation: SoccerMaster's F_sem -> video Q-Former -> prefix embeddings of any causal language model.

MatchTime's MatchVoice recipe (SPEC 1.3; the authors' commentary runtime is MatchVoice-style): per-frame F_sem
`(batch, frames, d)` -> LayerNorm -> + a learned frame position embedding (`max_frame_positions` = 128) -> transformers'
`Blip2QFormerModel` (2 layers, cross-attention in every layer, `num_query_tokens` = 32 learned queries) -> Linear to
the language model's width -> the visual prefix. The language model is any `AutoModelForCausalLM` built from
`config.text_config` (Llama-3-8B-Instruct in the paper). Training sequences are `[32 visual] + <bos> + caption +
<eos>` with labels -100 on the prefix; generation feeds `[32 visual] + <bos>` as `inputs_embeds` to the language
model's `generate` (beam search, sampling, `max_new_tokens`, eos), optionally restricted to an allowed vocabulary.

Ships as Hub remote code: sibling-relative imports only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoModelForCausalLM, Blip2QFormerModel, GenerationMixin
from transformers.generation import LogitsProcessor, LogitsProcessorList
from transformers.processing_utils import Unpack
from transformers.utils import ModelOutput, TransformersKwargs, can_return_tuple

from .configuration_soccermaster import SoccerMasterConfig
from .modeling_soccermaster import (
    SoccerMasterPreTrainedModel,
    SoccerMasterVisionModel,
    check_forward_kwargs,
    vision_extras,
)
from .modeling_soccermaster_video import semantic_features

IGNORE_INDEX = -100


@dataclass
class SoccerMasterCommentaryOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor` of shape `()`, *optional*): next-token cross-entropy on the caption, when `labels` are given.
    logits (`torch.FloatTensor` of shape `(batch_size, prefix + sequence_length, vocab_size)`): the language model's.
    language_model_inputs (`torch.FloatTensor` of shape `(batch_size, num_query_tokens, text_hidden_size)`): the
        visual prefix (projected Q-Former output).
    qformer_last_hidden_state (`torch.FloatTensor` of shape `(batch_size, num_query_tokens, qformer_hidden_size)`).
    pooler_output (`torch.FloatTensor` of shape `(batch_size, num_frames, hidden_size)`): F_sem.
    hidden_states, attentions, temporal_attentions (`tuple(torch.FloatTensor)`, *optional*): the backbone's.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    language_model_inputs: torch.FloatTensor | None = None
    qformer_last_hidden_state: torch.FloatTensor | None = None
    pooler_output: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    temporal_attentions: tuple[torch.FloatTensor, ...] | None = None


class AllowedTokensLogitsProcessor(LogitsProcessor):
    """Sets the score of every token outside `allowed_token_ids` to -inf (MatchTime decodes within a soccer word list).

    Args:
        allowed_token_ids (`Iterable[int]`): the token ids that may be generated (add the eos ids, or generation
            cannot stop; [`SoccerMasterForConditionalGeneration.generate`] does).
    """

    def __init__(self, allowed_token_ids: Iterable[int]):
        self.allowed_token_ids = sorted({int(i) for i in allowed_token_ids})
        if not self.allowed_token_ids or self.allowed_token_ids[0] < 0:
            raise ValueError("allowed_token_ids must be a non-empty set of non-negative token ids.")

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        allowed = torch.zeros(scores.shape[-1], dtype=torch.bool, device=scores.device)
        allowed[torch.tensor([i for i in self.allowed_token_ids if i < scores.shape[-1]], device=scores.device)] = True
        return scores.masked_fill(~allowed, -float("inf"))


class SoccerMasterForConditionalGeneration(SoccerMasterPreTrainedModel, GenerationMixin):
    """Backbone + video Q-Former + any causal language model: commentary generation from clips (or precomputed F_sem).

    Needs `config.text_config` (the language model, any `AutoModelForCausalLM` type) and `config.qformer_config`.
    Add the anonymisation placeholders to the tokenizer and resize the embeddings before training
    (`SoccerMasterCommentaryProcessor.add_tokens_to(model)` does both).

    Example:

    ```python
    >>> import torch
    >>> from soccermaster_hf import SoccerMasterConfig, SoccerMasterForConditionalGeneration

    >>> config = SoccerMasterConfig(
    ...     vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3,
    ...                    "num_attention_heads": 4, "image_size": 32, "patch_size": 8, "num_frames": 4,
    ...                    "temporal_start_layer": 2},
    ...     qformer_config={"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 64},
    ...     text_config={"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
    ...                  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    ...                  "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2},
    ...     num_query_tokens=8)
    >>> model = SoccerMasterForConditionalGeneration(config).eval()
    >>> ids = model.generate(pooler_output=torch.randn(2, 4, 32), max_new_tokens=5, num_beams=2)
    >>> ids.shape[0]
    2
    ```
    """

    config_class = SoccerMasterConfig
    _keep_in_fp32_modules = ["query_tokens", "qformer"]
    _supports_flash_attn = False

    def __init__(self, config: SoccerMasterConfig):
        super().__init__(config)
        if config.text_config is None or config.qformer_config is None:
            raise ValueError("SoccerMasterForConditionalGeneration needs `text_config` (a causal language model) and "
                             "`qformer_config` (e.g. `{}` for MatchVoice's Q-Former) in its SoccerMasterConfig.")
        width = config.vision_config.hidden_size
        qformer_width = config.qformer_config.hidden_size
        self.vision_model = SoccerMasterVisionModel(config.vision_config)
        self.frame_layernorm = nn.LayerNorm(width)
        self.frame_position_embedding = nn.Embedding(config.max_frame_positions, width)
        self.query_tokens = nn.Parameter(torch.zeros(1, config.num_query_tokens, qformer_width))
        self.qformer = Blip2QFormerModel._from_config(config.qformer_config)
        self.language_projection = nn.Linear(qformer_width, config.text_config.hidden_size)
        self.language_model = AutoModelForCausalLM.from_config(config.text_config)
        self.post_init()

    @classmethod
    def from_parts(cls, config: SoccerMasterConfig, vision_model: nn.Module, language_model: nn.Module
                   ) -> SoccerMasterForConditionalGeneration:
        """A model around existing (pretrained) towers: the backbone and the language model are used as they are,
        the commentary head (norm, frame positions, queries, Q-Former, projection) is freshly initialised, and no
        random copy of either tower is ever allocated (it is built on stand-ins of one layer and swapped)."""
        config = config.__class__.from_dict(config.to_dict())
        vision_stub = {**vision_model.config.to_dict(), "num_hidden_layers": 1, "temporal_start_layer": 1,
                       "image_size": vision_model.config.patch_size, "intermediate_size": 1}
        text_stub = {**language_model.config.to_dict(), "num_hidden_layers": 1, "vocab_size": 1,
                     "intermediate_size": 1, "tie_word_embeddings": False, "pad_token_id": None,
                     "bos_token_id": None, "eos_token_id": None}
        stub_config = config.__class__.from_dict({**config.to_dict(), "vision_config": vision_stub,
                                                  "text_config": text_stub})
        model = cls(stub_config)
        model.vision_model, model.language_model = vision_model, language_model
        model.config.vision_config, model.config.text_config = vision_model.config, language_model.config
        model.config.num_frames = vision_model.config.num_frames
        return model

    # ---------------------------------------------------------------- the language model's embeddings
    def get_input_embeddings(self) -> nn.Module:
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.language_model.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module:
        return self.language_model.get_output_embeddings()

    def set_output_embeddings(self, value: nn.Module) -> None:
        self.language_model.set_output_embeddings(value)

    def resize_token_embeddings(self, new_num_tokens: int | None = None, *args, **kwargs) -> nn.Embedding:
        """Resize the language model's vocabulary (after adding the placeholder tokens) and keep `text_config` in step."""
        embeddings = self.language_model.resize_token_embeddings(new_num_tokens, *args, **kwargs)
        self.config.text_config.vocab_size = embeddings.weight.shape[0]
        return embeddings

    # ---------------------------------------------------------------- visual prefix
    def get_video_prefix(
        self, pixel_values: torch.Tensor | None = None, pooler_output: torch.Tensor | None = None,
        frame_mask: torch.Tensor | None = None, **kwargs: Unpack[TransformersKwargs],
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, object]:
        """`(prefix (B, num_query_tokens, text_hidden), qformer output (B, Q, qformer_hidden), F_sem, backbone output)`.

        `frame_mask` (`(batch, frames)`, 1 = real frame) masks padded frames out of the Q-Former's cross-attention.
        """
        features, vision_outputs = semantic_features(self, pixel_values, pooler_output, **kwargs)
        batch, frames = features.shape[:2]
        if frames > self.config.max_frame_positions:
            raise ValueError(f"{frames} frames exceed max_frame_positions={self.config.max_frame_positions}.")
        positions = torch.arange(frames, device=features.device)
        # (batch, frames, d) + (1, frames, d)
        frame_states = self.frame_layernorm(features) + self.frame_position_embedding(positions)[None]
        query_tokens = self.query_tokens.expand(batch, -1, -1)
        if frame_mask is not None:
            frame_mask = frame_mask.to(device=features.device, dtype=torch.long)
        query_output = self.qformer(query_embeds=query_tokens, encoder_hidden_states=frame_states,
                                    encoder_attention_mask=frame_mask).last_hidden_state
        projection_dtype = self.language_projection.weight.dtype
        prefix = self.language_projection(query_output.to(projection_dtype))
        return prefix, query_output, features, vision_outputs

    def _start_ids(self, batch: int, device) -> torch.LongTensor:
        bos = self.config.text_config.bos_token_id
        if bos is None:
            raise ValueError("text_config.bos_token_id is not set: pass `input_ids` (e.g. from the processor).")
        return torch.full((batch, 1), int(bos), dtype=torch.long, device=device)

    def merge_prefix(
        self, prefix: torch.Tensor, input_ids: torch.LongTensor | None, attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.LongTensor | None]:
        """`(inputs_embeds, attention_mask, labels)` of the language model with the visual prefix in place.

        Sequences that hold `num_query_tokens` video tokens (`config.video_token_id`, as the processor writes them)
        get the prefix scattered into those positions; sequences without any get it prepended (MatchTime's layout:
        `[prefix] + input_ids`). Labels on prefix positions are -100; no `input_ids` means `<bos>` only.
        """
        batch = prefix.shape[0]
        if input_ids is None:
            input_ids = self._start_ids(batch, prefix.device)
        input_ids = input_ids.to(prefix.device)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        attention_mask = attention_mask.to(prefix.device)
        embeddings = self.get_input_embeddings()(input_ids)
        prefix = prefix.to(embeddings.dtype)
        video_token = self.config.video_token_id
        slots = input_ids == video_token if video_token is not None else torch.zeros_like(input_ids, dtype=torch.bool)
        counts = slots.sum(dim=1)
        if bool((counts == 0).all()):
            embeddings = torch.cat([prefix, embeddings], dim=1)
            attention_mask = torch.cat([attention_mask.new_ones(prefix.shape[:2]), attention_mask], dim=1)
            if labels is not None:
                labels = torch.cat([labels.new_full(prefix.shape[:2], IGNORE_INDEX), labels.to(prefix.device)], dim=1)
            return embeddings, attention_mask, labels
        if not bool((counts == prefix.shape[1]).all()):
            raise ValueError(f"Every sequence needs exactly {prefix.shape[1]} video tokens (id {video_token}) or none; "
                             f"got {counts.tolist()}.")
        embeddings = embeddings.masked_scatter(slots[..., None], prefix)
        if labels is not None:
            labels = labels.to(prefix.device).masked_fill(slots, IGNORE_INDEX)
        return embeddings, attention_mask, labels

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        pooler_output: torch.Tensor | None = None,
        frame_mask: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> SoccerMasterCommentaryOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_frames, 3, height, width)`): semantic clips.
            input_ids (`torch.LongTensor` of shape `(batch_size, sequence_length)`, *optional*): the processor's
                `[video tokens] + <bos> + caption + <eos>` (or the text alone: the prefix is then prepended).
            attention_mask (`torch.LongTensor`, *optional*): 1 on real tokens, 0 on padding.
            labels (`torch.LongTensor`, *optional*): same shape as `input_ids`, -100 where no loss is taken (the
                prefix positions are masked here in any case).
            pooler_output (`torch.FloatTensor`, *optional*): precomputed F_sem `(batch_size, num_frames, hidden)`.
            frame_mask (`torch.LongTensor` of shape `(batch_size, num_frames)`, *optional*): 0 on padded frames.
        """
        check_forward_kwargs(self, kwargs)
        prefix, query_output, features, vision_outputs = self.get_video_prefix(pixel_values, pooler_output,
                                                                               frame_mask, **kwargs)
        inputs_embeds, attention_mask, labels = self.merge_prefix(prefix, input_ids, attention_mask, labels)
        outputs = self.language_model(inputs_embeds=inputs_embeds, attention_mask=attention_mask, labels=labels,
                                      use_cache=False)
        return SoccerMasterCommentaryOutput(loss=outputs.loss, logits=outputs.logits, language_model_inputs=prefix,
                                            qformer_last_hidden_state=query_output, pooler_output=features,
                                            **vision_extras(vision_outputs))

    @torch.no_grad()
    def generate(
        self,
        pixel_values: torch.Tensor | None = None,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        pooler_output: torch.Tensor | None = None,
        frame_mask: torch.Tensor | None = None,
        allowed_token_ids: Iterable[int] | None = None,
        logits_processor: LogitsProcessorList | None = None,
        **generate_kwargs,
    ) -> torch.LongTensor:
        """Generate commentary token ids (the new tokens only) with the language model's `generate`.

        The start is `[visual prefix] + <bos>` (or the prefix merged with `input_ids`, e.g. the processor's
        generation prompt); `generate_kwargs` go to transformers' generation (`max_new_tokens`, `num_beams`,
        `do_sample`, `top_p`, `temperature`, `min_length`, `repetition_penalty`, `generation_config`, ...).
        `allowed_token_ids` restricts decoding to those ids (and the eos ids), as MatchTime does with its soccer
        word list; decode with `SoccerMasterCommentaryProcessor.post_process_commentary`.
        """
        prefix = self.get_video_prefix(pixel_values, pooler_output, frame_mask)[0]
        inputs_embeds, attention_mask, _ = self.merge_prefix(prefix, input_ids, attention_mask)
        processors = LogitsProcessorList(logits_processor or [])
        if allowed_token_ids is not None:
            eos = generate_kwargs.get("eos_token_id", self.language_model.generation_config.eos_token_id)
            eos = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
            processors.append(AllowedTokensLogitsProcessor([*allowed_token_ids, *eos]))
            generate_kwargs.setdefault("renormalize_logits", True)
        return self.language_model.generate(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                                            logits_processor=processors, **generate_kwargs)


__all__ = ["AllowedTokensLogitsProcessor", "SoccerMasterCommentaryOutput", "SoccerMasterForConditionalGeneration"]
