#!/usr/bin/env python3
"""Part 4b: MobileNetV2 on keyframes: --mode train on labeled data, --mode predict on a part."""

from __future__ import annotations

import sys

from pedpatterns import cli


def main(argv: list[str] | None = None) -> int:
    parser = cli.make_parser(
        "auto_classifier.py",
        "Часть 4б. Классификатор ключевых кадров (MobileNetV2): обучение на разметке "
        "и автоматическая разметка новых частей.",
    )
    parser.add_argument("--mode", choices=["train", "predict"], required=True, help="что делать")
    parser.add_argument("--video", help="часть из part_films/ для predict: номер, имя или путь")
    args = parser.parse_args(argv)
    cli.layout_from(args)
    raise cli.not_built("автоматический классификатор (auto_classifier.py)")


if __name__ == "__main__":
    sys.exit(cli.run(main))
