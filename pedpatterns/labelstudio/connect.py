"""``python -m pedpatterns.labelstudio connect``: the ML backend joins the experts' project in Label Studio.

What Label Studio 1.23 needs so that an expert sees the model's suggestion when a task opens and the model
hears about every Submit:

1. the backend registered with the project (``/api/ml``; Label Studio checks its ``/health`` and ``/setup``);
2. the project showing predictions (``show_collab_predictions``) with its model version set to the backend's
   title — then opening a task in the labelling stream asks the backend's ``/predict``
   (tasks/models.py ``Task.get_predictions_for_prelabeling``);
3. a webhook to ``<backend>/webhook`` for the annotation actions. Label Studio adds one itself when a backend
   is added (ml/models.py ``create_ml_webhook``) but silently skips it when its SSRF protection refuses the
   address, so it is checked and made here.

Running it again changes nothing that is right already and never adds a second backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from pedpatterns.errors import UserError
from pedpatterns.labelstudio.client import AddressRefused, LabelStudioClient
from pedpatterns.labelstudio.project import resolve_project

BACKEND_TITLE = "pedpatterns"  # the backend's name in Label Studio, and the project's «model version» setting
BACKEND_DESCRIPTION = "Подсказки паттернов по звуку и тексту (python -m pedpatterns.labelstudio backend)"
# What the backend learns from (webhooks/models.py WebhookAction); «Start Training» posts START_TRAINING to
# /webhook directly (ml/api_connector.py MLApi.train), without a webhook.
ANNOTATION_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATIONS_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED")
HEALTH_TIMEOUT = 5.0
START_BACKEND = "python -m pedpatterns.labelstudio backend"
START_SERVER = "python -m pedpatterns.labelstudio server"


def normalize_url(url: str) -> str:
    """``127.0.0.1:9090/`` → ``http://127.0.0.1:9090``: the form both sides compare."""
    url = (url or "").strip()
    if not url:
        raise UserError("Не указан адрес ML-бэкенда (--backend-url), например http://127.0.0.1:9090.")
    if not url.startswith(("http://", "https://")):
        url = "http://" + url
    return url.rstrip("/")


def webhook_url(backend_url: str) -> str:
    """Where Label Studio posts annotations for a backend: the URL ml/models.py create_ml_webhook gives it."""
    return normalize_url(backend_url) + "/webhook"


def check_backend(backend_url: str, timeout: float = HEALTH_TIMEOUT) -> dict[str, Any]:
    """The backend's ``/health`` answer; a backend that does not answer is a Russian message naming the command."""
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment has no business with a backend on this machine
    try:
        response = session.get(f"{backend_url}/health", timeout=timeout)
    except requests.RequestException:
        raise UserError(
            f"ML-бэкенд не отвечает по адресу {backend_url}. Сначала запустите его в отдельном окне терминала: "
            f"{START_BACKEND} — и, когда он напишет, что готов, повторите эту команду "
            "(другой адрес — параметр --backend-url)."
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        raise UserError(
            f"По адресу {backend_url} отвечает не ML-бэкенд (GET /health: HTTP {response.status_code}). "
            f"Запустите бэкенд командой {START_BACKEND} или укажите его адрес в --backend-url."
        )
    return body


@dataclass(frozen=True)
class ConnectReport:
    """What :func:`connect_backend` found and did, for the message the user sees."""

    project_id: int
    project_title: str
    backend_id: int
    backend_url: str
    created: bool  # the backend was added (False: it was there and is updated)
    state: str  # Label Studio's word for the connection («Connected»…)
    model_version: str  # what the backend's /setup answered
    predictions_turned_on: bool  # the project's settings were changed
    webhook: str  # "found", "created" or "repaired"
    removed_webhooks: int = 0  # webhooks of this backend's previous address
    others: list[dict[str, Any]] = field(default_factory=list)  # the project's other ML backends

    def lines(self, base_url: str) -> list[str]:
        """The report in Russian, one line a fact."""
        done = "подключён к проекту" if self.created else "уже был подключён к проекту, настройки обновлены:"
        lines = [
            f"ML-бэкенд {self.backend_url} {done} «{self.project_title}» (№{self.project_id}); "
            f"состояние: {self.state or 'неизвестно'}, версия модели: {self.model_version or 'не названа'}.",
            "Подсказки модели включены: Label Studio спрашивает бэкенд, когда эксперт открывает задачу"
            if self.predictions_turned_on else
            "Подсказки модели уже были включены: Label Studio спрашивает бэкенд, когда эксперт открывает задачу",
        ]
        lines[-1] += f" (показ подсказок и версия модели «{BACKEND_TITLE}» в настройках проекта)."
        hook = webhook_url(self.backend_url)
        lines.append({
            "found": f"Вебхук {hook} на месте: после каждого Submit модель получает разметку.",
            "created": f"Вебхук {hook} создан: после каждого Submit модель получает разметку.",
            "repaired": f"Вебхук {hook} включён для событий разметки: после каждого Submit модель получает её.",
        }[self.webhook])
        if self.removed_webhooks:
            lines.append(f"Удалены вебхуки прежнего адреса бэкенда: {self.removed_webhooks}.")
        if self.others:
            names = ", ".join(f"«{b.get('title')}» ({b.get('url')}, №{b.get('id')})" for b in self.others)
            lines.append(
                f"Внимание: в проекте подключены и другие ML-бэкенды: {names}. Label Studio спрашивает подсказки "
                "только у одного из них — удалите лишние в проекте: Settings → Model."
            )
        lines.append(f"Откройте {base_url.rstrip('/')}/projects/{self.project_id}/data и нажмите «Label All Tasks».")
        return lines


def _at(item: dict[str, Any], url: str) -> bool:
    """Whether a backend or a webhook of Label Studio's points at ``url`` (normalized)."""
    try:
        return normalize_url(str(item.get("url") or "")) == url
    except UserError:
        return False


def _covers(hook: dict[str, Any]) -> bool:
    """Whether a webhook posts every annotation action with its payload."""
    actions = set(hook.get("actions") or [])
    return bool(hook.get("is_active", True) and hook.get("send_payload", True)
                and (hook.get("send_for_all_actions") or actions.issuperset(ANNOTATION_ACTIONS)))


def _register(client: LabelStudioClient, project_id: int, url: str,
              backends: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], bool, str | None]:
    """(the backend as Label Studio keeps it, whether it was added, its previous URL when that changed)."""
    ours = [b for b in backends if _at(b, url)] or [b for b in backends if b.get("title") == BACKEND_TITLE]
    current = min(ours, key=lambda b: int(b["id"])) if ours else None
    try:
        if current is None:
            return client.add_ml_backend(project_id, url, BACKEND_TITLE, BACKEND_DESCRIPTION), True, None
        updated = client.update_ml_backend(int(current["id"]), project_id, url, BACKEND_TITLE, BACKEND_DESCRIPTION)
    except AddressRefused as exc:
        if current is None and any(_at(b, url) for b in client.ml_backends(project_id)):
            # ML_BLOCK_LOCAL_IP=false alone: the backend is saved, then its webhook is refused (ml/models.py
            # create_ml_webhook → WebhookSerializer.validate_url) and the request answers 403.
            raise _webhook_refused(webhook_url(url)) from None
        raise UserError(
            f"Label Studio не принял ML-бэкенд по адресу {url}: он запрещает адреса этого компьютера "
            f"(ответ Label Studio: {exc.detail}). Остановите Label Studio и запустите его командой "
            f"«{START_SERVER}» (или с переменными окружения ML_BLOCK_LOCAL_IP=false и "
            "SSRF_PROTECTION_ENABLED=false), затем повторите эту команду."
        ) from None
    previous = normalize_url(str(current.get("url") or url)) if not _at(current, url) else None
    return updated, False, previous


def _webhook_refused(url: str) -> UserError:
    return UserError(
        f"Label Studio не дал создать вебхук {url}: его защита от запросов к внутренним адресам "
        "(SSRF_PROTECTION_ENABLED) запрещает адреса этого компьютера, а без вебхука модель не узнаёт о "
        f"новой разметке. Остановите Label Studio и запустите его командой «{START_SERVER}» (или с "
        "переменными окружения SSRF_PROTECTION_ENABLED=false и ML_BLOCK_LOCAL_IP=false), затем повторите "
        "эту команду."
    )


def _ensure_webhook(client: LabelStudioClient, project_id: int, url: str) -> str:
    hooks = [h for h in client.webhooks(project_id) if _at(h, url)]
    try:
        if any(_covers(h) for h in hooks):
            return "found"
        if hooks:
            hook = hooks[0]
            actions = sorted(set(hook.get("actions") or []) | set(ANNOTATION_ACTIONS))
            client.update_webhook(int(hook["id"]), is_active=True, send_payload=True, actions=actions)
            return "repaired"
        client.add_webhook(project_id, url, ANNOTATION_ACTIONS)
        return "created"
    except AddressRefused:
        raise _webhook_refused(url) from None


def connect_backend(
    client: LabelStudioClient,
    project_title: str,
    backend_url: str,
) -> ConnectReport:
    """Register the backend with the project, turn live suggestions on, make sure the webhook exists.

    The calls, in order: the backend's ``GET /health``; ``GET /api/current-user/whoami``;
    ``GET /api/projects/`` (the project by title); ``GET /api/ml/?project=``; ``POST /api/ml/`` or
    ``PATCH /api/ml/<id>``; ``DELETE /api/webhooks/<id>/`` for the webhooks of the backend's previous address;
    ``PATCH /api/projects/<id>/`` when the settings differ; ``GET /api/webhooks/?project=``; ``POST
    /api/webhooks/`` or ``PATCH /api/webhooks/<id>/`` when the webhook is missing or incomplete.
    """
    url = normalize_url(backend_url)
    check_backend(url)
    client.whoami()
    project_id = resolve_project(client, project_title, None)
    backends = client.ml_backends(project_id)
    backend, created, previous = _register(client, project_id, url, backends)
    others = [b for b in backends if int(b["id"]) != int(backend["id"])]

    removed = 0
    if previous and previous != url and not any(_at(b, previous) for b in others):
        for hook in client.webhooks(project_id):
            if _at(hook, webhook_url(previous)):
                client.delete_webhook(int(hook["id"]))
                removed += 1

    project = client.project(project_id)
    turn_on = not project.get("show_collab_predictions") or project.get("model_version") != BACKEND_TITLE
    if turn_on:
        client.update_project(project_id, show_collab_predictions=True, model_version=BACKEND_TITLE)

    webhook = _ensure_webhook(client, project_id, webhook_url(url))
    return ConnectReport(
        project_id=project_id,
        project_title=str(project.get("title") or project_title),
        backend_id=int(backend["id"]),
        backend_url=url,
        created=created,
        state=str(backend.get("readable_state") or backend.get("state") or ""),
        model_version=str(backend.get("model_version") or ""),
        predictions_turned_on=turn_on,
        webhook=webhook,
        removed_webhooks=removed,
        others=others,
    )
