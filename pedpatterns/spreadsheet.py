"""CSV files meant for Excel: a text cell never runs as a formula.

Excel and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, by the
OWASP CSV-injection advice, a tab or a carriage return) as a formula. The project writes words
it does not control into such files — a teacher's name from lessons.csv, what Whisper heard, a
pattern name from the labelling interface — so ``=HYPERLINK(...)`` in a transcript would become
a live link (or worse) in the teacher's spreadsheet. OWASP's remedy is used: such a text cell
gets a leading apostrophe, so it stays readable and is shown as text. Numbers are left alone:
a negative number must stay a number for sums and charts.

Only files written for people get this treatment. processed_data/<part>/segments.csv is the
stages' own data, read back by pandas; it has no BOM (Excel would garble its Cyrillic anyway)
and is written as is, so every reader gets back exactly what Whisper heard.
"""

from __future__ import annotations

import csv
import io
import numbers
import re
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number written as text ("-2", "+0,5", "-1e-3") is read by Excel as a number, not run.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def cell(value: Any) -> Any:
    """One cell as written: None is empty, a number is untouched, formula-like text gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, numbers.Number):  # numpy numbers included; bool is a Number too and stays as is
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through :func:`cell`."""
    return [cell(v) for v in values]


def csv_text(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV file for Excel (header and rows neutralised); the caller adds the BOM Excel needs."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(row(header))
    writer.writerows(row(r) for r in rows)
    return buffer.getvalue()
