"""Data loading and augmentation for SoccerMaster training."""
