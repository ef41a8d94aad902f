"""The house keeps its rules: imports point one way, only the command line knows argparse, no sys.path edits."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "pedpatterns"


def test_import_contracts_hold() -> None:
    """import-linter checks the contracts in pyproject.toml against the real import graph."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint_imports), "--no-cache", "--no-logo"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout, done.stdout


def test_only_the_command_line_knows_argparse() -> None:
    knows = sorted(p.relative_to(REPO).as_posix() for p in PACKAGE.rglob("*.py")
                   if re.search(r"^\s*(import argparse|from argparse import)", p.read_text(encoding="utf-8"), re.M))
    assert knows and all(p.startswith("pedpatterns/cli/") for p in knows), knows


def test_no_sys_path_edits_anywhere() -> None:
    """The package is installed (editable), so nothing needs to reach into sys.path."""
    edits = [p.relative_to(REPO).as_posix() for folder in ("pedpatterns", "tests", "bench", "tools", ".")
             for p in (REPO / folder).glob("*.py" if folder == "." else "**/*.py")
             if "sys.path.insert" in p.read_text(encoding="utf-8") and p.name != "test_architecture.py"]
    assert edits == []


def test_every_stage_has_its_room() -> None:
    rooms = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert rooms == {"cli", "prepare", "labelstudio", "labels", "dataset", "models", "report", "testing"}
    basics = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}  # python -m pedpatterns doctor
    assert basics == {"errors", "layout", "fsutil", "locks", "patterns", "progress", "schema", "tokens",
                      "spreadsheet", "optional", "words"}


def test_each_room_names_its_modules_in_its_docstring() -> None:
    """A room's __init__ docstring is its map: a module added and not named there fails here."""
    for room in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()):
        doc = ast.get_docstring(ast.parse((room / "__init__.py").read_text(encoding="utf-8"))) or ""
        words = set(re.findall(r"[A-Za-z_]+", doc))
        missing = sorted(m.stem for m in room.glob("*.py") if m.stem not in ("__init__", "__main__", room.name)
                         and m.stem not in words)
        assert not missing, f"pedpatterns/{room.name}/__init__.py does not name {missing}"


def test_no_room_and_no_basic_may_import_the_test_scaffolding(tmp_path: Path) -> None:
    """The contract bites, and bites everywhere: each room and each shared basic of a copy of the package is made
    to import pedpatterns.testing, and import-linter reports every one of them (a room or basic added later and
    left out of the contract's list fails here)."""
    copy = tmp_path / "pedpatterns"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    rooms = {p.name for p in copy.iterdir() if (p / "__init__.py").is_file()} - {"testing"}
    basics = {p.stem for p in copy.glob("*.py")} - {"__init__"}
    for room in rooms:
        (copy / room / "_bites.py").write_text("from pedpatterns.testing import synthetic\n", encoding="utf-8")
    for basic in basics:
        with (copy / f"{basic}.py").open("a", encoding="utf-8") as source:
            source.write("\nfrom pedpatterns.testing.dialogues import score\n")
    lint_imports = Path(sys.executable).with_name("lint-imports")
    seen_first = {**os.environ, "PYTHONPATH": str(tmp_path), "COLUMNS": "200"}  # the copy, not the editable install
    done = subprocess.run([str(lint_imports), "--no-cache", "--no-logo", "--contract", "no-testing-in-product"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, env=seen_first)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "0 kept, 1 broken" in done.stdout, done.stdout
    reported = set(re.findall(r"^(pedpatterns\.\w+) is not allowed to import pedpatterns\.testing:", done.stdout, re.M))
    assert reported == {f"pedpatterns.{name}" for name in rooms | basics}, done.stdout


def test_the_five_scripts_never_import_the_test_scaffolding() -> None:
    """The scripts live outside the package, beyond import-linter's reach: read their imports here."""
    reach = [name for name in SCRIPTS if re.search(r"^\s*(from|import) pedpatterns\.testing\b",
                                                    (REPO / name).read_text(encoding="utf-8"), re.M)]
    assert reach == []


def test_bench_and_tools_stand_without_tests() -> None:
    """bench/ and tools/ build their projects with pedpatterns.testing.synthetic, never with the tests' helpers."""
    reach = [p.relative_to(REPO).as_posix() for folder in ("bench", "tools") for p in (REPO / folder).glob("*.py")
             if re.search(r"^\s*(from|import) tests\b", p.read_text(encoding="utf-8"), re.M)]
    assert reach == []


def test_test_modules_do_not_import_each_other() -> None:
    """Shared test helpers live in helper modules (conftest, tests/support/), not in other tests."""
    reach = [p.name for p in (REPO / "tests").rglob("test_*.py")
             if re.search(r"^\s*from (tests(\.\w+)?)?\.?test_\w+ import", p.read_text(encoding="utf-8"), re.M)]
    assert reach == []


SCRIPTS = ("prepare_data.py", "create_image_dataset.py", "upload_dataset.py", "find_patterns.py", "auto_classifier.py")


def test_the_five_scripts_run_as_processes_are_tested_in_one_place() -> None:
    """tests/scripts/ holds every test that starts one of the five scripts as a process."""
    started = re.compile(r"(run_script|start_script)\(\s*[\"'](" + "|".join(map(re.escape, SCRIPTS)) + r")[\"']")
    elsewhere = [p.relative_to(REPO).as_posix() for p in (REPO / "tests").rglob("test_*.py")
                 if p.parent.name != "scripts" and started.search(p.read_text(encoding="utf-8"))]
    assert elsewhere == []
    inside = [p for p in (REPO / "tests" / "scripts").glob("test_*.py")
              if started.search(p.read_text(encoding="utf-8"))]
    assert len(inside) >= 5
