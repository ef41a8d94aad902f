"""What pedpatterns hands to Label Studio: the labeling config and tasks.json.

It is also a command, the seed's manual steps done for the user (see :mod:`.lsproject`)::

    python -m pedpatterns.labelstudio setup    # project, config, local files, tasks.json
    python -m pedpatterns.labelstudio export   # labeled.csv

Files are referenced by Label Studio's local-files URLs (``/data/local-files/?d=<path>``)
relative to the project root, so one Label Studio started with the project root as its
document root serves every keyframe and audio clip, Cyrillic names and spaces included.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

from . import fsutil, locks
from .errors import UserError
from .layout import Layout

LOCAL_FILES_PREFIX = "/data/local-files/?d="

# Names of the config's tags. The export names its columns after them, so the reader
# (labels.py) uses the same constants.
IMAGE_TAG = "image"
AUDIO_TAG = "audio"
TEXT_TAG = "text"
CHOICES_TAG = "pattern"


def label_config_xml(patterns: Iterable[str]) -> str:
    """The labeling interface: keyframe, audio clip, transcript and a multi-choice list of patterns.

    Names are checked (:func:`.patterns.check_names`) and escaped, so the config is well-formed
    XML whatever the list holds, and each ``Choice`` value reads back as the very name.
    """
    from .patterns import check_names

    names = list(patterns)
    check_names(names)  # refuses what XML or Label Studio cannot hold; the names are written as given
    choices = "\n".join(f"    <Choice value={quoteattr(p)}/>" for p in names)
    return f"""<View>
  <Header value="$film · $part · сегмент $segment · $time"/>
  <Image name="{IMAGE_TAG}" value="${IMAGE_TAG}" zoom="true" maxWidth="720px"/>
  <Audio name="{AUDIO_TAG}" value="${AUDIO_TAG}"/>
  <Text name="{TEXT_TAG}" value="${TEXT_TAG}"/>
  <Header value="Какие педагогические паттерны вы видите в этом фрагменте?"/>
  <Choices name="{CHOICES_TAG}" toName="{IMAGE_TAG}" choice="multiple" showInLine="false">
{choices}
  </Choices>
</View>
"""


def local_files_url(layout: Layout, path: Path) -> str:
    """The URL under which Label Studio serves ``path`` (a file inside the project root)."""
    return LOCAL_FILES_PREFIX + quote(layout.relative(path), safe="/")


def format_time(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def segment_task(layout: Layout, row: Mapping[str, Any]) -> dict[str, Any]:
    """One task of tasks.json from one row of segments.csv."""
    part = str(row["part"])
    index = int(row["segment"])
    part_dir = layout.part_dir(part)
    return {
        "data": {
            IMAGE_TAG: local_files_url(layout, part_dir / str(row["keyframe"])),
            AUDIO_TAG: local_files_url(layout, part_dir / str(row["audio"])),
            TEXT_TAG: str(row.get("text") or ""),
            "film": str(row["film"]),
            "part": part,
            "segment": index,
            "segment_id": f"{part}/{index:03d}",
            "lesson_start": round(float(row["lesson_start"]), 2),
            "lesson_end": round(float(row["lesson_end"]), 2),
            "time": f"{format_time(float(row['lesson_start']))}–{format_time(float(row['lesson_end']))}",
        }
    }


def prediction(choices: Iterable[str], score: float, model_version: str) -> dict[str, Any]:
    """A pre-annotation for a task's ``predictions`` list: the model's choices, shown to the expert to correct.

    ``score`` lets Label Studio sort tasks so that experts see the least certain ones first.
    """
    return {
        "model_version": model_version,
        "score": round(float(score), 4),
        "result": [
            {
                "from_name": CHOICES_TAG,
                "to_name": IMAGE_TAG,
                "type": "choices",
                "value": {"choices": list(choices)},
            }
        ],
    }


def segment_tasks(layout: Layout, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [segment_task(layout, row) for row in rows]


def read_tasks(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(
            f"Файл «{path}» повреждён ({exc}). Переименуйте его и обработайте части заново: "
            "python prepare_data.py --all"
        ) from None
    if not isinstance(tasks, list):
        raise UserError(f"В «{path}» ожидался список задач Label Studio. Переименуйте файл и обработайте части заново.")
    return tasks


def update_tasks_file(layout: Layout, part: str, tasks: list[dict[str, Any]]) -> int:
    """Replace ``part``'s tasks in tasks.json, keep every other part's; return the total count.

    Read, change and write happen under the tasks.json lock, so two runs finishing parts at
    the same time keep each other's tasks. Tasks stay ordered by part and segment, so the
    file reads in lesson order.
    """
    with locks.hold(layout, layout.tasks_json.name, f"файл {layout.tasks_json.name}"):
        current = read_tasks(layout.tasks_json)
        if not all(isinstance(t, dict) and isinstance(t.get("data"), dict) for t in current):
            raise UserError(f"В «{layout.tasks_json}» есть записи, не похожие на задачи Label Studio. "
                            "Переименуйте файл и обработайте части заново: python prepare_data.py --all")
        kept = [t for t in current if t["data"].get("part") != part]
        merged = sorted([*kept, *tasks], key=lambda t: (str(t["data"].get("part")), _segment_key(t)))
        fsutil.write_json(layout.tasks_json, merged)
    return len(merged)


def _segment_key(task: dict[str, Any]) -> int:
    try:
        return int(task["data"].get("segment", 0))
    except (TypeError, ValueError):
        return 0


# --- the command: python -m pedpatterns.labelstudio setup|export ---------------------------


def _parser() -> argparse.ArgumentParser:
    from .cli import RussianArgumentParser, make_parser, path, project_id, text, token
    from .lsproject import DEFAULT_TITLE

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
    from . import lsproject
    from .cli import layout_from
    from .lsclient import LabelStudioClient

    args = _parser().parse_args(argv)
    layout = layout_from(args)
    url, token = lsproject.connection_settings(layout, args.url, args.token)
    client = LabelStudioClient(url, token)
    if args.command == "setup":
        report = lsproject.setup_project(client, layout, args.project_title)
        print(f"Проект «{report.title}» {'создан' if report.created else 'обновлён'} (№{report.project_id}).")
        if report.storage_added:
            print(f"Подключено локальное хранилище: {layout.processed_data}")
        print(f"Импортировано задач: {report.imported}; уже были в проекте: {report.already_there}.")
        print(f"Откройте {report.project_url(client.url)} и размечайте.")
        return 0
    project_id = lsproject.resolve_project(client, args.project_title, args.project_id)
    path, count = lsproject.export_labels(client, layout, project_id, args.output)
    print(f"Разметка сохранена: {path} (аннотаций: {count}).")
    return 0


if __name__ == "__main__":
    from .cli import run

    sys.exit(run(main))
