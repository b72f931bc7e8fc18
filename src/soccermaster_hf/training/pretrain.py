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
import re
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from types import SimpleNamespace

import torch

from ..modeling.configuration_soccermaster import CONFIG_PRESETS as PRESETS  # re-exported
from ..utils.errors import load_pretrained
from ..utils.io import (
    atomic_file,
    atomic_write_json,
    prepare_output_dir,
    remove_output,
    save_pretrained_atomic,
    staged_folder,
)
from ..utils.tensor_state import load_state, save_state
from .samples import (  # DataPosition, Samples, is_built_dataset, open_samples: re-exported (they lived here)
    DataPosition,
    Samples,
    SeededAugmentation,
    is_built_dataset,
    open_samples,
)


def _arg(default=MISSING, help: str = "", *, factory=None, **cli):
    """A field with its help text and CLI hints (`flags`, `positional`, `choices`, `minimum`, `maximum`, `metavar`):
    the `soccermaster train` options are generated from these fields, so the defaults live here only."""
    metadata = {"help": help, **cli}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def validate_fields(arguments) -> None:
    """Check the numeric bounds (`minimum` / `maximum` / `exclusive_minimum`) and `choices` that the fields of an
    argument dataclass declare with :func:`_arg` (the CLI checks them too; this covers the Python API)."""
    for spec in fields(arguments):
        value, low, high = getattr(arguments, spec.name), spec.metadata.get("minimum"), spec.metadata.get("maximum")
        choices = spec.metadata.get("choices")
        if choices and value not in choices and not (value is None and spec.default is None):  # optional: unset
            raise ValueError(f"{spec.name} must be one of {choices}, got {value!r}.")
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        exclusive = spec.metadata.get("exclusive_minimum", False)
        if not math.isfinite(value) or (low is not None and (value < low or (exclusive and value == low))) or \
                (high is not None and value > high):
            bound = f"> {low}" if exclusive else f">= {low}"
            raise ValueError(f"{spec.name} must be {bound}{f' and <= {high}' if high is not None else ''}, "
                             f"got {value!r}.")


def config_overrides(text: str, config_class, name: str, what: str, example: str) -> dict:
    """The JSON object of a `--<name>` option holding fields of `config_class`, checked before any model is loaded:
    text that is not a JSON object, unknown fields (a config would keep them silently) and values the config refuses
    are one-line ``ValueError`` s starting with `name` (`what` / `example`: how the message names the fields and shows
    an object)."""
    import dataclasses

    from huggingface_hub.errors import StrictDataclassError
    from transformers import PreTrainedConfig

    from ..utils.errors import one_line

    try:
        overrides = json.loads(text)
    except ValueError as error:
        raise ValueError(f"{name}: not JSON ({error}).") from None
    if not isinstance(overrides, dict):
        raise ValueError(f"{name}: a JSON object of {what} fields, e.g. '{example}'.")
    own = {spec.name for spec in dataclasses.fields(config_class)}
    own -= {spec.name for spec in dataclasses.fields(PreTrainedConfig)}
    unknown = sorted(set(overrides) - own)
    if unknown:
        raise ValueError(f"{name}: unknown field(s) {', '.join(map(repr, unknown))}; the fields are "
                         f"{', '.join(sorted(own))}.")
    try:
        config_class(**overrides)
    except (StrictDataclassError, TypeError, ValueError) as error:
        # a validator's own error, not the dataclass's wrapper around it
        raise ValueError(f"{name}: {one_line(error.__cause__ or error, limit=300)}") from None
    return overrides


@dataclass
class TrainingArguments:
    """Settings of :func:`train` (the `soccermaster train` flags are generated from these fields)."""

    train_dirs: list[str] = _arg(help="Folders of SoccerNet-GSR clips (e.g. a `soccermaster synth` output), or "
                                      "datasets built by `soccermaster dataset build` (folder or Hub id).",
                                 positional=True)
    output_dir: str = _arg(help="Run folder: checkpoints, metrics.csv, final model.", flags=["--output", "-o"])
    model: str | None = _arg(None, "Start from this SoccerMasterForPreTraining folder / Hub id (the frozen base model "
                                   "of a --lora-rank run).", flags=["--model", "--init-from"])
    preset: str = _arg("tiny", "Configuration without --model.", choices=sorted(PRESETS))
    max_steps: int = _arg(100, "Optimiser steps.", minimum=1)
    batch_size: int = _arg(1, "Spatial clips per step.", minimum=1)
    clip_length: int = _arg(4, "Frames per spatial clip.", minimum=1)
    learning_rate: float = _arg(5e-5, "Backbone lr (heads: the authors' multiples).", minimum=0.0)
    weight_decay: float = _arg(1e-4, "AdamW weight decay.", minimum=0.0)
    warmup_steps: int | None = _arg(None, "Linear warm-up steps (default: one epoch).", minimum=0)
    gradient_accumulation_steps: int = _arg(1, "Batches per optimiser step.", minimum=1)
    max_grad_norm: float = _arg(0.1, "Per-module gradient clipping norm.", minimum=0.0, exclusive_minimum=True)
    mixed_precision: str = _arg("no", "Autocast precision (bf16: backbone, pitch, event and alignment heads in "
                                      "bfloat16, the detection head in float32; ~0.63x the float32 step on CPUs with "
                                      "native bfloat16).", choices=["no", "bf16"])
    gradient_checkpointing: bool = _arg(False, "Recompute each backbone layer's activations in the backward pass: "
                                               "less memory for about one more backbone forward per step.")
    checkpoint_every: int = _arg(50, "Steps between checkpoints.", minimum=1)
    keep_checkpoints: int = _arg(2, "Checkpoints kept (older ones are removed).", minimum=1)
    seed: int = _arg(42, "Seed of the model, the sample order and the augmentations.", minimum=0)
    augment: bool = _arg(True, "The authors' clip augmentations (--no-augment disables them).")
    max_frame_size: int = _arg(480, "Downscale frames on load (longer side, pixels).", minimum=16)
    semantic_dirs: list[str] = _arg(
        factory=list, flags=["--semantic"], metavar="DIR_OR_JSON",
        help="1-fps event clips (UniSoccer/MatchTime classification JSON, or a synth folder with "
             "events/classification.json): trains the event head.")
    media_root: str | None = _arg(None, "Where the frames / videos of a built dataset live when it holds annotations "
                                        "only (NDA sources); default: the dataset folder.")
    streaming: bool = _arg(False, "Stream a built dataset (one source) instead of loading it; the stream's position "
                                  "is part of the checkpoints.")
    dataloader_num_workers: int = _arg(0, "Decode (and augment) the clips ahead in this many worker processes "
                                          "while the model trains; the draws, the run and its resume are the same as "
                                          "with 0 (decoding in the training process). Pays off with spare CPU cores "
                                          "(a GPU run); on a machine whose cores the model step already uses it "
                                          "only competes with it.", minimum=0, maximum=64)
    text_encoder: str | None = _arg(None, "Text tower aligned with the semantic clips' anonymised commentary "
                                          "(SigLIP / SigLIP2 checkpoint or any transformers text encoder, folder or "
                                          "Hub id; frozen, as the authors did): trains the alignment head.",
                                    metavar="NAME_OR_FOLDER")
    semantic_batch_size: int = _arg(2, "Semantic clips per step.", minimum=1)
    semantic_frames: int = _arg(8, "Frames per semantic clip (authors: 30).", minimum=1)
    log_every: int = _arg(1, "Steps between rows of metrics.csv.", minimum=1)
    progress: bool = _arg(True, "Progress bar (--no-progress hides it).")
    push_to_hub: str | None = _arg(None, "Publish the final model (with a card) to this Hub repo.", metavar="REPO_ID")
    hub_local_dir: str | None = _arg(None, "With --push-to-hub: publish into this local folder instead of the Hub "
                                           "(offline).")
    overwrite: bool = _arg(False, "Write into a non-empty output folder that is not a previous `soccermaster train` "
                                  "run (files it does not write are kept).")
    lora_rank: int = _arg(0, "LoRA fine-tuning: train rank-R adapters on --lora-targets of the --init-from model "
                             "(frozen) and the --train-heads; checkpoints and the final folder hold the adapter only "
                             "(0: train the whole model).", minimum=0)
    lora_alpha: float | None = _arg(None, "LoRA scaling alpha (default: 2 x --lora-rank).", minimum=0.0,
                                    exclusive_minimum=True)
    lora_targets: list[str] = _arg(factory=lambda: ["q_proj", "v_proj"], metavar="NAME",
                                   help="Linear layers that get adapters (names or comma-separated; default q_proj "
                                        "v_proj: spatial, temporal and detection-decoder attention).")
    train_heads: list[str] = _arg(factory=list, metavar="HEAD",
                                  help="Heads trained fully (detection, keypoints, lines, events; names or "
                                       "comma-separated). With --lora-rank: saved with the adapter. Without: every "
                                       "other weight of the --init-from model stays frozen, the backbone included, "
                                       "and the run saves the whole model.")
    merge_lora: bool = _arg(False, "With --lora-rank: also write the merged full model to <output>/final-merged.")
    extra: dict = _arg(factory=dict, cli=False)

    def __post_init__(self):
        if isinstance(self.train_dirs, (str, Path)):
            self.train_dirs = [str(self.train_dirs)]
        if not self.train_dirs:
            raise ValueError("train_dirs: give at least one folder of SoccerNet-GSR clips.")
        self.lora_targets = _names(self.lora_targets)
        self.train_heads = _names(self.train_heads)
        validate_fields(self)
        if self.train_heads:
            from .lora import HEAD_PATTERNS

            unknown = [h for h in self.train_heads if h not in HEAD_PATTERNS]
            if unknown:
                raise ValueError(f"train_heads: unknown heads {unknown}; choose from {sorted(HEAD_PATTERNS)}.")
            if not self.model:
                raise ValueError("train_heads: fine-tuning heads needs a pre-trained model: give --init-from (or "
                                 "--model).")
        if self.lora_rank:
            if not self.model:
                raise ValueError("lora_rank: LoRA fine-tunes a pre-trained model: give --init-from (or --model).")
            if not self.lora_targets:
                raise ValueError("lora_targets: give at least one linear layer name (e.g. q_proj,v_proj).")
        elif self.merge_lora or self.lora_alpha is not None:
            raise ValueError("--merge-lora and --lora-alpha belong to LoRA fine-tuning: add --lora-rank R.")
        if self.train_heads and not self.lora_rank and set(self.train_heads) == {"events"} and not self.semantic_dirs:
            raise ValueError("train_heads: the event head trains on semantic clips and everything else is frozen: "
                             "give --semantic.")


def _names(values) -> list[str]:
    """`["q_proj,v_proj", "k_proj"]` -> `["q_proj", "v_proj", "k_proj"]` (a string is one comma-separated list)."""
    if isinstance(values, str):
        values = [values]
    return [name.strip() for value in values for name in str(value).split(",") if name.strip()]


def _config_for(args: TrainingArguments):
    from ..modeling import SoccerMasterConfig

    return SoccerMasterConfig.from_preset(args.preset, num_frames=args.clip_length)


def _group_lr(optimizer, name: str) -> float:
    """The current lr of the parameter group `name` (the first group is whichever parameter comes first, e.g. the
    alignment scalars; groups are looked up each time since loading a state replaces the group dicts)."""
    return next((g for g in optimizer.param_groups if g.get("name") == name), optimizer.param_groups[0])["lr"]


CHECKPOINT_PATTERN = re.compile(r"checkpoint-(\d+)")
TRAINING_STATE = "training_state"  # <name>.safetensors + <name>.json (optimiser, scheduler, RNG): no pickle


def _checkpoints(output_dir: Path) -> list[Path]:
    """Complete checkpoints (`checkpoint-<step>/` with a trainer state), oldest first."""
    found = [(int(match.group(1)), p) for p in output_dir.glob("checkpoint-*")
             if (match := CHECKPOINT_PATTERN.fullmatch(p.name)) and p.is_dir() and (p / "trainer_state.json").is_file()]
    return [p for _, p in sorted(found)]


def _save_checkpoint(output_dir: Path, step: int, model, optimizer, scheduler, data_states: dict, keep: int) -> Path:
    """Write `checkpoint-<step>/` through a staging folder (a kill leaves the previous checkpoints complete) and
    remove the oldest ones beyond `keep` (only the files the package wrote in them). `data_states`: the samplers'
    positions (`data`, `semantic_data`), stored in `trainer_state.json`."""
    final = output_dir / f"checkpoint-{step:07d}"
    state = {"step": step, **data_states}
    with staged_folder(final, "train") as staging:
        model.save_pretrained(staging)
        save_state({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "torch_rng": torch.get_rng_state()}, staging, TRAINING_STATE)
        atomic_write_json(staging / "trainer_state.json", state, indent=None)
    for old in _checkpoints(output_dir)[:-keep]:
        remove_output(old)
    return final


def _read_trainer_state(checkpoint: Path) -> dict:
    path = checkpoint / "trainer_state.json"
    try:
        state = json.loads(path.read_text())
        int(state["step"])
        if not isinstance(state["data"], list):  # a stream's positions are a list (one per process)
            DataPosition(1, 0).load_state_dict(state["data"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: unreadable trainer state ({type(error).__name__}: {error}).") from None
    return state


def _load_training_state(checkpoint: Path) -> dict:
    """The optimiser / scheduler / RNG state of a checkpoint, read without running any code.

    Checkpoints of this version hold safetensors + JSON. A `training_state.pt` (older versions) is read with
    `torch.load(weights_only=True)` only: a pickle that needs anything beyond tensors and plain containers is refused.
    """
    if (checkpoint / f"{TRAINING_STATE}.json").is_file():
        state = load_state(checkpoint, TRAINING_STATE)
    elif (checkpoint / "training_state.pt").is_file():
        import pickle

        try:
            state = torch.load(checkpoint / "training_state.pt", map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ValueError(f"{checkpoint / 'training_state.pt'}: refused to load the training state: it is not a "
                             f"plain tensor pickle ({first}). Delete this checkpoint to resume from an older one, or "
                             f"start in a new output folder.") from None
    else:
        raise FileNotFoundError(f"{checkpoint}: no {TRAINING_STATE}.json / .safetensors in this checkpoint.")
    if not isinstance(state, dict) or not {"optimizer", "scheduler", "torch_rng"} <= set(state):
        raise ValueError(f"{checkpoint}: the training state lacks optimizer / scheduler / torch_rng entries.")
    return state


CAPTION_TOKENS = 64  # the authors pad captions to 64 tokens for the SigLIP2 text tower


def attach_text_encoder(model, name_or_path: str):
    """Load a pretrained text tower (the text half of a SigLIP / SigLIP2 / CLIP checkpoint, or any `AutoModel` text
    encoder) into `model.text_model` (frozen when `config.freeze_text_encoder`) and its tokenizer; returns the
    tokenizer. The config records the tower (`text_encoder_config`), so saved folders rebuild it."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from ..modeling.modeling_soccermaster_video import build_text_encoder, encode_texts

    config = AutoConfig.from_pretrained(name_or_path)
    text_config = getattr(config, "text_config", None) if hasattr(config, "vision_config") else config
    if text_config is None:
        raise ValueError(f"{name_or_path}: no text encoder in this checkpoint ({config.model_type}).")
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # a dual encoder's vision half is expected to be unused
    try:
        tower = build_text_encoder(text_config)
        source = AutoModel.from_pretrained(name_or_path)
        text_source = getattr(source, "text_model", source)
        missing, unexpected = tower.load_state_dict(text_source.state_dict(), strict=False)
        if missing:
            missing, unexpected = tower.load_state_dict(source.state_dict(), strict=False)
        if missing:
            raise ValueError(f"{name_or_path}: the text tower's weights do not match its config ({missing[:5]} ...).")
    finally:
        hf_logging.set_verbosity(verbosity)
    with torch.no_grad():  # SigLIP alignment compares the two embeddings directly: they need one width
        width = encode_texts(SimpleNamespace(text_model=tower), torch.zeros(1, 2, dtype=torch.long), None,
                             None).shape[-1]
    if width != model.config.vision_config.hidden_size:
        raise ValueError(f"{name_or_path}: the text tower's embeddings are {width} wide and the backbone's "
                         f"{model.config.vision_config.hidden_size}; SigLIP alignment compares them directly, so pick a "
                         "tower of the backbone's width (SigLIP2-L's text tower for the authors' backbone).")
    model.config.text_encoder_config = tower.config
    model.text_model = tower
    if model.config.freeze_text_encoder:
        tower.requires_grad_(False)
    return AutoTokenizer.from_pretrained(name_or_path)


def caption_embeddings(model, tokenizer, texts: list[str], device) -> torch.Tensor:
    """Frozen-tower embeddings of the clips' commentary, zero rows for clips without one (excluded from the loss)."""
    from ..modeling.modeling_soccermaster_video import encode_texts

    tokens = tokenizer([text or "" for text in texts], padding="max_length", max_length=CAPTION_TOKENS,
                       truncation=True, return_tensors="pt")
    mask = tokens.get("attention_mask")
    with torch.no_grad():
        embeds = encode_texts(model, tokens["input_ids"].to(device), None if mask is None else mask.to(device), None)
    missing = torch.tensor([not text for text in texts], device=device)
    return embeds.masked_fill(missing[:, None], 0.0)


def resume_training_state(checkpoint: Path, optimizer, scheduler) -> dict:
    """Load a checkpoint's optimiser, scheduler and torch RNG state (no code runs) and return its trainer state
    (`step` and the samplers' positions)."""
    state = _load_training_state(checkpoint)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    return _read_trainer_state(checkpoint)


def read_metric_rows(log_path: Path, step: int) -> list[dict]:
    """The rows of `metrics.csv` up to `step` (rows a killed run logged past its last checkpoint are dropped)."""
    if not log_path.is_file():
        return []
    with open(log_path) as handle:
        return [row for row in csv.DictReader(handle) if int(row["step"]) <= step]


def write_metric_rows(log_path: Path, rows: list[dict], fields: list[str]) -> None:
    """Rewrite `metrics.csv` atomically with `rows` (a field a row lacks is left empty)."""
    with atomic_file(log_path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def train(args: TrainingArguments) -> Path:
    """Run (or resume) training; returns the folder of the final model (`<output_dir>/final`)."""
    from accelerate import Accelerator
    from tqdm.auto import tqdm
    from transformers import get_cosine_schedule_with_warmup

    from ..data.semantic import to_semantic_inputs
    from ..data.soccernet_gsr import to_model_inputs
    from ..modeling import SoccerMasterForPreTraining
    from ..modeling.modeling_soccermaster_multitask import SPATIAL_HEADS
    from .optim import build_optimizer, clip_gradients_per_module

    output_dir = Path(args.output_dir)
    # refuses a foreign non-empty folder (unless overwrite) and an output inside a data folder; removes the staging
    # folders a killed run left behind
    prepare_output_dir(output_dir, "train", overwrite=args.overwrite,
                       sources=[*args.train_dirs, *args.semantic_dirs, args.model, args.media_root])
    from accelerate.utils import DistributedDataParallelKwargs

    # data parallel: a spatial step leaves the event / alignment heads (and a semantic step the detection and pitch
    # heads) without gradients, so DDP must look for unused parameters
    accelerator = Accelerator(mixed_precision=args.mixed_precision,
                              gradient_accumulation_steps=args.gradient_accumulation_steps,
                              kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)])
    from ..utils.hardware import cpu_has_native_bfloat16

    if args.mixed_precision == "bf16" and accelerator.device.type == "cpu" and not cpu_has_native_bfloat16():
        accelerator.print("warning: --mixed-precision bf16 on a CPU without native bfloat16 instructions is emulated "
                          "and slower than float32 (the pitch heads many times so: benchmarks/heads_only_step.py); "
                          "leave it out on this machine.")
    torch.manual_seed(args.seed)
    augmentation = None
    if args.augment:
        from ..data.augment import ClipAugmentation

        augmentation = SeededAugmentation(ClipAugmentation(), args.seed)
    samples, reports = open_samples(args.train_dirs, "spatial", args, accelerator, args.seed, augmentation)
    semantic = None
    if args.semantic_dirs:
        semantic, semantic_reports = open_samples(args.semantic_dirs, "semantic", args, accelerator, args.seed + 1)
        reports += semantic_reports
    for report in reports:
        for line in report.lines():
            accelerator.print(line)
    checkpoints = _checkpoints(output_dir)
    if args.lora_rank:  # the frozen base, then the adapter: the run's last checkpoint's, else a fresh one
        from .lora import load_adapter, wrap_with_lora

        base = load_pretrained(SoccerMasterForPreTraining, args.model)
        model = load_adapter(base, checkpoints[-1]) if checkpoints else wrap_with_lora(
            base, args.lora_rank, args.lora_alpha, args.lora_targets, args.train_heads)
    elif checkpoints:
        model = load_pretrained(SoccerMasterForPreTraining, checkpoints[-1])
    elif args.model:
        model = load_pretrained(SoccerMasterForPreTraining, args.model)
    else:
        model = SoccerMasterForPreTraining(_config_for(args))
    if args.train_heads and not args.lora_rank:  # heads-only fine-tuning: the rest of the model is frozen
        from .lora import freeze_all_but_heads

        freeze_all_but_heads(model, args.train_heads)
    if args.gradient_checkpointing:  # on the backbone's layers (a LoRA run: the wrapped base model's)
        inner = model.get_base_model() if args.lora_rank else model
        inner.gradient_checkpointing_enable()
        layers = sum(bool(getattr(m, "gradient_checkpointing", False)) for m in inner.vision_model.modules())
        accelerator.print(f"gradient checkpointing: {layers} backbone layers recompute their activations")
    tokenizer = None
    if args.text_encoder:
        if semantic is None:
            raise ValueError("--text-encoder aligns the semantic clips' commentary with F_sem: give --semantic too.")
        if model.text_model is None:
            tokenizer = attach_text_encoder(model, args.text_encoder)
        else:  # resumed or a model that already has its tower
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(args.text_encoder)
    image_size = model.config.vision_config.image_size
    optimizer = build_optimizer(model, args.learning_rate, args.weight_decay)
    steps_per_epoch = math.ceil(len(samples) / (args.batch_size * accelerator.num_processes))
    warmup = args.warmup_steps if args.warmup_steps is not None else steps_per_epoch
    # transformers' schedule: linear warm-up from 0, then cosine decay to 0 at `max_steps`
    scheduler = get_cosine_schedule_with_warmup(optimizer, warmup, args.max_steps)
    step = 0
    if checkpoints:
        trainer_state = resume_training_state(checkpoints[-1], optimizer, scheduler)
        step = int(trainer_state["step"])
        samples.load(trainer_state["data"])
        if semantic is not None and "semantic_data" in trainer_state:
            semantic.load(trainer_state["semantic_data"])
        accelerator.print(f"resumed from {checkpoints[-1].name} (step {step})")
    model, optimizer = accelerator.prepare(model, optimizer)
    unwrapped = accelerator.unwrap_model(model)
    atomic_write_json(output_dir / "training_args.json", asdict(args))
    log_path = output_dir / "metrics.csv"
    rows = read_metric_rows(log_path, step)
    fields = ["step", "loss", "loss_detection", "loss_keypoints", "loss_lines", "loss_events", "loss_alignment",
              "lr_backbone", "epoch"]
    progress = tqdm(total=args.max_steps, initial=step, desc="training",
                    disable=not args.progress or not accelerator.is_main_process)  # one bar, on the main process
    model.train()
    if args.lora_rank or args.train_heads:
        from .lora import freeze_batch_norm_statistics

        freeze_batch_norm_statistics(model)
    # heads-only fine-tuning: the backbone and the other heads are frozen, so their losses give no gradient and the
    # spatial batch runs only the heads that train (a detection-head step: 1.01 -> 0.35 s, benchmarks/heads_only_step.py)
    spatial_heads = [h for h in args.train_heads if h in SPATIAL_HEADS] if args.train_heads and not args.lora_rank \
        else None
    while step < args.max_steps:
        for _ in range(args.gradient_accumulation_steps):
            outputs = None
            if spatial_heads != []:
                batch = []
                for _ in range(args.batch_size):
                    batch.append(samples.draw()[0])  # augmented
                inputs = to_model_inputs(batch, image_size)
                inputs["spatial_pixel_values"] = inputs["spatial_pixel_values"].to(accelerator.device)
                with accelerator.accumulate(model), accelerator.autocast():
                    outputs = model(**inputs, spatial_heads=spatial_heads)
                    accelerator.backward(outputs.loss / args.gradient_accumulation_steps)
            if semantic is not None:
                # the authors' order: the semantic batch's loss is backpropagated right after the spatial one
                clips = [semantic.draw()[0] for _ in range(args.semantic_batch_size)]
                semantic_inputs = to_semantic_inputs(clips, image_size)
                semantic_inputs["semantic_pixel_values"] = semantic_inputs["semantic_pixel_values"].to(
                    accelerator.device)
                if tokenizer is not None:  # alignment: the commentary of each clip, its keyword for extra positives
                    semantic_inputs["text_embeds"] = caption_embeddings(unwrapped, tokenizer,
                                                                        [c.get("text", "") for c in clips],
                                                                        accelerator.device)
                    labels = unwrapped.config.event_config.id2label
                    semantic_inputs["keywords"] = [labels.get(int(c["label"])) if int(c["label"]) >= 0 else None
                                                   for c in clips]
                with accelerator.accumulate(model), accelerator.autocast():
                    semantic_outputs = model(**semantic_inputs)
                    if semantic_outputs.loss is not None:
                        accelerator.backward(semantic_outputs.loss / args.gradient_accumulation_steps)
                if outputs is None:  # heads-only fine-tuning of the event head
                    outputs = semantic_outputs
                else:
                    outputs.loss_dict.update(semantic_outputs.loss_dict)
        clip_gradients_per_module(unwrapped.head_modules(), args.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        progress.update(1)
        if step % args.log_every == 0 or step == args.max_steps:
            terms = {k: float(v.detach()) for k, v in outputs.loss_dict.items() if not k.startswith("detection/")}
            rows.append({"step": step, "loss": float(outputs.loss.detach()), "epoch": samples.epoch,
                         "lr_backbone": _group_lr(optimizer, "backbone"),
                         **{k: terms.get(k, "") for k in ("loss_detection", "loss_keypoints", "loss_lines",
                                                          "loss_events", "loss_alignment")}})
            progress.set_postfix(loss=f"{float(outputs.loss.detach()):.3f}")
            if accelerator.is_main_process:
                write_metric_rows(log_path, rows, fields)
        if step % args.checkpoint_every == 0 or step == args.max_steps:
            data_states = {"data": samples.state()}  # on every process: a stream's positions are gathered
            if semantic is not None:
                data_states["semantic_data"] = semantic.state()
            if accelerator.is_main_process:
                _save_checkpoint(output_dir, step, unwrapped, optimizer, scheduler, data_states,
                                 args.keep_checkpoints)
    progress.close()
    for drawn in (samples, semantic):  # stop the DataLoader workers
        if drawn is not None:
            drawn.close()
    final = output_dir / "final"
    if accelerator.is_main_process:
        # the text tower's tokenizer beside the model: `analyze` scores zero-shot prompts with it
        save_pretrained_atomic(unwrapped.eval(), final, command="train",
                               extra=[tokenizer] if tokenizer is not None and not args.lora_rank else [])
        data_summary = "; ".join(report.summary() for report in reports)
        if args.lora_rank:  # the adapter only, with a card naming its base model
            from .lora import write_adapter_card

            trainable = sum(p.numel() for p in unwrapped.parameters() if p.requires_grad)
            write_adapter_card(final, args.model, args, rows, data_summary, trainable,
                               sum(p.numel() for p in unwrapped.parameters()))
            if args.merge_lora:
                import copy

                merged = copy.deepcopy(unwrapped).merge_and_unload()
                save_pretrained_atomic(merged.eval(), output_dir / "final-merged", command="train")
                write_model_card(output_dir / "final-merged", args, rows, data_summary)
        else:
            write_model_card(final, args, rows, data_summary)
        if args.push_to_hub:
            publish(final, args.push_to_hub, args.hub_local_dir)
    for report in reports:  # unreadable frames / videos are met while training: the counts now include them
        for line in report.lines(final=True):
            accelerator.print(line)
    return final


def write_model_card(folder: Path, args: TrainingArguments, rows: list[dict], data_summary: str,
                     model: torch.nn.Module | None = None) -> None:
    """The Hub model card (README.md) of a training output: the setup, the data and the last logged losses
    (:func:`soccermaster_hf.hub.build_model_card`; `model` defaults to the folder's class built on the meta device)."""
    from huggingface_hub import ModelCardData

    from ..hub import build_model_card, hub_id_or_none, meta_model_from_folder
    from ..utils.io import atomic_write_text

    last = rows[-1] if rows else {}
    losses = {key: float(last[key]) for key in ("loss", "loss_detection", "loss_keypoints", "loss_lines",
                                                "loss_events") if last.get(key) not in (None, "")}
    start = f"`{args.model}`" if args.model else f"the `{args.preset}` preset (from scratch)"
    heads = "detection + identification, pitch keypoints and lines" + (", events" if args.semantic_dirs else "")
    arguments = json.dumps({k: v for k, v in asdict(args).items() if k != "extra"})
    details = (f"Multi-task pre-training ({heads}) with `soccermaster train`: {last.get('step', 0)} steps from {start} "
               f"on {', '.join(Path(d).name for d in args.train_dirs)} (data: {data_summary}).\n\n"
               f"Training arguments: `{arguments}`")
    card = build_model_card(model if model is not None else meta_model_from_folder(folder),
                            card_data=ModelCardData(base_model=hub_id_or_none(args.model)),
                            title=f"SoccerMaster ({args.model or args.preset}) pre-trained with soccermaster_hf",
                            details=details, details_title="Training", extra_metrics=losses,
                            metrics_title="Last logged training losses")
    atomic_write_text(Path(folder) / "README.md", str(card))


def publish(folder: Path, repo_id: str, local_dir: str | None = None, token: str | None = None) -> str:
    """Upload `folder` to the Hub repo `repo_id` in one commit (created if needed), or write the same files into
    the local mirror `local_dir/repo_id` (:func:`soccermaster_hf.hub.mirror_hub_folder`)."""
    from ..hub import mirror_hub_folder, push_hub_folder

    if local_dir is not None:
        return str(mirror_hub_folder(folder, Path(local_dir) / repo_id, repo_id))
    return push_hub_folder(folder, repo_id, token=token, commit_message="soccermaster_hf pre-training")


__all__ = ["PRESETS", "attach_text_encoder", "caption_embeddings", "config_overrides", "read_metric_rows", "resume_training_state", "validate_fields", "DataPosition", "Samples", "TrainingArguments", "is_built_dataset", "open_samples", "train"]
