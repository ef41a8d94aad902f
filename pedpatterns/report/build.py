"""One lesson's report: its numbers gathered once, then written as HTML, JSON and CSV side by side.

The report is built from processed parts only (segments.csv and transcript.json), so it
takes seconds and needs no video decoding. Every number is computed once into one
dictionary (the JSON); the HTML page and the CSV files are views of that dictionary, so
they cannot disagree.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from pedpatterns import fsutil, locks, schema, spreadsheet
from pedpatterns.errors import UserError
from pedpatterns.layout import Layout
from pedpatterns.models.textmodel import TextModel
from pedpatterns.prepare import cutting, processing
from pedpatterns.report import lessonmetrics, linguistics, moments, references, talk, timeline, trend
from pedpatterns.report.options import ReportOptions
from pedpatterns.report.page import INDEX_METRICS, render_index, render_report, timeline_section, trend_section

TOP_PATTERNS = 3


def processed_parts_for_video(
    layout: Layout, video: Path, options: processing.Options, part_minutes: float
) -> tuple[str, list[str]]:
    """The stem and processed parts of a video, made by Part 1's processing where they are missing.

    Cutting and recognition are reused when already done (the parts index and finished
    part folders), so a second report of the same lesson takes seconds. The stem is the
    one Part 1 gave the video's content, so two videos of one name never share a report.
    """
    recorded = cutting.recorded_parts(layout, Path(video))
    if recorded and all(processing.is_processed(layout, p.name) for p in recorded[1]):
        return recorded[0], [p.name for p in recorded[1]]
    cut = cutting.cut_film(layout, Path(video), part_minutes)
    processing.process_parts(layout, [p.path for p in cut.parts], options, on_done=processing.print_language)
    return cut.film, [p.name for p in cut.parts]


def load_segments(layout: Layout, parts: Sequence[str]) -> pd.DataFrame:
    """The segments.csv rows of all parts, in lesson order."""
    tables = []
    for part in parts:
        path = layout.segments_csv(part)
        table = schema.read_segments(path, part, layout.relative(path))
        table["part"] = part
        tables.append(table)
    frame = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if "text" not in frame:
        frame["text"] = ""
    frame["text"] = frame["text"].fillna("").astype(str)
    return frame.sort_values(["lesson_start", "part", "segment"], kind="stable").reset_index(drop=True)


def _segment_rows(
    layout: Layout, segments: pd.DataFrame, proba: np.ndarray | None, patterns: Sequence[str], threshold: float
) -> list[dict[str, Any]]:
    rows = []
    for i, seg in enumerate(segments.itertuples(index=False)):
        part, index = str(seg.part), int(seg.segment)
        keyframe = layout.keyframe(part, index)
        row: dict[str, Any] = {
            "part": part,
            "segment": index,
            "lesson_start": round(float(seg.lesson_start), 2),
            "lesson_end": round(float(seg.lesson_end), 2),
            "text": str(seg.text),
            "keyframe": layout.relative(keyframe) if keyframe.is_file() else None,
        }
        if proba is not None:
            probs = {p: round(float(proba[i, j]), 3) for j, p in enumerate(patterns)}
            ranked = sorted(probs.items(), key=lambda kv: -kv[1])
            row["probabilities"] = probs
            row["top"] = [{"pattern": p, "probability": v} for p, v in ranked[:TOP_PATTERNS]]
            row["present"] = [p for p, v in ranked if v >= threshold]
        rows.append(row)
    return rows


def _pattern_summary(rows: Sequence[dict[str, Any]], patterns: Sequence[str]) -> list[dict[str, Any]]:
    """How much of the lesson each pattern covers: segments where it is present and their time."""
    total = sum(r["lesson_end"] - r["lesson_start"] for r in rows) or 1.0
    summary = []
    for p in patterns:
        hits = [r for r in rows if p in r["present"]]
        seconds = sum(r["lesson_end"] - r["lesson_start"] for r in hits)
        summary.append({"pattern": p, "segments": len(hits), "seconds": round(seconds, 2),
                        "share": round(seconds / total, 3)})
    return summary


def analyse_lesson(
    layout: Layout, video_stem: str, parts: Sequence[str], model: TextModel | None,
    options: ReportOptions = ReportOptions(),  # noqa: B008 (frozen: one shared default is safe)
) -> dict[str, Any]:
    """Everything the report shows, as one JSON-ready dictionary."""
    threshold, pause_seconds = options.threshold, options.pause_seconds
    if not 0 < threshold < 1:
        raise UserError("Порог вероятности (--threshold) должен быть между 0 и 1, например 0.5.")
    segments = load_segments(layout, parts)
    transcripts = [lessonmetrics.read_transcript(layout.transcript_json(p)) for p in parts]
    words, duration = lessonmetrics.lesson_words(transcripts)
    if len(segments):
        duration = max(duration, float(segments["lesson_end"].max()))
    separated = any(isinstance(t.get("turns"), list) for t in transcripts)
    lesson = lessonmetrics.lesson_metrics(words, duration, pause_seconds,
                                          talk.lesson_turns(transcripts) if separated else None,
                                          talk.told_apart_spans(transcripts))
    proba = model.predict_proba(segments) if model is not None else None
    patterns = model.patterns if model is not None else []
    rows = _segment_rows(layout, segments, proba, patterns, threshold)
    _add_listening(layout, video_stem, rows, dict(zip(parts, transcripts, strict=True)))
    report = {
        "video": video_stem,
        "created": datetime.now().isoformat(timespec="seconds"),
        "parts": list(parts),
        "pause_seconds": pause_seconds,
        "threshold": threshold,
        **lesson,
        "talk": talk.talk_summary(transcripts, duration),
        "model": None if model is None else {"patterns": list(patterns), **_shareable_info(model.info)},
        "pattern_summary": _pattern_summary(rows, patterns) if model is not None else [],
        "segments": rows,
    }
    _add_moments(layout, report, {p: talk.part_start(t) for p, t in zip(parts, transcripts, strict=True)})
    return report


def _shareable_info(info: dict[str, Any]) -> dict[str, Any]:
    """The model's facts for the report, the labels file by its name only: no home folder in a shared report."""
    shown = dict(info)
    if isinstance(shown.get("labels"), str):
        shown["labels"] = Path(shown["labels"]).name
    return shown


def _add_moments(layout: Layout, report: dict[str, Any], part_starts: dict[str, float]) -> None:
    """The moments worth watching (:mod:`moments`), each with its part film to play from its second.

    The film's link is relative to the report's folder, like the clips', so it plays offline; a
    part whose film is gone (moved, deleted to save space) keeps the segment's clip instead.
    """
    chosen, missing = moments.choose_moments(report, part_starts)
    home = layout.report_dir(report["video"])
    for moment in chosen:
        film = layout.part_film(moment["part"]) if moment["part"] else None
        moment["film"] = relative_link(film, home) if film is not None and film.is_file() else None
    report["moments"], report["moments_missing"] = chosen, missing


def relative_link(path: Path, home: Path) -> str:
    """A link from the report's folder ``home`` to a file of the project, as a page's src writes it."""
    return quote(Path(os.path.relpath(path, home)).as_posix())


def _add_listening(
    layout: Layout, video_stem: str, rows: list[dict[str, Any]], transcripts: dict[str, dict[str, Any]]
) -> None:
    """Each segment row gains its clip (a link relative to the report's folder) and who says what.

    The link is relative, so the page plays the clips offline and after the project folder
    (reports and processed_data/ together) is moved or copied elsewhere.
    """
    home = layout.report_dir(video_stem)
    for row in rows:
        part, index = row["part"], int(row["segment"])
        clip = layout.audio_clip(part, index)
        row["audio"] = relative_link(clip, home) if clip.is_file() else None
        transcript = transcripts.get(part, {})
        offset = talk.part_start(transcript)
        row["lines"] = talk.speaker_lines(transcript.get("words") or [], row["lesson_start"] - offset,
                                          row["lesson_end"] - offset)


# --- the files -----------------------------------------------------------------------------


# The columns of lesson_metrics.csv and who_talks.csv: one number per row (its key: lessonmetrics.METRICS,
# talk.TALK_METRICS). docs/outputs.md is generated from these dictionaries (tools/docs.py).
METRIC_ROW_COLUMNS: dict[str, str] = {
    "metric": "ключ показателя (так же он назван в report.json)",
    "название": "название показателя по-русски",
    "значение": "значение; пусто — не посчитано (например, голоса не различались)",
    "единица": "единица: с, доля (от 0 до 1), шт, слов/мин или время от начала урока",
    "что означает": "что означает показатель",
    "ориентир": "что о таком показателе говорят исследования, с источником (полный список — в разделе "
                "«Ориентиры и источники» отчёта); пусто — ориентира нет",
}

# The report's segments.csv: these columns, then one probability column per pattern of the model.
REPORT_SEGMENT_COLUMNS: dict[str, str] = {
    "part": "имя части (папка в processed_data/)",
    "segment": "номер сегмента в части, с 0",
    "lesson_start": "начало сегмента от начала урока, с",
    "lesson_end": "конец сегмента от начала урока, с",
    "text": "распознанная речь сегмента",
    "patterns": "найденные паттерны (вероятность не ниже --threshold) через «; »; "
                "пусто — модели нет или ничего не найдено",
}
PROBABILITY_COLUMN = "вероятность: {pattern}"
PROBABILITY_MEANING = "вероятность паттерна в сегменте по модели, от 0 до 1; по столбцу на каждый паттерн модели"


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    # Whisper's words and pattern names reach these cells: Excel must show them, never run them.
    return spreadsheet.csv_text(header, rows)


def _metric_rows_csv(values: dict[str, Any], table: dict[str, tuple[str, str, str]]) -> str:
    """One number per row (:data:`METRIC_ROW_COLUMNS`): key, Russian name, value, unit, meaning, reference."""
    rows = [[key, name, values.get(key), unit, meaning, references.reference_text(key)]
            for key, (name, unit, meaning) in table.items()]
    return _csv_text(list(METRIC_ROW_COLUMNS), rows)


def metrics_csv(report: dict[str, Any]) -> str:
    """The lesson metrics (lesson_metrics.csv)."""
    return _metric_rows_csv(report["summary"], lessonmetrics.METRICS)


def talk_csv(report: dict[str, Any]) -> str:
    """Who talks (who_talks.csv: teacher_share…); empty values when the voices were not separated."""
    return _metric_rows_csv(report["talk"], talk.TALK_METRICS)


def segments_csv(report: dict[str, Any]) -> str:
    """One row per segment: where it is, what was said, the patterns found and every probability."""
    patterns = report["model"]["patterns"] if report["model"] else []
    header = [*REPORT_SEGMENT_COLUMNS, *(PROBABILITY_COLUMN.format(pattern=p) for p in patterns)]
    rows = [
        [r["part"], r["segment"], r["lesson_start"], r["lesson_end"], r["text"], "; ".join(r.get("present", [])),
         *(r["probabilities"][p] for p in patterns)]
        for r in report["segments"]
    ]
    return _csv_text(header, rows)


def write_report(layout: Layout, report: dict[str, Any]) -> Path:
    """The report's folder, written whole or not at all; returns the HTML page."""
    stem = report["video"]
    target = layout.report_dir(stem)
    html_page = render_report(report, layout)
    with fsutil.atomic_path(target) as tmp:
        tmp.mkdir()
        # Excel opens UTF-8 CSV correctly only with the BOM.
        (tmp / layout.report_metrics_csv(stem).name).write_text(metrics_csv(report), encoding="utf-8-sig")
        (tmp / layout.report_segments_csv(stem).name).write_text(segments_csv(report), encoding="utf-8-sig")
        (tmp / layout.report_talk_csv(stem).name).write_text(talk_csv(report), encoding="utf-8-sig")
        (tmp / layout.report_json(stem).name).write_text(
            json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        (tmp / layout.report_html(stem).name).write_text(html_page, encoding="utf-8")
        write_linguistics(layout, report, tmp, home=target)
    return layout.report_html(stem)


def write_linguistics(layout: Layout, report: dict[str, Any], folder: Path, *, home: Path) -> list[Path]:
    """A Praat TextGrid and an ELAN .eaf per part of the lesson, with the experts' and the models' patterns."""
    experts = linguistics.load_experts(layout)
    written = []
    for part in report["parts"]:
        text = None
        if report["model"]:
            text = {int(r["segment"]): r.get("present", []) for r in report["segments"] if r["part"] == part}
        source = layout.source_part(part)  # a shared report's parts are labels (report/privacy.py)
        written += linguistics.write_part_files(layout, source, folder, experts=experts, text_model=text,
                                                threshold=report["threshold"], home=home,
                                                name=None if source == part else part)
    return written


def _number_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value))


def report_problem(report: Any, folder: str) -> str | None:
    """What makes a report.json unusable for the summary page and the lessons over time; None when usable.

    Checked are exactly the fields those two read, so an older report with more or fewer
    other fields still counts, and a foreign or hand-edited one is named instead of crashing.
    """
    if not isinstance(report, dict):
        return "это не отчёт find_patterns.py (ожидался объект JSON)"
    if report.get("video") != folder:
        return f"«video» = {json.dumps(report.get('video'), ensure_ascii=False)[:60]}, а папка называется «{folder}»"
    summary = report.get("summary")
    if not isinstance(summary, dict):
        return "нет раздела «summary»"
    for key in (*INDEX_METRICS, *timeline.SUMMARY_READ):
        required = key in ("duration_s", "question_count")  # the lessons over time divide by them
        if not _number_or_none(summary.get(key)) or (required and summary.get(key) is None):
            return f"«summary.{key}» = {json.dumps(summary.get(key), ensure_ascii=False)[:40]} — не число"
    parts = report.get("parts", [])
    if not isinstance(parts, list) or not all(isinstance(p, str) and p and "/" not in p and "\\" not in p
                                              and p not in (".", "..") for p in parts):
        return "«parts» — не список имён частей"
    shares = report.get("pattern_summary") or []
    if not isinstance(shares, list) or not all(
            isinstance(p, dict) and isinstance(p.get("pattern"), str) and _number_or_none(p.get("share"))
            for p in shares):
        return "«pattern_summary» — не список паттернов с долями"
    return None


def read_report(path: Path, folder: str) -> dict[str, Any]:
    """One report.json whose fields the summary page reads; a damaged or foreign one is a UserError naming it."""
    try:
        report = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problem: str | None = f"не JSON ({exc})"
    except RecursionError:
        problem = "не JSON (слишком глубокая вложенность)"
    else:
        problem = report_problem(report, folder)
    if problem:
        raise UserError(f"Отчёт «{path}» повреждён: {problem}. Постройте его заново: python find_patterns.py")
    for key in INDEX_METRICS:  # a report of an older version lacks a newer metric: shown as «—»
        report["summary"].setdefault(key, None)
    return report


def existing_reports(layout: Layout, skipped: list[str] | None = None) -> list[dict[str, Any]]:
    """Every finished report under new_videos/reports/; a damaged one is left out, and said so in ``skipped``.

    Left out, not deleted: the folder may hold a teacher's only copy of that lesson's report.
    """
    reports = []
    if not layout.reports.is_dir():
        return reports
    for folder in sorted(layout.reports.iterdir()):
        path = layout.report_json(folder.name)
        if folder.name.startswith(".") or not path.is_file():
            continue
        try:
            reports.append(read_report(path, folder.name))
        except UserError as exc:
            if skipped is not None:
                skipped.append(exc.message)
    return reports


def write_index(layout: Layout) -> Path | None:
    """The summary page across all videos' reports, when there are at least two.

    Read and written under the reports lock, so a run finishing beside another lists both.
    """
    with locks.hold(layout, layout.reports_index.name, "сводка отчётов"):
        skipped: list[str] = []
        reports = existing_reports(layout, skipped)
        for message in skipped:
            print(f"Предупреждение: {message} В сводку он не вошёл, папка отчёта не тронута.", file=sys.stderr)
        if len(reports) < 2:
            return None
        lessons = timeline.build_timeline(layout, reports)
        png = timeline.png_bytes(timeline.timeline_figure(lessons))
        # Excel opens UTF-8 CSV correctly only with the BOM.
        fsutil.write_text(layout.lessons_over_time_csv, "\ufeff" + timeline.timeline_csv(lessons))
        fsutil.write_bytes(layout.lessons_over_time_png, png)
        fsutil.write_text(layout.reports_index, render_index(
            reports, layout, timeline_section(lessons, png, layout) + trend_section(trend.teacher_trends(lessons))))
    return layout.reports_index
