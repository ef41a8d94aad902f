"""The messages the code can print, read from its source, and the messages docs/troubleshooting.md quotes.

docs/troubleshooting.md quotes refusals as the user sees them, so a changed message must change the page. The
code's side is read with ``ast``, never run: every argument of ``UserError(...)`` (and of the tools'
``Failure(...)``) becomes a template in which a part known only at run time — an f-string's ``{...}``, a
parameter, a call — is :data:`ANY`. Names are followed to their string values (a local variable of the same
function, a module constant, a constant imported from another module), ``a if c else b`` gives both, ``+``
joins. :func:`os_error_templates` adds the file system's refusals (``cli.run`` prints them for an
``OSError``), rendered by ``errors.os_error_message`` itself.

The page's side: every blockquote of the page is a message. One that starts with «Ошибка:» is a refusal and must
match a refusal template; any other is a line the scripts print (a note, a warning) and must match some string of
the code. A value the page cannot know (a path, a number) is written there as an example («films/Урок 1.mp4») or
as «…».
"""

from __future__ import annotations

import ast
import errno
import itertools
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from tests.support.scripts import REPO_ROOT

ANY = "\x00"  # a part of a message known only at run time
ERROR_PREFIX = "Ошибка:"
REFUSALS = ("UserError", "Failure")  # the exceptions whose message the user reads after «Ошибка:»
MIN_LITERAL = 12  # a template with less fixed text than this would match nearly anything: left out
MAX_ALTERNATIVES = 64
PAGE = REPO_ROOT / "docs" / "troubleshooting.md"


def source_files() -> list[Path]:
    """Every file whose messages reach a user: the package, the five scripts, the tools."""
    files = sorted((REPO_ROOT / "pedpatterns").rglob("*.py"))
    files += sorted(REPO_ROOT.glob("*.py")) + sorted((REPO_ROOT / "tools").glob("*.py"))
    return [f for f in files if "testing" not in f.relative_to(REPO_ROOT).parts]


class Module:
    """One source file: its tree, its module-level assignments, and where its imported names come from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.constants: dict[str, list[ast.expr]] = {}
        for node in self.tree.body:
            for name, value in _assignments(node):
                self.constants.setdefault(name, []).append(value)
        self.imported: dict[str, tuple[str, str]] = {}  # local name -> (module, name); a module's name is ""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pedpatterns"):
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("pedpatterns"):
                        self.imported[alias.asname or alias.name] = (alias.name, "")

    def function_of(self, node: ast.AST) -> ast.AST | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None


def _assignments(node: ast.AST) -> Iterator[tuple[str, ast.expr]]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                yield target.id, node.value
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        yield node.target.id, node.value


@cache
def module(name: str) -> Module | None:
    """A module of the package by its dotted name (``pedpatterns.prepare.speech``)."""
    base = REPO_ROOT / Path(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return Module(path)
    return None


def _join(alternatives: list[list[str]]) -> list[str]:
    joined = ["".join(parts) for parts in itertools.product(*alternatives)]
    return joined[:MAX_ALTERNATIVES]


def templates(node: ast.expr, mod: Module, depth: int = 0) -> list[str]:
    """The texts ``node`` can evaluate to, with :data:`ANY` for each part known only at run time."""
    if depth > 6:
        return [ANY]
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else [ANY]
    if isinstance(node, ast.JoinedStr):
        return _join([_field(v, mod, depth) for v in node.values])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _join([templates(node.left, mod, depth + 1), templates(node.right, mod, depth + 1)])
    if isinstance(node, ast.IfExp):
        return (templates(node.body, mod, depth + 1) + templates(node.orelse, mod, depth + 1))[:MAX_ALTERNATIVES]
    if isinstance(node, ast.Name):
        return _name(node, mod, depth)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in mod.imported:
        where, name = mod.imported[node.value.id]
        other = module(f"{where}.{name}" if name else where)
        if other and node.attr in other.constants:
            return _values(other.constants[node.attr], other, depth)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"):
        # "…{why}…".format(why=…): each replacement field is a run-time part
        return [re.sub(r"\{[^{}]*\}", ANY, t) for t in templates(node.func.value, mod, depth + 1)]
    return [ANY]


def _field(value: ast.expr, mod: Module, depth: int) -> list[str]:
    """A piece of an f-string: its text, a name followed to its strings, or :data:`ANY`."""
    if isinstance(value, ast.Constant):
        return templates(value, mod, depth + 1)
    if (isinstance(value, ast.FormattedValue) and value.conversion == -1 and value.format_spec is None
            and isinstance(value.value, (ast.Name, ast.Attribute))):
        return templates(value.value, mod, depth + 1)
    return [ANY]


def _values(values: list[ast.expr], mod: Module, depth: int) -> list[str]:
    return [t for v in values for t in templates(v, mod, depth + 1)][:MAX_ALTERNATIVES]


def _name(node: ast.Name, mod: Module, depth: int) -> list[str]:
    function = mod.function_of(node)
    if function is not None:
        local = [value for inner in ast.walk(function) for name, value in _assignments(inner) if name == node.id]
        if local:
            return _values(local, mod, depth)
        arguments = function.args  # type: ignore[attr-defined]
        if node.id in {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}:
            return [ANY]
    if node.id in mod.constants:
        return _values(mod.constants[node.id], mod, depth)
    if node.id in mod.imported:
        where, name = mod.imported[node.id]
        other = module(where)
        if other and name in other.constants:
            return _values(other.constants[name], other, depth)
    return [ANY]


def literal_length(template: str) -> int:
    return len(template.replace(ANY, "").strip())


def _calls(mod: Module, names: tuple[str, ...]) -> Iterator[ast.expr]:
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in names:
                yield node.args[0]


def os_error_templates() -> list[str]:
    """What ``cli.run`` prints for each refusal of the file system, with and without a file name."""
    from pedpatterns.errors import _OS_ADVICE, os_error_message

    codes = [*_OS_ADVICE, errno.EBADF]  # EBADF: an errno without advice of its own
    return [os_error_message(OSError(code, ANY, *names)) for code in codes for names in ((), (ANY,))]


@cache
def refusal_templates() -> tuple[str, ...]:
    """Every message a refusal can carry (UserError, the tools' Failure, the file system's refusals)."""
    found = list(os_error_templates())
    for path in source_files():
        mod = Module(path)
        for argument in _calls(mod, REFUSALS):
            found += templates(argument, mod)
    return tuple(dict.fromkeys(t for t in found if literal_length(t) >= MIN_LITERAL))


@cache
def printed_templates() -> tuple[str, ...]:
    """Every string the code holds (the texts of print(), notes, warnings), whole and piece by piece."""
    found = list(refusal_templates())
    for path in source_files():
        mod = Module(path)
        for node in ast.walk(mod.tree):
            text = isinstance(node, (ast.JoinedStr, ast.BinOp, ast.IfExp)) or (
                isinstance(node, ast.Constant) and isinstance(node.value, str))
            if text and not isinstance(mod.parents.get(node), ast.JoinedStr):
                found += templates(node, mod)
    return tuple(dict.fromkeys(t for t in found if literal_length(t) >= MIN_LITERAL))


# --- matching ------------------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """One line, single spaces: a message wrapped on the page or in a terminal reads the same."""
    return " ".join(text.split())


def _literal(piece: str) -> str:
    words = piece.split()
    if not words:
        return r"\s*"
    inner = r"\s+".join(re.escape(w) for w in words)
    return (r"\s*" if piece[:1].isspace() else "") + inner + (r"\s*" if piece[-1:].isspace() else "")


@cache
def template_regex(template: str) -> re.Pattern[str]:
    """The template as a regular expression: its fixed text word by word, any text (or none) for each :data:`ANY`."""
    return re.compile("".join(".*?" if i % 2 else _literal(p) for i, p in enumerate(re.split(f"({ANY})", template))),
                      re.DOTALL)


def matching(message: str, candidates: tuple[str, ...]) -> list[str]:
    """The templates ``message`` is an instance of (whole, not a part of it)."""
    text = normalise(message)
    return [t for t in candidates if template_regex(t).fullmatch(text)]


# --- the page -------------------------------------------------------------------------------------------------------


MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")


def page_quotes(page: Path = PAGE) -> list[str]:
    """Every blockquote of the page as one line of text (markdown's backslash escapes undone)."""
    quotes, current = [], []
    for line in [*page.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(">"):
            current.append(line[1:].strip())
        elif current:
            quotes.append(MARKDOWN_ESCAPE.sub(r"\1", normalise(" ".join(current))))
            current = []
    return quotes


def quote_with(fragment: str, page: Path = PAGE) -> str:
    """The one quote of the page containing ``fragment``."""
    found = [q for q in page_quotes(page) if fragment in q]
    assert len(found) == 1, f"на странице {len(found)} цитат с «{fragment}»: {found}"
    return found[0]


def printed_form(quote: str) -> re.Pattern[str]:
    """The quote as the terminal shows it: a name in «», «…» and a number stand for what the real run printed."""

    def wildcard(part: str) -> str:
        return "«.*?»" if part.startswith("«") else ".*?" if part == "…" else r"\d+(?:[.,:]\d+)*"

    parts = re.split(r"(«[^»]*»|…|\d+(?:[.,:]\d+)*)", quote)
    return re.compile("".join(wildcard(p) if i % 2 else _literal(p) for i, p in enumerate(parts)), re.DOTALL)
