"""Publishing dataset_foto/ on the Hugging Face Hub: one commit that replaces everything.

The seed deleted the old dataset and then uploaded the new one, so a failure in between
left the Hub empty. Here the upload is a single ``create_commit`` that adds every new file
and deletes every old file that is not in the new set: the Hub shows the old version or
the new one, never a mixture, and the history keeps every version (each one tagged).

What is committed is a *staged* folder built locally first (``--dry-run`` keeps it for
inspection): the images, a metadata.jsonl per split whose ``labels`` are class ids and
``label_names`` the pattern names, and the dataset card README.md. The card declares the
features in ``configs`` as well as in ``dataset_info``: ImageFolder ignores
``dataset_info`` and infers plain integers, but applies the ``features`` of a config, so
``load_dataset(repo)`` gives ``labels`` as a list of ClassLabel with the pattern names.
The card's Russian text is card_template.md beside this module, so it reads (and is edited)
as the Markdown it is; the code only fills in the counts, the tables and the owner's choices.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pedpatterns import fsutil, tokens
from pedpatterns.dataset.build import METADATA_COLUMNS, DatasetContents
from pedpatterns.dataset.options import DEFAULT_LICENSE
from pedpatterns.errors import UserError
from pedpatterns.layout import SPLITS, TEST, TRAIN, Layout
from pedpatterns.patterns import describe

REPO_TYPE = "dataset"
PLACEHOLDER_REPO = "your-account/pedpatterns-lessons"
PRETTY_NAME = "Педагогические паттерны на уроках: ключевые кадры"
# Files the Hub itself keeps in every repository: never deleted by a replacement.
KEEP_REMOTE = frozenset({".gitattributes"})
TOKEN_HELP = (
    "Как получить токен: войдите на https://huggingface.co → Settings → Access Tokens → New token, "
    "тип (role) «write», скопируйте его. Затем скопируйте файл .env.example в .env в папке проекта "
    "и впишите токен после HF_TOKEN= (и имя датасета после HF_DATASET_REPO=, например ivanova/uroki)."
)


# --- settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HubSettings:
    """The token and the repository id, from .env (or the environment) and the command line."""

    token: str | None
    repo_id: str | None

    def __repr__(self) -> str:  # the token must never reach a log or a traceback
        return f"HubSettings(token={'***' if self.token else None}, repo_id={self.repo_id!r})"


def read_settings(layout: Layout, repo: str | None = None) -> HubSettings:
    """``HF_TOKEN`` and ``HF_DATASET_REPO`` from the project's .env; ``repo`` (``--repo``) wins."""
    values: Mapping[str, str | None] = fsutil.read_env(layout.env_file)
    token = (values.get("HF_TOKEN") or os.environ.get("HF_TOKEN") or "").strip() or None
    repo_id = (repo or values.get("HF_DATASET_REPO") or os.environ.get("HF_DATASET_REPO") or "").strip() or None
    return HubSettings(token=token, repo_id=repo_id)


def require_token(settings: HubSettings, layout: Layout) -> str:
    if settings.token:
        return tokens.check_token(settings.token, "HF_TOKEN (в .env или в окружении)")
    where = (
        f"В файле «{layout.env_file}» нет HF_TOKEN."
        if layout.env_file.is_file()
        else f"Файл «{layout.env_file}» не найден."
    )
    raise UserError(f"Нет токена Hugging Face. {where}\n{TOKEN_HELP}")


_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def check_repo_id(repo_id: str | None) -> str:
    """``owner/name`` as the Hub accepts it; anything else is explained in Russian."""
    if not repo_id:
        raise UserError(
            "Не указано, куда загружать датасет. Впишите в .env строку HF_DATASET_REPO=<ваш аккаунт>/<имя датасета> "
            "или укажите --repo <аккаунт>/<имя>."
        )
    if not _REPO_RE.match(repo_id) or ".." in repo_id or repo_id.endswith((".", "-")):
        raise UserError(
            f"«{repo_id}» — не имя репозитория Hugging Face. Нужен вид <аккаунт>/<имя>, латиницей, "
            "без пробелов, например ivanova/uroki-patterns."
        )
    return repo_id


def check_license(license_id: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.+-]*", license_id):
        raise UserError(
            f"«{license_id}» — не идентификатор лицензии Hugging Face (например cc-by-nc-4.0, cc-by-4.0, other)."
        )
    return license_id


# --- tags --------------------------------------------------------------------------------


def default_tag(today: date | None = None) -> str:
    """A date-based version, e.g. ``v2026.11.25``."""
    return f"v{(today or date.today()):%Y.%m.%d}"


def unique_tag(base: str, existing: Iterable[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` … when the day already has a version."""
    taken = set(existing)
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- the staged folder -------------------------------------------------------------------


def features(patterns: Sequence[str]):  # -> datasets.Features
    """The dataset's columns and types; ``labels`` is a list of ClassLabel named after the patterns."""
    from datasets import ClassLabel, Features, Image, List, Value

    return Features({
        "image": Image(),
        "labels": List(ClassLabel(names=list(patterns))),
        "label_names": List(Value("string")),
        "film": Value("string"),
        "part": Value("string"),
        "segment": Value("int64"),
        "lesson_start": Value("float64"),
        "lesson_end": Value("float64"),
        "text": Value("string"),
        "annotators": Value("int64"),
        "agreement": Value("float64"),
    })


def hub_row(row: Mapping[str, Any], class_id: Mapping[str, int]) -> dict[str, Any]:
    """A metadata row for the Hub: ``labels`` as class ids, the names beside them."""
    out = {"file_name": row["file_name"], "labels": [class_id[p] for p in row["labels"]],
           "label_names": list(row["labels"])}
    out.update({k: row.get(k) for k in METADATA_COLUMNS if k != "labels"})
    return out


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def card_metadata(contents: DatasetContents, *, license_id: str) -> dict[str, Any]:
    """The card's YAML front matter as a dict, built with the libraries' own serialisers."""
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    feats = features(contents.patterns)
    splits = [s for s in SPLITS if s in contents.rows]
    card = DatasetCardData(
        pretty_name=PRETTY_NAME,
        language=["ru"],
        license=license_id,
        annotations_creators=["expert-generated"],
        language_creators=["machine-generated"],  # transcripts come from speech recognition
        multilinguality=["monolingual"],
        size_categories=[size_category(contents.total)],
        source_datasets=["original"],
        task_categories=["image-classification"],
        task_ids=["multi-label-image-classification"],
        tags=["education", "pedagogy", "classroom", "lesson-video"],
    )
    split_dict = SplitDict()
    for s in splits:
        split_dict.add(SplitInfo(name=s, num_examples=len(contents.rows[s])))
    DatasetInfosDict({"default": DatasetInfo(features=feats, splits=split_dict)}).to_dataset_card_data(card)
    card["configs"] = [{
        "config_name": "default",
        "data_files": [{"split": s, "path": f"{s}/*"} for s in splits],
        "features": feats._to_yaml_list(),  # what makes ImageFolder load labels as ClassLabel
    }]
    return card.to_dict()


def _counts(contents: DatasetContents) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {p: {} for p in contents.patterns}
    for split, rows in contents.rows.items():
        for row in rows:
            for p in row["labels"]:
                counts.setdefault(p, {})[split] = counts.get(p, {}).get(split, 0) + 1
    return counts


# The card's text is card_template.md (package data); only the sentences that depend on a choice live here.
CARD_TEMPLATE = "card_template.md"
PUBLISHED = {
    True: "опубликован как **приватный**: он виден только владельцу и тем, кому владелец дал доступ.",
    False: "опубликован как **открытый** по явному решению владельца.",
}
DEFAULT_LICENSE_NOTE = (
    "Только некоммерческое использование с указанием авторства: записи уроков принадлежат школам "
    "и учителям, и их согласие обычно дано на исследование и обучение, а не на коммерцию."
)
CHOSEN_LICENSE_NOTE = "Выбрана владельцем датасета."
MEAN_AGREEMENT = ("- среднее согласие (`agreement`): {mean:.2f} "
                  "(1 — все эксперты выбрали одно и то же; 0,5 — разошлись во мнениях по каждому паттерну).")


def fill_template(template: str, fields: Mapping[str, Any], blocks: Mapping[str, Sequence[str]]) -> str:
    """``template`` with its ``$name`` fields filled and each line that is only ``$block`` replaced by its lines.

    A block of no lines leaves no line behind (a card without agreement statistics has no blank
    line in their place). Each template line is filled on its own, and the blocks' lines are not
    filled at all, so a ``$`` in a pattern's name or an expert's message stays as written.
    """
    out: list[str] = []
    for line in template.split("\n"):
        if line.startswith("$") and line[1:] in blocks:
            out.extend(blocks[line[1:]])
        else:
            out.append(string.Template(line).substitute(fields))
    return "\n".join(out)


def card_template() -> str:
    """card_template.md as installed with the package (an editable install reads the source tree)."""
    return resources.files("pedpatterns.dataset").joinpath(CARD_TEMPLATE).read_text(encoding="utf-8")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a "|" would end the cell


def card_body(contents: DatasetContents, *, repo_id: str, license_id: str, private: bool) -> str:
    """The Russian text of the card: patterns, origin, labelling, counts, limits, privacy."""
    rows = [r for split_rows in contents.rows.values() for r in split_rows]
    agreements = [r["agreement"] for r in rows if r.get("agreement") is not None]
    counts = _counts(contents)
    pattern_rows = [
        f"| {i} | {_cell(p)} | {_cell(describe(p) or '—')} "
        f"| {counts.get(p, {}).get(TRAIN, 0)} | {counts.get(p, {}).get(TEST, 0)} |"
        for i, p in enumerate(contents.patterns)
    ]
    agreement = [MEAN_AGREEMENT.format(mean=statistics.fmean(agreements))] if agreements else []
    fields = {
        "title": PRETTY_NAME,
        "published": PUBLISHED[private],
        "train": len(contents.rows.get(TRAIN, [])),
        "test": len(contents.rows.get(TEST, [])),
        "films": len({r["film"] for r in rows}),
        "parts": len({r["part"] for r in rows}),
        "multi": sum(1 for r in rows if (r.get("annotators") or 0) > 1),
        "segments": len(rows),
        "repo_id": repo_id,
        "license_id": license_id,
        "license_note": DEFAULT_LICENSE_NOTE if license_id == DEFAULT_LICENSE else CHOSEN_LICENSE_NOTE,
    }
    blocks = {
        "pattern_rows": pattern_rows,
        "agreement": [*agreement, *agreement_section(contents.agreement)],
        "metadata_fields": [f"| `{k}` | {v} |" for k, v in METADATA_COLUMNS.items() if k != "labels"],
    }
    return fill_template(card_template(), fields, blocks)


def _stat(value: Any) -> str:
    return "—" if value is None else f"{float(value):.2f}".replace(".", ",")


def agreement_section(report: Mapping[str, Any] | None) -> list[str]:
    """The card's agreement statistics from dataset_foto/agreement.json, experts numbered, never named.

    Label Studio may export an expert's e-mail as the annotator: the card goes to the Hub,
    so experts appear as «эксперт 1», «эксперт 2» in the order of agreement.json.
    """
    if not report:
        return []
    out = [f"- экспертов: {len(report.get('annotators') or [])}; сегментов, размеченных двумя и более: "
           f"{report.get('segments_with_two_or_more', 0)};"]
    out += [f"- {m}" for m in report.get("messages") or []]
    rows = [*(report.get("per_pattern") or []), *([report["overall"]] if report.get("overall") else [])]
    if not rows:
        return out
    number = {who: i for i, who in enumerate(report.get("annotators") or [], 1)}
    out += [
        "",
        "Согласие по каждому паттерну (паттерн в сегменте — ответ «да/нет» каждого эксперта): доля совпавших "
        "ответов в парах экспертов; F1 одного эксперта против другого — потолок, с которым стоит сравнивать F1 "
        "моделей; α Криппендорфа (номинальная шкала) и средний κ Коэна по парам — согласие сверх случайного "
        "(1 — полное, 0 — как случайно; «—» — не определено).",
        "",
        "| Паттерн | Совпадение | F1 экспертов | α Криппендорфа | κ Коэна |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        percent = "—" if r.get("percent") is None else f"{round(r['percent'] * 100)} %"
        name = _cell(str(r.get("pattern", "")))
        out.append(f"| {name} | {percent} | {_stat(r.get('positive'))} "
                   f"| {_stat(r.get('alpha'))} | {_stat(r.get('mean_kappa'))} |")
    pairs = (report.get("overall") or {}).get("pairs") or []
    if pairs:
        out += ["", "κ Коэна по парам экспертов (все паттерны вместе):", ""]
        out += [f"- эксперт {number.get(k['first'], '?')} и эксперт {number.get(k['second'], '?')}: "
                f"{_stat(k.get('kappa'))} (общих сегментов: {k.get('tasks')})" for k in pairs]
    return out


def dataset_card(contents: DatasetContents, *, repo_id: str, license_id: str, private: bool) -> str:
    """README.md of the Hub repository: YAML front matter, then the Russian description."""
    from huggingface_hub import DatasetCardData

    yaml_text = DatasetCardData(**card_metadata(contents, license_id=license_id)).to_yaml()
    return f"---\n{yaml_text}\n---\n\n" + card_body(contents, repo_id=repo_id, license_id=license_id, private=private)


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link costs no space; a copy where links are impossible (another disk, FAT)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def stage(
    layout: Layout, contents: DatasetContents, out: Path, *, repo_id: str, license_id: str, private: bool
) -> Path:
    """Write exactly what will be committed into ``out`` (replaced as a whole); return ``out``."""
    class_id = {p: i for i, p in enumerate(contents.patterns)}
    with fsutil.atomic_path(out) as tmp:
        tmp.mkdir()
        for split, rows in contents.rows.items():
            (tmp / split).mkdir()
            for row in rows:
                _link_or_copy(layout.dataset_split(split) / row["file_name"], tmp / split / row["file_name"])
            fsutil.write_jsonl(tmp / split / "metadata.jsonl", [hub_row(r, class_id) for r in rows])
        (tmp / "README.md").write_text(
            dataset_card(contents, repo_id=repo_id, license_id=license_id, private=private), encoding="utf-8"
        )
    return out


def staged_files(staged: Path) -> list[str]:
    """Every file of the staged folder as a POSIX path relative to it: the paths in the repository."""
    return sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file())


# --- the commit --------------------------------------------------------------------------


def commit_operations(staged: Path, remote_files: Iterable[str]) -> list[Any]:
    """The one commit that turns the repository into ``staged``: add every file, delete the stale ones.

    ``remote_files`` is what ``list_repo_files`` returned; the Hub's own .gitattributes stays.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    new = staged_files(staged)
    adds = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=staged / name) for name in new]
    stale = sorted(set(remote_files) - set(new) - KEEP_REMOTE)
    return [*adds, *(CommitOperationDelete(path_in_repo=name, is_folder=False) for name in stale)]


def describe_operations(operations: Sequence[Any], limit: int = 15, *, remote_known: bool = True) -> str:
    """The commit in Russian: how many files are added and deleted, with the first few named.

    ``remote_known=False`` (a dry run, which asks the Hub nothing) says which files would be
    deleted instead of counting them.
    """
    from huggingface_hub import CommitOperationAdd

    adds = [op.path_in_repo for op in operations if isinstance(op, CommitOperationAdd)]
    deletes = [op.path_in_repo for op in operations if not isinstance(op, CommitOperationAdd)]
    removed = (
        f"удалить {len(deletes)} устаревших" if remote_known
        else "удалить все файлы репозитория, которых нет в этом списке (кроме служебного .gitattributes)"
    )
    lines = [f"Один коммит: добавить {len(adds)} файлов, {removed}."]
    lines += [f"  + {name}" for name in adds[:limit]]
    if len(adds) > limit:
        lines.append(f"  + … ещё {len(adds) - limit}")
    lines += [f"  - {name}" for name in deletes[:limit]]
    if len(deletes) > limit:
        lines.append(f"  - … ещё {len(deletes) - limit}")
    return "\n".join(lines)


@dataclass(frozen=True)
class PublishResult:
    commit_url: str
    commit_id: str
    tag: str
    added: int
    deleted: int


def scrub(text: str, token: str | None) -> str:
    """``text`` with the token cut out, whatever a library put into its message."""
    return text.replace(token, "***") if token else text


def _explain(exc: Exception, token: str | None, *, committed: bool) -> UserError:
    from huggingface_hub.errors import HfHubHTTPError

    status = getattr(getattr(exc, "response", None), "status_code", None) if isinstance(exc, HfHubHTTPError) else None
    state = (
        "Данные на Hub уже обновлены, но версию (метку) создать не удалось — создайте её на сайте или "
        "запустите загрузку снова."
        if committed else "Данные на Hub не изменились."
    )
    if status == 401:
        reason = "Hub не принял токен (устарел или скопирован не полностью). " + TOKEN_HELP
    elif status == 403:
        reason = "У токена нет права записи в этот репозиторий. Создайте токен с ролью «write». " + TOKEN_HELP
    elif status == 409:
        reason = "Репозиторий изменился во время загрузки (кто-то загрузил другую версию). Запустите загрузку снова."
    elif status is not None:
        reason = f"Hub ответил ошибкой {status}: {scrub(str(exc).splitlines()[0], token)}"
    else:
        reason = (
            "Не удалось связаться с Hugging Face Hub: проверьте подключение к интернету и повторите. "
            f"({exc.__class__.__name__}: {scrub(str(exc), token)[:200]})"
        )
    return UserError(f"Загрузка не удалась. {reason}\n{state}")


def publish(api: Any, repo_id: str, staged: Path, *, tag: str, private: bool, tag_is_explicit: bool = False,
            message: str | None = None) -> PublishResult:
    """create_repo(exist_ok) → list_repo_files → one create_commit → create_tag.

    The operations are computed here, from the listing taken at the head commit, and the
    commit names that head as its parent: if anything else was pushed meanwhile, the Hub
    refuses the commit instead of mixing two versions. Any failure becomes a Russian
    message saying whether the data on the Hub changed.
    """
    from huggingface_hub.errors import HTTPError

    token = getattr(api, "token", None)
    committed = False
    try:
        api.create_repo(repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True)
        info = api.repo_info(repo_id, repo_type=REPO_TYPE)
        if private and not info.private:
            # Frames of children are never left public by default: close the repository first.
            api.update_repo_settings(repo_id, private=True, repo_type=REPO_TYPE)
        remote = api.list_repo_files(repo_id, repo_type=REPO_TYPE, revision=info.sha)
        tags = [ref.name for ref in api.list_repo_refs(repo_id, repo_type=REPO_TYPE).tags]
        if tag_is_explicit and tag in tags:
            raise UserError(
                f"Версия «{tag}» уже есть в {repo_id}. Укажите другую в --tag. Данные на Hub не изменились."
            )
        tag = unique_tag(tag, tags)
        operations = commit_operations(staged, remote)
        commit = api.create_commit(
            repo_id,
            operations,
            commit_message=message or f"pedpatterns: версия {tag}",
            repo_type=REPO_TYPE,
            parent_commit=info.sha,
        )
        committed = True
        if not private and info.private:
            api.update_repo_settings(repo_id, private=False, repo_type=REPO_TYPE)
        api.create_tag(repo_id, tag=tag, revision=commit.oid, repo_type=REPO_TYPE,
                       tag_message=f"pedpatterns {tag}")
    except (HTTPError, OSError) as exc:
        raise _explain(exc, token, committed=committed) from None
    deleted = sum(1 for op in operations if op.__class__.__name__ == "CommitOperationDelete")
    return PublishResult(commit.commit_url, commit.oid, tag, len(operations) - deleted, deleted)
