import json

import pytest

from soccermaster_hf import SoccerMasterConfig, SoccerMasterVisionConfig


def test_defaults_are_the_released_large_model():
    config = SoccerMasterVisionConfig()
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads, config.intermediate_size) == (
        1024, 24, 16, 4096)
    assert (config.image_size, config.patch_size, config.num_frames, config.temporal_start_layer) == (512, 16, 30, 16)
    assert config.hidden_act == "gelu_pytorch_tanh"
    assert config.layer_norm_eps == 1e-6
    assert config.temporal_layer_norm_eps == 1e-5
    assert config.temporal_num_attention_heads == 16
    assert config.num_temporal_layers == 8
    assert config.num_patches == 1024


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"temporal_start_layer": 25}, "temporal_start_layer"),
        ({"temporal_start_layer": -1}, "temporal_start_layer"),
        ({"hidden_size": 1000}, "divisible by `num_attention_heads`"),
        ({"image_size": 500}, "divisible by `patch_size`"),
        ({"temporal_num_attention_heads": 7}, "temporal_num_attention_heads"),
        ({"num_frames": 0}, "num_frames"),
    ],
)
def test_impossible_values_are_rejected_with_a_clear_message(kwargs, message):
    with pytest.raises(Exception, match=message):
        SoccerMasterVisionConfig(**kwargs)


def test_wrong_types_are_rejected():
    with pytest.raises(Exception, match="hidden_size"):
        SoccerMasterVisionConfig(hidden_size="1024")


def test_round_trip(tmp_path, tiny_vision_kwargs):
    config = SoccerMasterVisionConfig(**tiny_vision_kwargs)
    config.save_pretrained(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    assert data["model_type"] == "soccermaster_vision"
    loaded = SoccerMasterVisionConfig.from_pretrained(tmp_path)
    for key, value in tiny_vision_kwargs.items():
        assert getattr(loaded, key) == value


def test_composite_config(tmp_path, tiny_vision_kwargs):
    config = SoccerMasterConfig(vision_config=tiny_vision_kwargs)
    assert isinstance(config.vision_config, SoccerMasterVisionConfig)
    assert config.text_config is None and config.text_encoder_config is None
    config = SoccerMasterConfig(
        vision_config=tiny_vision_kwargs,
        text_encoder_config={"model_type": "siglip_text_model", "hidden_size": 32, "num_hidden_layers": 1,
                             "num_attention_heads": 2, "intermediate_size": 64, "vocab_size": 100},
    )
    config.save_pretrained(tmp_path)
    loaded = SoccerMasterConfig.from_pretrained(tmp_path)
    assert loaded.vision_config.hidden_size == 32
    assert loaded.text_encoder_config.model_type == "siglip_text_model"
    assert loaded.text_encoder_config.hidden_size == 32
    from transformers import AutoConfig

    assert isinstance(AutoConfig.from_pretrained(tmp_path), SoccerMasterConfig)


@pytest.mark.parametrize("value", [1.0, 1.5, -0.1, float("nan"), True])
def test_the_detection_score_threshold_is_a_probability(value):
    with pytest.raises(Exception, match="score_threshold must be in"):
        SoccerMasterConfig(detection_config={"score_threshold": value})


def test_the_detection_score_threshold_round_trips(tmp_path):
    assert SoccerMasterConfig().detection_config.score_threshold == 0.5
    SoccerMasterConfig(detection_config={"score_threshold": 0.3}).save_pretrained(tmp_path)
    assert SoccerMasterConfig.from_pretrained(tmp_path).detection_config.score_threshold == 0.3
