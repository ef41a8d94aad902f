"""The list of pedagogical patterns: the default one and a user's own.

The list is the label vocabulary of every stage (the Label Studio config, the dataset's
ClassLabel, both models), so it lives here and nowhere else.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from pedpatterns.errors import UserError

# Name → what an expert looks for. Patterns 1, 2, 3, 6, 7 and 9 are the seed's; 4, 5, 8 and
# 10 complete the numbering with patterns methodologists commonly name.
DEFAULT_PATTERNS: dict[str, str] = {
    "Паттерн 1: Удержание внимания": (
        "учитель возвращает или удерживает внимание класса: смена темпа, голоса, обращение к ученикам"
    ),
    "Паттерн 2: Обратная связь": "учитель оценивает или комментирует ответ ученика, хвалит, уточняет",
    "Паттерн 3: Вовлечение в диалог": "учитель задаёт вопрос и ждёт ответа, ученики говорят",
    "Паттерн 4: Постановка учебной задачи": "учитель объявляет цель урока или задание, объясняет, что нужно сделать",
    "Паттерн 5: Групповая работа": "ученики работают в парах или группах, учитель организует работу",
    "Паттерн 6: Работа с ошибками": "разбор ошибки: учитель или ученики находят и исправляют ошибку",
    "Паттерн 7: Демонстрация примера": "учитель показывает образец: слайд, пример решения, произношение",
    "Паттерн 8: Проблемный вопрос": "вопрос без готового ответа, который побуждает рассуждать",
    "Паттерн 9: Рефлексия": "ученики оценивают, что узнали и как работали",
    "Паттерн 10: Подведение итогов": "учитель подводит итог урока или этапа, даёт домашнее задание",
}


def default_patterns() -> list[str]:
    return list(DEFAULT_PATTERNS)


def describe(pattern: str) -> str:
    return DEFAULT_PATTERNS.get(pattern, "")


# Limits of a user's list: a name is a line on a checkbox, the list a screenful of them.
MAX_NAME_LENGTH = 100
MAX_PATTERNS = 200
MAX_FILE_BYTES = 1_000_000
# Refused in a name: "<" and ">" would read as markup in Label Studio's interface, a leading
# "$" as a reference to a task field. "&" and quotes are fine: the XML config escapes them.
FORBIDDEN_CHARS = "<>"


def _invisible(c: str) -> bool:
    """A control, format or separator character: invisible on screen, and some are not allowed in XML.

    Zero-width joiners and emoji tag characters are kept: emoji are made of them.
    """
    category = unicodedata.category(c)
    if category == "Cf":
        return not (c in "\u200c\u200d" or "\U000e0020" <= c <= "\U000e007f")
    return category in ("Cc", "Cs", "Zl", "Zp") or c in "\ufffe\uffff"


def _bad_char(name: str) -> str | None:
    """The first character of ``name`` that cannot be in a pattern's name, described in Russian."""
    for c in name:
        if c in FORBIDDEN_CHARS:
            return f"знак «{c}»"
        if _invisible(c):
            return f"невидимый служебный символ U+{ord(c):04X}"
    return None


def normalize_name(name: str) -> str:
    """A name as it is stored: NFC, surrounding blanks cut, inner runs of spaces made one space."""
    return re.sub(" +", " ", unicodedata.normalize("NFC", name)).strip()


def check_names(names: Sequence[str], source: str = "списке паттернов") -> list[str]:
    """``names`` made uniform and checked; a UserError says which name is wrong and how to fix it.

    Every stage uses these names as Label Studio choices, dataset classes and model outputs,
    so a name that would break any of them is refused here, once, before anything is written.
    """
    cleaned: list[str] = []
    seen: dict[str, str] = {}
    for raw in names:
        if not isinstance(raw, str):
            raise UserError(f"В {source} названия паттернов должны быть строками, а встретилось: {raw!r:.40}.")
        name = normalize_name(raw.replace("\u00a0", " "))
        shown = "".join("�" if _invisible(c) else c for c in name[:60]) + ("…" if len(name) > 60 else "")
        if not name:
            raise UserError(f"В {source} есть пустое название паттерна. Удалите его или впишите название.")
        bad = _bad_char(name)
        if bad:
            raise UserError(
                f"В названии паттерна «{shown}» "
                f"({source}) есть {bad}. Уберите его из названия и повторите."
            )
        if name.startswith("$"):
            raise UserError(f"Название паттерна «{shown}» ({source}) начинается с «$»: Label Studio примет его "
                            "за поле задачи. Уберите «$» в начале.")
        if len(name) > MAX_NAME_LENGTH:
            raise UserError(f"Название паттерна «{shown}» ({source}) длиннее {MAX_NAME_LENGTH} символов "
                            f"({len(name)}). Сократите его: подробности можно держать в описании, не в названии.")
        key = name.casefold()
        if key in seen:
            raise UserError(f"Паттерн «{shown}» встречается в {source} дважды"
                            + ("" if seen[key] == name else f" (как «{seen[key]}»)")
                            + ". Оставьте одно название.")
        seen[key] = name
        cleaned.append(name)
    if len(cleaned) > MAX_PATTERNS:
        raise UserError(f"В {source} {len(cleaned)} паттернов, а можно не больше {MAX_PATTERNS}. Сократите список.")
    return cleaned


def load_patterns(path: Path | None) -> list[str]:
    """A user's pattern list: a text file with one name per line (``#`` starts a comment), or a JSON list.

    Whatever the file holds, the answer is a checked list or a UserError that says what to fix.
    """
    if path is None:
        return default_patterns()
    path = Path(path)
    source = f"файле «{path}»"
    if path.is_dir():
        raise UserError(f"«{path}» — папка, а в --patterns нужен файл со списком паттернов (по одному в строке).")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UserError(f"Файл «{path}» слишком большой для списка паттернов ({size} байт). "
                            "Проверьте, что в --patterns указан нужный файл.")
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"Файл со списком паттернов «{path}» не найден. Проверьте путь в --patterns.") from None
    except OSError as exc:
        raise UserError(f"Не удалось прочитать файл «{path}» ({exc.strerror or exc}). Проверьте путь в --patterns.") \
            from None
    if b"\x00" in data:
        raise UserError(f"Файл «{path}» — не текст (в нём двоичные данные). "
                        "В --patterns нужен текстовый файл: по одному названию паттерна в строке.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"Файл «{path}» не в кодировке UTF-8. Сохраните его как UTF-8 и повторите.") from None
    if path.suffix.lower() == ".json":
        try:
            names = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            where = f" ({exc.msg}, строка {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
            raise UserError(f"Файл «{path}» — не корректный JSON{where}.") from None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise UserError(f"В «{path}» должен быть JSON-список названий паттернов (строк).")
        names = [n for n in names if n.strip()]
    else:
        # Only "\n" ends a line: other line-breaking controls inside a name are refused, not split on.
        lines = [line.removesuffix("\r") for line in text.split("\n")]
        names = [n for n in lines if n.strip() and not n.strip().startswith("#")]
    unique = check_names(names, source)
    if len(unique) < 2:
        raise UserError(f"В «{path}» меньше двух паттернов. Укажите по одному названию в строке.")
    return unique
