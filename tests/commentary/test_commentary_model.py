"""Commentary generation with a tiny random Llama: sequence layout, loss, backward, generate, save / reload, remote code."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from soccermaster_hf import SoccerMasterCommentaryProcessor, SoccerMasterForConditionalGeneration
from soccermaster_hf.modeling import COMMENTARY_PLACEHOLDER_TOKENS, AllowedTokensLogitsProcessor

from .helpers import CAPTIONS, NUM_QUERY_TOKENS, tiny_commentary_stack

BLOCKER = Path(__file__).parents[1] / "hub" / "block_soccermaster.py"


@pytest.fixture
def stack():
    model, processor = tiny_commentary_stack()
    return model.eval(), processor


def features(batch: int = 2, frames: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, frames, 32, generator=torch.Generator().manual_seed(seed))


def test_placeholders_are_single_special_tokens(stack):
    model, processor = stack
    tokenizer = processor.tokenizer
    for token in COMMENTARY_PLACEHOLDER_TOKENS:
        ids = tokenizer("x " + token + " y", add_special_tokens=False)["input_ids"]
        assert tokenizer.convert_tokens_to_ids(token) in ids
        assert token in tokenizer.all_special_tokens or token in tokenizer.get_added_vocab()
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer) == model.config.text_config.vocab_size
    assert model.config.video_token_id == tokenizer.convert_tokens_to_ids("<video>")


def test_training_sequence_layout(stack):
    _, processor = stack
    batch = processor(text=CAPTIONS[:2])
    ids, labels, mask = batch["input_ids"], batch["labels"], batch["attention_mask"]
    tokenizer = processor.tokenizer
    assert ids.shape == labels.shape == mask.shape
    for row, caption in enumerate(CAPTIONS[:2]):
        caption_ids = tokenizer(caption, add_special_tokens=False)["input_ids"]
        expected = [processor.video_token_id] * NUM_QUERY_TOKENS + [tokenizer.bos_token_id, *caption_ids,
                                                                     tokenizer.eos_token_id]
        length = len(expected)
        assert ids[row, :length].tolist() == expected
        assert labels[row, :NUM_QUERY_TOKENS].eq(-100).all()  # no loss on the visual prefix
        assert labels[row, NUM_QUERY_TOKENS:length].tolist() == expected[NUM_QUERY_TOKENS:]
        assert labels[row, length:].eq(-100).all() and mask[row, length:].eq(0).all()
        assert ids[row, length:].eq(tokenizer.eos_token_id).all()  # padded with eos, as MatchTime pads
    prompt = processor(batch_size=3)["input_ids"]
    assert prompt.shape == (3, NUM_QUERY_TOKENS + 1) and prompt[:, -1].eq(tokenizer.bos_token_id).all()
    assert processor.post_process_commentary(ids) == CAPTIONS[:2]  # placeholders kept, raw strings back


def test_loss_backward_and_prefix_layouts_agree(stack):
    model, processor = stack
    model.train()
    batch = processor(text=CAPTIONS[:3])
    fsem = features(3)
    output = model(pooler_output=fsem, **batch)
    assert output.logits.shape[:2] == batch["input_ids"].shape
    assert output.language_model_inputs.shape == (3, NUM_QUERY_TOKENS, 64)
    output.loss.backward()
    for name in ("query_tokens", "language_projection.weight", "frame_position_embedding.weight",
                 "qformer.encoder.layer.0.crossattention.attention.query.weight",
                 "language_model.model.layers.0.self_attn.q_proj.weight"):
        assert model.get_parameter(name).grad is not None and model.get_parameter(name).grad.abs().sum() > 0, name
    # MatchTime's layout (text only, the prefix prepended by the model) gives the same loss
    text_only = {key: value[:, NUM_QUERY_TOKENS:] for key, value in batch.items()}
    model.eval()  # the Q-Former has dropout
    with torch.no_grad():
        torch.testing.assert_close(model(pooler_output=fsem, **text_only).loss, model(pooler_output=fsem, **batch).loss)
    with pytest.raises(ValueError, match="video tokens"):
        model(pooler_output=fsem, input_ids=batch["input_ids"][:, 1:])


def test_padded_frames_are_masked_out(stack):
    model, _ = stack
    fsem = features(1, 4)
    padded = torch.cat([fsem, torch.randn(1, 3, 32)], dim=1)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0, 0]])
    with torch.no_grad():
        torch.testing.assert_close(model.get_video_prefix(pooler_output=padded, frame_mask=mask)[0],
                                   model.get_video_prefix(pooler_output=fsem)[0], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="max_frame_positions"):
        model.get_video_prefix(pooler_output=torch.randn(1, 129, 32))


def test_generate_beam_search_sampling_and_allowed_vocabulary(stack):
    model, processor = stack
    fsem = features(2)
    beams = model.generate(pooler_output=fsem, max_new_tokens=7, num_beams=3, do_sample=False)
    assert beams.shape[0] == 2 and beams.shape[1] <= 7
    again = model.generate(pooler_output=fsem, max_new_tokens=7, num_beams=3, do_sample=False)
    assert torch.equal(beams, again)
    # the processor's prompt (video tokens + <bos>) and no prompt are the same start
    prompt = processor(batch_size=2)
    assert torch.equal(model.generate(pooler_output=fsem, **prompt, max_new_tokens=7, num_beams=3), beams)
    allowed = processor.allowed_token_ids(["[PLAYER] scores a goal!"])
    torch.manual_seed(0)
    sampled = model.generate(pooler_output=fsem, max_new_tokens=7, do_sample=True, top_p=0.9, num_beams=2,
                             allowed_token_ids=allowed)
    assert set(sampled.flatten().tolist()) <= set(allowed) | {processor.tokenizer.pad_token_id}
    texts = processor.post_process_commentary(sampled)
    assert len(texts) == 2 and all(isinstance(t, str) for t in texts)


def test_generation_stops_at_eos(stack):
    model, processor = stack
    eos = processor.tokenizer.eos_token_id
    with torch.no_grad():
        model.language_model.lm_head.weight.zero_()
        model.language_model.lm_head.weight[eos] = 0.0
        bias = torch.zeros(model.config.text_config.vocab_size)
        bias[eos] = 10.0
        model.language_model.lm_head.bias = torch.nn.Parameter(bias)
    ids = model.generate(pooler_output=features(2), max_new_tokens=20, num_beams=2)
    assert ids.shape[1] == 1 and ids.eq(eos).all()
    assert processor.post_process_commentary(ids) == ["", ""]


def test_allowed_tokens_processor():
    scores = torch.zeros(2, 6)
    out = AllowedTokensLogitsProcessor([1, 4])(torch.zeros(2, 1, dtype=torch.long), scores)
    assert torch.isinf(out[:, [0, 2, 3, 5]]).all() and out[:, [1, 4]].eq(0).all()
    with pytest.raises(ValueError):
        AllowedTokensLogitsProcessor([])


def test_save_reload_generates_identically(stack, tmp_path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model, processor = stack
    fsem = features(2)
    expected = model.generate(pooler_output=fsem, max_new_tokens=6, num_beams=2)
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["auto_map"]["AutoModelForImageTextToText"] == \
        "modeling_soccermaster_commentary.SoccerMasterForConditionalGeneration"
    assert (tmp_path / "modeling_soccermaster_commentary.py").is_file() and (tmp_path / "README.md").is_file()
    for loader in (SoccerMasterForConditionalGeneration, AutoModelForImageTextToText):
        reloaded = loader.from_pretrained(tmp_path).eval()
        assert type(reloaded) is SoccerMasterForConditionalGeneration
        assert torch.equal(reloaded.generate(pooler_output=fsem, max_new_tokens=6, num_beams=2), expected)
    loaded_processor = AutoProcessor.from_pretrained(tmp_path)
    assert isinstance(loaded_processor, SoccerMasterCommentaryProcessor)
    assert loaded_processor.num_query_tokens == NUM_QUERY_TOKENS
    assert torch.equal(loaded_processor(text=CAPTIONS)["input_ids"], processor(text=CAPTIONS)["input_ids"])


REMOTE = textwrap.dedent(
    """
    import runpy, sys
    runpy.run_path(sys.argv[1])
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor
    folder = sys.argv[2]
    model = AutoModelForImageTextToText.from_pretrained(folder, trust_remote_code=True).eval()
    processor = AutoProcessor.from_pretrained(folder, trust_remote_code=True)
    assert type(model).__module__.startswith("transformers_modules."), type(model).__module__
    assert not any(name.startswith("soccermaster_hf") for name in sys.modules)
    data = torch.load(folder + "/expected.pt")
    ids = model.generate(pooler_output=data["fsem"], max_new_tokens=6, num_beams=2)
    assert torch.equal(ids, data["ids"]), (ids, data["ids"])
    print("REMOTE-OK", type(processor).__name__, processor.post_process_commentary(ids))
    """
)


@pytest.mark.slow
def test_remote_code_generates_identically(stack, tmp_path):
    import os

    model, processor = stack
    fsem = features(2)
    folder = tmp_path / "model"
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    torch.save({"fsem": fsem, "ids": model.generate(pooler_output=fsem, max_new_tokens=6, num_beams=2)},
               folder / "expected.pt")
    env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "modules"), HF_HUB_OFFLINE="1", PYTHONPATH="",
               OMP_NUM_THREADS="1")
    run = subprocess.run([sys.executable, "-c", REMOTE, str(BLOCKER), str(folder)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    assert "REMOTE-OK SoccerMasterCommentaryProcessor" in run.stdout
