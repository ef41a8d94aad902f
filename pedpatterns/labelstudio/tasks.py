"""tasks.json: one Label Studio task per segment, written by Part 1 and read by the project setup.

Files are referenced by Label Studio's local-files URLs (``/data/local-files/?d=<path>``)
relative to the project root, so one Label Studio started with the project root as its
document root serves every keyframe and audio clip, Cyrillic names and spaces included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pedpatterns import fsutil, locks
from pedpatterns.errors import UserError
from pedpatterns.labelstudio.config import AUDIO_TAG, CHOICES_TAG, IMAGE_TAG, LOCAL_FILES_PREFIX, TEXT_TAG
from pedpatterns.layout import Layout


def local_files_url(layout: Layout, path: Path) -> str:
    """The URL under which Label Studio serves ``path`` (a file inside the project root)."""
    return LOCAL_FILES_PREFIX + quote(layout.relative(path), safe="/")


def format_time(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def segment_task(layout: Layout, row: Mapping[str, Any]) -> dict[str, Any]:
    """One task of tasks.json from one row of segments.csv."""
    part = str(row["part"])
    index = int(row["segment"])
    part_dir = layout.part_dir(part)
    return {
        "data": {
            IMAGE_TAG: local_files_url(layout, part_dir / str(row["keyframe"])),
            AUDIO_TAG: local_files_url(layout, part_dir / str(row["audio"])),
            TEXT_TAG: str(row.get("text") or ""),
            "film": str(row["film"]),
            "part": part,
            "segment": index,
            "segment_id": f"{part}/{index:03d}",
            "lesson_start": round(float(row["lesson_start"]), 2),
            "lesson_end": round(float(row["lesson_end"]), 2),
            "time": f"{format_time(float(row['lesson_start']))}–{format_time(float(row['lesson_end']))}",
        }
    }


def prediction(choices: Iterable[str], score: float, model_version: str) -> dict[str, Any]:
    """A pre-annotation for a task's ``predictions`` list: the model's choices, shown to the expert to correct.

    ``score`` lets Label Studio sort tasks so that experts see the least certain ones first.
    """
    return {
        "model_version": model_version,
        "score": round(float(score), 4),
        "result": [
            {
                "from_name": CHOICES_TAG,
                "to_name": IMAGE_TAG,
                "type": "choices",
                "value": {"choices": list(choices)},
            }
        ],
    }


def segment_tasks(layout: Layout, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [segment_task(layout, row) for row in rows]


def read_tasks(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(
            f"Файл «{path}» повреждён ({exc}). Переименуйте его и обработайте части заново: "
            "python prepare_data.py --all"
        ) from None
    if not isinstance(tasks, list):
        raise UserError(f"В «{path}» ожидался список задач Label Studio. Переименуйте файл и обработайте части заново.")
    return tasks


def update_tasks_file(layout: Layout, part: str, tasks: list[dict[str, Any]]) -> int:
    """Replace ``part``'s tasks in tasks.json, keep every other part's; return the total count.

    Read, change and write happen under the tasks.json lock, so two runs finishing parts at
    the same time keep each other's tasks. Tasks stay ordered by part and segment, so the
    file reads in lesson order.
    """
    with locks.hold(layout, layout.tasks_json.name, f"файл {layout.tasks_json.name}"):
        current = read_tasks(layout.tasks_json)
        if not all(isinstance(t, dict) and isinstance(t.get("data"), dict) for t in current):
            raise UserError(f"В «{layout.tasks_json}» есть записи, не похожие на задачи Label Studio. "
                            "Переименуйте файл и обработайте части заново: python prepare_data.py --all")
        kept = [t for t in current if t["data"].get("part") != part]
        merged = sorted([*kept, *tasks], key=lambda t: (str(t["data"].get("part")), _segment_key(t)))
        fsutil.write_json(layout.tasks_json, merged)
    return len(merged)


def _segment_key(task: dict[str, Any]) -> int:
    try:
        return int(task["data"].get("segment", 0))
    except (TypeError, ValueError):
        return 0
