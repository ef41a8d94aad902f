"""The names the labelling interface gives its tags, and the URL prefix of the files it shows.

They are the export's contract: Label Studio names the export's columns (and the JSON's
``from_name`` and ``data`` keys) after the tags, so the interface (``labelstudio.config``), the
tasks and the export reader (:mod:`pedpatterns.labels.exports`) take them from this one place.
"""

from __future__ import annotations

LOCAL_FILES_PREFIX = "/data/local-files/?d="

IMAGE_TAG = "image"
AUDIO_TAG = "audio"
TEXT_TAG = "text"
CHOICES_TAG = "pattern"
