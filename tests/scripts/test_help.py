"""``--help`` of every command loads no heavy library: the parsers read the stages' light options modules.

Each command's help is printed in a fresh process (runpy, as the shell would start it); afterwards none of
scikit-learn, pandas, TensorFlow/Keras or torch may be in ``sys.modules``. Their speed is measured in
bench/bench_help.py, not here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "pandas", "tensorflow", "keras", "torch")
SCRIPTS = ("prepare_data.py", "create_image_dataset.py", "upload_dataset.py", "find_patterns.py", "auto_classifier.py")
MODULE = "pedpatterns.labelstudio"

# Prints the help to stdout as usual, then one last line: the exit code and the heavy modules loaded.
PROBE = f"HEAVY = {HEAVY!r}\n" + """
import runpy, sys
target = sys.argv[1]
sys.argv = [target, *sys.argv[2:]]
try:
    if target.endswith(".py"):
        runpy.run_path(target, run_name="__main__")
    else:
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as exc:
    code = exc.code or 0
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
print("\\nPROBE", code, ",".join(heavy) or "-")
"""


def _help(target: str, *args: str) -> tuple[int, str, str]:
    """(exit code, help text, heavy modules loaded) of ``target --help`` run in a fresh process."""
    done = subprocess.run([sys.executable, "-c", PROBE, target, *args, "--help"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    text, _, probe = done.stdout.rpartition("\nPROBE ")
    code, heavy = probe.split()
    return int(code), text, heavy


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_help_loads_no_heavy_library(script: str) -> None:
    code, text, heavy = _help(script)
    assert code == 0
    assert "Использование:" in text and script in text and "--root" in text
    assert heavy == "-", f"{script} --help загрузил: {heavy}"


@pytest.mark.parametrize("command", ["", "queue", "server", "connect", "backend", "questions"])
def test_labelstudio_help_loads_no_heavy_library(command: str) -> None:
    code, text, heavy = _help(MODULE, *([command] if command else []))
    assert code == 0
    assert "Использование:" in text and f"python -m {MODULE}" in text
    assert heavy == "-", f"python -m {' '.join([MODULE, command]).strip()} --help загрузил: {heavy}"
