"""The list of pedagogical patterns: the default one and a user's own.

The list is the label vocabulary of every stage (the Label Studio config, the dataset's
ClassLabel, both models), so it lives here and nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import UserError

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


def load_patterns(path: Path | None) -> list[str]:
    """A user's pattern list: a text file with one name per line, or a JSON list of names."""
    if path is None:
        return default_patterns()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"Файл со списком паттернов «{path}» не найден. Проверьте путь в --patterns.") from None
    except UnicodeDecodeError:
        raise UserError(f"Файл «{path}» не в кодировке UTF-8. Сохраните его как UTF-8 и повторите.") from None
    if path.suffix.lower() == ".json":
        try:
            names = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"Файл «{path}» — не корректный JSON ({exc.msg}, строка {exc.lineno}).") from None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise UserError(f"В «{path}» должен быть JSON-список названий паттернов (строк).")
    else:
        names = text.splitlines()
    names = [n.strip() for n in names if n.strip() and not n.strip().startswith("#")]
    unique = list(dict.fromkeys(names))
    if len(unique) < 2:
        raise UserError(f"В «{path}» меньше двух паттернов. Укажите по одному названию в строке.")
    return unique
