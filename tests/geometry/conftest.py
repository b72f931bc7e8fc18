"""Fixtures of the geometry tests."""

from __future__ import annotations

import pytest

from soccermaster_hf.utils.shared import shared_path


@pytest.fixture
def wc14_dir():
    """``shared/data/real/calibration`` (WorldCup 2014 annotations and PnLCalib cameras); skips when absent."""
    path = shared_path("data", "real", "calibration")
    if path is None or not (path / "wc14_test_gt_lines").is_dir():
        pytest.skip("shared/data/real/calibration is not available (set SOCCERMASTER_SHARED)")
    return path
