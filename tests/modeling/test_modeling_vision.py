"""SoccerMasterVisionModel: shapes, modes, attention back-ends, checkpointing, batching, interpolation, errors."""

import pytest
import torch
from transformers import AutoModel

from soccermaster_hf import SoccerMasterVisionConfig, SoccerMasterVisionModel


def video(batch=2, frames=3, size=32):
    return torch.randn(batch, frames, 3, size, size)


def test_video_mode_shapes(tiny_vision_config):
    model = SoccerMasterVisionModel(tiny_vision_config).eval()
    out = model(video(), output_hidden_states=True, output_attentions=True)
    assert out.spatial_hidden_state.shape == (2, 3, 16, 32)
    assert out.last_hidden_state.shape == (2, 3, 16, 32)
    assert out.pooler_output.shape == (2, 3, 32)
    assert len(out.hidden_states) == tiny_vision_config.num_hidden_layers + 1
    assert all(h.shape == (2, 3, 16, 32) for h in out.hidden_states)
    assert torch.equal(out.hidden_states[tiny_vision_config.temporal_start_layer], out.spatial_hidden_state)
    assert len(out.attentions) == 3 and out.attentions[0].shape == (6, 4, 16, 16)
    assert len(out.temporal_attentions) == 1 and out.temporal_attentions[0].shape == (32, 4, 3, 3)
    assert torch.allclose(out.temporal_attentions[0].sum(-1), torch.ones(32, 4, 3))


def test_image_mode_runs_only_spatial_layers(randomized_vision_model):
    model = randomized_vision_model
    images = torch.randn(2, 3, 32, 32)
    out = model(images, output_hidden_states=True)
    assert out.spatial_hidden_state.shape == (2, 16, 32)
    assert out.pooler_output is None
    assert len(out.hidden_states) == model.config.temporal_start_layer + 1
    # the same frames in video mode give the same F_spa
    video_out = model(images.unsqueeze(1))
    torch.testing.assert_close(video_out.spatial_hidden_state[:, 0], out.spatial_hidden_state, atol=1e-6, rtol=0)


def test_tuple_output(tiny_vision_config):
    model = SoccerMasterVisionModel(tiny_vision_config).eval()
    out = model(video(), return_dict=False)
    assert isinstance(out, tuple) and out[0].shape == (2, 3, 16, 32)


def test_eager_and_sdpa_agree(randomized_vision_model):
    model = randomized_vision_model
    pixels = video()
    model.set_attn_implementation("sdpa")
    sdpa = model(pixels)
    model.set_attn_implementation("eager")
    eager = model(pixels)
    for name in ("spatial_hidden_state", "last_hidden_state", "pooler_output"):
        torch.testing.assert_close(getattr(sdpa, name), getattr(eager, name), atol=1e-5, rtol=1e-5)


def test_sdpa_is_actually_used(randomized_vision_model, monkeypatch):
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    calls = []
    original = ALL_ATTENTION_FUNCTIONS["sdpa"]

    def spy(*args, **kwargs):
        calls.append(args[1].shape)
        return original(*args, **kwargs)

    monkeypatch.setitem(ALL_ATTENTION_FUNCTIONS._global_mapping, "sdpa", spy)
    randomized_vision_model.set_attn_implementation("sdpa")
    randomized_vision_model(video())
    # 3 spatial attentions + 1 temporal attention
    assert len(calls) == 4
    assert calls[-2] == (2 * 16, 4, 3, 8)  # the temporal attention runs before the last spatial one


def test_gradient_checkpointing_gives_the_same_gradients(randomized_vision_model):
    model = randomized_vision_model.train()
    pixels = video()

    def grads():
        model.zero_grad()
        out = model(pixels)
        (out.pooler_output.square().mean() + out.spatial_hidden_state.mean()).backward()
        return {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}

    reference = grads()
    model.activation_checkpointing_enable()
    assert all(layer.gradient_checkpointing for layer in model.encoder.layers)
    checkpointed = grads()
    model.activation_checkpointing_disable()
    assert reference.keys() == checkpointed.keys()
    assert "encoder.layers.2.temporal_alpha" in reference
    for name in reference:
        torch.testing.assert_close(reference[name], checkpointed[name], atol=1e-5, rtol=1e-4, msg=name)


def test_gradient_checkpointing_recomputes(randomized_vision_model, monkeypatch):
    model = randomized_vision_model.train()
    model.activation_checkpointing_enable()
    layer = model.encoder.layers[0]
    counter = {"n": 0}
    original = layer.mlp.forward

    def counting(*args, **kwargs):
        counter["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(layer.mlp, "forward", counting)
    model(video()).pooler_output.sum().backward()
    assert counter["n"] == 2  # forward + recomputation in backward


def test_batch_equivalence(randomized_vision_model):
    pixels = video(batch=3)
    batched = randomized_vision_model(pixels)
    for index in range(3):
        alone = randomized_vision_model(pixels[index:index + 1])
        torch.testing.assert_close(alone.pooler_output[0], batched.pooler_output[index], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(alone.spatial_hidden_state[0], batched.spatial_hidden_state[index], atol=1e-5,
                                   rtol=1e-5)


def test_fresh_model_is_spatial_per_frame(tiny_vision_config):
    """Zero gates + zero temporal embedding: each frame's features ignore the other frames."""
    model = SoccerMasterVisionModel(tiny_vision_config).eval()
    assert all(float(layer.temporal_alpha.detach()) == 0.0 for layer in model.encoder.layers[2:])
    assert torch.count_nonzero(model.temporal_embedding) == 0
    pixels = video(batch=1)
    changed = pixels.clone()
    changed[:, 1] = torch.randn_like(changed[:, 1])
    a, b = model(pixels).pooler_output, model(changed).pooler_output
    torch.testing.assert_close(a[:, 0], b[:, 0], atol=1e-6, rtol=0)
    # with an open gate, frames do interact
    with torch.no_grad():
        model.encoder.layers[2].temporal_alpha.fill_(0.5)
    a, b = model(pixels).pooler_output, model(changed).pooler_output
    assert (a[:, 0] - b[:, 0]).abs().max() > 1e-4


def test_temporal_embedding_interpolation(randomized_vision_model):
    model = randomized_vision_model
    table = model.temporal_embedding
    assert torch.equal(model.get_temporal_embedding(3), table)
    five = model.get_temporal_embedding(5)
    assert five.shape == (5, 32)
    torch.testing.assert_close(five[0], table[0])
    torch.testing.assert_close(five[-1], table[-1])
    torch.testing.assert_close(five[2], table[1])  # the middle frame keeps the middle row
    torch.testing.assert_close(five[1], (table[0] + table[1]) / 2)
    assert torch.equal(model.get_temporal_embedding(1)[0], table[0])
    out = model(video(batch=1, frames=5))
    assert out.pooler_output.shape == (1, 5, 32) and torch.isfinite(out.pooler_output).all()
    assert model(video(batch=1, frames=1)).pooler_output.shape == (1, 1, 32)


def test_position_embedding_interpolation(randomized_vision_model):
    model = randomized_vision_model
    out = model(torch.randn(1, 2, 3, 48, 64))
    assert out.spatial_hidden_state.shape == (1, 2, 6 * 8, 32)
    table = model.embeddings.interpolate_pos_encoding(4, 4)
    assert torch.equal(table[0], model.embeddings.position_embedding.weight)
    # a constant table stays constant under bicubic resizing
    with torch.no_grad():
        model.embeddings.position_embedding.weight.fill_(0.25)
    torch.testing.assert_close(model.embeddings.interpolate_pos_encoding(6, 8), torch.full((1, 48, 32), 0.25))


def test_purely_spatial_configuration(tiny_vision_kwargs):
    tiny_vision_kwargs["temporal_start_layer"] = tiny_vision_kwargs["num_hidden_layers"]
    model = SoccerMasterVisionModel(SoccerMasterVisionConfig(**tiny_vision_kwargs)).eval()
    out = model(video())
    torch.testing.assert_close(out.last_hidden_state, model.post_layernorm(out.spatial_hidden_state))


@pytest.mark.parametrize(
    "shape, message",
    [((2, 32, 32), "must have shape"), ((1, 2, 4, 32, 32), "channels"), ((1, 3, 30, 32), "multiples of patch_size"),
     ((0, 3, 32, 32), "empty")],
)
def test_bad_inputs_give_clear_errors(tiny_vision_config, shape, message):
    model = SoccerMasterVisionModel(tiny_vision_config)
    with pytest.raises(ValueError, match=message):
        model(torch.randn(shape))


def test_nan_input_is_rejected(tiny_vision_config):
    pixels = video()
    pixels[0, 0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        SoccerMasterVisionModel(tiny_vision_config)(pixels)


def test_save_and_reload(tmp_path, randomized_vision_model):
    randomized_vision_model.save_pretrained(tmp_path)
    for loader in (SoccerMasterVisionModel, AutoModel):
        loaded = loader.from_pretrained(tmp_path).eval()
        assert type(loaded) is SoccerMasterVisionModel
        pixels = video()
        torch.testing.assert_close(loaded(pixels).pooler_output, randomized_vision_model(pixels).pooler_output)


def test_missing_temporal_weights_are_initialised_to_identity(tmp_path, randomized_vision_model):
    from safetensors.torch import load_file, save_file

    randomized_vision_model.save_pretrained(tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    kept = {k: v for k, v in weights.items() if "temporal" not in k}
    save_file(kept, tmp_path / "model.safetensors", metadata={"format": "pt"})
    loaded = SoccerMasterVisionModel.from_pretrained(tmp_path)
    assert float(loaded.encoder.layers[2].temporal_alpha.detach()) == 0.0
    assert torch.count_nonzero(loaded.temporal_embedding) == 0
    torch.testing.assert_close(loaded.encoder.layers[0].mlp.fc1.weight, randomized_vision_model.encoder.layers[0].mlp.fc1.weight)


def test_bfloat16_forward(tiny_vision_config):
    model = SoccerMasterVisionModel(tiny_vision_config).to(torch.bfloat16).eval()
    out = model(video())
    assert out.pooler_output.dtype == torch.bfloat16


@pytest.mark.parametrize("supported", [False, True])
def test_bfloat16_inference_takes_the_fused_path_only_where_the_cpu_has_bf16_kernels(tiny_vision_config, monkeypatch,
                                                                                     supported):
    """oneDNN's bfloat16 kernels refuse CPUs without AVX-512 / AVX-NE-CONVERT ("bf16 path needs the cpu support"):
    there bfloat16 inference must take the reference path, not crash."""
    from soccermaster_hf.modeling import cpu_kernels_soccermaster as kernels

    if supported and not kernels._bf16_supported():
        pytest.skip("this CPU has no oneDNN bfloat16 kernels")
    monkeypatch.setattr(kernels, "_BF16_SUPPORTED", supported)
    model = SoccerMasterVisionModel(tiny_vision_config).to(torch.bfloat16).eval()
    attention = model.encoder.layers[0].self_attn
    for module in model.modules():
        if hasattr(module, "fused_cpu_inference"):
            module.fused_cpu_inference = True
    hidden = torch.zeros(1, 4, tiny_vision_config.hidden_size, dtype=torch.bfloat16)
    with torch.no_grad():
        assert kernels.use_fused_cpu_path(attention, hidden) == supported
        assert kernels.use_fused_cpu_path(attention, hidden.float())  # float32 always may
        out = model(video().to(torch.bfloat16))
    assert out.pooler_output.dtype == torch.bfloat16 and torch.isfinite(out.pooler_output.float()).all()


def test_parameter_names_follow_siglip(tiny_vision_config):
    names = set(dict(SoccerMasterVisionModel(tiny_vision_config).named_parameters()))
    for name in ("embeddings.patch_embedding.weight", "embeddings.position_embedding.weight",
                 "encoder.layers.0.layer_norm1.weight", "encoder.layers.0.self_attn.q_proj.weight",
                 "encoder.layers.0.self_attn.k_proj.weight", "encoder.layers.0.self_attn.v_proj.weight",
                 "encoder.layers.0.self_attn.out_proj.weight", "encoder.layers.0.mlp.fc1.weight",
                 "encoder.layers.2.temporal_attn.q_proj.weight", "encoder.layers.2.temporal_fc.weight",
                 "encoder.layers.2.temporal_alpha", "temporal_embedding", "post_layernorm.weight", "head.probe"):
        assert name in names, name
    assert not any("temporal" in n for n in names if n.startswith("encoder.layers.1."))


def test_fused_cpu_inference_path_matches_reference(randomized_vision_model):
    from soccermaster_hf.modeling import cpu_kernels_soccermaster as module

    model = randomized_vision_model
    pixels = video()
    with torch.no_grad():
        fused = model(pixels)
        assert "_packed_qkv" in model.encoder.layers[0].self_attn.__dict__  # the fast path really ran
        model.set_fused_cpu_inference(False)
        reference = model(pixels)
        assert "_packed_qkv" not in model.encoder.layers[0].self_attn.__dict__
        model.set_fused_cpu_inference(True)
    for name in ("spatial_hidden_state", "last_hidden_state", "pooler_output"):
        torch.testing.assert_close(getattr(fused, name), getattr(reference, name), atol=1e-5, rtol=1e-5)
    assert module._MKLDNN_LINEAR is not None


def test_fused_path_sees_weight_updates_and_is_off_under_autograd(randomized_vision_model):
    model = randomized_vision_model
    pixels = video()
    with torch.no_grad():
        before = model(pixels).pooler_output
        model.encoder.layers[0].mlp.fc1.weight.mul_(1.5)  # in-place update bumps the version: re-pack
        after = model(pixels).pooler_output
        model.set_fused_cpu_inference(False)
        reference = model(pixels).pooler_output
        model.set_fused_cpu_inference(True)
    assert (before - after).abs().max() > 1e-3
    torch.testing.assert_close(after, reference, atol=1e-5, rtol=1e-5)
    model.encoder.layers[0].self_attn.__dict__.pop("_packed_qkv", None)
    out = model(pixels)  # grad enabled: reference path, differentiable
    assert out.pooler_output.requires_grad
    assert "_packed_qkv" not in model.encoder.layers[0].self_attn.__dict__


def test_no_split_modules_name_real_modules_and_drive_device_maps(tiny_vision_config):
    from accelerate import infer_auto_device_map

    model = SoccerMasterVisionModel(tiny_vision_config)
    present = {type(module).__name__ for module in model.modules()}
    assert set(model._no_split_modules) <= present
    budget = {"cpu": 60_000, "disk": 10**9}  # tight enough to force a split inside the first layer

    def cuts_a_layer(device_map):
        return any(name.startswith("encoder.layers.") and name.count(".") > 2 for name in device_map)

    assert cuts_a_layer(infer_auto_device_map(model, max_memory=budget))
    assert not cuts_a_layer(infer_auto_device_map(model, max_memory=budget,
                                                  no_split_module_classes=model._no_split_modules))


def test_auto_kernel_choice_depends_on_width():
    from soccermaster_hf.modeling.cpu_kernels_soccermaster import FUSED_CPU_MAX_WIDTH

    wide = SoccerMasterVisionModel(SoccerMasterVisionConfig(
        hidden_size=FUSED_CPU_MAX_WIDTH + 16, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
        image_size=16, patch_size=16, num_frames=1, temporal_start_layer=1)).eval()
    with torch.no_grad():
        wide(torch.randn(1, 3, 16, 16))
        assert "_packed_qkv" not in wide.encoder.layers[0].self_attn.__dict__  # "auto": reference path when wide
        wide.set_fused_cpu_inference(True)
        wide(torch.randn(1, 3, 16, 16))
        assert "_packed_qkv" in wide.encoder.layers[0].self_attn.__dict__
    with pytest.raises(ValueError, match="auto"):
        wide.set_fused_cpu_inference("sometimes")
