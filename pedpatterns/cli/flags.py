"""Flag groups shared by several scripts: one definition, one check, one help text each.

Their defaults come from the stages' light ``options`` modules, so a parser is built (and ``--help``
printed) without loading numpy, pandas or any model.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pedpatterns import cli
from pedpatterns.labels.options import DEFAULT_MIN_SHARE
from pedpatterns.prepare.options import (
    ASR_ENGINES,
    DEFAULT_PART_MINUTES,
    SCHEDULER_ENV,
    SPEAKER_ENGINES,
    ExecutorOptions,
    Options,
)


def add_processing_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of cutting and processing, shared by every script that processes a video.

    Their ranges are checked by the argparse types in :mod:`pedpatterns.cli`, so a bad value stops the
    command before anything is read or written.
    """
    parser.add_argument("--part-minutes", type=cli.part_minutes, default=DEFAULT_PART_MINUTES,
                        help="длина части, минуты (можно дробное: 1.5)")
    parser.add_argument("--segment-seconds", type=cli.segment_seconds, default=Options.segment_seconds,
                        help="длина сегмента, секунды (границы сдвигаются к ближайшей паузе)")
    parser.add_argument("--whisper-model", type=cli.text, default=Options.whisper_model,
                        help="модель Whisper: размер (tiny, base, small, medium, large-v3…; скачивается при "
                             "первом запуске), путь к папке с моделью, bundled (встроенная многоязычная base) "
                             "или bundled-tiny.en (встроенная английская)")
    parser.add_argument("--language", type=cli.text, default=Options.language,
                        help="язык речи: ru, en, … или auto (определить по речи части)")
    parser.add_argument("--asr-engine", choices=ASR_ENGINES, default=Options.asr_engine,
                        help="движок распознавания речи")
    parser.add_argument("--asr-batch-size", type=cli.asr_batch_size, default=Options.batch_size,
                        help="пакетное распознавание: сколько 30-секундных кусков речи сразу (быстрее в 2 раза "
                             "при той же точности, см. bench/README.md); 0 или 1 — по очереди")
    parser.add_argument("--beam-size", type=cli.beam_size, default=Options.beam_size,
                        help="ширина луча поиска Whisper (1 — жадный поиск, быстрее)")
    parser.add_argument("--speakers", choices=SPEAKER_ENGINES, default=Options.speakers,
                        help="кто говорит — учитель или ученики: resemblyzer (точнее, нужен PyTorch: "
                             "python tools/make.py speakers), mfcc (без PyTorch, грубее) или none (не различать)")


def options_from_args(
    args: argparse.Namespace, *, patterns: Sequence[str] = (), force: bool = False
) -> Options:
    """Part 1's processing options from the flags above (the other fields keep their defaults)."""
    # --asr-batch-size has its own name: auto_classifier.py's --batch-size is the image model's.
    return cli.options_from(args, Options, batch_size=args.asr_batch_size, patterns=tuple(patterns), force=force)


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    """--jobs and --cluster: where the parts are processed, the same words in every script that processes."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=cli.jobs, default=ExecutorOptions.jobs,
                       help="сколько частей обрабатывать одновременно на этой машине (каждая загружает свою модель)")
    where.add_argument("--cluster", type=cli.text, default=ExecutorOptions.cluster, metavar="АДРЕС",
                       help="обрабатывать части на кластере Dask: адрес планировщика, например tcp://host:8786 "
                            f"(по умолчанию — из переменной {SCHEDULER_ENV}, если она задана); "
                            "папка проекта должна быть видна рабочим по тому же пути")


def executor_options_from_args(args: argparse.Namespace) -> ExecutorOptions:
    """Where to process, from --jobs and --cluster (or DASK_SCHEDULER_ADDRESS); a cluster is checked now.

    An unreachable scheduler is refused in seconds, before any film is cut or model trained.
    """
    from pedpatterns.prepare import executor  # after parsing: --help never loads asyncio and the pools

    where = cli.options_from(args, ExecutorOptions, cluster=executor.cluster_address(args.cluster))
    if where.cluster:
        executor.check_reachable(where.cluster)
        unused = " (--jobs не используется: сколько частей сразу, решают рабочие кластера)" if where.jobs > 1 else ""
        print(f"Части обрабатывает {where.describe()}{unused}.", flush=True)
    return where


def add_label_arguments(parser: argparse.ArgumentParser) -> None:
    """--labels and --min-share: the same words for every stage that reads the experts' labels."""
    parser.add_argument("--labels", type=cli.path, default=None,
                        help="экспорт разметки из Label Studio: CSV, JSON или JSON-MIN "
                             "(по умолчанию: labeled.csv в папке проекта)")
    parser.add_argument("--min-share", type=cli.share, default=DEFAULT_MIN_SHARE,
                        help="паттерн засчитывается сегменту, если его выбрала хотя бы такая доля экспертов, "
                             "разметивших этот сегмент")
