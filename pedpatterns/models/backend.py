"""Label Studio's ML backend: live suggestions while experts label, and a model that learns from their Submit.

(Being written by the lead; the public entry point is :func:`serve`.)
"""

from __future__ import annotations

from collections.abc import Callable

from pedpatterns.layout import Layout
from pedpatterns.models.options import BackendOptions


def serve(layout: Layout, options: BackendOptions, log: Callable[[str], None] = print) -> int:
    """Serve until Ctrl+C (or SIGTERM); the exit code."""
    raise NotImplementedError
