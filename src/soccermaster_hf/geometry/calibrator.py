"""Camera calibration from pitch observations: starting cameras, non-linear refinement, outliers, checks.

Pipeline (:class:`CameraCalibrator`):

1. **Constraints.** Straight ground elements give point-on-line constraints, goal posts/crossbars give point-on-3-D
   segment constraints, circles give point-on-circle constraints, keypoints give point correspondences. With 5 or
   more ground keypoints, those a RANSAC homography rejects are dropped first
   (:func:`~soccermaster_hf.geometry.homography.keypoint_ransac_outliers`).
2. **Starting cameras** (:mod:`soccermaster_hf.geometry.initialisation`): decompositions of DLT homographies of the
   lines and keypoints (tier 0), then of circle-based constructions (tier 1); broadcast-camera priors when these give
   no good fit; or the caller's ``initial_camera`` (previous frame of a video). The starts are scored in one batched
   residual evaluation and the best are refined.
3. **Refinement** of focal length, rotation, position and radial distortion ``k1`` (optionally principal point and
   aspect) with ``scipy.optimize.least_squares`` (trust-region reflective, bounded) over the residuals of
   :class:`~soccermaster_hf.geometry.residuals.ResidualModel` (pixels) and a weak zero-roll prior. The first fit is
   plain least squares; if a class is off by more than ``ransac_threshold_px`` the fit is redone with a robust loss
   (``soft_l1``), far-off items next to a consistent majority are dropped, and classes are chosen by RANSAC over
   4-line subsets (Fischler & Bolles 1981); rejected items are reported in :attr:`CalibrationResult.outlier_classes`.
4. **Hypothesise and verify over classes** (``SolverConfig.robust_search``). When the best camera is refused, or
   leaves an observed class more than ``verify_px`` from its projected element, the frame is solved again without each
   class (most suspicious first), then without each pair of the most suspicious; the first subset whose camera passes
   every check, fits every kept class and contradicts every dropped one is taken (points of a dropped class that this
   camera explains are given back). A mislabelled or misplaced annotation is dropped instead of the frame refused.
5. **Mirror ambiguity.** When every observed class is its own mirror image ("Middle line", "Circle central"), the
   labels cannot tell the two sides apart; the solution with the camera on the main (``y > 0``) side is returned.
6. **Checks.** A rank test on the Jacobian rejects under-determined configurations (e.g. parallel lines only,
   ``degenerate_geometry``); an RMS residual above ``max_rms_px``, or an observed point far from its projected,
   clipped element (:func:`~soccermaster_hf.geometry.residuals.extent_errors`), gives ``inconsistent_observations``.

Every failure is returned as a :class:`CalibrationFailure` with a :class:`FailureReason` and a message; no numpy/scipy
exception escapes :meth:`CameraCalibrator.calibrate`. :func:`calibrate_predicted` adds the keypoint / line fallback for
a model's predictions.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
import warnings
from collections.abc import Iterable

import numpy as np
from scipy.optimize import least_squares

from soccermaster_hf.geometry.camera import Camera, mirror_camera
from soccermaster_hf.geometry.config import SolverConfig
from soccermaster_hf.geometry.homography import (
    camera_from_homography,
    homography_from_constraints,
    keypoint_ransac_outliers,
)
from soccermaster_hf.geometry.initialisation import candidate_homographies, homography_cameras, prior_cameras
from soccermaster_hf.geometry.metric import distance_to_polyline, project_pitch_polylines
from soccermaster_hf.geometry.observations import PitchObservations
from soccermaster_hf.geometry.pitch import PitchModel
from soccermaster_hf.geometry.residuals import ResidualModel, clip_inside, extent_errors
from soccermaster_hf.geometry.results import (
    CalibrationFailure,
    CalibrationResult,
    FailureReason,
    Initialisation,
    ObservationSubset,
)
from soccermaster_hf.modeling.pitch_definitions import CIRCLE_CLASSES, GROUND_LINE_CLASSES, MIRROR_CLASS

__all__ = ["CameraCalibrator", "calibrate", "calibrate_predicted"]


class CameraCalibrator:
    """Calibrate broadcast cameras from :class:`PitchObservations` (see the module docstring for the method)."""

    def __init__(self, config: SolverConfig | None = None, pitch: PitchModel | None = None):
        self.config = config or SolverConfig()
        self.pitch = pitch or PitchModel()

    # ------------------------------------------------------------------------------------------------ public API
    def calibrate(self, observations: PitchObservations, initial_camera: Camera | None = None) -> CalibrationResult:
        """Calibrate one frame; never raises for bad input (returns a result with ``failure``).

        ``initial_camera`` (e.g. the previous frame's camera of a video): refined first; when it fits the observations
        to ``good_rms_px`` the search over homographies and priors is skipped
        (``initialisation=Initialisation.PREVIOUS_FRAME``), which makes video calibration several times faster. All
        the checks of a full solve still apply.
        """
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                result = self._calibrate(observations, initial_camera)
        except Exception as error:  # noqa: BLE001 - the contract is "explicit failure objects, never an exception"
            result = self._fail(FailureReason.INTERNAL_ERROR, f"{type(error).__name__}: {error}")
        result.time_ms = (time.perf_counter() - start) * 1000.0
        result.source = observations.source
        return result

    def calibrate_batch(self, batch: Iterable[PitchObservations]) -> list[CalibrationResult]:
        """:meth:`calibrate` for each frame of ``batch`` (independent frames)."""
        return [self.calibrate(obs) for obs in batch]

    # ------------------------------------------------------------------------------------------------ internals
    @staticmethod
    def _fail(
        reason: FailureReason, message: str, rms_px: float = math.nan, class_errors: dict[str, float] | None = None
    ) -> CalibrationResult:
        return CalibrationResult(None, CalibrationFailure(reason, message), rms_px=rms_px,
                                 class_errors=class_errors or {})

    @classmethod
    def _refuse(cls, message: str, rms_px: float, class_errors: dict[str, float], camera: Camera) -> CalibrationResult:
        """``inconsistent_observations``, keeping the refused camera in ``rejected_camera``."""
        result = cls._fail(FailureReason.INCONSISTENT_OBSERVATIONS, message, rms_px, class_errors)
        result.rejected_camera = camera
        return result

    def _check_input(self, obs: PitchObservations) -> CalibrationResult | None:
        width, height = obs.image_size
        if not (width > 1 and height > 1):
            return self._fail(FailureReason.EMPTY_INPUT, f"invalid image size {obs.image_size}")
        if not obs.lines and not obs.keypoints:
            skipped = f" (skipped: {obs.skipped})" if obs.skipped else ""
            return self._fail(FailureReason.EMPTY_INPUT, f"no usable observation{skipped}")
        for name, pts in obs.lines.items():
            if pts.ndim != 2 or pts.shape[1] != 2 or not np.all(np.isfinite(pts)):
                return self._fail(FailureReason.EMPTY_INPUT, f"class {name!r}: points must be a finite (N, 2) array")
        # constraint count: 7 unknowns (f, rotation, position)
        n_eq = 0
        for name, pts in obs.lines.items():
            n_eq += min(len(pts), 2) if name not in CIRCLE_CLASSES else min(len(pts), 5)
        n_eq += 2 * len(obs.keypoints)
        if n_eq < 7:
            return self._fail(
                FailureReason.TOO_FEW_CONSTRAINTS,
                f"{n_eq} independent equations from classes {sorted(obs.lines)} and {len(obs.keypoints)} keypoints; "
                "at least 7 are needed (e.g. 4 non-parallel lines)",
            )
        return None

    def _best_starts(self, problem: ResidualModel, cameras: list[Camera], keep: int) -> list[np.ndarray]:
        """Score starting cameras in one batched residual evaluation and keep the ``keep`` best."""
        if not cameras:
            return []
        lower, upper = problem.bounds()
        xb = np.stack([clip_inside(problem.vector(c), lower, upper) for c in cameras])
        res = problem.residuals_batch(xb)
        z = (res / self.config.loss_scale_px) ** 2
        cost = np.sum(2 * (np.sqrt(1 + z) - 1), axis=1)  # soft-l1
        order = np.argsort(cost)[:keep]
        return [xb[i] for i in order if np.isfinite(cost[i])]

    def _refine(
        self, problem: ResidualModel, camera: Camera, max_nfev: int, loss: str | None = None
    ) -> tuple[np.ndarray, float]:
        """Refine a camera with ``scipy.optimize.least_squares`` (trust-region reflective, bounded, robust loss)."""
        cfg = self.config
        x0 = problem.vector(camera)
        lower, upper = problem.bounds()
        x0 = clip_inside(x0, lower, upper)
        sol = least_squares(
            problem.residuals,
            x0,
            bounds=(lower, upper),
            loss=loss or cfg.loss,
            f_scale=cfg.loss_scale_px,
            x_scale="jac",
            max_nfev=max_nfev,
            method="trf",
            jac=problem.jacobian,
            ftol=cfg.tolerance,
            xtol=cfg.tolerance,
            gtol=cfg.tolerance,
        )
        return sol.x, float(sol.cost)

    def _keypoint_inliers(self, obs: PitchObservations) -> tuple[PitchObservations, list[str]]:
        """``obs`` without the ground keypoints that a RANSAC homography rejects (see ``keypoint_ransac_px``)."""
        threshold = self.config.keypoint_ransac_px * obs.image_size[0] / 960.0
        dropped = [f"keypoint {i}" for i in keypoint_ransac_outliers(self.pitch.keypoints(), obs.keypoints, threshold)]
        return (obs.without(dropped), dropped) if dropped else (obs, [])

    def _initial_solution(
        self, obs: PitchObservations, problem: ResidualModel, classes: list[str], initial_camera: Camera | None,
        quick: bool = False,
    ) -> tuple[np.ndarray | None, Initialisation]:
        """The best refined start: the initial camera, homography decompositions, then broadcast priors (with
        ``quick``, the best start of each homography tier only, and priors only when there is no homography)."""
        cfg = self.config
        init = Initialisation.HOMOGRAPHY
        best_x, best_cost = None, math.inf
        if initial_camera is not None:
            x, cost = self._refine(problem, initial_camera, cfg.max_nfev, loss="linear")
            if np.all(np.isfinite(x)) and problem.rms(x) <= cfg.good_rms_px:
                best_x, best_cost, init = x, cost, Initialisation.PREVIOUS_FRAME
        for tier in (0, 1) if best_x is None else ():
            cams = [
                c for h in candidate_homographies(obs, self.pitch, classes, tier) for c in homography_cameras(obs, h, cfg)
            ]
            for x0 in self._best_starts(problem, cams, keep=1 if quick else 2):
                x, cost = self._refine(problem, problem.camera(x0), cfg.max_nfev, loss="linear")
                if cost < best_cost:
                    best_x, best_cost = x, cost
                if problem.rms(x) < cfg.good_rms_px:
                    break
            if best_x is not None and problem.rms(best_x) <= cfg.good_rms_px:
                break
        if best_x is None or (
            not quick and init is not Initialisation.PREVIOUS_FRAME and problem.rms(best_x) > cfg.good_rms_px
        ):
            # no homography, or a poor fit: search from broadcast priors
            for x0 in self._best_starts(problem, prior_cameras(obs, self.pitch, classes), keep=3):
                x, cost = self._refine(problem, problem.camera(x0), cfg.max_nfev, loss="linear")
                if cost < best_cost:
                    best_x, best_cost, init = x, cost, Initialisation.PRIOR_SEARCH
        return best_x, init

    def _calibrate(self, obs: PitchObservations, initial_camera: Camera | None = None) -> CalibrationResult:
        report: dict = {}
        result = self._solve(obs, initial_camera, report=report)
        cfg = self.config
        if cfg.robust_search is False or cfg.max_dropped_classes <= 0 or not obs.lines:
            return result
        if result.success:
            if self._unverified(result, obs, report.get("extents")) is None:
                return result
        elif result.failure.reason not in (FailureReason.INCONSISTENT_OBSERVATIONS, FailureReason.NO_VALID_CAMERA):
            return result
        found = self._search_classes(obs, initial_camera, result)
        return found if found is not None else result

    # ------------------------------------------------------------------------------------- hypothesise and verify
    def _unverified(
        self, result: CalibrationResult, obs: PitchObservations, extents: dict[str, float] | None = None
    ) -> str | None:
        """The worst kept class that is further than ``verify_px`` from the result's camera, or ``None``.
        ``extents``: the kept classes' ``extent_errors`` when the solve already measured them."""
        if extents is None:
            kept = [c for c in obs.lines if c not in result.outlier_classes]
            extents = extent_errors(result.camera, obs, kept, self.pitch)
        worst = max(extents.items(), key=lambda kv: kv[1], default=(None, 0.0))
        return worst[0] if worst[1] > self.config.verify_px * obs.image_size[0] / 960.0 else None

    def _suspicion(self, obs: PitchObservations, result: CalibrationResult) -> list[str]:
        """Observed classes, the most suspicious first: furthest from the best camera found (also a refused one),
        else largest residual; then fewest points."""
        classes = sorted(obs.lines)
        camera = result.camera or result.rejected_camera
        if camera is not None:
            score = extent_errors(camera, obs, classes, self.pitch)
        else:
            score = {c: result.class_errors.get(c, 0.0) for c in classes}
        return sorted(classes, key=lambda c: (-score.get(c, 0.0), len(obs.lines[c]), c))

    def _search_classes(
        self, obs: PitchObservations, initial_camera: Camera | None, original: CalibrationResult
    ) -> CalibrationResult | None:
        """Hypothesise-and-verify over classes: drop one class (then two), most suspicious first, and return the first
        verified camera; ``None`` if no subset verifies."""
        cfg = self.config
        scale = obs.image_size[0] / 960.0
        contradicted = 1.5 * cfg.verify_px * scale
        order = self._suspicion(obs, original)
        seed = original.camera or original.rejected_camera or initial_camera
        for size in range(1, cfg.max_dropped_classes + 1):
            pool = order[:10] if size == 1 else order[:5]  # at most 10 + 10 hypotheses
            found: tuple[tuple[str, ...], CalibrationResult] | None = None
            for dropped in itertools.combinations(pool, size):
                subset = obs.without(dropped)
                if not subset.lines or self._check_input(subset) is not None:
                    continue
                # seeded with the best camera so far (fast when only the dropped class pulled it off), then from
                # scratch: a seed pulled into a wrong minimum can fit the line residuals and still miss the segments
                # (a seed that does not fit is not used by _solve, which then searches from scratch itself)
                report = {}
                result = self._solve(subset, seed, quick=True, report=report)
                verified = result.success and self._unverified(result, subset, report.get("extents")) is None
                if not verified and seed is not initial_camera and report.get("seed_used"):
                    report = {}
                    result = self._solve(subset, initial_camera, quick=True, report=report)
                    verified = result.success and self._unverified(result, subset, report.get("extents")) is None
                if not verified:
                    continue
                extents = extent_errors(result.camera, obs, dropped, self.pitch)
                if min(extents.values()) <= contradicted:
                    continue  # a dropped class that agrees with the camera was not the problem
                # verified: the camera fits every kept class and contradicts the dropped ones. Candidates are tried
                # most suspicious first, so the first verified one is taken.
                found = (dropped, result)
                break
            if found is not None:
                dropped, result = found
                result = self._restore_points(obs, dropped, result)
                result.outlier_classes = sorted(set(result.outlier_classes) | set(dropped))
                if result.initialisation is Initialisation.PREVIOUS_FRAME and initial_camera is None:
                    result.initialisation = original.initialisation or Initialisation.HOMOGRAPHY
                return result
        return None

    def _restore_points(
        self, obs: PitchObservations, dropped: tuple[str, ...], result: CalibrationResult
    ) -> CalibrationResult:
        """Give back the points of dropped classes that the verified camera explains (a stray point, or one class's
        points merged into another label) and refit; keeps ``result`` if the refit does not verify."""
        tolerance = self.config.verify_px * obs.image_size[0] / 960.0
        projected = project_pitch_polylines(result.camera, obs.image_size[0], obs.image_size[1], self.pitch)
        lines = {k: v for k, v in obs.lines.items() if k not in dropped}
        restored = False
        for name in dropped:
            if name not in projected:
                continue
            points = obs.lines[name]
            near = distance_to_polyline(points, projected[name]) <= tolerance
            if near.sum() >= (3 if name in CIRCLE_CLASSES else 2) and not near.all():
                lines[name], restored = points[near], True
        if not restored:
            return result
        subset = PitchObservations(obs.image_size, lines, dict(obs.keypoints), dict(obs.skipped), obs.source)
        refit = self._solve(subset, result.camera, quick=True)
        if not refit.success or self._unverified(refit, subset) is not None:
            return result
        refit.initialisation = result.initialisation
        return refit

    def _solve(
        self, obs: PitchObservations, initial_camera: Camera | None = None, quick: bool = False,
        report: dict | None = None,
    ) -> CalibrationResult:
        """One solve with all the checks. ``quick`` (a hypothesis of the class search, expected to be clean): fewer
        starting cameras and no robust refit / class RANSAC. ``report["seed_used"]``: whether ``initial_camera`` fitted
        well enough to replace the search over starting cameras; ``report["extents"]``: the extent check's
        measurements of the returned camera (its kept classes), so the search's verification need not redo them."""
        bad = self._check_input(obs)
        if bad is not None:
            return bad
        obs, keypoint_outliers = self._keypoint_inliers(obs)
        classes = sorted(obs.lines)
        problem = ResidualModel(obs, self.pitch, self.config, classes)
        best_x, init = self._initial_solution(obs, problem, classes, initial_camera, quick)
        if report is not None:
            report["seed_used"] = init is Initialisation.PREVIOUS_FRAME
        if best_x is None:
            return self._fail(FailureReason.DEGENERATE_GEOMETRY, f"no camera could be initialised from classes {classes}")

        outliers: list[str] = []
        errors = problem.class_errors(best_x)
        threshold = self.config.ransac_threshold_px
        if not quick and max(errors.values(), default=0.0) > threshold and self.config.loss != "linear":
            # large residuals: possible outliers, refit with the robust loss
            x_r, _ = self._refine(problem, problem.camera(best_x), self.config.max_nfev)
            errors_r = problem.class_errors(x_r)
            if np.median(list(errors_r.values())) <= np.median(list(errors.values())):
                best_x, errors = x_r, errors_r
            # a consistent majority with a few far-off items: drop those items and refit without them
            bad = [k for k, e in errors.items() if e > threshold]
            if bad and np.median(list(errors.values())) <= threshold / 3:
                kept = obs.without(bad)
                if self._check_input(kept) is None:
                    p_in = ResidualModel(kept, self.pitch, self.config, sorted(kept.lines))
                    x_in, _ = self._refine(p_in, p_in.camera(best_x), self.config.max_nfev, loss="linear")
                    if max(p_in.class_errors(x_in).values(), default=0.0) <= threshold:
                        outliers, problem, best_x, obs = sorted(bad), p_in, x_in, kept
                        classes = sorted(kept.lines)
                        errors = problem.class_errors(best_x)
        if not quick and max(errors.values(), default=0.0) > threshold and len(classes) >= 5:
            ransac = self._ransac(obs, classes)
            if ransac is not None:
                x_r, inliers = ransac
                p_in = ResidualModel(obs, self.pitch, self.config, inliers)
                x_r, _ = self._refine(p_in, p_in.camera(x_r), self.config.max_nfev)
                if p_in.rms(x_r) < problem.rms(best_x):
                    outliers = sorted(set(outliers) | (set(classes) - set(inliers)))
                    problem, best_x = p_in, x_r
                    errors = problem.class_errors(best_x)

        if self.config.absent_class_margin_px > 0:
            best_x = self._push_out_absent(problem, obs, best_x)
            errors = problem.class_errors(best_x)

        rms = problem.rms(best_x)
        camera = problem.camera(best_x)
        if not np.all(np.isfinite(best_x)):
            return self._fail(FailureReason.NO_VALID_CAMERA, "refinement diverged")
        weak = problem.undetermined_parameters(best_x)
        if weak:
            return self._fail(
                FailureReason.DEGENERATE_GEOMETRY,
                f"the observations of {classes} do not determine the camera (no constraint on {weak}); "
                "e.g. parallel or collinear lines only",
                rms,
                errors,
            )
        if rms > self.config.max_rms_px:
            return self._refuse(
                f"best camera leaves an RMS residual of {rms:.1f} px (> {self.config.max_rms_px} px); "
                f"worst classes: {sorted(errors.items(), key=lambda kv: -kv[1])[:3]}",
                rms,
                errors,
                camera,
            )
        extents = extent_errors(camera, obs, classes, self.pitch)
        if report is not None:
            report["extents"] = extents
        worst = max(extents.items(), key=lambda kv: kv[1], default=(None, 0.0))
        if self.config.max_extent_error_px > 0 and worst[1] > self.config.max_extent_error_px:
            return self._refuse(
                f"best camera puts observed points of {worst[0]!r} {worst[1]:.0f} px from the projected element "
                f"(> {self.config.max_extent_error_px:g} px): the observations do not pin down the camera",
                rms,
                errors,
                camera,
            )
        mirrored = False
        if self.config.prefer_main_side and camera.position[1] < 0 and all(MIRROR_CLASS[c] == c for c in classes):
            camera, mirrored = mirror_camera(camera), True
        return CalibrationResult(
            camera,
            rms_px=rms,
            class_errors=errors,
            outlier_classes=sorted(set(outliers) | set(keypoint_outliers)),
            mirrored=mirrored,
            initialisation=init,
            num_inliers=problem.num_items,
        )

    def _push_out_absent(self, problem: ResidualModel, obs: PitchObservations, x: np.ndarray) -> np.ndarray:
        """Second refinement with hinge terms for elements that are not observed but barely enter the image."""
        camera = problem.camera(x)
        projected = project_pitch_polylines(camera, obs.image_size[0], obs.image_size[1], self.pitch)
        sampled = self.pitch.sample_all(step=0.5)
        absent = [(name, sampled[name]) for name in projected if name not in obs.lines]
        if not absent:
            return x
        problem.absent = absent
        x2, _ = self._refine(problem, camera, 60)
        problem.absent = []
        # keep only if the observed classes are not made worse beyond the loss scale
        before = max(problem.class_errors(x).values(), default=0.0)
        after = max(problem.class_errors(x2).values(), default=0.0)
        return x2 if after <= max(before, self.config.loss_scale_px * 2) else x

    def _ransac(self, obs: PitchObservations, classes: list[str], iterations: int = 60, seed: int = 0):
        """Class-level RANSAC over minimal subsets of ground lines; returns ``(x, inlier classes)`` or ``None``."""
        ground = [c for c in classes if c in GROUND_LINE_CLASSES]
        if len(ground) < 5:
            return None
        rng = np.random.default_rng(seed)
        full = ResidualModel(obs, self.pitch, self.config, classes)
        best: tuple[int, float, np.ndarray, list[str]] | None = None
        pp = ((obs.image_size[0] - 1) / 2.0, (obs.image_size[1] - 1) / 2.0)
        if math.comb(len(ground), 4) <= iterations:
            subsets = [list(c) for c in itertools.combinations(ground, 4)]
        else:
            subsets = [list(rng.choice(ground, size=4, replace=False)) for _ in range(iterations)]
        for subset in subsets:
            lp = [(self.pitch.ground_line(n), obs.lines[n]) for n in subset]
            g = homography_from_constraints(lp)
            if g is None:
                continue
            try:
                cam = camera_from_homography(np.linalg.inv(g), pp, np.concatenate([p for _, p in lp]))
            except np.linalg.LinAlgError:
                continue
            if cam is None:
                continue
            x = full.vector(cam)
            errors = full.class_errors(x)
            inliers = [c for c in classes if errors.get(c, math.inf) <= self.config.ransac_threshold_px]
            score = (len(inliers), -sum(min(errors[c], 50.0) for c in inliers))
            if best is None or score > (best[0], best[1]):
                best = (score[0], score[1], x, inliers)
        if best is None or best[0] < 4:
            return None
        return best[2], best[3]


def calibrate(observations: PitchObservations, config: SolverConfig | None = None) -> CalibrationResult:
    """Convenience wrapper: ``CameraCalibrator(config).calibrate(observations)``."""
    return CameraCalibrator(config).calibrate(observations)


def calibrate_predicted(
    observations: PitchObservations,
    config: SolverConfig | None = None,
    initial_camera: Camera | None = None,
    first: ObservationSubset | str = ObservationSubset.ALL,
) -> CalibrationResult:
    """Calibrate from a *model's* keypoints and lines, where one kind can be systematically worse than the other.

    Tries all observations first; when that fails as ``inconsistent_observations`` or ``degenerate_geometry``, tries
    the keypoints alone, then the lines alone, and returns the first success (its :attr:`~CalibrationResult.subset`
    says which). Otherwise returns the failure of the full set. ``initial_camera``: see
    :meth:`CameraCalibrator.calibrate`. ``first`` (an :class:`ObservationSubset` or its value) moves that subset to
    the front, e.g. the one that worked on the previous frame of a video (``first=previous_result.subset``).
    The search over classes (``SolverConfig.robust_search``) is off here unless the config sets it to ``True``.
    """
    try:
        first = ObservationSubset(first)
    except ValueError:
        raise ValueError(f"first must be one of {[s.value for s in ObservationSubset]}, got {first!r}") from None
    subsets = {
        ObservationSubset.ALL: observations,
        ObservationSubset.KEYPOINTS: observations.without(observations.lines),
        ObservationSubset.LINES: observations.without(f"keypoint {i}" for i in observations.keypoints),
    }
    # a one-kind subset is only worth trying when the observations have both kinds
    both_kinds = bool(observations.lines) and bool(observations.keypoints)
    order = [first] + [subset for subset in subsets if subset is not first]
    config = config or SolverConfig()
    if config.robust_search is None:  # "auto": off for predictions (see SolverConfig.robust_search)
        config = dataclasses.replace(config, robust_search=False)
    calibrator = CameraCalibrator(config)
    full_result: CalibrationResult | None = None
    spent = 0.0
    for subset in order:
        if subset is not ObservationSubset.ALL and not both_kinds:
            continue
        result = calibrator.calibrate(subsets[subset], initial_camera)
        spent += result.time_ms
        if subset is ObservationSubset.ALL:
            full_result = result
            if not result.success and result.failure.reason not in (
                FailureReason.INCONSISTENT_OBSERVATIONS,
                FailureReason.DEGENERATE_GEOMETRY,
            ):
                break  # e.g. too few observations: a subset has even fewer
        if result.success:
            result.subset = subset
            result.time_ms = spent
            return result
    full_result.time_ms = spent  # "all" is always tried, so a failure of the full set is there to report
    return full_result
