"""Drawing the analysis: the overlay (boxes, ids, roles / jerseys in team colours, projected pitch lines), the minimap
(top-down pitch with athletes) and H.264 videos of either."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..geometry.camera import Camera
from ..geometry.metric import project_pitch_polylines
from ..geometry.pitch import PitchModel
from ..utils.io import atomic_path

TEAM_COLOURS = {"left": (60, 60, 230), "right": (230, 140, 40), "none": (40, 230, 230)}  # BGR


def draw_minimap(positions: list[tuple[np.ndarray, str, int]], scale: float = 5.0) -> np.ndarray:
    """Top-down pitch (105 x 68 m) with athletes as dots in team colours and their ids."""
    margin = 5.0
    width, height = int((105 + 2 * margin) * scale), int((68 + 2 * margin) * scale)
    image = np.full((height, width, 3), (60, 130, 60), np.uint8)

    def to_px(points):
        return np.round((np.asarray(points)[:, :2] + [52.5 + margin, 34 + margin]) * scale * 4).astype(np.int32)

    for name, points in PitchModel().sample_all(step=0.5).items():
        if not name.startswith("Goal"):
            cv2.polylines(image, [to_px(points)], False, (235, 235, 235), 1, cv2.LINE_AA, shift=2)
    for point, team, track_id in positions:
        if np.isfinite(point).all() and abs(point[0]) < 60 and abs(point[1]) < 42:
            centre = tuple(int(v) for v in np.round((point[:2] + [52.5 + margin, 34 + margin]) * scale))
            cv2.circle(image, centre, 5, TEAM_COLOURS.get(team or "none", TEAM_COLOURS["none"]), -1, cv2.LINE_AA)
            cv2.putText(image, str(track_id), (centre[0] + 6, centre[1] - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                        (255, 255, 255), 1, cv2.LINE_AA)
    return image


def write_video(path: Path, frames: list[np.ndarray], fps: float) -> None:
    """Encode RGB `frames` as H.264 (yuv420p, even sizes) at `fps`, written atomically to `path`."""
    import av

    height, width = frames[0].shape[:2]
    with atomic_path(path) as partial, av.open(str(partial), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=int(round(fps)) or 25)
        stream.width, stream.height, stream.pix_fmt = width - width % 2, height - height % 2, "yuv420p"
        for frame in frames:
            if frame.shape[:2] != (height, width):  # mixed-size inputs: the video takes the first frame's size
                frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[: stream.height, : stream.width, ::-1]),
                                                     format="rgb24")
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def draw_overlay(frame: np.ndarray, boxes: np.ndarray, ids: list[int], detection: dict,
                 camera: Camera | None) -> np.ndarray:
    image = np.ascontiguousarray(frame[..., ::-1]).copy()  # RGB -> BGR for OpenCV
    height, width = image.shape[:2]
    if camera is not None:
        for polyline in project_pitch_polylines(camera, width, height).values():
            cv2.polylines(image, [np.round(polyline * 4).astype(np.int32)], False, (0, 255, 255), 1, cv2.LINE_AA,
                          shift=2)
    for i, box in enumerate(boxes):
        team = detection["teams"][i] if "teams" in detection else "none"
        colour = TEAM_COLOURS.get(team or "none", TEAM_COLOURS["none"])
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        cv2.rectangle(image, (x0, y0), (x1, y1), colour, 2)
        jersey = detection["jerseys"][i] if "jerseys" in detection else None
        label = f"#{ids[i]} {detection['roles'][i][:2] if 'roles' in detection else ''}{' ' + jersey if jersey else ''}"
        cv2.putText(image, label, (x0, max(10, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA)
    return image




__all__ = ["TEAM_COLOURS", "draw_minimap", "draw_overlay", "write_video"]
