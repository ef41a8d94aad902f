"""dataset_foto/: the labelled keyframes as a Hugging Face ImageFolder dataset.

The layout is what ``datasets.load_dataset("imagefolder", data_dir="dataset_foto")`` reads::

    dataset_foto/
      README.md          the tracked explanation (kept on every rebuild)
      patterns.json      the ordered pattern list: the Hub's class ids follow it
      train/ metadata.jsonl + images
      test/  metadata.jsonl + images   (absent when nothing went to test)

Train and test are split by whole films (or whole parts when there is one film), so
frames of one lesson never sit on both sides and the test score is the score on an
unseen lesson. The whole folder is built beside the old one and swapped in at the end:
a failure leaves the previous dataset as it was.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image, UnidentifiedImageError

from pedpatterns import fsutil, locks
from pedpatterns.dataset.options import SPLIT_BY, BuildOptions
from pedpatterns.errors import UserError, os_error_message
from pedpatterns.labels.labelled import LabeledSet
from pedpatterns.labelstudio.agreement import AgreementReport, agreement_csv, compute_agreement
from pedpatterns.layout import SPLITS, TEST, TMP_PREFIX, TRAIN, Layout
from pedpatterns.models import groupsplit
from pedpatterns.schema import SEGMENT_COLUMNS
from pedpatterns.words import skipped_lines

# A pattern with fewer training examples than this cannot be learnt or even validated.
MIN_TRAIN_EXAMPLES = 2

# The columns of metadata.jsonl besides file_name, in order; the Hub card describes them. Those copied from
# segments.csv are described by its data dictionary (schema.py), word for word.
METADATA_COLUMNS: dict[str, str] = {
    "labels": "список паттернов, найденных экспертами в сегменте",
    **{column: SEGMENT_COLUMNS[column] for column in ("film", "part", "segment", "lesson_start", "lesson_end", "text")},
    "annotators": "сколько экспертов разметили сегмент",
    "agreement": "согласие экспертов, от 0 до 1 (1 — все выбрали одно и то же)",
}

# ICAO 9303 transliteration (the one in Russian passports): plain ASCII, no apostrophes.
_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "ie", "y", "", "e", "iu", "ia"],
    strict=True,
))
_MAX_STEM = 80


def transliterate(text: str) -> str:
    """ASCII letters, digits, ``-`` and ``_`` only: Cyrillic transliterated, anything else ``_``.

    Image names end up in metadata.jsonl, in Hub URLs, in zip archives and on every file
    system. macOS stores Cyrillic names decomposed (NFD) and Windows archivers use legacy
    code pages, either of which silently breaks the ``file_name`` → file match; ASCII names
    cannot break. The original film and part names stay in the metadata columns.
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        low = ch.lower()
        if low in _TRANSLIT:
            piece = _TRANSLIT[low]
            out.append(piece.capitalize() if ch != low and piece else piece)
        elif ch.isascii() and (ch.isalnum() or ch in "-_"):
            out.append(ch)
        else:
            ascii_form = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(ascii_form if ascii_form.isalnum() else "_")
    stem = re.sub(r"_+", "_", "".join(out)).strip("_-")
    return stem[:_MAX_STEM] or "part"


def image_names(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """A unique, ASCII file name for each (part, segment).

    Two parts whose names transliterate alike (``Урок 1`` and ``Урок_1``) both get a short
    hash of their real name, so the result does not depend on the order of the rows.
    """
    keys = list(keys)
    slugs: dict[str, set[str]] = {}
    for part, _ in keys:
        slugs.setdefault(transliterate(part), set()).add(part)
    names = {}
    for part, segment in keys:
        slug = transliterate(part)
        if len(slugs[slug]) > 1:
            slug += "-" + hashlib.sha1(part.encode("utf-8")).hexdigest()[:8]
        names[(part, segment)] = f"{slug}_seg{segment:03d}.jpg"
    return names


# --- the grouped split -------------------------------------------------------------------


@dataclass(frozen=True)
class SplitPlan:
    """Which groups go to test, and how the choice was made (for the summary)."""

    by: str  # "film", "part" or "" (no split possible)
    test_groups: frozenset[str]
    notes: tuple[str, ...] = ()


def plan_split(frame: pd.DataFrame, test_share: float, seed: int, split_by: str = "film") -> SplitPlan:
    """Group by film (or part); fall back to parts with one film, to train-only with one part (models/groupsplit.py)."""
    if split_by not in SPLIT_BY:
        raise UserError(f"--split-by: ожидалось film или part, получено «{split_by}».")
    films = frame["film"].astype(str)
    notes: list[str] = []
    if groupsplit.unit(films, split_by) != split_by:
        split_by = groupsplit.PART
        notes.append(
            "Размечен только один фильм, поэтому train и test разделены по частям этого фильма: "
            "проверка покажет качество на незнакомом отрезке того же урока, а не на новом уроке."
        )
    column = films if split_by == groupsplit.FILM else frame["part"].astype(str)
    sizes = column.value_counts().to_dict()
    if len(sizes) < 2:
        notes.append(
            "Размечена только одна часть одного фильма: разделить на train и test целыми частями невозможно. "
            "Все изображения помещены в train, папки test нет. Разметьте сегменты ещё хотя бы одной части "
            "(лучше — другого урока) и соберите датасет снова."
        )
        return SplitPlan("", frozenset(), tuple(notes))
    test = groupsplit.choose_test_groups(sizes, test_share, seed)
    if test_share > 0 and not test:
        notes.append("Доля test слишком мала для целых групп: все изображения в train.")
    return SplitPlan(split_by, test, tuple(notes))


def split_of(row: Mapping[str, Any], plan: SplitPlan) -> str:
    if not plan.by:
        return TRAIN
    return TEST if str(row[plan.by]) in plan.test_groups else TRAIN


# --- metadata rows -----------------------------------------------------------------------


def _number(value: Any, kind: type) -> Any:
    """A JSON-safe number, or None for a missing one (NaN is not valid JSON)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return kind(value)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def metadata_row(row: Mapping[str, Any], file_name: str) -> dict[str, Any]:
    """One line of metadata.jsonl; ``labels`` are pattern names (the Hub copy turns them into ids)."""
    return {
        "file_name": file_name,
        "labels": list(row["labels"]),
        "film": _text(row.get("film")),
        "part": _text(row["part"]),
        "segment": int(row["segment"]),
        "lesson_start": _number(row.get("lesson_start"), float),
        "lesson_end": _number(row.get("lesson_end"), float),
        "text": _text(row.get("text")),
        "annotators": int(row["annotators"]),
        "agreement": _number(row.get("agreement"), float),
    }


def image_problem(path: Path) -> str | None:
    """Why a keyframe cannot go into the dataset (not an image, truncated), or None when it is fine.

    A missing file is not a problem here but an error: the reader has just seen it, so it
    vanished during the build, and the build must stop rather than silently shrink.
    """
    try:
        with Image.open(path) as image:
            image.verify()
    except FileNotFoundError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return f"{path.name}: не читается как изображение ({exc.__class__.__name__})"
    return None


# --- summary -----------------------------------------------------------------------------


@dataclass
class DatasetSummary:
    """What was built: counts per split and per pattern, and what deserves attention."""

    images: dict[str, int]
    per_pattern: dict[str, dict[str, int]]
    split_by: str
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    agreement: AgreementReport | None = None

    def weak_patterns(self, patterns: Sequence[str]) -> dict[str, str]:
        """Pattern → why it is too rare to learn or to evaluate."""
        has_test = self.images.get(TEST, 0) > 0
        flags = {}
        for p in patterns:
            train = self.per_pattern.get(p, {}).get(TRAIN, 0)
            test = self.per_pattern.get(p, {}).get(TEST, 0)
            if train + test == 0:
                flags[p] = "нет ни одного примера"
            elif train < MIN_TRAIN_EXAMPLES:
                flags[p] = f"в train меньше {MIN_TRAIN_EXAMPLES} примеров"
            elif has_test and test == 0:
                flags[p] = "нет в test: качество на нём не проверить"
        return flags


def summarize(rows_by_split: Mapping[str, Sequence[Mapping[str, Any]]], plan: SplitPlan) -> DatasetSummary:
    per_pattern: dict[str, dict[str, int]] = {}
    for split, rows in rows_by_split.items():
        for pattern, n in Counter(p for r in rows for p in r["labels"]).items():
            per_pattern.setdefault(pattern, {})[split] = n
    return DatasetSummary(
        images={s: len(rows_by_split.get(s, ())) for s in SPLITS},
        per_pattern=per_pattern,
        split_by=plan.by,
        notes=list(plan.notes),
    )


def format_summary(summary: DatasetSummary, patterns: Sequence[str], known: Sequence[str] = ()) -> str:
    """The Russian report printed at the end: counts, rare patterns, warnings."""
    by = {"film": "по фильмам", "part": "по частям", "": "без разделения"}[summary.split_by]
    lines = [
        f"Изображений: train — {summary.images[TRAIN]}, test — {summary.images[TEST]} (разделение {by}).",
        "Примеров по паттернам (train / test):",
    ]
    width = max((len(p) for p in patterns), default=0)
    for p in patterns:
        counts = summary.per_pattern.get(p, {})
        lines.append(f"  {p.ljust(width)}  {counts.get(TRAIN, 0):>4} / {counts.get(TEST, 0):<4}")
    weak = summary.weak_patterns(patterns)
    if weak:
        lines.append("Мало примеров — разметьте больше сегментов с этими паттернами:")
        lines += [f"  ! {p}: {why}" for p, why in weak.items()]
    unknown = [p for p in patterns if known and p not in known]
    if unknown:
        lines.append("В разметке есть паттерны не из списка паттернов: " + "; ".join(unknown))
    lines += skipped_lines(summary.skipped, "изображений")
    lines += [f"Внимание: {note}" for note in summary.notes]
    return "\n".join(lines)


# --- building ----------------------------------------------------------------------------


def existing_images(layout: Layout) -> int:
    """How many images the current dataset_foto/ holds (0 when there is none)."""
    total = 0
    for split in SPLITS:
        path = layout.dataset_metadata(split)
        if path.is_file():
            total += sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return total


# Files every build writes anew: never carried over from the previous dataset.
_REBUILT_FILES = frozenset({"patterns.json", "agreement.json", "agreement.csv"})


def _keep_extra_files(source: Path, target: Path) -> None:
    """Carry dataset_foto/'s own files (README.md …) over to the new build; splits are rebuilt."""
    if not source.is_dir():
        return
    for item in source.iterdir():
        if item.is_file() and not item.name.startswith(TMP_PREFIX) and item.name not in _REBUILT_FILES:
            shutil.copy2(item, target / item.name)


def build_dataset(
    layout: Layout, labeled: LabeledSet, patterns: Sequence[str],
    options: BuildOptions = BuildOptions(),  # noqa: B008 (frozen: one shared default is safe)
) -> DatasetSummary:
    """Write dataset_foto/ from labelled segments; the old folder is replaced only on success.

    ``patterns`` is the ordered vocabulary (the list the experts labelled with); patterns
    found in the labels but not in it are appended, so nothing labelled is lost.
    """
    test_share, seed, split_by = options.test_share, options.seed, options.split_by
    frame = labeled.frame
    vocabulary = list(dict.fromkeys([*patterns, *labeled.patterns]))
    skipped: list[str] = []
    usable = []
    for record in frame.to_dict("records"):
        try:
            problem = image_problem(Path(record["keyframe"]))
        except FileNotFoundError:
            raise UserError(
                f"Ключевой кадр «{record['keyframe']}» пропал во время сборки. "
                "Прежний dataset_foto/ не изменён. Проверьте processed_data/ и запустите команду снова."
            ) from None
        if problem:
            skipped.append(f"часть «{record['part']}», сегмент {record['segment']}: {problem}")
        else:
            usable.append(record)
    if not usable:
        raise UserError("Ни один ключевой кадр не читается как изображение. Прежний dataset_foto/ не изменён.")
    plan = plan_split(pd.DataFrame(usable), test_share, seed, split_by)
    experts = compute_agreement(labeled.votes, vocabulary)
    # Keyframes are always JPEG (layout.segment_keyframe_name), so the copies keep .jpg.
    names = image_names((r["part"], int(r["segment"])) for r in usable)

    rows_by_split: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    target = layout.dataset_foto
    with locks.hold(layout, "dataset_foto", "папка dataset_foto/"):  # one build at a time
        try:
            with fsutil.atomic_path(target) as tmp:
                tmp.mkdir()
                for record in usable:
                    split = split_of(record, plan)
                    key = (record["part"], int(record["segment"]))
                    folder = tmp / split
                    folder.mkdir(exist_ok=True)
                    shutil.copyfile(record["keyframe"], folder / names[key])
                    rows_by_split[split].append(metadata_row(record, names[key]))
                for split, rows in rows_by_split.items():
                    if rows:
                        rows.sort(key=lambda r: (r["part"], r["segment"]))
                        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
                        (tmp / split / "metadata.jsonl").write_text(text, encoding="utf-8")
                (tmp / layout.dataset_patterns.name).write_text(
                    json.dumps(vocabulary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
                )
                (tmp / layout.dataset_agreement_json.name).write_text(
                    json.dumps(experts.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
                )
                # Excel opens UTF-8 CSV correctly only with the BOM.
                (tmp / layout.dataset_agreement_csv.name).write_text(agreement_csv(experts),
                                                                    encoding="utf-8-sig")
                _keep_extra_files(target, tmp)
        except FileNotFoundError as exc:
            raise UserError(
                f"Файл «{exc.filename}» пропал во время сборки. Прежний dataset_foto/ не изменён. "
                "Проверьте processed_data/ и запустите команду снова."
            ) from None
        except OSError as exc:
            if exc.filename is None:
                exc.filename = str(target)
            raise UserError(f"{os_error_message(exc)} Прежний dataset_foto/ не изменён.") from None
    summary = summarize(rows_by_split, plan)
    summary.skipped = skipped
    summary.agreement = experts
    actual = summary.images[TEST] / max(1, sum(summary.images.values()))
    if plan.by and abs(actual - test_share) > 0.1:
        unit = "фильмы" if plan.by == "film" else "части"
        summary.notes.append(
            f"В test попало {actual:.0%} примеров вместо {test_share:.0%}: делятся только целые {unit}. "
            "С ростом числа размеченных уроков доля приблизится к заданной."
        )
    return summary


# --- reading back (for the upload and the models) ----------------------------------------


@dataclass
class DatasetContents:
    """dataset_foto/ as written: metadata rows per split and the ordered pattern list."""

    rows: dict[str, list[dict[str, Any]]]
    patterns: list[str]
    agreement: dict[str, Any] | None = None  # agreement.json as written (None for a dataset built before it)

    @property
    def total(self) -> int:
        return sum(len(r) for r in self.rows.values())


REBUILD = "Соберите датасет заново: python create_image_dataset.py"


def check_metadata_row(row: dict[str, Any], split_dir: Path) -> str | None:
    """What is wrong with one metadata.jsonl row, or None.

    Checked before anything is linked, copied or uploaded: a ``file_name`` such as
    ``../../.env`` or an absolute path would otherwise send a file from outside the dataset
    to the Hub, and a row without labels would train the models on nothing.
    """
    name = row.get("file_name")
    if not isinstance(name, str) or not name.strip():
        return "нет имени файла (file_name)"
    if "\x00" in name or len(name.encode("utf-8", "surrogatepass")) > 255:
        return "имя файла повреждено"
    if "/" in name or "\\" in name or name in {".", ".."} or Path(name).name != name:
        return f"имя файла «{name[:80]}» указывает за пределы папки {split_dir.name}/"
    file = split_dir / name
    if file.is_symlink() or not file.is_file():
        return f"изображения «{name}» нет в папке {split_dir.name}/"
    labels = row.get("labels")
    if not isinstance(labels, list) or not labels:
        return f"у изображения «{name}» нет паттернов (labels)"
    if not all(isinstance(label, str) and label.strip() and "\x00" not in label for label in labels):
        return f"паттерны изображения «{name}» повреждены (ожидался список названий)"
    return None


def read_dataset(layout: Layout) -> DatasetContents:
    """Read dataset_foto/, every row checked; a missing or empty one names the step that makes it."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for split in SPLITS:
        path = layout.dataset_metadata(split)
        if not path.is_file():
            continue
        split_rows = []
        for number, row in enumerate(fsutil.read_jsonl(path, REBUILD), 1):
            problem = check_metadata_row(row, layout.dataset_split(split))
            if problem:
                raise UserError(f"В «{layout.relative(path)}» (запись {number}) {problem}. {REBUILD}")
            split_rows.append(row)
        if split_rows:
            rows[split] = split_rows
    if not rows:
        raise UserError(
            f"Датасет изображений в «{layout.dataset_foto}» не найден или пуст. "
            "Сначала соберите его: python create_image_dataset.py"
        )
    present = [p for split_rows in rows.values() for r in split_rows for p in r["labels"]]
    patterns: list[str] = []
    if layout.dataset_patterns.is_file():
        try:
            stored = json.loads(layout.dataset_patterns.read_text(encoding="utf-8"))
        except (ValueError, RecursionError, OSError):
            stored = None
        if not isinstance(stored, list) or not all(isinstance(p, str) and p.strip() for p in stored):
            raise UserError(f"Файл «{layout.relative(layout.dataset_patterns)}» повреждён. {REBUILD}")
        patterns = stored
    patterns = list(dict.fromkeys([*patterns, *sorted(set(present))]))
    return DatasetContents(rows=rows, patterns=patterns, agreement=_read_agreement(layout))


def _read_agreement(layout: Layout) -> dict[str, Any] | None:
    """agreement.json of the dataset for the card; a missing or unreadable one is simply left out."""
    path = layout.dataset_agreement_json
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("per_pattern"), list) else None
