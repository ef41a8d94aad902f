"""Part 1: cut a film into parts, and process a part into segments for Label Studio.

Cutting is one stream-copy pass; each part's true start and duration, read back from
the muxer, are kept in the parts index so every segment knows its time in the lesson.
Processing a part decodes its audio once, recognises speech once, and builds the whole
part folder in a temporary sibling that is renamed into place only when complete.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import io
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import cli, fsutil, labelstudio, locks, media, schema, segments, speech
from .errors import UserError
from .features import frame_features, question_waits, segment_features
from .layout import (
    PART_FILMS,
    PART_SEPARATOR,
    PARTS_INDEX_SUFFIX,
    REPLACED_PREFIX,
    Layout,
    fit_name,
    safe_stem,
    split_part_stem,
)

INDEX_VERSION = 2  # 2 adds the content fingerprint; version 1 indexes are still read
DEFAULT_PART_MINUTES = 10.0
DEFAULT_SEGMENT_SECONDS = 30.0
SNAP_SECONDS = 5.0  # how far a segment boundary may move to reach a pause
MIN_GAP_SECONDS = 0.3  # the shortest silence a boundary may snap to


# --------------------------------------------------------------------------- cutting


@dataclass(frozen=True)
class Part:
    """One part of a film and where it lies in the lesson."""

    number: int
    path: Path
    start: float
    duration: float

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def end(self) -> float:
        return self.start + self.duration

    def describe(self) -> str:
        span = f"{labelstudio.format_time(self.start)}–{labelstudio.format_time(self.end)}"
        return f"{self.path.name}  ({span} урока)"


@dataclass
class CutResult:
    film: str
    parts: list[Part]
    reused: bool
    seconds: float
    removed_processed: list[str] = field(default_factory=list)
    set_aside: Path | None = None  # where processed parts that labels point to were moved


def film_stem(film: Path) -> str:
    return safe_stem(Path(film).stem)


# --------------------------------------------------------------------------- a film's identity

FINGERPRINT_BYTES = 1 << 20


def fingerprint(film: Path, duration: float | None = None) -> dict[str, Any]:
    """A film known by its content, not its name or date: size, first and last megabyte, duration.

    Reading two megabytes takes milliseconds even for a film of gigabytes, and a copy of the
    same lesson with a new date or name still matches.
    """
    film = Path(film)
    size = film.stat().st_size
    with open(film, "rb") as handle:
        head = hashlib.sha256(handle.read(FINGERPRINT_BYTES)).hexdigest()
        handle.seek(max(0, size - FINGERPRINT_BYTES))
        tail = hashlib.sha256(handle.read(FINGERPRINT_BYTES)).hexdigest()
    found: dict[str, Any] = {"size": size, "head": head, "tail": tail}
    if duration:
        found["duration"] = round(float(duration), 3)
    return found


def same_content(index: dict[str, Any], found: dict[str, Any], film_name: str) -> bool:
    """Whether a parts index was made from the film with fingerprint ``found``."""
    recorded = index.get("fingerprint")
    if isinstance(recorded, dict):
        if any(recorded.get(k) != found[k] for k in ("size", "head", "tail")):
            return False
        a, b = recorded.get("duration"), found.get("duration")
        return a is None or b is None or abs(float(a) - float(b)) < 0.1
    # An index written before fingerprints: the same file name and size is the same film.
    return index.get("source") == film_name and index.get("source_size") == found["size"]


@dataclass(frozen=True)
class FilmIdentity:
    """The stem a film's parts are named by, and what was recorded for it before."""

    stem: str
    fingerprint: dict[str, Any]
    index: dict[str, Any] | None = None
    note: str = ""


def _all_indexes(layout: Layout) -> dict[str, dict[str, Any]]:
    if not layout.part_films.is_dir():
        return {}
    found = {}
    for path in sorted(layout.part_films.glob(f"*{PARTS_INDEX_SUFFIX}")):
        stem = path.name[: -len(PARTS_INDEX_SUFFIX)]
        index = _read_index(layout, stem)
        if index is not None:
            found[stem] = index
    return found


def processed_parts_of(layout: Layout, stem: str) -> list[str]:
    """The finished processed parts of the film with ``stem``."""
    return [p for p in layout.processed_parts() if (split_part_stem(p) or ("",))[0] == stem]


def identify_film(layout: Layout, film: Path, duration: float | None = None, *, force: bool = False) -> FilmIdentity:
    """Which stem ``film``'s parts have: its own name, the name its content was cut under, or a new one.

    A different video never writes into a name already used by another: it gets the name
    with a short content hash instead, and the note says so. Only ``force`` on the same
    file name re-cuts a changed file under its old name.
    """
    film = Path(film)
    found = fingerprint(film, duration)
    base = film_stem(film)
    indexes = _all_indexes(layout)
    owner = indexes.get(base, {}).get("source")
    if base in indexes and same_content(indexes[base], found, film.name):
        return FilmIdentity(base, found, indexes[base])
    if force and base in indexes and owner in (None, film.name):  # a replaced file, re-cut under its name
        return FilmIdentity(base, found, indexes[base])
    for stem, index in indexes.items():
        if stem != base and same_content(index, found, film.name):
            source = index.get("source") or stem
            return FilmIdentity(stem, found, index, f"«{film.name}» — тот же фильм, что «{source}» (совпадает "
                                                    f"содержимое): беру его части «{stem}{PART_SEPARATOR}…».")
    if base not in indexes and not processed_parts_of(layout, base):
        return FilmIdentity(base, found)
    if force and owner in (None, film.name):
        return FilmIdentity(base, found, indexes.get(base))
    short = hashlib.sha1(f"{found['size']}:{found['head']}:{found['tail']}".encode()).hexdigest()[:8]
    other = fit_name(f"{base}-{short}")
    owner_text = f"«{owner}»" if owner else "другое видео"
    return FilmIdentity(other, found, indexes.get(other), (
        f"Имя «{base}» уже занято: под ним нарезано {owner_text} с другим содержимым. Части «{film.name}» "
        f"получат имя «{other}{PART_SEPARATOR}…»; прежние части не тронуты."
        + (" (Если файл заменён намеренно, нарежьте его под прежним именем: --force.)" if owner == film.name else "")
    ))


def read_parts(layout: Layout, stem: str) -> list[Part] | None:
    """The parts recorded in the film's parts index, or ``None`` if there is no usable index."""
    index = _read_index(layout, stem)
    if index is None:
        return None
    return _parts_of(layout, stem, index)


def recorded_parts(layout: Layout, film: Path) -> tuple[str, list[Part]] | None:
    """The stem and parts recorded for this film's content (under any name), else ``None``.

    Lets a later stage reuse a film's parts without decoding the film again, and without
    mistaking another video of the same name for it.
    """
    found = fingerprint(film)
    base = film_stem(film)
    indexes = _all_indexes(layout)
    for stem in sorted(indexes, key=lambda s: s != base):
        if same_content(indexes[stem], found, Path(film).name):
            return stem, _parts_of(layout, stem, indexes[stem])
    return None


def _read_index(layout: Layout, stem: str) -> dict[str, Any] | None:
    path = layout.parts_index(stem)
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict) or index.get("version") not in (1, INDEX_VERSION) or not index.get("parts"):
        return None
    try:
        _parts_of(layout, stem, index)
    except (KeyError, TypeError, ValueError):
        return None
    return index


def _parts_of(layout: Layout, stem: str, index: dict[str, Any]) -> list[Part]:
    return [
        Part(int(p["number"]), layout.part_path(stem, int(p["number"])), float(p["start"]), float(p["duration"]))
        for p in index["parts"]
    ]


def _same_minutes(index: dict[str, Any] | None, part_minutes: float) -> bool:
    try:
        return index is not None and abs(float(index.get("part_minutes", -1)) - part_minutes) <= 1e-6
    except (TypeError, ValueError):
        return False


def check_film(film: Path) -> media.MediaInfo:
    """Probe a film and insist on a picture, a sound track and a duration."""
    info = media.probe(film)
    media.require_lesson_video(info)
    return info


def cut_film(
    layout: Layout, film: Path, part_minutes: float = DEFAULT_PART_MINUTES, *, force: bool = False,
    log: Callable[[str], None] = print,
) -> CutResult:
    """Cut ``film`` into parts of ``part_minutes`` (reusing an up-to-date earlier cut unless ``force``).

    The whole decision and cut happen under the part_films lock, so two runs never cut
    into the same names. A cut that would replace processed parts is refused before it
    starts unless ``force``; then processed parts that labels point to are moved aside.
    """
    if part_minutes <= 0:
        raise UserError("Длина части (--part-minutes) должна быть больше нуля, например 10 или 1.5.")
    started = time.monotonic()
    film = Path(film)
    info = check_film(film)
    fsutil.ensure_dir(layout.part_films)
    with locks.hold(layout, PART_FILMS, "папка part_films/ (нарезка фильмов)"):
        fsutil.clean_leftovers(layout.part_films)
        identity = identify_film(layout, film, info.duration, force=force)
        stem, old_index = identity.stem, identity.index
        if identity.note:
            log(identity.note)
        if old_index is not None and not force and _same_minutes(old_index, part_minutes):
            parts = _parts_of(layout, stem, old_index)
            if all(p.path.is_file() and p.path.stat().st_size > 0 for p in parts):
                if "fingerprint" not in old_index:  # an index from before fingerprints learns this film's
                    write_parts_index(layout, film, parts, part_minutes, info.duration, stem=stem)
                return CutResult(stem, parts, True, time.monotonic() - started)
        processed = processed_parts_of(layout, stem)
        replaces = bool(processed) and (force or not _same_minutes(old_index, part_minutes))
        if replaces and not force:
            raise _recut_refusal(film, old_index, processed, part_minutes)
        if replaces:  # said before the cut starts, not after the fact
            labelled = sorted(labelled_parts(layout, processed))
            aside = f"{layout.relative(layout.processed_data)}/{REPLACED_PREFIX}…"
            log(f"Нарезаю заново (--force): обработанные части {', '.join(processed)} будут заменены"
                + (f"; размеченные экспертами ({', '.join(labelled)}) будут перенесены в «{aside}», а не удалены."
                   if labelled else "."))
        disk_free_check(layout, film)
        workdir = fsutil.temp_dir(layout.part_films, "cut")
        try:
            with _seconds_bar("Нарезка", info.duration) as advance:
                spans = media.cut_by_copy(film, workdir, part_minutes * 60.0, on_progress=advance)
            _check_spans(film, info, spans, workdir)
            aside, removed = retire_processed(layout, processed if replaces else [])
            for path in layout.film_parts(stem):
                fsutil.remove(path)
            parts = []
            for number, span in enumerate(spans, 1):
                target = layout.part_path(stem, number)
                os.replace(workdir / span.file, target)
                parts.append(Part(number, target, span.start, span.duration))
            # The index is written last: its presence means every part is in place.
            write_parts_index(layout, film, parts, part_minutes, info.duration, stem=stem)
        finally:
            fsutil.remove(workdir)
    return CutResult(stem, parts, False, time.monotonic() - started, removed, aside)


def _recut_refusal(film: Path, index: dict[str, Any] | None, processed: Sequence[str], minutes: float) -> UserError:
    shown = ", ".join(processed[:5]) + (f" и ещё {len(processed) - 5}" if len(processed) > 5 else "")
    was = index.get("part_minutes") if index else None
    keep = f"; чтобы оставить прежнюю нарезку, укажите --part-minutes {was:g}" if isinstance(was, (int, float)) else ""
    return UserError(
        f"Нарезка «{film.name}» по {minutes:g} мин заменит уже обработанные части ({shown}). "
        "Ничего не изменено. Чтобы нарезать заново, добавьте --force: обработанные части, на которые "
        f"ссылается labeled.csv, будут перенесены в отдельную папку, а не удалены{keep}."
    )


def labelled_parts(layout: Layout, parts: Sequence[str]) -> set[str]:
    """Which of ``parts`` labeled.csv points to (its raw text names the part, plain or URL-encoded).

    Deliberately generous: a part mentioned anywhere counts as labelled, so a doubt keeps the
    experts' work rather than deleting it.
    """
    if not parts or not layout.labeled_csv.is_file():
        return set()
    try:
        text = fsutil.read_user_text(layout.labeled_csv)
    except UserError:
        text = layout.labeled_csv.read_bytes().decode("utf-8", "replace")
    return {p for p in parts if p in text or quote(p) in text or quote(p, safe="") in text}


def retire_processed(layout: Layout, parts: Sequence[str]) -> tuple[Path | None, list[str]]:
    """Take ``parts`` out of processed_data/ and tasks.json; those labels point to are moved aside.

    Returns the folder they were moved to (``None`` if none was labelled) and every part taken out.
    """
    labelled = labelled_parts(layout, parts)
    aside = layout.replaced_dir(time.strftime("%Y-%m-%d_%H-%M-%S")) if labelled else None
    for part in parts:
        if part in labelled:
            assert aside is not None
            fsutil.ensure_dir(aside)
            os.replace(layout.part_dir(part), aside / part)
        else:
            fsutil.remove(layout.part_dir(part))
        labelstudio.update_tasks_file(layout, part, [])
    return aside, list(parts)


def write_parts_index(
    layout: Layout, film: Path, parts: Sequence[Part], part_minutes: float, duration: float, *, stem: str | None = None
) -> None:
    """Record each part's true start and duration in the film, and which film content they came from."""
    stem = stem or film_stem(film)
    stat = Path(film).stat()
    index = {
        "version": INDEX_VERSION,
        "film": stem,
        "source": Path(film).name,
        "source_size": stat.st_size,
        "source_mtime": int(stat.st_mtime),
        "fingerprint": fingerprint(film, duration),
        "part_minutes": part_minutes,
        "duration": round(duration, 3),
        "parts": [
            {"number": p.number, "file": p.path.name, "start": p.start, "end": round(p.end, 6),
             "duration": round(p.duration, 6)}
            for p in parts
        ],
    }
    fsutil.write_json(layout.parts_index(stem), index)


def _check_spans(film: Path, info: media.MediaInfo, spans: Sequence[media.Span], workdir: Path) -> None:
    """A cut that does not reach the end of the film means the file is damaged or truncated."""
    if not spans or any(not (workdir / s.file).is_file() or (workdir / s.file).stat().st_size == 0 for s in spans):
        raise UserError(f"Не удалось нарезать «{film.name}»: ffmpeg не записал ни одной части. Файл повреждён?")
    covered = spans[-1].end
    if covered < info.duration - max(2.0, 0.02 * info.duration):
        raise UserError(
            f"Файл «{film.name}» обрезан или повреждён: по заголовку он длится "
            f"{labelstudio.format_time(info.duration)}, а прочитать удалось только "
            f"{labelstudio.format_time(covered)}. Скопируйте видео заново."
        )


def _bar(desc: str, total: float, unit: str, show: bool) -> Any:
    """A progress bar to update by hand; ``show`` is off in pool workers and benchmarks."""
    return cli.progress([], desc, total=total, unit=unit, enabled=show)


@contextmanager
def _seconds_bar(desc: str, total: float, enabled: bool = True) -> Iterator[Callable[[float], None]]:
    """A progress bar fed with "seconds done so far" (what ffmpeg and Whisper report)."""
    bar = _bar(desc, round(total, 1), "с", enabled)
    done = [0.0]

    def advance(seconds: float) -> None:
        seconds = min(max(seconds, done[0]), total)
        if seconds > done[0]:
            bar.update(round(seconds - done[0], 1))
        done[0] = seconds

    try:
        yield advance
        advance(total)
    finally:
        bar.close()


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


def add_processing_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of cutting and processing, shared by every script that processes a video.

    Their ranges are checked by the argparse types in :mod:`.cli`, so a bad value stops the
    command before anything is read or written.
    """
    from . import cli

    parser.add_argument("--part-minutes", type=cli.part_minutes, default=DEFAULT_PART_MINUTES,
                        help="длина части, минуты (можно дробное: 1.5)")
    parser.add_argument("--segment-seconds", type=cli.segment_seconds, default=DEFAULT_SEGMENT_SECONDS,
                        help="длина сегмента, секунды (границы сдвигаются к ближайшей паузе)")
    parser.add_argument("--whisper-model", type=cli.text, default=speech.DEFAULT_MODEL,
                        help="модель Whisper: размер (tiny, base, small, medium, large-v3…; скачивается при "
                             "первом запуске), путь к папке с моделью или bundled (встроенная английская tiny.en)")
    parser.add_argument("--language", type=cli.text, default=speech.DEFAULT_LANGUAGE,
                        help="язык речи: ru, en, … или auto (определить самому)")
    parser.add_argument("--asr-engine", choices=speech.ENGINES, default=speech.FASTER_WHISPER,
                        help="движок распознавания речи")
    parser.add_argument("--asr-batch-size", type=cli.asr_batch_size, default=speech.DEFAULT_BATCH_SIZE,
                        help="пакетное распознавание: сколько кусков речи сразу; 0 или 1 — по очереди "
                             "(точнее), 8 — быстрее, но иногда теряет фразы")
    parser.add_argument("--beam-size", type=cli.beam_size, default=speech.DEFAULT_BEAM_SIZE,
                        help="ширина луча поиска Whisper (1 — жадный поиск, быстрее)")


def options_from_args(args: argparse.Namespace, *, patterns: Sequence[str] = (), force: bool = False) -> Options:
    return Options(
        segment_seconds=args.segment_seconds,
        whisper_model=args.whisper_model,
        asr_engine=args.asr_engine,
        language=args.language,
        batch_size=args.asr_batch_size,
        beam_size=args.beam_size,
        patterns=tuple(patterns),
        force=force,
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
    with open(layout.segments_csv(part), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


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
    with _seconds_bar(f"Распознавание речи ({name})", duration, show) as advance:
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
    bar = _bar(f"Признаки ({name})", len(windows), "сегм", show)
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
        bar = _bar(f"Ключевые кадры ({name})", len(windows), "кадр", show)
        images = media.sharpest_frames(part.path, windows, candidates=options.keyframe_candidates,
                                       on_window=lambda: bar.update(1))
        bar.close()
        for i, image in enumerate(images):
            if image is None:
                at = labelstudio.format_time(windows[i][0])
                raise UserError(
                    f"Не удалось прочитать кадры видео «{part.path.name}» около {at}: "
                    "файл части повреждён. Нарежьте фильм заново: python prepare_data.py --force"
                )
            media.write_jpeg(tmp / rows[i]["keyframe"], image)
        timings["keyframes"] = time.monotonic() - clock

        clock = time.monotonic()
        rate = media.SAMPLE_RATE
        bar = _bar(f"Аудиофрагменты ({name})", len(windows), "клип", show)
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
        (tmp / layout.label_config(name).name).write_text(labelstudio.label_config_xml(patterns), encoding="utf-8")
        timings["write"] = time.monotonic() - clock
        aside = None
        if layout.part_dir(name).is_dir() and labelled_parts(layout, [name]):
            aside, _ = retire_processed(layout, [name])  # the experts' frames are kept, not overwritten
    return PartResult(name, rows, False, time.monotonic() - started, timings, transcript.language, aside)


def _default_patterns() -> list[str]:
    from .patterns import default_patterns

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
    return labelstudio.update_tasks_file(layout, result.part, labelstudio.segment_tasks(layout, result.rows))


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
    bar = _bar("Части", len(todo), "часть", options.show_progress)
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


def disk_free_check(layout: Layout, film: Path) -> None:
    """Stream copy needs about the film's size again in part_films/; say so before starting."""
    free = shutil.disk_usage(layout.root).free
    size = Path(film).stat().st_size
    if free < size * 1.05:
        raise UserError(
            f"Мало места на диске: для нарезки «{Path(film).name}» нужно около {size / 1e9:.1f} ГБ, "
            f"свободно {free / 1e9:.1f} ГБ. Освободите место и повторите."
        )
