"""Training: multi-task pre-training with Accelerate (resumable), the authors' optimiser groups and clipping."""

from .optim import clip_gradients_per_module, optimizer_parameter_groups

__all__ = ["clip_gradients_per_module", "optimizer_parameter_groups"]
