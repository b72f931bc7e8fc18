# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Pitch registration: keypoint and line heatmap heads on F_spa (SoccerMaster's Psi_k and Psi_l).

The authors' PixelShuffle upsampler (``models/keypoints_detection.py``, ``models/lines_detection.py``): three x2 stages
``conv3x3 -> PixelShuffle(2) -> BN -> ReLU -> conv3x3 -> BN -> ReLU`` take the patch grid to 8x its size (half the
input resolution for patch 16), then a final conv3x3. The number of stages is a resolution choice of ours
(`SoccerMasterPitchConfig.stage_channels` with 2, 3 or 4 entries: quarter, half or full input resolution;
`benchmarks/heatmap_resolution.py` measures what each costs). Keypoints: 57 + background channels, **softmax over
channels**; lines: 23 + background channels, **sigmoid**, trained on Gaussians at each line's two endpoints. Targets
are Gaussians with sigma 2 heatmap pixels; losses are MSE masked by validity (the authors'), or, as an option of ours,
cross-entropy with foreground weighting (`heatmap_loss="cross_entropy"`), which trains from scratch much faster.

Ships as Hub remote code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers.processing_utils import Unpack
from transformers.utils import ModelOutput, TransformersKwargs, can_return_tuple

from .configuration_soccermaster import SoccerMasterConfig, SoccerMasterPitchConfig
from .modeling_soccermaster import (
    SoccerMasterPreTrainedModel,
    SoccerMasterVisionModel,
    check_forward_kwargs,
    vision_extras,
)


@dataclass
class SoccerMasterPitchRegistrationOutput(ModelOutput):
    r"""
    Output of [`SoccerMasterForPitchRegistration`]. Leading axes follow the input (`(batch_size, ...)` for images,
    `(batch_size, num_frames, ...)` for clips); heatmaps are at `2**len(stage_channels) x` the patch grid (default 8x:
    half the input resolution).

    loss (`torch.FloatTensor` of shape `()`, *optional*): weighted sum of the keypoint and line losses.
    loss_dict (`dict`, *optional*): `loss_keypoints`, `loss_lines`.
    keypoint_heatmaps (`torch.FloatTensor` of shape `(..., num_keypoints + 1, heatmap_height, heatmap_width)`):
        per-pixel probabilities over the 57 keypoints and background (last channel); they sum to 1 over channels.
    line_heatmaps (`torch.FloatTensor` of shape `(..., num_lines + 1, heatmap_height, heatmap_width)`):
        independent sigmoid maps peaking at the two endpoints of each of the 23 lines; background last.
    spatial_hidden_state (`torch.FloatTensor`): F_spa from the backbone.
    hidden_states, attentions, temporal_attentions (`tuple(torch.FloatTensor)`, *optional*): the backbone's, when
        `output_hidden_states=True` / `output_attentions=True`.
    """

    loss: torch.FloatTensor | None = None
    loss_dict: dict | None = None
    keypoint_heatmaps: torch.FloatTensor | None = None
    line_heatmaps: torch.FloatTensor | None = None
    spatial_hidden_state: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    temporal_attentions: tuple[torch.FloatTensor, ...] | None = None


class SoccerMasterPixelShuffleHead(nn.Module):
    """The authors' PixelShuffle upsampler (x8: three stages; 2 or 4 stages as a resolution choice, see
    `SoccerMasterPitchConfig.stage_channels`); `activation` is `"softmax"` (keypoints) or `"sigmoid"` (lines)."""

    def __init__(self, config: SoccerMasterPitchConfig, in_channels: int, out_channels: int, activation: str):
        super().__init__()
        eps = config.batch_norm_eps
        widths = [int(c) for c in config.stage_channels]

        def stage(in_ch: int, wide: int, out_ch: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(in_ch, wide, kernel_size=3, padding=1),
                nn.PixelShuffle(2),
                nn.BatchNorm2d(wide // 4, eps=eps),
                nn.ReLU(inplace=True),
                nn.Conv2d(wide // 4, out_ch, kernel_size=3, padding=1),
                nn.BatchNorm2d(out_ch, eps=eps),
                nn.ReLU(inplace=True),
            )

        # stage i: widths[i] channels before PixelShuffle, widths[i + 1] // 4 after (the last stage: out_channels);
        # named stage1, stage2, ... as in the authors' checkpoints (which have three)
        inputs = [in_channels] + [w // 4 for w in widths[:-1]]
        outputs = [w // 4 for w in widths[:-1]] + [out_channels]
        self.num_stages = len(widths)
        for index, (in_ch, wide, out_ch) in enumerate(zip(inputs, widths, outputs), start=1):
            setattr(self, f"stage{index}", stage(in_ch, wide, out_ch))
        self.final_conv = nn.Sequential(nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1))
        if activation not in ("softmax", "sigmoid"):
            raise ValueError(f"activation must be 'softmax' or 'sigmoid', got {activation!r}")
        self.activation = activation

    def forward(self, spatial_features: torch.Tensor) -> torch.Tensor:
        """`(images, patches, channels)` -> `(images, out_channels, 2**stages * grid, 2**stages * grid)` probabilities."""
        num_images, num_patches, channels = spatial_features.shape
        side = int(round(num_patches**0.5))
        if side * side != num_patches:
            raise ValueError(f"F_spa has {num_patches} tokens per frame, not a square grid.")
        # (images, patches, channels) -> (images, channels, grid, grid), row-major tokens
        grid = spatial_features.transpose(1, 2).reshape(num_images, channels, side, side)
        for index in range(1, self.num_stages + 1):
            grid = getattr(self, f"stage{index}")(grid)
        logits = self.final_conv(grid)
        return logits.softmax(dim=1) if self.activation == "softmax" else logits.sigmoid()


def gaussian_heatmaps(
    points: torch.Tensor, valid: torch.Tensor, height: int, width: int, sigma: float, out: torch.Tensor | None = None
) -> torch.Tensor:
    """Gaussian targets: `points` `(images, channels, k, 2)` in heatmap pixels (x, y), `valid` `(images, channels, k)`.

    Channel maps are the maximum over their `k` Gaussians (unnormalised peak 1); invalid points contribute nothing.
    The Gaussian is separable, `exp(-dx^2 / 2s^2) * exp(-dy^2 / 2s^2)`: two 1-D profiles and one outer product per
    point instead of an exponential per pixel; the maps are written into `out` `(images, channels, height, width)`
    when given (no intermediate `(images, channels, k, height, width)` stack: the maximum is taken point by point).
    """
    ys = torch.arange(height, device=points.device, dtype=points.dtype)
    xs = torch.arange(width, device=points.device, dtype=points.dtype)
    scale = -1.0 / (2 * sigma**2)
    profile_x = torch.exp((xs - points[..., 0, None]) ** 2 * scale)  # (images, channels, k, width)
    profile_y = torch.exp((ys - points[..., 1, None]) ** 2 * scale)  # (images, channels, k, height)
    profile_y = profile_y * valid[..., None].to(profile_y.dtype)
    if out is None:
        out = torch.empty((*points.shape[:2], height, width), device=points.device, dtype=points.dtype)
    torch.mul(profile_y[:, :, 0, :, None], profile_x[:, :, 0, None, :], out=out)
    for k in range(1, points.shape[2]):
        torch.maximum(out, profile_y[:, :, k, :, None] * profile_x[:, :, k, None, :], out=out)
    return out


def _frame_labels(labels, count: int) -> list[dict]:
    if len(labels) and isinstance(labels[0], (list, tuple)):
        labels = [frame for clip in labels for frame in clip]
    if len(labels) != count:
        raise ValueError(f"Got {len(labels)} label dicts for {count} frames (one dict per frame).")
    return list(labels)


def pitch_targets(
    labels, count: int, num_keypoints: int, num_lines: int, height: int, width: int, sigma: float, device
) -> dict[str, torch.Tensor]:
    """Target heatmaps and masks from per-frame labels.

    Each label dict may hold `keypoints` `(num_keypoints, 2)` and `keypoint_visibility` `(num_keypoints,)`, and
    `lines` `(num_lines, 2, 2)` endpoints with `line_visibility` `(num_lines,)`; coordinates are normalised to [0, 1]
    of the model input (x right, y down). Points outside the image are treated as not visible. Optional
    `keypoint_mask` / `line_mask` (`False` = unknown, excluded from the loss) and `valid` (whole frame) flags.
    """
    frames = _frame_labels(labels, count)
    out = {
        "keypoints": torch.zeros(count, num_keypoints + 1, height, width, device=device),
        "keypoint_mask": torch.zeros(count, num_keypoints + 1, device=device),
        "lines": torch.zeros(count, num_lines + 1, height, width, device=device),
        "line_mask": torch.zeros(count, num_lines + 1, device=device),
        "has_keypoints": torch.zeros(count, dtype=torch.bool, device=device),
        "has_lines": torch.zeros(count, dtype=torch.bool, device=device),
    }
    scale = torch.tensor([width, height], dtype=torch.float32, device=device)
    kinds = (("keypoints", num_keypoints, (num_keypoints, 1, 2)), ("lines", num_lines, (num_lines, 2, 2)))
    # validated points of every frame (frames without a kind keep invalid points), then one Gaussian pass per kind
    points = {kind: torch.full((count, *shape), -1.0, device=device) for kind, _, shape in kinds}
    valid = {kind: torch.zeros((count, *shape[:2]), dtype=torch.bool, device=device) for kind, _, shape in kinds}
    for index, label in enumerate(frames):
        if not isinstance(label, dict):
            raise ValueError(f"labels[{index}] must be a dict, got {type(label).__name__}.")
        frame_valid = bool(label.get("valid", True))
        for kind, number, shape in kinds:
            singular = kind[:-1]
            if label.get(kind) is None or not frame_valid:
                continue
            coords = torch.as_tensor(label[kind], dtype=torch.float32, device=device)
            if coords.numel() != number * shape[1] * 2:
                expected = (number, 2) if kind == "keypoints" else (number, 2, 2)
                raise ValueError(f"labels[{index}]['{kind}'] must have shape {expected}, got {tuple(coords.shape)}.")
            coords = coords.reshape(shape)
            visibility = label.get(f"{singular}_visibility")
            visible = (torch.ones(number, dtype=torch.bool, device=device) if visibility is None
                       else torch.as_tensor(visibility, device=device).reshape(number).bool())
            finite = torch.isfinite(coords).all(-1)
            if bool((visible[:, None] & ~finite).any()):
                raise ValueError(f"labels[{index}]['{kind}'] has NaN/inf coordinates for visible entries.")
            coords = torch.nan_to_num(coords, nan=-1.0, posinf=-1.0, neginf=-1.0)
            inside = finite & (coords >= 0).all(-1) & (coords <= 1).all(-1)
            valid[kind][index] = visible[:, None] & inside
            points[kind][index] = coords * scale - 0.5  # continuous [0, 1] -> heatmap pixel centres
            mask = label.get(f"{singular}_mask")
            channel_mask = (torch.ones(number, device=device) if mask is None
                            else torch.as_tensor(mask, device=device, dtype=torch.float32).reshape(number))
            out[f"{singular}_mask"][index, :number] = channel_mask
            out[f"{singular}_mask"][index, number] = 1.0
            out[f"has_{kind}"][index] = True
    for kind, number, _ in kinds:
        present = out[f"has_{kind}"]
        if not bool(present.any()):
            continue
        every = bool(present.all())  # the usual case: written in place, no copy of the maps
        maps = out[kind] if every else out[kind].new_zeros((int(present.sum()), number + 1, height, width))
        gaussian_heatmaps(points[kind] if every else points[kind][present], valid[kind] if every else
                          valid[kind][present], height, width, sigma, out=maps[:, :number])
        background = maps[:, number]  # 1 - (sum of the keypoints / max of the lines), at least 0
        (torch.sum if kind == "keypoints" else torch.amax)(maps[:, :number], dim=1, out=background)
        background.neg_().add_(1).clamp_(min=0)
        if not every:
            out[kind][present] = maps
    return out


def masked_heatmap_mse(prediction: torch.Tensor, target: torch.Tensor, channel_mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the pixels of the unmasked channels (0 when nothing is supervised).

    Squared errors are summed per channel by one fused kernel (`mse_loss`, its backward one pass too) and the channel
    mask weighs the per-channel sums: the authors' masked mean, at a third of the memory traffic of weighting every
    pixel."""
    denominator = channel_mask.sum() * prediction.shape[-1] * prediction.shape[-2]
    if denominator == 0:
        return prediction.sum() * 0.0
    dtype = torch.promote_types(prediction.dtype, target.dtype)  # as `prediction - target` would (bf16 autocast)
    per_channel = nn.functional.mse_loss(prediction.to(dtype), target.to(dtype), reduction="none").sum((-2, -1))
    return (per_channel * channel_mask).sum() / denominator


def _pixel_weights(target: torch.Tensor, foreground_weight: float) -> torch.Tensor:
    """`(images, 1, h, w)` weights `1 + foreground_weight * foreground mass` of each target pixel (the background
    channel is the last one, for keypoints and lines alike)."""
    if foreground_weight == 0:
        return torch.ones_like(target[:, :1])
    return 1.0 + float(foreground_weight) * target[:, :-1].sum(1, keepdim=True).clamp(0, 1)


def heatmap_cross_entropy(prediction: torch.Tensor, target: torch.Tensor, channel_mask: torch.Tensor,
                          softmax: bool, foreground_weight: float = 0.0) -> torch.Tensor:
    """Cross-entropy of probability heatmaps against soft targets, averaged over pixels (0 when nothing is supervised).

    `softmax=True` (keypoints): `-sum_c mask_c * t_c * log p_c` per pixel (the channels are one distribution);
    `softmax=False` (lines): binary cross-entropy per channel. Pixels are weighted by `1 + foreground_weight *
    foreground mass` of the target; frames whose channels are all masked contribute nothing.
    """
    weights = channel_mask[..., None, None]
    frames = (channel_mask.sum(-1) > 0).to(prediction.dtype)
    denominator = frames.sum() * prediction.shape[-1] * prediction.shape[-2]
    if denominator == 0:
        return prediction.sum() * 0.0
    pixel_weights = _pixel_weights(target, foreground_weight)
    if softmax:
        per_pixel = -(weights * target * torch.log(prediction.clamp_min(1e-30))).sum(1, keepdim=True)
    else:
        bce = nn.functional.binary_cross_entropy(prediction.float(), target.float(), reduction="none")
        per_pixel = (weights * bce).sum(1, keepdim=True) / channel_mask.sum(-1).clamp_min(1)[:, None, None, None]
    return (per_pixel * pixel_weights).sum() / denominator


def pitch_heatmap_losses(keypoints: torch.Tensor, lines: torch.Tensor, targets: dict, pitch_config
                         ) -> dict[str, torch.Tensor]:
    """`{"loss_keypoints", "loss_lines"}` with the configured `heatmap_loss` (see `SoccerMasterPitchConfig`)."""
    if pitch_config.heatmap_loss == "cross_entropy":
        weight = float(pitch_config.heatmap_foreground_weight)
        return {
            "loss_keypoints": heatmap_cross_entropy(keypoints, targets["keypoints"], targets["keypoint_mask"], True,
                                                    weight),
            "loss_lines": heatmap_cross_entropy(lines, targets["lines"], targets["line_mask"], False, weight),
        }
    return {
        "loss_keypoints": masked_heatmap_mse(keypoints, targets["keypoints"], targets["keypoint_mask"]),
        "loss_lines": masked_heatmap_mse(lines, targets["lines"], targets["line_mask"]),
    }


class SoccerMasterForPitchRegistration(SoccerMasterPreTrainedModel):
    """SoccerMaster backbone (spatial layers) + pitch keypoint and line heatmap heads."""

    config_class = SoccerMasterConfig

    def __init__(self, config: SoccerMasterConfig):
        super().__init__(config)
        pitch = config.pitch_config
        self.vision_model = SoccerMasterVisionModel(config.vision_config)
        hidden = config.vision_config.hidden_size
        self.keypoint_head = SoccerMasterPixelShuffleHead(pitch, hidden, pitch.num_keypoints + 1, "softmax")
        self.line_head = SoccerMasterPixelShuffleHead(pitch, hidden, pitch.num_lines + 1, "sigmoid")
        self.post_init()

    @property
    def keypoint_names(self) -> list[str]:
        """Names of the keypoint channels (background excluded), from the config."""
        return list(self.config.pitch_config.keypoint_names)

    @property
    def line_names(self) -> list[str]:
        """Names of the line channels (background excluded), from the config."""
        return list(self.config.pitch_config.line_names)

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: list[dict] | None = None,
        spatial_hidden_state: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> SoccerMasterPitchRegistrationOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor`): `(batch_size, 3, H, W)` or `(batch_size, num_frames, 3, H, W)`.
            labels (`list[dict]`, *optional*): one dict per frame; see [`pitch_targets`].
            spatial_hidden_state (`torch.FloatTensor`, *optional*): precomputed F_spa instead of `pixel_values`.
        """
        check_forward_kwargs(self, kwargs)
        spatial_hidden_state, vision_outputs = self._spatial_features(pixel_values, spatial_hidden_state, **kwargs)
        return pitch_output(self.keypoint_head, self.line_head, self.config.pitch_config, spatial_hidden_state,
                            labels, vision_outputs)


def pitch_output(
    keypoint_head: SoccerMasterPixelShuffleHead,
    line_head: SoccerMasterPixelShuffleHead,
    pitch: SoccerMasterPitchConfig,
    spatial_hidden_state: torch.Tensor,
    labels: list | None = None,
    vision_outputs: ModelOutput | None = None,
) -> SoccerMasterPitchRegistrationOutput:
    """Run both pitch heads on F_spa `(..., num_patches, hidden)` (cast to the heads' dtype) and return the typed
    output with the input's leading axes and the loss when `labels` are given."""
    leading = spatial_hidden_state.shape[:-2]
    flat = spatial_hidden_state.reshape(-1, *spatial_hidden_state.shape[-2:])
    keypoints = keypoint_head(flat.to(keypoint_head.final_conv[0].weight.dtype))
    lines = line_head(flat.to(line_head.final_conv[0].weight.dtype))
    loss = loss_dict = None
    if labels is not None:
        height, width = keypoints.shape[-2:]
        targets = pitch_targets(labels, keypoints.shape[0], pitch.num_keypoints, pitch.num_lines, height, width,
                                float(pitch.heatmap_sigma), keypoints.device)
        loss_dict = pitch_heatmap_losses(keypoints, lines, targets, pitch)
        loss = (pitch.keypoint_loss_coefficient * loss_dict["loss_keypoints"]
                + pitch.line_loss_coefficient * loss_dict["loss_lines"])
    return SoccerMasterPitchRegistrationOutput(
        loss=loss,
        loss_dict=loss_dict,
        keypoint_heatmaps=keypoints.reshape(*leading, *keypoints.shape[1:]),
        line_heatmaps=lines.reshape(*leading, *lines.shape[1:]),
        spatial_hidden_state=spatial_hidden_state,
        **vision_extras(vision_outputs),
    )


__all__ = [
    "SoccerMasterForPitchRegistration",
    "SoccerMasterPitchRegistrationOutput",
    "SoccerMasterPixelShuffleHead",
    "gaussian_heatmaps",
    "pitch_output",
    "heatmap_cross_entropy",
    "pitch_heatmap_losses",
    "pitch_targets",
]
