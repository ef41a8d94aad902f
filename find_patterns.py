#!/usr/bin/env python3
"""Part 4a: the light audio/text model and the automatic lesson report for new_videos/."""

from __future__ import annotations

import sys

from pedpatterns import cli, errors, fsutil, patterns, progress
from pedpatterns.cli import flags
from pedpatterns.errors import UserError
from pedpatterns.models.options import TextOptions
from pedpatterns.report.options import ReportOptions


def main(argv: list[str] | None = None) -> int:
    parser = cli.make_parser(
        "find_patterns.py",
        "Часть 4а. Лёгкая модель по аудио и тексту: учится на labeled.csv и строит отчёт "
        "по каждому уроку из new_videos/ (HTML, CSV и JSON в new_videos/reports/).",
    )
    parser.add_argument("--video", type=cli.text, help="видео из new_videos/: номер, имя или путь (по умолчанию — все)")
    parser.add_argument("--retrain", action="store_true", help="обучить модель заново, даже если она свежая")
    flags.add_label_arguments(parser)
    parser.add_argument("--threshold", type=cli.fraction, default=ReportOptions.threshold,
                        help="вероятность, начиная с которой паттерн показывается как найденный")
    parser.add_argument("--pause-seconds", type=cli.pause_seconds, default=ReportOptions.pause_seconds,
                        help="пауза — промежуток без речи не короче стольких секунд")
    parser.add_argument("--anonymise", action="store_true", default=ReportOptions.anonymise,
                        help="кроме обычных отчётов записать обезличенные копии для передачи в "
                             "new_videos/reports_anonymised/: вместо имён видео, учителей и классов — «Урок 1», "
                             "«Учитель А», «Класс № 1», без ссылок на видео и звук (кто есть кто — в "
                             "new_videos/reports/anonymised_names.json, его не пересылайте)")
    flags.add_processing_arguments(parser)
    flags.add_executor_arguments(parser)
    args = parser.parse_args(argv)
    layout = cli.layout_from(args)
    where = flags.executor_options_from_args(args)  # an unreachable cluster is said now, not after training
    # The stages (pandas, scikit-learn, Whisper, matplotlib) load after parsing: --help answers at once.
    from pedpatterns.models import textmodel
    from pedpatterns.prepare.batch import prepare_films
    from pedpatterns.prepare.processing import print_result
    from pedpatterns.report import privacy
    from pedpatterns.report.build import analyse_lesson, write_index, write_report

    candidates = layout.list_new_videos()
    if args.video is not None:
        videos = [cli.pick(candidates, args.video, what="видео в new_videos/", flag="--video")]
    elif candidates:
        videos = candidates
    else:
        raise UserError(f"В папке «{layout.new_videos}» нет видео. Положите туда записи уроков (mp4, mov, mkv…).")

    fsutil.ensure_dir(layout.reports)  # refused now, not after training
    try:
        text_options = cli.options_from(args, TextOptions, labels_path=args.labels)
        model = textmodel.ensure_model(layout, text_options, known_patterns=patterns.default_patterns())
    except UserError as exc:  # the lesson metrics need no labels: they are still worth writing
        model = None
        print(f"\nВнимание: разметка не используется. {exc.message}\n"
              "Отчёты будут построены без паттернов (только показатели урока).\n", file=sys.stderr, flush=True)
    else:
        if model is None:
            print("Разметки ещё нет (labeled.csv не найден): отчёт покажет показатели урока, "
                  "а для определения паттернов сначала нужна разметка в Label Studio.")
    options = flags.options_from_args(args)
    report_options = cli.options_from(args, ReportOptions)
    # Every video's parts first, all through one executor; then a report per lesson.
    batch = prepare_films(layout, videos, options, args.part_minutes, where,
                          on_done=lambda r: None if r.skipped else print_result(r))
    pages, failed = [], [(lesson.film, lesson.errors[0]) for lesson in batch.failed]
    shared_key = (privacy.names_key(layout, [x.stem for x in batch.lessons if x.ok])
                  if report_options.anonymise else None)
    for lesson in progress.progress([x for x in batch.lessons if x.ok], "Отчёты", unit="видео"):
        try:
            data = analyse_lesson(layout, lesson.stem, [p.name for p in lesson.parts], model, report_options)
            pages.append(write_report(layout, data))
            if shared_key is not None:
                privacy.write_shared_report(layout, data, shared_key)
        except UserError as exc:  # one bad video does not cost the others their reports
            failed.append((lesson.film, exc.message))
            print(f"\nНе удалось: {exc.message}\nПерехожу к следующему видео.", file=sys.stderr, flush=True)
        except Exception as exc:  # nor does a fault nobody foresaw (odd text, a bug): said, and the run goes on
            message = unforeseen(exc, f"отчёт по «{lesson.film.name}» не построен")
            failed.append((lesson.film, message))
            print(f"\nНе удалось: {message}\nПерехожу к следующему видео.", file=sys.stderr, flush=True)
    try:
        index = write_index(layout)
        if shared_key is not None:
            privacy.write_shared_index(layout, shared_key)
    except UserError:
        raise
    except Exception as exc:  # the lessons' own reports are written: the summary's fault must not hide them
        index = None
        failed_index = unforeseen(exc, "сводка по всем урокам (index.html) не обновлена")
        print(f"\nНе удалось: {failed_index}", file=sys.stderr, flush=True)
    else:
        failed_index = None
    print("\nГотово. Отчёты:")
    for page in pages:
        print(f"  {page}")
    if index:
        print(f"Сводка по всем урокам: {index}")
    print(f"Папка с отчётами: {layout.reports}")
    if shared_key is not None:
        print(f"Обезличенные копии для передачи: {layout.shared_reports} "
              f"(кто есть кто — в {layout.anonymised_names.name}, его не пересылайте)")
    if failed:
        names = "; ".join(f"«{video.name}»: {message}" for video, message in failed)
        raise UserError(f"Отчёт не построен для {len(failed)} из {len(videos)} видео. {names}")
    if failed_index:
        raise UserError(failed_index)
    return 0


def unforeseen(exc: Exception, what: str) -> str:
    """A Russian line for an error the code did not expect: what was not built, the error itself, what to do."""
    if isinstance(exc, OSError):
        return f"{what}: {errors.os_error_message(exc)}"
    return (f"{what}: непредвиденная ошибка {type(exc).__name__}: {exc}. Остальные отчёты построены. "
            "Запустите find_patterns.py снова; если ошибка повторится, пришлите это сообщение разработчикам.")


if __name__ == "__main__":
    sys.exit(cli.run(main))
