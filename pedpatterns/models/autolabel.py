"""Auto-labelling a part with the trained keyframe model: auto_labeled_dataset/ and pre-annotated tasks.

Each video gets its own folder, ``auto_labeled_dataset/<video>/`` with ``images/``,
``metadata.jsonl`` and ``tasks_with_predictions.json``, built in a temporary folder and
renamed into place, so labelling a second video never touches the first one's results and
an interrupted run leaves the previous results as they were. ``auto_labeled_dataset/
metadata.jsonl`` is then rebuilt from every video's file, with ``file_name`` relative to
``auto_labeled_dataset/`` (``<video>/images/segment_000_keyframe.jpg``).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pedpatterns import fsutil, locks
from pedpatterns.errors import UserError
from pedpatterns.labelstudio.config import AUDIO_TAG
from pedpatterns.labelstudio.tasks import prediction, segment_task
from pedpatterns.layout import (
    AUTO_IMAGES,
    METADATA_JSONL,
    PREDICTED_TASKS_JSON,
    Layout,
    safe_stem,
    segment_keyframe_name,
    split_part_stem,
)
from pedpatterns.models.imagemodel import Classifier, load_images, predict_proba, top_predictions
from pedpatterns.models.options import LabelOptions
from pedpatterns.prepare import processing


@dataclass(frozen=True)
class SegmentFrame:
    """One segment of a video and its keyframe, as Part 1 computes them."""

    index: int
    start: float
    end: float
    lesson_start: float
    lesson_end: float
    image_path: Path
    audio_path: Path | None = None
    text: str = ""


def segment_keyframes(layout: Layout, video: Path, options: processing.Options) -> list[SegmentFrame]:
    """Segments of a part and the sharpest keyframe of each, made by Part 1's processing.

    A part already in processed_data/ is read back as it is; any other is processed first
    (cut windows at pauses, keyframes, speech), so the pre-annotated tasks point at
    processed_data/ like every other task and the experts' corrections can train the model.
    """
    result = processing.process_parts(layout, [Path(video)], options)[0]
    folder = layout.part_dir(result.part)
    frames = []
    for row in result.rows:
        audio = folder / str(row["audio"]) if row.get("audio") else None
        frames.append(
            SegmentFrame(
                index=int(row["segment"]),
                start=float(row["start"]),
                end=float(row["end"]),
                lesson_start=float(row["lesson_start"]),
                lesson_end=float(row["lesson_end"]),
                image_path=folder / str(row["keyframe"]),
                audio_path=audio if audio and audio.is_file() else None,
                text=str(row.get("text") or ""),
            )
        )
    return frames


def chosen_patterns(top: Sequence[dict[str, Any]], threshold: float) -> list[str]:
    """The pre-annotation: every pattern at or above ``threshold``, else the single most confident one.

    An empty suggestion would leave the expert nothing to correct; one guess is better.
    """
    chosen = [p["pattern"] for p in top if p["confidence"] >= threshold]
    return chosen or [top[0]["pattern"]]


def predicted_row(video: Path, frame: SegmentFrame, top3: list[dict[str, Any]], file_name: str) -> dict[str, Any]:
    """One line of metadata.jsonl: the documented shape, then where the segment lies in the lesson."""
    return {
        "file_name": file_name,
        "top_3_predictions": top3,
        "video": video.name,
        "segment": frame.index,
        "lesson_start": round(frame.lesson_start, 2),
        "lesson_end": round(frame.lesson_end, 2),
    }


def predicted_task(
    layout: Layout, video_stem: str, frame: SegmentFrame, image: Path, choices: list[str], score: float, version: str
) -> dict[str, Any]:
    """A Label Studio task for ``frame`` carrying the model's answer as a pre-annotation."""
    split = split_part_stem(video_stem)
    task = segment_task(
        layout,
        {
            "part": video_stem,
            "segment": frame.index,
            "keyframe": image,  # absolute: segment_task's part folder does not apply
            "audio": frame.audio_path or "",
            "film": split[0] if split else video_stem,
            "text": frame.text,
            "lesson_start": frame.lesson_start,
            "lesson_end": frame.lesson_end,
        },
    )
    if frame.audio_path is None:
        task["data"][AUDIO_TAG] = ""
    task["predictions"] = [prediction(choices, score, version)]
    return task


def task_image(layout: Layout, frame: SegmentFrame, copy_in_results: Path) -> Path:
    """The keyframe a task shows: Part 1's own file when it is in processed_data/, else the copy.

    Pointing at processed_data/ closes the loop: the experts' corrections come back in
    labeled.csv with URLs the labels reader accepts, and the next training uses them.
    """
    if layout.keyframe_owner(frame.image_path) is not None and frame.image_path.is_file():
        return frame.image_path
    return copy_in_results


@dataclass
class AutoLabelResult:
    video_stem: str
    folder: Path
    segments: int
    combined_rows: int


def label_video(
    layout: Layout, video: Path, classifier: Classifier,
    options: LabelOptions = LabelOptions(),  # noqa: B008 (frozen: one shared default is safe)
) -> AutoLabelResult:
    """Predict every segment of ``video`` and write its folder in auto_labeled_dataset/, atomically."""
    batch_size, threshold = options.batch_size, options.threshold
    video = Path(video)
    stem = safe_stem(video.stem)
    target = layout.auto_labeled_video(stem)
    fsutil.ensure_dir(layout.auto_labeled)
    fsutil.clean_leftovers(layout.auto_labeled)
    frames = segment_keyframes(layout, video, options.process)
    if not frames:
        raise UserError(
            f"В видео «{video.name}» не найдено ни одного кадра (сегмента) — размечать нечего. "
            "Проверьте, что файл не пустой и открывается в видеоплеере, и обработайте его заново."
        )
    images = load_images([f.image_path for f in frames], classifier.image_size)
    probs = predict_proba(classifier, images, batch_size)
    ranked = top_predictions(probs, classifier.classes, k=len(classifier.classes))

    rows, tasks = [], []
    with fsutil.atomic_path(target) as tmp:
        (tmp / AUTO_IMAGES).mkdir(parents=True)
        for frame, ranking in zip(frames, ranked, strict=True):
            name = segment_keyframe_name(frame.index)
            shutil.copyfile(frame.image_path, tmp / AUTO_IMAGES / name)
            rows.append(predicted_row(video, frame, ranking[:3], f"{AUTO_IMAGES}/{name}"))
            choices = chosen_patterns(ranking, threshold)
            score = min(p["confidence"] for p in ranking if p["pattern"] in choices)
            image = task_image(layout, frame, target / AUTO_IMAGES / name)
            tasks.append(predicted_task(layout, stem, frame, image, choices, score, classifier.version))
        fsutil.write_jsonl(tmp / METADATA_JSONL, rows)
        fsutil.write_json(tmp / PREDICTED_TASKS_JSON, tasks)
    combined = rebuild_combined_metadata(layout)
    return AutoLabelResult(video_stem=stem, folder=target, segments=len(rows), combined_rows=combined)


def rebuild_combined_metadata(layout: Layout) -> int:
    """auto_labeled_dataset/metadata.jsonl from every video's own file; returns its line count."""
    with locks.hold(layout, "auto_labeled", "файл auto_labeled_dataset/metadata.jsonl"):
        rows = []
        for stem in layout.auto_labeled_videos():
            path = layout.auto_labeled_video(stem) / METADATA_JSONL
            remedy = f"Переименуйте папку «{layout.relative(path.parent)}» и разметьте это видео заново."
            for row in fsutil.read_jsonl(path, remedy):
                name = row.get("file_name")
                if not isinstance(name, str) or not name or name.startswith("/") or ".." in name.split("/"):
                    raise UserError(f"Файл «{layout.relative(path)}» повреждён (имя кадра). {remedy}")
                rows.append({**row, "file_name": f"{stem}/{name}"})
        fsutil.write_jsonl(layout.auto_labeled_metadata, rows)
    return len(rows)
