#!/usr/bin/env python3
"""Part 4a: the light audio/text model and the automatic lesson report for new_videos/."""

from __future__ import annotations

import sys

from pedpatterns import cli


def main(argv: list[str] | None = None) -> int:
    parser = cli.make_parser(
        "find_patterns.py",
        "Часть 4а. Лёгкая модель по аудио и тексту: учится на labeled.csv и строит отчёт "
        "по урокам из new_videos/.",
    )
    parser.add_argument("--video", help="видео из new_videos/: номер, имя или путь (по умолчанию — все)")
    args = parser.parse_args(argv)
    cli.layout_from(args)
    raise cli.not_built("поиск паттернов и отчёт (find_patterns.py)")


if __name__ == "__main__":
    sys.exit(cli.run(main))
