#!/usr/bin/env python3
"""Part 1: cut a lesson from films/ into parts, process a part, write tasks.json for Label Studio."""

from __future__ import annotations

import sys

from pedpatterns import cli


def main(argv: list[str] | None = None) -> int:
    parser = cli.make_parser(
        "prepare_data.py",
        "Часть 1. Нарезает урок из films/ на части в part_films/, обрабатывает выбранную часть "
        "в processed_data/ (ключевые кадры, аудио, текст, признаки) и пишет tasks.json для Label Studio.",
    )
    parser.add_argument("--film", help="фильм из films/: номер в списке, имя или путь (без вопроса)")
    parser.add_argument("--part", help="часть из part_films/: номер, имя или путь (без вопроса)")
    args = parser.parse_args(argv)
    cli.layout_from(args)
    raise cli.not_built("подготовка данных (prepare_data.py)")


if __name__ == "__main__":
    sys.exit(cli.run(main))
