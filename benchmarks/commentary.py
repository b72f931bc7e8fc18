"""Commentary benchmarks (offline, CPU).

``python benchmarks/commentary.py synth SYNTH_DIR OUT`` — the bar of issue 13: train a tiny random Llama (built here,
with a WordLevel tokenizer on the training captions) with `soccermaster train-commentary` on SoccerSynth 1-fps clips
(`soccermaster synth --semantic-clips N`), the shipped default checkpoint's backbone frozen, then score held-out clips
(the last quarter of the match) against the constant-caption baseline (the most frequent training caption).

``python benchmarks/commentary.py retrieval`` — zero-shot event recognition from text prompts: video-to-text top-1
within candidate batches of 48 (the paper's protocol) and keyword ranking through `rank_event_prompts`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def make_tiny_llm(folder: Path, captions: list[str], hidden: int = 128, layers: int = 2, seed: int = 0,
                  pretrain_steps: int = 0) -> Path:
    """A random tiny Llama and a whitespace WordLevel tokenizer on `captions`, saved as a base-LLM folder."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.train_from_iterator(captions, trainers.WordLevelTrainer(special_tokens=["<unk>", "<s>", "</s>"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=hidden, intermediate_size=2 * hidden,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=256, bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
                         pad_token_id=fast.eos_token_id)
    model = LlamaForCausalLM(config)
    if pretrain_steps:  # a base LM that knows the captions' language, as a real LLM knows English
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
        encoded = fast([f"<s> {c} </s>" for c in captions], add_special_tokens=False, padding=True,
                       return_tensors="pt") if fast.pad_token else None
        if encoded is None:
            fast.pad_token = fast.eos_token
            encoded = fast([f"<s> {c} </s>" for c in captions], padding=True, return_tensors="pt")
        labels = encoded["input_ids"].masked_fill(encoded["attention_mask"] == 0, -100)
        for _ in range(pretrain_steps):
            loss = model(**encoded, labels=labels).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        print(f"tiny LLM pre-trained on {len(captions)} captions: LM loss {float(loss):.3f}", flush=True)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def split_classification(synth_dir: Path, out: Path, held_out: float = 0.25) -> tuple[Path, Path]:
    """Time-ordered split of `events/classification.json` into train / held-out JSON files (videos stay in place)."""
    records = json.loads((synth_dir / "events" / "classification.json").read_text())
    seen, unique = set(), []
    for record in records:  # clips that share a second share a file: keep the first record of each
        if record["video"] not in seen:
            seen.add(record["video"])
            unique.append(record)
    cut = int(round(len(unique) * (1 - held_out)))
    paths = []
    for name, part in (("train", unique[:cut]), ("heldout", unique[cut:])):
        path = synth_dir / "events" / f"commentary_{name}.json"
        path.write_text(json.dumps(part, indent=1))
        paths.append(path)
    return paths[0], paths[1]


def synth(args: argparse.Namespace) -> int:
    from soccermaster_hf.hub import DEFAULT_CHECKPOINT
    from soccermaster_hf.training.commentary import CommentaryTrainingArguments, train_commentary

    synth_dir, out = Path(args.synth_dir), Path(args.out)
    train_json, heldout_json = split_classification(synth_dir, out)
    captions = [r["comments_text_anonymized"] for r in json.loads(train_json.read_text())]
    out.mkdir(parents=True, exist_ok=True)
    llm = make_tiny_llm(out / "tiny_llm", captions, pretrain_steps=args.pretrain_llm_steps)
    start = time.perf_counter()
    arguments = CommentaryTrainingArguments(
        train_data=[str(train_json)], eval_data=[str(heldout_json)], output_dir=str(out / "run"),
        text_model=str(llm), vision_model=args.vision_model or str(DEFAULT_CHECKPOINT),
        semantic_frames=args.frames, num_query_tokens=8, qformer_hidden_size=128, max_steps=args.steps,
        batch_size=8, learning_rate=1e-3, lora=args.lora, num_beams=3, max_new_tokens=32, progress=False,
        checkpoint_every=args.steps, overwrite=True)
    train_commentary(arguments)
    scores = json.loads((out / "run" / "scores.json").read_text())
    print(json.dumps({"seconds": round(time.perf_counter() - start, 1), "train_clips": len(captions),
                      "heldout_clips": scores["num_clips"], "model": scores["model"]["matchtime"],
                      "constant_caption": scores["baseline_constant_caption"]["matchtime"],
                      "baseline_caption": scores["baseline_constant_caption"]["caption"]}, indent=1))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("synth", help="Train on SoccerSynth captions, score held-out clips vs. a constant caption.")
    s.add_argument("synth_dir")
    s.add_argument("out")
    s.add_argument("--steps", type=int, default=300)
    s.add_argument("--frames", type=int, default=8)
    s.add_argument("--lora", action="store_true")
    s.add_argument("--pretrain-llm-steps", type=int, default=200, help="Text-only LM steps on the training captions.")
    s.add_argument("--vision-model", default=None)
    args = parser.parse_args(argv)
    return {"synth": synth}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
