"""The house keeps its rules: imports point one way, only the command line knows argparse, no sys.path edits."""

from __future__ import annotations

import re
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
    assert "2 kept, 0 broken" in done.stdout, done.stdout


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
    assert rooms == {"cli", "prepare", "labelstudio", "labels", "dataset", "models", "report"}
    basics = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}  # python -m pedpatterns doctor
    assert basics == {"errors", "layout", "fsutil", "locks", "patterns", "progress", "schema", "tokens", "synthetic",
                      "spreadsheet", "optional", "words"}


def test_bench_and_tools_stand_without_tests() -> None:
    """bench/ and tools/ build their projects with pedpatterns.synthetic, never with the tests' helpers."""
    reach = [p.relative_to(REPO).as_posix() for folder in ("bench", "tools") for p in (REPO / folder).glob("*.py")
             if re.search(r"^\s*(from|import) tests\b", p.read_text(encoding="utf-8"), re.M)]
    assert reach == []


def test_test_modules_do_not_import_each_other() -> None:
    """Shared test helpers live in helper modules (conftest, faultkit, datasetkit…), not in other tests."""
    reach = [p.name for p in (REPO / "tests").rglob("test_*.py")
             if re.search(r"^\s*from (tests(\.scripts)?)?\.?test_\w+ import", p.read_text(encoding="utf-8"), re.M)]
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
