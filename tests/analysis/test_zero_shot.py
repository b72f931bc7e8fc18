"""Zero-shot event ranking from text prompts, and transformers' zero-shot pipeline on a SoccerMaster model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from modeling.tester import TEXT, clip, tiny_config  # the shared tiny config (tests/ is on sys.path)
from PIL import Image
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, pipeline

from soccermaster_hf import EVENT_KEYWORDS, SoccerMasterImageProcessor, SoccerMasterModel
from soccermaster_hf.analysis.zero_shot import rank_prompts


def _tokenizer() -> PreTrainedTokenizerFast:
    words = " ".join(EVENT_KEYWORDS + ["a", "soccer", "clip", "of"])
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.train_from_iterator([words], trainers.WordLevelTrainer(special_tokens=["<unk>", "<pad>"]))
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>")


@pytest.fixture(scope="module")
def model_and_tokenizer():
    torch.manual_seed(0)
    tokenizer = _tokenizer()
    model = SoccerMasterModel(tiny_config(text_encoder_config={**TEXT, "vocab_size": len(tokenizer),
                                                               "max_position_embeddings": 64})).eval()
    return model, tokenizer


def test_rank_prompts_orders_the_keywords_by_the_model_logits(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    pixels = clip(2)
    ranked = rank_prompts(model, tokenizer, pixels)
    assert len(ranked) == 2 and [len(r) for r in ranked] == [23, 23]
    assert sorted(name for name, _ in ranked[0]) == sorted(EVENT_KEYWORDS)
    tokens = tokenizer(list(EVENT_KEYWORDS), padding="max_length", max_length=64, return_tensors="pt")
    with torch.no_grad():
        logits = model(pixels, input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]).logits_per_video
    for row, ranking in zip(logits, ranked):
        assert ranking[0][0] == EVENT_KEYWORDS[int(row.argmax())]
        assert ranking[0][1] == pytest.approx(float(row.max().sigmoid()), rel=1e-5)
        scores = [score for _, score in ranking]
        assert scores == sorted(scores, reverse=True)
    custom = rank_prompts(model, tokenizer, pixels[:1], prompts=["goal", "corner"], template="a soccer clip of {}")
    assert {name for name, _ in custom[0]} == {"goal", "corner"}
    with pytest.raises(ValueError, match="at least one prompt"):
        rank_prompts(model, tokenizer, pixels, prompts=[])


def test_transformers_zero_shot_pipeline_runs_on_a_frame(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    processor = SoccerMasterImageProcessor.from_model_config(model.config)
    classifier = pipeline("zero-shot-image-classification", model=model, tokenizer=tokenizer,
                          image_processor=processor)
    frame = Image.fromarray((np.random.default_rng(0).random((32, 32, 3)) * 255).astype(np.uint8))
    results = classifier(frame, candidate_labels=["goal", "corner", "foul"])
    assert {result["label"] for result in results} == {"goal", "corner", "foul"}
    assert all(0.0 <= result["score"] <= 1.0 for result in results)
