#!/usr/bin/env python3
"""`pip check` that accepts exactly the two known, substituted requirements of resemblyzer 0.1.4, and nothing else.

resemblyzer 0.1.4 (installed with --no-deps by requirements-speakers.txt) declares two requirements that are wrong
on Python 3.10-3.12:

* ``typing``: a backport for Python < 3.5; the standard library has had the module since 3.5;
* ``webrtcvad``: the original imports pkg_resources, removed in setuptools >= 81; ``webrtcvad-wheels``
  provides the same ``webrtcvad`` module.

Such a line is accepted only when its substitute really imports; any other complaint fails as ``pip check`` would.

    python tools/pip_check.py
"""

from __future__ import annotations

import importlib
import subprocess
import sys

# (distribution, requirement) → the module that must import in its place.
SUBSTITUTED = {
    ("resemblyzer", "typing"): "typing",
    ("resemblyzer", "webrtcvad"): "webrtcvad",
}


def accepted(line: str) -> str | None:
    """The substitute module of a known line ("resemblyzer 0.1.4 requires typing, which is not installed.")."""
    words = line.lower().split()
    if len(words) >= 4 and words[2] == "requires" and line.endswith("which is not installed."):
        module = SUBSTITUTED.get((words[0], words[3].rstrip(",")))
        if module:
            try:
                importlib.import_module(module)
            except ImportError:
                return None
            return module
    return None


def main() -> int:
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, check=False)
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode == 0:
        print(done.stdout.strip())
        return 0
    problems = []
    for line in lines:
        module = accepted(line)
        if module:
            print(f"принято: {line} (модуль «{module}» импортируется: см. requirements-speakers.txt)")
        else:
            problems.append(line)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print("No broken requirements found (кроме двух известных замен resemblyzer).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
