"""Camera: SoccerNet angle convention (checked on real PnLCalib files), projection, distortion, JSON round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest
from geometry_synth import broadcast_camera

from soccermaster_hf.geometry import Camera, CameraFormatError, pan_tilt_roll_to_rotation, rotation_to_pan_tilt_roll


def test_pan_tilt_roll_round_trip():
    rng = np.random.default_rng(0)
    for _ in range(200):
        pan, tilt, roll = rng.uniform(-170, 170), rng.uniform(5, 175), rng.uniform(-30, 30)
        r = pan_tilt_roll_to_rotation(pan, tilt, roll)
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
        np.testing.assert_allclose(rotation_to_pan_tilt_roll(r), (pan, tilt, roll), atol=1e-9)


def test_gimbal_lock_is_handled():
    r = pan_tilt_roll_to_rotation(30.0, 0.0, 10.0)
    pan, tilt, roll = rotation_to_pan_tilt_roll(r)
    np.testing.assert_allclose(pan_tilt_roll_to_rotation(pan, tilt, roll), r, atol=1e-12)


@pytest.mark.real_data
def test_zxz_convention_reproduces_pnlcalib_rotation_matrices(wc14_dir):
    files = sorted((wc14_dir / "wc14_test_pnlcalib_cameras").glob("camera_*.json"))
    assert len(files) == 186
    for path in files:
        obj = json.loads(path.read_text())
        cam = Camera.from_dict(obj, source=str(path))
        np.testing.assert_allclose(cam.rotation, obj["rotation_matrix"], atol=1e-12)
        np.testing.assert_allclose(
            cam.pan_tilt_roll, [obj["pan_degrees"], obj["tilt_degrees"], obj["roll_degrees"]], atol=1e-9
        )
        again = Camera.from_dict(cam.to_dict())
        np.testing.assert_allclose(again.rotation, cam.rotation, atol=1e-12)
        np.testing.assert_allclose(again.position, obj["position_meters"])


def test_json_round_trip_with_distortion(tmp_path):
    cam = broadcast_camera(k1=0.12)
    cam.radial[1:] = [0.01, -0.002, 0.003, 0.0, 0.0005]
    cam.tangential[:] = [1e-4, -2e-4]
    cam.thin_prism[:] = [1e-4, 0.0, -1e-4, 2e-5]
    path = tmp_path / "camera_x.json"
    cam.save(path)
    loaded = Camera.load(path)
    for attr in ("fx", "fy", "cx", "cy"):
        assert getattr(loaded, attr) == pytest.approx(getattr(cam, attr))
    np.testing.assert_allclose(loaded.rotation, cam.rotation, atol=1e-12)
    for attr in ("position", "radial", "tangential", "thin_prism"):
        np.testing.assert_allclose(getattr(loaded, attr), getattr(cam, attr))
    pts = np.array([[0.0, 0.0, 0.0], [-30.0, -20.0, 0.0], [52.5, 3.66, -2.44]])
    np.testing.assert_allclose(loaded.project(pts)[0], cam.project(pts)[0], atol=1e-6)
    assert set(json.loads(path.read_text())) >= {
        "pan_degrees",
        "tilt_degrees",
        "roll_degrees",
        "x_focal_length",
        "y_focal_length",
        "principal_point",
        "position_meters",
        "rotation_matrix",
        "radial_distortion",
        "tangential_distortion",
        "thin_prism_distortion",
    }


def test_malformed_camera_json_names_file_and_problem(tmp_path):
    bad = tmp_path / "camera_bad.json"
    bad.write_text("{not json")
    with pytest.raises(CameraFormatError, match="camera_bad.json.*not valid JSON"):
        Camera.load(bad)
    obj = broadcast_camera().to_dict()
    del obj["x_focal_length"]
    with pytest.raises(CameraFormatError, match="missing key 'x_focal_length'"):
        Camera.from_dict(obj, source="cam.json")
    obj = broadcast_camera().to_dict()
    obj["position_meters"] = [1.0, 2.0]
    with pytest.raises(CameraFormatError, match="'position_meters' must have 3 values"):
        Camera.from_dict(obj)
    obj = broadcast_camera().to_dict()
    obj["pan_degrees"] = float("nan")
    with pytest.raises(CameraFormatError, match="not finite"):
        Camera.from_dict(obj)
    with pytest.raises(CameraFormatError):
        Camera.from_dict([1, 2, 3])


def test_projection_matches_the_matrix_and_the_ground_homography():
    cam = broadcast_camera()
    pts = np.array([[0.0, 0.0, 0.0], [-20.0, -30.0, 0.0], [35.0, 10.0, 0.0]])
    uv, valid = cam.project(pts)
    assert valid.all()
    ph = np.column_stack([pts, np.ones(3)]) @ cam.projection_matrix.T
    np.testing.assert_allclose(uv, ph[:, :2] / ph[:, 2:], atol=1e-9)
    gh = np.column_stack([pts[:, :2], np.ones(3)]) @ cam.ground_homography().T
    np.testing.assert_allclose(uv, gh[:, :2] / gh[:, 2:], atol=1e-9)
    # a point behind the camera is flagged
    uv, valid = cam.project(np.array([[0.0, 200.0, 0.0]]))
    assert not valid[0] and np.isnan(uv).all()


def test_crossbar_is_above_the_ground_in_the_image():
    cam = broadcast_camera(target=(-45.0, 0.0))
    base, top = cam.project(np.array([[-52.5, 3.66, 0.0], [-52.5, 3.66, -2.44]]))[0]
    assert top[1] < base[1]  # z negative upward -> higher in the image


def test_distortion_inverse_and_backprojection():
    cam = broadcast_camera(k1=-0.15)
    cam.radial[1] = 0.02
    cam.tangential[:] = [2e-4, -1e-4]
    xy = np.random.default_rng(1).uniform(-0.3, 0.3, size=(50, 2))
    np.testing.assert_allclose(cam.undistort_normalized(cam.distort_normalized(xy)), xy, atol=1e-9)
    ground = np.column_stack([np.random.default_rng(2).uniform(-40, 40, (30, 2)), np.zeros(30)])
    ground[:, 1] = np.clip(ground[:, 1], -30, 30)
    uv, valid = cam.project(ground)
    back, ok = cam.backproject_to_ground(uv[valid])
    assert ok.all()
    np.testing.assert_allclose(back, ground[valid], atol=1e-6)
    up, ok = cam.backproject_to_ground(np.array([[480.0, -2000.0]]))  # above the horizon
    assert not ok[0]
    import warnings

    plain = broadcast_camera()
    with warnings.catch_warnings():  # a pixel that is not finite is invalid, without a RuntimeWarning
        warnings.simplefilter("error")
        points, ok = plain.backproject_to_ground(np.array([[np.inf, 100.0], [np.nan, 100.0], [480.0, 400.0]]))
    assert ok.tolist() == [False, False, True] and np.isnan(points[:2]).all() and np.isfinite(points[2]).all()


def test_look_at_orientation():
    cam = broadcast_camera(x=0.0, y=60.0, target=(0.0, 0.0))
    uv = cam.project(np.array([[0.0, 0.0, 0.0], [-10.0, 0.0, 0.0], [0.0, -10.0, 0.0]]))[0]
    np.testing.assert_allclose(uv[0], [479.5, 269.5], atol=1e-9)  # target at the principal point
    assert uv[1, 0] < uv[0, 0]  # the left goal side appears on the left
    assert uv[2, 1] < uv[0, 1]  # the far side appears higher
    pan, tilt, roll = cam.pan_tilt_roll
    assert abs(roll) < 1e-9 and 0 < tilt < 90
