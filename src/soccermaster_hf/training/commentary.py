"""Commentary training of `SoccerMasterForConditionalGeneration` with Accelerate, resumable after a kill.

MatchTime's recipe with the SoccerMaster authors' options (SPEC 1.3; docs/commentary.md): the language model (any
`AutoModelForCausalLM` folder or Hub id, with its tokenizer) is frozen or trained with LoRA (r 16, alpha 32 on
q_proj / v_proj, dropout 0.05, bias none: the authors' run); the visual encoder is frozen (its F_sem is then computed
once per clip and cached) or open; the video Q-Former, the frame positions and the projection always train; AdamW
(lr 1e-4, weight decay 1e-4), linear warm-up then cosine decay; bf16 autocast optional.

Data: UniSoccer / MatchTime-style classification JSON of clips (`{"video", "caption", "comments_text_anonymized"}`;
a SoccerSynth folder's `events/classification.json`, `soccermaster synth --semantic-clips N`), decoded at 1 fps; the
semantic records of a built dataset (`soccermaster dataset build --format unisoccer|matchtime|synth`, a folder or a
Hub id; `--media-root` where its videos live); or MatchTime's own layout (`Labels-caption.json` per game + per-half feature files `<league>/<game>/<half>_*.npy`,
`--features-root`), whose ±15 s windows of precomputed features replace the backbone.

The loop is `training/pretrain.py`'s (its sampler, checkpoint discovery and training-state files are imported, not
copied): `checkpoint-<step>/` folders written through a staging folder, so `kill -9` at any moment leaves a complete
checkpoint, and the same command resumes from the newest one. What is saved is the *commentary adapter* only: the
head (+ the backbone when it was trained, + the embedding rows of the added placeholder tokens), the LoRA adapter,
the tokenizer and a model card naming the base LLM; :func:`load_commentary_model` puts it back onto the base LLM.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..utils.io import atomic_write_json, prepare_output_dir, remove_output, staged_folder
from ..utils.tensor_state import save_state
from .pretrain import (
    PRESETS,
    TRAINING_STATE,
    _arg,
    _checkpoints,
    publish,
    read_metric_rows,
    resume_training_state,
    validate_fields,
    write_metric_rows,
)
from .samples import DataPosition, _draw_for_process

HEAD_FILE = "commentary_head.safetensors"
ADAPTER_DIR = "adapter"
META_FILE = "commentary.json"


@dataclass
class CommentaryTrainingArguments:
    """Settings of :func:`train_commentary` (the `soccermaster train-commentary` flags are generated from these)."""

    train_data: list[str] = _arg(help="Classification JSON / SoccerSynth folders of captioned 1-fps clips, built "
                                      "datasets (`soccermaster dataset build`), or folders holding MatchTime "
                                      "`Labels-caption.json` files (with --features-root).",
                                 positional=True)
    output_dir: str = _arg(help="Run folder: checkpoints, metrics.csv, final adapter.", flags=["--output", "-o"])
    text_model: str = _arg(help="Base causal language model (folder or Hub id) with its tokenizer.")
    vision_model: str | None = _arg(None, "SoccerMaster folder / Hub id whose backbone gives F_sem (default: a "
                                          "random --preset backbone).")
    preset: str = _arg("tiny", "Backbone configuration without --vision-model.", choices=sorted(PRESETS))
    eval_data: list[str] = _arg(factory=list, help="Held-out clips (same formats): generated and scored after "
                                                   "training, with a constant-caption baseline.")
    media_root: str | None = _arg(None, "Where the videos of a built dataset (`soccermaster dataset build`) live when it "
                                        "holds annotations only (NDA sources); default: the dataset folder.")
    features_root: str | None = _arg(None, "MatchTime layout: folder of per-half feature files "
                                           "`<league>/<game>/<half>_*.npy` (replaces the backbone).")
    feature_fps: float = _arg(2.0, "Frames per second of the --features-root files (MatchTime: 2).", minimum=0.0,
                              exclusive_minimum=True)
    window: float = _arg(15.0, "MatchTime layout: seconds either side of a caption's timestamp.", minimum=0.0,
                         exclusive_minimum=True)
    semantic_frames: int = _arg(8, "Frames per video clip, 1 fps (authors: 30).", minimum=1, maximum=128)
    lora: bool = _arg(False, "Train the language model with LoRA (else it is frozen).")
    lora_r: int = _arg(16, "LoRA rank.", minimum=1)
    lora_alpha: int = _arg(32, "LoRA alpha.", minimum=1)
    lora_dropout: float = _arg(0.05, "LoRA dropout.", minimum=0.0, maximum=1.0)
    lora_target_modules: list[str] = _arg(factory=lambda: ["q_proj", "v_proj"], help="LoRA target modules.")
    train_vision: bool = _arg(False, "Fine-tune the backbone too (else it is frozen and F_sem is cached).")
    num_query_tokens: int = _arg(32, "Q-Former queries (visual prefix length).", minimum=1)
    qformer_layers: int = _arg(2, "Q-Former layers (cross-attention in each).", minimum=1)
    qformer_hidden_size: int = _arg(768, "Q-Former width (MatchVoice: bert-base, 768).", minimum=8)
    max_caption_tokens: int = _arg(128, "Longest caption in tokens, <bos> / <eos> included.", minimum=3)
    max_steps: int = _arg(200, "Optimiser steps.", minimum=1)
    batch_size: int = _arg(8, "Clips per step.", minimum=1)
    learning_rate: float = _arg(1e-4, "AdamW learning rate.", minimum=0.0)
    weight_decay: float = _arg(1e-4, "AdamW weight decay.", minimum=0.0)
    warmup_steps: int = _arg(0, "Linear warm-up steps.", minimum=0)
    mixed_precision: str = _arg("no", "Autocast precision.", choices=["no", "bf16"])
    checkpoint_every: int = _arg(50, "Steps between checkpoints.", minimum=1)
    keep_checkpoints: int = _arg(2, "Checkpoints kept.", minimum=1)
    seed: int = _arg(42, "Seed of the head, the sample order and the LoRA init.", minimum=0)
    log_every: int = _arg(10, "Steps between rows of metrics.csv.", minimum=1)
    num_beams: int = _arg(5, "Beams when generating for --eval-data (MatchTime: 5).", minimum=1)
    max_new_tokens: int = _arg(128, "Longest generated commentary.", minimum=1)
    restrict_vocabulary: bool = _arg(False, "Decode within the training captions' tokens (MatchTime's word list).")
    progress: bool = _arg(True, "Progress bar (--no-progress hides it).")
    push_to_hub: str | None = _arg(None, "Publish the final adapter to this Hub repo.", metavar="REPO_ID")
    hub_local_dir: str | None = _arg(None, "With --push-to-hub: publish into this local folder instead (offline).")
    overwrite: bool = _arg(False, "Write into a non-empty output folder that is not a previous run.")

    def __post_init__(self):
        if isinstance(self.train_data, (str, Path)):
            self.train_data = [str(self.train_data)]
        if not self.train_data:
            raise ValueError("train_data: give at least one source of captioned clips.")
        validate_fields(self)
        if self.mixed_precision not in ("no", "bf16"):
            raise ValueError(f"mixed_precision must be 'no' or 'bf16', got {self.mixed_precision!r}.")


# ---------------------------------------------------------------------------------------------------------------------
# data


def _matchtime_annotations(root: Path) -> list[dict]:
    """`(half, timestamp, anonymized, league, game)` of every `Labels-caption*.json` under `root` (MatchTime's
    parser: `gameTime` "H - MM:SS", halves 1 and 2; league = grand-parent folder name, game = parent)."""
    records = []
    for path in sorted(root.rglob("Labels-caption*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for annotation in data.get("annotations", []):
            try:
                half_text, clock = str(annotation.get("gameTime", "")).split(" - ")
                half = int(half_text)
                minutes, seconds = (int(x) for x in clock.split(":"))
            except ValueError:
                continue
            if half in (1, 2) and isinstance(annotation.get("anonymized"), str):
                records.append({"half": half, "timestamp": minutes * 60 + seconds, "caption": annotation["anonymized"],
                                "league": path.parent.parent.name, "game": path.parent.name})
    return records


def _matchtime_window(features, timestamp: int, window: float, fps: float):
    """MatchTime's `load_adjusted_features`: the `2 * window * fps` frames around `timestamp`, or `None`."""
    total = int(window * 2 * fps)
    if timestamp * fps > len(features):
        return None
    start = int(max(0, timestamp - window) * fps + 1)
    if int((timestamp + window) * fps + 1) > len(features):
        start = int(max(0, len(features) - total))
    return features[start:start + total]


def load_caption_clips(sources: list[str], args: CommentaryTrainingArguments) -> list[dict]:
    """`[{"caption", "pixel_values" or "features", "metadata"}]` from the sources (see the module docstring)."""
    import numpy as np

    clips: list[dict] = []
    for source in sources:
        path = Path(source)
        if args.features_root is not None:
            if not path.exists():
                raise FileNotFoundError(f"{path}: no such folder of Labels-caption.json files.")
            for record in _matchtime_annotations(path if path.is_dir() else path.parent):
                folder = Path(args.features_root) / record["league"] / record["game"]
                files = sorted(folder.glob(f"{record['half']}*.npy")) if folder.is_dir() else []
                if not files:
                    continue
                window = _matchtime_window(np.load(files[0], mmap_mode="r"), record["timestamp"], args.window,
                                           args.feature_fps)
                if window is None or len(window) == 0:
                    continue
                features = torch.from_numpy(np.array(window, dtype=np.float32)).reshape(len(window), -1)
                clips.append({"caption": record["caption"], "features": features,
                              "metadata": {k: record[k] for k in ("league", "game", "half", "timestamp")}})
            continue
        from ..data.semantic import SemanticClips
        from .samples import is_built_dataset

        if is_built_dataset(source):  # `soccermaster dataset build` output (local folder or Hub id): semantic records
            from ..datasets.collate import open_clips

            dataset = open_clips(source, "semantic", media_root=args.media_root, num_frames=args.semantic_frames)

            def describe(record: dict) -> tuple[str, dict]:
                return record["caption_anonymized"] or "", {"video": record["video"], "record_id": record["record_id"]}
        else:
            dataset = SemanticClips(path, num_frames=args.semantic_frames)

            def describe(record: dict, root: Path = dataset.root) -> tuple[str, dict]:
                video = Path(record["video"])  # as listed: relative to the set's root, or absolute anywhere
                video = video.relative_to(root) if video.is_relative_to(root) else video
                return record["text"], {"video": str(video)}
        for index, record in enumerate(dataset.records):
            text, metadata = describe(record)
            if not text:
                continue
            sample = dataset[index]
            if sample["label"] < 0:
                continue
            clips.append({"caption": text, "frames": sample["frames"], "metadata": metadata})
    if not clips:
        raise ValueError(f"{', '.join(sources)}: no captioned clip could be read.")
    return clips


def _pixel_values(clips: list[dict], image_size: int) -> torch.Tensor:
    from ..data.semantic import to_semantic_inputs

    return to_semantic_inputs([{"frames": c["frames"], "label": 0} for c in clips], image_size)["semantic_pixel_values"]


@torch.no_grad()
def cache_semantic_features(model, clips: list[dict], batch_size: int = 8) -> None:
    """F_sem of every video clip computed once with the (frozen) backbone, stored as `clip["features"]`."""
    pending = [c for c in clips if "features" not in c]
    image_size = model.config.vision_config.image_size
    device = next(model.vision_model.parameters()).device
    for start in range(0, len(pending), batch_size):
        chunk = pending[start:start + batch_size]
        outputs = model.vision_model(_pixel_values(chunk, image_size).to(device))
        for clip, features in zip(chunk, outputs.pooler_output.float().cpu()):
            clip["features"] = features
            clip.pop("frames", None)


def _pad_features(features: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(f.shape[0] for f in features)
    batch = torch.zeros(len(features), longest, features[0].shape[-1])
    mask = torch.zeros(len(features), longest, dtype=torch.long)
    for row, f in enumerate(features):
        batch[row, : f.shape[0]], mask[row, : f.shape[0]] = f, 1
    return batch, mask


def _visual_inputs(model, clips: list[dict], device) -> dict:
    if all("features" in c for c in clips):
        features, mask = _pad_features([c["features"] for c in clips])
        return {"pooler_output": features.to(device), "frame_mask": mask.to(device)}
    return {"pixel_values": _pixel_values(clips, model.config.vision_config.image_size).to(device)}


# ---------------------------------------------------------------------------------------------------------------------
# building, saving and loading the commentary adapter


def _head_state(model, base_vocab_size: int, include_vision: bool) -> dict[str, torch.Tensor]:
    state = {}
    for name, tensor in model.state_dict().items():
        if name.startswith("language_model."):
            continue
        if name.startswith("vision_model.") and not include_vision:
            continue
        state[name] = tensor.detach().contiguous().cpu()
    # the rows of the placeholder / video tokens added to the base vocabulary (trained with the head or not, they
    # are not in the base LLM)
    input_rows = model.get_input_embeddings().weight[base_vocab_size:]
    state["added_tokens.input_embeddings"] = input_rows.detach().contiguous().cpu()
    output = model.get_output_embeddings()
    if output is not None and output.weight.data_ptr() != model.get_input_embeddings().weight.data_ptr():
        state["added_tokens.output_embeddings"] = output.weight[base_vocab_size:].detach().contiguous().cpu()
    return state


def save_commentary_adapter(model, processor, folder: str | os.PathLike, meta: dict, card_details: str = "",
                            metrics: dict | None = None) -> Path:
    """Write the commentary adapter into `folder` (not the base LLM; see the module docstring)."""
    from huggingface_hub import ModelCardData
    from safetensors.torch import save_file

    from ..hub import build_model_card, hub_id_or_none

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(_head_state(model, meta["base_vocab_size"], meta["vision_saved"]), str(folder / HEAD_FILE),
              metadata={"format": "pt"})
    model.config.save_pretrained(folder)
    processor.save_pretrained(folder)
    if meta.get("lora"):
        # the added tokens' rows are in the head file: not the whole (resized) embedding matrices
        model.language_model.save_pretrained(folder / ADAPTER_DIR, save_embedding_layers=False)
    (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    base = meta["base_model"]
    details = (f"Commentary adapter for the base language model `{base}` (not included: "
               f"`load_commentary_model(folder)` of `soccermaster_hf.training.commentary` loads it and puts the "
               f"adapter on it). Trained with `soccermaster train-commentary`: the video Q-Former "
               f"({model.config.qformer_config.num_hidden_layers} layers, {model.config.num_query_tokens} queries) and "
               f"projection{', a LoRA adapter on the LLM' if meta.get('lora') else ' (LLM frozen)'}"
               f"{', the fine-tuned backbone' if meta['vision_saved'] else ''}. {card_details}")
    card = build_model_card(model, card_data=ModelCardData(base_model=hub_id_or_none(base), pipeline_tag="video-text-to-text"),
                            title=f"SoccerMaster commentary adapter for {base}", details=details,
                            details_title="Training", extra_metrics=metrics, metrics_title="Results",
                            auto_map={"AutoModel": "modeling_soccermaster_commentary."
                                                    "SoccerMasterForConditionalGeneration"})
    (folder / "README.md").write_text(str(card), encoding="utf-8")
    return folder


def _load_vision(source: str | None, preset: str, num_frames: int):
    from ..modeling import SoccerMasterConfig, SoccerMasterVisionModel
    from ..utils.errors import load_pretrained

    if source:
        return load_pretrained(SoccerMasterVisionModel, source)
    return SoccerMasterVisionModel(SoccerMasterConfig.from_preset(preset, num_frames=num_frames).vision_config)


def build_commentary_model(args: CommentaryTrainingArguments):
    """`(model, processor, meta)`: the base LLM and backbone from their folders, a fresh head, the placeholder tokens."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..modeling import SoccerMasterConfig, SoccerMasterForConditionalGeneration
    from ..processing.processing_soccermaster_commentary import SoccerMasterCommentaryProcessor
    from ..utils.errors import load_pretrained

    # a folder that is not a language model (or a bad Hub id) is one line naming --text-model's folder
    tokenizer = load_pretrained(AutoTokenizer, args.text_model)
    language_model = load_pretrained(AutoModelForCausalLM, args.text_model)
    vision = _load_vision(args.vision_model, args.preset, args.semantic_frames)
    heads = max(1, args.qformer_hidden_size // 64)
    config = SoccerMasterConfig(
        vision_config=vision.config.to_dict(), text_config=language_model.config.to_dict(),
        qformer_config={"hidden_size": args.qformer_hidden_size, "num_hidden_layers": args.qformer_layers,
                        "num_attention_heads": heads, "intermediate_size": 4 * args.qformer_hidden_size},
        num_query_tokens=args.num_query_tokens)
    torch.manual_seed(args.seed)
    model = SoccerMasterForConditionalGeneration.from_parts(config, vision, language_model)
    base_vocab_size = model.get_input_embeddings().weight.shape[0]
    processor = SoccerMasterCommentaryProcessor(tokenizer=tokenizer, num_query_tokens=args.num_query_tokens,
                                                max_length=args.max_caption_tokens)
    processor.add_tokens_to(model)
    meta = {"base_model": args.text_model, "base_vocab_size": base_vocab_size, "vision_model": args.vision_model,
            "vision_preset": None if args.vision_model else args.preset, "vision_saved": args.train_vision,
            "lora": args.lora}
    return model, processor, meta


def _apply_lora(model, args: CommentaryTrainingArguments) -> None:
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout, bias="none",
                      target_modules=list(args.lora_target_modules), task_type="CAUSAL_LM")
    model.language_model = get_peft_model(model.language_model, lora)


def load_commentary_model(folder: str | os.PathLike, base_model: str | None = None, vision_model: str | None = None,
                          is_trainable: bool = False):
    """`(model, processor)` from a commentary adapter folder put onto its base LLM (`base_model` overrides the one
    recorded in the folder, e.g. a local copy; `vision_model` the backbone's folder when it was not saved)."""
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from ..modeling import SoccerMasterConfig, SoccerMasterForConditionalGeneration, SoccerMasterVisionModel
    from ..processing.processing_soccermaster_commentary import SoccerMasterCommentaryProcessor

    folder = Path(folder)
    if not (folder / META_FILE).is_file():
        raise FileNotFoundError(f"{folder}: no {META_FILE} (not a commentary adapter folder).")
    meta = json.loads((folder / META_FILE).read_text())
    config = SoccerMasterConfig.from_pretrained(folder)
    processor = SoccerMasterCommentaryProcessor.from_pretrained(folder)
    language_model = AutoModelForCausalLM.from_pretrained(base_model or meta["base_model"])
    state = load_file(str(folder / HEAD_FILE))
    language_model.resize_token_embeddings(len(processor.tokenizer), mean_resizing=False)
    base = int(meta["base_vocab_size"])
    with torch.no_grad():
        language_model.get_input_embeddings().weight[base:] = state.pop("added_tokens.input_embeddings")
        if "added_tokens.output_embeddings" in state:
            language_model.get_output_embeddings().weight[base:] = state.pop("added_tokens.output_embeddings")
    language_model.config.vocab_size = len(processor.tokenizer)
    for name in ("bos", "eos", "pad"):
        setattr(language_model.generation_config, f"{name}_token_id", getattr(config.text_config, f"{name}_token_id"))
    if meta.get("lora"):
        from peft import PeftModel

        language_model = PeftModel.from_pretrained(language_model, folder / ADAPTER_DIR, is_trainable=is_trainable)
    if meta["vision_saved"] or not (vision_model or meta.get("vision_model")):
        vision = SoccerMasterVisionModel(config.vision_config)  # weights from the head file, or unused (features)
    else:
        vision = _load_vision(vision_model or meta["vision_model"], "tiny", config.vision_config.num_frames)
    model = SoccerMasterForConditionalGeneration.from_parts(config, vision, language_model)
    model.config.video_token_id = config.video_token_id
    missing, unexpected = model.load_state_dict(state, strict=False)
    head_missing = [k for k in missing if not k.startswith(("language_model.", "vision_model."))]
    if head_missing or unexpected:
        raise ValueError(f"{folder / HEAD_FILE}: does not match the model (missing {head_missing[:5]}, "
                         f"unexpected {unexpected[:5]}).")
    return model.eval(), processor


# ---------------------------------------------------------------------------------------------------------------------
# training


def _prepare_trainable(model, args: CommentaryTrainingArguments) -> None:
    model.language_model.requires_grad_(False)
    if args.lora:
        for name, parameter in model.language_model.named_parameters():
            parameter.requires_grad_("lora_" in name)
    model.vision_model.requires_grad_(args.train_vision)


def _save_checkpoint(output_dir: Path, step: int, model, processor, meta: dict, optimizer, scheduler,
                     position: DataPosition, keep: int) -> Path:
    final = output_dir / f"checkpoint-{step:07d}"
    with staged_folder(final, "train-commentary") as staging:
        save_commentary_adapter(model, processor, staging, meta)
        save_state({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "torch_rng": torch.get_rng_state()}, staging, TRAINING_STATE)
        atomic_write_json(staging / "trainer_state.json", {"step": step, "data": position.state_dict()}, indent=None)
    for old in _checkpoints(output_dir)[:-keep]:
        remove_output(old)
    return final


def constant_caption(captions: list[str]) -> str:
    """The most frequent training caption (the constant-caption baseline; ties: the first seen)."""
    return Counter(captions).most_common(1)[0][0]


@torch.no_grad()
def generate_commentary(model, processor, clips: list[dict], batch_size: int = 8, allowed_token_ids=None,
                        **generate_kwargs) -> list[str]:
    """Commentary for every clip (greedy / beam search by default: deterministic)."""
    model.eval()
    device = next(model.parameters()).device
    texts = []
    for start in range(0, len(clips), batch_size):
        chunk = clips[start:start + batch_size]
        ids = model.generate(**_visual_inputs(model, chunk, device), allowed_token_ids=allowed_token_ids,
                             **generate_kwargs)
        texts.extend(processor.post_process_commentary(ids))
    return texts


def evaluate_commentary(model, processor, clips: list[dict], train_captions: list[str],
                        args: CommentaryTrainingArguments, output_dir: Path) -> dict:
    """Generate for held-out `clips`, score as MatchTime does, and score the constant-caption baseline."""
    from ..evaluation.commentary import CommentaryRecord, score_commentary, write_predictions

    if model.config.vision_config is not None and not args.train_vision:
        cache_semantic_features(model, clips)
    allowed = processor.allowed_token_ids(train_captions) if args.restrict_vocabulary else None
    predictions = generate_commentary(model, processor, clips, allowed_token_ids=allowed, num_beams=args.num_beams,
                                      max_new_tokens=args.max_new_tokens, do_sample=False)
    references = [c["caption"] for c in clips]
    write_predictions(output_dir / "predictions.json",
                      [CommentaryRecord(r, p, c["metadata"]) for r, p, c in zip(references, predictions, clips)])
    baseline = constant_caption(train_captions)
    scores = {"model": score_commentary(references, predictions).to_dict(),
              "baseline_constant_caption": {"caption": baseline,
                                            **score_commentary(references, [baseline] * len(clips)).to_dict()},
              "num_clips": len(clips)}
    atomic_write_json(output_dir / "scores.json", scores)
    return scores


def train_commentary(args: CommentaryTrainingArguments) -> Path:
    """Run (or resume) commentary training; returns the folder of the final adapter (`<output_dir>/final`)."""
    from accelerate import Accelerator
    from tqdm.auto import tqdm
    from transformers import get_cosine_schedule_with_warmup

    output_dir = Path(args.output_dir)
    fresh = not output_dir.exists()
    prepare_output_dir(output_dir, "train-commentary", overwrite=args.overwrite,
                       sources=[*args.train_data, *args.eval_data, args.text_model, args.vision_model,
                                args.features_root])
    accelerator = Accelerator(mixed_precision=args.mixed_precision)
    torch.manual_seed(args.seed)
    checkpoints = _checkpoints(output_dir)
    try:
        if checkpoints:
            model, processor = load_commentary_model(checkpoints[-1], base_model=args.text_model,
                                                     vision_model=args.vision_model, is_trainable=True)
            meta = json.loads((checkpoints[-1] / META_FILE).read_text())
        else:
            model, processor, meta = build_commentary_model(args)
            if args.lora:
                _apply_lora(model, args)
    except BaseException:
        if fresh:  # a model that does not load leaves no output folder behind (only the marker was written)
            remove_output(output_dir)
        raise
    _prepare_trainable(model, args)
    model.to(accelerator.device)
    clips = load_caption_clips(args.train_data, args)
    eval_clips = load_caption_clips(args.eval_data, args) if args.eval_data else []
    if not args.train_vision:
        cache_semantic_features(model, clips)
    train_captions = [c["caption"] for c in clips]
    accelerator.print(f"{len(clips)} training clips, {len(eval_clips)} held-out clips; trainable parameters: "
                      f"{sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6:.2f}M")
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.learning_rate, weight_decay=args.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, args.warmup_steps, args.max_steps)
    position = DataPosition(len(clips), args.seed)
    step = 0
    if checkpoints:
        trainer_state = resume_training_state(checkpoints[-1], optimizer, scheduler)
        step = int(trainer_state["step"])
        position.load_state_dict(trainer_state["data"])
        accelerator.print(f"resumed from {checkpoints[-1].name} (step {step})")
    model, optimizer = accelerator.prepare(model, optimizer)
    unwrapped = accelerator.unwrap_model(model)
    atomic_write_json(output_dir / "training_args.json", asdict(args))
    log_path = output_dir / "metrics.csv"
    rows = read_metric_rows(log_path, step)
    progress = tqdm(total=args.max_steps, initial=step, desc="train-commentary",
                    disable=not args.progress or not accelerator.is_main_process)
    model.train()
    unwrapped.vision_model.train(args.train_vision)
    while step < args.max_steps:
        batch = [clips[_draw_for_process(position, accelerator.process_index, accelerator.num_processes)[0]] for _ in range(args.batch_size)]
        inputs = {**_visual_inputs(unwrapped, batch, accelerator.device),
                  **{k: v.to(accelerator.device) for k, v in processor(text=[c["caption"] for c in batch]).items()}}
        with accelerator.autocast():
            loss = model(**inputs).loss
        accelerator.backward(loss)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        progress.update(1)
        if step % args.log_every == 0 or step == args.max_steps:
            rows.append({"step": step, "loss": float(loss.detach()), "lr": scheduler.get_last_lr()[0],
                         "epoch": position.epoch})
            progress.set_postfix(loss=f"{float(loss.detach()):.3f}")
            if accelerator.is_main_process:
                write_metric_rows(log_path, rows, ["step", "loss", "lr", "epoch"])
        if accelerator.is_main_process and (step % args.checkpoint_every == 0 or step == args.max_steps):
            _save_checkpoint(output_dir, step, unwrapped, processor, meta, optimizer, scheduler, position,
                             args.keep_checkpoints)
    progress.close()
    final = output_dir / "final"
    if accelerator.is_main_process:
        metrics, details = {}, ""
        if eval_clips:
            scores = evaluate_commentary(unwrapped, processor, eval_clips, train_captions, args, output_dir)
            ours, baseline = scores["model"]["matchtime"], scores["baseline_constant_caption"]["matchtime"]
            metrics = {**{f"{k} (held-out)": v for k, v in ours.items()},
                       **{f"{k} (constant-caption baseline)": v for k, v in baseline.items()}}
            details = f"Held-out evaluation on {len(eval_clips)} clips (MatchTime's metrics, x100)."
        last = rows[-1] if rows else {}
        details += f" {step} steps, last training loss {float(last.get('loss', 'nan')):.4f}. Arguments: " \
                   f"`{json.dumps(asdict(args))}`"
        with staged_folder(final, "train-commentary") as staging:
            save_commentary_adapter(unwrapped, processor, staging, meta, card_details=details, metrics=metrics)
        if args.push_to_hub:
            publish(final, args.push_to_hub, args.hub_local_dir)
    return final


__all__ = ["CommentaryTrainingArguments", "build_commentary_model", "constant_caption", "evaluate_commentary",
           "generate_commentary", "load_caption_clips", "load_commentary_model", "save_commentary_adapter",
           "train_commentary"]
