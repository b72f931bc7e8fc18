"""Every head reproduces the authors' tensors (official_parity fixture) after conversion; full-size layouts convert."""

import json

import pytest
import torch
from safetensors.torch import load_file
from transformers import (
    AutoModel,
    AutoModelForKeypointDetection,
    AutoModelForObjectDetection,
    AutoModelForPreTraining,
    AutoModelForVideoClassification,
)

from soccermaster_hf import SoccerMasterForPreTraining
from soccermaster_hf.cli.main import main as cli_main
from soccermaster_hf.conversion.official import (
    RELEASE_FILES,
    check_against_model,
    convert_official_release,
    convert_release_state_dicts,
)

pytestmark = pytest.mark.parity
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def io(parity_dir):
    return load_file(parity_dir / "io.safetensors")


@pytest.fixture(scope="module")
def converted(parity_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    return convert_official_release(parity_dir, out / "converted", num_attention_heads=4, progress=False)


def close(actual, expected, name):
    diff = (actual.reshape(expected.shape) - expected).abs().max().item()
    assert diff <= TOLERANCE, f"{name}: max abs diff {diff:.2e}"


def test_all_task_folders_are_written(converted):
    assert set(converted) == {"backbone", "object-detection", "pitch-registration", "video-classification",
                              "video-text-alignment", "pretraining"}


def test_detection_parity(converted, io):
    model = AutoModelForObjectDetection.from_pretrained(converted["object-detection"]).eval()
    with torch.no_grad():
        out = model(io["inputs.pixel_values"])
    assert out.logits.shape == (2, 4, 10, 1)
    for ours, theirs in [("logits", "det.pred_logits"), ("pred_boxes", "det.pred_boxes"),
                         ("role_logits", "det.pred_roles"), ("jersey_logits", "det.pred_jn_holistic"),
                         ("jersey_tens_logits", "det.pred_digit_head"), ("jersey_units_logits", "det.pred_digit_tail"),
                         ("last_hidden_state", "det.outputs"), ("init_reference_points", "det.init_reference")]:
        close(getattr(out, ours), io[theirs], ours)
    assert out.team_logits.shape == (2, 4, 10, 3)  # ours, freshly initialised


def test_pitch_parity(converted, io):
    model = AutoModelForKeypointDetection.from_pretrained(converted["pitch-registration"]).eval()
    with torch.no_grad():
        out = model(io["inputs.pixel_values"])
    close(out.keypoint_heatmaps, io["kp.pred_keypoints_heatmap"], "keypoints")
    close(out.line_heatmaps, io["lines.pred_lines_heatmap"], "lines")


def test_event_parity(converted, io):
    model = AutoModelForVideoClassification.from_pretrained(converted["video-classification"]).eval()
    assert model.config.id2label[0] == "var" and model.config.id2label[22] == "foul with no card"
    with torch.no_grad():
        out = model(io["inputs.pixel_values"])
    close(out.logits, io["cls.logits"], "event logits")
    close(out.features, io["cls.features"], "event features")


def test_alignment_parity(converted, io):
    model = AutoModel.from_pretrained(converted["video-text-alignment"]).eval()
    with torch.no_grad():
        out = model(io["inputs.pixel_values"], text_embeds=io["inputs.text_features"])
    close(out.video_embeds, io["align.video_embedding"], "video embedding")
    close(out.text_embeds, io["align.text_embedding"], "text embedding")
    close(out.logits_per_video, io["align.logits"], "alignment logits")
    assert out.valid_text_mask.tolist() == io["align.valid_text_mask"].tolist()


def test_pretraining_model_parity(converted, io):
    model = AutoModelForPreTraining.from_pretrained(converted["pretraining"]).eval()
    assert isinstance(model, SoccerMasterForPreTraining)
    with torch.no_grad():
        out = model(spatial_pixel_values=io["inputs.pixel_values"], semantic_pixel_values=io["inputs.pixel_values"],
                    text_embeds=io["inputs.text_features"][:2], event_labels=torch.tensor([0, 5]))
    close(out.detection["logits"], io["det.pred_logits"], "pretraining detection")
    close(out.pitch.keypoint_heatmaps, io["kp.pred_keypoints_heatmap"], "pretraining keypoints")
    close(out.pitch.line_heatmaps, io["lines.pred_lines_heatmap"], "pretraining lines")
    close(out.event_logits, io["cls.logits"], "pretraining events")
    close(out.logits_per_video, io["align.logits"][:, :2], "pretraining alignment")
    assert set(out.loss_dict) == {"loss_events", "loss_alignment"} and torch.isfinite(out.loss)


def test_full_size_release_layout_converts_on_meta(parity_dir):
    layout = json.loads((parity_dir / "full_size_layout.json").read_text())
    files = {}
    for role, stem in RELEASE_FILES.items():
        tensors = layout["files"][f"{stem}.pt"]["tensors_in_saved_order"]
        files[role] = {name: torch.empty(shape, dtype=getattr(torch, dtype), device="meta")
                       for name, shape, dtype in tensors}
    config, state_dict = convert_release_state_dicts(files)
    assert config.detection_config.num_queries == 300 and config.detection_config.hidden_size == 256
    assert len(config.event_config.id2label) == 23
    with torch.device("meta"):
        model = SoccerMasterForPreTraining(config)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    assert unexpected == []
    assert missing == ["detection_head.team_embed.0.bias", "detection_head.team_embed.0.weight"]  # ours, fresh
    mismatched = [k for k in state_dict if tuple(state_dict[k].shape) != tuple(expected[k].shape)]
    assert mismatched == []
    backbone_only = {k[len("vision_model."):]: v for k, v in state_dict.items() if k.startswith("vision_model.")}
    assert check_against_model(backbone_only, config.vision_config) == ([], [], [])


def test_cli_converts_the_release_folder(parity_dir, tmp_path, capsys):
    code = cli_main(["convert", str(parity_dir), "--output", str(tmp_path / "out"), "--num-attention-heads", "4",
                     "--tasks", "object-detection", "video-classification"])
    assert code == 0
    out = capsys.readouterr().out
    assert "object-detection" in out and "pitch-registration" not in out
    assert (tmp_path / "out" / "object-detection" / "model.safetensors").is_file()
    assert cli_main(["convert", str(parity_dir), "--output", str(tmp_path / "x"), "--tasks", "nonsense"]) == 1
