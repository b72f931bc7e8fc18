"""`--text-encoder` with a tower whose embeddings are not the backbone's width: one clear error before training (it
was a matmul shape traceback at the first alignment step)."""

from __future__ import annotations

import pytest
from modeling.tester import tiny_config  # the shared tiny config (tests/ is on sys.path)
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, SiglipConfig, SiglipModel

from soccermaster_hf.modeling import SoccerMasterForPreTraining
from soccermaster_hf.training.pretrain import attach_text_encoder


def _tower(folder, width: int):
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.train_from_iterator(["the ball goes out of play"], trainers.WordLevelTrainer(special_tokens=["<unk>"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<unk>")
    SiglipModel(SiglipConfig(
        text_config={"hidden_size": width, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
                     "vocab_size": len(fast), "max_position_embeddings": 16},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 8})).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def test_a_tower_of_another_width_is_refused_with_both_widths(tmp_path):
    model = SoccerMasterForPreTraining(tiny_config())
    width = model.config.vision_config.hidden_size
    with pytest.raises(ValueError, match=rf"{width + 16} wide and the backbone's {width}"):
        attach_text_encoder(model, str(_tower(tmp_path / "wide", width + 16)))
    assert model.text_model is None  # nothing attached
    attach_text_encoder(model, str(_tower(tmp_path / "same", width)))
    assert model.text_model is not None
