"""Part 2's defaults that the command line shows, in a module that imports nothing heavy.

Talking to Label Studio (project.py, with requests) imports these from here; the parsers read them
without loading it. The share of experts a pattern needs is the labelled set's: pedpatterns.labels.options.
"""

from __future__ import annotations

DEFAULT_TITLE = "Педагогические паттерны"  # the Label Studio project's name

# Where the ML backend (models/backend.py) listens, and Label Studio (`server`, `connect`).
DEFAULT_BACKEND_HOST = "127.0.0.1"  # this machine only: the backend reads the project's files and needs no password
DEFAULT_BACKEND_PORT = 9090  # the port Label Studio's own ML backend examples use
DEFAULT_SERVER_PORT = 8080  # Label Studio's own default
DEFAULT_BACKEND_URL = f"http://{DEFAULT_BACKEND_HOST}:{DEFAULT_BACKEND_PORT}"
