#!/usr/bin/env python3
"""Part 3: build dataset_foto/ (Hugging Face ImageFolder) from labeled.csv and the keyframes."""

from __future__ import annotations

import sys

from pedpatterns import cli


def main(argv: list[str] | None = None) -> int:
    parser = cli.make_parser(
        "create_image_dataset.py",
        "Часть 3. Собирает датасет изображений dataset_foto/ из разметки labeled.csv "
        "и ключевых кадров в processed_data/.",
    )
    args = parser.parse_args(argv)
    cli.layout_from(args)
    raise cli.not_built("создание датасета изображений (create_image_dataset.py)")


if __name__ == "__main__":
    sys.exit(cli.run(main))
