"""Re-identification: the network (config checks, loss, save / Auto / remote-code round trip), the crop processor,
the embedder, the shipped model, the rows' encoding, and the appearance term of tracklet linking."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from huggingface_hub.errors import StrictDataclassClassValidationError
from transformers import AutoModel

from soccermaster_hf import SoccerMasterForReIdentification, SoccerMasterReIdConfig, SoccerMasterReIdProcessor
from soccermaster_hf.analysis.segments import decode_appearance, detection_from_row, detection_row, encode_appearance
from soccermaster_hf.modeling import supervised_contrastive_loss
from soccermaster_hf.tracking import TrackedDetection
from soccermaster_hf.tracking.game_state import TrackSummary
from soccermaster_hf.tracking.linking import LinkingConfig, link_cost
from soccermaster_hf.tracking.reid import DEFAULT_REID_MODEL, ReIdEmbedder, load_reid_model

TINY = {"channels": [8, 16], "embedding_size": 16, "crop_height": 16, "crop_width": 8}


@pytest.mark.parametrize("fields, message", [
    ({"channels": []}, "channels"), ({"channels": [8, 0]}, "channels"), ({"crop_height": 4}, "crop_height must be >= 8"),
    ({"embedding_size": 0}, "embedding_size"), ({"temperature": 0.0}, "temperature"), ({"crop_context": 10.0}, "crop_context"),
    ({"image_std": [0.2, 0.0, 0.2]}, "image_std"), ({"image_mean": [0.5]}, "image_mean"),
])
def test_config_refuses_impossible_networks(fields, message):
    with pytest.raises(StrictDataclassClassValidationError, match=message):
        SoccerMasterReIdConfig(**fields)


def _reference_loss(z: torch.Tensor, labels: list[int], temperature: float) -> float:
    """SupCon L_out written out with loops."""
    total, anchors = 0.0, 0
    for i in range(len(labels)):
        positives = [p for p in range(len(labels)) if p != i and labels[p] == labels[i]]
        if not positives:
            continue
        denominator = sum(math.exp(float(z[i] @ z[a]) / temperature) for a in range(len(labels)) if a != i)
        total += -sum(math.log(math.exp(float(z[i] @ z[p]) / temperature) / denominator) for p in positives) / len(positives)
        anchors += 1
    return total / anchors


def test_supervised_contrastive_loss_matches_its_definition():
    z = torch.nn.functional.normalize(torch.randn(7, 5, generator=torch.Generator().manual_seed(0)), dim=1)
    labels = [0, 0, 1, 1, 1, 2, 3]  # 2 and 3: anchors without a positive are left out
    loss = supervised_contrastive_loss(z, torch.tensor(labels), 0.1)
    assert float(loss) == pytest.approx(_reference_loss(z, labels, 0.1), rel=1e-5)
    # no positive at all: zero, still connected to the graph
    z.requires_grad_(True)
    empty = supervised_contrastive_loss(z, torch.arange(7), 0.1)
    assert float(empty.detach()) == 0.0 and empty.requires_grad


def test_model_embeds_to_unit_length_and_round_trips(tmp_path):
    torch.manual_seed(0)
    model = SoccerMasterForReIdentification(SoccerMasterReIdConfig(**TINY)).eval()
    pixels = torch.randn(5, 3, 16, 8)
    out = model(pixels, labels=torch.tensor([1, 1, 2, 2, 3]))
    assert out.embeddings.shape == (5, 16)
    torch.testing.assert_close(out.embeddings.norm(dim=1), torch.ones(5))
    assert out.loss.ndim == 0 and out.loss > 0
    assert model(pixels).loss is None
    with pytest.raises(ValueError, match="pixel_values must be"):
        model(torch.randn(5, 1, 16, 8))
    with pytest.raises(ValueError, match="labels must be"):
        model(pixels, labels=torch.tensor([1, 2]))
    model.save_pretrained(tmp_path / "reid")
    loaded = AutoModel.from_pretrained(tmp_path / "reid").eval()
    assert type(loaded) is SoccerMasterForReIdentification
    torch.testing.assert_close(loaded(pixels).embeddings, out.embeddings)


REMOTE_CHILD = """
import runpy, sys, torch
runpy.run_path(sys.argv[2])
from transformers import AutoModel
model = AutoModel.from_pretrained(sys.argv[1], trust_remote_code=True).eval()
assert "soccermaster_hf" not in sys.modules
print("REID-REMOTE-OK", type(model).__name__, tuple(model(torch.rand(2, 3, 16, 8)).embeddings.shape))
"""


def test_model_loads_as_remote_code(tmp_path):
    SoccerMasterForReIdentification(SoccerMasterReIdConfig(**TINY)).save_pretrained(tmp_path / "reid")
    blocker = Path(__file__).parents[1] / "hub" / "block_soccermaster.py"
    env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "modules"), HF_HUB_OFFLINE="1", PYTHONPATH="")
    result = subprocess.run([sys.executable, "-c", REMOTE_CHILD, str(tmp_path / "reid"), str(blocker)],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "REID-REMOTE-OK SoccerMasterForReIdentification (2, 16)" in result.stdout


def test_processor_crops_around_the_box_with_context():
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[20:60, 100:120] = (255, 0, 0)  # an "athlete": red, 40 px tall, 20 wide
    processor = SoccerMasterReIdProcessor(crop_height=44, crop_width=22, crop_context=1.1)
    region = processor.crop_regions(np.array([[100, 20, 120, 60]]))[0].numpy()
    np.testing.assert_allclose(region, [99, 18, 121, 62])  # 1.1 box heights, the crop's aspect, same centre
    crop = processor.crops(frame, np.array([[100, 20, 120, 60]]))
    assert crop.shape == (1, 3, 44, 22) and crop.dtype == torch.float32
    assert crop[0, 0, 22, 11] == pytest.approx(1.0) and crop[0, 1, 22, 11] == 0.0  # red in the middle
    assert float(crop[0, 0, :, 0].max()) < 0.6 and float(crop[0, 0, 0].max()) < 0.6  # the context around it is dark
    outside = processor.crops(frame, np.array([[-50, -50, -30, -10]]))
    assert float(outside.max()) == 0.0  # beyond the frame: black
    assert processor.crops(frame, np.zeros((0, 4))).shape == (0, 3, 44, 22)
    normalised = processor(frame, np.array([[100, 20, 120, 60]]))["pixel_values"]
    torch.testing.assert_close(normalised, (crop - 0.5) / 0.25)
    with pytest.raises(ValueError, match="finite"):
        processor.crops(frame, np.array([[np.nan, 0, 10, 10]]))
    with pytest.raises(ValueError, match="RGB"):
        processor.crops(frame[..., 0], np.array([[0, 0, 10, 10]]))


def test_embedder_batches_give_the_same_embeddings():
    torch.manual_seed(0)
    model = SoccerMasterForReIdentification(SoccerMasterReIdConfig(**TINY))
    frame = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    boxes = np.array([[10, 10, 20, 40], [30, 5, 45, 50], [60, 20, 70, 58]], float)
    whole = ReIdEmbedder(model)(frame, boxes)
    assert whole.shape == (3, 16) and whole.dtype == np.float32
    np.testing.assert_allclose(ReIdEmbedder(model, batch_size=1)(frame, boxes), whole, atol=1e-5)
    assert ReIdEmbedder(model)(frame, np.zeros((0, 4))).shape == (0, 16)
    with pytest.raises(ValueError, match="batch_size"):
        ReIdEmbedder(model, batch_size=0)


def test_shipped_model_tells_athletes_apart_and_bad_folders_are_one_line(tmp_path):
    model = load_reid_model()  # the default
    assert (DEFAULT_REID_MODEL / "config.json").is_file() and not model.training
    assert load_reid_model("default").config.to_dict() == model.config.to_dict()
    # two "athletes" (one in red, one in blue, on grass) seen twice each, a few pixels apart
    frame = np.zeros((120, 200, 3), np.uint8)
    frame[:] = (40, 120, 40)
    frame[30:80, 40:56] = (200, 30, 30)
    frame[30:80, 140:156] = (30, 30, 200)
    embed = ReIdEmbedder(model)
    e = embed(frame, np.array([[38, 28, 58, 80], [41, 30, 57, 82], [138, 28, 158, 80], [141, 30, 157, 82]], float))
    assert e[0] @ e[1] > e[0] @ e[2] and e[2] @ e[3] > e[1] @ e[3]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError) as error:
        load_reid_model(tmp_path / "empty")
    assert "empty" in str(error.value) and "\n" not in str(error.value)


def test_rows_carry_the_appearance_within_quantisation():
    vector = np.random.default_rng(0).normal(size=128)
    vector /= np.linalg.norm(vector)
    text = encode_appearance(vector)
    assert isinstance(text, str) and len(text) == 172
    back = decode_appearance(text)
    assert back.shape == (128,) and abs(float(back @ vector) / np.linalg.norm(back) - 1.0) < 1e-3
    detection = TrackedDetection(track_id=3, box=np.array([1.0, 2.0, 3.0, 4.0]), score=0.9, role="player",
                                 appearance=vector)
    row = detection_row(detection)
    np.testing.assert_allclose(detection_from_row(row).appearance, back)
    assert detection_from_row({**row, "appearance": None}).appearance is None
    old = {key: value for key, value in row.items() if key != "appearance"}  # rows of a run before re-id
    assert detection_from_row(old).appearance is None
    for bad in ("not base64!", 17, ["x"], ""):
        assert decode_appearance(bad) is None
    assert encode_appearance(None) is None


def _tracklet(first: int, last: int, x: float, appearance: np.ndarray | None) -> TrackSummary:
    summary = TrackSummary()
    for frame in range(first, last + 1):
        pitch = {"x_bottom_middle": x, "y_bottom_middle": 0.0}
        summary.add(TrackedDetection(track_id=1, box=np.array([0.0, 0.0, 10.0, 30.0]), score=0.9, role="player",
                                     colour=np.array([50.0, 0.0, 0.0]), appearance=appearance, bbox_pitch=pitch),
                    frame)
    return summary


def test_linking_gates_and_rewards_appearance():
    a, b = np.eye(4)[0], np.eye(4)[1]
    near = np.array([0.9, 0.1, 0.0, 0.0])  # cosine 0.994 with a
    config = LinkingConfig()
    earlier = _tracklet(0, 10, 0.0, a)
    plain = link_cost(_tracklet(0, 10, 0.0, None), _tracklet(60, 70, 6.0, None), 25.0, config)
    same = link_cost(earlier, _tracklet(60, 70, 6.0, near), 25.0, config)
    other = link_cost(earlier, _tracklet(60, 70, 6.0, b), 25.0, config)
    assert np.isfinite(plain) and other == np.inf  # orthogonal: distance 1 > 0.5, two athletes
    distance = 1 - near @ a / np.linalg.norm(near)
    assert same == pytest.approx(plain - 2.0 * (0.5 - distance))
    # only one side with an embedding: the term is left out; weight 0 with gate 2: no effect at all
    assert link_cost(earlier, _tracklet(60, 70, 6.0, None), 25.0, config) == pytest.approx(plain)
    off = LinkingConfig(appearance_weight=0.0, max_appearance_distance=2.0)
    assert link_cost(earlier, _tracklet(60, 70, 6.0, b), 25.0, off) == pytest.approx(plain)
    for bad in ({"max_appearance_distance": 0.0}, {"max_appearance_distance": 2.5}, {"appearance_weight": -1.0},
                {"max_appearance_distance": float("nan")}):
        with pytest.raises(ValueError, match="appearance"):
            LinkingConfig(**bad)


def test_summary_averages_unit_appearances_and_merges_them():
    first, second = _tracklet(0, 1, 0.0, np.array([2.0, 0.0])), _tracklet(5, 5, 0.0, np.array([0.0, 3.0]))
    np.testing.assert_allclose(first.appearance, [1.0, 0.0])
    merged = first.merged(second)
    assert merged.appearance_count == 3
    np.testing.assert_allclose(merged.appearance, [2 / 3, 1 / 3])
    summary = TrackSummary()
    summary.add(TrackedDetection(track_id=1, box=np.zeros(4), score=1.0, appearance=np.array([np.nan, 1.0])), 0)
    assert summary.appearance is None  # a non-finite embedding is not counted


def _stream(track_id: int, vectors: list, role: str = "player", first_frame: int = 0):
    return [(first_frame + k, TrackedDetection(track_id=track_id, box=np.array([0.0, 0.0, 10.0, 30.0]), score=0.9,
                                               role=role, appearance=None if v is None else np.asarray(v, float)))
            for k, v in enumerate(vectors)]


def test_appearance_cuts_where_a_teammate_takes_the_track():
    from soccermaster_hf.tracking.linking import appearance_cuts, tracklet_cuts

    a, b = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]
    handed_over = _stream(7, [a] * 10 + [b] * 10)
    assert appearance_cuts(handed_over) == {7: [10]}  # at the first box of the teammate, not before
    # one odd box (a neighbour's pixels in the box) or boxes without an embedding: no cut
    assert appearance_cuts(_stream(7, [a] * 10 + [b] + [a] * 10 + [None] * 5)) == {}
    # a ball is never cut; 0 boxes turns the cut off; two switches give two cuts
    assert appearance_cuts(_stream(7, [a] * 10 + [b] * 10, role="ball")) == {}
    assert appearance_cuts(handed_over, LinkingConfig(appearance_split_boxes=0)) == {}
    assert appearance_cuts(_stream(7, [a] * 8 + [b] * 8 + [a] * 8)) == {7: [8, 16]}
    # a first part shorter than half the window is not cut off: the part so far already holds the new athlete
    assert appearance_cuts(_stream(7, [a] * 2 + [b] * 10)) == {}
    # the cuts of the kit and of the appearance, together, each frame once
    two = handed_over + _stream(9, [b] * 6 + [a] * 6, first_frame=100)
    assert tracklet_cuts(iter(two), None) == {7: [10], 9: [106]}
    for bad in ({"appearance_split_boxes": -1}, {"appearance_split_boxes": 1.5}, {"appearance_split_distance": 0.0},
                {"appearance_split_distance": 3.0}):
        with pytest.raises(ValueError, match="appearance_split"):
            LinkingConfig(**bad)


def test_embeddings_of_another_width_are_left_out_not_a_crash():
    """A damaged row can decode to an embedding of another length: it is not summed, compared or cut on."""
    from soccermaster_hf.tracking.linking import appearance_cuts

    summary = _tracklet(0, 2, 0.0, np.array([1.0, 0.0, 0.0]))
    summary.add(TrackedDetection(track_id=1, box=np.zeros(4), score=1.0, appearance=np.array([1.0, 0.0])), 3)
    assert summary.appearance_count == 3
    short = _tracklet(40, 42, 1.0, np.array([1.0, 0.0]))
    assert np.isfinite(link_cost(summary, short, 25.0))
    stream = _stream(7, [[1.0, 0.0, 0.0]] * 6 + [[0.0, 1.0]] * 6 + [[1.0, 0.0, 0.0]] * 4)
    assert appearance_cuts(stream) == {}
