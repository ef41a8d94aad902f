"""Label Studio's ML backend: suggestions when an expert opens a task, a model that learns from each Submit.

Label Studio (Community Edition included) talks to a backend over four routes
(HumanSignal/label-studio-ml-backend; checked against Label Studio 1.23.2's ``ml/`` and
``webhooks/``):

* ``GET /health`` — is it up (1 s timeout);
* ``POST /setup`` — the project's label config in, the current ``model_version`` out. Label
  Studio asks before every prediction round and skips tasks that already hold a prediction of
  that version, so each retrained model gets a new version and the tasks are asked again;
* ``POST /predict`` — tasks in, one entry per task out, in order: a prediction (the project's
  ``Choices``, ``score``, ``model_version``) or an empty list where there is nothing to suggest;
* ``POST /webhook`` — annotation created, updated or deleted, and the «Start Training» button.
  Without Redis the webhook runs inside the expert's Submit and Label Studio gives it 1 s, so it
  only records the answer (in ``live_labels.json``, so a restart loses none) and returns; a
  background thread retrains after ``retrain_every`` changes or on START_TRAINING, one training
  at a time, under the project's lock. The model that serves keeps serving until the new one is
  saved whole, then the two are swapped in one assignment.

What it learns: the audio/text model (textmodel.py, seconds on a CPU), from labeled.csv merged
with the answers received live by the same rules as every other stage (labels/labelled.py). The keyframe
model is trained by ``auto_classifier.py --mode train`` and used as it is. Which patterns either
may suggest, and how sure a suggestion is: suggest.py, shared with the labelling queue.

It reads frames and segments from processed_data/ and needs no Label Studio token.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pedpatterns import fsutil, locks
from pedpatterns.errors import UserError
from pedpatterns.labels.exports import Annotation, BadExport, parse_choices, read_export
from pedpatterns.labels.labelled import labeled_from_annotations, read_segments_table, url_to_path
from pedpatterns.labels.tags import CHOICES_TAG, IMAGE_TAG
from pedpatterns.layout import Layout
from pedpatterns.models import suggest, textmodel
from pedpatterns.models.options import BackendOptions

Log = Callable[[str], None]

MAX_TASKS = 5000  # per /predict call: the keyframe model needs ~16 ms a frame, Label Studio waits 100 s
MAX_BODY_BYTES = 64 * 1024 * 1024
STORE_FORMAT = 1
LIVE_LOCK, LIVE_FILES = "live-model", "модель подсказок Label Studio"
NOT_READY_VERSION = "pedpatterns-not-ready"
CREATED_OR_UPDATED = {"ANNOTATION_CREATED", "ANNOTATIONS_CREATED", "ANNOTATION_UPDATED"}
DELETED = {"ANNOTATIONS_DELETED", "ANNOTATION_DELETED"}
START_TRAINING = "START_TRAINING"


class BadRequest(Exception):
    """A request the backend cannot serve; the message (Russian) goes back to the caller with ``status``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


# --- the label config --------------------------------------------------------------------


@dataclass(frozen=True)
class ChoicesTag:
    """Where suggestions go in the project's labelling interface: ``<Choices name toName>`` and its values."""

    from_name: str
    to_name: str
    values: tuple[str, ...]


def choices_tag(label_config: str, patterns: Sequence[str] = ()) -> ChoicesTag:
    """The Choices tag of the patterns: ours by name, else the one sharing most values with ``patterns``."""
    try:
        root = ET.fromstring(label_config)
    except ET.ParseError as exc:
        raise BadRequest(f"Конфигурация разметки проекта — не XML ({exc}).") from None
    tags = [
        ChoicesTag(el.get("name", ""), el.get("toName", ""),
                   tuple(c.get("value", "") for c in el.iter() if c.tag == "Choice" and c.get("value")))
        for el in root.iter() if el.tag == "Choices" and el.get("name")
    ]
    ours = [t for t in tags if t.from_name == CHOICES_TAG]
    known = set(patterns)
    best = ours[0] if ours else max(tags, key=lambda t: len(known & set(t.values)), default=None)
    if best is None or not best.values or (known and not known & set(best.values)):
        raise BadRequest(
            "В конфигурации разметки проекта нет списка паттернов (тега Choices с паттернами), поэтому подсказывать "
            "нечего. Создайте проект командой python -m pedpatterns.labelstudio setup: она берёт конфигурацию "
            "из processed_data/."
        )
    return best


# --- what experts answered ---------------------------------------------------------------


class LiveLabels:
    """The annotations received through the webhook, by annotation id, and those deleted since (id → frame URL).

    Kept in ``live_labels.json`` (written whole after every change) so that answers survive a
    restart, and so that an annotation deleted in Label Studio also stops counting from labeled.csv.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.annotations: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, str] = {}  # the URL is "" when the deleted annotation never reached the backend
        self._lock = threading.Lock()
        if path.is_file():
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise UserError(
                    f"Файл «{path}» повреждён. Переименуйте его и запустите снова: ответы экспертов хранятся в "
                    "Label Studio, а новые придут при следующем Submit (или выгрузите их: "
                    "python -m pedpatterns.labelstudio export)."
                ) from None
            if isinstance(stored, dict) and stored.get("format") == STORE_FORMAT:
                self.annotations = {str(k): v for k, v in (stored.get("annotations") or {}).items()}
                deleted = stored.get("deleted")
                self.deleted = {str(k): str(v) for k, v in deleted.items()} if isinstance(deleted, dict) else {}

    def record(self, annotation: Mapping[str, Any], task: Mapping[str, Any], from_name: str) -> str:
        """Keep one submitted answer (the latest version of an annotation replaces the earlier one)."""
        entry = _annotation_entry(annotation, task, from_name)
        with self._lock:
            self.annotations[entry["id"]] = entry
            self.deleted.pop(entry["id"], None)
            self._save()
        return entry["id"]

    def forget(self, ids: Sequence[str]) -> int:
        with self._lock:
            for i in ids:
                gone = self.annotations.pop(i, None)
                self.deleted[i] = gone["image"] if gone else ""
            self._save()
        return len(ids)

    def snapshot(self) -> tuple[list[Annotation], dict[str, str], float]:
        """(the answers as :class:`Annotation`, deleted ids with their frame URLs, when the last one arrived)."""
        with self._lock:
            entries = list(self.annotations.values())
            deleted = dict(self.deleted)
        answers = [Annotation(image_url=e["image"], choices=tuple(e["choices"]), annotator=e["annotator"],
                              annotation_id=e["id"], cancelled=e["cancelled"]) for e in entries]
        latest = max((e["received"] for e in entries), default=0.0)
        return answers, deleted, latest

    def _save(self) -> None:
        fsutil.write_json(self.path, {"format": STORE_FORMAT, "annotations": self.annotations,
                                      "deleted": self.deleted})


def _annotation_entry(annotation: Mapping[str, Any], task: Mapping[str, Any], from_name: str) -> dict[str, Any]:
    if not isinstance(annotation, Mapping) or not isinstance(task, Mapping):
        raise BadRequest("В webhook нет аннотации или задачи (поля annotation и task).")
    data = task.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("image"), str):
        raise BadRequest("У задачи в webhook нет ссылки на кадр (data.image).")
    annotation_id = annotation.get("id")
    if not isinstance(annotation_id, int | str) or isinstance(annotation_id, bool) or not str(annotation_id):
        raise BadRequest("У аннотации в webhook нет номера (id).")
    results = annotation.get("result") or []
    if not isinstance(results, list):
        raise BadRequest("Поле result аннотации — не список.")
    choices: list[str] = []
    try:
        for result in results:
            if isinstance(result, Mapping) and result.get("from_name") == from_name:
                choices.extend(parse_choices(result.get("value")))
    except BadExport as exc:
        raise BadRequest(f"Аннотация {annotation_id}: {exc}") from None
    by = annotation.get("completed_by")
    if isinstance(by, Mapping):
        by = by.get("email") or by.get("id")
    return {"id": str(annotation_id), "image": data["image"], "choices": list(dict.fromkeys(choices)),
            "annotator": "" if by is None else str(by), "cancelled": bool(annotation.get("was_cancelled")),
            "received": time.time()}


def training_annotations(layout: Layout, labels_path: Path, live: LiveLabels) -> tuple[list[Annotation], float]:
    """labeled.csv's answers and the live ones, minus deletions; one per annotation (the live, newer one wins).

    An annotation is the same one when its id *and* its frame are: ids are only unique within one Label
    Studio, and a labeled.csv from another server must not lose answers to a live one that shares a number.
    """
    answers, deleted, latest = live.snapshot()
    live_keys = {(a.annotation_id, a.image_url) for a in answers}

    def superseded(a: Annotation) -> bool:
        if not a.annotation_id:
            return False
        return (a.annotation_id, a.image_url) in live_keys or deleted.get(a.annotation_id) in ("", a.image_url)

    exported: list[Annotation] = []
    labelled_at = latest
    if labels_path.is_file():
        exported = [a for a in read_export(labels_path) if not superseded(a)]
        labelled_at = max(labelled_at, labels_path.stat().st_mtime)
    return [*exported, *answers], labelled_at


# --- the models that serve ---------------------------------------------------------------


@dataclass(frozen=True)
class Serving:
    """What answers /predict now: replaced whole when a retrain finishes, never changed in place."""

    models: tuple[suggest.Model, ...]
    version: str
    trained_on: int = 0  # labelled segments the live model learnt from


def _file_version(stem: str, path: Path) -> str:
    return f"{stem}@{hashlib.sha256(path.read_bytes()).hexdigest()[:10]}"


class LiveBackend:
    """The backend's state: the serving models, the received answers, the background trainer."""

    def __init__(self, layout: Layout, options: BackendOptions = BackendOptions(), log: Log = print) -> None:  # noqa: B008
        self.layout, self.options, self.log = layout, options, log
        self.labels_path = Path(options.labels_path) if options.labels_path else layout.labeled_csv
        self.live = LiveLabels(layout.live_labels)
        self.label_config: str | None = None
        self._image: suggest.Model | None = None
        self._text: suggest.Model | None = None
        self._pending = 0
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._state = threading.Lock()
        self._tables: dict[str, tuple[float, pd.DataFrame | None]] = {}
        self.trainings = 0
        self.last_error: str | None = None
        self.training = False
        self._load_models()
        self._thread = threading.Thread(target=self._train_loop, name="pedpatterns-retrain", daemon=True)
        self._thread.start()

    # --- models ---------------------------------------------------------------------------

    def _load_models(self) -> None:
        layout = self.layout
        if layout.image_model.is_file():
            try:
                self._image = suggest.image_model(layout)
            except UserError as exc:
                self.log(f"Модель по кадрам не используется: {exc.message}")
        for path, metrics, stem in ((layout.live_model, layout.live_metrics, "live"),
                                    (layout.text_model, layout.text_metrics, layout.text_model.stem)):
            if path.is_file():
                try:
                    self._text = suggest.text_model(textmodel.load(path), _file_version(stem, path), metrics)
                    break
                except UserError as exc:
                    self.log(f"Модель «{path.name}» не используется: {exc.message}")
        self.serving = self._compose()
        if self._text is None and (self.labels_path.is_file() or self.live.annotations):
            self._wanted.set()  # labels but no model yet: learn at once

    def _compose(self) -> Serving:
        models = tuple(m for m in (self._text, self._image) if m is not None)
        ready = any(m.ready for m in models)
        version = "+".join(m.version for m in models) if ready else NOT_READY_VERSION
        return Serving(models, version)

    def model_version(self) -> str:
        return self.serving.version

    def patterns(self) -> list[str]:
        """The patterns this project knows: the serving models', else those prepare_data.py put in its config."""
        known = [p for m in self.serving.models for p in m.patterns]
        if known:
            return known
        configs = [self.layout.label_config(part) for part in self.layout.processed_parts()]
        config = next((c for c in configs if c.is_file()), None)
        return list(choices_tag(config.read_text(encoding="utf-8")).values) if config else []

    # --- /predict -------------------------------------------------------------------------

    def predict(self, tasks: Any, label_config: str | None) -> dict[str, Any]:
        if not isinstance(tasks, list) or not tasks:
            raise BadRequest("В запросе нет списка задач (поле tasks).")
        if len(tasks) > MAX_TASKS:
            raise BadRequest(
                f"Слишком много задач в одном запросе: {len(tasks)}. Выберите в Label Studio не больше {MAX_TASKS} "
                "задач за раз (Data Manager → выделить → Retrieve Predictions).", 413)
        serving = self.serving  # one consistent set for the whole request, whatever a retrain does meanwhile
        config = label_config or self.label_config
        patterns = self.patterns()
        tag = choices_tag(config, patterns) if config else ChoicesTag(CHOICES_TAG, IMAGE_TAG, tuple(patterns))
        rows, errors = self._rows(tasks)
        results: list[Any] = [[] for _ in tasks]
        known = [i for i, row in enumerate(rows) if row is not None]
        if not known:
            raise BadRequest("Ни одна задача не из этого проекта: " + "; ".join(errors[:3]), 404)
        body: dict[str, Any] = {"results": results, "model_version": serving.version}
        if errors:
            body["errors"] = errors[:20]
        if not serving.models:
            body["note"] = f"{suggest.NOT_READY}: нет обученной модели"
            return body
        frame = pd.DataFrame([rows[i] for i in known]).reset_index(drop=True)
        predictions = suggest.predict(serving.models, frame)
        allowed = set(tag.values)
        ready = predictions.ready & pd.Series(predictions.patterns).isin(allowed).to_numpy()
        if not ready.any():
            body["note"] = suggest.not_ready_note(predictions) or suggest.NOT_READY
            return body
        scores = suggest.confidence(predictions.proba, ready)
        for k, i in enumerate(known):
            choices = suggest.chosen(predictions.proba[k], predictions.patterns, ready, self.options.threshold)
            results[i] = {
                "result": [{"from_name": tag.from_name, "to_name": tag.to_name, "type": "choices",
                            "value": {"choices": choices}}],
                "score": round(float(scores[k]), 4),
                "model_version": serving.version,
            }
        return body

    def _rows(self, tasks: list[Any]) -> tuple[list[dict[str, Any] | None], list[str]]:
        """Each task's segment row from processed_data/ (None with a reason when it is not one of ours)."""
        rows: list[dict[str, Any] | None] = []
        errors = []
        for n, task in enumerate(tasks, 1):
            data = task.get("data") if isinstance(task, Mapping) else None
            url = data.get("image") if isinstance(data, Mapping) else None
            name = f"задача {task.get('id', n) if isinstance(task, Mapping) else n}"
            if not isinstance(url, str):
                rows.append(None)
                errors.append(f"{name}: нет ссылки на кадр (data.image)")
                continue
            try:
                owner = self.layout.keyframe_owner(url_to_path(self.layout, url))
            except (UserError, OSError, ValueError):
                owner = None
            row = self._segment(*owner) if owner else None
            if row is None:
                errors.append(f"{name}: кадр «{url[:200]}» не из processed_data/ этого проекта")
            rows.append(row)
        return rows, errors

    def _segment(self, part: str, segment: int) -> dict[str, Any] | None:
        path = self.layout.segments_csv(part)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        cached = self._tables.get(part)
        if cached is None or cached[0] != mtime:
            try:
                table = read_segments_table(self.layout, part)
            except UserError:
                table = None
            cached = self._tables[part] = (mtime, table)
        table = cached[1]
        if table is None or segment not in table.index:
            return None
        row = {"part": part, "segment": segment, **table.loc[segment].to_dict()}
        row.setdefault("film", part)
        row["text"] = "" if pd.isna(row.get("text")) else str(row.get("text", ""))
        return row

    # --- /webhook -------------------------------------------------------------------------

    def webhook(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, Mapping) or not isinstance(payload.get("action"), str):
            raise BadRequest("Webhook без поля action.")
        action = payload["action"]
        from_name = choices_tag(self.label_config).from_name if self.label_config else CHOICES_TAG
        if action in CREATED_OR_UPDATED:
            annotations, tasks = payload.get("annotation"), payload.get("task")
            pairs = (list(zip(annotations, tasks, strict=False)) if isinstance(annotations, list)
                     else [(annotations, tasks)])
            for annotation, task in pairs:
                self.live.record(annotation, task, from_name)
            self._changed(len(pairs))
        elif action in DELETED:
            items = payload.get("annotations") or payload.get("annotation") or []
            items = items if isinstance(items, list) else [items]
            ids = [str(i.get("id")) for i in items if isinstance(i, Mapping) and i.get("id") is not None]
            self.live.forget(ids)
            self._changed(len(ids))
        elif action == START_TRAINING:
            self._wanted.set()
        return {"status": "ok", "action": action, "model_version": self.serving.version}

    def _changed(self, count: int) -> None:
        with self._state:
            self._pending += count
            if self._pending >= self.options.retrain_every:
                self._wanted.set()

    # --- background training --------------------------------------------------------------

    def _train_loop(self) -> None:
        while not self._stop.is_set():
            if not self._wanted.wait(0.5):
                continue
            with self._state:
                self._wanted.clear()
                self._pending = 0
                self.training = True  # before the request is cleared from view: wait_idle never sees a gap
            self.retrain()

    def retrain(self) -> bool:
        """Learn from labeled.csv and the live answers; swap the new model in once it is saved whole."""
        self.training = True
        started = time.perf_counter()
        try:
            model, metrics = self._fit()
            with locks.hold(self.layout, LIVE_LOCK, LIVE_FILES):
                textmodel.save(model, self.layout.live_model)
                fsutil.write_json(self.layout.live_metrics, metrics)
                version = _file_version("live", self.layout.live_model)
            self._text = suggest.Model(version, tuple(model.patterns),
                                       suggest.ready_patterns(metrics.get("evaluation"), metrics.get("warnings", [])),
                                       model.predict_proba)
            self.serving = self._compose()
            self.trainings += 1
            self.last_error = None
            ready = ", ".join(sorted(self._text.ready)) or suggest.NOT_READY
            self.log(f"Модель переобучена за {time.perf_counter() - started:.1f} с на {metrics['n_segments']} "
                     f"сегментах: версия {self.serving.version}; подсказывает: {ready}.")
            return True
        except UserError as exc:
            self.last_error = exc.message
            self.log(f"Переобучить модель не удалось: {exc.message}")
            return False
        except Exception as exc:  # the service must outlive any training failure
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.log(f"Переобучить модель не удалось из-за внутренней ошибки ({self.last_error}); "
                     "подсказки даёт прежняя модель.")
            return False
        finally:
            self.training = False

    def _fit(self) -> tuple[textmodel.TextModel, dict[str, Any]]:
        annotations, labelled_at = training_annotations(self.layout, self.labels_path, self.live)
        labeled = labeled_from_annotations(self.layout, annotations, source="labeled.csv и ответов из Label Studio",
                                           labelled_at=labelled_at, min_share=self.options.min_share)
        return textmodel.train(labeled, self.options.threshold)

    def wait_idle(self, timeout: float) -> bool:
        """For tests and benchmarks: wait until no training is wanted or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._wanted.is_set() and not self.training:
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def health(self) -> dict[str, Any]:
        return {"status": "UP", "model_version": self.serving.version, "trainings": self.trainings,
                "training": self.training, "live_annotations": len(self.live.annotations),
                "last_error": self.last_error}


# --- the web service ---------------------------------------------------------------------


def create_app(backend: LiveBackend) -> Any:
    """The Flask application of the four routes; every failure is a JSON error, never a dead service."""
    from flask import Flask, jsonify, request
    from werkzeug.exceptions import HTTPException

    app = Flask("pedpatterns-backend")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadRequest("Тело запроса — не JSON-объект.")
        return data

    @app.get("/")
    @app.get("/health")
    def health() -> Any:
        return jsonify(backend.health())

    @app.post("/setup")
    def setup() -> Any:
        data = body()
        schema = data.get("schema")
        if isinstance(schema, str) and schema.strip():
            choices_tag(schema, backend.patterns())  # a config without the patterns is refused when connecting
            backend.label_config = schema
        return jsonify({"model_version": backend.model_version()})

    @app.post("/predict")
    def predict() -> Any:
        data = body()
        config = data.get("label_config")
        return jsonify(backend.predict(data.get("tasks"), config if isinstance(config, str) and config else None))

    @app.post("/webhook")
    def webhook() -> Any:
        return jsonify(backend.webhook(body())), 201

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> Any:
        return jsonify({"error": exc.message}), exc.status

    @app.errorhandler(UserError)
    def user_error(exc: UserError) -> Any:
        return jsonify({"error": exc.message}), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        messages = {404: "Нет такого адреса: есть /health, /setup, /predict, /webhook.",
                    405: "Этот адрес принимает другой метод запроса (GET /health, POST /setup, /predict, /webhook).",
                    413: f"Запрос больше {MAX_BODY_BYTES // (1024 * 1024)} МБ: выберите меньше задач за раз."}
        return jsonify({"error": messages.get(exc.code or 0, exc.description)}), exc.code

    @app.errorhandler(Exception)
    def internal(exc: Exception) -> Any:
        backend.log(f"Внутренняя ошибка при обработке {request.path}: {type(exc).__name__}: {exc}")
        return jsonify({"error": f"Внутренняя ошибка сервиса подсказок ({type(exc).__name__}); он продолжает "
                                 "работать."}), 500

    return app


def serve(layout: Layout, options: BackendOptions, log: Log = print) -> int:
    """Serve until Ctrl+C (or SIGTERM); the exit code."""
    import socket

    from waitress import create_server

    backend = LiveBackend(layout, options, log)
    try:
        server = create_server(create_app(backend), host=options.host, port=options.port, threads=4,
                               ident="pedpatterns-backend")
    except OSError as exc:
        backend.close()
        raise UserError(
            f"Не удалось открыть порт {options.port} на {options.host} ({exc.strerror or exc}): он занят другой "
            "программой (может быть, сервис подсказок уже запущен). Укажите другой: --port 9091"
        ) from None
    url = f"http://{options.host}:{options.port}"
    if options.host in ("0.0.0.0", "::") or options.host not in ("127.0.0.1", "localhost", "::1"):
        log(f"Внимание: сервис подсказок доступен с других компьютеров сети ({socket.gethostname()}).")
    log(f"Сервис подсказок для Label Studio работает: {url} (версия модели: {backend.model_version()}).")
    log("Подключите его к проекту: python -m pedpatterns.labelstudio connect "
        f"--backend-url {url}\nОстановить: Ctrl+C.")
    try:
        server.run()
    except KeyboardInterrupt:
        log("Сервис подсказок остановлен.")
    finally:
        server.close()
        backend.close()
    return 0
