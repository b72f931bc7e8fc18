"""Frames of an analysis input, one at a time: a video file (decoded packet by packet with PyAV), a folder of
images, a single image, or frames already in memory (the ``--demo`` clip).

Nothing here holds more than one decoded frame: :meth:`FrameSource.frames` is a generator, so the analysis runs in
memory that does not grow with the input's length. Indices are the input's own 0-based frame numbers (from the
packets' timestamps for a video), so a video with a corrupt stretch keeps its timeline: packets that fail to decode
are skipped and counted (``corrupt_packets``), and frames the timestamps jump over are counted (``missing_frames``)
in the :class:`~soccermaster_hf.data.report.DataReport`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data.images import IMAGE_SUFFIXES, ImageLoadError, image_files, is_regular_file, load_image
from ..data.report import DataReport

#: The smallest frame side (pixels) that analysis accepts; smaller images are refused or, in a folder, counted and
#: skipped.
MIN_FRAME_SIDE = 16


@dataclass
class FrameSource:
    """An analysis input. `num_frames` is what the container or folder says (a video's count may be an estimate);
    `fps` its frame rate (25 for images and folders); `kind` one of ``video``, ``folder``, ``image``, ``memory``."""

    path: str | None
    kind: str
    fps: float
    num_frames: int
    width: int
    height: int
    description: str
    report: DataReport = field(default_factory=DataReport)
    _files: list[Path] | None = field(default=None, repr=False)
    _arrays: list[np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, source: str | os.PathLike, report: DataReport | None = None) -> FrameSource:
        """Inspect `source` (reads no more than one frame): raises ``FileNotFoundError`` / ``ValueError`` naming it
        when it is missing, empty, unreadable or not a regular file."""
        path = Path(source)
        report = report if report is not None else DataReport(source=str(source))
        if not path.exists():
            raise FileNotFoundError(f"{source}: no such file or folder.")
        if path.is_dir():
            files = image_files(path, report)
            if not files:
                raise ValueError(f"{source}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in this folder"
                                 f"{f' ({report.summary()})' if report.counts else ''}.")
            first = None
            for file in files:  # the first readable image gives the size; unreadable ones are counted when read
                try:
                    first = _large_enough(load_image(file), file)
                    break
                except (ImageLoadError, OSError):
                    continue
            if first is None:
                raise ValueError(f"{source}: no readable image in this folder.")
            return cls(str(path), "folder", 25.0, len(files), first.shape[1], first.shape[0],
                       f"{len(files)} images from {path.name}/", report, _files=files)
        if not is_regular_file(path):
            raise ValueError(f"{source}: not a regular file (FIFO, socket or device).")
        if path.suffix.lower() in IMAGE_SUFFIXES:
            image = _large_enough(load_image(path), path)
            return cls(str(path), "image", 25.0, 1, image.shape[1], image.shape[0],
                       f"image {image.shape[1]}x{image.shape[0]}", report, _arrays=[image])
        from ..processing.video_processing_soccermaster import probe_video

        info = probe_video(path)
        if min(info.width, info.height) < MIN_FRAME_SIDE:
            raise ValueError(f"{source}: video frames of {info.width}x{info.height} are too small to analyse (at "
                             f"least {MIN_FRAME_SIDE} pixels a side).")
        return cls(str(path), "video", info.fps, info.num_frames, info.width, info.height,
                   f"video {info.width}x{info.height} @ {info.fps:g} fps, {info.num_frames} frames", report)

    @classmethod
    def from_arrays(cls, frames: list[np.ndarray], fps: float, description: str) -> FrameSource:
        """Frames already in memory (RGB uint8 ``(H, W, 3)``), e.g. a rendered demo clip."""
        if not frames:
            raise ValueError("No frames.")
        return cls(None, "memory", fps, len(frames), frames[0].shape[1], frames[0].shape[0], description,
                   _arrays=list(frames))

    @property
    def duration(self) -> float:
        """Seconds covered by `num_frames` at `fps`."""
        return self.num_frames / self.fps

    def frame_at(self, seconds: float) -> int:
        """The index of the frame shown at `seconds` (clipped to the input)."""
        return int(min(max(0, math.floor(seconds * self.fps + 1e-6)), self.num_frames))

    def frames(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """``(index, frame)`` for the frames with ``start <= index < end`` (RGB uint8), one at a time."""
        end = self.num_frames if end is None else min(end, self.num_frames)
        if self.kind == "video":
            yield from self._video_frames(start, end)
            return
        if self._arrays is not None:
            for index in range(start, min(end, len(self._arrays))):
                yield index, self._arrays[index]
            return
        for index in range(start, end):
            try:
                image = load_image(self._files[index])
            except (ImageLoadError, OSError) as error:
                self.report.add("unreadable_image", f"{error} Skipped.")
                continue
            try:
                yield index, _large_enough(image, self._files[index])
            except ImageLoadError as error:
                self.report.add("too_small_image", f"{error} Skipped.")

    def _video_frames(self, start: int, end: int) -> Iterator[tuple[int, np.ndarray]]:
        import av

        from ..processing.video_processing_soccermaster import VideoDecodingError, _open_container, rgb_converter

        if start >= end:
            return
        container = _open_container(self.path)
        to_rgb = rgb_converter()
        try:
            stream = container.streams.video[0]
            time_base = float(stream.time_base) if stream.time_base else 1.0 / self.fps
            offset = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
            if start > 0:  # to the keyframe before `start`, then decode forward
                try:
                    container.seek(int((max(0.0, start / self.fps - 1.0) + offset) / time_base), stream=stream,
                                   backward=True)
                except av.error.FFmpegError:
                    container.seek(0)
            position, decoded = -1, 0
            for packet in container.demux(stream):
                try:
                    decoded_frames = packet.decode()
                except av.error.FFmpegError as error:
                    self.report.add("corrupt_packets", f"{self.path}: a packet failed to decode ({error}); "
                                                       "skipped.")
                    continue
                for frame in decoded_frames:
                    index = (int(round((float(frame.pts) * time_base - offset) * self.fps))
                             if frame.pts is not None else position + 1)
                    if index <= position:  # a repeated timestamp: keep the timeline increasing
                        index = position + 1
                    if index >= end:
                        return
                    if index < start:
                        position = index
                        continue
                    if position >= start - 1 and index > position + 1 and decoded:
                        self.report.add("missing_frames", f"{self.path}: frames {position + 1}-{index - 1} are "
                                                          "missing from the stream; skipped.")
                    position = index
                    decoded += 1
                    yield index, to_rgb(frame)
            if decoded == 0:
                raise VideoDecodingError(f"{self.path}: no frame could be decoded in frames {start}-{end - 1}.")
        finally:
            container.close()


def _large_enough(image: np.ndarray, source) -> np.ndarray:
    """`image`, or ``ImageLoadError`` when a side is under :data:`MIN_FRAME_SIDE` pixels (a 1x1 image reached the
    overlay video writer and ended in a traceback)."""
    if min(image.shape[:2]) < MIN_FRAME_SIDE:
        raise ImageLoadError(f"{source}: image {image.shape[1]}x{image.shape[0]} is too small to analyse (at least "
                             f"{MIN_FRAME_SIDE} pixels a side).")
    return image


__all__ = ["MIN_FRAME_SIDE", "FrameSource"]
