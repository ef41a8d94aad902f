"""The hand-written field tables of docs/outputs.md, read back so tests can hold real files against them."""

from __future__ import annotations

import re

from tests.support.tools import REPO

OUTPUTS = REPO / "docs" / "outputs.md"


def documented_fields(heading: str) -> dict[str, str]:
    """The rows of the table under ``### heading`` in docs/outputs.md: each `field` of a row's first cell → the row."""
    section = OUTPUTS.read_text(encoding="utf-8").split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {field: row for row in rows for field in re.findall(r"`(\w+)`", row.split(" | ")[0])}
