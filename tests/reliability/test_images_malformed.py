"""Image loading: EXIF orientation (file = folder), 16-bit and float images at the right brightness, non-finite and
malformed arrays refused, non-regular files skipped and counted (never read: no hang), per-frame sizes kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from PIL import Image, ImageOps
from reliability_helpers import assert_counted_skip, make_fifo, record

from soccermaster_hf.data.images import ImageLoadError, load_frames, load_image
from soccermaster_hf.data.report import DataReport

pytestmark = pytest.mark.timeout(30)
RNG = np.random.default_rng(0)
PICTURE = RNG.integers(0, 255, (12, 20, 3), dtype=np.uint8)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_same_for_a_file_and_a_folder(orientation, tmp_path):
    image = Image.fromarray(PICTURE)
    exif = image.getexif()
    exif[0x0112] = orientation
    (tmp_path / "frames").mkdir()
    path = tmp_path / "frames" / "photo.jpg"
    image.save(path, exif=exif, quality=100)
    expected = np.array(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    single, _, _ = load_frames(path, 10)
    folder, _, _ = load_frames(tmp_path / "frames", 10)
    assert np.array_equal(single[0], expected) and np.array_equal(folder[0], expected)
    assert np.array_equal(load_image(path), cv2.imread(str(path))[..., ::-1])  # OpenCV applies EXIF too
    record("ok")


@pytest.mark.parametrize("value", [0, 1000, 30000, 65535])
def test_16_bit_gray_png_keeps_its_brightness(value, tmp_path):
    path = tmp_path / "gray16.png"
    cv2.imwrite(str(path), np.full((6, 8), value, np.uint16))
    assert Image.open(path).mode.startswith("I")
    assert (load_image(path) == round(value * 255 / 65535)).all()
    record("ok")


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_colour_keeps_channels_and_brightness(suffix, tmp_path):
    path = tmp_path / f"colour16{suffix}"
    bgr = np.zeros((6, 8, 3), np.uint16)
    bgr[..., 2] = 65535  # red in OpenCV's BGR order
    bgr[..., 1] = 4096
    cv2.imwrite(str(path), bgr)
    pixel = load_image(path)[0, 0]
    assert abs(int(pixel[0]) - 255) <= 1 and abs(int(pixel[1]) - 16) <= 1 and pixel[2] == 0
    record("ok")


def test_float_tiff_is_scaled(tmp_path):
    values = RNG.random((6, 8)).astype(np.float32)
    path = tmp_path / "float.tif"
    Image.fromarray(values, mode="F").save(path)
    np.testing.assert_array_equal(load_image(path)[..., 0], np.round(values * 255).astype(np.uint8))
    record("ok")


@pytest.mark.parametrize(("array", "expected"), [
    (np.full((4, 5, 3), 0.5, np.float32), 128),
    (np.full((4, 5), 1.0, np.float64), 255),
    (np.full((4, 5, 1), 200, np.int64), 200),
    (np.full((4, 5, 4), 65535, np.uint16), 255),
    (np.ones((4, 5), bool), 255),
], ids=["float32-rgb", "float64-gray", "int64-8bit", "uint16-rgba", "bool"])
def test_npy_arrays(array, expected, tmp_path):
    path = tmp_path / "frame.npy"
    np.save(path, array)
    image = load_image(path)
    assert image.shape == (4, 5, 3) and image.dtype == np.uint8 and (image == expected).all()
    record("ok")


@pytest.mark.parametrize(("array", "reason"), [
    (np.array([[np.nan, 0.5]], np.float32), "non-finite"),
    (np.array([[np.inf, 0.5]], np.float32), "non-finite"),
    (np.full((3, 3), 2.5), r"must lie in \[0, 1\]"),
    (np.full((3, 3), -0.5), r"must lie in \[0, 1\]"),
    (np.zeros((3, 3, 5), np.uint8), "expected an image of shape"),
    (np.zeros((0, 3, 3), np.uint8), "empty image"),
    (np.zeros((2, 2, 2, 2), np.uint8), "expected an image of shape"),
    (np.full((3, 3), -4, np.int16), "negative"),
], ids=["nan", "inf", "above-one", "negative-float", "five-channels", "empty", "4d", "negative-int"])
def test_bad_arrays_are_refused(array, reason, tmp_path):
    path = tmp_path / "frame.npy"
    np.save(path, array)
    with pytest.raises(ImageLoadError, match=reason) as error:
        load_image(path)
    assert str(path) in str(error.value)
    record("error")


def test_pickled_npy_is_refused(tmp_path):
    path = tmp_path / "frame.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ImageLoadError, match="cannot read the array") as error:
        load_image(path)
    assert str(path) in str(error.value)
    record("error")


@pytest.mark.parametrize("kind", ["truncated-png", "zero-bytes", "text", "fifo", "folder"])
def test_unreadable_image_files(kind, tmp_path):
    path = tmp_path / "b.png"
    if kind == "truncated-png":
        cv2.imwrite(str(path), PICTURE)
        path.write_bytes(path.read_bytes()[:60])
    elif kind == "zero-bytes":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not an image")
    elif kind == "fifo":
        make_fifo(path)
    else:
        path.mkdir()
    with pytest.raises(ImageLoadError) as error:
        load_image(path)
    assert str(path) in str(error.value)
    record("error")


def test_folder_skips_fifos_and_corrupt_files_and_counts_them(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), PICTURE)
    make_fifo(tmp_path / "b.png")
    (tmp_path / "c.jpg").write_bytes(b"\xff\xd8 broken")
    cv2.imwrite(str(tmp_path / "d.png"), PICTURE)
    report = DataReport(source=str(tmp_path))
    frames, _, description = load_frames(tmp_path, 10, report)
    assert len(frames) == 2 and "not_a_regular_file: 1" in description and "unreadable_image: 1" in description
    assert_counted_skip("\n".join(report.lines()), "not_a_regular_file", tmp_path / "b.png", tmp_path / "c.jpg")


def test_mixed_sizes_keep_their_own_size(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), PICTURE)
    cv2.imwrite(str(tmp_path / "b.png"), np.zeros((30, 40, 3), np.uint8))
    frames, _, description = load_frames(tmp_path, 10)
    assert [f.shape[:2] for f in frames] == [(12, 20), (30, 40)] and "mixed sizes" in description
    record("ok")


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "CMYK", "L", "1"])
def test_other_modes_become_rgb(mode, tmp_path):
    path = tmp_path / ("image.tif" if mode == "CMYK" else "image.png")
    Image.fromarray(PICTURE).convert(mode).save(path)
    image = load_image(path)
    assert image.shape == (12, 20, 3) and image.dtype == np.uint8
    record("ok")


@pytest.mark.parametrize("bad", [
    np.full((8, 8, 3), np.nan, np.float32), np.array([[[np.inf, 0, 0]] * 4] * 4, np.float64),
    torch.full((3, 8, 8), float("nan")), torch.full((3, 8, 8), float("-inf")),
], ids=["nan-array", "inf-array", "nan-tensor", "inf-tensor"])
def test_image_processor_rejects_non_finite_inputs(bad):
    from soccermaster_hf.processing import SoccerMasterImageProcessor

    with pytest.raises(ValueError, match="non-finite"):
        SoccerMasterImageProcessor(size={"height": 16, "width": 16})(bad, return_tensors="pt")
    record("error")


@pytest.mark.parametrize("max_frames", [0, -1, 2.5, True])
def test_load_frames_rejects_bad_counts(max_frames, tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), PICTURE)
    with pytest.raises(ValueError, match="max_frames"):
        load_frames(tmp_path, max_frames)
    record("error")
