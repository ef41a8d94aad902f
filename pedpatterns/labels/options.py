"""The labelled set's default, in a module that imports nothing heavy.

Merging the experts' answers (labelled.py, with pandas) and the parsers that show the default in
``--help`` both read it from here; the parsers load no pandas for it.
"""

from __future__ import annotations

DEFAULT_MIN_SHARE = 0.5  # a pattern counts for a segment when at least this share of its annotators chose it
