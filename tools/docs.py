#!/usr/bin/env python3
"""`make docs`: rewrite the generated tables of docs/*.md from the dictionaries the code writes its files by.

What every column of segments.csv, the report's CSVs, agreement.csv, tasks.json… means is written once,
in the module that writes the file (``schema.SEGMENT_COLUMNS``, ``lessonmetrics.METRICS``,
``talk.TALK_METRICS``…). The pages quote them between ``<!-- generated: NAME -->`` and
``<!-- /generated: NAME -->``; only that text is rewritten, so a new metric reaches the page by
running this tool, and a test (tests/tools/test_docs.py) fails while the page is stale.

    python tools/docs.py           # rewrite the pages
    python tools/docs.py --check   # only say which pages are stale (exit code 1)
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from pedpatterns import fsutil, schema
from pedpatterns.dataset import build as dataset_build
from pedpatterns.labelstudio import agreement, tasks
from pedpatterns.report import build as report_build
from pedpatterns.report import lessonmetrics, talk, timeline

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated: (?P=name) -->)", re.S)


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def columns(meanings: Mapping[str, str], extra: Iterable[tuple[str, str]] = ()) -> str:
    """Column → meaning, the column in code font as it is written in the file."""
    rows = [(f"`{name}`", meaning) for name, meaning in meanings.items()]
    return table(["столбец", "что означает"], [*rows, *((f"`{n}`", m) for n, m in extra)])


def metrics(described: Mapping[str, tuple[str, str, str]]) -> str:
    """The rows of a one-number-per-row CSV: key, Russian name, unit, meaning."""
    return table(["metric", "название", "единица", "что означает"],
                 [(f"`{key}`", name, unit, meaning) for key, (name, unit, meaning) in described.items()])


def lessons_over_time() -> str:
    rows = [(f"`{title}`", f"`{key}`") for key, title in timeline.CSV_COLUMNS.items()]
    rows.append(("`доля урока: <паттерн>`", "доля урока под паттерном, по столбцу на каждый паттерн модели"))
    return table(["столбец", "ключ в программе"], rows)


GENERATED: dict[str, Callable[[], str]] = {
    "segments-csv": lambda: columns({**schema.SEGMENT_COLUMNS, **schema.FEATURE_COLUMNS, **schema.SPEAKER_COLUMNS}),
    "tasks-json": lambda: columns(tasks.TASK_DATA_FIELDS),
    "dataset-metadata": lambda: columns(
        {"file_name": "имя файла изображения в той же папке (train/ или test/)", **dataset_build.METADATA_COLUMNS}),
    "agreement-csv": lambda: columns(
        agreement.AGREEMENT_COLUMNS,
        [(agreement.PAIR_KAPPA_COLUMN.format(first="<эксперт>", second="<эксперт>"), agreement.PAIR_KAPPA_MEANING)]),
    "metric-row-columns": lambda: columns(report_build.METRIC_ROW_COLUMNS),
    "lesson-metrics": lambda: metrics(lessonmetrics.METRICS),
    "who-talks": lambda: metrics(talk.TALK_METRICS),
    "report-segments-csv": lambda: columns(
        report_build.REPORT_SEGMENT_COLUMNS,
        [(report_build.PROBABILITY_COLUMN.format(pattern="<паттерн>"), report_build.PROBABILITY_MEANING)]),
    "lessons-over-time-csv": lessons_over_time,
}


def render(text: str, where: str = "") -> str:
    """The page with every generated block rebuilt; an unknown block name is a mistake in the page."""

    def rebuild(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in GENERATED:
            raise SystemExit(f"{where}: неизвестный блок «{name}»; известные: {', '.join(GENERATED)}")
        return match[1] + GENERATED[name]() + match[4]

    return BLOCK.sub(rebuild, text)


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def stale() -> list[Path]:
    """Pages whose generated text differs from what the code says now."""
    return [page for page in pages()
            if render(text := page.read_text(encoding="utf-8"), page.name) != text]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Обновить таблицы в docs/*.md из описаний столбцов в коде.")
    parser.add_argument("--check", action="store_true", help="только проверить: код выхода 1, если страницы устарели")
    args = parser.parse_args(argv)
    old = stale()
    if args.check:
        for page in old:
            print(f"устарела: {page.relative_to(ROOT)} (обновите: python tools/make.py docs)")
        return 1 if old else 0
    for page in old:
        fsutil.write_text(page, render(page.read_text(encoding="utf-8"), page.name))
        print(f"обновлена: {page.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
