"""Part 1, processing: a part into segments, keyframes, clips and tasks for Label Studio.

Processing a part decodes its audio once, recognises speech once, and builds the whole
part folder in a temporary sibling that is renamed into place only when complete.
Several parts run in a process pool or on a Dask cluster (see executor), one Whisper model per worker.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import functools
import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pedpatterns import fsutil, locks, progress, schema
from pedpatterns.errors import UserError
from pedpatterns.labelstudio.config import label_config_xml
from pedpatterns.labelstudio.tasks import replace_tasks, segment_tasks
from pedpatterns.layout import (
    Layout,
    split_part_stem,
)
from pedpatterns.prepare import executor, media, segments, speakers, speech
from pedpatterns.prepare.cutting import Part, check_film, labelled_parts, read_parts, retire_processed
from pedpatterns.prepare.features import (
    FrameFeatures,
    frame_features,
    question_waits,
    segment_features,
    warm_up,
)
from pedpatterns.prepare.options import ExecutorOptions, Options
from pedpatterns.words import clock

SNAP_SECONDS = 5.0  # how far a segment boundary may move to reach a pause
MIN_GAP_SECONDS = 0.3  # the shortest silence a boundary may snap to


# --------------------------------------------------------------------------- processing


# Options (how parts are processed) lives in prepare/options.py, which the command line reads without
# loading numpy or Whisper; it is imported above and stays importable from here.


def recognizer_for(options: Options) -> speech.Recognizer:
    """The speech recogniser ``options`` ask for, loaded now."""
    return speech.load_recognizer(
        options.whisper_model, options.asr_engine,
        batch_size=options.batch_size, beam_size=options.beam_size, cpu_threads=options.cpu_threads,
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
    language_probability: float | None = None  # None: the language was given, not detected
    worker: str = ""  # the Dask worker that processed the part; empty on this machine
    fallback: str = ""  # why the chosen speaker engine was not used (said on the terminal, not only in the files)


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
    """The part's steps in order, each timed into the result's ``timings`` under its old key.

    "features" is timed in two pieces (the windows before speaker separation, the rows after it)
    and reported as their sum, as the benchmark's table expects.
    """
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

    with timed(timings, "decode"):
        audio = media.decode_audio(part.path)
        duration = len(audio) / media.SAMPLE_RATE
    transcript = _recognise(name, audio, duration, options, load_recognizer, timings)
    with timed(timings, "features"):
        plan = _plan_segments(audio, duration, transcript, options)
    with timed(timings, "speakers"):
        voices = speakers.separate(audio, media.SAMPLE_RATE, plan.mask, options.speakers)
    with timed(timings, "features"):
        rows = _segment_rows(layout, part, film, transcript, plan, voices, options.show_progress)

    with fsutil.atomic_path(layout.part_dir(name)) as tmp:
        tmp.mkdir()
        with timed(timings, "keyframes"):
            _write_keyframes(tmp, part, plan.windows, rows, options)
        with timed(timings, "clips"):
            _write_clips(tmp, name, audio, plan.windows, rows, options.show_progress)
        with timed(timings, "write"):
            _write_documents(tmp, layout, part, film, rows, transcript, voices, options)
        aside = None
        if layout.part_dir(name).is_dir() and labelled_parts(layout, [name]):
            aside, _ = retire_processed(layout, [name])  # the experts' frames are kept, not overwritten
    fallback = voices.note if options.speakers != speakers.NONE and not voices.separated else ""
    return PartResult(name, rows, False, time.monotonic() - started, timings, transcript.language, aside,
                      transcript.language_probability, fallback=fallback)


@contextmanager
def timed(timings: dict[str, float], step: str) -> Iterator[None]:
    """Add the seconds the block takes to ``timings[step]``: a step timed in pieces reports their sum."""
    began = time.monotonic()
    yield
    timings[step] = timings.get(step, 0.0) + time.monotonic() - began


def _recognise(
    name: str,
    audio: Any,
    duration: float,
    options: Options,
    load_recognizer: Callable[[], speech.Recognizer] | None,
    timings: dict[str, float],
) -> speech.Transcript:
    """The part's words: the model asked for (loaded, or shared by the caller), then speech recognised once."""
    with timed(timings, "model_load"):
        recognizer = load_recognizer() if load_recognizer else recognizer_for(options)
    with timed(timings, "recognition"), progress.seconds_bar(
        f"Распознавание речи ({name})", duration, options.show_progress
    ) as advance:
        return recognizer.transcribe(audio, options.language, on_progress=advance)


@dataclass
class _SegmentPlan:
    """Where the part's segments lie and what the audio holds: computed once, read by every later step."""

    duration: float
    mask: segments.SpeechMask
    windows: list[segments.Interval]
    buckets: list[list[int]]  # the indices of the transcript's words in each window
    frames: FrameFeatures


def _plan_segments(audio: Any, duration: float, transcript: speech.Transcript, options: Options) -> _SegmentPlan:
    """Segment windows whose boundaries snap to pauses (silence or gaps between words), and frame features."""
    mask = segments.speech_mask(audio, media.SAMPLE_RATE)
    word_spans = [(w.start, w.end) for w in transcript.words]
    gaps = sorted([*segments.pauses(mask, MIN_GAP_SECONDS), *segments.word_gaps(word_spans, MIN_GAP_SECONDS)])
    windows = segments.plan_windows(duration, options.segment_seconds, gaps, max_shift=SNAP_SECONDS)
    buckets = segments.assign(word_spans, windows)
    warm_up()  # once per process, one process of the machine at a time (two runs, Dask workers)
    frames = frame_features(audio, media.SAMPLE_RATE, mask)
    return _SegmentPlan(duration, mask, windows, buckets, frames)


def _segment_rows(
    layout: Layout,
    part: Part,
    film: str,
    transcript: speech.Transcript,
    plan: _SegmentPlan,
    voices: speakers.Speakers,
    show: bool,
) -> list[dict[str, Any]]:
    """segments.csv's rows: where each segment lies, what was said, its files, its features and voices."""
    name = part.name
    # A pupil's answer ends the teacher's questioning turn: the words' speakers as transcript.json will have them.
    said_by = [speakers.speaker_at(voices.turns, w.start, w.end) for w in transcript.words] if voices.separated \
        else None
    waits = question_waits(transcript.words, plan.duration, said_by)
    rows: list[dict[str, Any]] = []
    with progress.bar(f"Признаки ({name})", len(plan.windows), "сегм", show) as bar:
        for i, ((start, end), bucket) in enumerate(zip(plan.windows, plan.buckets, strict=True)):
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
                **segment_features(plan.frames, plan.mask, start, end, words, [waits[k] for k in bucket]),
                **speakers.segment_stats(voices, start, end,
                                         [transcript.words[k].end for k in bucket if waits[k] is not None]),
            })
    return rows


def _write_keyframes(
    folder: Path, part: Part, windows: Sequence[segments.Interval], rows: Sequence[dict[str, Any]], options: Options
) -> None:
    """The sharpest of a few frames of each segment as its JPEG; an unreadable stretch names the broken file."""
    with progress.bar(f"Ключевые кадры ({part.name})", len(windows), "кадр", options.show_progress) as bar:
        images = media.sharpest_frames(part.path, windows, candidates=options.keyframe_candidates,
                                       on_window=lambda: bar.update(1))
    for i, image in enumerate(images):
        if image is None:
            at = clock(windows[i][0])
            raise UserError(
                f"Не удалось прочитать кадры видео «{part.path.name}» около {at}: "
                "файл части повреждён. Нарежьте фильм заново: python prepare_data.py --force"
            )
        media.write_jpeg(folder / rows[i]["keyframe"], image)


def _write_clips(
    folder: Path, name: str, audio: Any, windows: Sequence[segments.Interval], rows: Sequence[dict[str, Any]],
    show: bool,
) -> None:
    """Each segment's MP3, cut from the audio decoded once (not decoded again from the video per segment)."""
    rate = media.SAMPLE_RATE
    with progress.bar(f"Аудиофрагменты ({name})", len(windows), "клип", show) as bar:
        for i, (start, end) in enumerate(windows):
            media.write_mp3(folder / rows[i]["audio"], audio[int(start * rate) : int(end * rate)])
            bar.update(1)


def _write_documents(
    folder: Path,
    layout: Layout,
    part: Part,
    film: str,
    rows: Sequence[dict[str, Any]],
    transcript: speech.Transcript,
    voices: speakers.Speakers,
    options: Options,
) -> None:
    """segments.csv, transcript.json (words labelled with their speakers) and the Label Studio config."""
    name = part.name
    (folder / layout.segments_csv(name).name).write_text(rows_to_csv(rows), encoding="utf-8")
    document = {"film": film, "part": name, "part_start": round(part.start, 6), **transcript.to_json()}
    speakers.label_words(document, voices)
    (folder / layout.transcript_json(name).name).write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    patterns = list(options.patterns) or _default_patterns()
    (folder / layout.label_config(name).name).write_text(label_config_xml(patterns), encoding="utf-8")


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


def print_language(result: PartResult) -> None:
    """Say which language was detected in a part, warning when unsure (nothing when it was given)."""
    line = speech.language_line(result.part, result.language, result.language_probability)
    if line:
        print(line, flush=True)


_said: set[str] = set()  # the fallback notes already printed by this process


def print_result(result: PartResult) -> None:
    """One line per part as it finishes (with the worker, on a cluster), its language, a set-aside version."""
    if result.skipped:
        print(f"Часть {result.part} уже обработана — пропускаю (обработать заново: --force).")
    else:
        on = f" (рабочий {result.worker})" if result.worker else ""
        print(f"Часть {result.part}: {len(result.rows)} сегментов за {result.seconds:.0f} с{on}.", flush=True)
        print_language(result)
        if result.fallback and result.fallback not in _said:  # once per run, not once per part
            _said.add(result.fallback)
            print(f"  Внимание: {result.fallback}", flush=True)
    if result.set_aside:
        print(f"  Прежняя версия части размечена экспертами: она не удалена, а перенесена в «{result.set_aside}».")


# --------------------------------------------------------------------------- several parts

_recognizers: dict[tuple[Any, ...], speech.Recognizer] = {}
_recognizers_lock = threading.Lock()


def shared_recognizer(options: Options) -> speech.Recognizer:
    """The model for ``options``, loaded once per process and kept for every later part there.

    A pool or Dask worker process handles many parts in turn; loading Whisper for each would cost
    seconds per part. The lock keeps two task threads of one Dask worker from loading it twice.
    """
    key = (options.whisper_model, options.asr_engine, options.batch_size, options.beam_size, options.cpu_threads)
    with _recognizers_lock:
        if key not in _recognizers:
            _recognizers[key] = recognizer_for(options)
        return _recognizers[key]


def _worker_process(root: str, part_path: str, options: Options) -> PartResult:
    """One part in a pool or cluster worker: a process that may run on another machine."""
    layout = Layout(Path(root))
    if not layout.root.is_dir():
        raise UserError(
            f"Рабочий {executor.worker_name() or socket.gethostname()} не видит папку проекта «{root}». "
            "Папка проекта должна быть доступна всем рабочим по тому же пути (общая сетевая папка); "
            "смонтируйте её так же, как на этой машине, или укажите общий путь в --root."
        )
    options = replace(options, cpu_threads=executor.worker_threads(options.cpu_threads))
    result = process_part(layout, Path(part_path), options, functools.partial(shared_recognizer, options))
    result.worker = executor.worker_name()
    return result


def publish_all(layout: Layout, results: Sequence[PartResult]) -> int:
    """Put parts' segments into tasks.json (replacing their old ones) in one write; the total number of tasks.

    One write for many: a resumed archive refreshes thousands of finished parts at once.
    """
    return replace_tasks(layout, {r.part: segment_tasks(layout, r.rows) for r in results})


def process_parts(
    layout: Layout,
    parts: Sequence[Path],
    options: Options,
    where: ExecutorOptions = executor.THIS_MACHINE,
    on_done: Callable[[PartResult], None] | None = None,
    on_error: Callable[[Path, UserError], None] | None = None,
) -> list[PartResult]:
    """Process ``parts`` here, in a process pool or on a Dask cluster (``where``); one model per worker.

    tasks.json is updated here, in the calling process, as parts finish: workers never write the
    shared file, so two parts finishing together cannot lose each other's tasks. A part's error
    stops the rest, unless ``on_error`` takes it: then the other parts go on (a night's batch of
    lessons is not lost to one broken part). Several parts show one progress bar over them all.
    """
    results: list[PartResult] = []

    def finish(batch: list[PartResult]) -> None:
        if batch:
            publish_all(layout, batch)
        for result in batch:
            results.append(result)
            if on_done:
                on_done(result)

    def failed(part: Path, exc: UserError) -> None:
        if on_error is None:
            raise exc
        on_error(part, exc)

    done = set(layout.processed_parts())
    todo = [p for p in parts if options.force or Path(p).stem not in done]
    finish([process_part(layout, p, options) for p in parts if p not in todo])  # done: only refresh their tasks
    if not todo:
        return results
    bar = progress.bar("Части", len(todo), "часть", options.show_progress and len(todo) > 1)
    try:
        if not where.parallel(len(todo)):
            load_once = functools.cache(functools.partial(recognizer_for, options))
            alone = replace(options, show_progress=options.show_progress and len(todo) == 1)
            for p in todo:
                try:
                    finish([process_part(layout, p, alone, load_once)])
                except UserError as exc:
                    failed(p, exc)
                bar.update(1)
            return results
        threads = options.cpu_threads or executor.pool_threads(where, len(todo))
        worker_options = replace(options, cpu_threads=threads, show_progress=False)
        warm_up()  # before the pool forks: its workers inherit librosa's compiled code
        with executor.open_executor(where, len(todo)) as pool:
            futures = {pool.submit(_worker_process, str(layout.root), str(p), worker_options): p for p in todo}
            pending = set(futures)
            while pending:
                finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                batch, errors = [], []
                for future in finished:
                    try:
                        batch.append(executor.outcome(future, Path(futures[future]).stem))
                    except UserError as exc:
                        errors.append((futures[future], exc))
                finish(batch)  # the parts that made it are in tasks.json before any error is raised
                bar.update(len(finished))
                for part, exc in errors:
                    failed(part, exc)
        fsutil.clean_leftovers(layout.processed_data)  # a worker killed mid-part on this machine left its folder
    except BaseException:  # Ctrl-C, or one part's error: the executor has stopped the other workers
        for folder in (layout.processed_data, layout.part_films, layout.root):
            fsutil.clean_leftovers(folder)
        raise
    finally:
        bar.close()
    return results
