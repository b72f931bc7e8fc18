"""Multi-task pre-training of `SoccerMasterForPreTraining` with Accelerate, resumable after a kill.

The authors' recipe (SPEC §1.4): each step draws a spatial batch (clips of consecutive frames: detection, keypoints,
lines) and, when semantic data is given, a semantic batch (1-fps clips: events, alignment); each batch's loss is
backpropagated as soon as it is computed and one optimiser step follows; gradients are clipped per module (max-norm
0.1 for the backbone and each head separately); AdamW with the authors' parameter groups; linear warm-up over the first
epoch then cosine decay to 1e-8.

Reproducibility: the sample order of every epoch is a permutation seeded by `(seed, epoch)`, the augmentation of every
sample a generator seeded by `(seed, epoch, position)`, so the data a step sees does not depend on whether the run was
interrupted; with `MKL_CBWR=AUTO,STRICT` (set by `soccermaster train`; export it yourself when calling :func:`train`
from Python) MKL's results do not depend on memory alignment either. Checkpoints (`checkpoint-<step>/`) hold the weights, optimiser, scheduler, torch RNG state and the data
position; they are written to a temporary folder and renamed into place, so `kill -9` at any moment leaves either the
previous or the new checkpoint complete. Running the same command again resumes from the newest checkpoint and ends
with the same weights as an uninterrupted run (tested on CPU).

Semantic (1-fps) clips come from UniSoccer / MatchTime-style classification JSON (`soccermaster synth
--semantic-clips N` writes one); they train the event head (and the alignment head when the model has a text tower and
captions are tokenised — not wired yet: without a text encoder the alignment term is skipped).
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

PRESETS = {
    # name: (vision, detection, pitch)  -- small configurations that train on a CPU
    "tiny": ({"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
              "image_size": 64, "patch_size": 16, "temporal_start_layer": 2},
             {"hidden_size": 32, "num_queries": 30, "decoder_ffn_dim": 64},
             {"stage_channels": [32, 16, 16]}),
    "small": ({"hidden_size": 192, "intermediate_size": 768, "num_hidden_layers": 6, "num_attention_heads": 3,
               "image_size": 224, "patch_size": 16, "temporal_start_layer": 4},
              {"hidden_size": 128, "num_queries": 60, "decoder_ffn_dim": 512},
              {"stage_channels": [192, 96, 64]}),
    # the shipped default checkpoint (see scripts/train_default_checkpoint.sh): 384 px for the ~7 px wide athletes of
    # a 960x540 broadcast frame, two-stage query selection and cross-entropy heatmaps to converge in CPU minutes
    "default": ({"hidden_size": 192, "intermediate_size": 768, "num_hidden_layers": 6, "num_attention_heads": 3,
                 "image_size": 384, "patch_size": 16, "temporal_start_layer": 4},
                {"hidden_size": 128, "num_queries": 50, "decoder_ffn_dim": 512, "decoder_layers": 2,
                 "decoder_attention_heads": 4, "two_stage": True},
                {"stage_channels": [192, 96, 64], "heatmap_loss": "cross_entropy", "heatmap_foreground_weight": 10.0,
                 "heatmap_sigma": 3.0, "keypoint_loss_coefficient": 4.0, "line_loss_coefficient": 20.0}),
}


@dataclass
class TrainingArguments:
    """Settings of :func:`train` (the `soccermaster train` flags)."""

    train_dirs: list[str]
    output_dir: str
    model: str | None = None            # a SoccerMasterForPreTraining folder / Hub id to start from
    preset: str = "tiny"                # configuration when `model` is None
    max_steps: int = 100
    batch_size: int = 1                 # spatial clips per step
    clip_length: int = 4                # frames per spatial clip
    learning_rate: float = 5e-5         # backbone lr; the heads get the authors' multiples
    weight_decay: float = 1e-4
    warmup_steps: int | None = None     # default: one epoch
    gradient_accumulation_steps: int = 1
    max_grad_norm: float = 0.1
    mixed_precision: str = "no"         # "no" or "bf16"
    checkpoint_every: int = 50
    keep_checkpoints: int = 2
    seed: int = 42
    augment: bool = True
    max_frame_size: int = 480
    semantic_dirs: list[str] = field(default_factory=list)  # folders / JSON of 1-fps event clips
    semantic_batch_size: int = 2
    semantic_frames: int = 8
    log_every: int = 1
    progress: bool = True
    push_to_hub: str | None = None      # repo id to publish the final model to
    hub_local_dir: str | None = None    # publish into this local folder instead of the Hub (mirrors, offline tests)
    extra: dict = field(default_factory=dict)


def _config_for(args: TrainingArguments):
    from ..modeling import SoccerMasterConfig

    if args.preset not in PRESETS:
        raise ValueError(f"Unknown preset {args.preset!r}; choose from {sorted(PRESETS)}.")
    vision, detection, pitch = PRESETS[args.preset]
    return SoccerMasterConfig(vision_config={**vision, "num_frames": args.clip_length}, detection_config=detection,
                              pitch_config=pitch, event_config={"num_layers": 1 if args.preset == "tiny" else 2})


def warmup_cosine(warmup_steps: int, total_steps: int, floor: float = 1e-8, base: float = 1.0):
    """Multiplier of each group's lr: linear warm-up, then cosine decay to `floor` (relative to `base`)."""

    def schedule(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(warmup_steps, 1)
        progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
        return floor / base + (1 - floor / base) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return schedule


class DataPosition:
    """Epoch / cursor of the deterministic sampler (saved in checkpoints)."""

    def __init__(self, size: int, seed: int):
        self.size, self.seed = size, seed
        self.epoch, self.cursor = 0, 0
        self._order = None

    def order(self) -> torch.Tensor:
        if self._order is None or self._order[0] != self.epoch:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            self._order = (self.epoch, torch.randperm(self.size, generator=generator))
        return self._order[1]

    def next(self) -> tuple[int, int, int]:
        """`(dataset index, epoch, cursor)` of the next sample."""
        if self.cursor >= self.size:
            self.epoch, self.cursor = self.epoch + 1, 0
        index = int(self.order()[self.cursor])
        position = (index, self.epoch, self.cursor)
        self.cursor += 1
        return position

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "cursor": self.cursor}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.cursor = int(state["epoch"]), int(state["cursor"])


def _draw_for_process(position: DataPosition, accelerator) -> tuple[int, int, int]:
    """Every process advances the shared sampler by `num_processes` and keeps its own draw (data parallel: a global
    batch of distinct samples); returns `(index, epoch, cursor)` of this process's sample."""
    mine = None
    for rank in range(accelerator.num_processes):
        drawn = position.next()
        if rank == accelerator.process_index:
            mine = drawn
    return mine


def _augment(sample: dict, augmentation, seed: int, epoch: int, cursor: int) -> dict:
    if augmentation is None:
        return sample
    from ..data.soccernet_gsr import BOX_FIELDS

    generator = torch.Generator().manual_seed((seed * 1_000_003 + epoch * 10_007 + cursor) % (2**63))
    targets = {key: sample[key] for key in ("boxes", *BOX_FIELDS, "keypoints", "keypoint_visibility", "lines",
                                            "line_visibility")}
    targets["box_fields"] = list(BOX_FIELDS)
    frames, targets = augmentation(sample["frames"], targets, generator=generator)
    out = dict(sample)
    out["frames"] = frames
    for key in ("boxes", *BOX_FIELDS, "keypoints", "keypoint_visibility", "lines", "line_visibility"):
        out[key] = targets[key]
    return out


def _checkpoints(output_dir: Path) -> list[Path]:
    return sorted((p for p in output_dir.glob("checkpoint-*") if p.is_dir() and not p.name.endswith(".tmp")),
                  key=lambda p: int(p.name.split("-")[1]))


def _save_checkpoint(output_dir: Path, step: int, model, optimizer, scheduler, position: DataPosition,
                     keep: int, semantic_position: DataPosition | None = None) -> Path:
    final = output_dir / f"checkpoint-{step:07d}"
    staging = output_dir / f"checkpoint-{step:07d}.tmp"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    model.save_pretrained(staging)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state()}, staging / "training_state.pt")
    state = {"step": step, "data": position.state_dict()}
    if semantic_position is not None:
        state["semantic_data"] = semantic_position.state_dict()
    (staging / "trainer_state.json").write_text(json.dumps(state))
    os.replace(staging, final)  # atomic on one file system
    for old in _checkpoints(output_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def train(args: TrainingArguments) -> Path:
    """Run (or resume) training; returns the folder of the final model (`<output_dir>/final`)."""
    from accelerate import Accelerator
    from tqdm.auto import tqdm

    from ..data.soccernet_gsr import SoccerNetGSRClips, to_model_inputs
    from ..modeling import SoccerMasterForPreTraining, clip_gradients_per_module, optimizer_parameter_groups

    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    for stale in output_dir.glob("checkpoint-*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)  # a checkpoint being written when the run was killed
    accelerator = Accelerator(mixed_precision=args.mixed_precision,
                              gradient_accumulation_steps=args.gradient_accumulation_steps)
    torch.manual_seed(args.seed)
    dataset = SoccerNetGSRClips(args.train_dirs, clip_length=args.clip_length, max_size=args.max_frame_size)
    semantic = None
    if args.semantic_dirs:
        from ..data.semantic import SemanticClips, to_semantic_inputs

        semantic = torch.utils.data.ConcatDataset(
            [SemanticClips(source, num_frames=args.semantic_frames) for source in args.semantic_dirs])
    augmentation = None
    if args.augment:
        from ..data.augment import ClipAugmentation

        augmentation = ClipAugmentation()
    checkpoints = _checkpoints(output_dir)
    if checkpoints:
        model = SoccerMasterForPreTraining.from_pretrained(checkpoints[-1])
    elif args.model:
        model = SoccerMasterForPreTraining.from_pretrained(args.model)
    else:
        model = SoccerMasterForPreTraining(_config_for(args))
    image_size = model.config.vision_config.image_size
    groups = optimizer_parameter_groups(model, base_lr=args.learning_rate, weight_decay=args.weight_decay)
    optimizer = torch.optim.AdamW(groups)
    steps_per_epoch = math.ceil(len(dataset) / (args.batch_size * accelerator.num_processes))
    warmup = args.warmup_steps if args.warmup_steps is not None else steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(warmup, args.max_steps))
    position = DataPosition(len(dataset), args.seed)
    semantic_position = DataPosition(len(semantic), args.seed + 1) if semantic is not None else None
    step = 0
    if checkpoints:
        state = torch.load(checkpoints[-1] / "training_state.pt", weights_only=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        trainer_state = json.loads((checkpoints[-1] / "trainer_state.json").read_text())
        step = int(trainer_state["step"])
        position.load_state_dict(trainer_state["data"])
        if semantic_position is not None and "semantic_data" in trainer_state:
            semantic_position.load_state_dict(trainer_state["semantic_data"])
        accelerator.print(f"resumed from {checkpoints[-1].name} (step {step})")
    model, optimizer = accelerator.prepare(model, optimizer)
    unwrapped = accelerator.unwrap_model(model)
    (output_dir / "training_args.json").write_text(json.dumps(asdict(args), indent=2))
    log_path = output_dir / "metrics.csv"
    rows = []
    if log_path.is_file():
        with open(log_path) as handle:
            rows = [row for row in csv.DictReader(handle) if int(row["step"]) <= step]  # drop rows past the resume
    fields = ["step", "loss", "loss_detection", "loss_keypoints", "loss_lines", "loss_events", "lr_backbone", "epoch"]
    progress = tqdm(total=args.max_steps, initial=step, desc="training", disable=not args.progress)
    model.train()
    while step < args.max_steps:
        for _ in range(args.gradient_accumulation_steps):
            samples = []
            for _ in range(args.batch_size):
                index, epoch, cursor = _draw_for_process(position, accelerator)
                samples.append(_augment(dataset[index], augmentation, args.seed, epoch, cursor))
            inputs = to_model_inputs(samples, image_size)
            inputs["spatial_pixel_values"] = inputs["spatial_pixel_values"].to(accelerator.device)
            with accelerator.accumulate(model), accelerator.autocast():
                outputs = model(**inputs)
                accelerator.backward(outputs.loss / args.gradient_accumulation_steps)
            if semantic is not None:
                # the authors' order: the semantic batch's loss is backpropagated right after the spatial one
                clips = []
                for _ in range(args.semantic_batch_size):
                    clips.append(semantic[_draw_for_process(semantic_position, accelerator)[0]])
                semantic_inputs = to_semantic_inputs(clips, image_size)
                semantic_inputs["semantic_pixel_values"] = semantic_inputs["semantic_pixel_values"].to(
                    accelerator.device)
                with accelerator.accumulate(model), accelerator.autocast():
                    semantic_outputs = model(**semantic_inputs)
                    if semantic_outputs.loss is not None:
                        accelerator.backward(semantic_outputs.loss / args.gradient_accumulation_steps)
                outputs.loss_dict.update(semantic_outputs.loss_dict)
        clip_gradients_per_module(unwrapped.head_modules(), args.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        progress.update(1)
        if step % args.log_every == 0 or step == args.max_steps:
            terms = {k: float(v.detach()) for k, v in outputs.loss_dict.items() if not k.startswith("detection/")}
            rows.append({"step": step, "loss": float(outputs.loss.detach()), "epoch": position.epoch,
                         "lr_backbone": optimizer.param_groups[0]["lr"],
                         **{k: terms.get(k, "") for k in ("loss_detection", "loss_keypoints", "loss_lines",
                                                          "loss_events")}})
            progress.set_postfix(loss=f"{float(outputs.loss.detach()):.3f}")
            if accelerator.is_main_process:
                with open(log_path.with_suffix(".tmp"), "w", newline="") as handle:
                    writer = csv.DictWriter(handle, fieldnames=fields)
                    writer.writeheader()
                    writer.writerows(rows)
                os.replace(log_path.with_suffix(".tmp"), log_path)
        if accelerator.is_main_process and (step % args.checkpoint_every == 0 or step == args.max_steps):
            _save_checkpoint(output_dir, step, unwrapped, optimizer, scheduler, position, args.keep_checkpoints,
                             semantic_position)
    progress.close()
    final = output_dir / "final"
    if accelerator.is_main_process:
        from ..conversion.official import save_pretrained_atomic

        save_pretrained_atomic(unwrapped.eval(), final)
        write_model_card(final, args, rows, dataset.report.summary())
        if args.push_to_hub:
            publish(final, args.push_to_hub, args.hub_local_dir)
    accelerator.print(f"data: {dataset.report.summary()}")
    return final


def write_model_card(folder: Path, args: TrainingArguments, rows: list[dict], data_summary: str) -> None:
    """A Hub model card (README.md) with the training setup and the last logged losses."""
    last = rows[-1] if rows else {}
    metrics = "\n".join(f"| {key} | {float(last[key]):.4f} |" for key in ("loss", "loss_detection", "loss_keypoints",
                                                                           "loss_lines") if last.get(key) not in (None, ""))
    card = f"""---
library_name: transformers
tags: [soccer, soccermaster, video, object-detection, keypoint-detection]
license: apache-2.0
---
# SoccerMaster ({args.preset if not args.model else args.model}) pre-trained with soccermaster_hf

Multi-task pre-training (detection + identification, pitch keypoints and lines) of `SoccerMasterForPreTraining`,
{last.get("step", 0)} steps on {", ".join(Path(d).name for d in args.train_dirs)} (data: {data_summary}).
Load with `AutoModelForPreTraining.from_pretrained(..., trust_remote_code=True)` or with `soccermaster_hf` installed.

| metric (last logged step) | value |
| --- | --- |
{metrics}

Training arguments: `{json.dumps({k: v for k, v in asdict(args).items() if k not in ("extra",)})}`
"""
    (folder / "README.md").write_text(card)


def publish(folder: Path, repo_id: str, local_dir: str | None = None, token: str | None = None) -> str:
    """Upload `folder` to the Hub repo `repo_id` (created if needed), or copy it to `local_dir/repo_id`."""
    if local_dir is not None:
        target = Path(local_dir) / repo_id
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(folder, target)
        return str(target)
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, exist_ok=True)
    api.upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message="soccermaster_hf pre-training")
    return f"https://huggingface.co/{repo_id}"


__all__ = ["PRESETS", "DataPosition", "TrainingArguments", "train", "warmup_cosine"]
