#!/usr/bin/env python3
"""Part 1: cut a lesson from films/ into parts, process a part, write tasks.json for Label Studio."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from pedpatterns import cli, fsutil, patterns
from pedpatterns.cli import flags
from pedpatterns.errors import UserError
from pedpatterns.layout import Layout
from pedpatterns.prepare.options import ExecutorOptions, Options

if TYPE_CHECKING:  # the stage itself (numpy, pandas, Whisper) loads after parsing: --help answers at once
    from pedpatterns.prepare.batch import Batch
    from pedpatterns.prepare.cutting import Part
    from pedpatterns.prepare.processing import PartResult


def build_parser() -> argparse.ArgumentParser:
    parser = cli.make_parser(
        "prepare_data.py",
        "Часть 1. Нарезает урок из films/ на части в part_films/, обрабатывает выбранную часть "
        "в processed_data/ (ключевые кадры, аудио, текст, признаки) и пишет tasks.json для Label Studio.",
    )
    parser.add_argument("--film", type=cli.text, help="фильм из films/: номер в списке, имя или путь (без вопроса)")
    parser.add_argument("--part", type=cli.text, help="часть из part_films/: номер, имя или путь (без вопроса)")
    parser.add_argument("--all", action="store_true", help="обработать все части фильма")
    parser.add_argument("--all-films", action="store_true",
                        help="нарезать и обработать все фильмы из films/ (готовое пропускается, прерванный "
                             "запуск продолжается с того же места)")
    parser.add_argument("--yes", action="store_true",
                        help="ничего не спрашивать: без --part обработать все части")
    parser.add_argument("--force", action="store_true",
                        help="нарезать и обработать заново, даже если результаты уже есть")
    flags.add_processing_arguments(parser)
    parser.add_argument("--patterns", type=cli.path,
                        help="свой список паттернов: текстовый файл (по одному в строке) или JSON-список")
    flags.add_executor_arguments(parser)
    return parser


def choose_parts(layout: Layout, parts: list[Part], args: argparse.Namespace) -> list[Part]:
    """The parts to process: by --part, --all/--yes, the only one, or the user's choice."""
    from pedpatterns.prepare.cutting import Part
    from pedpatterns.prepare.processing import is_processed

    if args.part is not None:
        chosen = cli.pick([p.path for p in parts], args.part, what="части", flag="--part")
        return [p for p in parts if p.path == chosen] or [Part(0, chosen, 0.0, 0.0)]
    if args.all or args.yes or len(parts) == 1:
        return parts
    items = [p.describe() + ("  — уже обработана" if is_processed(layout, p.name) else "") for p in parts]
    items.append(f"все части ({len(parts)})")
    index = cli.choose(items, "Какую часть обработать?", "--part N или --all")
    return parts if index == len(parts) else [parts[index]]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.all_films and (args.film is not None or args.part is not None):
        parser.error("параметр --all-films берёт все фильмы и все части: уберите --film и --part")
    layout: Layout = cli.layout_from(args)
    started = time.monotonic()
    pattern_list = patterns.load_patterns(args.patterns)
    fsutil.check_file_target(layout.tasks_json)  # refused now, not after minutes of processing
    from pedpatterns.labelstudio.tasks import read_tasks

    read_tasks(layout.tasks_json)  # a damaged tasks.json too: its tasks are rewritten only at the end
    options = flags.options_from_args(args, patterns=pattern_list, force=args.force)
    where = flags.executor_options_from_args(args)

    from pedpatterns.prepare.cutting import cut_film
    from pedpatterns.prepare.processing import print_result, process_parts

    films = layout.list_films()
    if not films and args.film is None:
        fsutil.ensure_dir(layout.films)
        raise UserError(f"В папке «{layout.films}» нет видео. Положите туда запись урока (.mp4) и повторите.")
    if args.all_films:
        return all_films(layout, films, options, where, args.part_minutes, started)
    if args.yes and args.film is None and len(films) > 1:
        raise UserError("В films/ несколько фильмов, а с --yes спрашивать нельзя: укажите фильм в --film.")
    film = cli.pick(films, args.film, what="фильмы", flag="--film")

    print(f"Фильм: {film.name}")
    cut = cut_film(layout, film, args.part_minutes, force=args.force)
    if cut.reused:
        print(f"Части уже нарезаны ({len(cut.parts)}), беру их (нарезать заново: --force).")
    else:
        print(f"Нарезано частей: {len(cut.parts)} за {cut.seconds:.1f} с → {layout.part_films}")
    if cut.removed_processed:
        print("Заменены результаты старой нарезки: " + ", ".join(cut.removed_processed))
    if cut.set_aside:
        print(f"Размеченные экспертами части не удалены, а перенесены в «{cut.set_aside}».")

    chosen = choose_parts(layout, cut.parts, args)
    results = process_parts(layout, [p.path for p in chosen], options, where, on_done=print_result)
    summary(layout, results, time.monotonic() - started)
    return 0


def all_films(
    layout: Layout, films: list[Path], options: Options, where: ExecutorOptions, part_minutes: float, started: float
) -> int:
    """--all-films: every film cut and every part processed; what is done is skipped, a failure is listed."""
    from pedpatterns.prepare.batch import prepare_films
    from pedpatterns.prepare.processing import print_result

    print(f"Фильмов в «{layout.films}»: {len(films)}.", flush=True)
    batch = prepare_films(layout, films, options, part_minutes, where,
                          on_done=lambda r: None if r.skipped else print_result(r))
    batch_summary(layout, batch, time.monotonic() - started)
    if batch.failed:
        names = "; ".join(f"«{lesson.film.name}»: {lesson.errors[0]}" for lesson in batch.failed)
        raise UserError(f"Не подготовлено фильмов: {len(batch.failed)} из {len(batch.lessons)}. {names}\n"
                        "Исправьте их и запустите ту же команду снова: готовое будет пропущено.")
    return 0


def batch_summary(layout: Layout, batch: Batch, seconds: float) -> None:
    done = [r for r in batch.results if not r.skipped]
    cut_now = sum(lesson.cut_now for lesson in batch.lessons)
    print("\nГотово.")
    print(f"  Фильмов: {len(batch.lessons)} (нарезано сейчас: {cut_now}, с ошибкой: {len(batch.failed)})")
    print(f"  Частей обработано: {len(done)}, пропущено (уже были): {len(batch.results) - len(done)}")
    print(f"  Сегментов во всех частях: {sum(len(r.rows) for r in batch.results)}")
    workers = Counter(r.worker for r in done if r.worker)
    if workers:
        print("  Части по рабочим кластера: " + ", ".join(f"{w} — {n}" for w, n in sorted(workers.items())))
    print(f"  Время: {seconds:.0f} с")
    print(f"  Результаты: {layout.processed_data}")
    print(f"  Задачи для Label Studio: {layout.tasks_json}")
    print("Следующий шаг — разметка в Label Studio: импортируйте tasks.json и label_config.xml "
          "(см. раздел «Часть 2» в README.md).")


def summary(layout: Layout, results: list[PartResult], seconds: float) -> None:
    done = [r for r in results if not r.skipped]
    segments = sum(len(r.rows) for r in results)
    print("\nГотово.")
    print(f"  Частей обработано: {len(done)}, пропущено (уже были): {len(results) - len(done)}")
    print(f"  Сегментов в этих частях: {segments}")
    print(f"  Время: {seconds:.0f} с")
    for r in results:
        print(f"  {r.part}: {layout.part_dir(r.part)}")
    print(f"  Задачи для Label Studio: {layout.tasks_json}")
    print("Следующий шаг — разметка в Label Studio: импортируйте tasks.json и label_config.xml "
          "(см. раздел «Часть 2» в README.md).")


if __name__ == "__main__":
    sys.exit(cli.run(main))
