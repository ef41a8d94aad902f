"""Part 1, cutting: a film into parts by stream copy, and which film is which.

Cutting is one stream-copy pass; each part's true start and duration, read back from
the muxer, are kept in the parts index so every segment knows its time in the lesson.
The index also holds the film's fingerprint: a film is known by its content, so the same
lesson under a new name reuses its parts, and another video never writes into them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pedpatterns import fsutil, locks, progress
from pedpatterns.errors import UserError
from pedpatterns.labelstudio.tasks import update_tasks_file
from pedpatterns.layout import (
    PART_FILMS,
    PART_SEPARATOR,
    PARTS_INDEX_SUFFIX,
    REPLACED_PREFIX,
    Layout,
    fit_name,
    safe_stem,
    split_part_stem,
)
from pedpatterns.prepare import media
from pedpatterns.prepare.options import DEFAULT_PART_MINUTES
from pedpatterns.words import clock

INDEX_VERSION = 2  # 2 adds the content fingerprint; version 1 indexes are still read


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
        span = f"{clock(self.start)}–{clock(self.end)}"
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
            with progress.seconds_bar("Нарезка", info.duration) as advance:
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
    aside = _new_replaced_dir(layout) if labelled else None
    for part in parts:
        if part in labelled:
            assert aside is not None
            fsutil.ensure_dir(aside)
            os.replace(layout.part_dir(part), aside / part)
        else:
            fsutil.remove(layout.part_dir(part))
        update_tasks_file(layout, part, [])
    return aside, list(parts)


def _new_replaced_dir(layout: Layout) -> Path:
    """A folder for set-aside parts that no earlier run used: a second re-cut within a second gets its own."""
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    candidates = (layout.replaced_dir(stamp if n == 1 else f"{stamp}_{n}") for n in range(1, 1000))
    return next(folder for folder in candidates if not folder.exists())


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
            f"{clock(info.duration)}, а прочитать удалось только "
            f"{clock(covered)}. Скопируйте видео заново."
        )


def disk_free_check(layout: Layout, film: Path) -> None:
    """Stream copy needs about the film's size again in part_films/; say so before starting."""
    free = shutil.disk_usage(layout.root).free
    size = Path(film).stat().st_size
    if free < size * 1.05:
        raise UserError(
            f"Мало места на диске: для нарезки «{Path(film).name}» нужно около {size / 1e9:.1f} ГБ, "
            f"свободно {free / 1e9:.1f} ГБ. Освободите место и повторите."
        )
