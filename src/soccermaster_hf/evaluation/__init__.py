"""Evaluation on held-out data (detection AP, attributes, keypoints, calibration)."""
