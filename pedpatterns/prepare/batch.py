"""Many lessons in one run: cut every film, then process all their parts through one executor.

A research archive holds hundreds of lessons. Cutting copies streams and takes seconds, so it
stays on this machine; the parts, minutes each, then go to the process pool or the cluster all
together, so no worker waits at a film's boundary. What is done is skipped, so a run stopped
halfway resumes where it stopped, and one broken film or part is reported without costing the
others their results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pedpatterns.errors import UserError
from pedpatterns.layout import Layout
from pedpatterns.prepare.cutting import Part, cut_film, recorded_parts
from pedpatterns.prepare.executor import THIS_MACHINE, ExecutorOptions
from pedpatterns.prepare.processing import Options, PartResult, process_parts


@dataclass
class Lesson:
    """One film of the batch: its parts, or why it could not be prepared (Russian)."""

    film: Path
    stem: str = ""
    parts: list[Part] = field(default_factory=list)
    cut_now: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Batch:
    lessons: list[Lesson]
    results: list[PartResult]

    @property
    def failed(self) -> list[Lesson]:
        return [lesson for lesson in self.lessons if not lesson.ok]


def prepare_films(
    layout: Layout,
    films: Sequence[Path],
    options: Options,
    part_minutes: float,
    where: ExecutorOptions = THIS_MACHINE,
    *,
    on_done: Callable[[PartResult], None] | None = None,
    log: Callable[[str], None] = print,
) -> Batch:
    """Cut each film (or take its earlier cut) and process every part not yet processed."""
    lessons = [cut_lesson(layout, film, part_minutes, options.force, log) for film in films]
    owner = {part.path: lesson for lesson in lessons for part in lesson.parts}

    def failed(part: Path, exc: UserError) -> None:
        owner[part].errors.append(exc.message)
        log(f"Не удалось обработать часть «{part.stem}»: {exc.message}")

    results = process_parts(layout, list(owner), options, where, on_done=on_done, on_error=failed)
    return Batch(lessons, results)


def cut_lesson(layout: Layout, film: Path, part_minutes: float, force: bool, log: Callable[[str], None]) -> Lesson:
    """The film's parts: recorded ones when every one is processed (nothing to probe), else a cut."""
    try:
        recorded = None if force else recorded_parts(layout, film)
    except OSError:  # unreadable: the cut below says so in the user's words
        recorded = None
    if recorded and all(layout.segments_csv(p.name).is_file() for p in recorded[1]):
        return Lesson(film, recorded[0], recorded[1])
    try:
        cut = cut_film(layout, film, part_minutes, force=force, log=log)
    except UserError as exc:
        log(f"Фильм «{film.name}» пропущен: {exc.message}")
        return Lesson(film, errors=[exc.message])
    if not cut.reused:
        log(f"Фильм «{film.name}»: нарезано частей — {len(cut.parts)} за {cut.seconds:.1f} с.")
    if cut.removed_processed:
        log("Заменены результаты старой нарезки: " + ", ".join(cut.removed_processed))
    if cut.set_aside:
        log(f"Размеченные экспертами части не удалены, а перенесены в «{cut.set_aside}».")
    return Lesson(film, cut.film, cut.parts, cut_now=not cut.reused)
