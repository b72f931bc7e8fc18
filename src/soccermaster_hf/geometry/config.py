"""Settings of the calibration solver (:class:`SolverConfig`), shared by the residual model and the calibrator."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["SolverConfig"]


@dataclass
class SolverConfig:
    """Settings of :class:`CameraCalibrator`.

    Attributes:
        loss, loss_scale_px: robust loss of ``least_squares`` and its soft threshold in pixels. The first refinement
            is least squares (fast); the robust loss is used when a class's largest residual exceeds
            ``ransac_threshold_px`` (possible outliers).
        estimate_distortion: also estimate radial distortion ``k1`` (on by default: broadcast lenses bend lines by
            several pixels at the image border, the largest error source on WorldCup 2014).
        roll_sigma_deg: standard deviation of the zero-roll prior (``None`` disables it).
        ransac_threshold_px: a class whose largest residual exceeds this after the first fit triggers the robust
            refit and class RANSAC.
        max_rms_px: a solution with a larger RMS residual is reported as ``inconsistent_observations``.
        min_focal_factor, max_focal_factor: focal-length bounds as multiples of the image width.
        prefer_main_side: return the main-side solution when the observed labels are mirror-symmetric.
        max_nfev: cap on residual evaluations per refinement (converged solutions need 10-30).
        absent_class_margin_px: push pitch elements that are *not* observed out of the image when they enter it by
            at most this many pixels (annotators skip elements that only touch the border). 0 disables it.
        free_principal_point, principal_point_sigma_px: also estimate the principal point, with a Gaussian prior
            around the image centre.
        free_aspect, aspect_sigma: also estimate ``fy / fx`` (log-ratio prior ``aspect_sigma``).
        tolerance: ``ftol = xtol = gtol`` of ``least_squares``.
        good_rms_px: an RMS residual below this ends the search over starting cameras.
        max_extent_error_px: the residuals measure distances to infinite lines and full circles; a final check
            measures, as the SoccerNet metric does, the distance of every observed point to the *projected, clipped*
            element, and reports ``inconsistent_observations`` when one exceeds this (points far beyond a segment's
            end or on the unpainted part of a penalty arc, e.g. a centre circle + penalty arc view that the line
            residuals alone cannot pin down). ``0`` disables the check.
        keypoint_ransac_px: with 5 or more ground keypoints, fit a pitch-to-image homography to them with OpenCV's
            RANSAC at this reprojection threshold (pixels, scaled by image width / 960) first and drop the keypoints
            it rejects (reported in ``outlier_classes`` as ``"keypoint <index>"``). Predicted keypoints with a wrong
            identity otherwise pull every camera off (the class RANSAC only samples line classes). ``0`` disables it.
        robust_search: when the best camera fails the checks (``inconsistent_observations``), or leaves a class
            further than ``ransac_threshold_px`` from it, hypothesise-and-verify over classes: solve again without
            each class (then each pair, up to ``max_dropped_classes``), and accept the subset whose camera passes
            every check, fits its classes to ``verify_px`` and contradicts the dropped ones (wrong or misplaced
            annotations are dropped and reported in ``outlier_classes`` instead of the frame being refused).
            ``None`` (the default) means on in :meth:`CameraCalibrator.calibrate` and off in
            :func:`calibrate_predicted`: on a model's predictions (many noisy classes, each a little off) it was
            measured to cost 25x the time for no gain (docs/geometry.md); pass ``True`` to force it.
        max_dropped_classes: the most classes the search may drop (1 or 2; 0 turns the search off).
        verify_px: a kept class whose largest distance to its projected element exceeds this does not verify.
        shot_smoothness: weight of the acceleration penalty of :func:`~soccermaster_hf.geometry.temporal.refine_shot`
            (the joint refinement of a shot's cameras): an image acceleration of ``a`` px per frame² adds a residual of
            ``shot_smoothness * a`` px; ``0`` keeps only the shared camera centre.
    """

    loss: str = "soft_l1"
    loss_scale_px: float = 1.5
    estimate_distortion: bool = True
    roll_sigma_deg: float | None = 10.0
    ransac_threshold_px: float = 12.0
    max_rms_px: float = 20.0
    min_focal_factor: float = 0.2
    max_focal_factor: float = 50.0
    prefer_main_side: bool = True
    max_nfev: int = 60
    absent_class_margin_px: float = 0.0
    free_principal_point: bool = False
    principal_point_sigma_px: float = 20.0
    free_aspect: bool = False
    aspect_sigma: float = 0.02
    tolerance: float = 1e-6
    good_rms_px: float = 6.0
    max_extent_error_px: float = 30.0
    keypoint_ransac_px: float = 15.0
    robust_search: bool | None = None
    max_dropped_classes: int = 2
    verify_px: float = 12.0
    shot_smoothness: float = 1.0

    def __post_init__(self) -> None:
        if not (isinstance(self.max_dropped_classes, int) and 0 <= self.max_dropped_classes <= 2):
            raise ValueError(f"max_dropped_classes must be 0, 1 or 2, got {self.max_dropped_classes!r}")
        if not self.verify_px > 0:
            raise ValueError(f"verify_px must be > 0, got {self.verify_px!r}")
        if not (isinstance(self.shot_smoothness, (int, float)) and math.isfinite(self.shot_smoothness)
                and self.shot_smoothness >= 0):
            raise ValueError(f"shot_smoothness must be a finite number >= 0, got {self.shot_smoothness!r}")
        if self.robust_search not in (None, True, False):
            raise ValueError(f"robust_search must be None, True or False, got {self.robust_search!r}")
