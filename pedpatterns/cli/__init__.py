"""What the five scripts share: Russian argparse, the numbered chooser, progress bars, exit codes.

The scripts stay thin: they build a parser here, call the library, and let :func:`run`
turn a :class:`~pedpatterns.errors.UserError` into a Russian message and an exit code.
Besides this module: flags (flag groups several scripts share), labelstudio (the command
``python -m pedpatterns.labelstudio``), doctor (``python -m pedpatterns doctor``).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pedpatterns import fsutil
from pedpatterns.errors import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    EXIT_USER_ERROR,
    UserError,
    os_error_message,
)
from pedpatterns.layout import Layout, default_root

T = TypeVar("T")
OptionsT = TypeVar("OptionsT")


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
        # "--threshold -inf" or "-1e3" is a bad value for the type to refuse, not an unknown option.
        self._negative_number_matcher = _NEGATIVE_NUMBER
        self.add_argument("-h", "--help", action="help", help="показать эту справку и выйти")

    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage, «Ошибка: …» in Russian (the same word as every other refusal), exit code 2."""
        self.print_usage(sys.stderr)
        command = self.prog if self.prog.startswith("python ") else f"python {self.prog}"
        sys.stderr.write(
            f"Ошибка: {_in_russian(message)}\n"
            f"Подробная справка: {command} --help\n"
        )
        sys.exit(EXIT_USAGE)


# argparse's own messages (Python 3.11), in the words the rest of the command speaks.
_NEGATIVE_NUMBER = re.compile(r"^-(\.?\d|inf|nan)", re.IGNORECASE)
_ARGPARSE_RUSSIAN = [
    (re.compile(r"^argument (\S+?): "), r"параметр \1: "),
    (re.compile(r"expected one argument"), "после параметра нужно значение"),
    (re.compile(r"expected at least one argument"), "после параметра нужно хотя бы одно значение"),
    (re.compile(r"expected at most one argument"), "после параметра можно не больше одного значения"),
    (re.compile(r"invalid choice: (.*) \(choose from (.*)\)"), r"недопустимое значение \1 (можно: \2)"),
    (re.compile(r"invalid (\S+) value: (.*)"), r"недопустимое значение \2"),
    (re.compile(r"^the following arguments are required: "), "не указаны обязательные параметры: "),
    (re.compile(r"^unrecognized arguments: "), "неизвестные параметры: "),
    (re.compile(r"^ambiguous option: (\S+) could match (.*)"), r"неоднозначный параметр \1: подходят \2"),
    (re.compile(r"not allowed with argument"), "нельзя указывать вместе с"),
]


def _in_russian(message: str) -> str:
    for pattern, replacement in _ARGPARSE_RUSSIAN:
        message = pattern.sub(replacement, message)
    return message


def make_parser(prog: str, description: str, epilog: str | None = None) -> RussianArgumentParser:
    parser = RussianArgumentParser(prog=prog, description=description, epilog=epilog)
    parser.add_argument(
        "--root",
        type=path,
        default=default_root(),
        help="папка проекта (в ней films/, part_films/, processed_data/ …)",
    )
    return parser


# --- argparse types: every flag is checked where it is parsed ------------------------------
#
# A type raises argparse.ArgumentTypeError with a Russian message that says the accepted
# range; argparse adds the flag's name and RussianArgumentParser exits with code 2. One
# flag used by several scripts has one type here, so it has one rule everywhere.


def _format(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range_text(kind: type, low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """«целое число от 1 до 64», «число больше 0 и не больше 1» … — the accepted range in words."""
    noun = "целое число" if kind is int else "число"
    if low is not None and high is not None:
        if not low_open and not high_open:
            return f"{noun} от {_format(low)} до {_format(high)}"
        if low_open and high_open:
            return f"{noun} строго между {_format(low)} и {_format(high)}"
        if not low_open:
            return f"{noun} от {_format(low)} до {_format(high)}, не включая {_format(high)}"
        return f"{noun} больше {_format(low)} и не больше {_format(high)}"
    if low is not None:
        return f"{noun} {'больше' if low_open else 'не меньше'} {_format(low)}"
    if high is not None:
        return f"{noun} {'меньше' if high_open else 'не больше'} {_format(high)}"
    return noun


def _number(text: str, kind: type, expected: str = "") -> Any:
    """``text`` as a finite int or float (a decimal comma is fine); anything else is refused."""
    expected = expected or _range_text(kind, None, None, False, False)
    raw = str(text).strip()
    if not raw:
        raise argparse.ArgumentTypeError(f"пустое значение, а нужно {expected}")
    try:
        value = kind(raw.replace(",", "."))
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"нужно {expected} (получено «{text}»)") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"нужно {expected} (получено {text})")
    return value


def number_type(
    kind: type,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    example: str = "",
    unit: str = "",
    name: str = "number",
) -> Callable[[str], Any]:
    """An argparse type accepting a finite ``kind`` in the range; the refusal states the range."""
    expected = _range_text(kind, low, high, low_open, high_open) + (f" ({unit})" if unit else "")
    hint = f"нужно {expected}" + (f", например {example}" if example else "")

    def parse(text: str) -> Any:
        value = _number(text, kind, expected + (f", например {example}" if example else ""))
        too_low = low is not None and (value <= low if low_open else value < low)
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            raise argparse.ArgumentTypeError(f"{hint} (получено {text})")
        return value

    parse.__name__ = name
    parse.__doc__ = f"argparse type: {hint}."
    return parse


def one_of(values: Sequence[float], *, name: str = "choice") -> Callable[[str], float]:
    """An argparse type accepting one of ``values`` (numbers), said in Russian when it is not."""
    listed = ", ".join(_format(v) for v in values)

    def parse(text: str) -> float:
        value = _number(text, float, f"одно из чисел {listed}")
        for v in values:
            if math.isclose(value, v):
                return v
        raise argparse.ArgumentTypeError(f"нужно одно из чисел {listed} (получено {text})")

    parse.__name__ = name
    return parse


def text(value: str) -> str:
    """argparse type: a non-empty string (an empty ``--tag ""`` would silently mean «the default»)."""
    if not str(value).strip():
        raise argparse.ArgumentTypeError("пустое значение: укажите его или уберите параметр совсем")
    return str(value).strip()


def token(value: str) -> str:
    """argparse type: an access token; a refusal says what is wrong and never repeats the token."""
    from pedpatterns.tokens import token_problem

    value = str(value).strip()
    if not value:
        raise argparse.ArgumentTypeError("пустой токен: укажите его или уберите параметр (тогда он берётся из .env)")
    problem = token_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(f"токен записан неверно: {problem}. Скопируйте его заново")
    return value


def path(value: str) -> Path:
    """argparse type: a non-empty path (``Path("")`` would silently mean the current folder)."""
    if not str(value).strip():
        raise argparse.ArgumentTypeError("пустой путь: укажите папку или файл или уберите параметр совсем")
    return Path(str(value).strip()).expanduser()


# Shares and probabilities.
share = number_type(float, low=0, high=1, low_open=True, example="0.5", name="share")
share.__doc__ = "argparse type: a share of annotators, above 0 and at most 1 (--min-share)."
fraction = number_type(float, low=0, high=1, low_open=True, high_open=True, example="0.5", name="fraction")
fraction.__doc__ = "argparse type: a probability threshold, strictly between 0 and 1 (--threshold)."
test_share = number_type(float, low=0, high=1, high_open=True, example="0.2", name="test_share")
test_share.__doc__ = "argparse type: the held-out share, 0 (nothing held out) up to but not including 1 (--test-share)."

# Counts.
positive_int = number_type(int, low=1, example="10", name="positive_int")
positive_int.__doc__ = "argparse type: a count, at least 1."
epochs = number_type(int, low=1, high=10_000, example="10", name="epochs")
batch_size = number_type(int, low=1, high=4096, example="16", name="batch_size")
jobs = number_type(int, low=1, high=64, example="2", name="jobs")
threads = number_type(int, low=0, high=1024, example="4", name="threads")
seed = number_type(int, low=0, high=2**31 - 1, example="42", name="seed")
asr_batch_size = number_type(int, low=0, high=256, example="8", name="asr_batch_size")
beam_size = number_type(int, low=1, high=50, example="5", name="beam_size")
image_size = number_type(int, low=32, high=1024, example="224", unit="пикселей", name="image_size")
project_id = number_type(int, low=1, example="3", name="project_id")

# Durations. Below these a film would be cut into thousands of pieces that hold no lesson.
part_minutes = number_type(float, low=0.1, high=600, example="10", unit="минуты", name="part_minutes")
segment_seconds = number_type(float, low=1, high=3600, example="30", unit="секунды", name="segment_seconds")
pause_seconds = number_type(float, low=0, high=600, low_open=True, example="1", unit="секунды",
                            name="pause_seconds")


def layout_from(args: argparse.Namespace) -> Layout:
    root = Path(args.root)
    if not root.is_dir():
        raise UserError(f"Папка проекта «{root}» не найдена. Укажите существующую папку в --root.")
    # Every script starts here: the temporaries of runs killed outright (kill -9, a power cut) go before any work.
    fsutil.sweep_leftovers(root)
    return Layout(root)


INTERRUPTED = ("\nПрервано пользователем. Готовые результаты сохранены, незаконченные — нет; "
               "запустите команду снова, чтобы продолжить.")


def run(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Call a script's ``main`` and turn expected failures into a message and an exit code.

    A Ctrl-C that lands inside a C callback (numba's compiler calls back into Python) is dropped by
    the interpreter with an «Exception ignored» line, and the run would end as if nothing happened
    (exit 0 with parts left undone, seen in the Ctrl-C test): the dropped interrupt is caught on its
    way to ``sys.unraisablehook`` and the run ends as interrupted (a second Ctrl-C stops it at once).
    """
    dropped = []
    previous_hook = sys.unraisablehook

    def on_unraisable(info: Any) -> None:
        if info.exc_type is not None and issubclass(info.exc_type, KeyboardInterrupt):
            dropped.append(info.exc_type)
            return
        previous_hook(info)

    sys.unraisablehook = on_unraisable
    try:
        code = main(argv) or 0
        if dropped:
            print(INTERRUPTED, file=sys.stderr)
            return EXIT_INTERRUPTED
        return code
    except UserError as exc:
        print(f"\nОшибка: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a full disk, a missing right, a name too long: the user's to fix too
        print(f"\nОшибка: {os_error_message(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        sys.unraisablehook = previous_hook


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


def options_from(args: argparse.Namespace, kind: type[OptionsT], **given: Any) -> OptionsT:
    """A stage's frozen options from the parsed flags.

    Each field is set by the flag of the same name (its ``dest``); a field no flag sets keeps
    the dataclass default, the only place a default is written (argparse shows it, read from
    the class). ``given`` sets what the command decides itself.
    """
    names = {f.name for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    values = {name: getattr(args, name) for name in names if hasattr(args, name)}
    return kind(**{**values, **given})
