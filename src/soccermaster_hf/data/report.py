"""Counted problems of the readers: every skipped or repaired record, by file and reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# kinds of report entries that drop data (the rest repair it: the record is kept, with the repair counted)
SKIP_KINDS = {"unusable_clip", "malformed_annotation", "duplicate_image_id", "unreadable_frame", "unknown_event",
              "missing_video", "unreadable_video", "malformed_record", "unknown_image_id", "not_a_regular_file",
              "unreadable_image"}


@dataclass
class DataReport:
    """Counted problems met while reading, with the first messages (file + problem).

    Each kind counts records that were skipped (see `SKIP_KINDS`) or repaired (kept with a fix, e.g. an upper-case
    team, an integer jersey); :meth:`lines` prints them by file and reason.
    """

    source: str = "data"
    counts: Counter = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    max_messages: int = 50

    def add(self, kind: str, message: str) -> None:
        self.counts[kind] += 1
        if len(self.messages) < self.max_messages:
            self.messages.append(f"{kind}: {message}")

    def summary(self) -> str:
        if not self.counts:
            return "no problems"
        return ", ".join(f"{kind}: {count}" for kind, count in sorted(self.counts.items()))

    def lines(self, final: bool = False) -> list[str]:
        """Printable lines: the counts (skipped / repaired, by reason), then every recorded message."""
        if not self.counts:
            return [f"{self.source}: no problems"] if final else []
        skipped = {k: v for k, v in sorted(self.counts.items()) if k in SKIP_KINDS}
        repaired = {k: v for k, v in sorted(self.counts.items()) if k not in SKIP_KINDS}
        parts = []
        if skipped:
            parts.append(f"skipped {sum(skipped.values())} ({', '.join(f'{k}: {v}' for k, v in skipped.items())})")
        if repaired:
            parts.append(f"repaired {sum(repaired.values())} ({', '.join(f'{k}: {v}' for k, v in repaired.items())})")
        out = [f"{self.source}: {'; '.join(parts)}"]
        if not final:
            out += [f"  {message}" for message in self.messages]
            hidden = sum(self.counts.values()) - len(self.messages)
            if hidden > 0:
                out.append(f"  ... and {hidden} more (first {len(self.messages)} shown)")
        return out


__all__ = ["SKIP_KINDS", "DataReport"]
