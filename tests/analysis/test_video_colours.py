"""The overlay and minimap videos keep the frame's colours (they were written with red and blue swapped)."""

import numpy as np
import pytest

from soccermaster_hf.analysis.render import VideoWriter, write_video
from soccermaster_hf.analysis.segment_runner import Renderer

av = pytest.importorskip("av")


def _first_frame(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


@pytest.mark.parametrize("order", ["rgb", "bgr"])
def test_video_writer_keeps_colours(tmp_path, order):
    rgb = np.zeros((36, 65, 3), np.uint8)  # odd width: cropped to even
    rgb[:, :30] = (220, 30, 20)   # red
    rgb[:, 30:] = (20, 40, 200)   # blue
    writer = VideoWriter(tmp_path / "v.mp4", 25)
    for _ in range(3):
        writer.write(rgb if order == "rgb" else rgb[..., ::-1], channel_order=order)
    writer.close()
    decoded = _first_frame(tmp_path / "v.mp4").astype(int)
    assert decoded.shape == (36, 64, 3)
    assert np.abs(decoded[18, 10] - (220, 30, 20)).max() <= 12
    assert np.abs(decoded[18, 50] - (20, 40, 200)).max() <= 12
    with pytest.raises(ValueError, match="channel_order"):
        writer.write(rgb, channel_order="yuv")


@pytest.mark.parametrize("frame", [np.zeros((8, 8), np.uint8), np.zeros((8, 8, 4), np.uint8),
                                   np.zeros((8, 8, 3), np.float32), np.zeros((1, 8, 3), np.uint8)])
def test_video_writer_refuses_what_is_not_an_rgb_frame(tmp_path, frame):
    writer = VideoWriter(tmp_path / "bad.mp4", 25)
    with pytest.raises(ValueError, match="bad.mp4: a video frame must be a uint8 array"):
        writer.write(frame)
    writer.close()
    assert not (tmp_path / "bad.mp4").exists()


def test_write_video_takes_rgb(tmp_path):
    frames = [np.full((32, 32, 3), (200, 20, 20), np.uint8)] * 2
    write_video(tmp_path / "w.mp4", frames, 25)
    assert _first_frame(tmp_path / "w.mp4")[16, 16, 0] > 150


def test_renderer_overlay_and_minimap_keep_colours(tmp_path):
    renderer = Renderer(VideoWriter(tmp_path / "overlay.mp4", 25), VideoWriter(tmp_path / "minimap.mp4", 25),
                        tmp_path / "minimap.png", 0.0)
    frame = np.full((64, 96, 3), (210, 40, 30), np.uint8)  # an RGB frame, as analyze decodes them
    for _ in range(2):
        renderer.submit(frame, np.zeros((0, 4)), [], {"roles": [], "teams": [], "jerseys": []}, None)
    renderer.close()
    overlay = _first_frame(tmp_path / "overlay.mp4").astype(int)
    assert np.abs(overlay[32, 48] - (210, 40, 30)).max() <= 12
    minimap = _first_frame(tmp_path / "minimap.mp4").astype(int)
    corner = minimap[2, 2]  # the minimap's grass: green dominates
    assert corner[1] > corner[0] and corner[1] > corner[2]
