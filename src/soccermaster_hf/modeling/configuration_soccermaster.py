# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""SoccerMaster configurations.

This file ships as Hugging Face Hub remote code: it may only import the standard library, torch, transformers,
huggingface_hub and siblings of this folder (``from .sibling import X``).
"""

from __future__ import annotations

import logging
from typing import Any

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, Blip2QFormerConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from .pitch_definitions import KEYPOINT_NAMES, LINE_CLASSES


class _PipelineSupportFilter(logging.Filter):
    """transformers' pipelines log "The model 'SoccerMaster...' is not supported for ..." for every class outside their
    built-in name tables, although registered (and remote-code) classes run fine; this drops that one message. It
    lives here so that it applies in remote-code mode too (this file is loaded first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("The model 'SoccerMaster")


_pipeline_logger = logging.getLogger("transformers.pipelines.base")
if not any(type(existing).__name__ == "_PipelineSupportFilter" for existing in _pipeline_logger.filters):
    _pipeline_logger.addFilter(_PipelineSupportFilter())


@strict
class SoccerMasterVisionConfig(PreTrainedConfig):
    r"""
    Configuration of [`SoccerMasterVisionModel`], the spatio-temporal ViT of SoccerMaster (arXiv 2512.11016).

    The defaults are the released large model: a SigLIP2-L/16-512 vision tower (24 layers of width 1024) whose first
    `temporal_start_layer` = 16 layers are purely spatial and whose last 8 layers are TimeSformer-style *divided
    space-time* blocks (gated temporal attention over frames, then the original SigLIP layer), with clips of 30 frames.

    Args:
        hidden_size (`int`, *optional*, defaults to 1024):
            Width of the transformer.
        intermediate_size (`int`, *optional*, defaults to 4096):
            Width of the MLP inside each layer.
        num_hidden_layers (`int`, *optional*, defaults to 24):
            Total number of layers (spatial + spatio-temporal).
        num_attention_heads (`int`, *optional*, defaults to 16):
            Attention heads of the spatial self-attention (and, by default, of the temporal attention).
        num_channels (`int`, *optional*, defaults to 3):
            Input channels.
        image_size (`int`, *optional*, defaults to 512):
            Resolution the position embeddings were trained at. Other resolutions (multiples of `patch_size`) are
            accepted: the position table is then resized bicubically (as the authors' loader and SigLIP do).
        patch_size (`int`, *optional*, defaults to 16):
            Patch size of the patch embedding.
        hidden_act (`str`, *optional*, defaults to `"gelu_pytorch_tanh"`):
            Activation of the MLPs (SigLIP's).
        layer_norm_eps (`float`, *optional*, defaults to 1e-6):
            Epsilon of the SigLIP-owned layer norms (`layer_norm1`, `layer_norm2`, `post_layernorm`, pooling head).
        attention_dropout (`float`, *optional*, defaults to 0.0):
            Dropout on attention probabilities (training only).
        num_frames (`int`, *optional*, defaults to 30):
            Length of the learnable temporal embedding table (frames per training clip). Clips of another length are
            accepted; see [`SoccerMasterVisionModel.get_temporal_embedding`] for the interpolation rule.
        temporal_start_layer (`int`, *optional*, defaults to 16):
            Index of the first spatio-temporal layer. Layers `0 .. temporal_start_layer - 1` are spatial only and
            their output is F_spa; `temporal_start_layer == num_hidden_layers` gives a purely spatial model.
        temporal_num_attention_heads (`int`, *optional*):
            Heads of the temporal attention. Defaults to `num_attention_heads`.
        temporal_layer_norm_eps (`float`, *optional*, defaults to 1e-5):
            Epsilon of the temporal layer norm (the authors use PyTorch's default here, not SigLIP's).
        temporal_gate_init (`float`, *optional*, defaults to 0.0):
            Initial value of the per-layer gate `alpha`; the temporal branch is scaled by `tanh(alpha)`, so 0 makes
            every spatio-temporal layer start as the pretrained SigLIP layer.
        vision_use_head (`bool`, *optional*, defaults to `True`):
            Whether to build the SigLIP multi-head attention pooling head that produces F_sem.

    Example:

    ```python
    >>> from soccermaster_hf import SoccerMasterVisionConfig, SoccerMasterVisionModel

    >>> config = SoccerMasterVisionConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=4,
    ...     num_attention_heads=4, image_size=48, num_frames=4, temporal_start_layer=2)
    >>> model = SoccerMasterVisionModel(config)
    ```
    """

    model_type = "soccermaster_vision"
    base_config_key = "vision_config"

    hidden_size: int = 1024
    intermediate_size: int = 4096
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    num_channels: int = 3
    image_size: int = 512
    patch_size: int = 16
    hidden_act: str = "gelu_pytorch_tanh"
    layer_norm_eps: float = 1e-6
    attention_dropout: float | int = 0.0
    num_frames: int = 30
    temporal_start_layer: int = 16
    temporal_num_attention_heads: int | None = None
    temporal_layer_norm_eps: float = 1e-5
    temporal_gate_init: float | int = 0.0
    vision_use_head: bool = True

    def __post_init__(self, **kwargs: Any) -> None:
        if self.temporal_num_attention_heads is None:
            self.temporal_num_attention_heads = self.num_attention_heads
        super().__post_init__(**kwargs)

    @property
    def num_temporal_layers(self) -> int:
        """Number of spatio-temporal layers (`num_hidden_layers - temporal_start_layer`)."""
        return self.num_hidden_layers - self.temporal_start_layer

    @property
    def num_patches(self) -> int:
        """Patches per frame at the native `image_size`."""
        return (self.image_size // self.patch_size) ** 2

    def validate_architecture(self) -> None:
        """Reject impossible architectures with a message that says what to change (run by `@strict`)."""
        super().validate_architecture()
        for name in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_channels",
                     "image_size", "patch_size", "num_frames"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{type(self).__name__}: `{name}` must be an int, got {value!r}.")
            if value < 1:
                raise ValueError(f"{type(self).__name__}: `{name}` must be >= 1, got {value}.")
        if not 0 <= self.temporal_start_layer <= self.num_hidden_layers:
            raise ValueError(
                f"{type(self).__name__}: `temporal_start_layer` ({self.temporal_start_layer}) must lie in "
                f"[0, num_hidden_layers={self.num_hidden_layers}]; it is the index of the first spatio-temporal layer "
                f"(use num_hidden_layers for a purely spatial model)."
            )
        if self.hidden_size % self.num_attention_heads != 0:
            raise ValueError(
                f"{type(self).__name__}: `hidden_size` ({self.hidden_size}) must be divisible by "
                f"`num_attention_heads` ({self.num_attention_heads})."
            )
        temporal_heads = self.temporal_num_attention_heads or self.num_attention_heads
        if self.hidden_size % temporal_heads != 0:
            raise ValueError(
                f"{type(self).__name__}: `hidden_size` ({self.hidden_size}) must be divisible by "
                f"`temporal_num_attention_heads` ({temporal_heads})."
            )
        if self.image_size % self.patch_size != 0:
            raise ValueError(
                f"{type(self).__name__}: `image_size` ({self.image_size}) must be divisible by `patch_size` "
                f"({self.patch_size})."
            )


ROLE_NAMES = ["ball", "goalkeeper", "other", "player", "referee", "none"]

# The authors' 23 event keywords, in their index order (``data/video_caption.py`` ``keywords_list``; SPEC 6.2).
EVENT_KEYWORDS = [
    "var", "end of half game", "clearance", "second yellow card", "injury", "ball possession", "throw in",
    "show added time", "shot off target", "start of half game", "substitution", "saved by goal-keeper", "red card",
    "lead to corner", "ball out of play", "off side", "goal", "penalty", "yellow card", "foul lead to penalty",
    "corner", "free kick", "foul with no card",
]

# the event head's kinds: the authors' Transformer over F_sem, and our linear head on a time x space grid of tokens
EVENT_HEAD_TYPES = ("transformer", "grid_linear")

# SoccerNet-v2's 17 action-spotting classes -> the keywords above. The authors store SoccerNet-v2 clips already
# mapped and their table was not published; this is our documented mapping (kick-offs open halves or restart after
# goals and are closest to "start of half game"; shots on target that are not goals are saves).
SOCCERNET_V2_TO_KEYWORD = {
    "Penalty": "penalty",
    "Kick-off": "start of half game",
    "Shots off target": "shot off target",
    "Shots on target": "saved by goal-keeper",
    "Throw-in": "throw in",
    "Ball out of play": "ball out of play",
    "Foul": "foul with no card",
    "Direct free-kick": "free kick",
    "Indirect free-kick": "free kick",
    "Yellow card": "yellow card",
    "Yellow->red card": "second yellow card",
    "Red card": "red card",
    "Goal": "goal",
    "Clearance": "clearance",
    "Offside": "off side",
    "Corner": "corner",
    "Substitution": "substitution",
}

# Alignment: pairs whose keyword is one of these are extra positives (the authors' rule).
ALIGNMENT_EXTRA_POSITIVE_KEYWORDS = ["end of half game", "off side", "start of half game", "ball possession",
                                     "substitution"]
TEAM_NAMES = ["left", "right", "none"]

# Commentary generation (MatchTime / MatchVoice, UniSoccer): the anonymised captions' placeholders, added to the
# language model's tokenizer as special tokens, and the token that stands for one visual prefix position.
COMMENTARY_PLACEHOLDER_TOKENS = ["[PLAYER]", "[TEAM]", "[COACH]", "[REFEREE]", "([TEAM])"]
COMMENTARY_VIDEO_TOKEN = "<video>"
# The video Q-Former of MatchVoice: a bert-base-sized Q-Former with 2 layers and cross-attention in every layer
# (its `encoder_hidden_size` defaults to the backbone's width). Keys not given in `qformer_config` take these values.
COMMENTARY_QFORMER_DEFAULTS = {"hidden_size": 768, "num_hidden_layers": 2, "num_attention_heads": 12,
                               "intermediate_size": 3072, "cross_attention_frequency": 1,
                               "use_qformer_text_input": False}


@strict
class SoccerMasterDetectionConfig(PreTrainedConfig):
    r"""
    Configuration of the athlete detection and identification head (Deformable-DETR decoder on F_spa).

    Defaults are the authors' released head: one feature level, no encoder, one decoder layer of width 256 with one
    attention head and 4 sampling points, FFN 1024, 300 queries, iterative box refinement, sigmoid classes
    ("person"; set `detect_ball=True` for a second "ball" class, which the authors left out).

    Args:
        hidden_size (`int`, *optional*, defaults to 256): decoder width (`d_model`).
        num_queries (`int`, *optional*, defaults to 300): object queries per frame.
        num_feature_levels (`int`, *optional*, defaults to 1): feature levels; levels beyond the first are made
            from F_spa by stride-2 3x3 convolutions (as Deformable-DETR does past its backbone's last stage).
        encoder_layers (`int`, *optional*, defaults to 0): deformable encoder layers (the paper's tracking detector: 6).
        decoder_layers (`int`, *optional*, defaults to 1): decoder layers (tracking detector: 6).
        encoder_attention_heads, decoder_attention_heads (`int`, *optional*, defaults to 1): attention heads.
        encoder_n_points, decoder_n_points (`int`, *optional*, defaults to 4): sampling points per head and level.
        encoder_ffn_dim, decoder_ffn_dim (`int`, *optional*, defaults to 1024): FFN widths.
        dropout, attention_dropout, activation_dropout (`float`, *optional*, defaults to 0.0): dropouts.
        activation_function (`str`, *optional*, defaults to `"relu"`): FFN activation.
        with_box_refine (`bool`, *optional*, defaults to `True`): iterative box refinement.
        group_norm_groups (`int`, *optional*, defaults to 32): groups of the input projection's GroupNorm.
        detect_ball (`bool`, *optional*, defaults to `False`): add "ball" as a second detection class.
        num_roles, num_jerseys, num_jersey_tens, num_jersey_units, num_teams: attribute classes (6, 101, 10, 11, 3);
            the last class of each is "none".
        role_names (`list[str]`, *optional*): the role vocabulary, `num_roles` names in logit order (default
            `ROLE_NAMES`: ball, goalkeeper, other, player, referee, none). Labels, losses and post-processing read it.
        team_names (`list[str]`, *optional*): the team vocabulary, `num_teams` names (default `TEAM_NAMES`: left,
            right, none).
        class_cost, bbox_cost, giou_cost: Hungarian matching costs (authors: 2, 5, 2).
        class_loss_coefficient, bbox_loss_coefficient, giou_loss_coefficient, role_loss_coefficient,
        jersey_loss_coefficient, jersey_tens_loss_coefficient, jersey_units_loss_coefficient, team_loss_coefficient:
            loss weights (authors: 2, 5, 2, 2, 1, 1, 1; team is ours: 1).
        focal_alpha, focal_gamma: sigmoid focal loss parameters (0.25, 2).
        auxiliary_loss (`bool`, *optional*, defaults to `True`): losses on every decoder layer.
        two_stage (`bool`, *optional*, defaults to `False`): query selection instead of learned queries (ours; the
            authors' head uses learned queries). Every F_spa token predicts objectness and a box around its own
            location (Deformable DETR's two-stage proposals); the `num_queries` best tokens start the decoder with
            their boxes as reference points and their features as content (RT-DETR's query selection). The token
            predictions get their own Hungarian loss (`enc_loss_*`). Converges far faster from scratch.
        two_stage_anchor_size (`float`, *optional*, defaults to 0.05): width and height prior of a token's proposal
            (normalised), doubled per extra feature level.
        score_threshold (`float`, *optional*, defaults to 0.5): this checkpoint's detection score threshold, used by
            `soccermaster analyze`, the held-out evaluation and the benchmarks when no threshold is given. Heads trained
            on more varied data score lower and are best cut lower; choose it on validation data, not the test set.
    """

    model_type = "soccermaster_detection"
    base_config_key = "detection_config"

    hidden_size: int = 256
    num_queries: int = 300
    num_feature_levels: int = 1
    encoder_layers: int = 0
    decoder_layers: int = 1
    encoder_attention_heads: int = 1
    decoder_attention_heads: int = 1
    encoder_n_points: int = 4
    decoder_n_points: int = 4
    encoder_ffn_dim: int = 1024
    decoder_ffn_dim: int = 1024
    dropout: float | int = 0.0
    attention_dropout: float | int = 0.0
    activation_dropout: float | int = 0.0
    activation_function: str = "relu"
    with_box_refine: bool = True
    group_norm_groups: int = 32
    detect_ball: bool = False
    num_roles: int = 6
    num_jerseys: int = 101
    num_jersey_tens: int = 10
    num_jersey_units: int = 11
    num_teams: int = 3
    class_cost: float | int = 2.0
    bbox_cost: float | int = 5.0
    giou_cost: float | int = 2.0
    class_loss_coefficient: float | int = 2.0
    bbox_loss_coefficient: float | int = 5.0
    giou_loss_coefficient: float | int = 2.0
    role_loss_coefficient: float | int = 2.0
    jersey_loss_coefficient: float | int = 1.0
    jersey_tens_loss_coefficient: float | int = 1.0
    jersey_units_loss_coefficient: float | int = 1.0
    team_loss_coefficient: float | int = 1.0
    focal_alpha: float = 0.25
    focal_gamma: float | int = 2.0
    auxiliary_loss: bool = True
    two_stage: bool = False
    two_stage_anchor_size: float = 0.05
    score_threshold: float = 0.5
    role_names: list[str] | None = None
    team_names: list[str] | None = None

    def __post_init__(self, **kwargs: Any) -> None:
        if self.role_names is None:
            self.role_names = list(ROLE_NAMES)
        if self.team_names is None:
            self.team_names = list(TEAM_NAMES)
        super().__post_init__(**kwargs)

    @property
    def jersey_names(self) -> list[str]:
        """Jersey classes in logit order: `"0"` ... `"99"` (for `num_jerseys - 1` numbers), then `"none"`."""
        return [str(number) for number in range(self.num_jerseys - 1)] + ["none"]

    @property
    def class_names(self) -> list[str]:
        return ["person", "ball"] if self.detect_ball else ["person"]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def validate_architecture(self) -> None:
        super().validate_architecture()
        if self.hidden_size % self.group_norm_groups != 0:
            raise ValueError(f"detection hidden_size ({self.hidden_size}) must be divisible by group_norm_groups "
                             f"({self.group_norm_groups}).")
        for heads in (self.encoder_attention_heads, self.decoder_attention_heads):
            if heads < 1 or self.hidden_size % heads != 0:
                raise ValueError(f"detection hidden_size ({self.hidden_size}) must be divisible by the number of "
                                 f"attention heads ({heads}).")
        if self.decoder_layers < 1 or self.num_queries < 1 or self.num_feature_levels < 1 or self.encoder_layers < 0:
            raise ValueError("detection head needs >= 1 decoder layer, query and feature level, and >= 0 encoder layers.")
        if not 0 < self.two_stage_anchor_size < 1:
            raise ValueError(f"two_stage_anchor_size must be in (0, 1), got {self.two_stage_anchor_size}.")
        if isinstance(self.score_threshold, bool) or not 0 <= self.score_threshold < 1:
            raise ValueError(f"score_threshold must be in [0, 1), got {self.score_threshold}.")
        if len(self.role_names) != self.num_roles or len(self.team_names) != self.num_teams:
            raise ValueError(f"role_names ({len(self.role_names)}) and team_names ({len(self.team_names)}) must have "
                             f"num_roles ({self.num_roles}) and num_teams ({self.num_teams}) entries.")


@strict
class SoccerMasterPitchConfig(PreTrainedConfig):
    r"""
    Configuration of the pitch registration heads (the authors' PixelShuffle upsamplers).

    Args:
        num_keypoints (`int`, *optional*, defaults to 57): pitch keypoints (plus one background channel, softmax).
        num_lines (`int`, *optional*, defaults to 23): pitch lines (plus one background channel, sigmoid); the targets
            are Gaussians at each line's two endpoints.
        stage_channels (`list[int]`, *optional*, defaults to `[768, 384, 192]`): output channels of the first
            convolution of each x2 stage, before PixelShuffle divides them by 4 (hard-coded in the authors' code).
            The number of entries sets the heatmap resolution (`upsampling_factor`): 3 (the authors') gives heatmaps at
            half the input resolution, 2 at a quarter (cheaper), 4 at the full resolution (finer peaks, ~4x the
            head's memory). `heatmap_sigma` is in heatmap pixels, so scale it with the resolution.
        batch_norm_eps (`float`, *optional*, defaults to 1e-5): BatchNorm epsilon.
        heatmap_sigma (`float`, *optional*, defaults to 2.0): Gaussian sigma of the targets, in heatmap pixels.
        keypoint_loss_coefficient, line_loss_coefficient (`float`, *optional*, defaults to 1.0): loss weights.
        heatmap_loss (`str`, *optional*, defaults to `"mse"`): `"mse"` (the authors') or `"cross_entropy"` (ours:
            soft-target cross-entropy over the keypoint softmax, binary cross-entropy on the line sigmoids). MSE
            averaged over mostly-background pixels gives the Gaussians tiny gradients; trained from scratch, the heads
            then collapse to "background everywhere" for a long time.
        heatmap_foreground_weight (`float`, *optional*, defaults to 0.0): extra weight of foreground pixels: each
            pixel's loss is multiplied by `1 + heatmap_foreground_weight * (target mass of its non-background
            channels)`.
        keypoint_threshold (`float`, *optional*, defaults to 0.1): confidence threshold of post-processing.
        keypoint_names, line_names (`list[str]`, *optional*): channel names (default: the first `num_keypoints` /
            `num_lines` of the shared pitch definitions, SoccerNet's names for the lines).
    """

    model_type = "soccermaster_pitch"
    base_config_key = "pitch_config"

    num_keypoints: int = 57
    num_lines: int = 23
    stage_channels: list[int] | tuple[int, ...] = (768, 384, 192)
    batch_norm_eps: float = 1e-5
    heatmap_sigma: float | int = 2.0
    keypoint_loss_coefficient: float | int = 1.0
    line_loss_coefficient: float | int = 1.0
    keypoint_threshold: float = 0.1
    heatmap_loss: str = "mse"
    heatmap_foreground_weight: float | int = 0.0
    keypoint_names: list[str] | None = None
    line_names: list[str] | None = None

    def __post_init__(self, **kwargs: Any) -> None:
        if self.keypoint_names is None:
            self.keypoint_names = list(KEYPOINT_NAMES[: self.num_keypoints])
        if self.line_names is None:
            self.line_names = list(LINE_CLASSES[: self.num_lines])
        super().__post_init__(**kwargs)

    @property
    def upsampling_factor(self) -> int:
        """How many heatmap pixels one patch covers along each axis (`2 ** len(stage_channels)`)."""
        return 2 ** len(self.stage_channels)

    def validate_architecture(self) -> None:
        super().validate_architecture()
        if not 2 <= len(self.stage_channels) <= 4 or any(int(c) % 4 or int(c) <= 0 for c in self.stage_channels):
            raise ValueError("stage_channels must be 2, 3 or 4 positive multiples of 4 (one PixelShuffle x2 stage "
                             f"each), got {self.stage_channels}.")
        if self.heatmap_loss not in ("mse", "cross_entropy"):
            raise ValueError(f"heatmap_loss must be 'mse' or 'cross_entropy', got {self.heatmap_loss!r}.")
        if self.heatmap_foreground_weight < 0:
            raise ValueError(f"heatmap_foreground_weight must be >= 0, got {self.heatmap_foreground_weight}.")
        if len(self.keypoint_names) != self.num_keypoints or len(self.line_names) != self.num_lines:
            raise ValueError(f"keypoint_names ({len(self.keypoint_names)}) and line_names ({len(self.line_names)}) "
                             f"must have num_keypoints ({self.num_keypoints}) and num_lines ({self.num_lines}) entries.")


@strict
class SoccerMasterEventConfig(PreTrainedConfig):
    r"""
    Configuration of the event classification head: LayerNorm -> Transformer encoder over frames -> mean -> LayerNorm
    -> Linear (the authors' "CaptionClassification").

    Args:
        num_layers (`int`, *optional*, defaults to 2): Transformer encoder layers.
        head_dim (`int`, *optional*, defaults to 64): width per attention head (heads = hidden // head_dim, as the
            authors compute them).
        ffn_multiplier (`int`, *optional*, defaults to 4): FFN width = multiplier x hidden.
        dropout (`float`, *optional*, defaults to 0.0): dropout inside the encoder.
        layer_norm_eps (`float`, *optional*, defaults to 1e-5): epsilon of all norms of the head.
        loss_coefficient (`float`, *optional*, defaults to 1.0): weight in the pre-training loss.
        label_smoothing (`float`, *optional*, defaults to 0.0): cross-entropy label smoothing.
        frame_position_embeddings (`int`, *optional*, defaults to 0): learned frame-position embeddings for clips of
            this many frames, added after the first LayerNorm (a clip of another length gets them resampled linearly
            in time). 0 is the authors' head, which has none: its encoder and mean over frames are blind to the order
            of the frames (only the backbone's temporal embedding carries it), so "ball out of play" cannot be told
            from the set piece that follows it (our option; README, *Event head*).
        head_type (`str`, *optional*, defaults to `"transformer"`): `"transformer"` is the authors' head above, on
            F_sem (one pooled vector per frame). `"grid_linear"` (our option) reads the backbone's last hidden state
            instead: each frame's patch tokens averaged on a `grid_size` x `grid_size` grid, the frames averaged into
            `time_bins` equal spans, each cell LayerNorm-ed, then one linear layer. It keeps where things are in the
            frame, which the pooled vector loses (README, *Event head*).
        grid_size (`int`, *optional*, defaults to 4): cells per side of the `"grid_linear"` head's grid.
        time_bins (`int`, *optional*, defaults to 6): time spans of the `"grid_linear"` head (a 30-frame clip: 5
            frames each).
    """

    model_type = "soccermaster_event"
    base_config_key = "event_config"

    num_layers: int = 2
    head_dim: int = 64
    ffn_multiplier: int = 4
    dropout: float | int = 0.0
    layer_norm_eps: float = 1e-5
    loss_coefficient: float | int = 1.0
    label_smoothing: float | int = 0.0
    frame_position_embeddings: int = 0
    head_type: str = "transformer"
    grid_size: int = 4
    time_bins: int = 6

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        if self.frame_position_embeddings < 0:
            raise ValueError(f"frame_position_embeddings must be >= 0, got {self.frame_position_embeddings}.")
        if self.head_type not in EVENT_HEAD_TYPES:
            raise ValueError(f"head_type must be one of {', '.join(EVENT_HEAD_TYPES)}, got {self.head_type!r}.")
        for name in ("grid_size", "time_bins"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if self.id2label is None or set(self.id2label.values()) <= {"LABEL_0", "LABEL_1"}:
            self.id2label = dict(enumerate(EVENT_KEYWORDS))
            self.label2id = {name: index for index, name in self.id2label.items()}


@strict
class SoccerMasterTrackingConfig(PreTrainedConfig):
    r"""
    Configuration of the MOTIP ID decoder ("Multiple Object Tracking as ID Prediction", Gao et al., CVPR 2025,
    github MCG-NJU/MOTIP): tracking as classifying each current detection into one of `num_ids` identities of the
    recent history, or "newborn". Defaults are MOTIP's published ones (its DanceTrack / SportsMOT configs).

    A token is the detection's decoder embedding (the detection head's last decoder layer, `detection_config.hidden_size`
    wide) concatenated with an ID embedding (`Linear(num_ids + 1 -> id_embedding_size)` on the one-hot label; the last
    label is the special token of the current detections and the "newborn" class). History features pass an adapter
    (FFN -> LayerNorm -> FFN -> LayerNorm); current ones go in raw.

    Args:
        num_ids (`int`, *optional*, defaults to 50): ID dictionary size K.
        id_embedding_size (`int`, *optional*): width of the ID embedding (default: the detection head's width, as MOTIP).
        num_layers (`int`, *optional*, defaults to 6): decoder layers (layer 0: cross-attention + FFN; later layers
            first self-attend among the frame's detections).
        num_attention_heads (`int`, *optional*, defaults to 16): heads over the token width (feature + ID).
        ffn_dim (`int`, *optional*, defaults to 1024): FFN width of the decoder layers.
        adapter_ratio (`int`, *optional*, defaults to 2): FFN ratio of the history adapter.
        dropout (`float`, *optional*, defaults to 0.0): dropout in the decoder.
        history_length (`int`, *optional*, defaults to 30): frames of history (relative-time bias length and miss
            tolerance: a track unseen this long is dropped and its label recycled).
        detection_threshold (`float`, *optional*, defaults to 0.3): detections above it go to the ID decoder.
        newborn_threshold (`float`, *optional*, defaults to 0.6): a detection starts a track only above it.
        id_threshold (`float`, *optional*, defaults to 0.2): an ID is accepted when its probability is at least this.
        assignment (`str`, *optional*, defaults to `"object-max"`): `"object-max"` (per-detection argmax; an ID claimed
            twice goes to the more confident detection, the other is newborn) or `"hungarian"` (cost 1 - p).
        num_groups (`int`, *optional*, defaults to 6): independent random ID-label permutations per training clip.
        sample_length (`int`, *optional*, defaults to 30): frames per training clip.
        max_sample_stride (`int`, *optional*, defaults to 4): training clips take every s-th frame, s in [1, this].
        trajectory_occlusion_prob (`float`, *optional*, defaults to 0.5): probability to hide a random contiguous
            span of a trajectory from the history (per group).
        trajectory_switch_prob (`float`, *optional*, defaults to 0.5): probability per frame to swap the history
            features of a random half of its objects (labels kept).
        loss_coefficient (`float`, *optional*, defaults to 1.0): weight of the ID cross-entropy.
        box_embedding (`bool`, *optional*, defaults to `True`): add a projected sine embedding of each detection's box
            (normalised cx, cy, w, h) to its feature (ours, not MOTIP's: MOTIP's DETR embeddings carry the position
            through the decoder's positional queries, ours barely do, and the players of one team look alike).
        norm_first (`bool`, *optional*, defaults to `True`): pre-norm decoder layers (ours; MOTIP's layers are
            post-norm, `False`; a final LayerNorm before the ID head slowed learning down and is left out). Measured on toy identities (K = 50, width 256, 3 layers, CPU):
            post-norm had not started copying IDs after 1,500 steps, pre-norm reached 96 % ID accuracy in 300.
    """

    model_type = "soccermaster_tracking"
    base_config_key = "tracking_config"

    num_ids: int = 50
    id_embedding_size: int | None = None
    num_layers: int = 6
    num_attention_heads: int = 16
    ffn_dim: int = 1024
    adapter_ratio: int = 2
    dropout: float | int = 0.0
    history_length: int = 30
    detection_threshold: float = 0.3
    newborn_threshold: float = 0.6
    id_threshold: float = 0.2
    assignment: str = "object-max"
    num_groups: int = 6
    sample_length: int = 30
    max_sample_stride: int = 4
    trajectory_occlusion_prob: float | int = 0.5
    trajectory_switch_prob: float | int = 0.5
    loss_coefficient: float | int = 1.0
    box_embedding: bool = True
    norm_first: bool = True

    def validate_architecture(self) -> None:
        super().validate_architecture()
        for name in ("num_ids", "num_layers", "num_attention_heads", "ffn_dim", "adapter_ratio", "history_length",
                     "num_groups", "sample_length", "max_sample_stride"):
            if getattr(self, name) < 1:
                raise ValueError(f"tracking_config.{name} must be >= 1, got {getattr(self, name)}.")
        if self.id_embedding_size is not None and self.id_embedding_size < 1:
            raise ValueError(f"tracking_config.id_embedding_size must be >= 1, got {self.id_embedding_size}.")
        if self.assignment not in ("object-max", "hungarian"):
            raise ValueError(f"tracking_config.assignment must be 'object-max' or 'hungarian', got {self.assignment!r}.")
        for name in ("detection_threshold", "newborn_threshold", "id_threshold", "trajectory_occlusion_prob",
                     "trajectory_switch_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"tracking_config.{name} must be in [0, 1], got {getattr(self, name)}.")


CONFIG_PRESETS: dict[str, tuple[dict, dict, dict]] = {
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


@strict
class SoccerMasterConfig(PreTrainedConfig):
    r"""
    Composite configuration of the SoccerMaster family.

    It holds the vision backbone's configuration and the sub-configurations the task heads and the multimodal models
    add. Sub-configs follow transformers' naming: `text_config` is the causal language model used for commentary
    generation (so generation utilities find it through `get_text_config()`), and `text_encoder_config` is the
    contrastive text tower of video-text alignment (SigLIP2's text model for the released checkpoint).

    Args:
        vision_config (`SoccerMasterVisionConfig` or `dict`, *optional*):
            The spatio-temporal backbone. Defaults to the released large model.
        detection_config (`SoccerMasterDetectionConfig` or `dict`, *optional*):
            Athlete detection and identification head.
        pitch_config (`SoccerMasterPitchConfig` or `dict`, *optional*):
            Pitch keypoint and line heads.
        event_config (`SoccerMasterEventConfig` or `dict`, *optional*):
            Event classification head; the event classes are `id2label` of this config.
        tracking_config (`SoccerMasterTrackingConfig` or `dict`, *optional*):
            MOTIP ID decoder of `SoccerMasterForMultiObjectTracking`.
        text_encoder_config (`PreTrainedConfig` or `dict`, *optional*):
            Any Hugging Face text encoder (by `model_type`, default `siglip_text_model`). `None` = no text tower.
        text_config (`PreTrainedConfig` or `dict`, *optional*):
            Causal language model for commentary generation (by `model_type`). `None` = no language model.
        qformer_config (`Blip2QFormerConfig` or `dict`, *optional*):
            The video Q-Former of commentary generation (transformers' `Blip2QFormerModel`). Keys a dict leaves out
            take `COMMENTARY_QFORMER_DEFAULTS` (MatchVoice's: 2 layers, cross-attention in every layer, width 768)
            and `encoder_hidden_size` = the backbone's width. `None` = no commentary head.
        num_query_tokens (`int`, *optional*, defaults to 32): learned Q-Former queries = visual prefix length.
        max_frame_positions (`int`, *optional*, defaults to 128): size of the learned frame position table of
            commentary generation (the longest clip, in frames).
        video_token_id (`int`, *optional*): id of `COMMENTARY_VIDEO_TOKEN` in the language model's vocabulary; the
            commentary processor writes `num_query_tokens` of them where the visual prefix goes.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the truncated-normal initialiser of freshly created head weights.
        freeze_text_encoder (`bool`, *optional*, defaults to `True`): keep the text tower frozen (the authors do).
        logit_scale_init_value, logit_bias_init_value (`float`): alignment temperature (log 10) and bias (-10).
        alignment_extra_positive_keywords (`list[str]`): keywords whose same-keyword pairs are positives.
        alignment_loss_coefficient (`float`, *optional*, defaults to 4.0): alignment weight in pre-training.
        detection_loss_coefficient (`float`, *optional*, defaults to 1.0): detection weight in pre-training (the
            detection terms carry their own weights in `detection_config`).
        num_frames (`int`, *optional*): frames per clip, mirrored from `vision_config` for pipelines.
    """

    model_type = "soccermaster"
    sub_configs_defaults = {
        "vision_config": SoccerMasterVisionConfig,
        "detection_config": SoccerMasterDetectionConfig,
        "pitch_config": SoccerMasterPitchConfig,
        "event_config": SoccerMasterEventConfig,
        "tracking_config": SoccerMasterTrackingConfig,
        "text_encoder_config": SubConfigSpec(AutoConfig, model_type="siglip_text_model", optional=True),
        "text_config": SubConfigSpec(AutoConfig, model_type="llama", optional=True),
        "qformer_config": SubConfigSpec(Blip2QFormerConfig, init_kwargs=dict(COMMENTARY_QFORMER_DEFAULTS),
                                        optional=True),
    }

    vision_config: dict | PreTrainedConfig | None = None
    detection_config: dict | PreTrainedConfig | None = None
    pitch_config: dict | PreTrainedConfig | None = None
    event_config: dict | PreTrainedConfig | None = None
    tracking_config: dict | PreTrainedConfig | None = None
    text_encoder_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    qformer_config: dict | PreTrainedConfig | None = None
    num_query_tokens: int = 32
    max_frame_positions: int = 128
    video_token_id: int | None = None
    initializer_range: float = 0.02
    freeze_text_encoder: bool = True
    logit_scale_init_value: float = 2.302585092994046
    logit_bias_init_value: float | int = -10.0
    alignment_extra_positive_keywords: list[str] | None = None
    alignment_loss_coefficient: float | int = 4.0
    detection_loss_coefficient: float | int = 1.0
    num_frames: int | None = None

    def __post_init__(self, **kwargs: Any) -> None:
        qformer_width_from_backbone = False
        if isinstance(self.qformer_config, dict):
            qformer_width_from_backbone = "encoder_hidden_size" not in self.qformer_config
            self.qformer_config = {**COMMENTARY_QFORMER_DEFAULTS, **self.qformer_config}
        super().__post_init__(**kwargs)
        if qformer_width_from_backbone:
            self.qformer_config.encoder_hidden_size = self.vision_config.hidden_size
        if self.alignment_extra_positive_keywords is None:
            self.alignment_extra_positive_keywords = list(ALIGNMENT_EXTRA_POSITIVE_KEYWORDS)
        # video pipelines read `config.num_frames`
        self.num_frames = self.vision_config.num_frames
        architecture = (self.architectures or [None])[0]
        if architecture is not None:
            self.sync_task_labels(architecture)

    def validate_architecture(self) -> None:
        """Reject a commentary head that cannot be built, with a message that says what to change."""
        super().validate_architecture()
        if self.num_query_tokens < 1 or self.max_frame_positions < 1:
            raise ValueError(f"num_query_tokens ({self.num_query_tokens}) and max_frame_positions "
                             f"({self.max_frame_positions}) must be >= 1.")
        qformer, vision = self.qformer_config, self.vision_config
        if isinstance(qformer, PreTrainedConfig) and isinstance(vision, PreTrainedConfig) and \
                qformer.encoder_hidden_size != vision.hidden_size:
            raise ValueError(f"qformer_config.encoder_hidden_size ({qformer.encoder_hidden_size}) must equal the "
                             f"backbone's hidden_size ({vision.hidden_size}): the Q-Former cross-attends to F_sem.")

    @classmethod
    def from_preset(cls, name: str, num_frames: int | None = None, **kwargs: Any) -> SoccerMasterConfig:
        """A small configuration that trains on a CPU (`CONFIG_PRESETS`: `tiny`, `small`, `default` = the shipped
        default checkpoint's), with `num_frames` frames per clip and other top-level fields from `kwargs`."""
        if name not in CONFIG_PRESETS:
            raise ValueError(f"Unknown preset {name!r}; choose from {sorted(CONFIG_PRESETS)}.")
        vision, detection, pitch = CONFIG_PRESETS[name]
        vision = {**vision, **({"num_frames": num_frames} if num_frames is not None else {})}
        return cls(vision_config=vision, detection_config=dict(detection), pitch_config=dict(pitch),
                   event_config={"num_layers": 1 if name == "tiny" else 2}, **kwargs)

    def sync_task_labels(self, architecture: str) -> None:
        """Set the top-level `id2label` / `label2id` (what transformers' pipelines read) for a model class.

        The vocabularies live in the sub-configs: the detection classes (`detection_config.class_names`) for
        `SoccerMasterForObjectDetection`, the event keywords (`event_config.id2label`) for every other class. A custom
        top-level `id2label` that is neither (transformers' fine-tuning idiom, `from_pretrained(..., id2label=...)`)
        replaces the event keywords. Applied when the config names its architecture and when a model is built.
        """
        labels = {int(index): name for index, name in (self.id2label or {}).items()}
        generic = not labels or set(labels.values()) <= {"LABEL_0", "LABEL_1"}
        detection = dict(enumerate(self.detection_config.class_names))
        if architecture == "SoccerMasterForObjectDetection":
            self.id2label = detection
        else:
            if not generic and labels != detection and labels != self.event_config.id2label:
                self.event_config.id2label = labels
                self.event_config.label2id = {name: index for index, name in labels.items()}
            self.id2label = dict(self.event_config.id2label)
        self.label2id = {name: index for index, name in self.id2label.items()}


__all__ = [
    "ALIGNMENT_EXTRA_POSITIVE_KEYWORDS",
    "COMMENTARY_PLACEHOLDER_TOKENS",
    "COMMENTARY_QFORMER_DEFAULTS",
    "COMMENTARY_VIDEO_TOKEN",
    "CONFIG_PRESETS",
    "EVENT_HEAD_TYPES",
    "EVENT_KEYWORDS",
    "SOCCERNET_V2_TO_KEYWORD",
    "ROLE_NAMES",
    "TEAM_NAMES",
    "SoccerMasterConfig",
    "SoccerMasterDetectionConfig",
    "SoccerMasterEventConfig",
    "SoccerMasterPitchConfig",
    "SoccerMasterTrackingConfig",
    "SoccerMasterVisionConfig",
]
