"""One real Label Studio server for the whole test session, shared by every test that needs it.

Use it from a test module by naming this module as a plugin (or by importing the
fixture; either way the server is started once per session)::

    if TYPE_CHECKING:  # importing it for real first would stop pytest from rewriting its asserts
        from tests.support.labelstudio_server import LSServer

    pytest_plugins = ["tests.support.labelstudio_server"]

    @pytest.mark.labelstudio
    @pytest.mark.slow
    def test_something(ls_server: LSServer) -> None:
        client = ls_server.client()
        project = client.create_project(...)

``ls_server.layout`` is the project root the server serves local files from (its name
has a space and Cyrillic letters); put processed parts there with
:meth:`LSServer.make_part`, which gives every test its own part name. Each test makes its
own Label Studio project. Without ``.venv-labelstudio`` (``python tools/make.py labelstudio``, or the
folder named by ``PEDPATTERNS_LS_VENV``) these tests are skipped with that reason.
"""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from pedpatterns import patterns
from pedpatterns.labelstudio.client import LabelStudioClient
from pedpatterns.labelstudio.config import label_config_xml
from pedpatterns.labelstudio.server import (
    LS_VENV_ENV,
    LS_VENV_NAME,
    RunningServer,
    label_studio_venv,
    start_server,
    stop_server,
)
from pedpatterns.labelstudio.tasks import read_tasks, segment_tasks, update_tasks_file
from pedpatterns.layout import Layout
from pedpatterns.testing.synthetic import make_processed_part
from tests.support.scripts import REPO_ROOT
from tests.support.tiers import skip_missing

DOCUMENT_ROOT_NAME = "Проект урока с пробелом"
_counter = itertools.count(1)


@dataclass
class LSServer:
    """What a test needs of the shared server."""

    url: str
    token: str
    document_root: Path
    startup_seconds: float
    running: RunningServer

    @property
    def layout(self) -> Layout:
        return Layout(self.document_root)

    def client(self, token: str | None = None) -> LabelStudioClient:
        return LabelStudioClient(self.url, token or self.token)

    def unique(self, stem: str) -> str:
        """A name no other test of this session uses (for parts, projects, users)."""
        return f"{stem} {next(_counter):02d}"

    def queue_project(self, stem: str, title: str) -> tuple[Layout, int, str]:
        """The labelling queue's project (tests/support/research.py) inside the served root, set up in Label Studio.

        Its processed_data/ must lie under the server's document root to be connected as storage.
        """
        from pedpatterns.labels.labelled import read_segments_table
        from pedpatterns.labelstudio.project import setup_project
        from tests.support.research import make_queue_project

        layout = make_queue_project(self.document_root / self.unique(stem))
        for part in layout.processed_parts():
            layout.label_config(part).write_text(label_config_xml(patterns.default_patterns()), encoding="utf-8")
            rows = read_segments_table(layout, part).reset_index().to_dict("records")
            update_tasks_file(layout, part, segment_tasks(layout, [{**r, "part": part} for r in rows]))
        title = self.unique(title)
        report = setup_project(self.client(), layout, title)
        assert report.imported == len(read_tasks(layout.tasks_json))
        return layout, report.project_id, title

    def make_part(self, n_segments: int, *, film: str = "Урок английского 5 класс", **kwargs) -> tuple[str, list[dict]]:  # type: ignore[no-untyped-def]
        """A processed part exactly as prepare_data.py leaves it: JPEG keyframes, MP3 clips, config, tasks.json."""
        layout = self.layout
        film = self.unique(film)
        part = f"{film}_part001"
        rows = make_processed_part(layout, part, n_segments, film=film, **kwargs)
        for row in rows:
            write_mp3(layout.audio_clip(part, int(row["segment"])), frequency=300 + 40 * int(row["segment"]))
        layout.label_config(part).write_text(label_config_xml(patterns.default_patterns()),
                                             encoding="utf-8")
        update_tasks_file(layout, part, segment_tasks(layout, rows))
        return part, rows


def write_mp3(path: Path, *, frequency: int = 440, seconds: float = 0.5) -> Path:
    """A short real MP3 (a sine tone) made with the project's ffmpeg, as Part 1's clips are."""
    import imageio_ffmpeg

    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"sine=frequency={frequency}:duration={seconds}", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "32k",
         str(path)],
        check=True,
    )
    return path


_shared: LSServer | None = None


@pytest.fixture(scope="session")
def ls_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> LSServer:
    """The session's Label Studio server: started on first use, stopped when the session ends."""
    global _shared
    if _shared is not None:
        return _shared
    venv = label_studio_venv(REPO_ROOT)
    if venv is None:
        skip_missing(
            f"Label Studio не установлен: нет {REPO_ROOT / LS_VENV_NAME} "
            f"(python tools/make.py labelstudio) и не задана переменная {LS_VENV_ENV}"
        )
    base = tmp_path_factory.mktemp("labelstudio")
    document_root = base / DOCUMENT_ROOT_NAME
    document_root.mkdir()
    Layout(document_root).ensure_top_folders()
    running = start_server(document_root, base / "ls-data", venv=venv)
    request.config.add_cleanup(lambda: stop_server(running))
    _shared = LSServer(running.url, running.token, running.document_root, running.startup_seconds, running)
    print(f"\nLabel Studio запущен за {running.startup_seconds:.1f} с: {running.url}")
    return _shared
