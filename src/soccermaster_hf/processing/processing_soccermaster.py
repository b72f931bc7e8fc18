# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""`SoccerMasterProcessor`: image processor + video processor + tokenizer in one object.

The tokenizer pads to `max_length` 64 by default, as the authors did for the SigLIP2 text tower
(``padding="max_length"``; SigLIP was trained that way). Ships as Hub remote code.
"""

from __future__ import annotations

from typing import Any

from transformers.image_processing_utils import BatchFeature
from transformers.processing_utils import ProcessorMixin

_VIDEO_KEYS = {"sampling", "num_frames", "timestamps", "start_frames", "sampling_fps", "video_fps"}
_TEXT_KEYS = {"padding", "max_length", "truncation", "add_special_tokens", "return_attention_mask"}


class SoccerMasterProcessor(ProcessorMixin):
    r"""
    Wraps a [`SoccerMasterImageProcessor`], a [`SoccerMasterVideoProcessor`] and a tokenizer.

    `processor(images=..., videos=..., text=...)` returns one `BatchFeature` with `pixel_values` (images: `(batch, 3,
    H, W)`; videos: `(batch, frames, 3, H, W)` plus `frame_indices` and `timestamps`), and `input_ids` /
    `attention_mask` for the text. Pass either images or videos, not both. Keyword arguments are routed by name:
    video sampling arguments (`sampling`, `num_frames`, `timestamps`, `start_frames`, `sampling_fps`, `video_fps`) to
    the video processor, `padding` / `max_length` / `truncation` to the tokenizer, the rest to the image / video
    processor.
    """

    text_max_length = 64

    def __init__(self, image_processor=None, video_processor=None, tokenizer=None, **kwargs):
        super().__init__(image_processor, video_processor, tokenizer, **kwargs)

    def __call__(self, images=None, text=None, videos=None, **kwargs: Any) -> BatchFeature:
        if images is None and videos is None and text is None:
            raise ValueError("Give at least one of `images`, `videos` or `text`.")
        if images is not None and videos is not None:
            raise ValueError("Give either `images` or `videos`, not both: both become `pixel_values`.")
        text_kwargs = {key: kwargs.pop(key) for key in list(kwargs) if key in _TEXT_KEYS}
        return_tensors = kwargs.pop("return_tensors", "pt")
        data: dict[str, Any] = {}
        if images is not None:
            image_kwargs = {key: value for key, value in kwargs.items() if key not in _VIDEO_KEYS}
            data.update(self.image_processor(images, return_tensors=return_tensors, **image_kwargs))
        if videos is not None:
            data.update(self.video_processor(videos, return_tensors=return_tensors, **kwargs))
        if text is not None:
            if self.tokenizer is None:
                raise ValueError("This processor has no tokenizer; it cannot encode `text`.")
            text_kwargs.setdefault("padding", "max_length")
            text_kwargs.setdefault("max_length", self.text_max_length)
            text_kwargs.setdefault("truncation", True)
            data.update(self.tokenizer(text, return_tensors=return_tensors, **text_kwargs))
        return BatchFeature(data=data)

    def batch_decode(self, *args, **kwargs):
        return self.tokenizer.batch_decode(*args, **kwargs)

    def decode(self, *args, **kwargs):
        return self.tokenizer.decode(*args, **kwargs)

    @property
    def model_input_names(self) -> list[str]:
        names = ["pixel_values"]
        if self.tokenizer is not None:
            names += list(self.tokenizer.model_input_names)
        return names


__all__ = ["SoccerMasterProcessor"]
