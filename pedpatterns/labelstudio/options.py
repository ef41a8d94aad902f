"""Part 2's defaults that the command line shows, in a module that imports nothing heavy.

Reading the experts' labels (exports.py, with pandas) and talking to Label Studio (project.py, with
requests) import these from here; the parsers read them without loading either.
"""

from __future__ import annotations

DEFAULT_MIN_SHARE = 0.5  # a pattern counts for a segment when at least this share of its annotators chose it
DEFAULT_TITLE = "Педагогические паттерны"  # the Label Studio project's name
