"""One tiny configuration and one model-tester mixin for every SoccerMaster model class (transformers' test style).

A test class per model class sets `model_class` and, where the class computes a loss, `loss_inputs`; the mixin runs
the same checks on each: initialisation from every starting point, the transformers 5 forward contract, one training
step, and save / load.
"""

from __future__ import annotations

import math

import torch
from safetensors.torch import save_file

from soccermaster_hf import SoccerMasterConfig, SoccerMasterVisionConfig, SoccerMasterVisionModel

VISION = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
          "image_size": 32, "patch_size": 8, "num_frames": 2, "temporal_start_layer": 2}
DETECTION = {"hidden_size": 32, "num_queries": 6, "decoder_ffn_dim": 64, "encoder_ffn_dim": 64}
PITCH = {"stage_channels": [32, 16, 16]}
TEXT = {"model_type": "siglip_text_model", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
        "num_attention_heads": 2, "vocab_size": 64, "max_position_embeddings": 16}
FOCAL_PRIOR = -math.log((1 - 0.01) / 0.01)


def tiny_config(**overrides) -> SoccerMasterConfig:
    """The shared tiny composite config (2-frame clips of 32x32 pixels, 16 patches)."""
    kwargs = {"vision_config": dict(VISION), "detection_config": dict(DETECTION), "pitch_config": dict(PITCH),
              "event_config": {"num_layers": 1}}
    kwargs.update(overrides)
    return SoccerMasterConfig(**kwargs)


def tiny_vision_config() -> SoccerMasterVisionConfig:
    return SoccerMasterVisionConfig(**VISION)


def clip(batch: int = 1, frames: int = 2) -> torch.Tensor:
    return torch.randn(batch, frames, 3, VISION["image_size"], VISION["image_size"])


def detection_labels(num: int = 1):
    return [{"class_labels": torch.tensor([0, 0]), "boxes": torch.tensor([[0.3, 0.4, 0.1, 0.2], [0.7, 0.6, 0.1, 0.25]]),
             "roles": ["player", "goalkeeper"], "jerseys": [7, None], "teams": ["left", "right"]}
            for _ in range(num)]


def pitch_labels(num: int):
    keypoints = torch.full((57, 2), 0.5)
    visibility = torch.zeros(57, dtype=torch.bool)
    visibility[:3] = True
    return [{"keypoints": keypoints, "keypoint_visibility": visibility} for _ in range(num)]


def empty_folder(path, config) -> None:
    """A Hub folder with a config and a weights file holding no tensors: every weight must be initialised."""
    path.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(path)
    save_file({}, str(path / "model.safetensors"), metadata={"format": "pt"})


def all_finite(model: torch.nn.Module) -> list[str]:
    """Names of parameters and buffers that hold NaN / inf (empty when all are finite)."""
    tensors = list(model.named_parameters()) + [(n, b) for n, b in model.named_buffers() if b.is_floating_point()]
    return [name for name, tensor in tensors if not bool(torch.isfinite(tensor).all())]


def largest_magnitude(model: torch.nn.Module) -> float:
    return max(float(p.detach().abs().max()) for p in model.parameters() if p.numel())


class ModelTesterMixin:
    """Checks every SoccerMaster class passes. Subclasses set `model_class` and override the hooks below."""

    model_class: type
    has_loss = True

    def make_config(self):
        return tiny_config()

    def make_model(self, config=None):
        return self.model_class(config or self.make_config())

    def forward_inputs(self) -> dict:
        """Inputs of one forward pass (no labels)."""
        return {"pixel_values": clip()}

    def loss_inputs(self) -> dict:
        """Inputs of one forward pass with labels (classes that compute a loss)."""
        raise NotImplementedError

    def output_tensor(self, output) -> torch.Tensor:
        """The main prediction of an output (checked finite)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- initialisation
    def test_fresh_model_is_finite(self):
        model = self.make_model()
        assert all_finite(model) == []
        with torch.no_grad():
            assert bool(torch.isfinite(self.output_tensor(model.eval()(**self.forward_inputs()))).all())

    def test_from_empty_folder(self, tmp_path):
        empty_folder(tmp_path, self.make_config())
        model = self.model_class.from_pretrained(tmp_path)
        assert all_finite(model) == [], "uninitialised weights after loading a folder without tensors"
        assert largest_magnitude(model) < 1e3
        with torch.no_grad():
            assert bool(torch.isfinite(self.output_tensor(model.eval()(**self.forward_inputs()))).all())

    def test_from_backbone_folder(self, tmp_path):
        config = self.make_config()
        backbone = SoccerMasterVisionModel(config.vision_config if hasattr(config, "vision_config") else config)
        backbone.save_pretrained(tmp_path)
        model = self.model_class.from_pretrained(tmp_path, config=config)
        assert all_finite(model) == []
        assert largest_magnitude(model) < 1e3
        vision = model if isinstance(model, SoccerMasterVisionModel) else model.vision_model
        torch.testing.assert_close(vision.embeddings.patch_embedding.weight, backbone.embeddings.patch_embedding.weight)
        with torch.no_grad():
            assert bool(torch.isfinite(self.output_tensor(model.eval()(**self.forward_inputs()))).all())

    def test_from_another_tasks_folder(self, tmp_path):
        from soccermaster_hf import SoccerMasterForPitchRegistration, SoccerMasterForVideoClassification

        other = SoccerMasterForVideoClassification if self.model_class is SoccerMasterForPitchRegistration \
            else SoccerMasterForPitchRegistration
        other(tiny_config()).save_pretrained(tmp_path)
        config = self.make_config()
        model = self.model_class.from_pretrained(tmp_path, config=config)
        assert all_finite(model) == []
        assert largest_magnitude(model) < 1e3
        with torch.no_grad():
            assert bool(torch.isfinite(self.output_tensor(model.eval()(**self.forward_inputs()))).all())

    def test_one_training_step_lowers_the_loss(self):
        if not self.has_loss:
            return
        model = self.make_model().train()
        inputs = self.loss_inputs()
        optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        loss = model(**inputs).loss
        loss.backward()
        before = loss.detach()
        optimizer.step()
        with torch.no_grad():
            after = model(**inputs).loss
        assert float(after) < float(before)

    # ---------------------------------------------------------------- the transformers 5 contract
    def test_unknown_keyword_raises(self):
        model = self.make_model().eval()
        import pytest

        with pytest.raises(TypeError, match="unexpected keyword"):
            model(**self.forward_inputs(), not_an_argument=1)

    def test_returns_model_output_and_tuple(self):
        from transformers.utils import ModelOutput

        model = self.make_model().eval()
        with torch.no_grad():
            output = model(**self.forward_inputs())
            as_tuple = model(**self.forward_inputs(), return_dict=False)
        assert isinstance(output, ModelOutput)
        assert isinstance(as_tuple, tuple) and len(as_tuple) == len(output.to_tuple())
        for key, value in output.items():  # no plain dicts as outputs (loss_dict aside)
            assert key == "loss_dict" or not (isinstance(value, dict) and not isinstance(value, ModelOutput)), key

    def test_hidden_states_and_attentions_reach_the_backbone(self):
        model = self.make_model().eval()
        with torch.no_grad():
            output = model(**self.forward_inputs(), output_hidden_states=True, output_attentions=True)
        assert output.hidden_states is not None and len(output.hidden_states) >= 2
        assert output.attentions is not None and output.attentions[0].ndim == 4

    def test_main_input_name_is_a_forward_argument(self):
        import inspect

        assert self.model_class.main_input_name in inspect.signature(self.model_class.forward).parameters

    def test_save_and_reload(self, tmp_path):
        model = self.make_model().eval()
        model.save_pretrained(tmp_path)
        reloaded = self.model_class.from_pretrained(tmp_path).eval()
        inputs = self.forward_inputs()
        with torch.no_grad():
            torch.testing.assert_close(self.output_tensor(reloaded(**inputs)), self.output_tensor(model(**inputs)))
