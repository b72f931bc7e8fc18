"""LoRA through peft with the uniform q_proj / v_proj names."""

import pytest
import torch

peft = pytest.importorskip("peft")

from soccermaster_hf import SoccerMasterVisionModel  # noqa: E402


def test_lora_trains_only_adapters_and_round_trips(tmp_path, tiny_vision_config):
    base = SoccerMasterVisionModel(tiny_vision_config)
    with torch.no_grad():
        for layer in base.encoder.layers[2:]:
            layer.temporal_alpha.fill_(0.5)
    reference = {name: p.detach().clone() for name, p in base.named_parameters()}
    model = peft.get_peft_model(base, peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in name for name in trainable)
    # spatial (3 layers) and temporal (1 layer) attention both get adapters: 4 modules x 2 (q, v) x 2 (A, B)
    assert len(trainable) == 16
    assert any("temporal_attn.q_proj.lora_A" in name for name in trainable)

    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    pixels = torch.randn(2, 3, 3, 32, 32)
    target = torch.randn(2, 3, 32)
    losses = []
    for _ in range(5):
        loss = torch.nn.functional.mse_loss(model(pixel_values=pixels).pooler_output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    for name, parameter in model.base_model.model.named_parameters():
        if "lora_" not in name:
            clean = name.replace(".base_layer", "")
            assert torch.equal(parameter, reference[clean]), name

    model.eval()
    with torch.no_grad():
        expected = model(pixel_values=pixels).pooler_output
    model.save_pretrained(tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()
    fresh = SoccerMasterVisionModel(tiny_vision_config)
    fresh.load_state_dict({name: tensor for name, tensor in reference.items()})
    reloaded = peft.PeftModel.from_pretrained(fresh, tmp_path / "adapter").eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(pixel_values=pixels).pooler_output, expected)
    merged = reloaded.merge_and_unload()
    with torch.no_grad():
        torch.testing.assert_close(merged(pixel_values=pixels).pooler_output, expected, atol=1e-5, rtol=1e-5)
