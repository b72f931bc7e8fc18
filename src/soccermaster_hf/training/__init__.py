"""Training: multi-task pre-training with Accelerate (resumable), PEFT helpers."""
