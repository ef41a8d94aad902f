"""Projects the tests share, built once per test session and copied by each test that changes them.

``lesson`` — a real 30 s film with speech (support.media.lesson_clip) cut into two parts by prepare_data.py,
part 1 processed;
``russian_lesson`` — the Russian sample lesson processed by prepare_data.py and reported by find_patterns.py
with the bundled multilingual base (about a minute on two cores);
``labelled`` — a labelled three-part project (pedpatterns.testing.synthetic);
``built`` — ``labelled`` with dataset_foto/ built;
``trained`` — ``labelled`` plus a tiny image model trained by auto_classifier.py;
``fresh_project`` — an empty project root with its top folders, for one test;
``model_cache`` — where bundled Whisper models are assembled for the session;
``script`` — the one way tests run one of the five scripts as a process (:func:`tests.support.scripts.run_script`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pedpatterns import patterns
from pedpatterns.dataset import build
from pedpatterns.labels.labelled import load_labeled_segments
from pedpatterns.layout import Layout
from pedpatterns.prepare import features, speech
from tests.support.media import NO_SHARED_MEDIA, bundled_tiny_en, lesson_clip, make_video, require_shared_media
from tests.support.scripts import FAST_TRAIN, FILM, PROCESS, Result, assert_ok, copy_project, make_labelled, run_script
from tests.support.tools import load_tool


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bundled Whisper models are assembled into the session's own cache, never into the user's."""
    folder = tmp_path_factory.mktemp("model-cache")
    os.environ["PEDPATTERNS_CACHE"] = str(folder)  # the scripts the tests start inherit it
    return folder


@pytest.fixture(scope="session", autouse=True)
def librosa_compiled() -> None:
    """librosa's numba code compiled (or loaded from its cache) before any test's clock starts: on a fresh install
    the first compile takes about 20 s, a cost of the install and not of the test that happens to come first
    (tests/support/tiers.py times each test's body)."""
    features.warm_up()


@pytest.fixture(scope="session")
def lesson(tmp_path_factory: pytest.TempPathFactory) -> dict:
    model = bundled_tiny_en()
    root = tmp_path_factory.mktemp("lesson") / "урок проект"
    layout = Layout(root)
    make_video(layout.films / f"{FILM}.mp4", 30, speech_at=2, speech=lesson_clip().path, gop=20)
    args = ["--whisper-model", model, *PROCESS]
    result = run_script("prepare_data.py", *args, "--part", "1", root=root)
    return {"root": root, "args": args, "result": result}


@pytest.fixture(scope="session")
def russian_lesson(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """films/Урок русского языка 5 класс.mp4 as a user runs it: prepared (one part) and reported, in Russian.

    Also in new_videos/, a copy with the same content: find_patterns.py reuses the processed part.
    """
    tool = load_tool()
    video = tool.RUSSIAN.out
    layout = Layout(tmp_path_factory.mktemp("russian") / "русский урок")
    layout.ensure_top_folders()
    for folder in (layout.films, layout.new_videos):
        shutil.copy2(video, folder / video.name)
    args = ["--whisper-model", speech.BUNDLED, "--language", "ru"]
    prepared = run_script("prepare_data.py", "--film", video.name, "--all", "--yes", *args, root=layout.root,
                          timeout=600)
    reported = run_script("find_patterns.py", *args, root=layout.root, timeout=600)
    return {"layout": layout, "stem": video.stem, "tool": tool, "lesson": tool.RUSSIAN,
            "timeline": tool.expected_timeline(tool.RUSSIAN), "prepared": prepared, "reported": reported}


@pytest.fixture(scope="session")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_labelled(tmp_path_factory.mktemp("labelled") / "проект").root


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, labelled: Path) -> Path:
    layout = copy_project(labelled, tmp_path_factory.mktemp("built"))
    known = patterns.default_patterns()
    build.build_dataset(layout, load_labeled_segments(layout, known_patterns=known), known)
    return layout.root


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, labelled: Path) -> Path:
    layout = copy_project(labelled, tmp_path_factory.mktemp("trained"))
    assert_ok(run_script("auto_classifier.py", "--mode", "train", *FAST_TRAIN, root=layout.root, timeout=600))
    assert layout.image_model.is_file() and layout.mlb.is_file()
    return layout.root


@pytest.fixture
def fresh_project(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "проект")
    layout.ensure_top_folders()
    return layout


@pytest.fixture(scope="session")
def script() -> Callable[..., Result]:
    return run_script


# --- realvoice: the checks of accuracy on real voices from ../shared/media --------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A check marked realvoice is skipped without ../shared/media (failed with PEDPATTERNS_REQUIRE_MEDIA=1)."""
    if item.get_closest_marker("realvoice") is not None:
        require_shared_media()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One visible line when checks on real voices were skipped, so a green run does not hide them."""
    skipped = {report.nodeid for report in terminalreporter.stats.get("skipped", []) if "realvoice" in report.keywords}
    if skipped:
        terminalreporter.write_line(f"Проверки на настоящих голосах пропущены: {len(skipped)} ({NO_SHARED_MEDIA})",
                                    yellow=True, bold=True)
