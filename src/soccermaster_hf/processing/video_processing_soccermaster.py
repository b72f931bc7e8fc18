# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Video processor for SoccerMaster: frame sampling as in the paper, then the image transform on every frame.

Two sampling modes (SoccerMaster §3, authors' ``data/*.py``):

* ``"spatial"``: `num_frames` **consecutive** frames at the native frame rate (the authors' 30 frames at 25 fps,
  about 1.2 s), starting at `start_frame`, or centred on `timestamp` (seconds) when given;
* ``"semantic"``: `num_frames` frames at `sampling_fps` (1 fps) centred on `timestamp`: the window
  ``[timestamp - num_frames / (2 * fps), timestamp + num_frames / (2 * fps))`` is cut into `num_frames` equal intervals and
  the frame nearest to the middle of each interval is taken (the authors' ``sample="middle"`` rule on their 30-s clips).

Windows that run past either end of the video are shifted inside it; a video shorter than the window repeats its
last frame (as third-party adapters of the release do). The indices and timestamps actually used are returned.

This file ships as Hub remote code: only torch / numpy / transformers / av imports and siblings of this folder.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers.image_processing_utils import BatchFeature
from transformers.image_utils import PILImageResampling
from transformers.processing_utils import VideosKwargs
from transformers.video_processing_utils import BaseVideoProcessor

from .image_processing_soccermaster import SOCCERMASTER_MEAN, SOCCERMASTER_STD, SoccerMasterImageProcessor

SAMPLING_MODES = ("spatial", "semantic", "all")


class VideoDecodingError(ValueError):
    """A video cannot be read; the message names the file and the problem."""


@dataclass
class VideoInfo:
    """Stream properties read from a container without decoding it."""

    path: str
    num_frames: int
    fps: float
    height: int
    width: int

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps if self.fps > 0 else 0.0


def _open_container(path: str):
    try:
        import av
    except ImportError as error:  # pragma: no cover - av is a dependency of the package
        raise ImportError("Reading video files needs PyAV: `pip install av`.") from error
    if not os.path.isfile(path):
        raise VideoDecodingError(f"{path}: video file not found.")
    if os.path.getsize(path) == 0:
        raise VideoDecodingError(f"{path}: empty file (0 bytes).")
    try:
        container = av.open(path)
    except (av.error.FFmpegError, OSError, ValueError) as error:
        raise VideoDecodingError(f"{path}: not a readable video ({error}).") from error
    if not container.streams.video:
        container.close()
        raise VideoDecodingError(f"{path}: the file has no video stream.")
    return container


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Frame count, frame rate and size of a video file (decodes it only when the container does not say)."""
    path = str(path)
    container = _open_container(path)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        num_frames = int(stream.frames or 0)
        if num_frames <= 0 and stream.duration and stream.time_base and fps > 0:
            num_frames = int(round(float(stream.duration * stream.time_base) * fps))
        if num_frames <= 0 or fps <= 0:
            count = 0
            try:
                for _ in container.decode(video=0):
                    count += 1
            except Exception as error:  # noqa: BLE001 - any decoder failure means a broken file
                raise VideoDecodingError(f"{path}: decoding failed after {count} frames ({error}).") from error
            num_frames = count
            fps = fps or 25.0
        if num_frames <= 0:
            raise VideoDecodingError(f"{path}: the video stream contains no frames.")
        return VideoInfo(path=path, num_frames=num_frames, fps=fps, height=stream.height, width=stream.width)
    finally:
        container.close()


def rgb_converter():
    """A function turning a decoded `av.VideoFrame` into an RGB uint8 array of shape (height, width, 3), with a
    swscale context of its own.

    PyAV's ``frame.to_ndarray(format="rgb24")`` reuses one per-thread swscale context, and the slice threads of that
    context do not survive ``fork()``: a DataLoader worker forked after its parent converted a frame waits forever for
    threads that do not exist in it (reproduced with PyAV 18.1 / FFmpeg 8.1; the worker hangs in
    ``avpriv_slicethread_execute``). A context made where it is used is safe; make one per opened video.
    """
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()
    return lambda frame: reformatter.reformat(frame, format="rgb24").to_ndarray()


def read_video_frames(path: str | os.PathLike, indices: Sequence[int], info: VideoInfo | None = None) -> np.ndarray:
    """Decode the frames at `indices` (any order, repeats allowed) as a `(len(indices), H, W, 3)` uint8 RGB array.

    Seeks before sparse requests, so sampling a few frames from a long match does not decode all of it. Raises
    :class:`VideoDecodingError` naming the file when a frame cannot be decoded (corrupt or truncated file).
    """
    path = str(path)
    info = info or probe_video(path)
    wanted = sorted(set(int(i) for i in indices))
    if not wanted:
        raise ValueError("No frame indices requested.")
    if wanted[0] < 0:
        raise ValueError(f"{path}: negative frame index {wanted[0]}.")
    container = _open_container(path)
    frames: dict[int, np.ndarray] = {}
    to_rgb = rgb_converter()
    try:
        stream = container.streams.video[0]
        time_base = float(stream.time_base) if stream.time_base else 1.0 / info.fps
        start_time = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        seek_gap = max(int(2 * info.fps), 8)
        position = -1  # index of the last decoded frame
        pending = list(wanted)
        decoder = None
        sought = None  # the target of the last seek: never seek twice for the same frame (sparse keyframes)
        while pending:
            target = pending[0]
            if decoder is None or (target - position > seek_gap and sought != target):
                sought = target
                seek_seconds = max(0.0, target / info.fps - 1.0)
                try:
                    container.seek(int((seek_seconds + start_time) / time_base), stream=stream, backward=True)
                except Exception:  # noqa: BLE001 - some containers cannot seek: decode from the start
                    container.seek(0)
                decoder = container.decode(stream)
                position = -1
            try:
                frame = next(decoder)
            except StopIteration:
                raise VideoDecodingError(
                    f"{path}: the video ended before frame {target} (container reports {info.num_frames} frames; "
                    "truncated file?)."
                ) from None
            except Exception as error:  # noqa: BLE001
                raise VideoDecodingError(f"{path}: decoding failed near frame {target} ({error}).") from error
            if frame.pts is not None:
                position = int(round((float(frame.pts) * time_base - start_time) * info.fps))
            else:
                position += 1
            while pending and pending[0] < position:
                # A seek landed after the wanted frame (inexact index): take the nearest decoded frame.
                frames[pending.pop(0)] = to_rgb(frame)
            if pending and pending[0] == position:
                frames[pending.pop(0)] = to_rgb(frame)
    finally:
        container.close()
    return np.stack([frames[int(i)] for i in indices])


def sample_frame_indices(
    num_available: int,
    video_fps: float,
    num_frames: int,
    sampling: str = "spatial",
    timestamp: float | None = None,
    start_frame: int | None = None,
    sampling_fps: float = 1.0,
) -> np.ndarray:
    """Frame indices of one clip under the paper's sampling rules (see the module docstring)."""
    if num_available <= 0:
        raise ValueError("The video has no frames.")
    if num_frames <= 0:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}.")
    if sampling == "all":
        return np.arange(num_available)
    if sampling == "spatial":
        if start_frame is None:
            center = timestamp * video_fps if timestamp is not None else num_available / 2
            start_frame = int(round(center - num_frames / 2))
        start_frame = min(max(0, int(start_frame)), max(0, num_available - num_frames))
        indices = np.arange(start_frame, start_frame + num_frames)
    elif sampling == "semantic":
        if sampling_fps <= 0:
            raise ValueError(f"sampling_fps must be positive, got {sampling_fps}.")
        duration = num_available / video_fps
        window = num_frames / sampling_fps
        center = timestamp if timestamp is not None else duration / 2
        begin = min(max(0.0, center - window / 2), max(0.0, duration - window))
        times = begin + (np.arange(num_frames) + 0.5) / sampling_fps
        indices = np.floor(times * video_fps).astype(np.int64)
    else:
        raise ValueError(f"sampling must be one of {SAMPLING_MODES}, got {sampling!r}.")
    return np.clip(indices, 0, num_available - 1)


class SoccerMasterVideoProcessorKwargs(VideosKwargs, total=False):
    """Extra keyword arguments of [`SoccerMasterVideoProcessor`] (see its docstring)."""

    sampling: str
    timestamps: float | list[float | None] | None
    start_frames: int | list[int | None] | None
    sampling_fps: float
    resize_mode: str
    channel_order: str


class SoccerMasterVideoProcessor(BaseVideoProcessor):
    r"""
    Constructs a SoccerMaster video processor.

    Accepts video files (read with PyAV), or clips given as arrays / tensors of shape `(frames, height, width, 3)` or
    `(frames, 3, height, width)`, or lists of PIL images; one clip or a list of clips.

    Args:
        num_frames (`int`, *optional*, defaults to 30):
            Frames per clip.
        sampling (`str`, *optional*, defaults to `"spatial"`):
            `"spatial"` (consecutive frames at native rate), `"semantic"` (1-fps frames around a timestamp) or
            `"all"` (no sampling: every given frame; arrays only).
        sampling_fps (`float`, *optional*, defaults to 1.0):
            Frame rate of semantic clips.
        size, resize_mode, channel_order, do_rescale, do_normalize, image_mean, image_std:
            As in [`SoccerMasterImageProcessor`].

    Call-time keyword arguments: `timestamps` (seconds, one per clip or one for all), `start_frames` (spatial mode),
    `video_fps` (frame rate of array clips, default 25).

    Returns a [`BatchFeature`] with `pixel_values` `(batch_size, num_frames, 3, height, width)`, `frame_indices`
    `(batch_size, num_frames)` and `timestamps` `(batch_size, num_frames)` in seconds.
    """

    model_input_names = ["pixel_values"]
    valid_kwargs = SoccerMasterVideoProcessorKwargs
    resample = PILImageResampling.BICUBIC
    image_mean = SOCCERMASTER_MEAN
    image_std = SOCCERMASTER_STD
    size = {"height": 512, "width": 512}
    default_to_square = True
    do_resize = True
    do_rescale = True
    do_normalize = True
    do_convert_rgb = True
    do_sample_frames = False
    num_frames = 30
    fps = None
    sampling = "spatial"
    sampling_fps = 1.0
    resize_mode = "warp"
    channel_order = "rgb"

    def __call__(self, videos, **kwargs) -> BatchFeature:
        return self.preprocess(videos, **kwargs)

    def preprocess(
        self,
        videos,
        sampling: str | None = None,
        num_frames: int | None = None,
        timestamps: float | Sequence[float | None] | None = None,
        start_frames: int | Sequence[int | None] | None = None,
        sampling_fps: float | None = None,
        video_fps: float = 25.0,
        return_tensors: str | None = "pt",
        **kwargs,
    ) -> BatchFeature:
        """Sample, decode, resize and normalise a clip or a batch of clips (see the class docstring)."""
        sampling = sampling or self.sampling
        if sampling not in SAMPLING_MODES:
            raise ValueError(f"sampling must be one of {SAMPLING_MODES}, got {sampling!r}.")
        num_frames = int(num_frames or self.num_frames)
        sampling_fps = float(sampling_fps or self.sampling_fps)
        unknown = set(kwargs) - set(self.valid_kwargs.__annotations__) - {"return_tensors"}
        if unknown:
            raise TypeError(f"Unexpected keyword argument(s) for SoccerMasterVideoProcessor: {sorted(unknown)}.")
        clips = self._as_clip_list(videos)
        per_clip_timestamps = self._broadcast(timestamps, len(clips), "timestamps")
        per_clip_starts = self._broadcast(start_frames, len(clips), "start_frames")

        size = kwargs.get("size") or self.size
        height, width = (size["height"], size["width"]) if isinstance(size, dict) else (size.height, size.width)
        do_resize = kwargs.get("do_resize", self.do_resize)
        do_rescale = kwargs.get("do_rescale", self.do_rescale)
        do_normalize = kwargs.get("do_normalize", self.do_normalize)
        image_mean = kwargs.get("image_mean") or self.image_mean
        image_std = kwargs.get("image_std") or self.image_std
        resize_mode = kwargs.get("resize_mode") or self.resize_mode
        channel_order = (kwargs.get("channel_order") or self.channel_order).lower()

        pixel_values, all_indices, all_times = [], [], []
        for clip, timestamp, start in zip(clips, per_clip_timestamps, per_clip_starts):
            if isinstance(clip, (str, os.PathLike)):
                info = probe_video(clip)
                indices = sample_frame_indices(info.num_frames, info.fps, num_frames, sampling, timestamp, start,
                                               sampling_fps)
                frames = torch.from_numpy(read_video_frames(clip, indices, info)).permute(0, 3, 1, 2)
                fps = info.fps
            else:
                frames = self._clip_to_tensor(clip, channel_order)
                indices = sample_frame_indices(frames.shape[0], video_fps, num_frames, sampling, timestamp, start,
                                               sampling_fps)
                frames = frames[torch.as_tensor(indices)]
                fps = video_fps
            if sampling != "all" and len(indices) < num_frames:
                pad = num_frames - len(indices)
                indices = np.concatenate([indices, np.full(pad, indices[-1])])
                frames = torch.cat([frames, frames[-1:].expand(pad, -1, -1, -1)])
            processed, _ = SoccerMasterImageProcessor.resize_and_normalize(
                frames, (height, width) if do_resize else None, resize_mode, do_rescale, self.rescale_factor,
                do_normalize, image_mean, image_std,
            )
            pixel_values.append(processed)
            all_indices.append(torch.as_tensor(np.asarray(indices), dtype=torch.long))
            all_times.append(torch.as_tensor(np.asarray(indices) / fps, dtype=torch.float64))
        if return_tensors is not None and len({tuple(p.shape) for p in pixel_values}) == 1:
            data = {
                "pixel_values": torch.stack(pixel_values),
                "frame_indices": torch.stack(all_indices),
                "timestamps": torch.stack(all_times),
            }
        else:
            data = {"pixel_values": pixel_values, "frame_indices": all_indices, "timestamps": all_times}
        return BatchFeature(data=data)

    @staticmethod
    def _broadcast(value, count: int, name: str) -> list:
        if value is None or isinstance(value, (int, float)):
            return [value] * count
        value = list(value)
        if len(value) != count:
            raise ValueError(f"`{name}` has {len(value)} entries for {count} clips.")
        return value

    @staticmethod
    def _as_clip_list(videos) -> list:
        """Normalise the accepted inputs to a list of clips (paths, arrays / tensors, or lists of PIL images)."""
        if isinstance(videos, (str, Path)):
            return [str(videos)]
        if isinstance(videos, (np.ndarray, torch.Tensor)):
            if videos.ndim == 4:
                return [videos]
            if videos.ndim == 5:
                return list(videos)
            raise ValueError(
                f"A clip array must have shape (frames, height, width, 3) or (frames, 3, height, width), or a batch of "
                f"them with 5 dimensions; got shape {tuple(videos.shape)}."
            )
        if isinstance(videos, (list, tuple)):
            if not videos:
                raise ValueError("No video given (empty list).")
            first = videos[0]
            if hasattr(first, "convert") and hasattr(first, "size"):  # one clip as a list of PIL images
                return [list(videos)]
            return [str(v) if isinstance(v, Path) else v for v in videos]
        raise TypeError(f"Unsupported video input of type {type(videos).__name__}.")

    @staticmethod
    def _clip_to_tensor(clip, channel_order: str) -> torch.Tensor:
        """`(frames, 3, H, W)` uint8/float tensor in RGB from an array, a tensor or a list of PIL images."""
        if isinstance(clip, (list, tuple)):
            if not clip:
                raise ValueError("Empty clip (no frames).")
            if hasattr(clip[0], "convert"):
                clip = np.stack([np.asarray(frame.convert("RGB")) for frame in clip])
            else:
                clip = np.stack([np.asarray(frame) for frame in clip])
        # np.ascontiguousarray: views with negative strides (`clip[..., ::-1]`, BGR -> RGB) are copied, not refused
        tensor = torch.as_tensor(np.ascontiguousarray(clip)) if isinstance(clip, np.ndarray) else clip
        if tensor.ndim != 4:
            raise ValueError(f"A clip must have 4 dimensions (frames, ...), got shape {tuple(tensor.shape)}.")
        if tensor.shape[0] == 0:
            raise ValueError("Empty clip (no frames).")
        if tensor.shape[-1] in (1, 3, 4) and tensor.shape[1] not in (1, 3, 4):
            tensor = tensor.permute(0, 3, 1, 2)
        if tensor.shape[1] == 4:
            tensor = tensor[:, :3]
        if tensor.shape[1] == 1:
            tensor = tensor.expand(-1, 3, -1, -1)
        if tensor.shape[1] != 3:
            raise ValueError(f"Could not find a channel axis of size 1, 3 or 4 in clip of shape {tuple(tensor.shape)}.")
        if channel_order == "bgr":
            tensor = tensor.flip(1)
        elif channel_order != "rgb":
            raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}.")
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ValueError("The clip contains NaN or infinite values.")
        return tensor.contiguous()


def clip_timestamps(indices: torch.Tensor, fps: float) -> torch.Tensor:
    """Seconds of frame `indices` at `fps` (helper for users building their own clips)."""
    if fps <= 0 or math.isnan(fps):
        raise ValueError(f"fps must be positive, got {fps}.")
    return indices.to(torch.float64) / fps


__all__ = [
    "SoccerMasterVideoProcessor",
    "VideoDecodingError",
    "VideoInfo",
    "probe_video",
    "read_video_frames",
    "rgb_converter",
    "sample_frame_indices",
]
