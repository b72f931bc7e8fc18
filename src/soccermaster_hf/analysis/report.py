"""``report.html``: one page that opens from disk (no server, no network) with the overlay video, the minimap in sync
with it, the event timeline (click to seek) with each event's commentary line, per-team heat maps and average positions, and the
calibration status of every shot.

The videos are the sibling ``overlay.mp4`` / ``minimap.mp4``; the plots are embedded as PNG data URIs (and written
beside the page as ``team_heatmap_left.png``, ``team_heatmap_right.png`` and ``team_formations.png``) and the data
(events, shots, summary) as inline JSON, so the folder can be zipped or moved as a whole. With ``#selftest`` in the
address the page checks itself (the overlay plays, seeking on the timeline moves the minimap to the same time) and
writes the result as JSON into ``<pre id="selftest">`` — what the headless-Chromium test reads.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import cv2
import numpy as np

from ..utils.io import atomic_write_bytes, atomic_write_text
from .render import TEAM_COLOURS, _minimap_background

SCALE, MARGIN = 5.0, 5.0  # the minimap's pixels per metre and margin (m)


class TeamPositions:
    """Per-team occupancy on a 1-m grid of the pitch (+ margin) and each track's mean position, accumulated frame by
    frame in constant memory per track."""

    def __init__(self):
        self.grid = {team: np.zeros((78, 115)) for team in ("left", "right")}
        self.tracks: dict[int, list] = {}  # track id -> [team, sum x, sum y, count]

    def add(self, track_id: int, team: str | None, point) -> None:
        if team not in self.grid or point is None or not np.isfinite(point).all():
            return
        x, y = float(point[0]), float(point[1])
        col, row = int(np.floor(x + 52.5 + MARGIN)), int(np.floor(y + 34 + MARGIN))
        if 0 <= row < 78 and 0 <= col < 115:
            self.grid[team][row, col] += 1
        entry = self.tracks.setdefault(track_id, [team, 0.0, 0.0, 0])
        entry[1] += x
        entry[2] += y
        entry[3] += 1

    def heatmap(self, team: str) -> np.ndarray:
        """BGR image: the minimap's pitch with the team's occupancy (blurred, colour-mapped) on it."""
        background = _minimap_background(SCALE, MARGIN).copy()
        grid = cv2.GaussianBlur(self.grid[team], (0, 0), 2.0)
        if grid.max() <= 0:
            return background
        resized = cv2.resize(grid / grid.max(), background.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        colour = cv2.applyColorMap((resized * 255).astype(np.uint8), cv2.COLORMAP_JET)
        alpha = np.clip(resized * 1.5, 0, 0.75)[..., None]
        return (background * (1 - alpha) + colour * alpha).astype(np.uint8)

    def formation(self, players_per_team: int = 11) -> np.ndarray:
        """BGR image: the mean position of each team's most-seen tracks (at most `players_per_team`)."""
        image = _minimap_background(SCALE, MARGIN).copy()
        for team in ("left", "right"):
            entries = sorted((e for e in self.tracks.values() if e[0] == team), key=lambda e: -e[3])
            for _, sx, sy, n in entries[:players_per_team]:
                centre = (int(round((sx / n + 52.5 + MARGIN) * SCALE)), int(round((sy / n + 34 + MARGIN) * SCALE)))
                cv2.circle(image, centre, 7, TEAM_COLOURS[team], -1, cv2.LINE_AA)
                cv2.circle(image, centre, 7, (255, 255, 255), 1, cv2.LINE_AA)
        return image


def _png_bytes(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("could not encode a report image")
    return data.tobytes()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SoccerMaster analysis: __TITLE__</title>
<style>
body{font-family:system-ui,sans-serif;margin:16px;background:#111;color:#eee}
h1{font-size:20px;margin:0 0 8px} h2{font-size:16px;margin:16px 0 6px}
.row{display:flex;gap:12px;flex-wrap:wrap;align-items:flex-start}
video{background:#000;max-width:100%} #overlay{width:820px} #minimap{width:460px}
#timeline{position:relative;height:34px;background:#2a2a2a;border-radius:4px;margin:8px 0;cursor:pointer;width:1292px;
max-width:100%}
#cursor{position:absolute;top:0;bottom:0;width:2px;background:#fff}
.event{position:absolute;top:4px;width:4px;height:26px;background:#f5a623;border-radius:2px}
.shot{position:absolute;bottom:0;height:5px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #444;padding:3px 8px}
img{border:1px solid #333} .muted{color:#999}
</style></head><body>
<h1>__TITLE__</h1>
<div class="muted">__SUBTITLE__</div>
<div class="row"><video id="overlay" src="overlay.mp4" poster="overlay_last.png" preload="auto" controls muted
playsinline></video>
<video id="minimap" src="minimap.mp4" poster="minimap.png" preload="auto" muted playsinline></video></div>
<div id="timeline" title="events (orange) and shots (green: calibrated, grey: not); click to seek"><div id="cursor"></div></div>
<div class="row"><div><h2>Events</h2><table id="events"><tr><th>time</th><th>event</th><th>confidence</th><th>commentary</th></tr></table>
<p id="commentary" class="muted"></p></div>
<div><h2>Shots and cameras</h2><table id="shots"><tr><th>shot</th><th>from</th><th>to</th><th>view</th>
<th>calibrated</th></tr></table></div></div>
<h2>Teams</h2><div class="row">
<figure><img alt="left team heat map" src="__HEAT_LEFT__" width="460"><figcaption>left team: where it played</figcaption></figure>
<figure><img alt="right team heat map" src="__HEAT_RIGHT__" width="460"><figcaption>right team</figcaption></figure>
<figure><img alt="average positions" src="__FORMATION__" width="460"><figcaption>average positions (the most-seen tracks
of each team)</figcaption></figure></div>
<pre id="selftest" hidden></pre>
<script id="data" type="application/json">__DATA__</script>
<script>
const data = JSON.parse(document.getElementById("data").textContent);
const overlay = document.getElementById("overlay"), minimap = document.getElementById("minimap");
const timeline = document.getElementById("timeline"), cursor = document.getElementById("cursor");
const duration = Math.max(data.end - data.start, 1e-3);
const pct = t => (100 * (t - data.start) / duration) + "%";
function fmt(t){const m = Math.floor(t / 60), s = (t % 60).toFixed(1).padStart(4, "0"); return m + ":" + s;}
function seek(t){overlay.currentTime = Math.max(0, t - data.start); sync();}
function sync(){ if (Math.abs(minimap.currentTime - overlay.currentTime) > 0.05) minimap.currentTime = overlay.currentTime;
  cursor.style.left = pct(data.start + overlay.currentTime); }
overlay.addEventListener("timeupdate", sync); overlay.addEventListener("seeked", sync);
overlay.addEventListener("play", () => { minimap.play().catch(() => {}); });
overlay.addEventListener("pause", () => minimap.pause());
timeline.addEventListener("click", e => { const r = timeline.getBoundingClientRect();
  seek(data.start + duration * (e.clientX - r.left) / r.width); });
for (const shot of data.shots) { const d = document.createElement("div"); d.className = "shot";
  d.style.left = pct(shot.start); d.style.width = (100 * (shot.end - shot.start) / duration) + "%";
  d.style.background = shot.calibrated > 0 ? "#3c3" : "#777"; timeline.appendChild(d);
  const row = document.getElementById("shots").insertRow(); [shot.shot + 1, fmt(shot.start), fmt(shot.end), shot.view,
  shot.calibrated + " / " + shot.frames].forEach(v => row.insertCell().textContent = v); }
for (const ev of data.events) { const d = document.createElement("div"); d.className = "event"; d.style.left = pct(ev.time);
  d.title = ev.label + " " + fmt(ev.time); d.addEventListener("click", e => { e.stopPropagation(); seek(ev.time); });
  timeline.appendChild(d); const row = document.getElementById("events").insertRow();
  row.insertCell().textContent = fmt(ev.time); row.insertCell().textContent = ev.label;
  row.insertCell().textContent = ev.confidence.toFixed(2); row.insertCell().textContent = ev.commentary || "";
  row.style.cursor = "pointer";
  row.addEventListener("click", () => seek(ev.time)); }
if (!data.events.length) document.getElementById("events").insertRow().insertCell().textContent =
  "no event above the reporting threshold";
document.getElementById("commentary").textContent = data.commentary ? "Commentary: " + data.commentary : "";
if (location.hash === "#selftest") {
  const out = document.getElementById("selftest"); const result = {};
  const finish = () => { out.hidden = false; out.textContent = JSON.stringify(result); };
  const started = overlay.currentTime;
  overlay.play().then(() => new Promise(r => setTimeout(r, 700))).then(() => {
    result.played = overlay.currentTime > started; result.playing_time = overlay.currentTime; overlay.pause();
    const target = data.start + duration * 0.5; const rect = timeline.getBoundingClientRect();
    timeline.dispatchEvent(new MouseEvent("click", {clientX: rect.left + rect.width * 0.5, clientY: rect.top + 5,
      bubbles: true}));
    return new Promise(r => setTimeout(r, 700)).then(() => { result.target = target - data.start;
      result.overlay_time = overlay.currentTime; result.minimap_time = minimap.currentTime;
      result.synced = Math.abs(minimap.currentTime - overlay.currentTime) < 0.1 &&
        Math.abs(overlay.currentTime - (target - data.start)) < 0.2; });
  }).catch(e => { result.error = String(e); }).finally(finish);
}
</script></body></html>
"""


def write_report(output_dir: str | Path, summary: dict, positions: TeamPositions) -> Path:
    """Write ``report.html`` into an analysis folder (see the module docstring); returns its path."""
    output_dir = Path(output_dir)
    data = {"start": summary["start_seconds"], "end": summary["end_seconds"], "events": summary["events"],
            "shots": summary["shots"], "commentary": summary.get("commentary")}
    title = html.escape(str(summary.get("input", "analysis")))
    subtitle = html.escape(f"{summary['frames']} frames, {summary['tracks']} tracks, "
                           f"{summary['frames_calibrated']} frames with a plausible camera; model: {summary['model']}")
    plots = {"team_heatmap_left.png": _png_bytes(positions.heatmap("left")),
             "team_heatmap_right.png": _png_bytes(positions.heatmap("right")),
             "team_formations.png": _png_bytes(positions.formation())}
    for name, png in plots.items():  # the page's plots as files too (slides, notebooks)
        atomic_write_bytes(output_dir / name, png)
    page = (PAGE.replace("__TITLE__", title).replace("__SUBTITLE__", subtitle)
            .replace("__HEAT_LEFT__", _data_uri(plots["team_heatmap_left.png"]))
            .replace("__HEAT_RIGHT__", _data_uri(plots["team_heatmap_right.png"]))
            .replace("__FORMATION__", _data_uri(plots["team_formations.png"]))
            .replace("__DATA__", json.dumps(data).replace("</", "<\\/")))
    return atomic_write_text(output_dir / "report.html", page)


__all__ = ["TeamPositions", "write_report"]
