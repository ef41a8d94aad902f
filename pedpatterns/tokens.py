"""Access tokens (Label Studio, Hugging Face) as typed by a person into .env or a flag.

A token is printable ASCII. A Cyrillic letter typed in the wrong keyboard layout, a
non-breaking space or a line break pasted with it would otherwise fail deep inside
``requests`` (UnicodeEncodeError for a header value, or an error message that quotes the
header, token included). The check says what is wrong and never repeats the token.
"""

from __future__ import annotations

from pedpatterns.errors import UserError


def token_problem(token: str) -> str | None:
    """What is wrong with ``token`` in Russian words (without the token), or None when it looks fine."""
    if any(ord(c) > 0x7E for c in token):
        return ("в нём есть нелатинские символы (например, русская буква, набранная в другой раскладке, "
                "или «умная» кавычка)")
    if any(ord(c) <= 0x20 or c == "\x7f" for c in token):
        return "в нём есть пробелы, переносы строк или другие невидимые символы"
    return None


def check_token(token: str, name: str, where: str = "") -> str:
    """``token`` without surrounding blanks, or a UserError naming ``name`` (never the token itself).

    ``name`` is how the user sets it (``HF_TOKEN``, ``LABEL_STUDIO_API_KEY``, ``--token``);
    ``where`` is the file it came from, when it came from one.
    """
    token = (token or "").strip()
    problem = token_problem(token)
    if problem is None:
        return token
    source = f"{name} в файле «{where}»" if where else name
    raise UserError(
        f"Токен {source} записан неверно: {problem}. Токен состоит только из латинских букв, цифр и знаков "
        "препинания. Скопируйте его заново с сайта (кнопкой копирования, не вручную) и замените старое значение."
    )
