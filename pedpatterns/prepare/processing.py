"""Part 1, processing: a part into segments, keyframes, clips and tasks for Label Studio.

Processing a part decodes its audio once, recognises speech once, and builds the whole
part folder in a temporary sibling that is renamed into place only when complete.
Several parts run in a process pool, one Whisper model per worker.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pedpatterns import fsutil, locks, progress, schema
from pedpatterns.errors import UserError
from pedpatterns.labelstudio.config import label_config_xml
from pedpatterns.labelstudio.tasks import format_time, segment_tasks, update_tasks_file
from pedpatterns.layout import (
    Layout,
    split_part_stem,
)
from pedpatterns.prepare import media, segments, speech
from pedpatterns.prepare.cutting import Part, check_film, labelled_parts, read_parts, retire_processed
from pedpatterns.prepare.features import frame_features, question_waits, segment_features

DEFAULT_SEGMENT_SECONDS = 30.0
SNAP_SECONDS = 5.0  # how far a segment boundary may move to reach a pause
MIN_GAP_SECONDS = 0.3  # the shortest silence a boundary may snap to


# --------------------------------------------------------------------------- processing


@dataclass(frozen=True)
class Options:
    """How parts are processed (the command line's flags)."""

    segment_seconds: float = DEFAULT_SEGMENT_SECONDS
    whisper_model: str = speech.DEFAULT_MODEL
    asr_engine: str = speech.FASTER_WHISPER
    language: str = speech.DEFAULT_LANGUAGE
    batch_size: int = speech.DEFAULT_BATCH_SIZE
    beam_size: int = speech.DEFAULT_BEAM_SIZE
    patterns: tuple[str, ...] = ()
    force: bool = False
    keyframe_candidates: int = 3
    cpu_threads: int = 0
    show_progress: bool = True

    def recognizer(self) -> speech.Recognizer:
        return speech.load_recognizer(
            self.whisper_model, self.asr_engine,
            batch_size=self.batch_size, beam_size=self.beam_size, cpu_threads=self.cpu_threads,
        )


@dataclass
class PartResult:
    part: str
    rows: list[dict[str, Any]]
    skipped: bool = False
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    language: str = ""
    set_aside: Path | None = None  # where the labelled old version of this part was moved


def locate_part(layout: Layout, part_path: Path) -> Part:
    """A part file with its true start in the lesson (0 when it was not cut by pedpatterns)."""
    part_path = Path(part_path)
    split = split_part_stem(part_path.stem)
    if split:
        for part in read_parts(layout, split[0]) or []:
            if part.path.resolve() == part_path.resolve():
                return part
    return Part(split[1] if split else 1, part_path, 0.0, 0.0)


def is_processed(layout: Layout, part: str) -> bool:
    return part in layout.processed_parts()


def read_rows(layout: Layout, part: str) -> list[dict[str, Any]]:
    return schema.read_segment_rows(layout.segments_csv(part))


def process_part(
    layout: Layout,
    part_path: Path,
    options: Options,
    load_recognizer: Callable[[], speech.Recognizer] | None = None,
) -> PartResult:
    """Turn one part into its folder in processed_data/ (keyframes, clips, CSV, transcript, config).

    The model is asked for only after the part has been checked, so a broken file is named
    before any time goes into loading Whisper; ``load_recognizer`` lets several parts share one.
    """
    part = locate_part(layout, part_path)
    with locks.hold(layout, f"part-{part.name}", f"часть «{part.name}»"):
        return _process_part(layout, part, options, load_recognizer)


def _process_part(
    layout: Layout, part: Part, options: Options, load_recognizer: Callable[[], speech.Recognizer] | None
) -> PartResult:
    started = time.monotonic()
    name = part.name
    if not options.force and is_processed(layout, name):
        return PartResult(name, read_rows(layout, name), skipped=True)
    split = split_part_stem(name)
    film = split[0] if split else name
    check_film(part.path)
    fsutil.ensure_dir(layout.processed_data)
    fsutil.clean_leftovers(layout.processed_data)
    timings: dict[str, float] = {}
    show = options.show_progress

    clock = time.monotonic()
    audio = media.decode_audio(part.path)
    duration = len(audio) / media.SAMPLE_RATE
    timings["decode"] = time.monotonic() - clock

    clock = time.monotonic()
    recognizer = (load_recognizer or options.recognizer)()
    timings["model_load"] = time.monotonic() - clock
    clock = time.monotonic()
    with progress.seconds_bar(f"Распознавание речи ({name})", duration, show) as advance:
        transcript = recognizer.transcribe(audio, options.language, on_progress=advance)
    timings["recognition"] = time.monotonic() - clock

    clock = time.monotonic()
    mask = segments.speech_mask(audio, media.SAMPLE_RATE)
    word_spans = [(w.start, w.end) for w in transcript.words]
    gaps = sorted([*segments.pauses(mask, MIN_GAP_SECONDS), *segments.word_gaps(word_spans, MIN_GAP_SECONDS)])
    windows = segments.plan_windows(duration, options.segment_seconds, gaps, max_shift=SNAP_SECONDS)
    buckets = segments.assign(word_spans, windows)
    frames = frame_features(audio, media.SAMPLE_RATE, mask)
    waits = question_waits(transcript.words, duration)
    rows: list[dict[str, Any]] = []
    bar = progress.bar(f"Признаки ({name})", len(windows), "сегм", show)
    for i, ((start, end), bucket) in enumerate(zip(windows, buckets, strict=True)):
        bar.update(1)
        words = [transcript.words[k] for k in bucket]
        rows.append({
            "film": film,
            "part": name,
            "segment": i,
            "start": round(start, 3),
            "end": round(end, 3),
            "lesson_start": round(part.start + start, 3),
            "lesson_end": round(part.start + end, 3),
            "duration": round(end - start, 3),
            "text": speech.join_words(words),
            "keyframe": layout.keyframe(name, i).name,
            "audio": layout.audio_clip(name, i).name,
            **segment_features(frames, mask, start, end, words, [waits[k] for k in bucket]),
        })
    bar.close()
    timings["features"] = time.monotonic() - clock

    with fsutil.atomic_path(layout.part_dir(name)) as tmp:
        tmp.mkdir()
        clock = time.monotonic()
        bar = progress.bar(f"Ключевые кадры ({name})", len(windows), "кадр", show)
        images = media.sharpest_frames(part.path, windows, candidates=options.keyframe_candidates,
                                       on_window=lambda: bar.update(1))
        bar.close()
        for i, image in enumerate(images):
            if image is None:
                at = format_time(windows[i][0])
                raise UserError(
                    f"Не удалось прочитать кадры видео «{part.path.name}» около {at}: "
                    "файл части повреждён. Нарежьте фильм заново: python prepare_data.py --force"
                )
            media.write_jpeg(tmp / rows[i]["keyframe"], image)
        timings["keyframes"] = time.monotonic() - clock

        clock = time.monotonic()
        rate = media.SAMPLE_RATE
        bar = progress.bar(f"Аудиофрагменты ({name})", len(windows), "клип", show)
        for i, (start, end) in enumerate(windows):
            media.write_mp3(tmp / rows[i]["audio"], audio[int(start * rate) : int(end * rate)])
            bar.update(1)
        bar.close()
        timings["clips"] = time.monotonic() - clock

        clock = time.monotonic()
        (tmp / layout.segments_csv(name).name).write_text(rows_to_csv(rows), encoding="utf-8")
        document = {"film": film, "part": name, "part_start": round(part.start, 6), **transcript.to_json()}
        (tmp / layout.transcript_json(name).name).write_text(
            json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        patterns = list(options.patterns) or _default_patterns()
        (tmp / layout.label_config(name).name).write_text(label_config_xml(patterns), encoding="utf-8")
        timings["write"] = time.monotonic() - clock
        aside = None
        if layout.part_dir(name).is_dir() and labelled_parts(layout, [name]):
            aside, _ = retire_processed(layout, [name])  # the experts' frames are kept, not overwritten
    return PartResult(name, rows, False, time.monotonic() - started, timings, transcript.language, aside)


def _default_patterns() -> list[str]:
    from pedpatterns.patterns import default_patterns

    return default_patterns()


def rows_to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """segments.csv text: exactly the schema's columns, in the schema's order."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=schema.segments_csv_columns(), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def publish(layout: Layout, result: PartResult) -> int:
    """Put a part's segments into tasks.json (replacing its old ones); the total number of tasks."""
    return update_tasks_file(layout, result.part, segment_tasks(layout, result.rows))


# --------------------------------------------------------------------------- several parts

_worker_options: Options | None = None


def _worker_init(options: Options) -> None:
    global _worker_options
    _worker_options = options
    # Ctrl-C in a terminal reaches every process of the group; the parent alone decides, and stops
    # the workers with SIGTERM. A traceback per worker would bury the one message that matters.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)


def _stop_worker(signum: int, frame: Any) -> None:
    """End at once and quietly; the parent removes this worker's temporaries (its pid is dead)."""
    os._exit(128 + signum)


@functools.cache
def _worker_recognizer() -> speech.Recognizer:
    """One model per worker process, loaded when its first part has passed its check."""
    assert _worker_options is not None
    return _worker_options.recognizer()


def _worker_process(root: str, part_path: str, options: Options) -> PartResult:
    return process_part(Layout(Path(root)), Path(part_path), options, _worker_recognizer)


def process_parts(
    layout: Layout,
    parts: Sequence[Path],
    options: Options,
    jobs: int = 1,
    on_done: Callable[[PartResult], None] | None = None,
) -> list[PartResult]:
    """Process ``parts``; with ``jobs`` > 1 in a process pool, one model per worker.

    tasks.json is updated here, in the calling process, after each part: workers never
    write the shared file, so two parts finishing together cannot lose each other's tasks.
    """
    results: list[PartResult] = []

    def finish(result: PartResult) -> None:
        publish(layout, result)
        results.append(result)
        if on_done:
            on_done(result)

    todo = [p for p in parts if options.force or not is_processed(layout, locate_part(layout, p).name)]
    for p in parts:
        if p not in todo:
            finish(process_part(layout, p, options))  # already done: only refreshes its tasks
    if not todo:
        return results
    jobs = max(1, min(jobs, len(todo)))
    if jobs == 1:
        load_once = functools.cache(options.recognizer)
        for p in todo:
            finish(process_part(layout, p, options, load_once))
        return results
    threads = max(1, (os.cpu_count() or 2) // jobs)
    worker_options = Options(**{**options.__dict__, "cpu_threads": threads, "show_progress": False})
    bar = progress.bar("Части", len(todo), "часть", options.show_progress)
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(worker_options,))
    try:
        futures = [pool.submit(_worker_process, str(layout.root), str(p), worker_options) for p in todo]
        for future in as_completed(futures):
            finish(future.result())
            bar.update(1)
    except BaseException:  # Ctrl-C, or one part's error: the other workers stop now, not after their parts
        _stop_pool(pool)
        for folder in (layout.processed_data, layout.part_films, layout.root):
            fsutil.clean_leftovers(folder)
        raise
    finally:
        bar.close()
    pool.shutdown()
    return results


def _stop_pool(pool: ProcessPoolExecutor, grace: float = 3.0) -> None:
    """Stop every worker within ``grace`` seconds: SIGTERM unwinds them, SIGKILL ends the stubborn."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    deadline = time.monotonic() + grace
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
            worker.join(1.0)
