"""The seed's manual Label Studio steps, done through the API: set a project up, export the labels.

``python -m pedpatterns.labelstudio setup`` and ``... export`` call these functions; the
tests and tools/make_labeled_csv.py call them too, so the user's path and the tested path
are the same code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pedpatterns import fsutil
from pedpatterns.errors import UserError
from pedpatterns.labels.exports import read_csv_export
from pedpatterns.labelstudio.client import LabelStudioClient
from pedpatterns.labelstudio.config import has_question_labels, with_question_labels
from pedpatterns.labelstudio.options import DEFAULT_TITLE
from pedpatterns.labelstudio.tasks import read_tasks
from pedpatterns.layout import Layout
from pedpatterns.tokens import check_token

URL_VAR = "LABEL_STUDIO_URL"
TOKEN_VAR = "LABEL_STUDIO_API_KEY"
DEFAULT_URL = "http://localhost:8080"


@dataclass(frozen=True)
class SetupReport:
    """What :func:`setup_project` did, for the message the user sees."""

    project_id: int
    title: str
    created: bool
    storage_added: bool
    imported: int
    already_there: int
    question_labels: bool = False  # the config holds the labelling of the teacher's questions

    def project_url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/projects/{self.project_id}/data"


def connection_settings(layout: Layout, url: str | None, token: str | None) -> tuple[str, str]:
    """URL and token: the flags first, then the environment, then the project's .env file."""
    file_values: Mapping[str, str | None] = fsutil.read_env(layout.env_file)
    url = url or os.environ.get(URL_VAR) or file_values.get(URL_VAR) or DEFAULT_URL
    if token:
        return url, check_token(token, "--token")
    if os.environ.get(TOKEN_VAR):
        return url, check_token(os.environ[TOKEN_VAR], f"{TOKEN_VAR} (переменная окружения)")
    return url, check_token(file_values.get(TOKEN_VAR) or "", TOKEN_VAR, str(layout.env_file))


def project_label_config(layout: Layout) -> str:
    """The labeling config prepare_data.py wrote; every processed part must have the same one."""
    parts = layout.processed_parts()
    if not parts:
        raise UserError(
            f"В «{layout.processed_data}» нет обработанных частей. Сначала обработайте урок: python prepare_data.py"
        )
    configs: dict[str, list[str]] = {}
    for part in parts:
        path = layout.label_config(part)
        if path.is_file():
            configs.setdefault(path.read_text(encoding="utf-8"), []).append(part)
    if not configs:
        raise UserError(
            f"В частях {', '.join(parts)} нет файла {layout.label_config(parts[0]).name}. "
            "Обработайте части заново: python prepare_data.py --all"
        )
    if len(configs) > 1:
        groups = "; ".join(", ".join(names) for names in configs.values())
        raise UserError(
            "Части обработаны с разными списками паттернов, а у проекта Label Studio конфигурация одна. "
            f"Группы частей: {groups}. Обработайте все части с одним списком (--patterns) и повторите."
        )
    return next(iter(configs))


def project_tasks(layout: Layout) -> list[dict[str, Any]]:
    tasks = read_tasks(layout.tasks_json)
    if not tasks:
        raise UserError(
            f"Файл задач «{layout.tasks_json}» не найден или пуст. Сначала обработайте урок: python prepare_data.py"
        )
    return tasks


def _task_key(task: Mapping[str, Any]) -> str:
    data = task.get("data", {})
    return str(data.get("segment_id") or data.get("image") or "")


def ensure_storage(client: LabelStudioClient, project_id: int, layout: Layout) -> bool:
    """Connect processed_data/ as local-files storage unless it is connected; True when added.

    The storage is what makes the server serve ``/data/local-files/?d=processed_data/...``:
    without it every image and clip of the tasks answers 404.
    """
    folder = str(layout.processed_data)
    existing = {os.path.normpath(str(s.get("path", ""))) for s in client.local_storages(project_id)}
    if os.path.normpath(folder) in existing:
        return False
    try:
        client.add_local_storage(project_id, folder, title=layout.processed_data.name)
    except UserError as exc:
        raise UserError(
            f"{exc.message}\nLabel Studio должен быть запущен с переменными окружения "
            "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true и "
            f"LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT={layout.root} (папка проекта) — см. docs/labelstudio.md."
        ) from None
    return True


def setup_project(
    client: LabelStudioClient, layout: Layout, title: str = DEFAULT_TITLE, question_labels: bool = False
) -> SetupReport:
    """Create or update the project: config, local-files storage, tasks not imported yet.

    Running it again after prepare_data.py processed more parts imports only the new
    tasks (matched by ``segment_id``), so experts' work is never duplicated.
    ``question_labels`` adds the labelling of the teacher's questions to the config; a project that has it
    keeps it on a later run without the flag (Label Studio would refuse to drop tags experts have used).
    """
    config = project_label_config(layout)
    tasks = project_tasks(layout)
    client.whoami()
    project = client.find_project(title)
    created = project is None
    if question_labels or (project is not None and has_question_labels(project.get("label_config") or "")):
        config = with_question_labels(config)
    if project is None:
        project = client.create_project(title, config, description="Разметка педагогических паттернов (pedpatterns)")
    elif (project.get("label_config") or "").strip() != config.strip():  # the server strips the text
        client.update_project(project["id"], label_config=config)
    project_id = int(project["id"])
    storage_added = ensure_storage(client, project_id, layout)
    present = set() if created else {_task_key(t) for t in client.tasks(project_id)}
    new = [t for t in tasks if _task_key(t) not in present]
    if new:
        client.import_tasks(project_id, new)
    return SetupReport(project_id, title, created, storage_added, len(new), len(tasks) - len(new),
                       has_question_labels(config))


@dataclass(frozen=True)
class SentPredictions:
    updated: int  # tasks already in the project that got the prediction
    imported: int  # tasks imported with it


def send_predictions(
    client: LabelStudioClient, layout: Layout, title: str, tasks: list[dict[str, Any]]
) -> SentPredictions:
    """Put the queue's predictions into the project the experts work in.

    A segment already imported from tasks.json gets the prediction attached (matched by
    ``segment_id``), so the experts never see the same segment twice; a segment not in the
    project yet is imported with its prediction. The project is made by :func:`setup_project`.
    """
    project_id = resolve_project(client, title, None)
    ensure_storage(client, project_id, layout)
    present = {_task_key(t): t for t in client.tasks(project_id)}
    updated, new = 0, []
    for task in tasks:
        existing = present.get(_task_key(task))
        if existing is None:
            new.append(task)
            continue
        # A second --send of the same batch must not stack the same model's suggestion twice.
        shown = {str(p.get("model_version")) for p in existing.get("predictions") or [] if isinstance(p, dict)}
        for pred in task.get("predictions", []):
            if str(pred.get("model_version")) not in shown:
                client.create_prediction(int(existing["id"]), pred)
        updated += 1
    if new:
        client.import_tasks(project_id, new)
    return SentPredictions(updated, len(new))


def resolve_project(client: LabelStudioClient, title: str | None, project_id: int | None) -> int:
    if project_id is not None:
        return int(client.project(project_id)["id"])
    title = title or DEFAULT_TITLE
    project = client.find_project(title)
    if project is None:
        names = ", ".join(f"«{p.get('title')}» (№{p.get('id')})" for p in client.projects()) or "нет ни одного"
        raise UserError(
            f"В Label Studio нет проекта «{title}». Проекты на сервере: {names}. "
            "Укажите нужный в --project-title или --project-id, или создайте проект командой "
            "python -m pedpatterns.labelstudio setup"
        )
    return int(project["id"])


def export_labels(
    client: LabelStudioClient, layout: Layout, project_id: int, path: Path | None = None
) -> tuple[Path, int]:
    """Write the server's CSV export, unchanged, to labeled.csv; return (path, annotation count).

    The export is checked with the reader before it replaces the old file: an export
    without a single annotation is refused, so no empty dataset is built downstream.
    """
    path = Path(path) if path else layout.labeled_csv
    data = client.export(project_id, "CSV")
    with fsutil.atomic_path(path) as tmp:
        tmp.write_bytes(data)
        annotations = [a for a in read_csv_export(tmp) if a.annotation_id and not a.cancelled]
        if not annotations:
            raise UserError(
                "В проекте Label Studio ещё нет ни одной разметки: экспорт пуст, labeled.csv не изменён. "
                "Разметьте задачи (кнопка Submit) и повторите экспорт."
            )
    return path, len(annotations)
