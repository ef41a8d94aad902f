#!/usr/bin/env python3
"""Part 3: publish dataset_foto/ to the Hugging Face Hub in one commit."""

from __future__ import annotations

import sys

from pedpatterns import cli


def main(argv: list[str] | None = None) -> int:
    parser = cli.make_parser(
        "upload_dataset.py",
        "Часть 3. Загружает dataset_foto/ на Hugging Face Hub одним коммитом (токен — в файле .env).",
    )
    parser.add_argument("--yes", action="store_true", help="не задавать вопросов")
    args = parser.parse_args(argv)
    cli.layout_from(args)
    raise cli.not_built("загрузка датасета на Hugging Face Hub (upload_dataset.py)")


if __name__ == "__main__":
    sys.exit(cli.run(main))
