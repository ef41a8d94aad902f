"""docs/troubleshooting.md quotes the messages the code really prints: a message changed in the code changes the page.

Every blockquote of the page is a message (tests.support.messages). One that starts with «Ошибка:» must be an
instance of a refusal the code can raise (``UserError``, the tools' ``Failure``, the file system's refusals),
any other of some string the code holds. The run-time side — the real scripts on real bad input printing
what the page quotes — is in tests/scripts/test_troubleshooting_runs.py.
"""

from __future__ import annotations

import ast

import pytest

from tests.support.messages import (
    ANY,
    ERROR_PREFIX,
    PAGE,
    Module,
    matching,
    page_quotes,
    printed_form,
    printed_templates,
    refusal_templates,
    source_files,
    template_regex,
    templates,
)

QUOTES = page_quotes()


def test_the_page_quotes_messages() -> None:
    refusals = [q for q in QUOTES if q.startswith(ERROR_PREFIX)]
    assert len(refusals) >= 40, f"на странице {PAGE.name} мало цитат «Ошибка: …»: {len(refusals)}"


@pytest.fixture(scope="module")
def code_messages() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The code's refusals and strings, read and compiled once for the module (not each quote's own time)."""
    refusals, printed = refusal_templates(), printed_templates()
    for template in printed:
        template_regex(template)
    return refusals, printed


@pytest.mark.parametrize("quote", QUOTES, ids=[q[:60] for q in QUOTES])
def test_every_quote_is_a_message_of_the_code(quote: str, code_messages: tuple[tuple[str, ...], ...]) -> None:
    refusals, printed = code_messages
    if quote.startswith(ERROR_PREFIX):
        text, candidates, kind = quote.removeprefix(ERROR_PREFIX), refusals, "отказов (UserError)"
    else:
        text, candidates, kind = quote, printed, "строк"
    assert matching(text, candidates), (
        f"{PAGE.name}: цитаты нет среди {kind} кода — сообщение изменили? Перепишите цитату по коду:\n{quote}")


def test_the_collector_finds_the_messages_it_must(code_messages: tuple[tuple[str, ...], ...]) -> None:
    """The collector itself: refusals built from f-strings, names, constants of other modules and «if … else»."""
    found = code_messages[0]
    assert len(found) > 150
    # pedpatterns/dataset/hub.py: a local «where» (two f-strings, chosen by if/else) and the module constant TOKEN_HELP
    hub = [t for t in found if t.startswith("Нет токена Hugging Face.")]
    assert len(hub) == 2 and all("Как получить токен" in t and f"«{ANY}»" in t for t in hub), hub
    # the file system's refusals, rendered by errors.os_error_message
    assert any("на диске не осталось места" in t for t in found)
    assert not any(t.strip(ANY + " ") == "" for t in found)  # nothing that would match anything


def test_a_changed_message_no_longer_matches(code_messages: tuple[tuple[str, ...], ...]) -> None:
    """What the test guards against: the page's quote of a message whose wording changed fails."""
    quote = next(q for q in QUOTES if "нет звуковой дорожки" in q).removeprefix(ERROR_PREFIX)
    source = 'raise UserError(f"В файле «{name}» нет звуковой дорожки: без звука речь не распознать. Нужна запись.")'
    path = next(p for p in source_files() if p.name == "media.py")
    module = Module(path)
    changed = templates(ast.parse(source).body[0].exc.args[0], module)  # type: ignore[attr-defined]
    assert not matching(quote, tuple(changed))
    assert matching(quote, code_messages[0])


def test_a_quote_reads_as_the_terminal_prints_it() -> None:
    """«…» and names in «» stand for what the real run printed; the rest must be printed word for word."""
    form = printed_form("Ошибка: Файл «Урок 5А.mp4» пустой (0 байт). Скопируйте видео заново.")
    assert form.search("\nОшибка: Файл «/tmp/x/films/a.mp4» пустой (0 байт). Скопируйте видео\nзаново.\n")
    assert not form.search("Ошибка: Файл «a.mp4» пустой. Скопируйте видео заново.")
