"""Training of the athlete re-identification network `SoccerMasterForReIdentification` (``soccermaster train-reid``).

1. **Crops.** From every annotated athlete box (players, goalkeepers, referees; no balls) of the training clips
   (SoccerNet-GSR folders: ``Labels-GameState.json`` + ``img1/``, or SNMOT sequences: ``gt/gt.txt`` + ``seqinfo.ini``
   + its ``imDir``), on every `frame_stride`-th frame, at least `min_box_height` pixels tall, `copies` crops are cut
   with the box moved and scaled at random (`box_jitter` of its height, as a detector's boxes sit off the annotated
   ones; :class:`~soccermaster_hf.processing.SoccerMasterReIdProcessor`). They are cached per clip in
   ``<output>/crops/<clip>-<hash>.safetensors`` (uint8; written atomically; a resumed run reuses them). An identity is
   a track of one clip.
2. **Batches.** Each step draws one clip (weighted by its crops) and up to `identities_per_batch` of its identities,
   `crops_per_identity` crops each (with replacement when an identity has fewer), so the negatives are the
   teammates and opponents the linking must tell apart; brightness and contrast are jittered per crop.
3. **Loss.** The supervised contrastive loss (Khosla et al., NeurIPS 2020) at the config's temperature.

AdamW with linear warm-up and cosine decay. Checkpoints ``checkpoint-<step>/`` are written through a staging folder
(a kill leaves a complete one) with the optimiser, scheduler and RNG state; the same command resumes from the newest
one; the draw of step n is seeded by (seed, n), so a resumed run draws what an uninterrupted run would.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..utils.io import atomic_file, atomic_write_json, prepare_output_dir, remove_output, save_pretrained_atomic
from .pretrain import (
    _arg,
    _checkpoints,
    _save_checkpoint,
    config_overrides,
    read_metric_rows,
    resume_training_state,
    validate_fields,
    write_metric_rows,
)
from .tracking import clip_folders

CROPS_DIR = "crops"
_ATHLETE_ROLES = (None, "player", "goalkeeper", "referee")  # None: SNMOT has no roles (its ball tracklets are left out)


@dataclass
class ReIdTrainingArguments:
    """Settings of :func:`train_reid` (the `soccermaster train-reid` flags are generated from these)."""

    train_data: list[str] = _arg(help="SoccerNet-GSR clip folders (Labels-GameState.json + img1/), SNMOT sequences "
                                      "(gt/gt.txt + seqinfo.ini + img1/), or folders holding them (e.g. a "
                                      "`soccermaster synth` output or SoccerNet's tracking/train).", positional=True)
    output_dir: str = _arg(help="Run folder: crop cache, checkpoints, metrics.csv, final model.",
                           flags=["--output", "-o"])
    init_from: str | None = _arg(None, "A SoccerMasterForReIdentification folder to continue from; default: a new "
                                       "network (--reid-config).")
    reid_config: str | None = _arg(None, "JSON fields of a new network's SoccerMasterReIdConfig (e.g. "
                                         "'{\"embedding_size\": 64}').")
    max_steps: int = _arg(2500, "Optimisation steps.", minimum=1)
    learning_rate: float = _arg(2e-3, "AdamW learning rate.", exclusive_minimum=True, minimum=0.0)
    weight_decay: float = _arg(1e-4, "AdamW weight decay.", minimum=0.0)
    warmup_steps: int = _arg(250, "Linear warm-up steps.", minimum=0)
    identities_per_batch: int = _arg(32, "Identities of one clip per batch.", minimum=2)
    crops_per_identity: int = _arg(4, "Crops per identity in a batch.", minimum=2)
    frame_stride: int = _arg(2, "Crop every N-th annotated frame.", minimum=1)
    min_box_height: float = _arg(16.0, "Leave out boxes shorter than this (pixels).", minimum=1.0)
    box_jitter: float = _arg(0.05, "Random shift (and log-scale) of a box, in box heights, when cropping.",
                             minimum=0.0, maximum=0.5)
    copies: int = _arg(2, "Jittered crops cut per box.", minimum=1)
    max_frames: int | None = _arg(None, "Use at most this many frames per clip.", minimum=1)
    log_every: int = _arg(25, "Log the loss every N steps.", minimum=1)
    checkpoint_every: int = _arg(500, "Write a checkpoint every N steps.", minimum=1)
    keep_checkpoints: int = _arg(2, "Checkpoints to keep.", minimum=1)
    seed: int = _arg(0, "Seed of the crops' jitter, the batch draws and the new network.")
    overwrite: bool = _arg(False, "Reuse an output folder that another command wrote.")
    progress: bool = _arg(True, "Show progress bars.")

    def __post_init__(self) -> None:
        validate_fields(self)
        if not self.train_data:
            raise ValueError("train_data: give at least one clip folder.")
        if self.reid_config is not None:
            if self.init_from is not None:
                raise ValueError("reid_config: only for a new network, not with init_from.")
            from ..modeling import SoccerMasterReIdConfig

            config_overrides(self.reid_config, SoccerMasterReIdConfig, "reid_config", "SoccerMasterReIdConfig",
                             '{"embedding_size": 64}')


def jittered_boxes(boxes: np.ndarray, jitter: float, rng: np.random.Generator) -> np.ndarray:
    """`boxes` `(N, 4)` moved by normal noise of `jitter` box heights and scaled by ``exp(N(0, jitter))`` (height;
    the width again by its own factor)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if not jitter or not len(boxes):
        return boxes.copy()
    height, width = boxes[:, 3] - boxes[:, 1], boxes[:, 2] - boxes[:, 0]
    centre_x = (boxes[:, 0] + boxes[:, 2]) / 2 + rng.normal(0, jitter, len(boxes)) * height
    centre_y = (boxes[:, 1] + boxes[:, 3]) / 2 + rng.normal(0, jitter, len(boxes)) * height
    scale = np.exp(rng.normal(0, jitter, len(boxes)))
    height, width = height * scale, width * scale * np.exp(rng.normal(0, jitter, len(boxes)))
    return np.stack([centre_x - width / 2, centre_y - height / 2, centre_x + width / 2, centre_y + height / 2], 1)


def clip_crops(folder: Path, processor, args: ReIdTrainingArguments, seed: int) -> tuple[dict[str, torch.Tensor], int]:
    """``({"crops" (M, 3, h, w) uint8, "identities" (M,), "frames" (M,)}, unreadable images)`` of a clip (see the
    module docstring)."""
    from ..data.images import ImageLoadError, image_files, load_image
    from ..evaluation.tracking_ground_truth import ground_truth_frames, snmot_ground_truth_frames

    if (folder / "Labels-GameState.json").is_file():
        truth, _ = ground_truth_frames(folder, include_ball=False)
        image_dir = folder / "img1"
    else:
        truth, image_dir = snmot_ground_truth_frames(folder, include_ball=False)
    files = image_files(image_dir)
    count = min(len(truth), len(files), args.max_frames or len(truth))
    rng = np.random.default_rng(seed)
    crops, identities, frames, unreadable = [], [], [], 0
    for index in range(0, count, args.frame_stride):
        athletes = [d for d in truth[index].detections if d.role in _ATHLETE_ROLES
                    and d.box[3] - d.box[1] >= args.min_box_height]
        if not athletes:
            continue
        try:
            image = load_image(files[index])
        except (ImageLoadError, OSError):
            unreadable += 1
            continue
        boxes = np.repeat(np.array([d.box for d in athletes], dtype=np.float64), args.copies, axis=0)
        cut = processor.crops(image, jittered_boxes(boxes, args.box_jitter, rng))
        crops.append((cut * 255).round().to(torch.uint8))
        identities.append(torch.tensor(np.repeat([d.track_id for d in athletes], args.copies), dtype=torch.long))
        frames.append(torch.full((len(boxes),), index, dtype=torch.long))
    height, width = processor.crop_height, processor.crop_width
    return {"crops": torch.cat(crops) if crops else torch.zeros((0, 3, height, width), dtype=torch.uint8),
            "identities": torch.cat(identities) if identities else torch.zeros(0, dtype=torch.long),
            "frames": torch.cat(frames) if frames else torch.zeros(0, dtype=torch.long)}, unreadable


def training_batch(clip: dict[str, torch.Tensor], processor, identities: int, per_identity: int,
                   generator: torch.Generator) -> dict[str, torch.Tensor] | None:
    """``{"pixel_values", "labels"}``: up to `identities` identities of the clip with two crops or more,
    `per_identity` crops each, brightness / contrast jittered; `None` when the clip has fewer than two such
    identities."""
    labels = clip["identities"]
    unique, counts = torch.unique(labels, return_counts=True)
    unique = unique[counts >= 2]
    if len(unique) < 2:
        return None
    chosen = unique[torch.randperm(len(unique), generator=generator)[:identities]]
    picks = []
    for identity in chosen:
        where = torch.nonzero(labels == identity).flatten()
        if len(where) >= per_identity:
            picks.append(where[torch.randperm(len(where), generator=generator)[:per_identity]])
        else:
            picks.append(where[torch.randint(len(where), (per_identity,), generator=generator)])
    index = torch.cat(picks)
    pixels = clip["crops"][index].float() / 255.0
    contrast = torch.empty(len(index), 1, 1, 1).uniform_(0.85, 1.15, generator=generator)
    brightness = torch.empty(len(index), 1, 1, 1).uniform_(-0.05, 0.05, generator=generator)
    pixels = ((pixels - 0.5) * contrast + 0.5 + brightness).clamp(0.0, 1.0)
    return {"pixel_values": processor.normalize(pixels), "labels": labels[index]}


def load_reid_model(init_from: str | None, overrides: dict | None = None):
    """`init_from` (a `SoccerMasterForReIdentification` folder), or a new network with the config `overrides`."""
    from ..modeling import SoccerMasterForReIdentification, SoccerMasterReIdConfig

    if init_from is None:
        return SoccerMasterForReIdentification(SoccerMasterReIdConfig(**(overrides or {})))
    from ..tracking.reid import load_reid_model as load

    return load(init_from)


def train_reid(args: ReIdTrainingArguments) -> Path:
    """Run (or resume) re-identification training; returns the folder of the final model (`<output_dir>/final`)."""
    from safetensors.torch import load_file, save
    from tqdm.auto import tqdm
    from transformers import get_cosine_schedule_with_warmup

    from ..modeling import SoccerMasterForReIdentification
    from ..processing import SoccerMasterReIdProcessor

    output_dir = Path(args.output_dir)
    folders = clip_folders(args.train_data)
    fresh = not output_dir.exists()
    prepare_output_dir(output_dir, "train-reid", overwrite=args.overwrite, sources=[*args.train_data, args.init_from])
    checkpoints = _checkpoints(output_dir)
    torch.manual_seed(args.seed)  # a new network's initialisation
    try:
        if checkpoints:
            model = SoccerMasterForReIdentification.from_pretrained(checkpoints[-1])
        else:
            model = load_reid_model(args.init_from, json.loads(args.reid_config) if args.reid_config else None)
    except BaseException:
        if fresh:  # a model that does not load leaves no output folder behind (only the marker was written)
            remove_output(output_dir)
        raise
    processor = SoccerMasterReIdProcessor.from_model_config(model.config)
    crop_dir = output_dir / CROPS_DIR
    crop_dir.mkdir(exist_ok=True)
    settings = json.dumps([model.config.crop_height, model.config.crop_width, model.config.crop_context,
                           args.frame_stride, args.min_box_height, args.box_jitter, args.copies, args.max_frames,
                           args.seed])
    clips, skipped = [], Counter()
    for number, folder in enumerate(tqdm(folders, desc="athlete crops", disable=not args.progress)):
        digest = hashlib.sha1(f"{folder.resolve()}|{settings}".encode()).hexdigest()[:10]
        path = crop_dir / f"{folder.name}-{digest}.safetensors"
        if path.is_file():
            crops = load_file(str(path))
        else:
            try:
                crops, unreadable = clip_crops(folder, processor, args, args.seed * 1_000_003 + number)
            except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
                skipped[f"unreadable clip ({type(error).__name__})"] += 1
                print(f"skipped {folder}: unreadable clip ({type(error).__name__}: {error})")
                continue
            if unreadable:
                print(f"{folder}: skipped {unreadable} unreadable image(s)")
            with atomic_file(path, "wb") as handle:
                handle.write(save({key: value.contiguous() for key, value in crops.items()}))
        _, counts = torch.unique(crops["identities"], return_counts=True)
        if int((counts >= 2).sum()) >= 2:
            clips.append(crops)
        else:
            skipped["fewer than two athletes with two crops"] += 1
            print(f"skipped {folder}: fewer than two athletes with two crops")
    if skipped:
        print(f"skipped {sum(skipped.values())} of {len(folders)} clips: " +
              ", ".join(f"{count} {reason}" for reason, count in skipped.items()))
    if not clips:
        raise ValueError(f"{', '.join(args.train_data)}: no usable clip (none with two athletes cropped twice or more; "
                         f"{dict(skipped)}).")
    weights = torch.tensor([float(len(c["identities"])) for c in clips])
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=args.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, args.warmup_steps, args.max_steps)
    step = 0
    if checkpoints:
        step = int(resume_training_state(checkpoints[-1], optimizer, scheduler)["step"])
        print(f"resumed from {checkpoints[-1].name} (step {step})")
    atomic_write_json(output_dir / "training_args.json", asdict(args))
    log_path = output_dir / "metrics.csv"
    rows = read_metric_rows(log_path, step)
    progress = tqdm(total=args.max_steps, initial=step, desc="train-reid", disable=not args.progress)
    model.train()
    while step < args.max_steps:
        generator = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        batch = None
        while batch is None:
            clip = clips[int(torch.multinomial(weights, 1, generator=generator))]
            batch = training_batch(clip, processor, args.identities_per_batch, args.crops_per_identity, generator)
        output = model(**batch)
        output.loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        progress.update(1)
        if step % args.log_every == 0 or step == args.max_steps:
            rows.append({"step": step, "loss": float(output.loss.detach()), "lr": scheduler.get_last_lr()[0]})
            progress.set_postfix(loss=f"{rows[-1]['loss']:.3f}")
            write_metric_rows(log_path, rows, ["step", "loss", "lr"])
        if step % args.checkpoint_every == 0 or step == args.max_steps:
            _save_checkpoint(output_dir, step, model, optimizer, scheduler, {"data": [{"seed": args.seed}]},
                             args.keep_checkpoints)
    progress.close()
    final = output_dir / "final"
    model.eval()
    save_pretrained_atomic(model, final, command="train-reid", overwrite=True)
    return final


__all__ = ["ReIdTrainingArguments", "clip_crops", "jittered_boxes", "load_reid_model", "train_reid",
           "training_batch"]
