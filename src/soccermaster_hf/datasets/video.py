"""Videos stored beside the Parquet files (redistributable sources only: SoccerSynth).

Spatial clips are encoded once per clip as H.264 MP4 with a short GOP (a keyframe at every record start, at most
every 30 frames; no B-frames) so a record's window decodes from its own keyframe, and with ``movflags=+faststart`` (the
index first) so a reader fetching the file over HTTP can start decoding before the end arrives. Semantic 1-fps clips,
already H.264, are remuxed (stream copy, no quality loss) with faststart. Files are written atomically: a killed
build leaves either no file or a complete one, so a rerun keeps the ones that exist.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..utils.io import atomic_path

DEFAULT_CRF = 18   # visually lossless for 8-bit H.264
DEFAULT_GOP = 10   # 0.4 s at 25 fps
MAX_GOP = 30


def gop_for(stride: int) -> int:
    """A keyframe at every record start when records start every `stride` frames (at most 30: 1.2 s at 25 fps),
    so decoding a record's window wastes no frame."""
    return stride if 1 <= stride <= MAX_GOP else DEFAULT_GOP


def encode_images(images: list[Path], target: Path, fps: float, crf: int = DEFAULT_CRF, gop: int = DEFAULT_GOP,
                  max_size: int | None = None) -> Path:
    """Encode the image files `images` (in order) as a faststart short-GOP H.264 MP4 (``tune=fastdecode``: no
    CABAC / deblocking, about twice as fast to decode for a slightly larger file).

    Frames keep the first image's size (even-sized for 4:2:0 chroma), or are downscaled so that their longer side is
    at most `max_size` (`cv2.INTER_AREA`, as the readers' downscaling).
    """
    import av
    import cv2

    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp, av.open(str(tmp), "w", format="mp4",
                                             options={"movflags": "+faststart"}) as container:
        stream = None
        for number, image_path in enumerate(images):
            image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
            if image is None:
                raise ValueError(f"{image_path}: unreadable image; cannot encode {target.name}.")
            if stream is None:
                height, width = image.shape[:2]
                scale = min(1.0, max_size / max(width, height)) if max_size else 1.0
                size = (max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2))
                stream = container.add_stream("libx264", rate=round(fps), options={
                    "crf": str(crf), "g": str(gop), "keyint_min": str(gop), "bf": "0", "sc_threshold": "0",
                    "preset": "medium", "tune": "fastdecode"})
                stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            if image.shape[:2] != (size[1], size[0]):
                image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
            frame.pts = number
            for packet in stream.encode(frame):
                container.mux(packet)
        if stream is None:
            raise ValueError(f"{target.name}: no image to encode.")
        for packet in stream.encode():
            container.mux(packet)
    return target


def remux_faststart(source: Path, target: Path) -> Path:
    """Copy the video stream of `source` into an MP4 with the index first (no re-encoding)."""
    import av

    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp, av.open(str(source)) as reader, av.open(str(tmp), "w", format="mp4",
                                                 options={"movflags": "+faststart"}) as writer:
        video = reader.streams.video[0]
        stream = writer.add_stream_from_template(video)
        for packet in reader.demux(video):
            if packet.dts is None:
                continue
            packet.stream = stream
            writer.mux(packet)
    return target


def read_frames(path: Path, indices: list[int]) -> list[np.ndarray]:
    """The frames at `indices` (0-based; a window of consecutive frames is the fast case) as RGB uint8 arrays.

    One seek to the keyframe at or before the first wanted frame, then decoding up to the last one: with a short GOP
    that is at most `gop - 1` frames more than asked. Decoding uses the codec's frame threads. Falls back to
    :func:`~soccermaster_hf.processing.video_processing_soccermaster.read_video_frames` (which seeks conservatively)
    when a container does not seek exactly; raises its `VideoDecodingError` for unreadable files.
    """
    import av

    from ..processing.video_processing_soccermaster import VideoDecodingError, read_video_frames, rgb_converter

    wanted = sorted(set(int(i) for i in indices))
    if not wanted or wanted[0] < 0:
        raise ValueError(f"{path}: frame indices must be non-negative, got {indices[:3]}...")
    found: dict[int, np.ndarray] = {}
    to_rgb = rgb_converter()  # not PyAV's per-thread one: fork-safe in DataLoader workers
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.guessed_rate
            if not rate or not stream.time_base:
                raise ValueError("no frame rate")
            fps, base = float(rate), float(stream.time_base)
            start = stream.start_time or 0
            container.seek(start + int(wanted[0] / fps / base), stream=stream, backward=True)
            remaining = set(wanted)
            for frame in container.decode(stream):
                if frame.pts is None:
                    raise ValueError("frames without timestamps")
                index = round((frame.pts - start) * base * fps)
                if index > wanted[0] and not found and wanted[0] in remaining:
                    raise ValueError("the seek landed after the first wanted frame")
                if index in remaining:
                    found[index] = to_rgb(frame)
                    remaining.discard(index)
                if not remaining or index >= wanted[-1]:
                    break
    except (av.error.FFmpegError, ValueError, IndexError, OSError):
        found = {}
    if len(found) != len(wanted):
        try:
            return list(read_video_frames(path, indices))
        except ValueError as error:  # VideoDecodingError is a ValueError
            raise VideoDecodingError(str(error)) from None
    return [found[int(i)] for i in indices]


__all__ = ["DEFAULT_CRF", "DEFAULT_GOP", "encode_images", "gop_for", "read_frames", "remux_faststart"]
