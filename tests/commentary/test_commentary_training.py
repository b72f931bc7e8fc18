"""`train-commentary` on MatchTime's layout (Labels-caption.json + per-half feature files), tiny random Llama: trains,
resumes after an interruption with the same result, saves only the adapter, reloads onto the base LLM identically."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from soccermaster_hf.cli.main import main
from soccermaster_hf.training.commentary import (
    HEAD_FILE,
    CommentaryTrainingArguments,
    build_commentary_model,
    load_commentary_model,
    save_commentary_adapter,
    train_commentary,
)

from .helpers import CAPTIONS, tiny_tokenizer

pytest.importorskip("peft")


@pytest.fixture
def base_llm(tmp_path):
    """A tiny random Llama + its tokenizer saved as a base-LLM folder."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = tiny_tokenizer()
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    folder = tmp_path / "base_llm"
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def matchtime_data(tmp_path):
    """MatchTime's layout: <ann>/<league>/<game>/Labels-caption.json and <features>/<league>/<game>/1_feat.npy (2 fps,
    32-dim = the tiny backbone's width)."""
    ann, features = tmp_path / "ann", tmp_path / "features"
    game = ann / "league_a" / "game_1"
    game.mkdir(parents=True)
    annotations = [{"gameTime": f"1 - 00:{10 + 4 * i:02d}", "anonymized": caption, "label": "comments"}
                   for i, caption in enumerate(CAPTIONS)]
    annotations.append({"gameTime": "3 - 00:10", "anonymized": "not a half"})
    (game / "Labels-caption.json").write_text(json.dumps({"annotations": annotations}))
    (features / "league_a" / "game_1").mkdir(parents=True)
    np.save(features / "league_a" / "game_1" / "1_feat.npy",
            np.random.default_rng(0).standard_normal((120, 32)).astype(np.float32))
    return ann, features


def _arguments(tmp_path, base_llm, matchtime_data, **overrides):
    ann, features = matchtime_data
    kwargs = {"train_data": [str(ann)], "output_dir": str(tmp_path / "run"), "text_model": str(base_llm),
              "features_root": str(features), "window": 2.0, "num_query_tokens": 4, "qformer_hidden_size": 32,
              "max_steps": 4, "batch_size": 3, "checkpoint_every": 2, "log_every": 1, "progress": False,
              "learning_rate": 1e-3, "num_beams": 2, "max_new_tokens": 6}
    kwargs.update(overrides)
    return CommentaryTrainingArguments(**kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("lora", [False, True])
def test_train_resume_save_reload(tmp_path, base_llm, matchtime_data, lora, capsys):
    final = train_commentary(_arguments(tmp_path, base_llm, matchtime_data, lora=lora,
                                        eval_data=[str(matchtime_data[0])]))
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert len(rows) == 5
    files = sorted(p.name for p in final.iterdir())
    assert HEAD_FILE in files and "README.md" in files and "tokenizer.json" in files
    assert not any(name.startswith("model") and name.endswith(".safetensors") for name in files)  # no LLM weights
    assert ("adapter" in files) == lora
    head = load_file(str(final / HEAD_FILE))
    assert not any(key.startswith(("language_model.", "vision_model.")) for key in head)
    meta = json.loads((final / "commentary.json").read_text())
    added = json.loads((final / "config.json").read_text())["text_config"]["vocab_size"] - meta["base_vocab_size"]
    assert added >= 1 and head["added_tokens.input_embeddings"].shape[0] == added  # the video token (+ placeholders)
    assert str(base_llm) in (final / "README.md").read_text()
    scores = json.loads((tmp_path / "run" / "scores.json").read_text())
    assert scores["num_clips"] == len(CAPTIONS) and "CIDER" in scores["baseline_constant_caption"]["matchtime"]

    # killed after checkpoint-2 was written (what a kill leaves: the later checkpoint and the final folder are not
    # there yet): the same command resumes and ends with the same adapter
    for name in ("checkpoint-0000004", "final"):
        shutil.rmtree(tmp_path / "run" / name)
    resumed = train_commentary(_arguments(tmp_path, base_llm, matchtime_data, lora=lora))
    assert "resumed from checkpoint-0000002" in capsys.readouterr().out
    resumed_head = load_file(str(resumed / HEAD_FILE))
    for key, value in head.items():
        torch.testing.assert_close(resumed_head[key], value, msg=key)

    # reloaded onto the base LLM: identical generation to the adapter's checkpoint twin
    model, processor = load_commentary_model(final)
    twin, _ = load_commentary_model(tmp_path / "run" / "checkpoint-0000004")
    fsem = torch.randn(2, 8, 32)
    ids = model.generate(pooler_output=fsem, max_new_tokens=6, num_beams=2)
    assert torch.equal(ids, twin.generate(pooler_output=fsem, max_new_tokens=6, num_beams=2))
    assert all(isinstance(t, str) for t in processor.post_process_commentary(ids))


def test_adapter_round_trip_generates_identically(tmp_path, base_llm):
    from soccermaster_hf.training.commentary import _apply_lora

    args = CommentaryTrainingArguments(train_data=["unused"], output_dir=str(tmp_path / "x"), text_model=str(base_llm),
                                       num_query_tokens=4, qformer_hidden_size=32, lora=True)
    model, processor, meta = build_commentary_model(args)
    _apply_lora(model, args)
    with torch.no_grad():  # LoRA B starts at zero: make the adapter matter
        for name, parameter in model.named_parameters():
            if "lora_B" in name or name.startswith("qformer."):
                parameter.normal_(std=0.05)
    model.eval()
    fsem = torch.randn(2, 5, 32)
    expected = model.generate(pooler_output=fsem, max_new_tokens=8, num_beams=3)
    save_commentary_adapter(model, processor, tmp_path / "adapter", meta)
    reloaded, _ = load_commentary_model(tmp_path / "adapter")
    assert torch.equal(reloaded.generate(pooler_output=fsem, max_new_tokens=8, num_beams=3), expected)


def test_cli_options_and_errors(tmp_path, base_llm, matchtime_data, capsys):
    ann, features = matchtime_data
    code = main(["train-commentary", str(ann), "-o", str(tmp_path / "cli"), "--text-model", str(base_llm),
                 "--features-root", str(features), "--window", "2", "--num-query-tokens", "4",
                 "--qformer-hidden-size", "32", "--max-steps", "2", "--batch-size", "2", "--no-progress",
                 "--push-to-hub", "me/commentary", "--hub-local-dir", str(tmp_path / "hub")])
    assert code == 0 and "final adapter" in capsys.readouterr().out
    pushed = tmp_path / "hub" / "me" / "commentary"  # the adapter only, with a card naming the base LLM
    assert (pushed / HEAD_FILE).is_file() and str(base_llm) in (pushed / "README.md").read_text()
    assert not any(name.startswith("model") and name.endswith(".safetensors") for name in
                   (p.name for p in pushed.iterdir()))
    assert main(["train-commentary", str(tmp_path / "missing"), "-o", str(tmp_path / "bad"), "--text-model",
                 str(base_llm), "--features-root", str(features)]) == 1
    assert main(["train-commentary", str(ann), "-o", str(tmp_path / "bad2"), "--text-model", str(base_llm),
                 "--lora-dropout", "2"]) == 2
