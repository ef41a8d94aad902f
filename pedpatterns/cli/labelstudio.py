"""``python -m pedpatterns.labelstudio setup|export|queue|server|connect|backend|questions``: Label Studio without
manual steps, the next batch, live suggestions of the model while experts label, and the question rules measured
against the experts' question labels."""

from __future__ import annotations

import argparse

from pedpatterns.cli import (
    RussianArgumentParser,
    fraction,
    layout_from,
    make_parser,
    number_type,
    options_from,
    path,
    positive_int,
    project_id,
    share,
    text,
    token,
)
from pedpatterns.labelstudio.options import DEFAULT_BACKEND_URL, DEFAULT_SERVER_PORT, DEFAULT_TITLE
from pedpatterns.models.options import MODELS, BackendOptions, QueueOptions

# 0 turns the spreading off; ten hours is longer than any lesson.
MIN_GAP = number_type(float, low=0, high=36_000, example="120", unit="секунды", name="min_gap")
PORT = number_type(int, low=1, high=65_535, example="8080", name="port")


def _parser() -> argparse.ArgumentParser:
    parser = make_parser(
        "python -m pedpatterns.labelstudio",
        "Проект Label Studio без ручных шагов: создать и наполнить (setup), выгрузить разметку (export), "
        "следующий пакет задач с подсказками моделей (queue).\n"
        "Подсказки модели прямо во время разметки: запустить Label Studio (server) и ML-бэкенд (backend), "
        "подключить бэкенд к проекту (connect).\n"
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
    queue = commands.add_parser(
        "queue", prog="python -m pedpatterns.labelstudio queue",
        help="следующий пакет задач для экспертов: неразмеченные сегменты, сначала самые спорные для модели",
        description="Активное обучение: выбирает сегменты, которые ещё никто не разметил, и пишет их задачами "
                    "Label Studio с подсказками моделей (predictions, score — уверенность модели). Сначала идут "
                    "сегменты, в которых модели уверены меньше всего; сегменты одного урока берутся не ближе "
                    "--min-gap секунд друг к другу. С --send задачи сразу получают подсказки в проекте Label Studio.")
    queue.add_argument("--root", type=path, default=argparse.SUPPRESS,
                       help="папка проекта (в ней processed_data/, labeled.csv, модели)")
    queue.add_argument("--batch", type=positive_int, default=QueueOptions.batch,
                       help="сколько сегментов в пакете")
    queue.add_argument("--min-gap", dest="min_gap_seconds", type=MIN_GAP,
                       default=QueueOptions.min_gap_seconds,
                       help="не брать из одного урока сегменты ближе стольких секунд друг к другу")
    queue.add_argument("--model", choices=MODELS, default=QueueOptions.model,
                       help="чьи подсказки: auto — все модели, что есть; text — по звуку и тексту "
                            "(find_patterns.py); image — по кадрам (auto_classifier.py)")
    queue.add_argument("--threshold", type=fraction, default=QueueOptions.threshold,
                       help="вероятность, с которой паттерн попадает в подсказку")
    queue.add_argument("--labels", dest="labels_path", type=path, default=None,
                       help="экспорт разметки (по умолчанию labeled.csv в папке проекта): размеченные в нём "
                            "сегменты в пакет не попадают")
    queue.add_argument("--output", type=path, help="куда записать задачи (по умолчанию label_queue.json "
                                                   "в папке проекта)")
    queue.add_argument("--send", action="store_true",
                       help="сразу отправить подсказки в проект Label Studio (адрес и токен — как у setup)")
    queue.add_argument("--url", type=text, help="адрес Label Studio (для --send)")
    queue.add_argument("--token", type=token, help="токен доступа Label Studio (для --send)")
    queue.add_argument("--project-title", type=text, default=DEFAULT_TITLE, help="проект Label Studio (для --send)")
    server = commands.add_parser(
        "server", prog="python -m pedpatterns.labelstudio server",
        help="запустить Label Studio для разметки (файлы проекта и ML-бэкенд на этом компьютере разрешены)",
        description="Запускает Label Studio из .venv-labelstudio в этом окне, пока его не остановят (Ctrl+C). "
                    "Он отдаёт файлы папки проекта (LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true, "
                    "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=папка проекта), разрешает ML-бэкенд на этом компьютере "
                    "(ML_BLOCK_LOCAL_IP=false, SSRF_PROTECTION_ENABLED=false), не проверяет обновления и не "
                    "отправляет статистику. "
                    "Данные Label Studio (проекты, пользователи) остаются в его обычной папке. Сервер слушает "
                    "только этот компьютер (127.0.0.1).")
    server.add_argument("--root", type=path, default=argparse.SUPPRESS,
                        help="папка проекта: её файлы (processed_data/) Label Studio показывает экспертам")
    server.add_argument("--port", type=PORT, default=DEFAULT_SERVER_PORT, help="порт Label Studio")

    connect = commands.add_parser(
        "connect", prog="python -m pedpatterns.labelstudio connect",
        help="подключить ML-бэкенд к проекту: подсказки модели при открытии задачи, обучение после Submit",
        description="Подключает запущенный ML-бэкенд (python -m pedpatterns.labelstudio backend) к проекту "
                    "Label Studio: регистрирует его (повторный запуск обновляет, а не дублирует), включает показ "
                    "подсказок модели при открытии задачи и проверяет вебхук, по которому бэкенд узнаёт о каждой "
                    "новой разметке (нет — создаёт). Проект создаётся командой setup.")

    backend = commands.add_parser(
        "backend", prog="python -m pedpatterns.labelstudio backend",
        help="запустить ML-бэкенд: подсказки паттернов для Label Studio и дообучение по разметке экспертов",
        description="ML-бэкенд для Label Studio: подсказывает паттерны, когда эксперт открывает задачу, и "
                    "дообучает модель по новой разметке (после каждых --retrain-every изменений). Работает в этом "
                    "окне, пока его не остановят (Ctrl+C). Подключите его к проекту командой connect.")
    backend.add_argument("--root", type=path, default=argparse.SUPPRESS,
                         help="папка проекта (в ней processed_data/, labeled.csv, модели)")
    backend.add_argument("--host", type=text, default=BackendOptions.host,
                         help="адрес, на котором бэкенд ждёт Label Studio")
    backend.add_argument("--port", type=PORT, default=BackendOptions.port, help="порт бэкенда")
    backend.add_argument("--retrain-every", dest="retrain_every", type=positive_int,
                         default=BackendOptions.retrain_every,
                         help="дообучать модель после стольких новых, изменённых или удалённых разметок")
    backend.add_argument("--threshold", type=fraction, default=BackendOptions.threshold,
                         help="вероятность, с которой паттерн попадает в подсказку")
    backend.add_argument("--labels", dest="labels_path", type=path, default=None,
                         help="экспорт разметки, с которым модель учится вместе с новыми ответами "
                              "(по умолчанию labeled.csv в папке проекта)")
    backend.add_argument("--min-share", dest="min_share", type=share, default=BackendOptions.min_share,
                         help="паттерн засчитывается сегменту, если его выбрала такая доля экспертов")

    questions = commands.add_parser(
        "questions", prog="python -m pedpatterns.labelstudio questions",
        help="сравнить правила «открытый/закрытый, уровень по Блуму» с разметкой вопросов экспертами",
        description="Читает вопросы, которые эксперты выделили в тексте сегментов и отметили (открытый или "
                    "закрытый, уровень мышления по таксономии Блума), из экспорта Label Studio JSON, применяет к ним "
                    "правила pedpatterns и печатает по каждому классу точность, полноту, F1 и число меток; таблица "
                    "сохраняется в CSV. Разметка вопросов включается командой setup --question-labels.")
    questions.add_argument("export_path", type=path, metavar="ЭКСПОРТ.json",
                           help="экспорт проекта Label Studio в формате JSON или JSON-MIN")
    questions.add_argument("--out", type=path, help="куда записать таблицу CSV (по умолчанию рядом с экспортом: "
                                                   "ИМЯ_questions.csv)")
    setup.add_argument("--question-labels", dest="question_labels", action="store_true",
                       help="добавить разметку вопросов учителя: эксперт выделяет вопрос в тексте и отмечает, "
                            "открытый он или закрытый и какой уровень мышления требует (по Блуму)")

    for sub in (setup, export, connect):
        sub.add_argument("--root", type=path, default=argparse.SUPPRESS,
                         help="папка проекта (в ней processed_data/, tasks.json, .env)")
        sub.add_argument("--url", type=text, help="адрес Label Studio (по умолчанию LABEL_STUDIO_URL из .env, "
                                                  "иначе http://localhost:8080)")
        sub.add_argument("--token", type=token,
                         help="токен доступа Label Studio (по умолчанию LABEL_STUDIO_API_KEY из .env)")
        sub.add_argument("--project-title", type=text, default=DEFAULT_TITLE, help="название проекта в Label Studio")
    connect.add_argument("--backend-url", type=text, default=DEFAULT_BACKEND_URL, help="адрес ML-бэкенда")
    export.add_argument("--project-id", type=project_id, help="номер проекта вместо названия")
    export.add_argument("--output", type=path, help="куда сохранить (по умолчанию labeled.csv в папке проекта)")
    return parser


def _queue(args: argparse.Namespace) -> int:
    from pedpatterns.labelstudio import project
    from pedpatterns.labelstudio.client import LabelStudioClient
    from pedpatterns.models import queue as queue_models

    layout = layout_from(args)
    options = options_from(args, QueueOptions)
    segments, labelled = queue_models.unlabelled_segments(layout, options.labels_path)
    if segments.empty:
        print(f"Все сегменты обработанных частей уже размечены (их {labelled}): пакет не нужен. "
              "Обработайте новые уроки: python prepare_data.py")
        return 0
    predictions = queue_models.predict(layout, segments, options)
    result = queue_models.build_queue(layout, predictions, labelled, options)
    output = args.output or layout.label_queue
    queue_models.write_queue(output, result)
    print(queue_models.format_queue(result, layout, output))
    if args.send:
        url, token_value = project.connection_settings(layout, args.url, args.token)
        sent = project.send_predictions(LabelStudioClient(url, token_value), layout, args.project_title, result.tasks)
        print(f"Отправлено в проект «{args.project_title}»: подсказки к {sent.updated} задачам, новых задач — "
              f"{sent.imported}. В Label Studio откройте проект и отсортируйте задачи по колонке "
              "«Prediction score» по возрастанию.")
    else:
        print("Импортируйте файл в проект Label Studio (Import) или запустите команду с --send.")
    return 0


def _server(args: argparse.Namespace) -> int:
    from pedpatterns.labelstudio import server

    layout = layout_from(args)
    return server.run_in_foreground(layout.root, args.port)


def _connect(args: argparse.Namespace) -> int:
    from pedpatterns.labelstudio import connect, project
    from pedpatterns.labelstudio.client import LabelStudioClient

    layout = layout_from(args)
    url, token_value = project.connection_settings(layout, args.url, args.token)
    client = LabelStudioClient(url, token_value)
    report = connect.connect_backend(client, args.project_title, args.backend_url)
    print("\n".join(report.lines(client.url)))
    return 0


def _backend(args: argparse.Namespace) -> int:
    from pedpatterns.models import backend

    layout = layout_from(args)
    return backend.serve(layout, options_from(args, BackendOptions))


def _questions(args: argparse.Namespace) -> int:
    from pedpatterns import fsutil
    from pedpatterns.errors import UserError
    from pedpatterns.labels import questionscores as scoring
    from pedpatterns.labels.questionlabels import read_question_labels
    from pedpatterns.prepare.questionkinds import classify_question

    labels = read_question_labels(args.export_path)
    if not labels:
        raise UserError(
            f"В экспорте «{args.export_path}» нет размеченных вопросов, сравнивать правила не с чем. Включите "
            "разметку вопросов (python -m pedpatterns.labelstudio setup --question-labels), выделите вопросы "
            "учителя в тексте сегментов, отметьте их вид и экспортируйте проект в JSON заново."
        )
    kinds = [classify_question(label.text) for label in labels]
    truth = {scoring.OPENNESS: [q.openness for q in labels], scoring.LEVEL: [q.level for q in labels]}
    rules = {scoring.OPENNESS: [k.openness for k in kinds], scoring.LEVEL: [k.level for k in kinds]}
    scores = [s for task in truth for s in scoring.class_scores(task, truth[task], rules[task])]
    accuracies = {task: scoring.accuracy(truth[task], rules[task]) for task in truth}
    uncovered = sum(k.language is None for k in kinds)
    print(f"Вопросов, размеченных экспертами: {len(labels)}"
          + (f"; на языке, которого правила не знают: {uncovered} (считаются ошибкой правил)." if uncovered else "."))
    print(scoring.format_scores(scores, accuracies))
    differ = [(q, k) for q, k in zip(labels, kinds, strict=True)
              if (q.openness and q.openness != k.openness) or (q.level and q.level != k.level)]
    if differ:
        print(f"Вопросов, где правила ответили иначе, чем эксперт: {len(differ)}"
              + ("; первые десять:" if len(differ) > 10 else ":"))
        for q, k in differ[:10]:
            print(f"  «{q.text}» — эксперт: {scoring.names(q.openness, q.level)}; правила: "
                  f"{scoring.names(k.openness, k.level)} ({k.rule})")
    out = args.out or args.export_path.with_name(f"{args.export_path.stem}_questions.csv")
    fsutil.write_bytes(out, ("\ufeff" + scoring.scores_csv(scores)).encode("utf-8"))  # the BOM Excel needs
    print(f"Таблица сохранена: {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Each stage (pandas, requests, the web framework) loads after parsing: --help and a wrong flag answer at once.
    handlers = {"queue": _queue, "server": _server, "connect": _connect, "backend": _backend, "questions": _questions}
    if args.command in handlers:
        return handlers[args.command](args)
    from pedpatterns.labelstudio import project
    from pedpatterns.labelstudio.client import LabelStudioClient

    layout = layout_from(args)
    url, token = project.connection_settings(layout, args.url, args.token)
    client = LabelStudioClient(url, token)
    if args.command == "setup":
        report = project.setup_project(client, layout, args.project_title, args.question_labels)
        print(f"Проект «{report.title}» {'создан' if report.created else 'обновлён'} (№{report.project_id}).")
        if report.question_labels:
            print("Разметка вопросов включена: выделите вопрос учителя в тексте сегмента (метка «Вопрос») и "
                  "отметьте, открытый он или закрытый и какой уровень мышления требует. Сравнить с правилами: "
                  "python -m pedpatterns.labelstudio questions ЭКСПОРТ.json")
        if report.storage_added:
            print(f"Подключено локальное хранилище: {layout.processed_data}")
        print(f"Импортировано задач: {report.imported}; уже были в проекте: {report.already_there}.")
        print(f"Откройте {report.project_url(client.url)} и размечайте.")
        return 0
    project_id = project.resolve_project(client, args.project_title, args.project_id)
    path, count = project.export_labels(client, layout, project_id, args.output)
    print(f"Разметка сохранена: {path} (аннотаций: {count}).")
    return 0
