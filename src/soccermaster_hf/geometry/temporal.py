"""Temporal refinement of the cameras of one shot: one camera centre, smooth pan / tilt / roll / zoom.

A broadcast main camera sits on a fixed gantry for the whole of a shot and pans, tilts and zooms smoothly. A single
frame of predicted keypoints does not pin down where the camera stands: a few pixels of keypoint noise trade distance
for focal length (on the default checkpoint's held-out SoccerSynth frames, per-frame solutions put the camera 2-55 m
from where it is, with focal lengths 0.8-1.7x the truth, changing from one frame to the next). :func:`refine_shot`
fits all the frames of a shot at once:

* **Parameters:** one camera centre shared by every frame (3), and per frame the focal length, the rotation vector and
  the radial distortion ``k1`` (and the principal point / aspect when :class:`SolverConfig` frees them).
* **Residuals:** each frame's own residuals (:class:`~soccermaster_hf.geometry.residuals.ResidualModel`, pixels) over
  the observations its per-frame solution kept (its :attr:`~CalibrationResult.subset` minus its
  :attr:`~CalibrationResult.outlier_classes`), and an acceleration penalty: the second divided difference over time of
  ``(log focal x W / 2, rotation vector x median focal)`` — roughly the image acceleration in pixels per frame²,
  weighted by ``SolverConfig.shot_smoothness`` (0: shared centre only).
* **Solver:** ``scipy.optimize.least_squares`` (trust-region reflective, bounded, ``soft_l1`` loss so that a frame the
  per-frame solver got wrong cannot drag the others), started from the per-frame cameras with the median centre. The
  Jacobian is assembled from each frame's own (batched forward differences) and the penalty's (analytic), so a shot of
  20 frames costs about as much as refining each frame once more.
* **Identity check** (``identity_rounds``, 2): the joint cameras then judge every frame's observations, the ones its
  per-frame solution dropped and those of frames the per-frame solver failed on included (their camera is linearly
  interpolated in time from the two nearest fitted frames). What a camera explains to ``SolverConfig.verify_px`` is
  kept (a keypoint the per-frame RANSAC dropped comes back, a wrong identity it kept goes, reported in
  ``outlier_classes``); a frame with at least 4 such items takes part in the next joint fit. A failed frame the shot
  explains is returned as a success (``initialisation=Initialisation.SHOT``).
* **Checks:** a frame whose joint camera leaves an RMS residual above ``SolverConfig.max_rms_px`` on its observations
  keeps its per-frame result; a failed frame the shot does not explain stays failed.

This is bundle adjustment restricted to what a pan-tilt-zoom (PTZ) camera can do: the fixed-centre PTZ model that
sports-broadcast calibration commonly assumes for the main camera, with a smoothness prior instead of a motion filter.
Measured on the default checkpoint's held-out frames in docs/geometry.md ("Calibrating a shot").
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence

import numpy as np
from scipy.optimize import least_squares

from soccermaster_hf.geometry.camera import Camera
from soccermaster_hf.geometry.config import SolverConfig
from soccermaster_hf.geometry.observations import PitchObservations
from soccermaster_hf.geometry.pitch import PitchModel
from soccermaster_hf.geometry.residuals import ResidualModel, _rodrigues_batch, _rotvec, clip_inside
from soccermaster_hf.geometry.results import CalibrationResult, Initialisation, ObservationSubset

__all__ = ["refine_shot", "used_observations"]

_CENTRE = slice(4, 7)  # the camera centre in a ResidualModel parameter vector


def used_observations(observations: PitchObservations, result: CalibrationResult) -> PitchObservations:
    """The observations a per-frame :class:`CalibrationResult` was fitted to: its subset, without its outliers, in the
    labelling of its camera (mirrored when the solver swapped to the mirror solution)."""
    obs = observations
    if result.subset is ObservationSubset.KEYPOINTS:
        obs = obs.without(obs.lines)
    elif result.subset is ObservationSubset.LINES:
        obs = obs.without(f"keypoint {i}" for i in obs.keypoints)
    obs = obs.without(result.outlier_classes)
    return obs.mirrored() if result.mirrored else obs


def _continuous_rotation_vectors(vectors: list[np.ndarray]) -> None:
    """Make consecutive rotation vectors continuous in place (``r`` and ``r (1 - 2 pi / |r|)`` are one rotation)."""
    for i in range(1, len(vectors)):
        r = vectors[i]
        theta = float(np.linalg.norm(r))
        if theta > 1e-9:
            other = r * (1 - 2 * math.pi / theta)
            if np.linalg.norm(other - vectors[i - 1]) < np.linalg.norm(r - vectors[i - 1]):
                vectors[i] = other


def _acceleration_weights(times: np.ndarray) -> np.ndarray:
    """``(n - 2, 3)`` weights of the second divided difference at each interior time (per frame², any spacing)."""
    t0, t1, t2 = times[:-2], times[1:-1], times[2:]
    scale = 2.0 / (t2 - t0)
    return np.stack([scale / (t1 - t0), -scale * (1 / (t1 - t0) + 1 / (t2 - t1)), scale / (t2 - t1)], axis=1)


def _solve_jointly(models: list[ResidualModel], starts: list[np.ndarray], times: np.ndarray,
                   config: SolverConfig, continuation: bool = True) -> list[np.ndarray] | None:
    """Parameter vectors of ``models`` (one per frame, at ``times``) fitted jointly with one camera centre and the
    acceleration penalty, started from ``starts`` (centre: their median); ``None`` when the solver fails.
    ``continuation``: first without the penalty (for jittery starts such as per-frame cameras)."""
    size = len(starts[0])
    own = np.array([j for j in range(size) if j not in range(_CENTRE.start, _CENTRE.stop)])
    per = len(own)
    starts = [x.copy() for x in starts]
    rotations = [x[1:4].copy() for x in starts]
    _continuous_rotation_vectors(rotations)
    for x, r in zip(starts, rotations):
        x[1:4] = r
    centre = np.median([x[_CENTRE] for x in starts], axis=0)
    lower = np.concatenate([models[0]._bounds[0][_CENTRE]] + [m._bounds[0][own] for m in models])
    upper = np.concatenate([models[0]._bounds[1][_CENTRE]] + [m._bounds[1][own] for m in models])
    z0 = clip_inside(np.concatenate([centre] + [x[own] for x in starts]), lower, upper)

    final_weight = float(config.shot_smoothness)
    use_penalty = final_weight > 0 and len(models) >= 3
    accel = _acceleration_weights(times) if use_penalty else np.zeros((0, 3))
    median_focal = float(np.median([x[0] for x in starts]))
    half_width = models[0].width / 2.0
    offsets = np.concatenate([[0], np.cumsum([len(m.residuals(x)) for m, x in zip(models, starts)])])
    n_data = int(offsets[-1])

    def unpack(z: np.ndarray) -> list[np.ndarray]:
        xs = []
        for k in range(len(models)):
            x = np.empty(size)
            x[_CENTRE] = z[:3]
            x[own] = z[3 + k * per: 3 + (k + 1) * per]
            xs.append(x)
        return xs

    def fun(z: np.ndarray, weight: float) -> np.ndarray:
        xs = unpack(z)
        parts = [m.residuals(x) for m, x in zip(models, xs)]
        if use_penalty:  # (frames, 4) "pixels": zoom as log focal x W / 2, rotation vector x median focal
            a = np.array([[math.log(x[0]) * half_width, *(x[1:4] * median_focal)] for x in xs])
            acc = accel[:, 0, None] * a[:-2] + accel[:, 1, None] * a[1:-1] + accel[:, 2, None] * a[2:]
            parts.append(weight * acc.ravel())
        return np.concatenate(parts)

    def jac(z: np.ndarray, weight: float) -> np.ndarray:
        xs = unpack(z)
        out = np.zeros((n_data + 4 * len(accel), len(z)))
        for k, (m, x) in enumerate(zip(models, xs)):
            block = m.jacobian(x)
            rows = slice(offsets[k], offsets[k + 1])
            out[rows, :3] = block[:, _CENTRE]
            out[rows, 3 + k * per: 3 + (k + 1) * per] = block[:, own]
        for t in range(len(accel)):
            for step in range(3):
                k = t + step
                column = 3 + k * per
                coefficient = weight * accel[t, step]
                out[n_data + 4 * t, column] = coefficient * half_width / xs[k][0]  # d log f / d f
                for axis in range(3):
                    out[n_data + 4 * t + 1 + axis, column + 1 + axis] = coefficient * median_focal
        return out

    # continuation: the shared centre first (the per-frame cameras are jittery, and a stiff penalty on them stalls the
    # trust region), then the penalty at its full weight
    joint = z0
    for weight in ([0.0, final_weight] if use_penalty and continuation else [final_weight if use_penalty else 0.0]):
        try:
            solution = least_squares(fun, joint, jac=jac, bounds=(lower, upper), loss=config.loss, args=(weight,),
                                     f_scale=config.loss_scale_px, x_scale="jac", method="trf",
                                     max_nfev=max(config.max_nfev, 100), ftol=config.tolerance,
                                     xtol=config.tolerance, gtol=config.tolerance)
        except (ValueError, np.linalg.LinAlgError):
            return None
        if not np.all(np.isfinite(solution.x)):
            return None
        joint = clip_inside(solution.x, lower, upper)
    return unpack(joint)


def _interpolated(cameras: dict[int, Camera], times: np.ndarray, index: int) -> Camera:
    """The camera at frame ``index`` linearly inter- (or extra-) polated in time from the two nearest fitted frames
    (log focal lengths, rotation vectors, distortion; the centre is shared). Not
    :func:`~soccermaster_hf.analysis.segment_runner.interpolate_camera` (pan / tilt / roll, linear focal, the second
    camera's distortion), which writes a video's in-between cameras: as the solver's starting point that one was
    measured worse (seed-123 held-out final@5 0.374 -> 0.345)."""
    nearest = sorted(cameras, key=lambda j: (abs(times[j] - times[index]), j))[:2]
    if len(nearest) < 2:
        return cameras[nearest[0]].copy()
    a, b = sorted(nearest)
    w = (times[index] - times[a]) / (times[b] - times[a])
    first, second = cameras[a], cameras[b]
    rotations = [_rotvec(first.rotation), _rotvec(second.rotation)]
    _continuous_rotation_vectors(rotations)
    out = first.copy()
    out.fx, out.fy = (math.exp((1 - w) * math.log(c1) + w * math.log(c2))
                      for c1, c2 in ((first.fx, second.fx), (first.fy, second.fy)))
    out.rotation = _rodrigues_batch(((1 - w) * rotations[0] + w * rotations[1])[None])[0]
    out.radial = (1 - w) * first.radial + w * second.radial
    return out


def _agreeing(observations: PitchObservations, camera, pitch: PitchModel, config: SolverConfig
              ) -> tuple[PitchObservations, list[str]] | None:
    """The observations ``camera`` explains to ``config.verify_px`` (and the names of the others), or ``None`` when
    fewer than 4 items agree."""
    model = ResidualModel(observations, pitch, config, sorted(observations.lines))
    errors = model.class_errors(model.vector(camera))
    rejected = sorted(name for name, error in errors.items() if not error <= config.verify_px)
    if len(errors) - len(rejected) < 4:
        return None
    return observations.without(rejected), rejected


def refine_shot(
    observations: Sequence[PitchObservations],
    results: Sequence[CalibrationResult],
    frame_indices: Sequence[float] | None = None,
    config: SolverConfig | None = None,
    pitch: PitchModel | None = None,
    identity_rounds: int = 2,
) -> list[CalibrationResult]:
    """Refine the per-frame cameras of one shot jointly (module docstring): returns one result per frame.

    Args:
        observations: each frame's observations, as given to the per-frame solver.
        results: each frame's per-frame result (e.g. from :func:`~soccermaster_hf.geometry.calibrate_predicted`).
        frame_indices: each frame's time (frame number, increasing; default ``0, 1, 2, ...``); the acceleration
            penalty is per frame², so frames calibrated every 10th frame are penalised for the same motion alike.
        config: the solver settings (``shot_smoothness``, ``verify_px``, ``max_rms_px``, the loss, the bounds);
            default :class:`SolverConfig`.
        pitch: the pitch model (default :class:`PitchModel`).
        identity_rounds: rounds of the identity check (module docstring; 0: only the observations each per-frame
            solution kept, no failed frame recovered). Two were measured best (docs/geometry.md).

    Refined results are copies with the joint camera, its residuals, the observations it rejected in
    ``outlier_classes`` and ``refined_in_shot=True``; a frame the per-frame solver failed on that the shot's camera
    explains is returned as a success with ``initialisation=Initialisation.SHOT``; the others are returned unchanged.
    With fewer than two successful frames nothing changes.

    Raises:
        ValueError: lengths differ, ``frame_indices`` are not finite and strictly increasing, or ``identity_rounds``
            is not an integer >= 0.
    """
    if not (isinstance(identity_rounds, int) and not isinstance(identity_rounds, bool) and identity_rounds >= 0):
        raise ValueError(f"identity_rounds must be an integer >= 0, got {identity_rounds!r}")
    if len(observations) != len(results):
        raise ValueError(f"got {len(observations)} observations for {len(results)} results (one per frame)")
    times = np.arange(len(results), dtype=float) if frame_indices is None else np.asarray(frame_indices, dtype=float)
    if times.shape != (len(results),):
        raise ValueError(f"frame_indices must have one entry per frame ({len(results)}), got shape {times.shape}")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise ValueError("frame_indices must be finite and strictly increasing")
    config = config or SolverConfig()
    pitch = pitch or PitchModel()
    out = list(results)
    frames = [i for i, r in enumerate(results) if r.success]
    if len(frames) < 2:
        return out
    start = time.perf_counter()
    # round 1: the observations each per-frame solution kept
    used = {i: used_observations(observations[i], results[i]) for i in frames}
    models = [ResidualModel(used[i], pitch, config, sorted(used[i].lines)) for i in frames]
    starts = [clip_inside(m.vector(results[i].camera), *m._bounds) for m, i in zip(models, frames)]
    fitted = _solve_jointly(models, starts, times[frames], config)
    if fitted is None:
        return out
    cameras = {i: m.camera(x) for i, m, x in zip(frames, models, fitted)}
    # then the identity check: every frame's observations (failed frames too, from the nearest camera in time)
    # that the shot's cameras explain; items the per-frame solver dropped come back, wrong identities it kept go
    rejected: dict[int, list[str]] = {}
    for _ in range(identity_rounds):
        agreeing, dropped, judged = {}, {}, {}
        for i in range(len(results)):
            judged[i] = cameras.get(i) or _interpolated(cameras, times, i)
            labelled = observations[i].mirrored() if results[i].success and results[i].mirrored else observations[i]
            kept = _agreeing(labelled, judged[i], pitch, config)
            if kept is not None:
                agreeing[i], dropped[i] = kept
        if len(agreeing) < 2:
            break
        order = sorted(agreeing)
        models_next = [ResidualModel(agreeing[i], pitch, config, sorted(agreeing[i].lines)) for i in order]
        starts_next = [clip_inside(m.vector(judged[i]), *m._bounds) for m, i in zip(models_next, order)]
        fitted_next = _solve_jointly(models_next, starts_next, times[order], config, continuation=False)
        if fitted_next is None:
            break
        frames, models, fitted, rejected = order, models_next, fitted_next, dropped
        cameras = {i: m.camera(x) for i, m, x in zip(frames, models, fitted)}
    share = 1000 * (time.perf_counter() - start) / len(frames)
    for i, model, x in zip(frames, models, fitted):
        rms = model.rms(x)
        if not rms <= config.max_rms_px:
            continue
        base = results[i]
        changes = dict(camera=model.camera(x), rms_px=rms, class_errors=model.class_errors(x), refined_in_shot=True,
                       time_ms=base.time_ms + share, num_inliers=model.num_items)
        if i in rejected:
            changes["outlier_classes"] = rejected[i]
        if not base.success:
            changes.update(failure=None, initialisation=Initialisation.SHOT, subset=ObservationSubset.ALL,
                           mirrored=False, rejected_camera=None)
        out[i] = dataclasses.replace(base, **changes)
    return out
