"""Tracking: association of per-frame detections into tracks behind one :class:`Tracker` interface, and the game
state per tracklet.

* :class:`Tracker` — the interface (``update(frame_index, boxes_xyxy, embeddings, scores) -> track ids``, ``reset()``).
* :class:`ByteTracker` — ByteTrack from Roboflow's ``trackers`` library (:func:`to_supervision` /
  :func:`from_supervision` convert detections); :class:`HungarianTracker` — the IoU + cosine baseline;
  :class:`MOTIPTracker` — the ID-decoder runtime of ``SoccerMasterForMultiObjectTracking`` (:mod:`.motip`).
* :func:`make_tracker` — a tracker by name (``analyze --tracker``).
* :func:`vote_game_state` — roles and jerseys by tracklet vote, teams by clustering the clip's athletes.
* :class:`TrackedDetection` / :class:`TrackedFrame` — the typed results the writers take.
"""

from soccermaster_hf.tracking.association import HungarianTracker, Track, Tracker, iou_matrix
from soccermaster_hf.tracking.bytetrack import ByteTracker, from_supervision, to_supervision
from soccermaster_hf.tracking.game_state import assign_teams, torso_colour, tracklets, vote_attributes, vote_game_state
from soccermaster_hf.tracking.motip import MOTIPTracker
from soccermaster_hf.tracking.types import TrackedDetection, TrackedFrame

TRACKERS = ("bytetrack", "motip", "hungarian")


def make_tracker(name: str, frame_rate: float = 25.0, model=None, **kwargs) -> Tracker:
    """The tracker called `name` (one of :data:`TRACKERS`); ``motip`` needs its
    :class:`~soccermaster_hf.SoccerMasterForMultiObjectTracking` ``model``."""
    if name == "bytetrack":
        return ByteTracker(frame_rate=frame_rate, **kwargs)
    if name == "hungarian":
        return HungarianTracker(**kwargs)
    if name == "motip":
        if model is None:
            raise ValueError("the motip tracker needs a SoccerMasterForMultiObjectTracking model.")
        return MOTIPTracker(model, **kwargs)
    raise ValueError(f"unknown tracker {name!r}: choose one of {', '.join(TRACKERS)}.")


__all__ = ["TRACKERS", "ByteTracker", "HungarianTracker", "MOTIPTracker", "Track", "TrackedDetection", "TrackedFrame", "Tracker",
           "assign_teams", "from_supervision", "iou_matrix", "make_tracker", "to_supervision", "torso_colour",
           "tracklets", "vote_attributes", "vote_game_state"]
