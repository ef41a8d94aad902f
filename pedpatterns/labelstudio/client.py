"""A small client for the part of Label Studio's HTTP API that pedpatterns needs.

One class, plain ``requests``: Label Studio's own SDK would pull its server-side
dependencies into the toolkit's environment. Every failure a user can cause (server not
started, wrong address, wrong or expired token, a config the server rejects) becomes a
:class:`~pedpatterns.errors.UserError` with a Russian message; nothing is retried blindly.

Two kinds of token work (Label Studio ≥ 1.19 offers both):

* a legacy token (40 hex characters) → ``Authorization: Token <t>``;
* a personal access token, a JWT refresh token → exchanged at ``/api/token/refresh/`` for
  a short-lived access token → ``Authorization: Bearer <access>``, renewed on expiry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urljoin

import requests

from pedpatterns.errors import UserError
from pedpatterns.labelstudio.config import CHOICES_TAG, IMAGE_TAG
from pedpatterns.tokens import check_token

DEFAULT_TIMEOUT = 120.0
EXPORT_FORMATS = ("CSV", "JSON", "JSON_MIN", "TSV")


def looks_like_jwt(token: str) -> bool:
    """A personal access token is a JWT: three base64url parts joined by dots."""
    parts = token.split(".")
    return len(parts) == 3 and all(parts) and token.startswith("eyJ")


# Label Studio's words when its SSRF protection refuses an address on this machine or a private network
# (core/utils/exceptions.py SsrfBlockedUrlError, core/utils/io.py validate_ip): HTTP 403.
_REFUSED_ADDRESS_MARKERS = ("reserved network address", "The provided URL was not allowed")


class AddressRefused(UserError):
    """Label Studio refused a URL on this machine or a private network (ML_BLOCK_LOCAL_IP, SSRF_PROTECTION_ENABLED)."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail  # Label Studio's own words


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip()
    if isinstance(body, dict):
        for key in ("detail", "validation_errors", "message", "error"):
            if body.get(key):
                return str(body[key])[:500]
    return str(body)[:500]


class LabelStudioClient:
    """Talks to one Label Studio server as one user."""

    def __init__(self, url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        url = (url or "").strip()
        token = (token or "").strip()
        if not url:
            raise UserError(
                "Не указан адрес Label Studio. Укажите его в .env (LABEL_STUDIO_URL=http://localhost:8080) "
                "или параметром --url."
            )
        if not url.startswith(("http://", "https://")):
            url = "http://" + url
        if not token:
            raise UserError(
                "Не указан токен Label Studio. Скопируйте его в Label Studio (аккаунт → Account & Settings → "
                "Personal Access Token или Legacy Token) в .env (LABEL_STUDIO_API_KEY=...) или в параметр --token."
            )
        self.url = url.rstrip("/")
        self.token = check_token(token, "Label Studio (LABEL_STUDIO_API_KEY или --token)")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # a proxy from the environment must not see a local server's token
        self._access: str | None = None

    # --- transport ---------------------------------------------------------------------

    def _auth_header(self, refresh: bool = False) -> str:
        if not looks_like_jwt(self.token):
            return f"Token {self.token}"
        if self._access is None or refresh:
            response = self._send("POST", "/api/token/refresh/", json={"refresh": self.token}, auth=False)
            if response.status_code in (400, 401, 403):
                raise self._token_error()
            self._raise_for(response, "обмен токена доступа")
            self._access = response.json()["access"]
        return f"Bearer {self._access}"

    def _send(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        url = path if path.startswith(("http://", "https://")) else urljoin(self.url + "/", path.lstrip("/"))
        headers = kwargs.pop("headers", {})
        if auth:
            headers["Authorization"] = self._auth_header()
        try:
            return self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        except requests.ConnectionError:
            raise UserError(
                f"Label Studio не отвечает по адресу {self.url}. Запустите его (label-studio start) и проверьте "
                "адрес в .env (LABEL_STUDIO_URL) или в параметре --url."
            ) from None
        except requests.Timeout:
            raise UserError(
                f"Label Studio по адресу {self.url} не ответил за {self.timeout:.0f} с. Повторите позже."
            ) from None
        except requests.RequestException as exc:
            raise UserError(f"Не удалось обратиться к Label Studio по адресу {self.url}: {exc}") from None

    def _token_error(self) -> UserError:
        return UserError(
            f"Label Studio по адресу {self.url} не принял токен. Проверьте LABEL_STUDIO_API_KEY в .env (или --token): "
            "скопируйте токен заново в Label Studio (аккаунт → Account & Settings). Если это Legacy Token, "
            "он должен быть включён в Organization → API Tokens Settings."
        )

    def _raise_for(self, response: requests.Response, action: str) -> None:
        if response.status_code < 400:
            return
        if response.status_code == 401:
            raise self._token_error()
        detail = _detail(response)
        if response.status_code in (400, 403) and any(m in detail for m in _REFUSED_ADDRESS_MARKERS):
            raise AddressRefused(
                f"Label Studio отказался обращаться к адресу на этом компьютере или в локальной сети (действие "
                f"«{action}»: {detail}). Так он защищается от запросов к внутренним адресам (SSRF), а ML-бэкенду "
                "они нужны. Перезапустите Label Studio командой «python -m pedpatterns.labelstudio server» или "
                "запускайте его с переменными окружения ML_BLOCK_LOCAL_IP=false и SSRF_PROTECTION_ENABLED=false.",
                detail,
            )
        if response.status_code == 403:
            raise UserError(f"Label Studio запретил действие «{action}» для этого пользователя: {detail}")
        if response.status_code == 404:
            raise UserError(f"Label Studio не нашёл то, что нужно для действия «{action}» ({response.url}). "
                            "Проверьте адрес сервера и номер проекта.")
        raise UserError(
            f"Label Studio отклонил действие «{action}» (HTTP {response.status_code}): {detail}"
        )

    def request(self, method: str, path: str, action: str, **kwargs: Any) -> requests.Response:
        """One API call; a 401 with a personal access token renews the access token once."""
        response = self._send(method, path, **kwargs)
        if response.status_code == 401 and looks_like_jwt(self.token):
            self._auth_header(refresh=True)
            response = self._send(method, path, **kwargs)
        self._raise_for(response, action)
        return response

    def _json(self, method: str, path: str, action: str, **kwargs: Any) -> Any:
        response = self.request(method, path, action, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise UserError(
                f"По адресу {self.url} ответил не Label Studio (ответ не JSON). Проверьте LABEL_STUDIO_URL."
            ) from None

    def _paged(self, path: str, action: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of a paginated list, whichever of Label Studio's two list shapes it uses."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self._json("GET", path, action, params={**(params or {}), "page": page, "page_size": 100})
            if isinstance(body, list):
                return items + body
            batch = body.get("results", body.get("tasks", [])) if isinstance(body, dict) else []
            items.extend(batch)
            total = body.get("count", body.get("total")) if isinstance(body, dict) else None
            more = bool(body.get("next")) or bool(total and len(items) < total)
            if not batch or not more:
                return items
            page += 1

    # --- the calls pedpatterns makes -----------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        """The current user; the cheapest check that the address and the token are right."""
        return self._json("GET", "/api/current-user/whoami", "проверка подключения")

    def projects(self) -> list[dict[str, Any]]:
        return self._paged("/api/projects/", "список проектов")

    def find_project(self, title: str) -> dict[str, Any] | None:
        matches = [p for p in self.projects() if p.get("title") == title]
        return min(matches, key=lambda p: p["id"]) if matches else None

    def project(self, project_id: int) -> dict[str, Any]:
        return self._json("GET", f"/api/projects/{project_id}/", "чтение проекта")

    def create_project(self, title: str, label_config: str, description: str = "") -> dict[str, Any]:
        return self._json("POST", "/api/projects/", "создание проекта",
                          json={"title": title, "label_config": label_config, "description": description})

    def update_project(self, project_id: int, **fields: Any) -> dict[str, Any]:
        return self._json("PATCH", f"/api/projects/{project_id}/", "изменение проекта", json=fields)

    def local_storages(self, project_id: int) -> list[dict[str, Any]]:
        return self._json("GET", "/api/storages/localfiles/", "список хранилищ", params={"project": project_id}) or []

    def add_local_storage(self, project_id: int, path: str, title: str) -> dict[str, Any]:
        """Connect a local-files storage; it is what lets the server serve /data/local-files/ URLs under ``path``.

        It is not synced: tasks come from tasks.json, the storage only authorises serving.
        """
        return self._json("POST", "/api/storages/localfiles/", "подключение локального хранилища", json={
            "project": project_id, "path": path, "title": title, "use_blob_urls": False,
            "regex_filter": "", "recursive_scan": True,
        })

    def import_tasks(self, project_id: int, tasks: Sequence[dict[str, Any]]) -> int:
        body = self._json("POST", f"/api/projects/{project_id}/import", "импорт задач", json=list(tasks))
        return int((body or {}).get("task_count", len(tasks)))

    def tasks(self, project_id: int) -> list[dict[str, Any]]:
        return self._paged("/api/tasks/", "список задач", params={"project": project_id, "fields": "all"})

    def annotate(
        self,
        task_id: int,
        choices: Iterable[str],
        *,
        completed_by: int | None = None,
        was_cancelled: bool = False,
        from_name: str = CHOICES_TAG,
        to_name: str = IMAGE_TAG,
    ) -> dict[str, Any]:
        """Post one annotation: the chosen patterns (none when skipped), as ``completed_by`` if given."""
        chosen = list(choices)
        result = [] if not chosen else [{
            "from_name": from_name, "to_name": to_name, "type": "choices", "value": {"choices": chosen},
        }]
        payload: dict[str, Any] = {"result": result, "was_cancelled": was_cancelled}
        if completed_by is not None:
            payload["completed_by"] = completed_by
        return self._json("POST", f"/api/tasks/{task_id}/annotations/", "сохранение разметки", json=payload)

    def create_prediction(self, task_id: int, prediction: dict[str, Any]) -> dict[str, Any]:
        """Attach a model's pre-annotation (``result``, ``score``, ``model_version``) to an existing task."""
        return self._json("POST", "/api/predictions/", "отправка подсказки модели",
                          json={"task": task_id, **prediction})

    def task(self, task_id: int) -> dict[str, Any]:
        """One task as the labelling page opens it from the Data Manager (with its predictions)."""
        return self._json("GET", f"/api/tasks/{task_id}/", "чтение задачи")

    def next_task(self, project_id: int) -> dict[str, Any]:
        """The next task of the labelling stream («Label All Tasks»): the Data Manager's ``next_task`` action."""
        return self._json("POST", "/api/dm/actions", "следующая задача разметки",
                          params={"id": "next_task", "project": project_id}, json={})

    # ML backends (ml/api.py) and webhooks (webhooks/api.py)

    def ml_backends(self, project_id: int) -> list[dict[str, Any]]:
        """The project's ML backends; Label Studio asks each one's /health (and /setup) while listing them."""
        return self._json("GET", "/api/ml/", "список ML-бэкендов", params={"project": project_id}) or []

    def add_ml_backend(self, project_id: int, url: str, title: str, description: str = "") -> dict[str, Any]:
        """Register an ML backend; Label Studio checks its /health and /setup first and then adds its webhook."""
        return self._json("POST", "/api/ml/", "подключение ML-бэкенда", json={
            "project": project_id, "url": url, "title": title, "description": description,
            "is_interactive": False, "auto_update": True,
        })

    def update_ml_backend(self, backend_id: int, project_id: int, url: str, title: str,
                          description: str = "") -> dict[str, Any]:
        """Change a registered ML backend (``url`` and ``project`` are required: the check calls /health, /setup)."""
        return self._json("PATCH", f"/api/ml/{backend_id}", "изменение ML-бэкенда", json={
            "project": project_id, "url": url, "title": title, "description": description,
            "is_interactive": False, "auto_update": True,
        })

    def webhooks(self, project_id: int) -> list[dict[str, Any]]:
        return self._json("GET", "/api/webhooks/", "список вебхуков", params={"project": project_id}) or []

    def add_webhook(self, project_id: int, url: str, actions: Sequence[str]) -> dict[str, Any]:
        """A webhook that posts the whole payload (task, annotation, project) for ``actions``."""
        return self._json("POST", "/api/webhooks/", "создание вебхука", json={
            "project": project_id, "url": url, "send_payload": True, "send_for_all_actions": False,
            "is_active": True, "actions": list(actions),
        })

    def update_webhook(self, webhook_id: int, **fields: Any) -> dict[str, Any]:
        return self._json("PATCH", f"/api/webhooks/{webhook_id}/", "изменение вебхука", json=fields)

    def delete_webhook(self, webhook_id: int) -> None:
        self._json("DELETE", f"/api/webhooks/{webhook_id}/", "удаление вебхука")

    def users(self) -> list[dict[str, Any]]:
        return self._paged("/api/users/", "список пользователей")

    def create_user(self, email: str, first_name: str = "", last_name: str = "") -> dict[str, Any]:
        """A user of the current organisation (an annotator); returns it with its ``id``."""
        username = email.split("@", 1)[0]
        return self._json("POST", "/api/users/", "создание пользователя", json={
            "email": email, "username": username, "first_name": first_name, "last_name": last_name,
        })

    def create_personal_access_token(self) -> str:
        """A new personal access token (JWT refresh token) of the current user."""
        return self._json("POST", "/api/token/", "создание токена")["token"]

    def revoke_personal_access_token(self, token: str) -> None:
        """Revoke a personal access token (Label Studio lets a user hold one valid token at a time)."""
        self._json("POST", "/api/token/blacklist/", "отзыв токена", json={"refresh": token})

    def export(self, project_id: int, export_type: str = "CSV", *, all_tasks: bool = False) -> bytes:
        """The project's annotations exported by the server itself, byte for byte."""
        if export_type not in EXPORT_FORMATS:
            raise ValueError(f"unknown export type {export_type}")
        params = {"exportType": export_type, "download_all_tasks": str(all_tasks).lower()}
        return self.request("GET", f"/api/projects/{project_id}/export", "экспорт разметки", params=params).content

    def get_bytes(self, url: str) -> requests.Response:
        """A file the server serves (``/data/local-files/?d=...``), as the labelling page would fetch it."""
        return self._send("GET", url)
