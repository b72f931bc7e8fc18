"""Image, video and multimodal processors."""

import av
import numpy as np
import pytest
import torch
from PIL import Image
from transformers import AutoImageProcessor, AutoProcessor, AutoVideoProcessor, PreTrainedTokenizerFast

from soccermaster_hf import (
    SoccerMasterImageProcessor,
    SoccerMasterProcessor,
    SoccerMasterVideoProcessor,
    VideoDecodingError,
)
from soccermaster_hf.processing import sample_frame_indices


def write_video(path, num_frames=60, fps=25, size=(48, 64)):
    """Frame i is uniformly grey with value 2*i (mod 256), so decoded frames reveal their index."""
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=fps)
    stream.height, stream.width = size
    stream.pix_fmt = "yuv420p"
    for index in range(num_frames):
        frame = np.full((*size, 3), (2 * index) % 256, np.uint8)
        for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return path


def tiny_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"<pad>": 0, "<unk>": 1}
    for word in ["[PLAYER]", "[TEAM]", "scores", "a", "goal", "corner", "kick"]:
        vocab[word] = len(vocab)
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", unk_token="<unk>")


def test_authors_transform_on_a_broadcast_sized_frame():
    frame = np.random.default_rng(0).integers(0, 256, (540, 960, 3), dtype=np.uint8)
    out = SoccerMasterImageProcessor()(frame, return_tensors="pt")["pixel_values"]
    assert out.shape == (1, 3, 512, 512)
    expected = torch.nn.functional.interpolate(torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255,
                                               size=(512, 512), mode="bicubic", antialias=True).clamp(0, 1)
    torch.testing.assert_close(out, (expected - 0.5) / 0.5)
    assert out.min() >= -1 and out.max() <= 1


def test_parity_with_the_authors_pixel_values(parity_dir):
    from safetensors.torch import load_file

    io = load_file(parity_dir / "io.safetensors")
    frames = io["inputs.frames_uint8"]
    processor = SoccerMasterVideoProcessor(size={"height": 48, "width": 48}, num_frames=4)
    out = processor(list(frames.permute(0, 1, 3, 4, 2).numpy()), sampling="all")["pixel_values"]
    assert torch.equal(out, io["inputs.pixel_values"])


def test_colour_formats():
    processor = SoccerMasterImageProcessor(size={"height": 16, "width": 16})
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[..., 0] = 255  # red
    red = processor(rgb, return_tensors="pt")["pixel_values"][0]
    assert red[0].mean() > 0.99 and red[1].mean() < -0.99
    bgr = rgb[..., ::-1].copy()
    torch.testing.assert_close(processor(bgr, channel_order="bgr", return_tensors="pt")["pixel_values"][0], red)
    # views with negative strides (the usual `frame[..., ::-1]` of an OpenCV frame, a flipped image) are accepted
    torch.testing.assert_close(processor(bgr[..., ::-1], return_tensors="pt")["pixel_values"][0], red)
    flipped = processor([rgb[::-1, ::-1]], return_tensors="pt")["pixel_values"][0]
    torch.testing.assert_close(flipped, red)
    rgba = Image.fromarray(np.concatenate([rgb, np.full((20, 30, 1), 255, np.uint8)], -1), "RGBA")
    torch.testing.assert_close(processor(rgba, return_tensors="pt")["pixel_values"][0], red)
    gray = processor(np.full((20, 30), 255, np.uint8), return_tensors="pt")["pixel_values"][0]
    assert gray.shape == (3, 16, 16) and torch.allclose(gray, torch.ones_like(gray))
    assert processor(Image.new("L", (30, 20)), return_tensors="pt")["pixel_values"].shape == (1, 3, 16, 16)
    with pytest.raises(ValueError):
        processor(np.zeros((2, 20, 30, 3), np.uint8)[None], return_tensors="pt")


def test_video_clips_with_negative_strides():
    processor = SoccerMasterVideoProcessor(size={"height": 16, "width": 16}, num_frames=2)
    clip = np.random.default_rng(0).integers(0, 255, (4, 20, 30, 3), dtype=np.uint8)
    reversed_channels = clip[..., ::-1]
    expected = processor(np.ascontiguousarray(reversed_channels), return_tensors="pt")
    actual = processor(reversed_channels, return_tensors="pt")
    key = next(iter(expected.keys()))
    torch.testing.assert_close(actual[key], expected[key])


def test_letterbox_and_mapping_back():
    processor = SoccerMasterImageProcessor(size={"height": 64, "width": 64}, resize_mode="letterbox")
    frame = np.zeros((540, 960, 3), np.uint8)
    frame[270:280, 480:490] = 255  # a white square at (480..490, 270..280)
    out = processor(frame, return_tensors="pt", return_transforms=True)
    scale_x, scale_y, offset_x, offset_y = out["resize_transforms"][0].tolist()
    assert out["original_sizes"][0].tolist() == [540, 960]
    assert scale_x == pytest.approx(64 / 960) and offset_x == 0 and offset_y == pytest.approx((64 - 36) // 2)
    pixels = out["pixel_values"][0]
    assert torch.all(pixels[:, :offset_y.__int__()] == 0)  # padding is the mean colour = 0 after normalising
    box = torch.tensor([[480 * scale_x + offset_x, 270 * scale_y + offset_y, 490 * scale_x + offset_x,
                         280 * scale_y + offset_y]])
    back = processor.boxes_to_original(box, (540, 960))
    torch.testing.assert_close(back, torch.tensor([[480.0, 270.0, 490.0, 280.0]]))
    warp = SoccerMasterImageProcessor(size={"height": 64, "width": 64})
    points = warp.points_to_original(torch.tensor([[32.0, 32.0]]), (540, 960))
    torch.testing.assert_close(points, torch.tensor([[480.0, 270.0]]))


def test_image_processor_save_load(tmp_path):
    processor = SoccerMasterImageProcessor(size={"height": 32, "width": 32}, resize_mode="letterbox")
    processor.save_pretrained(tmp_path)
    loaded = AutoImageProcessor.from_pretrained(tmp_path)
    assert isinstance(loaded, SoccerMasterImageProcessor)
    assert loaded.resize_mode == "letterbox" and loaded.size.height == 32


def test_sampling_rules():
    spatial = sample_frame_indices(750, 25.0, 30, "spatial", start_frame=60)
    assert spatial.tolist() == list(range(60, 90))
    centred = sample_frame_indices(750, 25.0, 30, "spatial", timestamp=10.0)
    assert centred.tolist() == list(range(235, 265))
    assert sample_frame_indices(750, 25.0, 30, "spatial", start_frame=740).tolist() == list(range(720, 750))
    semantic = sample_frame_indices(25 * 120, 25.0, 30, "semantic", timestamp=60.0)
    assert len(semantic) == 30 and np.all(np.diff(semantic) == 25)
    assert semantic[0] == int((45 + 0.5) * 25)  # middle of the first 1-s interval of [45 s, 75 s)
    short = sample_frame_indices(10, 25.0, 30, "semantic", timestamp=0.2)
    assert short.max() == 9 and short.min() >= 0
    with pytest.raises(ValueError, match="sampling"):
        sample_frame_indices(10, 25.0, 4, "random")


def test_video_file_spatial_and_semantic(tmp_path):
    path = write_video(tmp_path / "clip.mp4", num_frames=100)
    processor = SoccerMasterVideoProcessor(size={"height": 32, "width": 32}, num_frames=4)
    out = processor(str(path), start_frames=10)
    assert out["pixel_values"].shape == (1, 4, 3, 32, 32)
    assert out["frame_indices"][0].tolist() == [10, 11, 12, 13]
    torch.testing.assert_close(out["timestamps"][0], torch.tensor([0.4, 0.44, 0.48, 0.52], dtype=torch.float64))
    # the decoded grey levels reveal the frame index: value 2*i, normalised
    levels = ((out["pixel_values"][0, :, 0].mean(dim=(1, 2)) * 0.5 + 0.5) * 255 / 2).round()
    assert levels.tolist() == pytest.approx([10, 11, 12, 13], abs=1)
    semantic = processor([str(path), str(path)], sampling="semantic", timestamps=[2.0, 1.0], num_frames=3)
    assert semantic["frame_indices"].tolist() == [[25, 50, 75], [12, 37, 62]]
    levels = ((semantic["pixel_values"][0, :, 0].mean(dim=(1, 2)) * 0.5 + 0.5) * 255 / 2).round()
    assert levels.tolist() == pytest.approx([25, 50, 75], abs=1)


def test_short_clips_repeat_the_last_frame():
    processor = SoccerMasterVideoProcessor(size={"height": 16, "width": 16}, num_frames=6)
    out = processor(np.zeros((4, 20, 20, 3), np.uint8))
    assert out["frame_indices"][0].tolist() == [0, 1, 2, 3, 3, 3]
    assert out["pixel_values"].shape == (1, 6, 3, 16, 16)


def test_broken_videos_name_the_file(tmp_path):
    processor = SoccerMasterVideoProcessor(size={"height": 16, "width": 16}, num_frames=2)
    with pytest.raises(VideoDecodingError, match="missing.mp4: video file not found"):
        processor(str(tmp_path / "missing.mp4"))
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoDecodingError, match="empty.mp4: empty file"):
        processor(str(tmp_path / "empty.mp4"))
    (tmp_path / "garbage.mp4").write_bytes(b"\x00garbage" * 500)
    with pytest.raises(VideoDecodingError, match="garbage.mp4"):
        processor(str(tmp_path / "garbage.mp4"))
    good = write_video(tmp_path / "good.mp4", num_frames=50).read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(good[: len(good) // 3])
    with pytest.raises(VideoDecodingError, match="truncated.mp4"):
        processor(str(tmp_path / "truncated.mp4"), start_frames=40)
    with pytest.raises(ValueError, match="NaN"):
        processor(np.full((2, 8, 8, 3), np.nan, np.float32))


def test_video_processor_save_load(tmp_path):
    processor = SoccerMasterVideoProcessor(num_frames=8, sampling="semantic")
    processor.save_pretrained(tmp_path)
    loaded = AutoVideoProcessor.from_pretrained(tmp_path)
    assert isinstance(loaded, SoccerMasterVideoProcessor)
    assert loaded.num_frames == 8 and loaded.sampling == "semantic"


def test_processor_with_tokenizer(tmp_path):
    processor = SoccerMasterProcessor(
        SoccerMasterImageProcessor(size={"height": 16, "width": 16}),
        SoccerMasterVideoProcessor(size={"height": 16, "width": 16}, num_frames=2),
        tiny_tokenizer(),
    )
    out = processor(videos=np.zeros((2, 3, 20, 20, 3), np.uint8), text=["[PLAYER] scores a goal", "corner kick"])
    assert out["pixel_values"].shape == (2, 2, 3, 16, 16)
    assert out["input_ids"].shape == (2, 64)  # padded to max_length 64 like the authors
    images = processor(images=[np.zeros((20, 20, 3), np.uint8)])
    assert images["pixel_values"].shape == (1, 3, 16, 16)
    with pytest.raises(ValueError, match="either"):
        processor(images=np.zeros((4, 4, 3), np.uint8), videos=np.zeros((1, 4, 4, 3), np.uint8))
    processor.save_pretrained(tmp_path)
    loaded = AutoProcessor.from_pretrained(tmp_path)
    assert isinstance(loaded, SoccerMasterProcessor)
    assert loaded.video_processor.num_frames == 2
    assert loaded(text="goal")["input_ids"].shape == (1, 64)


def test_sparse_reads_of_a_video_with_a_single_keyframe(tmp_path):
    """Regression: a 1-fps clip has one keyframe; seeking towards a far frame must not loop forever."""
    path = write_video(tmp_path / "onefps.mp4", num_frames=30, fps=1)
    processor = SoccerMasterVideoProcessor(size={"height": 16, "width": 16}, num_frames=30)
    out = processor(str(path), sampling="semantic")
    assert out["frame_indices"][0].tolist() == list(range(30))
    levels = ((out["pixel_values"][0, :, 0].mean(dim=(1, 2)) * 0.5 + 0.5) * 255 / 2).round()
    assert levels.tolist() == pytest.approx(list(range(30)), abs=1)
    from soccermaster_hf.processing import read_video_frames

    frames = read_video_frames(path, [25, 3, 29])
    assert [f.mean() / 2 for f in frames] == pytest.approx([25, 3, 29], abs=1)


def test_keypoint_peaks_are_refined_to_subpixel():
    import torch

    from soccermaster_hf.modeling.modeling_soccermaster_pitch import gaussian_heatmaps
    from soccermaster_hf.processing import SoccerMasterImageProcessor

    processor = SoccerMasterImageProcessor(size={"height": 64, "width": 64})
    centre = torch.tensor([[[[10.3, 7.6]]], [[[20.8, 25.45]]]])  # (channels, 1, 1 point, xy) in heatmap pixels
    maps = gaussian_heatmaps(centre.permute(1, 0, 2, 3), torch.ones(1, 2, 1, dtype=torch.bool), 32, 32, 2.0)[0]
    heatmaps = torch.cat([maps * 0.9, (1 - maps.sum(0, keepdim=True) * 0.9).clamp(min=0)])[None]  # + background
    refined = processor.post_process_keypoints({"keypoint_heatmaps": heatmaps})[0]["keypoints"]
    coarse = processor.post_process_keypoints({"keypoint_heatmaps": heatmaps}, subpixel=False)[0]["keypoints"]
    for channel in range(2):
        # heatmap pixel (i + 0.5) * 2 -> processed-image pixels; the Gaussian centre is at (c + 0.5) * 2
        expected = (centre[channel, 0, 0] + 0.5) * 2
        assert abs(torch.tensor(refined[channel][:2]) - expected).max() < 0.02
        assert abs(torch.tensor(coarse[channel][:2]) - expected).max() > 0.5
