"""Part 4a's report options and their defaults, in a module that imports nothing heavy.

find_patterns.py builds its parser from these without loading pandas, matplotlib or scikit-learn;
report/build.py imports ReportOptions from here, so each default is written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from pedpatterns.models.options import DEFAULT_THRESHOLD
from pedpatterns.prepare.options import PAUSE_SECONDS


@dataclass(frozen=True)
class ReportOptions:
    """What the report counts as found and as a pause; find_patterns.py reads its defaults here."""

    threshold: float = DEFAULT_THRESHOLD
    pause_seconds: float = PAUSE_SECONDS  # the same pause the segments' features count (lessonmetrics too)
    anonymise: bool = False  # also write the copies without names, for sharing (report/privacy.py)
