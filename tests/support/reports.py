"""A known lesson given speaker turns, and its report: shared by the report's speaker and wait tests."""

from __future__ import annotations

import json

from pedpatterns.layout import Layout
from pedpatterns.report.build import ReportOptions, analyse_lesson, write_report

# The known lesson: speech 0–10 s (ending "понятно?"), silence, speech 16–30 s. The pupil answers 16–22 s.
TURNS = [{"start": 0.0, "end": 10.0, "speaker": "teacher"}, {"start": 16.0, "end": 22.0, "speaker": "pupil"},
         {"start": 22.0, "end": 30.0, "speaker": "teacher"}]


def with_speakers(layout: Layout, part: str, turns: list[dict] | None, note: str = "", voices: int = 2) -> None:
    """Give the part's transcript the speakers Part 1 would write (no ``turns``: not separated; ``voices`` found)."""
    path = layout.transcript_json(part)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["speakers"] = {"engine": "resemblyzer" if turns is not None else "none", "voices": voices, "note": note}
    if turns is not None:
        data["turns"] = turns
        for word in data["words"]:
            middle = (word["start"] + word["end"]) / 2
            word["speaker"] = next(t["speaker"] for t in turns if t["start"] <= middle <= t["end"])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def report_of(layout: Layout, part: str) -> tuple[dict, str]:
    data = analyse_lesson(layout, "Урок 1", [part], None, ReportOptions())
    page = write_report(layout, data)
    return data, page.read_text(encoding="utf-8")
