"""``python -m pedpatterns.labelstudio setup|export``: the seed's manual Label Studio steps, done for the user."""

from __future__ import annotations

import argparse

from pedpatterns.cli import RussianArgumentParser, layout_from, make_parser, path, project_id, text, token
from pedpatterns.labelstudio import project
from pedpatterns.labelstudio.client import LabelStudioClient
from pedpatterns.labelstudio.project import DEFAULT_TITLE


def _parser() -> argparse.ArgumentParser:
    parser = make_parser(
        "python -m pedpatterns.labelstudio",
        "Проект Label Studio без ручных шагов: создать и наполнить (setup), выгрузить разметку (export).\n"
        "Адрес и токен берутся из .env (LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY) или из параметров.",
    )
    commands = parser.add_subparsers(dest="command", required=True, title="команды", metavar="КОМАНДА",
                                     parser_class=RussianArgumentParser)
    setup = commands.add_parser("setup", prog="python -m pedpatterns.labelstudio setup",
                                help="создать или обновить проект, подключить файлы, импортировать tasks.json",
                                description="Создаёт проект (или обновляет его конфигурацию), подключает "
                                            "processed_data/ как локальное хранилище и импортирует новые задачи "
                                            "из tasks.json. Повторный запуск добавляет только новые задачи.")
    export = commands.add_parser("export", prog="python -m pedpatterns.labelstudio export",
                                 help="выгрузить разметку в labeled.csv (формат CSV Label Studio)",
                                 description="Выгружает разметку проекта в формате CSV и сохраняет её как "
                                             "labeled.csv в папке проекта (старый файл заменяется только "
                                             "после успешной выгрузки).")
    for sub in (setup, export):
        sub.add_argument("--root", type=path, default=argparse.SUPPRESS,
                         help="папка проекта (в ней processed_data/, tasks.json, .env)")
        sub.add_argument("--url", type=text, help="адрес Label Studio (по умолчанию LABEL_STUDIO_URL из .env, "
                                                  "иначе http://localhost:8080)")
        sub.add_argument("--token", type=token,
                         help="токен доступа Label Studio (по умолчанию LABEL_STUDIO_API_KEY из .env)")
        sub.add_argument("--project-title", type=text, default=DEFAULT_TITLE, help="название проекта в Label Studio")
    export.add_argument("--project-id", type=project_id, help="номер проекта вместо названия")
    export.add_argument("--output", type=path, help="куда сохранить (по умолчанию labeled.csv в папке проекта)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    layout = layout_from(args)
    url, token = project.connection_settings(layout, args.url, args.token)
    client = LabelStudioClient(url, token)
    if args.command == "setup":
        report = project.setup_project(client, layout, args.project_title)
        print(f"Проект «{report.title}» {'создан' if report.created else 'обновлён'} (№{report.project_id}).")
        if report.storage_added:
            print(f"Подключено локальное хранилище: {layout.processed_data}")
        print(f"Импортировано задач: {report.imported}; уже были в проекте: {report.already_there}.")
        print(f"Откройте {report.project_url(client.url)} и размечайте.")
        return 0
    project_id = project.resolve_project(client, args.project_title, args.project_id)
    path, count = project.export_labels(client, layout, project_id, args.output)
    print(f"Разметка сохранена: {path} (аннотаций: {count}).")
    return 0
