"""Video-text retrieval in candidate batches and zero-shot keyword accuracy (evaluation.retrieval), checked against a
direct computation with the model's own alignment logits."""

from __future__ import annotations

import json

import pytest
import torch
from modeling.tester import TEXT, tiny_config  # the shared tiny config (tests/ is on sys.path)
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from soccermaster_hf import EVENT_KEYWORDS, SoccerMasterModel
from soccermaster_hf.data.semantic import SemanticClips, to_semantic_inputs
from soccermaster_hf.evaluation.retrieval import score_retrieval
from soccermaster_hf.synth.generate import SynthConfig, generate_dataset


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    out = tmp_path_factory.mktemp("retrieval") / "synth"
    generate_dataset(out, SynthConfig(clips=1, frames=2, seed=4, width=128, height=72, semantic_clips=8,
                                      semantic_frames=4, tracking="scripted"), progress=False)
    return out


@pytest.fixture(scope="module")
def model_and_tokenizer(clips):
    records = json.loads((clips / "events" / "classification.json").read_text())
    words = " ".join([r["comments_text_anonymized"] for r in records] + EVENT_KEYWORDS + ["a", "soccer", "clip", "of"])
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.train_from_iterator([words], trainers.WordLevelTrainer(special_tokens=["<unk>", "<pad>"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>")
    torch.manual_seed(0)
    model = SoccerMasterModel(tiny_config(text_encoder_config={**TEXT, "vocab_size": len(fast),
                                                               "max_position_embeddings": 64})).eval()
    return model, fast


def test_scores_match_the_alignment_logits(clips, model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    dataset = SemanticClips(clips, num_frames=4)
    scores = score_retrieval(model, tokenizer, dataset, batch_size=4, image_size=32)
    n = len(dataset)
    assert scores.num_clips == n and scores.skipped == 0 and scores.batch_size == 4 and scores.num_batches == n // 4
    # the same numbers from the model's forward (SigLIP logits: a positive scale and a bias keep the ranking)
    samples = [dataset[i] for i in range(n)]
    pixels = to_semantic_inputs(samples, 32)["semantic_pixel_values"]
    texts = [r["text"] for r in dataset.records]
    tokens = tokenizer(texts, padding="max_length", max_length=64, return_tensors="pt")
    with torch.no_grad():
        logits = model(pixels, input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]).logits_per_video
    hits = same = 0
    for b in range(n // 4):
        block = logits[4 * b:4 * b + 4, 4 * b:4 * b + 4]
        best = block.argmax(dim=1)
        hits += int((best == torch.arange(4)).sum())
        same += sum(texts[4 * b + int(j)] == texts[4 * b + i] for i, j in enumerate(best))
    assert scores.top1 == pytest.approx(hits / (4 * (n // 4)))
    assert scores.top1_same_text == pytest.approx(same / (4 * (n // 4)))
    assert scores.top1 <= scores.top1_same_text <= 1 and scores.top1 <= scores.top5
    assert scores.chance_top1 == 0.25
    keywords = tokenizer([f"a soccer clip of {k}" for k in EVENT_KEYWORDS], padding="max_length", max_length=64,
                         return_tensors="pt")
    with torch.no_grad():
        keyword_logits = model(pixels, input_ids=keywords["input_ids"],
                               attention_mask=keywords["attention_mask"]).logits_per_video
    expected = sum(EVENT_KEYWORDS[int(row.argmax())] == dataset.labels[s["label"]]
                   for row, s in zip(keyword_logits, samples)) / n
    assert scores.keyword_top1 == pytest.approx(expected)
    assert json.dumps(scores.to_dict())


def test_fewer_clips_than_a_batch_and_bad_arguments(clips, model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    dataset = SemanticClips(clips, num_frames=4)
    scores = score_retrieval(model, tokenizer, dataset, image_size=32)  # 48 > clips: one batch of all
    assert scores.num_batches == 1 and scores.batch_size == len(dataset)
    with pytest.raises(ValueError, match="at least 2"):
        score_retrieval(model, tokenizer, dataset, batch_size=1, image_size=32)
    from soccermaster_hf import SoccerMasterVisionModel

    with pytest.raises(ValueError, match="text tower"):
        score_retrieval(SoccerMasterVisionModel(model.config.vision_config), tokenizer, dataset, image_size=32)
