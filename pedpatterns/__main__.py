"""`python -m pedpatterns doctor`: the checks before work (pedpatterns/cli/doctor.py)."""

from __future__ import annotations

import sys

from pedpatterns.cli import doctor

COMMANDS = {"doctor": doctor.main}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(f"Использование: python -m pedpatterns {{{','.join(COMMANDS)}}} [--help]", file=sys.stderr)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
