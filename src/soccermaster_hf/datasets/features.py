"""The typed schema of the SoccerFactory datasets: one `Features` for spatial clips, one for semantic windows.

Every builder writes one of these two schemas, so one collate serves every source and any two configs of the same
kind concatenate. The vocabularies (roles, teams, event keywords) come from the model configuration.

Coordinates are stored as the source files give them, in float64 (so a record reproduces the raw readers' labels
bit for bit): athlete boxes in pixels ``[x, y, w, h]`` (top-left corner, size); pitch-line points and keypoints
normalised to [0, 1] by ``(width - 1, height - 1)`` (the SoccerNet convention); ``bbox_pitch`` in metres on the pitch
plane (centre origin), the six SoccerNet-GSR keys in the order of :data:`BBOX_PITCH_KEYS`. Cameras are fixed-shape
arrays (plain Arrow fixed-size lists, readable without this package): ``K`` and ``R`` 3 x 3, ``position`` 3 (metres),
``distortion`` 12 (6 radial, 2 tangential, 4 thin-prism), with ``valid = False`` and zeros when a frame has no camera.

Times are explicit: a spatial record lists the 0-based index and the time (seconds, ``frame_index / fps``) of each of
its frames in the clip; a semantic record lists the times (seconds into its `video`) of its 1-fps samples and the
centre of its window.
"""

from __future__ import annotations

from datasets import ClassLabel, Features, List, Value

from ..modeling.configuration_soccermaster import EVENT_KEYWORDS, ROLE_NAMES, SOCCERNET_V2_TO_KEYWORD, TEAM_NAMES
from ..modeling.pitch_definitions import KEYPOINTS, LINE_CLASSES

# Bump on any change of the features or of a field's meaning; readers check it (meta/info.json, dataset card).
SCHEMA_VERSION = "1.0"
CODEBASE_VERSION = "soccermaster-datasets-v1"

SPATIAL, SEMANTIC = "spatial", "semantic"

BBOX_PITCH_KEYS = ("x_bottom_left", "y_bottom_left", "x_bottom_middle", "y_bottom_middle", "x_bottom_right",
                   "y_bottom_right")
NUM_KEYPOINTS = len(KEYPOINTS)
NUM_LINES = len(LINE_CLASSES)
SEMANTIC_WINDOW_SECONDS = 30.0   # the paper's semantic clips: 30 s around the event ...
SEMANTIC_FPS = 1.0               # ... sampled at 1 fps (30 frames)

# MatchTime / SoccerNet-Caption caption labels -> the authors' event keywords (ours: the authors classify MatchTime
# clips by keywords derived from the commentary, not by these labels). Labels not listed ("comments", "whistle", "",
# ...) carry no event keyword: their records have `label = -1` and keep the commentary.
MATCHTIME_CAPTION_TO_KEYWORD = {
    "corner": "corner",
    "substitution": "substitution",
    "y-card": "yellow card",
    "yr-card": "second yellow card",
    "r-card": "red card",
    "soccer-ball": "goal",
    "soccer-ball-own": "goal",
    "injury": "injury",
    "penalty": "penalty",
    "penalty-missed": "penalty",
}


def _matrix(rows: int, cols: int) -> List:
    return List(List(Value("float64"), length=cols), length=rows)


def event_label() -> ClassLabel:
    """The event label: the package's 23 keywords in logit order (`-1`: the record has no event keyword)."""
    return ClassLabel(names=list(EVENT_KEYWORDS))


ATHLETE = {
    "track_id": Value("int32"),               # -1: not tracked
    "role": ClassLabel(names=list(ROLE_NAMES)),
    "team": ClassLabel(names=list(TEAM_NAMES)),  # left / right as SoccerNet-GSR defines them (camera view); none
    "jersey": Value("int16"),                 # 0-99, -1 when not readable
    "jersey_legibility": Value("float32"),    # the source's legibility score (SoccerFactory), else null
    "bbox": List(Value("float64"), length=4),         # x, y, w, h in pixels
    "bbox_pitch": List(Value("float64"), length=6),   # BBOX_PITCH_KEYS in metres, null when the source has none
}

CAMERA = {
    "valid": Value("bool"),
    "K": _matrix(3, 3),
    "R": _matrix(3, 3),
    "position": List(Value("float64"), length=3),
    "has_position": Value("bool"),
    "distortion": List(Value("float64"), length=12),
}

FRAME = {
    "frame_index": Value("int32"),   # 0-based index of the frame in its clip / sequence / video
    "timestamp": Value("float64"),   # seconds: frame_index / fps
    "image": Value("string"),        # relative path of the image file ("" when the frames come from `video`)
    "image_id": Value("string"),     # the source's id of the frame ("" when it has none)
    "athletes": List(ATHLETE),
    "has_pitch": Value("bool"),      # the frame has a pitch annotation (lines may still be empty)
    "lines": List({"name": Value("string"), "points": List(List(Value("float64"), length=2))}),
    # derived from `lines` at build time (the GSR reader's rule): the line head's targets, the two endpoints
    # x0, y0, x1, y1 in pixels of each of the 23 line channels (LINE_CLASSES order) and whether it is visible
    "line_endpoints": List(List(Value("float32"), length=4), length=NUM_LINES),
    "line_visible": List(Value("bool"), length=NUM_LINES),
    "has_keypoints": Value("bool"),
    "keypoints": _matrix(NUM_KEYPOINTS, 3),  # x, y normalised, visible (0 / 1); zeros when has_keypoints is false
    "camera": CAMERA,
}

SPATIAL_FEATURES = Features({
    "record_id": Value("string"),    # unique key: "<clip>/<first frame index>"
    "source": Value("string"),       # the --format it was built from
    "split": Value("string"),
    "clip": Value("string"),         # clip / sequence / image name in the source
    "game_id": Value("string"),
    "fps": Value("float32"),
    "width": Value("int32"),
    "height": Value("int32"),
    "video": Value("string"),        # relative path of the video holding the frames ("" when they are image files)
    "frame_start": Value("int32"),
    "num_frames": Value("int32"),
    "frames": List(FRAME),
})

SEMANTIC_FEATURES = Features({
    "record_id": Value("string"),
    "source": Value("string"),
    "split": Value("string"),
    "video": Value("string"),          # relative path of the video (a match half or a clip file)
    "video_fps": Value("float32"),     # nominal frame rate of `video` (decoding reads the container's own)
    "game": Value("string"),           # game folder, e.g. "england_epl/2014-2015/2015-05-17 - 18-00 ..."
    "half": Value("int8"),             # 1, 2 ... (0: unknown)
    "event_time": Value("float64"),    # seconds into the half of the event / comment (null when unknown)
    "game_time": Value("string"),      # the source's "<half> - MM:SS"
    "window_center": Value("float64"), # seconds into `video` of the window centre
    "frame_times": List(Value("float64")),   # seconds into `video` of the 1-fps samples
    "frame_indices": List(Value("int32")),   # floor(frame_times * video_fps)
    "label": event_label(),
    "source_label": Value("string"),   # the label as the source writes it ("Kick-off", "corner", "comments", ...)
    "team": Value("string"),
    "visibility": Value("string"),
    "caption": Value("string"),              # commentary with real names ("" when none)
    "caption_anonymized": Value("string"),   # [PLAYER] / [TEAM] placeholders ("" when none)
    "important": Value("bool"),
    "camera_shot": Value("string"),    # SoccerNet-v2 Labels-cameras.json shot at the event ("" when unknown)
    "replay": Value("bool"),           # the shot is a replay (null when unknown)
})

FEATURES = {SPATIAL: SPATIAL_FEATURES, SEMANTIC: SEMANTIC_FEATURES}


def semantic_frame_times(center: float, num_frames: int = int(SEMANTIC_WINDOW_SECONDS * SEMANTIC_FPS),
                         fps: float = SEMANTIC_FPS, duration: float | None = None) -> list[float]:
    """The 1-fps sample times of a window centred on `center` (the middle of each of its 1-s intervals, the
    authors' ``sample="middle"`` rule), shifted to start at 0 (and to end by `duration` when known) like the video
    processor's semantic sampling."""
    window = num_frames / fps
    begin = max(0.0, center - window / 2)
    if duration is not None:
        begin = min(begin, max(0.0, duration - window))
    return [begin + (k + 0.5) / fps for k in range(num_frames)]


def empty_camera() -> dict:
    return {"valid": False, "K": [[0.0] * 3] * 3, "R": [[0.0] * 3] * 3, "position": [0.0] * 3, "has_position": False,
            "distortion": [0.0] * 12}


def empty_keypoints() -> list:
    return [[0.0, 0.0, 0.0]] * NUM_KEYPOINTS


def label_mapping() -> dict:
    """The documented source-label -> keyword tables (written to meta/info.json and the dataset card)."""
    return {"soccernet_v2": dict(SOCCERNET_V2_TO_KEYWORD), "matchtime_caption": dict(MATCHTIME_CAPTION_TO_KEYWORD)}


__all__ = [
    "BBOX_PITCH_KEYS",
    "CODEBASE_VERSION",
    "FEATURES",
    "MATCHTIME_CAPTION_TO_KEYWORD",
    "SCHEMA_VERSION",
    "SEMANTIC",
    "SEMANTIC_FEATURES",
    "SPATIAL",
    "SPATIAL_FEATURES",
    "empty_camera",
    "empty_keypoints",
    "event_label",
    "label_mapping",
    "semantic_frame_times",
]
