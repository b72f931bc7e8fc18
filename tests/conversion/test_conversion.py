"""The authors' checkpoint converter: full-size layout on the meta device, tiny parity fixture, safety."""

import json
import pickle

import pytest
import torch
from safetensors.torch import load_file

from soccermaster_hf import SoccerMasterVisionModel
from soccermaster_hf.cli.main import main as cli_main
from soccermaster_hf.conversion.official import (
    CheckpointConversionError,
    check_against_model,
    convert_backbone_state_dict,
    convert_official_backbone,
    infer_backbone_config,
    load_state_dict_file,
)

pytestmark = pytest.mark.parity
TOLERANCE = 1e-5


def test_full_size_layout_converts_with_no_missing_or_unexpected_keys(parity_dir):
    layout = json.loads((parity_dir / "full_size_layout.json").read_text())
    tensors = layout["files"]["backbone.pt"]["tensors_in_saved_order"]
    assert len(tensors) == 473
    official = {name: torch.empty(shape, dtype=getattr(torch, dtype), device="meta") for name, shape, dtype in tensors}
    config = infer_backbone_config(official)
    assert (config.hidden_size, config.num_hidden_layers, config.temporal_start_layer, config.num_frames,
            config.image_size, config.num_attention_heads) == (1024, 24, 16, 30, 512, 16)
    converted = convert_backbone_state_dict(official, config)
    missing, unexpected, mismatches = check_against_model(converted, config)
    assert missing == [] and unexpected == [] and mismatches == []
    with torch.device("meta"):
        model = SoccerMasterVisionModel(config)
    result = model.load_state_dict(converted, strict=True, assign=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert sum(t.numel() for t in converted.values()) == layout["files"]["backbone.pt"]["num_parameters"]


@pytest.fixture(scope="module")
def io_tensors(parity_dir):
    return load_file(parity_dir / "io.safetensors")


@pytest.fixture(scope="module")
def converted_model(parity_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("converted")
    convert_official_backbone(parity_dir / "backbone.safetensors", out / "backbone", num_attention_heads=4)
    return SoccerMasterVisionModel.from_pretrained(out / "backbone").eval()


@pytest.mark.parametrize("attn_implementation", ["sdpa", "eager"])
def test_tiny_fixture_parity(converted_model, io_tensors, attn_implementation):
    model = converted_model
    model.set_attn_implementation(attn_implementation)
    with torch.no_grad():
        out = model(io_tensors["inputs.pixel_values"], output_hidden_states=True)
    checks = {
        "backbone.embeddings_out": out.hidden_states[0].flatten(0, 1),
        "backbone.block0.out": out.hidden_states[1].flatten(0, 1),
        "backbone.F_spa": out.spatial_hidden_state,
        "backbone.block2.out": out.hidden_states[3].flatten(0, 1),
        "backbone.block3.out": out.hidden_states[4].flatten(0, 1),
        "backbone.post_norm_out": out.last_hidden_state.flatten(0, 1),
        "backbone.F_sem": out.pooler_output,
    }
    for key, value in checks.items():
        diff = (value - io_tensors[key]).abs().max().item()
        assert diff <= TOLERANCE, f"{key}: max abs diff {diff:.2e}"


def test_temporal_intermediates(converted_model, io_tensors):
    """The temporal branch of block 2, step by step (catches q/k/v split order and gate mistakes)."""
    layer = converted_model.encoder.layers[2]
    block_in = io_tensors["backbone.block2.in"]  # (B*T, N, D)
    b, t, n, d = 2, 4, 9, 64
    temporal = block_in.view(b, t, n, d).transpose(1, 2).reshape(b * n, t, d)
    with torch.no_grad():
        normed = layer.temporal_layer_norm(temporal)
        attended, _ = layer.temporal_attn(normed)
        fc = layer.temporal_fc(attended.view(b, n, t, d).transpose(1, 2).reshape(b * t, n, d))
        gated = block_in + torch.tanh(layer.temporal_alpha) * fc
    for key, value in {"backbone.block2.temporal_norm1_out": normed, "backbone.block2.temporal_attn_out": attended,
                       "backbone.block2.temporal_fc_out": fc, "backbone.block2.gated_sum": gated}.items():
        assert (value - io_tensors[key]).abs().max().item() <= TOLERANCE, key


def test_pt_file_converts_identically(parity_dir, tmp_path, io_tensors, converted_model):
    state_dict = load_file(parity_dir / "backbone.safetensors")
    torch.save(state_dict, tmp_path / "backbone.pt")
    model = convert_official_backbone(tmp_path, tmp_path / "out", num_attention_heads=4)
    for name, tensor in converted_model.state_dict().items():
        assert torch.equal(tensor, model.state_dict()[name]), name


def test_pickle_that_needs_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this would run arbitrary code",))

    with open(tmp_path / "backbone.pt", "wb") as handle:
        pickle.dump({"x": Evil()}, handle)
    with pytest.raises(CheckpointConversionError, match="refusing to load"):
        load_state_dict_file(tmp_path / "backbone.pt")


def test_bad_files_give_clear_errors(tmp_path):
    with pytest.raises(CheckpointConversionError, match="file not found"):
        load_state_dict_file(tmp_path / "nope.pt")
    (tmp_path / "broken.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(CheckpointConversionError, match="broken.safetensors"):
        load_state_dict_file(tmp_path / "broken.safetensors")
    torch.save({"vision_model_embedding.patch_embedding.weight": torch.zeros(8, 3, 4, 4)}, tmp_path / "backbone.pt")
    with pytest.raises(CheckpointConversionError, match="backbone.pt: not a SoccerMaster backbone"):
        convert_official_backbone(tmp_path, tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointConversionError, match="no backbone"):
        convert_official_backbone(tmp_path / "empty", tmp_path / "out2")


def test_unknown_keys_are_reported(parity_dir):
    official = load_file(parity_dir / "backbone.safetensors")
    official["encoder_blocks.0.something_new"] = torch.zeros(1)
    config = infer_backbone_config(official, num_attention_heads=4)
    with pytest.raises(CheckpointConversionError, match="something_new"):
        convert_backbone_state_dict(official, config)


def test_cli_convert(parity_dir, tmp_path, capsys, io_tensors):
    code = cli_main(["convert", str(parity_dir / "backbone.safetensors"), "--output", str(tmp_path / "cli"),
                     "--num-attention-heads", "4"])
    assert code == 0
    assert "4 layers (2 spatial), 4 frames, 48px" in capsys.readouterr().out
    model = SoccerMasterVisionModel.from_pretrained(tmp_path / "cli").eval()
    with torch.no_grad():
        f_sem = model(io_tensors["inputs.pixel_values"]).pooler_output
    assert (f_sem - io_tensors["backbone.F_sem"]).abs().max().item() <= TOLERANCE
    assert cli_main(["convert", str(tmp_path / "missing"), "--output", str(tmp_path / "x")]) == 1
