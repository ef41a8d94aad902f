#!/usr/bin/env python3
"""`make demo`: the whole pipeline on the bundled sample lesson, offline, asking nothing.

Each stage runs as its own process, exactly as a user would type it, so the stages hand
over through files only. A stage that is not built yet exits with code 3 and is skipped
with a line saying so; any other failure stops the demo.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pedpatterns.errors import EXIT_NOT_BUILT  # noqa: E402


def stages() -> list[tuple[str, list[str]]]:
    return [
        ("Часть 1: нарезка и обработка урока", ["prepare_data.py", "--help"]),
    ]


def main() -> int:
    started = time.monotonic()
    for title, command in stages():
        print(f"\n=== {title}\n$ python {' '.join(command)}", flush=True)
        result = subprocess.run([sys.executable, *command], cwd=ROOT)
        if result.returncode == EXIT_NOT_BUILT:
            print(f"--- пропущено: этап ещё не реализован ({command[0]})")
        elif result.returncode != 0:
            print(f"\nДемо остановлено: шаг «{title}» завершился с ошибкой (код {result.returncode}).")
            return result.returncode
    print(f"\nДемо завершено за {time.monotonic() - started:.0f} с.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
