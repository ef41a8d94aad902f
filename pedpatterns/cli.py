"""What the five scripts share: Russian argparse, the numbered chooser, progress bars, exit codes.

The scripts stay thin: they build a parser here, call the library, and let :func:`run`
turn a :class:`~pedpatterns.errors.UserError` into a Russian message and an exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from .errors import EXIT_INTERRUPTED, EXIT_NOT_BUILT, EXIT_USAGE, UserError
from .layout import Layout, default_root

T = TypeVar("T")


class _RussianFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows every default beside its option, in Russian, and keeps our line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            return text
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            text += " (по умолчанию: %(default)s)"
        return text

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, "Использование: " if prefix is None else prefix)


class RussianArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Russian in its help and its usage errors."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("formatter_class", _RussianFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "аргументы"
        self._optionals.title = "параметры"
        self.add_argument("-h", "--help", action="help", help="показать эту справку и выйти")

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(
            f"Ошибка в параметрах команды: {message}\n"
            f"Подробная справка: python {self.prog} --help\n"
        )
        sys.exit(EXIT_USAGE)


def make_parser(prog: str, description: str, epilog: str | None = None) -> RussianArgumentParser:
    parser = RussianArgumentParser(prog=prog, description=description, epilog=epilog)
    parser.add_argument(
        "--root",
        type=Path,
        default=default_root(),
        help="папка проекта (в ней films/, part_films/, processed_data/ …)",
    )
    return parser


def share(text: str) -> float:
    """argparse type: a share of annotators or of data, above 0 and at most 1."""
    value = _number(text, float)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"нужно число больше 0 и не больше 1, например 0.5 (получено {text})")
    return value


def fraction(text: str) -> float:
    """argparse type: a probability threshold or a held-out share, strictly between 0 and 1."""
    value = _number(text, float)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"нужно число строго между 0 и 1, например 0.5 (получено {text})")
    return value


def positive_int(text: str) -> int:
    """argparse type: a count, at least 1."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"нужно целое число не меньше 1 (получено {text})")
    return value


def _number(text: str, kind: type) -> Any:
    try:
        return kind(str(text).replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» — не число") from None


def layout_from(args: argparse.Namespace) -> Layout:
    root = Path(args.root)
    if not root.is_dir():
        raise UserError(f"Папка проекта «{root}» не найдена. Укажите существующую папку в --root.")
    return Layout(root)


def run(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Call a script's ``main`` and turn expected failures into a message and an exit code."""
    try:
        return main(argv) or 0
    except UserError as exc:
        print(f"\nОшибка: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\nПрервано пользователем. Готовые результаты сохранены, незаконченные — нет; "
              "запустите команду снова, чтобы продолжить.", file=sys.stderr)
        return EXIT_INTERRUPTED


def not_built(stage: str) -> UserError:
    """The honest answer of a stage that does not exist yet."""
    return UserError(
        f"Этап «{stage}» ещё не реализован в этой версии pedpatterns. "
        "Следите за обновлениями проекта.",
        exit_code=EXIT_NOT_BUILT,
    )


def choose(
    items: Sequence[str],
    title: str,
    flag: str,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Show a numbered list and return the 0-based index the user picks.

    A wrong answer is asked again; end of input or Ctrl-C ends the script cleanly with a
    hint about ``flag``, the way to choose without a terminal.
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if not items:
        raise UserError("Выбирать не из чего: список пуст.")
    print(title, file=stdout)
    for number, item in enumerate(items, 1):
        print(f"  {number}. {item}", file=stdout)
    while True:
        print(f"Введите номер от 1 до {len(items)}: ", end="", file=stdout, flush=True)
        try:
            line = stdin.readline()
        except KeyboardInterrupt:
            line = ""
        if not line:
            raise UserError(
                f"Выбор не сделан (ввод закончился). Чтобы выбрать без вопросов, укажите {flag}.",
                exit_code=EXIT_INTERRUPTED,
            )
        answer = line.strip()
        if answer.isdigit() and 1 <= int(answer) <= len(items):
            return int(answer) - 1
        print(f"«{answer}» — не номер из списка. Попробуйте ещё раз.", file=stdout)


def confirm(question: str, *, assume_yes: bool, stdin: TextIO | None = None) -> bool:
    """Ask a yes/no question; ``--yes`` answers it. A wrong answer is asked again."""
    if assume_yes:
        return True
    stdin = stdin or sys.stdin
    while True:
        print(f"{question} [да/нет]: ", end="", flush=True)
        line = stdin.readline()
        if not line:
            raise UserError(
                "Ответ не получен (ввод закончился). Чтобы согласиться без вопроса, укажите --yes.",
                exit_code=EXIT_INTERRUPTED,
            )
        answer = line.strip().lower()
        if answer in {"да", "д", "yes", "y"}:
            return True
        if answer in {"нет", "н", "no", "n"}:
            return False
        print("Ответьте «да» или «нет».")


def pick(
    candidates: Sequence[Path],
    value: str | None,
    *,
    what: str,
    flag: str,
    stdin: TextIO | None = None,
) -> Path:
    """One of ``candidates``: by ``value`` (a number, a name or a path) or by asking.

    ``value`` comes from a flag such as ``--part``; without it and with one candidate that
    one is taken, with several the chooser asks.
    """
    if value is not None:
        text = str(value).strip()
        if text.isdigit() and candidates:
            number = int(text)
            if 1 <= number <= len(candidates):
                return candidates[number - 1]
            raise UserError(f"Номер {number} вне списка: {what} — от 1 до {len(candidates)}.")
        for c in candidates:
            if text in (c.name, c.stem):
                return c
        path = Path(text).expanduser()
        if path.is_file():
            return path.resolve()
        names = ", ".join(c.name for c in candidates) or "нет ни одного"
        raise UserError(f"Не найдено: «{text}». Доступные {what}: {names}.")
    if not candidates:
        raise UserError(f"Нет ни одного подходящего файла ({what}).")
    if len(candidates) == 1:
        return candidates[0]
    index = choose([c.name for c in candidates], f"Выберите {what}:", flag, stdin=stdin)
    return candidates[index]


def progress(
    iterable: Iterable[T], desc: str, total: float | None = None, unit: str = "шт", *, enabled: bool = True
) -> Any:
    """A tqdm progress bar in Russian; silent when the output is not a terminal or ``enabled`` is off."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, disable=None if enabled else True, dynamic_ncols=True)
