"""Initialisation from SigLIP / SigLIP2 vision checkpoints (offline, tiny random stand-ins saved to disk)."""

import pytest
import torch
from transformers import SiglipConfig, SiglipModel, SiglipVisionConfig, SiglipVisionModel

from soccermaster_hf import SoccerMasterVisionModel
from soccermaster_hf.cli.main import main as cli_main

SIGLIP_VISION = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 6, "num_attention_heads": 4,
                 "image_size": 48, "patch_size": 16}


@pytest.fixture
def siglip_folder(tmp_path):
    torch.manual_seed(3)
    model = SiglipVisionModel(SiglipVisionConfig(**SIGLIP_VISION)).eval()
    with torch.no_grad():  # make LayerNorms and biases non-trivial
        for _name, parameter in model.named_parameters():
            if parameter.ndim == 1:
                parameter.add_(torch.randn_like(parameter) * 0.1)
    folder = tmp_path / "siglip"
    model.save_pretrained(folder)
    return folder, model


def test_image_mode_matches_siglip_block_by_block(siglip_folder):
    folder, siglip = siglip_folder
    ours = SoccerMasterVisionModel.from_siglip_pretrained(str(folder), num_frames=4, temporal_start_layer=4)
    assert ours.config.temporal_start_layer == 4 and ours.config.num_hidden_layers == 6
    pixels = torch.randn(2, 3, 48, 48)
    with torch.no_grad():
        theirs = siglip(pixels, output_hidden_states=True)
        mine = ours(pixels, output_hidden_states=True)
    for block in range(4 + 1):
        diff = (mine.hidden_states[block] - theirs.hidden_states[block]).abs().max().item()
        assert diff <= 1e-5, (block, diff)


def test_video_mode_with_closed_gates_matches_siglip_pooler(siglip_folder):
    folder, siglip = siglip_folder
    ours = SoccerMasterVisionModel.from_siglip_pretrained(str(folder), num_frames=4)
    assert ours.config.temporal_start_layer == 4  # two thirds of 6
    clip = torch.randn(2, 4, 3, 48, 48)
    with torch.no_grad():
        theirs = siglip(clip.flatten(0, 1)).pooler_output.view(2, 4, -1)
        mine = ours(clip).pooler_output
    assert (mine - theirs).abs().max().item() <= 1e-5


def test_full_siglip_model_checkpoint_is_accepted(tmp_path):
    """Hub SigLIP2 fixed-resolution checkpoints are full SiglipModel folders (vision + text towers)."""
    config = SiglipConfig(vision_config=SIGLIP_VISION, text_config={"hidden_size": 32, "intermediate_size": 64,
                          "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 50})
    full = SiglipModel(config).eval()
    full.save_pretrained(tmp_path / "full")
    ours = SoccerMasterVisionModel.from_siglip_pretrained(str(tmp_path / "full"), num_frames=2)
    pixels = torch.randn(1, 3, 48, 48)
    with torch.no_grad():
        expected = full.vision_model(pixels, output_hidden_states=True).hidden_states[4]
        got = ours(pixels, output_hidden_states=True).hidden_states[4]
    assert (expected - got).abs().max().item() <= 1e-5


def test_not_a_siglip_checkpoint(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="Could not load a SigLIP vision model"):
        SoccerMasterVisionModel.from_siglip_pretrained(str(tmp_path / "empty"))


def test_cli(siglip_folder, tmp_path, capsys):
    folder, _ = siglip_folder
    code = cli_main(["init-from-siglip", str(folder), "--output", str(tmp_path / "out"), "--num-frames", "5",
                     "--local-files-only"])
    assert code == 0
    assert "6 layers (4 spatial, 2 spatio-temporal), 5 frames" in capsys.readouterr().out
    loaded = SoccerMasterVisionModel.from_pretrained(tmp_path / "out")
    assert loaded.config.num_frames == 5
    assert cli_main(["init-from-siglip", str(tmp_path / "nowhere"), "--output", str(tmp_path / "x"),
                     "--local-files-only"]) == 1
