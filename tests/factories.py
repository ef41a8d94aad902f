"""Small projects built on disk for tests of the stages after Part 1.

They write exactly the files Part 1 writes (segments.csv with the schema's columns,
keyframes named by the layout) and the CSV Label Studio exports, so a later stage can be
tested without cutting and transcribing a video first.
"""

from __future__ import annotations

import csv
import json
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from pedpatterns import schema
from pedpatterns.labelstudio.tasks import segment_task
from pedpatterns.layout import Layout

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_MEDIA = REPO_ROOT.parent / "shared" / "media"


def keyframe_image(colour: tuple[int, int, int], size: int = 64, seed: int = 0) -> Image.Image:
    """A frame of one dominant colour with a little noise, so frames differ but stay learnable."""
    rng = np.random.default_rng(seed)
    base = np.array(colour, dtype=np.int16)[None, None, :]
    pixels = np.clip(base + rng.integers(-25, 26, size=(size, size, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def make_processed_part(
    layout: Layout,
    part: str,
    n_segments: int,
    *,
    film: str | None = None,
    part_start: float = 0.0,
    segment_seconds: float = 30.0,
    colour_of: Callable[[int], tuple[int, int, int]] = lambda i: (120, 120, 120),
    features_of: Callable[[int], dict[str, float]] | None = None,
    text_of: Callable[[int], str] = lambda i: f"segment {i}",
) -> list[dict]:
    """Write ``processed_data/<part>/`` as Part 1 would; return the segments.csv rows."""
    folder = layout.part_dir(part)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n_segments):
        start, end = i * segment_seconds, (i + 1) * segment_seconds
        # crc32, not hash(): Python salts string hashes per process, and the frames must not change between runs.
        seed = zlib.crc32(f"{part}/{i}".encode())
        keyframe_image(colour_of(i), seed=seed).save(layout.keyframe(part, i), quality=90)
        layout.audio_clip(part, i).write_bytes(b"")  # clips are not read after Part 1
        row = {
            "film": film or part.rsplit("_part", 1)[0],
            "part": part,
            "segment": i,
            "start": start,
            "end": end,
            "lesson_start": part_start + start,
            "lesson_end": part_start + end,
            "duration": segment_seconds,
            "text": text_of(i),
            "keyframe": layout.keyframe(part, i).name,
            "audio": layout.audio_clip(part, i).name,
        }
        features = {name: 0.0 for name in schema.FEATURE_COLUMNS}
        if features_of:
            features.update(features_of(i))
        row.update(features)
        rows.append(row)
    with layout.segments_csv(part).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=schema.segments_csv_columns())
        writer.writeheader()
        writer.writerows(rows)
    return rows


def ls_choices_cell(choices: Sequence[str]) -> str:
    """How Label Studio's CSV export writes a Choices value: plain for one, JSON for several."""
    if len(choices) == 1:
        return choices[0]
    return json.dumps({"choices": list(choices)}, ensure_ascii=False, separators=(",", ":")) if choices else ""


def write_ls_csv(
    layout: Layout,
    path: Path,
    annotations: Sequence[tuple[str, int, Sequence[str], str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    """A Label Studio CSV export: one row per (part, segment, choices, annotator).

    Shaped like Label Studio 1.23.2's real export (checked against the server in
    tests/test_labelstudio_server.py): every task data key as a column, columns sorted,
    texts quoted, ``id`` the task's id, ``annotator`` as given (the server writes the
    user's id), ``lead_time`` empty for annotations made through the API.
    """
    task_ids: dict[tuple[str, int], int] = {}
    records = []
    for n, (part, segment, choices, annotator) in enumerate(annotations, 1):
        data = segment_task(
            layout,
            {"part": part, "segment": segment, "keyframe": layout.keyframe(part, segment).name,
             "audio": layout.audio_clip(part, segment).name, "film": part.rsplit("_part", 1)[0],
             "text": f"segment {segment}", "lesson_start": segment * 30.0, "lesson_end": segment * 30.0 + 30},
        )["data"]
        records.append({
            **data, "annotation_id": n, "annotator": annotator, "created_at": "2026-11-25T10:00:00.000000Z",
            "id": task_ids.setdefault((part, segment), len(task_ids) + 1), "lead_time": "",
            "pattern": ls_choices_cell(choices), "updated_at": "2026-11-25T10:00:00.000000Z",
        })
    columns = sorted({key for record in records for key in record} or {"annotation_id", "image", "pattern"})
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, delimiter=delimiter, quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        writer.writerows(records)
    return path


def make_colour_project(
    root: Path,
    looks: Sequence[tuple[tuple[int, int, int], Sequence[str]]],
    n_parts: int,
    n_segments: int,
    *,
    part_name: Callable[[int], str] = lambda p: f"Урок {p}_part{p + 1:03d}",
    part_files: bool = False,
) -> Layout:
    """A labelled project whose frames' colour decides the patterns: ``looks`` cycles over segments.

    Every segment is labelled by one expert, so an image model has something learnable.
    ``part_files`` adds an (empty) file per part in part_films/ for the commands that list them;
    the parts are processed already, so nothing reads those files.
    """
    layout = Layout(root)
    layout.ensure_top_folders()
    annotations = []
    for p in range(n_parts):
        part = part_name(p)
        make_processed_part(layout, part, n_segments, colour_of=lambda i: looks[i % len(looks)][0])
        if part_files:
            (layout.part_films / f"{part}.mp4").write_bytes(b"")
        annotations += [(part, i, list(looks[i % len(looks)][1]), "эксперт") for i in range(n_segments)]
    write_ls_csv(layout, layout.labeled_csv, annotations)
    return layout
