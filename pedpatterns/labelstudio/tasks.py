"""tasks.json: one Label Studio task per segment, written by Part 1 and read by the project setup.

Files are referenced by Label Studio's local-files URLs (``/data/local-files/?d=<path>``)
relative to the project root, so one Label Studio started with the project root as its
document root serves every keyframe and audio clip, Cyrillic names and spaces included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pedpatterns import fsutil, locks
from pedpatterns.errors import UserError
from pedpatterns.labels.tags import AUDIO_TAG, CHOICES_TAG, IMAGE_TAG, LOCAL_FILES_PREFIX, TEXT_TAG
from pedpatterns.layout import Layout
from pedpatterns.words import LINE_NAMES, clock


def local_files_url(layout: Layout, path: Path) -> str:
    """The URL under which Label Studio serves ``path`` (a file inside the project root)."""
    return LOCAL_FILES_PREFIX + quote(layout.relative(path), safe="/")


def speaker_lines(words: Sequence[Mapping[str, Any]], start: float, end: float) -> list[dict[str, str]]:
    """Who says what in ``[start, end)`` (part axis): consecutive words of one speaker as one line.

    Words without a speaker (voices not separated) give no lines: the plain text is shown instead.
    Shared by the tasks and the report, so experts and teachers read the same lines.
    """
    lines: list[dict[str, str]] = []
    for word in words:
        try:
            middle = (float(word["start"]) + float(word["end"])) / 2
        except (KeyError, TypeError, ValueError):
            continue
        who = word.get("speaker")
        if not (start <= middle < end) or who not in LINE_NAMES:
            continue
        text = str(word.get("word", "")).strip()
        if lines and lines[-1]["speaker"] == who:
            lines[-1]["text"] += " " + text
        else:
            lines.append({"speaker": str(who), "text": text})
    return lines


def dialogue_text(lines: Sequence[Mapping[str, str]]) -> str:
    """Lines as the expert reads them in Label Studio: «Учитель: …», «Ученик: …», one per line."""
    return "\n".join(f"{LINE_NAMES[line['speaker']]}: {line['text']}" for line in lines)


def part_words(layout: Layout, part: str) -> list[dict[str, Any]]:
    """The words of a part's transcript.json when they carry speakers; [] otherwise (or when unreadable)."""
    try:
        data = json.loads(layout.transcript_json(part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    words = data.get("words") if isinstance(data, dict) and isinstance(data.get("turns"), list) else None
    return [w for w in words if isinstance(w, dict)] if isinstance(words, list) else []


# What a task's "data" holds, in order; docs/outputs.md is generated from it (tools/docs.py).
TASK_DATA_FIELDS: dict[str, str] = {
    IMAGE_TAG: "ссылка на ключевой кадр сегмента: /data/local-files/?d=processed_data/…, от папки проекта",
    AUDIO_TAG: "ссылка на аудиофрагмент сегмента (MP3), так же",
    TEXT_TAG: "расшифровка сегмента; если голоса различались — по строке на реплику («Учитель: …», «Ученик: …»)",
    "film": "имя исходного фильма (без расширения)",
    "part": "имя части (папка в processed_data/)",
    "segment": "номер сегмента в части, с 0",
    "segment_id": "часть/номер сегмента (по нему задачи не задваиваются при повторном импорте)",
    "lesson_start": "начало сегмента от начала урока, с",
    "lesson_end": "конец сегмента от начала урока, с",
    "time": "то же время в виде м:сс–м:сс (от часа — ч:мм:сс), как его видит эксперт",
}


def segment_task(
    layout: Layout, row: Mapping[str, Any], words: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """One task of tasks.json from one row of segments.csv.

    With the part's ``words`` (carrying speakers), the text shows who says what, line by line.
    """
    part = str(row["part"])
    index = int(row["segment"])
    part_dir = layout.part_dir(part)
    lines = speaker_lines(words, float(row["start"]), float(row["end"])) if words and "start" in row else []
    return {
        "data": {
            IMAGE_TAG: local_files_url(layout, part_dir / str(row["keyframe"])),
            AUDIO_TAG: local_files_url(layout, part_dir / str(row["audio"])),
            TEXT_TAG: dialogue_text(lines) if lines else str(row.get("text") or ""),
            "film": str(row["film"]),
            "part": part,
            "segment": index,
            "segment_id": f"{part}/{index:03d}",
            "lesson_start": round(float(row["lesson_start"]), 2),
            "lesson_end": round(float(row["lesson_end"]), 2),
            "time": f"{clock(float(row['lesson_start']))}–{clock(float(row['lesson_end']))}",
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
    """Tasks of rows, each part's transcript read once for who says what."""
    words: dict[str, list[dict[str, Any]]] = {}
    tasks = []
    for row in rows:
        part = str(row["part"])
        if part not in words:
            words[part] = part_words(layout, part)
        tasks.append(segment_task(layout, row, words[part]))
    return tasks


def read_tasks(path: Path) -> list[dict[str, Any]]:
    """tasks.json's tasks; [] when there is none yet (or it is empty). A damaged one is a UserError naming it.

    prepare_data.py calls this before processing as well as when it writes the new tasks,
    so a damaged file is refused in the first second, not after minutes of work.
    """
    if not path.is_file():
        return []
    again = "Переименуйте этот файл и обработайте части заново: python prepare_data.py --all"
    try:
        # utf-8-sig: the same tasks re-saved by Notepad start with a BOM.
        text = path.read_text(encoding="utf-8-sig")
        tasks = json.loads(text) if text.strip() else []  # an empty file holds no tasks to keep
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"Файл «{path}» повреждён ({exc}). {again}") from None
    except RecursionError:
        raise UserError(f"Файл «{path}» повреждён (слишком глубокая вложенность). {again}") from None
    if not isinstance(tasks, list):
        raise UserError(f"В «{path}» ожидался список задач Label Studio. {again}")
    for number, task in enumerate(tasks, 1):
        if not (isinstance(task, dict) and isinstance(task.get("data"), dict)):
            raise UserError(f"В «{path}» запись № {number} не похожа на задачу Label Studio. {again}")
    return tasks


def update_tasks_file(layout: Layout, part: str, tasks: list[dict[str, Any]]) -> int:
    """Replace ``part``'s tasks in tasks.json, keep every other part's; return the total count."""
    return replace_tasks(layout, {part: tasks})


def replace_tasks(layout: Layout, by_part: Mapping[str, list[dict[str, Any]]]) -> int:
    """Replace the tasks of every part in ``by_part`` in one write, keep every other part's; the total count.

    Read, change and write happen under the tasks.json lock, so two runs finishing parts at
    the same time keep each other's tasks. Tasks stay ordered by part and segment, so the
    file reads in lesson order.
    """
    tasks = [task for part_tasks in by_part.values() for task in part_tasks]
    with locks.hold(layout, layout.tasks_json.name, f"файл {layout.tasks_json.name}"):
        current = read_tasks(layout.tasks_json)
        kept = [t for t in current if t["data"].get("part") not in by_part]
        merged = sorted([*kept, *tasks], key=lambda t: (str(t["data"].get("part")), _segment_key(t)))
        fsutil.write_json(layout.tasks_json, merged)
    return len(merged)


def _segment_key(task: dict[str, Any]) -> int:
    try:
        return int(task["data"].get("segment", 0))
    except (TypeError, ValueError):
        return 0
