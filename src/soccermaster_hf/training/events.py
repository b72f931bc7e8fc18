"""Training of the event head on a frozen backbone from cached clip features (``soccermaster train-events``).

Pre-training (:mod:`soccermaster_hf.training.pretrain`) trains the event head jointly with everything else, one
semantic clip per step; on a CPU that is a few hundred clips an hour, far too few for the head (the default checkpoint
shipped without one). This is a probe in the usual sense (a frozen backbone, trained heads), made cheap by caching:

1. **Features.** The backbone of `--init-from` (frozen) encodes every semantic clip once, `num_frames` frames sampled at
   1 fps as the pre-training reader does (:class:`~soccermaster_hf.data.semantic.SemanticClips`). By default the
   cache holds F_sem (`(frames, hidden)`, the attention-pooling head's output: 23 KB per 30-frame clip of the default
   model) and only the event head trains. With `train_pooling` the cache holds the backbone's last hidden state
   (`(frames, patches, hidden)` in float16, 6.6 MB per clip) and the attention-pooling head is trained too (through
   :func:`attention_pool`, an exact re-ordering of its computation that is ~14x cheaper). The cache is
   written in chunks of :data:`CHUNK_CLIPS` clips to ``<output>/features/`` (atomically: a killed run reuses the
   complete chunks). Clips that cannot be decoded are left out and counted.
2. **Training.** AdamW with linear warm-up and cosine decay; each step draws `batch_size` cached clips, with
   probability inversely proportional to their class's frequency by default (``class_balanced``: the majority class
   of real and synthetic event data alike, "ball out of play", otherwise takes over the head); cross-entropy with
   label smoothing. The draw of step n is seeded by (seed, n), and checkpoints (``checkpoint-<step>/``, written
   through a staging folder) hold the optimiser, scheduler and RNG state: the same command resumes from the newest one.
3. **Evaluation.** With `eval_data`, the held-out clips are encoded the same way, and top-1 accuracy (overall and per
   class) is logged at every checkpoint and written with the confusion counts to ``<output>/final/event_results.json``.

With `frame_position_embeddings` (default 30) the event head gets learned frame-position embeddings (our option,
:class:`~soccermaster_hf.modeling.SoccerMasterEventConfig`): the authors' head has none and is blind to the order of
its frames. With ``event_head="grid_linear"`` a fresh grid head (our option: the last hidden state averaged on a
4x4 grid in 6 time spans, per-cell LayerNorm, one linear layer, started at zero) replaces the authors' head, and the
cache holds each frame's 16 grid cells in float16 (98 KB per 30-frame clip of the default model).

The final folder (``<output>/final``) is the whole `--init-from` model with the trained heads: `soccermaster analyze
--model` and every head class load it. The backbone, detection, keypoint and line weights are bit-identical to
`--init-from`'s.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..utils.io import atomic_file, atomic_write_json, prepare_output_dir, save_pretrained_atomic
from .pretrain import (
    _arg,
    _checkpoints,
    _save_checkpoint,
    read_metric_rows,
    resume_training_state,
    validate_fields,
    write_metric_rows,
)

FEATURES_DIR = "features"
CHUNK_CLIPS = 32  # clips per cache file: a killed encoding loses at most this many clips' work
RESULTS_FILE = "event_results.json"


@dataclass
class EventTrainingArguments:
    """Settings of :func:`train_events` (the `soccermaster train-events` flags are generated from these)."""

    train_data: list[str] = _arg(help="Semantic clips: UniSoccer / MatchTime classification JSON files, or folders "
                                      "with events/classification.json (e.g. `soccermaster synth "
                                      "--semantic-clips N` outputs).", positional=True)
    output_dir: str = _arg(help="Run folder: feature cache, checkpoints, metrics.csv, final model.",
                           flags=["--output", "-o"])
    init_from: str | None = _arg(None, "Model whose backbone stays frozen (a pre-training folder or Hub id); default: "
                                       "the shipped default checkpoint.")
    eval_data: list[str] | None = _arg(None, "Held-out semantic clips (same forms as the training data): accuracy at "
                                             "every checkpoint and in final/event_results.json.", flags=["--eval"])
    num_frames: int = _arg(30, "Frames per clip, sampled at 1 fps (the authors' clips and `analyze`'s spotting "
                               "window: 30).", minimum=2)
    frame_position_embeddings: int = _arg(30, "Give the event head learned frame-position embeddings for clips of "
                                              "this many frames when --init-from's head has none (the authors' head "
                                              "cannot tell the order of its frames; 0: keep it so).", minimum=0)
    event_head: str | None = _arg(None, "Event head to train: 'transformer' (the authors' head on F_sem) or "
                                        "'grid_linear' (ours: a linear layer on the last hidden state averaged on a "
                                        "4x4 grid in 6 time spans; caches 16 vectors per frame). Default: "
                                        "--init-from's; another kind than its head starts from scratch.",
                                  choices=["transformer", "grid_linear"])
    train_pooling: bool = _arg(False, "Also train the backbone's attention-pooling head (caches the last hidden "
                                      "state, about 0.2 MB per frame at the default size, instead of F_sem; on the "
                                      "default checkpoint it overfits: held-out accuracy 0.52 against 0.67 without).")
    max_steps: int = _arg(3000, "Optimisation steps.", minimum=1)
    batch_size: int = _arg(16, "Clips per step.", minimum=1)
    learning_rate: float = _arg(3e-4, "AdamW learning rate.", exclusive_minimum=True, minimum=0.0)
    weight_decay: float = _arg(0.1, "AdamW weight decay.", minimum=0.0)
    warmup_steps: int = _arg(100, "Linear warm-up steps.", minimum=0)
    max_grad_norm: float = _arg(1.0, "Gradient clipping norm.", exclusive_minimum=True, minimum=0.0)
    label_smoothing: float = _arg(0.1, "Label smoothing of the cross-entropy.", minimum=0.0, maximum=0.99)
    class_balanced: bool = _arg(True, "Draw clips with probability 1 / (clips of their class) "
                                      "(--no-class-balanced: uniformly).")
    log_every: int = _arg(25, "Log the loss every N steps.", minimum=1)
    checkpoint_every: int = _arg(250, "Write a checkpoint (and evaluate) every N steps.", minimum=1)
    keep_checkpoints: int = _arg(2, "Checkpoints to keep.", minimum=1)
    seed: int = _arg(0, "Seed of the clip draws.", minimum=0)
    overwrite: bool = _arg(False, "Reuse an output folder that another command wrote.")
    progress: bool = _arg(True, "Show progress bars.")

    def __post_init__(self) -> None:
        validate_fields(self)
        if not self.train_data:
            raise ValueError("train_data: give at least one classification JSON or folder.")
        if self.train_pooling and self.event_head == "grid_linear":
            raise ValueError("train_pooling: the grid_linear event head reads the tokens, not the pooling head's "
                             "output; train one or the other.")


def load_event_model(init_from: str | None):
    """`SoccerMasterForPreTraining` of `init_from` (default: the shipped default checkpoint), in eval mode."""
    from ..modeling import SoccerMasterForPreTraining
    from ..utils.errors import load_pretrained

    if init_from is None:
        init_from = str(Path(__file__).parents[1] / "assets" / "default_checkpoint")
    model = load_pretrained(SoccerMasterForPreTraining, init_from)
    if model.vision_model.head is None:
        raise ValueError(f"{init_from}: the backbone has no attention-pooling head (vision_config.vision_use_head), "
                         "so it has no F_sem for the event head.")
    return model.eval()


def _cache_key(source: Path, model_name: str, num_frames: int, size: int, train_pooling: bool,
               grid_size: int = 0) -> str:
    parts = [str(source.resolve()), model_name, num_frames, size, train_pooling] + ([grid_size] if grid_size else [])
    return hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:10]


@torch.inference_mode()
def encode_clip(model, frames: torch.Tensor, size: int, train_pooling: bool, grid_size: int = 0) -> torch.Tensor:
    """One semantic clip `(frames, 3, H, W)` in [0, 1] -> the cached features: the last hidden state `(frames,
    patches, hidden)` in float16 with `train_pooling`; with `grid_size`, that state averaged on the grid (`(frames,
    grid_size**2, hidden)` in float16, what the grid_linear head reads); else F_sem `(frames, hidden)` in float32."""
    from ..modeling.modeling_soccermaster_video import grid_pool
    from ..processing import SoccerMasterImageProcessor

    pixels = SoccerMasterImageProcessor.resize_and_normalize(frames, (size, size), do_rescale=False)[0]
    outputs = model.vision_model(pixels[None].to(next(model.parameters()).dtype))
    if grid_size:
        return grid_pool(outputs.last_hidden_state.float(), grid_size)[0].to(torch.float16)
    if train_pooling:
        return outputs.last_hidden_state[0].to(torch.float16)
    return outputs.pooler_output[0].float()


def cached_features(source: str, model, model_name: str, cache_dir: Path, num_frames: int, size: int,
                    train_pooling: bool, progress: bool = True, role: str = "training",
                    grid_size: int = 0) -> dict[str, torch.Tensor]:
    """Features and labels of every decodable clip of `source`, from the cache or encoded into it (see the module
    docstring; `grid_size`: the grid cells of the grid_linear head); prints what it skipped."""
    from safetensors.torch import load_file, save
    from tqdm.auto import tqdm

    from ..data.semantic import SemanticClips

    labels = [model.config.event_config.id2label[i] for i in range(len(model.config.event_config.id2label))]
    clips = SemanticClips(source, num_frames=num_frames, labels=labels)
    if clips.report.counts:
        print(f"{source}: {clips.report.summary()}")
    key = _cache_key(clips.path, model_name, num_frames, size, train_pooling, grid_size)
    stem = f"{clips.path.parent.parent.name or 'clips'}-{key}"
    features, targets = [], []
    chunks = range(0, len(clips), CHUNK_CLIPS)
    bar = tqdm(total=len(clips), desc=f"encoding {role} clips", disable=not progress, unit="clip")
    for start in chunks:
        path = cache_dir / f"{stem}-{start // CHUNK_CLIPS:05d}.safetensors"
        tensors = None
        if path.is_file():
            try:
                tensors = load_file(str(path))
                if "labels" not in tensors or (len(tensors["labels"]) and "features" not in tensors):
                    raise ValueError("missing tensors")
                bar.update(min(start + CHUNK_CLIPS, len(clips)) - start)
            except Exception as error:  # noqa: BLE001 - safetensors raises its own error type for a damaged file
                print(f"{path}: unreadable cache file ({type(error).__name__}); encoding its clips again")
                tensors = None
        if tensors is None:
            chunk_features, chunk_labels = [], []
            for index in range(start, min(start + CHUNK_CLIPS, len(clips))):
                sample = clips[index]
                bar.update(1)
                if sample["label"] < 0:  # undecodable: SemanticClips counted it
                    continue
                chunk_features.append(encode_clip(model, sample["frames"], size, train_pooling, grid_size))
                chunk_labels.append(sample["label"])
            if chunk_features:
                tensors = {"features": torch.stack(chunk_features).contiguous(),
                           "labels": torch.tensor(chunk_labels, dtype=torch.long)}
            else:
                tensors = {"labels": torch.zeros(0, dtype=torch.long)}
            with atomic_file(path, "wb") as handle:
                handle.write(save(tensors))
        if len(tensors["labels"]):
            features.append(tensors["features"])
            targets.append(tensors["labels"])
    bar.close()
    failed = clips.report.counts.get("unreadable_video", 0)
    if failed:
        print(f"{source}: {failed} clip(s) could not be decoded and are left out")
    if not targets:
        raise ValueError(f"{clips.path}: no clip could be decoded ({clips.report.summary()}).")
    return {"features": torch.cat(features), "labels": torch.cat(targets)}


def attention_pool(head, tokens: torch.Tensor) -> torch.Tensor:
    """`head(tokens)` of the attention-pooling head (`(N, patches, hidden)` -> `(N, hidden)`), computed in the order
    that a single query allows: the key projection is folded into the query (`q . (W_k x + b_k) = (W_k^T q) . x +
    const`, the constant cancels in the softmax) and the value projection is applied after the weighted sum (the
    weights sum to one). Equal to `head(tokens)` up to float rounding, and about `patches` times cheaper than projecting
    every token, which makes training the head on cached hidden states affordable on a CPU."""
    attention = head.attention
    hidden = tokens.shape[-1]
    heads = attention.num_heads
    dim = hidden // heads
    w_q, w_k, w_v = attention.in_proj_weight.split(hidden)
    b_q, _, b_v = (attention.in_proj_bias.split(hidden) if attention.in_proj_bias is not None
                   else (torch.zeros(hidden, dtype=tokens.dtype),) * 3)
    query = (head.probe.reshape(hidden) @ w_q.t() + b_q).view(heads, dim) / dim ** 0.5
    folded = torch.einsum("hd,hdc->hc", query, w_k.view(heads, dim, hidden))  # (heads, hidden)
    weights = torch.softmax(torch.einsum("npc,hc->nhp", tokens, folded), dim=-1)  # (N, heads, patches)
    mixed = torch.einsum("nhp,npc->nhc", weights, tokens)  # per head, the weighted mean token
    values = torch.einsum("nhc,hdc->nhd", mixed, w_v.view(heads, dim, hidden)) + b_v.view(heads, dim)
    pooled = attention.out_proj(values.reshape(-1, hidden))
    return head.mlp(head.layernorm(pooled), residual=pooled)


def event_logits(model, features: torch.Tensor, train_pooling: bool) -> torch.Tensor:
    """Event logits `(batch, classes)` of cached features (the pooling head first when they are hidden states; grid
    cells go to the grid_linear head as they are)."""
    if getattr(model.event_head, "needs_tokens", False):
        return model.event_head(features.to(model.event_head.classifier.weight.dtype))[0]
    if train_pooling:
        batch, frames, patches, hidden = features.shape
        head = model.vision_model.head
        pooled = attention_pool(head, features.to(head.probe.dtype).reshape(batch * frames, patches, hidden))
        features = pooled.view(batch, frames, hidden)
    return model.event_head(features.to(model.event_head.classifier.weight.dtype))[0]


@torch.no_grad()
def evaluate_events(model, data: dict[str, torch.Tensor], train_pooling: bool, batch_size: int = 16) -> dict:
    """Top-1 accuracy, per-class accuracy and confusion counts (`{true label: {predicted label: count}}`)."""
    was_training = model.training
    model.eval()
    predictions = torch.cat([event_logits(model, data["features"][i:i + batch_size], train_pooling).argmax(-1)
                             for i in range(0, len(data["labels"]), batch_size)])
    model.train(was_training)
    names = model.config.event_config.id2label
    truth = data["labels"]
    confusion: dict[str, Counter] = {}
    for true, predicted in zip(truth.tolist(), predictions.tolist()):
        confusion.setdefault(names[true], Counter())[names[predicted]] += 1
    per_class = {label: counts[label] / sum(counts.values()) for label, counts in sorted(confusion.items())}
    majority = Counter(truth.tolist()).most_common(1)[0][1] / len(truth)
    return {"accuracy": float((predictions == truth).float().mean()), "clips": len(truth),
            "majority_class_rate": majority, "per_class_accuracy": per_class,
            "confusion": {label: dict(counts) for label, counts in sorted(confusion.items())}}


def train_events(args: EventTrainingArguments) -> Path:
    """Run (or resume) event-head training; returns the folder of the final model (`<output_dir>/final`)."""
    from tqdm.auto import tqdm
    from transformers import get_cosine_schedule_with_warmup

    from ..modeling import SoccerMasterForPreTraining
    from ..processing import SoccerMasterImageProcessor

    output_dir = Path(args.output_dir)
    for source in [*args.train_data, *(args.eval_data or [])]:  # before any model is loaded
        path = Path(source)
        if not (path / "events" / "classification.json" if path.is_dir() else path).is_file():
            raise FileNotFoundError(f"{source}: no classification JSON (a file, or a folder with "
                                    "events/classification.json).")
    if not args.progress:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    prepare_output_dir(output_dir, "train-events", overwrite=args.overwrite,
                       sources=[*args.train_data, *(args.eval_data or []), args.init_from])
    checkpoints = _checkpoints(output_dir)
    base = load_event_model(args.init_from)
    model = SoccerMasterForPreTraining.from_pretrained(checkpoints[-1]).eval() if checkpoints else base
    if not checkpoints and args.event_head and args.event_head != model.config.event_config.head_type:
        from ..modeling.configuration_soccermaster import SoccerMasterEventConfig
        from ..modeling.modeling_soccermaster_video import build_event_head

        # another kind of head: a fresh one (the grid head's classifier starts at zero, i.e. uniform predictions)
        model.config.event_config = SoccerMasterEventConfig(**{**model.config.event_config.to_dict(),
                                                               "head_type": args.event_head})
        model.event_head = build_event_head(model.config.event_config, model.config.vision_config.hidden_size)
        if args.event_head == "grid_linear":
            torch.nn.init.zeros_(model.event_head.classifier.weight)
            torch.nn.init.zeros_(model.event_head.classifier.bias)
        else:
            model.event_head.apply(model._init_weights)
    grid = model.config.event_config.head_type == "grid_linear"
    if grid and args.train_pooling:
        raise ValueError("train_pooling: the grid_linear event head reads the tokens, not the pooling head's output.")
    if (not checkpoints and not grid and args.frame_position_embeddings
            and not model.config.event_config.frame_position_embeddings):
        model.config.event_config.frame_position_embeddings = args.frame_position_embeddings
        hidden = model.config.vision_config.hidden_size
        model.event_head.frame_embeddings = torch.nn.Parameter(torch.zeros(args.frame_position_embeddings, hidden))
    size = SoccerMasterImageProcessor.from_model_config(base.config).size.height
    cache_dir = output_dir / FEATURES_DIR
    cache_dir.mkdir(exist_ok=True)
    model_name = args.init_from or "default checkpoint"

    def load(sources: list[str], role: str) -> dict[str, torch.Tensor]:
        parts = [cached_features(source, base, model_name, cache_dir, args.num_frames, size, args.train_pooling,
                                 args.progress, role, model.config.event_config.grid_size if grid else 0)
                 for source in sources]
        return {"features": torch.cat([p["features"] for p in parts]), "labels": torch.cat([p["labels"] for p in parts])}

    train = load(args.train_data, "training")
    held_out = load(args.eval_data, "held-out") if args.eval_data else None
    counts = torch.bincount(train["labels"], minlength=len(model.config.event_config.id2label)).float()
    names = model.config.event_config.id2label
    print(f"{len(train['labels'])} training clips: " +
          ", ".join(f"{names[i]} {int(c)}" for i, c in enumerate(counts) if c > 0))
    weights = 1.0 / counts[train["labels"]] if args.class_balanced else torch.ones(len(train["labels"]))

    for parameter in model.parameters():
        parameter.requires_grad_(False)
    modules = [model.event_head] + ([model.vision_model.head] if args.train_pooling else [])
    trainable = [p for module in modules for p in module.parameters()]
    for parameter in trainable:
        parameter.requires_grad_(True)
    optimizer = torch.optim.AdamW(trainable, lr=args.learning_rate, weight_decay=args.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, args.warmup_steps, args.max_steps)
    step = 0
    if checkpoints:
        step = int(resume_training_state(checkpoints[-1], optimizer, scheduler)["step"])
        print(f"resumed from {checkpoints[-1].name} (step {step})")
    atomic_write_json(output_dir / "training_args.json", asdict(args))
    log_path = output_dir / "metrics.csv"
    rows = read_metric_rows(log_path, step)
    fields = ["step", "loss", "train_accuracy", "eval_accuracy", "lr"]

    for module in modules:
        module.train()
    progress = tqdm(total=args.max_steps, initial=step, desc="train-events", disable=not args.progress)
    while step < args.max_steps:
        generator = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        batch = torch.multinomial(weights, args.batch_size, replacement=True, generator=generator)
        logits = event_logits(model, train["features"][batch], args.train_pooling)
        targets = train["labels"][batch]
        loss = torch.nn.functional.cross_entropy(logits.float(), targets, label_smoothing=args.label_smoothing)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, args.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        progress.update(1)
        checkpoint = step % args.checkpoint_every == 0 or step == args.max_steps
        if step % args.log_every == 0 or checkpoint:
            row = {"step": step, "loss": float(loss.detach()),
                   "train_accuracy": float((logits.argmax(-1) == targets).float().mean()),
                   "lr": scheduler.get_last_lr()[0]}
            if checkpoint and held_out is not None:
                row["eval_accuracy"] = evaluate_events(model, held_out, args.train_pooling)["accuracy"]
                progress.set_postfix(loss=f"{row['loss']:.3f}", eval=f"{row['eval_accuracy']:.3f}")
            else:
                progress.set_postfix(loss=f"{row['loss']:.3f}")
            rows.append(row)
            write_metric_rows(log_path, rows, fields)
        if checkpoint:
            _save_checkpoint(output_dir, step, model, optimizer, scheduler, {"data": [{"seed": args.seed}]},
                             args.keep_checkpoints)
    progress.close()
    model.eval()
    final = output_dir / "final"
    save_pretrained_atomic(model, final, command="train-events", overwrite=True)
    if held_out is not None:
        results = {"held_out": [str(p) for p in args.eval_data],
                   **evaluate_events(model, held_out, args.train_pooling)}
        atomic_write_json(final / RESULTS_FILE, results)
        print(f"held-out event accuracy: {results['accuracy']:.3f} on {results['clips']} clips "
              f"(majority class: {results['majority_class_rate']:.3f})")
    return final


__all__ = ["CHUNK_CLIPS", "attention_pool", "EventTrainingArguments", "cached_features", "encode_clip", "evaluate_events",
           "event_logits", "load_event_model", "train_events"]
