"""SoccerSynth renderer (OpenCV / NumPy, CPU): broadcast-style frames with exact per-pixel geometry.

The ground is a top-down pitch texture (grass with mowing stripes, lines of real width drawn in metres) warped into
the frame with the camera's ground homography, so every pitch marking lands exactly where the ground-truth camera
projects it. Above the horizon and beyond the texture the stands show; advertising boards and goals are 3-D quads and
segments projected with the same camera. Athletes are upright billboards (about 1.8 m) with team kits, distinct
goalkeeper and referee kits and the jersey number on the back, drawn far-to-near so nearer athletes occlude farther
ones; the ball is a projected sphere. Lighting drift, sensor noise and motion blur follow; JPEG artefacts come from
the writer. Everything is deterministic for a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..geometry.camera import Camera
from ..geometry.pitch import PitchModel
from .styles import LEAGUES, LeagueStyle

TEXTURE_SCALE = 12.0  # texture pixels per metre
TEXTURE_EXTENT = (62.0, 44.0)  # half-length, half-width (m) of the textured ground around the pitch
LINE_WIDTH_M = 0.12
PERSON_HEIGHT_M = 1.8
BALL_RADIUS_M = 0.11

SKIN_TONES = [(140, 170, 220), (100, 130, 180), (70, 90, 130), (60, 70, 100)]


@dataclass
class PersonRender:
    """What the renderer drew for one athlete in one frame."""

    index: int
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels (unclipped)
    depth: float
    jersey_drawn: bool
    visible_fraction: float = 1.0


@dataclass
class FrameRender:
    image: np.ndarray
    people: list[PersonRender] = field(default_factory=list)
    ball_box: tuple[float, float, float, float] | None = None


def _mowing(style: LeagueStyle, pitch: PitchModel, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """0/1 band of every texture pixel (pitch metres `xs` along the length, `ys` across) for the league's pattern,
    broadcastable to ``(len(ys), len(xs))``."""
    band = pitch.length / style.mowing_bands
    along = np.floor((xs[None, :] + pitch.length / 2) / band)
    if style.mowing == "stripes":
        return along % 2
    if style.mowing == "checker":
        return (along + np.floor((ys[:, None] + pitch.width / 2) / band)) % 2
    if style.mowing == "diagonal":
        return np.floor((xs[None, :] + ys[:, None] + pitch.length) / band) % 2
    return np.zeros((len(ys), len(xs)))


def _pitch_texture(pitch: PitchModel, rng: np.random.Generator,
                   style: LeagueStyle | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-down ground texture and its pitch-to-texture affine matrix (3x3)."""
    style = style or LEAGUES["default"]
    half_x, half_y = TEXTURE_EXTENT
    width, height = int(2 * half_x * TEXTURE_SCALE), int(2 * half_y * TEXTURE_SCALE)
    to_texture = np.array([[TEXTURE_SCALE, 0, half_x * TEXTURE_SCALE], [0, TEXTURE_SCALE, half_y * TEXTURE_SCALE],
                           [0, 0, 1]], dtype=float)
    base = np.array([rng.uniform(*style.grass_bgr[0]), rng.uniform(*style.grass_bgr[1]),
                     rng.uniform(*style.grass_bgr[2])])
    stripe_delta = rng.uniform(*style.stripe_delta)
    xs = (np.arange(width) + 0.5) / TEXTURE_SCALE - half_x
    ys = (np.arange(height) + 0.5) / TEXTURE_SCALE - half_y
    stripe = _mowing(style, pitch, xs, ys)[:, :, None]
    texture = np.broadcast_to(base + stripe * stripe_delta, (height, width, 3)).astype(np.float32).copy()
    texture += rng.normal(0, style.grass_grain, size=(height, width, 1)).astype(np.float32)  # grass grain
    if style.shadow > 0:  # a stand's shadow over the far side, its edge slightly oblique
        edge = rng.uniform(*style.shadow_edge_y) + rng.uniform(-0.15, 0.15) * xs[None, :]
        texture[ys[:, None] < edge] *= 1.0 - style.shadow
    texture = np.clip(texture, 0, 255).astype(np.uint8)
    thickness = max(1, int(round(LINE_WIDTH_M * TEXTURE_SCALE)))
    colour = tuple(int(c) for c in style.line_colour)
    for name, points in pitch.sample_all(step=0.25).items():
        if name.startswith("Goal "):
            continue  # goals are 3-D, drawn in the frame
        uv = (points[:, :2] * TEXTURE_SCALE + [half_x * TEXTURE_SCALE, half_y * TEXTURE_SCALE]) * 16
        cv2.polylines(texture, [np.round(uv).astype(np.int32)], False, colour, thickness, cv2.LINE_AA, shift=4)
    for spot in ((0.0, 0.0), (-pitch.length / 2 + 11, 0.0), (pitch.length / 2 - 11, 0.0)):
        centre = (int(round((spot[0] + half_x) * TEXTURE_SCALE)), int(round((spot[1] + half_y) * TEXTURE_SCALE)))
        cv2.circle(texture, centre, max(1, int(0.15 * TEXTURE_SCALE)), colour, -1, cv2.LINE_AA)
    return texture, to_texture


def _stands(height: int, width: int, rng: np.random.Generator, style: LeagueStyle | None = None) -> np.ndarray:
    """A crowd-like background: seats with coloured speckles and horizontal tiers."""
    style = style or LEAGUES["default"]
    tone = rng.uniform(*style.stands_tone)
    crowd = rng.normal(tone, style.stands_spread, size=(height // 4 + 1, width // 4 + 1, 3)).clip(0, 255).astype(np.uint8)
    crowd = cv2.resize(crowd, (width, height), interpolation=cv2.INTER_NEAREST)
    tiers = (np.arange(height) % 40 < 3)[:, None, None]
    return np.where(tiers, (crowd * 0.6).astype(np.uint8), crowd)


class ClipRenderer:
    """Renders the frames of one clip. Its look (kits, grass, stands, boards, light) is fixed for the clip: drawn from
    the league `style` (default: SoccerSynth's broad per-clip randomisation)."""

    def __init__(self, width: int, height: int, rng: np.random.Generator, pitch: PitchModel | None = None,
                 jersey_min_height: float = 28.0, style: LeagueStyle | None = None):
        self.width, self.height = width, height
        self.rng = rng
        self.style = style = style or LEAGUES["default"]
        self.pitch = pitch or PitchModel()
        self.texture, self.to_texture = _pitch_texture(self.pitch, rng, style)
        self.background = _stands(height, width, rng, style)
        kits = rng.choice(len(style.kits), size=2, replace=False)
        self.team_kits = [style.kits[kits[0]], style.kits[kits[1]]]
        keepers = rng.choice(len(style.goalkeeper_kits), size=2, replace=False)
        self.goalkeeper_kits = [style.goalkeeper_kits[keepers[0]], style.goalkeeper_kits[keepers[1]]]
        self.referee_kit = style.referee_kit
        self.jersey_min_height = jersey_min_height
        if style.board_palette:
            picks = rng.integers(0, len(style.board_palette), 24)
            self.board_colours = [tuple(int(c) for c in style.board_palette[i]) for i in picks]
        else:
            self.board_colours = [tuple(int(c) for c in rng.integers(30, 255, 3)) for _ in range(24)]
        self.gain = rng.uniform(*style.gain)
        self.noise_sigma = rng.uniform(*style.noise_sigma)
        self.noise = rng.normal(0, 1, size=(height + 64, width + 64, 1)).astype(np.float32)
        self.light = _light_field(height, width, style)  # colour and vignette, per pixel (None: neutral)
        self.skin = {}

    # -------------------------------------------------------------------------------------------- static scene
    def _ground(self, frame: np.ndarray, camera: Camera) -> None:
        homography = camera.ground_homography() @ np.linalg.inv(self.to_texture)
        cv2.warpPerspective(self.texture, homography, (self.width, self.height), dst=frame,
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
        # pixels whose ray does not hit the ground in front of the camera show the stands
        inverse_k = np.linalg.inv(camera.K)
        row = camera.rotation[:, 2] @ inverse_k  # (R^T K^-1 p)_z > 0  <=>  the ray goes down to the pitch
        us = np.arange(self.width, dtype=np.float32)[None, :]
        vs = np.arange(self.height, dtype=np.float32)[:, None]
        above = row[0] * us + row[1] * vs + row[2] <= 1e-4
        if above.any():
            frame[above] = self.background[above]

    def _boards(self, frame: np.ndarray, camera: Camera) -> None:
        half = self.pitch.length / 2 + 3.0
        edges = np.linspace(-half, half, 19)
        far_y = -(self.pitch.width / 2 + 3.5)
        quads = [([x0, far_y], [x1, far_y]) for x0, x1 in zip(edges[:-1], edges[1:])]
        for side in (-1, 1):
            ys = np.linspace(-20, 20, 4)
            quads += [([side * (self.pitch.length / 2 + 4.0), y0], [side * (self.pitch.length / 2 + 4.0), y1])
                      for y0, y1 in zip(ys[:-1], ys[1:])]
        for index, (a, b) in enumerate(quads):
            corners = np.array([[a[0], a[1], 0.0], [b[0], b[1], 0.0], [b[0], b[1], -0.9], [a[0], a[1], -0.9]])
            uv, valid = camera.project(corners, distort=False)
            if not valid.all() or not np.isfinite(uv).all():
                continue
            if uv[:, 0].max() < 0 or uv[:, 0].min() >= self.width or uv[:, 1].max() < 0 or uv[:, 1].min() >= self.height:
                continue
            cv2.fillPoly(frame, [np.round(uv * 4).astype(np.int32)], self.board_colours[index % len(self.board_colours)],
                         cv2.LINE_AA, shift=2)

    def _goals(self, frame: np.ndarray, camera: Camera) -> None:
        for side in (-1, 1):
            x = side * self.pitch.length / 2
            post, bar, depth = 7.32 / 2, -2.44, side * 2.0
            frame_points = np.array([[x, -post, 0], [x, -post, bar], [x, post, bar], [x, post, 0]], dtype=float)
            back = frame_points + [depth, 0, 0]
            back[:, 2] = np.where(back[:, 2] < 0, bar * 0.8, 0)
            centre, valid = camera.project(frame_points.mean(0, keepdims=True), distort=False)
            if not valid.all():
                continue
            distance = np.linalg.norm(camera.position - frame_points.mean(0))
            width = max(1, int(round(camera.fx * 0.12 / distance)))
            for start, end in [(back[0], back[1]), (back[1], back[2]), (back[2], back[3]), (frame_points[1], back[1]),
                               (frame_points[2], back[2]), (frame_points[0], back[0]), (frame_points[3], back[3])]:
                self._segment(frame, camera, start, end, (200, 200, 200), 1)
            for start, end in [(frame_points[0], frame_points[1]), (frame_points[1], frame_points[2]),
                               (frame_points[2], frame_points[3])]:
                self._segment(frame, camera, start, end, (250, 250, 250), width)

    def _segment(self, frame, camera, start, end, colour, width) -> None:
        uv, valid = camera.project(np.stack([start, end]), distort=False)
        if valid.all() and np.isfinite(uv).all() and np.abs(uv).max() < 1e5:
            cv2.line(frame, tuple(np.round(uv[0] * 16).astype(int)), tuple(np.round(uv[1] * 16).astype(int)), colour,
                     width, cv2.LINE_AA, shift=4)

    # -------------------------------------------------------------------------------------------- people
    def _kit(self, role: str, team: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        if role == "referee" or team < 0:
            return self.referee_kit
        if role == "goalkeeper":
            return self.goalkeeper_kits[team % 2]
        return self.team_kits[team % 2]

    def _person(self, frame: np.ndarray, camera: Camera, index: int, position: np.ndarray, role: str, team: int,
                jersey: int, stature: float) -> PersonRender | None:
        points = np.array([[position[0], position[1], 0.0], [position[0], position[1], -stature]])
        uv, valid = camera.project(points, distort=False)
        if not valid.all() or not np.isfinite(uv).all():
            return None
        (u, foot), (_, head) = uv
        height = foot - head
        if height < 4 or u < -height or u > self.width + height or foot < 0 or head > self.height:
            return None
        shirt, shorts = self._kit(role, team)
        skin = self.skin.setdefault(index, SKIN_TONES[index % len(SKIN_TONES)])
        half = 0.15 * height
        socks = shorts if role != "referee" else (30, 30, 30)

        def rect(x0, y0, x1, y1, colour):
            cv2.rectangle(frame, (int(round(x0)), int(round(y0))), (int(round(x1)), int(round(y1))), colour, -1)

        leg = 0.07 * height
        rect(u - half * 0.8, foot - 0.45 * height, u - half * 0.8 + 2 * leg, foot, socks)         # legs
        rect(u + half * 0.8 - 2 * leg, foot - 0.45 * height, u + half * 0.8, foot, socks)
        rect(u - half * 0.85, foot - 0.52 * height, u + half * 0.85, foot - 0.36 * height, shorts)  # shorts
        rect(u - half, foot - 0.84 * height, u + half, foot - 0.5 * height, shirt)                  # shirt
        rect(u - half * 1.25, foot - 0.82 * height, u - half, foot - 0.58 * height, shirt)         # arms
        rect(u + half, foot - 0.82 * height, u + half * 1.25, foot - 0.58 * height, shirt)
        cv2.circle(frame, (int(round(u)), int(round(foot - 0.92 * height))), max(1, int(round(0.08 * height))), skin,
                   -1, cv2.LINE_AA)
        jersey_drawn = False
        if jersey >= 0 and role != "referee" and height >= self.jersey_min_height:
            text = str(jersey)
            scale = 0.0045 * height
            thickness = max(1, int(round(height / 45)))
            (text_width, text_height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
            colour = (255, 255, 255) if sum(shirt) < 400 else (20, 20, 20)
            origin = (int(round(u - text_width / 2)), int(round(foot - 0.67 * height + text_height / 2)))
            cv2.putText(frame, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)
            jersey_drawn = True
        box = (u - half * 1.25, foot - height, u + half * 1.25, foot)
        depth = float(camera.to_camera(points[:1])[0, 2])
        return PersonRender(index, box, depth, jersey_drawn)

    def _ball(self, frame: np.ndarray, camera: Camera, ball: np.ndarray) -> tuple | None:
        if not np.isfinite(ball[:2]).all():
            return None
        z = ball[2] if np.isfinite(ball[2]) else 0.0
        centre = np.array([[ball[0], ball[1], min(z, 0.0) - BALL_RADIUS_M]])
        uv, valid = camera.project(centre, distort=False)
        if not valid.all() or not np.isfinite(uv).all():
            return None
        depth = float(camera.to_camera(centre)[0, 2])
        radius = camera.fx * BALL_RADIUS_M / depth
        u, v = uv[0]
        if u < -radius or v < -radius or u > self.width + radius or v > self.height + radius:
            return None
        cv2.circle(frame, (int(round(u * 16)), int(round(v * 16))), max(16, int(round(radius * 16))), (250, 250, 250),
                   -1, cv2.LINE_AA, shift=4)
        return (u - radius, v - radius, u + radius, v + radius)

    # -------------------------------------------------------------------------------------------- frame
    def render(self, camera: Camera, people: list[tuple], ball: np.ndarray, frame_index: int,
               previous_camera: Camera | None = None) -> FrameRender:
        """`people`: list of `(index, position (2,), role, team, jersey, stature)` in pitch metres."""
        frame = self.background.copy()
        self._ground(frame, camera)
        self._boards(frame, camera)
        self._goals(frame, camera)
        # far to near so that nearer athletes occlude farther ones
        depths = [float(camera.to_camera(np.array([[p[1][0], p[1][1], 0.0]]))[0, 2]) for p in people]
        rendered: list[PersonRender] = []
        for order in np.argsort(depths)[::-1]:
            person = self._person(frame, camera, *people[order])
            if person is not None:
                rendered.append(person)
        ball_box = self._ball(frame, camera, ball)
        _visible_fractions(rendered)
        # effects: lighting drift, motion blur along the pan, sensor noise
        gain = self.gain * (1.0 + 0.05 * math.sin(frame_index / 90.0))
        image = frame.astype(np.float32) * gain
        if previous_camera is not None:
            shift = _pan_shift(camera, previous_camera, self.width, self.height)
            if shift >= 3:
                size = min(int(shift), 15)
                kernel = np.zeros((1, size), np.float32)
                kernel[0, :] = 1.0 / size
                image = cv2.filter2D(image, -1, kernel)
        if self.light is not None:
            image *= self.light
        if self.style.gamma != 1.0:
            image = 255.0 * np.power(np.clip(image, 0, 255) / 255.0, self.style.gamma)
        if self.style.optics_blur > 0:
            image = cv2.GaussianBlur(image, (0, 0), self.style.optics_blur)
        dy, dx = (frame_index * 7) % 64, (frame_index * 13) % 64
        image += self.noise[dy:dy + self.height, dx:dx + self.width] * self.noise_sigma
        image = np.clip(image, 0, 255).astype(np.uint8)
        if self.style.render_scale < 1.0:  # a lower-resolution feed, upscaled by the broadcaster
            small = (max(16, round(self.width * self.style.render_scale)), max(16, round(self.height * self.style.render_scale)))
            image = cv2.resize(cv2.resize(image, small, interpolation=cv2.INTER_AREA), (self.width, self.height),
                               interpolation=cv2.INTER_LINEAR)
        if self.style.score_bug:
            _score_bug(image, frame_index)
        return FrameRender(image, rendered, ball_box)


def _score_bug(image: np.ndarray, frame_index: int, fps: float = 25.0) -> None:
    """The broadcaster's score and clock box, top left (drawn over the picture, as on air)."""
    height, width = image.shape[:2]
    x0, y0 = int(0.03 * width), int(0.04 * height)
    x1, y1 = x0 + int(0.24 * width), y0 + max(8, int(0.05 * height))
    region = image[y0:y1, x0:x1]
    region[:] = (0.35 * region + 0.65 * np.array([60, 25, 15])).astype(np.uint8)
    minute, second = divmod(int(frame_index / fps), 60)
    scale = (y1 - y0) / 40.0
    cv2.putText(image, f"HOM 1-0 AWY  {minute + 23:02d}:{second:02d}", (x0 + 4, y1 - max(2, (y1 - y0) // 4)),
                cv2.FONT_HERSHEY_SIMPLEX, scale, (245, 245, 245), max(1, int(round(scale * 1.5))), cv2.LINE_AA)


def _light_field(height: int, width: int, style: LeagueStyle) -> np.ndarray | None:
    """Per-pixel multiplier of the league's light colour and lens vignette, `(height, width, 3)`; None if neutral."""
    if style.vignette <= 0 and tuple(style.colour_gain_bgr) == (1.0, 1.0, 1.0):
        return None
    vs = (np.arange(height, dtype=np.float32) - (height - 1) / 2) / (height / 2)
    us = (np.arange(width, dtype=np.float32) - (width - 1) / 2) / (width / 2)
    radius2 = (us[None, :] ** 2 + vs[:, None] ** 2) / 2.0  # 1 in the corners
    fall_off = 1.0 - style.vignette * radius2
    return fall_off[:, :, None] * np.asarray(style.colour_gain_bgr, np.float32)[None, None, :]


def _pan_shift(camera: Camera, previous: Camera, width: int, height: int) -> float:
    centre = np.array([[(width - 1) / 2, (height - 1) / 2]])
    point, valid = previous.backproject_to_ground(centre)
    if not valid.all():
        return 0.0
    uv, ok = camera.project(point, distort=False)
    return float(np.linalg.norm(uv[0] - centre[0])) if ok.all() and np.isfinite(uv).all() else 0.0


def _visible_fractions(people: list[PersonRender]) -> None:
    """Fraction of each box not covered by the boxes of nearer athletes (drawn later, on top)."""
    for i, person in enumerate(people):
        x0, y0, x1, y1 = person.box
        area = max((x1 - x0) * (y1 - y0), 1e-6)
        mask_samples = 0
        grid_u = np.linspace(x0, x1, 8)
        grid_v = np.linspace(y0, y1, 16)
        uu, vv = np.meshgrid(grid_u, grid_v)
        covered = np.zeros_like(uu, dtype=bool)
        for nearer in people[i + 1:]:
            a0, b0, a1, b1 = nearer.box
            covered |= (uu >= a0) & (uu <= a1) & (vv >= b0) & (vv <= b1)
        mask_samples = covered.mean()
        person.visible_fraction = float(1.0 - mask_samples) if area > 0 else 0.0


__all__ = ["ClipRenderer", "FrameRender", "PersonRender", "TEXTURE_SCALE"]
