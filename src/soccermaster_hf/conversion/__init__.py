"""Checkpoint converters (authors release, SigLIP/SigLIP2 initialisation)."""
