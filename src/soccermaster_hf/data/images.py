"""One way to read images and frame inputs: :func:`load_image` and :func:`load_frames`.

:func:`load_image` returns an RGB ``uint8`` array of shape ``(H, W, 3)`` whatever the file holds:

* the EXIF orientation is applied (so a photo reads the same alone and in a folder);
* 16-bit images keep their brightness (scaled by 255 / 65535, not clipped at 255), 32-bit integer images are read as
  16-bit data when their values fit, else scaled by their maximum;
* float images (TIFF mode ``F``, ``.npy``) must hold values in ``[0, 1]`` and are scaled by 255; non-finite values
  (NaN, inf) are refused;
* gray, palette, CMYK and alpha images become RGB; ``.npy`` arrays of shape ``(H, W)``, ``(H, W, 1|3|4)`` are read
  with ``allow_pickle=False``.

Only regular files are opened (a FIFO or a device named ``b.png`` is never read: it could block forever). Failures
raise :class:`ImageLoadError` (a ``ValueError``) naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np

from .report import DataReport

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".npy"}
EXIF_ORIENTATION = 0x0112


class ImageLoadError(ValueError):
    """An image file that cannot be read as an RGB frame (the message names the file)."""


def is_regular_file(path: str | os.PathLike) -> bool:
    """True for a regular file (or a link to one); False for folders, FIFOs, sockets, devices and missing paths."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _orient(array: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1-8) to an `(H, W, ...)` array, as `PIL.ImageOps.exif_transpose` does."""
    if orientation == 2:
        return array[:, ::-1]
    if orientation == 3:
        return array[::-1, ::-1]
    if orientation == 4:
        return array[::-1]
    if orientation == 5:
        return array.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(array, -1)
    if orientation == 7:
        return np.rot90(array, 2).swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(array, 1)
    return array


def to_rgb_uint8(array: np.ndarray, source: str = "array") -> np.ndarray:
    """An image array of any supported dtype / channel layout as a contiguous RGB uint8 `(H, W, 3)` array."""
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ImageLoadError(f"{source}: expected an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got "
                             f"{array.shape}.")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageLoadError(f"{source}: empty image ({array.shape[1]}x{array.shape[0]}).")
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif array.dtype == np.uint8:
        pass
    elif np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
        if not np.isfinite(array).all():
            raise ImageLoadError(f"{source}: the image holds non-finite values (NaN or inf).")
        low, high = float(array.min()), float(array.max())
        if low < -1e-6 or high > 1 + 1e-6:
            raise ImageLoadError(f"{source}: float image values must lie in [0, 1], got [{low:g}, {high:g}].")
        array = np.round(np.clip(array, 0, 1) * 255).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.integer):
        low, high = int(array.min()), int(array.max())
        if low < 0:
            raise ImageLoadError(f"{source}: integer image with negative values ({low}).")
        if array.dtype == np.uint16:
            full = 65535  # 16-bit data: full scale whatever the content (a dark frame stays dark)
        else:  # other integer arrays (e.g. numpy's default int64): 8-bit values if they fit, then 16-bit, else max
            full = 255 if high <= 255 else 65535 if high <= 65535 else high
        array = np.round(array.astype(np.float64) * (255.0 / full)).astype(np.uint8) if full != 255 else \
            array.astype(np.uint8)
    else:
        raise ImageLoadError(f"{source}: unsupported image dtype {array.dtype}.")
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    return np.ascontiguousarray(array[..., :3])


def _read_with_pillow(path: Path) -> np.ndarray | None:
    """The oriented pixels as Pillow decodes them, or `None` when Pillow cannot (e.g. 16-bit RGB TIFF)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            orientation = int(image.getexif().get(EXIF_ORIENTATION, 1) or 1)
            image.load()
            if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
                array = np.array(image)
                if image.mode.startswith("I;16") or (image.mode == "I" and array.size and array.min() >= 0
                                                     and array.max() <= 65535):
                    array = array.astype(np.uint16)  # 16-bit data (Pillow may hold it as 32-bit "I")
            elif image.mode == "RGB":
                array = np.array(image)
            else:
                # palette, gray, alpha, CMYK...: Pillow's conversion keeps 8-bit brightness
                array = np.array(image.convert("RGB"))
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        if isinstance(error, Image.DecompressionBombError):
            raise ImageLoadError(f"{path}: image too large ({error}).") from None
        return None
    except (OSError, ValueError, SyntaxError) as error:
        raise ImageLoadError(f"{path}: cannot read image ({error}).") from None
    return _orient(array, orientation)


def _read_with_opencv(path: Path) -> np.ndarray | None:
    import cv2

    data = np.fromfile(path, dtype=np.uint8)
    if not data.size:
        return None
    # OpenCV's decoders print [ WARN ] / [ERROR] lines of their own for a corrupt file; the caller reports it in one
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    previous = logging.getLogLevel() if logging is not None else None
    if logging is not None:
        logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    finally:
        if logging is not None:
            logging.setLogLevel(previous)
    if array is None:
        return None
    if array.ndim == 3 and array.shape[-1] >= 3:
        array = array[..., [2, 1, 0, *range(3, array.shape[-1])]]  # BGR(A) -> RGB(A)
    return array


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Read one image file as an RGB uint8 `(H, W, 3)` array (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file.")
    if not is_regular_file(path):
        raise ImageLoadError(f"{path}: not a regular file.")
    if path.stat().st_size == 0:
        raise ImageLoadError(f"{path}: empty file (0 bytes).")
    if path.suffix.lower() == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as error:
            raise ImageLoadError(f"{path}: cannot read the array ({error}).") from None
    else:
        array = _read_with_pillow(path)
        if array is None:
            array = _read_with_opencv(path)
        if array is None:
            raise ImageLoadError(f"{path}: not a readable image.")
    return to_rgb_uint8(array, str(path))


def image_mode(path: str | os.PathLike) -> str:
    """The pixel mode the file stores ("RGB", "RGBA", "I;16", ... ; "array" for `.npy`), for messages."""
    if Path(path).suffix.lower() == ".npy":
        return "array"
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.mode
    except (OSError, ValueError):
        return "unknown"


def image_files(folder: str | os.PathLike, report: DataReport | None = None) -> list[Path]:
    """The image files of `folder` (by name), non-regular entries with an image suffix skipped and counted."""
    files = []
    for entry in sorted(Path(folder).iterdir()):
        if entry.suffix.lower() not in IMAGE_SUFFIXES or entry.name.startswith("."):
            continue
        if not is_regular_file(entry):
            if report is not None and not entry.is_dir():
                report.add("not_a_regular_file", f"{entry}: not a regular file (FIFO, socket or device); skipped.")
            continue
        files.append(entry)
    return files


def load_frames(source: str | os.PathLike, max_frames: int,
                report: DataReport | None = None) -> tuple[list[np.ndarray], float, str]:
    """RGB frames from a video, an image or a folder of images: `(frames, fps, description)`.

    Each frame keeps its own size (a folder may mix sizes). In a folder, non-regular files and unreadable images are
    skipped and counted in `report` (and in the description); a folder with no readable image raises ``ValueError``.
    """
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise ValueError(f"max_frames must be a positive integer, got {max_frames!r}.")
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{source}: no such file or folder.")
    report = report if report is not None else DataReport(source=str(source))
    if path.is_dir():
        files = image_files(path, report)
        if not files:
            raise ValueError(f"{source}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in this folder"
                             f"{f' ({report.summary()})' if report.counts else ''}.")
        frames = []
        for file in files:
            if len(frames) >= max_frames:
                break
            try:
                frames.append(load_image(file))
            except (ImageLoadError, OSError) as error:
                report.add("unreadable_image", f"{error} Skipped.")
        if not frames:
            raise ValueError(f"{source}: no readable image in this folder ({report.summary()}).")
        sizes = {frame.shape[:2] for frame in frames}
        description = f"{len(frames)} images from {path.name}/" + (" (mixed sizes)" if len(sizes) > 1 else "")
        if report.counts:
            description += f"; {report.summary()}"
        return frames, 25.0, description
    if not is_regular_file(path):
        raise ValueError(f"{source}: not a regular file (FIFO, socket or device).")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = load_image(path)
        return [image], 25.0, f"image {image.shape[1]}x{image.shape[0]}"
    from ..processing.video_processing_soccermaster import probe_video, read_video_frames

    info = probe_video(path)
    count = min(info.num_frames, max_frames)
    frames = list(read_video_frames(path, list(range(count)), info))
    return frames, info.fps, f"video {info.width}x{info.height} @ {info.fps:g} fps, {count} frames"


__all__ = ["IMAGE_SUFFIXES", "ImageLoadError", "image_files", "image_mode", "is_regular_file", "load_frames", "load_image",
           "to_rgb_uint8"]
