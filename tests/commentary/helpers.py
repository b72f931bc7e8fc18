"""A tiny commentary stack built in-process (no Hub): a WordLevel tokenizer trained on a few captions, a tiny random
Llama, the shared tiny backbone config, a 32-wide Q-Former with 8 queries."""

from __future__ import annotations

from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from soccermaster_hf import SoccerMasterCommentaryProcessor, SoccerMasterConfig, SoccerMasterForConditionalGeneration

# the shared tiny backbone of tests/modeling/tester.py
VISION = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
          "image_size": 32, "patch_size": 8, "num_frames": 2, "temporal_start_layer": 2}

CAPTIONS = [
    "[PLAYER] ([TEAM]) scores a goal!",
    "[PLAYER] ([TEAM]) takes the corner kick.",
    "[REFEREE] shows a yellow card to [PLAYER].",
    "[COACH] makes a substitution for [TEAM].",
    "The ball goes out of play.",
    "[PLAYER] ([TEAM]) commits a foul and [REFEREE] stops the game.",
]
NUM_QUERY_TOKENS = 8


def tiny_tokenizer(texts=CAPTIONS) -> PreTrainedTokenizerFast:
    """Whitespace-split WordLevel tokenizer (punctuation stays on its word, so decoding gives the raw strings back)."""
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.WordLevelTrainer(special_tokens=["<unk>", "<s>", "</s>"])
    tokenizer.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>", eos_token="</s>")


def tiny_commentary_config(vocab_size: int, **overrides) -> SoccerMasterConfig:
    text = {"model_type": "llama", "vocab_size": vocab_size, "hidden_size": 64, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "max_position_embeddings": 128, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2}
    kwargs = {"vision_config": dict(VISION), "event_config": {"num_layers": 1},
              "qformer_config": {"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 64},
              "text_config": text, "num_query_tokens": NUM_QUERY_TOKENS}
    kwargs.update(overrides)
    return SoccerMasterConfig(**kwargs)


def tiny_commentary_stack(seed: int = 0):
    """`(model, processor)`: placeholders added as special tokens, embeddings resized, video token id set."""
    import torch

    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer()
    processor = SoccerMasterCommentaryProcessor(tokenizer=tokenizer, num_query_tokens=NUM_QUERY_TOKENS, max_length=32)
    model = SoccerMasterForConditionalGeneration(tiny_commentary_config(len(tokenizer)))
    processor.add_tokens_to(model)
    return model, processor
