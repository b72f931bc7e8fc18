"""Commentary benchmarks (offline, CPU).

``python benchmarks/commentary.py synth SYNTH_DIR OUT [--extra-train DIR ...] [--heldout DIR]`` — the bar of issue 13:
train a tiny random Llama (built here, with a WordLevel tokenizer on the training captions and a short text-only
pre-training, as a real LLM knows its language) with `soccermaster train-commentary` on SoccerSynth 1-fps clips
(`soccermaster synth --semantic-clips N`), the shipped default checkpoint's backbone frozen, then score held-out clips
against the constant-caption baseline (the most frequent training caption). Held out: the last quarter of SYNTH_DIR's
match, or with `--heldout` every clip of another match. The measured run (docs/commentary.md) trains on two scripted
matches and scores a third:

    for s in 0 1 2; do soccermaster synth --out scripted-$s --clips 1 --frames 2 --semantic-clips 400 --seed $s \
        --tracking scripted; done
    python benchmarks/commentary.py synth scripted-0 runs/commentary --extra-train scripted-1 --heldout scripted-2

``python benchmarks/commentary.py retrieval --model CKPT --data SYNTH_DIR`` — video-to-text retrieval top-1 within
candidate batches of 48 (the paper's protocol) and zero-shot keyword accuracy (`soccermaster_hf.evaluation.retrieval`)
of a checkpoint with a text tower (`soccermaster train --text-encoder`, which saves its tokenizer beside it) on the
1-fps clips of a folder (`events/classification.json`).
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


def unique_records(synth_dir: Path) -> list[dict]:
    """`events/classification.json` of a SoccerSynth folder, one record per video (clips that share a second share a
    file: the first record is kept), video paths made absolute so that the records can be written elsewhere."""
    records = json.loads((synth_dir / "events" / "classification.json").read_text())
    seen, unique = set(), []
    for record in records:
        if record["video"] not in seen:
            seen.add(record["video"])
            unique.append({**record, "video": str((synth_dir / record["video"]).resolve())})
    return unique


def write_records(records: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=1))
    return path


def split_classification(synth_dir: Path, out: Path, held_out: float = 0.25) -> tuple[list[dict], list[dict]]:
    """Time-ordered split of a folder's clips into train / held-out records (the last `held_out` of the match)."""
    unique = unique_records(synth_dir)
    cut = int(round(len(unique) * (1 - held_out)))
    return unique[:cut], unique[cut:]


def synth(args: argparse.Namespace) -> int:
    from soccermaster_hf.hub import DEFAULT_CHECKPOINT
    from soccermaster_hf.training.commentary import CommentaryTrainingArguments, train_commentary

    synth_dir, out = Path(args.synth_dir), Path(args.out)
    if args.heldout:  # another match: every clip of SYNTH_DIR trains, every clip of --heldout is scored
        train, heldout = unique_records(synth_dir), unique_records(Path(args.heldout))
    else:  # one match: the last quarter is held out
        train, heldout = split_classification(synth_dir, out)
    for folder in args.extra_train:
        train += unique_records(Path(folder))
    train_json = write_records(train, out / "splits" / "train.json")
    heldout_json = write_records(heldout, out / "splits" / "heldout.json")
    captions = [r["comments_text_anonymized"] for r in train]
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


def retrieval(args: argparse.Namespace) -> int:
    from transformers import AutoTokenizer

    from soccermaster_hf.analysis.pipeline import load_analysis_model
    from soccermaster_hf.data.semantic import SemanticClips
    from soccermaster_hf.evaluation.retrieval import score_retrieval

    model, _ = load_analysis_model(args.model)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    dataset = SemanticClips(args.data, num_frames=args.frames)
    start = time.perf_counter()
    scores = score_retrieval(model.eval(), tokenizer, dataset, batch_size=args.batch_size, progress=True)
    print(json.dumps({"seconds": round(time.perf_counter() - start, 1), "model": args.model, "data": args.data,
                      "reader": dataset.report.summary(), **scores.to_dict()}, indent=1))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("synth", help="Train on SoccerSynth captions, score held-out clips vs. a constant caption.")
    s.add_argument("synth_dir")
    s.add_argument("out")
    s.add_argument("--steps", type=int, default=3000)
    s.add_argument("--frames", type=int, default=8)
    s.add_argument("--lora", action="store_true")
    s.add_argument("--pretrain-llm-steps", type=int, default=200, help="Text-only LM steps on the training captions.")
    s.add_argument("--vision-model", default=None)
    s.add_argument("--extra-train", nargs="*", default=[], metavar="SYNTH_DIR",
                   help="More training folders: other renders of the training part of the match (--seed S "
                        "--time-range 0:T) or other scripted matches (--tracking scripted --seed S).")
    s.add_argument("--heldout", default=None, metavar="SYNTH_DIR",
                   help="Score every clip of this folder (another match) instead of SYNTH_DIR's last quarter.")
    r = commands.add_parser("retrieval", help="Top-1 retrieval in batches of 48 and zero-shot keyword accuracy.")
    r.add_argument("--model", required=True, help="Checkpoint folder with a text tower and its tokenizer.")
    r.add_argument("--data", required=True, help="Folder (or classification JSON) of captioned 1-fps clips.")
    r.add_argument("--frames", type=int, default=8)
    r.add_argument("--batch-size", type=int, default=48)
    args = parser.parse_args(argv)
    return {"synth": synth, "retrieval": retrieval}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
