"""Synthetic projects on disk: processed parts, labels and lessons, made without a film.

They write exactly the files Part 1 writes (segments.csv with the schema's columns,
keyframes named by the layout, transcript.json in its contract) and the CSV Label Studio
exports, so a later stage can be tested and benchmarked without cutting and transcribing a
video first. Tests, benchmarks and tools build on them; nothing in the stages imports this.
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
from pedpatterns.layout import Layout, part_stem
from pedpatterns.prepare import cutting


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
    tests/labelstudio/test_labelstudio_server.py): every task data key as a column, columns sorted,
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


Spoken = tuple[float, float, str]  # a word: start, end, text


def speech(start: float, end: float, n_words: int, last: str | None = None) -> list[Spoken]:
    """``n_words`` back-to-back words filling [start, end]; the last one replaced by ``last``."""
    step = (end - start) / n_words
    words = [(start + k * step, start + (k + 1) * step, f"слово{k}") for k in range(n_words)]
    if last is not None:
        words[-1] = (words[-1][0], words[-1][1], last)
    return words


def write_transcript(
    layout: Layout, part: str, words: Sequence[Spoken], duration: float, part_start: float = 0.0
) -> None:
    data = {
        "engine": "test", "model": "none", "language": "ru", "duration": duration, "part_start": part_start,
        "words": [{"start": s, "end": e, "word": f" {w}", "probability": 0.9} for s, e, w in words],
        "segments": [],
    }
    layout.transcript_json(part).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# speech 0–10 s ending in a question, silence 10–16 s, speech 16–30 s.
KNOWN_LESSON_WORDS: list[Spoken] = [*speech(0, 10, 20, last="понятно?"), *speech(16, 30, 28)]
KNOWN_LESSON = {
    "duration_s": 30.0, "speech_s": 24.0, "speech_share": 0.8, "silence_share": 0.2, "pause_count": 1,
    "longest_pause_s": 6.0, "question_count": 1, "wait_after_question_mean_s": 6.0,
    "questions_with_good_wait": 1, "longest_monologue_s": 14.0, "longest_monologue_start_s": 16.0,
    "word_count": 48, "speech_rate_wpm": 120.0,
}


def make_known_lesson(layout: Layout, video_stem: str, text: str = "Что такое дробь? <b>&</b>") -> str:
    """A new video and its one processed part with the known timings above; returns the part's name."""
    layout.new_videos.mkdir(parents=True, exist_ok=True)
    video = layout.new_videos / f"{video_stem}.mp4"
    video.write_bytes(b"not decoded: its parts are already processed")
    part = part_stem(video_stem, 1)
    layout.part_films.mkdir(parents=True, exist_ok=True)
    cutting.write_parts_index(layout, video, [cutting.Part(1, layout.part_path(video_stem, 1), 0.0, 30.0)], 10.0, 30.0)
    make_processed_part(layout, part, 2, segment_seconds=15.0, text_of=lambda i: text if i == 0 else "продолжим",
                        features_of=lambda i: {"rms_mean": 0.9 if i == 0 else 0.1, "question_count": 1 - i})
    write_transcript(layout, part, KNOWN_LESSON_WORDS, duration=30.0)
    return part


def labelled_features(i: int, rng: np.random.Generator) -> tuple[dict[str, float], str, list[str]]:
    """Features, text and patterns of a synthetic segment where loudness and questions decide."""
    loud = bool(rng.random() < 0.4)
    asks = bool(rng.random() < 0.35)
    features = {
        "rms_mean": (0.7 if loud else 0.2) + rng.normal(0, 0.08),
        "rms_std": rng.normal(0.1, 0.03),
        "pitch_mean": rng.normal(180, 25),
        "question_count": float(rng.integers(1, 4)) if asks else 0.0,
        "speech_share": rng.uniform(0.3, 0.9),
    }
    text = ("почему так получилось? как вы думаете?" if asks else "запишите определение в тетрадь") + f" {i}"
    patterns = [p for p, on in (("Паттерн 1: Удержание внимания", loud), ("Паттерн 3: Вовлечение в диалог", asks))
                if on] or ["Паттерн 7: Демонстрация примера"]
    return features, text, patterns


def make_labelled_project(layout: Layout, n_films: int = 6, per_part: int = 20, seed: int = 0) -> None:
    """``n_films`` one-part films, every segment labelled by one expert, and labeled.csv."""
    rng = np.random.default_rng(seed)
    annotations = []
    for f in range(n_films):
        part = f"Фильм {f}_part000"
        drawn = [labelled_features(i, rng) for i in range(per_part)]
        make_processed_part(layout, part, per_part, features_of=lambda i, d=drawn: d[i][0],
                            text_of=lambda i, d=drawn: d[i][1])
        annotations += [(part, i, d[2], "эксперт") for i, d in enumerate(drawn)]
    write_ls_csv(layout, layout.labeled_csv, annotations)


# Red → A, blue → B, purple (red and blue) → A and B, green → C: a task the image model must learn.
COLOUR_LOOKS = [((220, 30, 30), ["Паттерн A"]), ((30, 30, 220), ["Паттерн B"]),
                ((200, 30, 200), ["Паттерн A", "Паттерн B"]), ((30, 200, 30), ["Паттерн C"])]


def make_colour_labelled_project(root: Path, n_parts: int = 4, n_segments: int = 16) -> Layout:
    """Parts whose frame colour decides the patterns (:data:`COLOUR_LOOKS`), every segment labelled."""
    return make_colour_project(root, COLOUR_LOOKS, n_parts, n_segments, part_name=lambda p: f"Урок {p}_part{p:03d}")


# Cue words of some default patterns, each with the forms a teacher may use: a lesson uses only a few of them.
WORD_FORM_CUES: dict[str, tuple[str, ...]] = {
    "Паттерн 2: Обратная связь": ("молодец молодцы молодцом", "правильно правильный правильная правильные правильного",
                                  "верно верный верная верные верного"),
    "Паттерн 4: Постановка учебной задачи": ("задача задачи задачу задачей задач задачах", "цель цели целью целей",
                                             "тема темы тему темой теме"),
    "Паттерн 5: Групповая работа": ("группа группы группе группой группах группам группу",
                                    "пара пары парах парами парой пару",
                                    "обсудите обсудим обсуждайте обсудили обсуждаем обсудить"),
    "Паттерн 6: Работа с ошибками": ("ошибка ошибки ошибку ошибкой ошибок ошибками ошибке ошибках",
                                     "исправь исправьте исправим исправил исправила исправлять исправляем"),
    "Паттерн 8: Проблемный вопрос": ("объясни объясните объяснит объяснили объяснить объясняет",
                                     "докажи докажите доказали доказать докажет",
                                     "подумайте подумай подумаем подумали подумать"),
    "Паттерн 9: Рефлексия": ("узнали узнал узнала узнаете узнать узнаем",
                             "понравилось понравился понравилась понравились",
                             "трудно трудный трудная трудным трудное трудные"),
}
WORD_FORM_FILLER = (
    "сегодня", "мы", "тетрадь", "доска", "страница", "слово", "текст", "урок", "читаем", "пишем", "строчка",
    "упражнение", "смотрим", "класс", "ребята", "дальше", "снова", "потом", "здесь", "сейчас", "вместе", "каждый",
    "книга", "предложение", "пример", "буква", "отвечает", "говорит", "видим", "открываем", "закрываем", "рисунок",
    "таблица", "карточка",
)


def word_form_lessons(
    seed: int, n_films: int = 8, per_film: int = 30
) -> tuple[list[str], np.ndarray, list[str], list[str]]:
    """Segment texts of ``n_films`` lessons whose patterns show in cue words, in other forms in each lesson.

    Each lesson (teacher) uses two forms of every cue word, so a model validated on unseen lessons
    meets forms it never saw in training: what a text model must cope with in Russian. A pattern is on
    with probability 0.25; 15 % of segments carry a cue word without its pattern (label noise).
    Returns (texts, 0/1 labels in ``patterns`` order, film of each text, patterns).
    """
    rng = np.random.default_rng(seed)
    patterns = list(WORD_FORM_CUES)
    texts, labels, films = [], [], []
    for f in range(n_films):
        forms = {p: [list(rng.choice(c.split(), size=2, replace=False)) for c in cues]
                 for p, cues in WORD_FORM_CUES.items()}
        for _ in range(per_film):
            on = [p for p in patterns if rng.random() < 0.25]
            words = [str(w) for w in rng.choice(WORD_FORM_FILLER, size=12)]
            for p in on:
                for _ in range(int(rng.integers(1, 3))):
                    cue = forms[p][int(rng.integers(len(forms[p])))]
                    words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(cue)))
            if rng.random() < 0.15:
                p = patterns[int(rng.integers(len(patterns)))]
                words.insert(0, str(rng.choice(forms[p][int(rng.integers(len(forms[p])))])))
            texts.append(" ".join(words))
            labels.append([int(p in on) for p in patterns])
            films.append(f"Урок {f}")
    return texts, np.array(labels, dtype=int), films, patterns
