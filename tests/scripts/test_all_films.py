"""prepare_data.py --all-films and find_patterns.py over new_videos/ on one machine: a whole archive per command.

A second run skips everything, a run interrupted by Ctrl-C resumes where it stopped, and a broken
film costs only itself: the others are prepared, the broken one is named at the end, exit code 1.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from pedpatterns.labelstudio.tasks import read_tasks
from pedpatterns.layout import Layout
from tests.support.media import bundled_tiny_en, lesson_clip, make_video
from tests.support.scripts import (
    PROCESS,
    assert_ok,
    assert_refused,
    leftovers,
    run_script,
    start_script,
    task_urls_resolve,
)

pytestmark = pytest.mark.slow

DONE_LINE = re.compile(r"^Часть (?P<part>.+?): \d+ сегментов за \d+ с\.$", re.M)


@pytest.fixture(scope="module")
def model() -> str:
    return bundled_tiny_en()


def films(root: Path, *seconds: float) -> Layout:
    """Films of different content (speech starts later in each), cut into 15 s parts by PROCESS."""
    layout = Layout(root)
    for number, length in enumerate(seconds):
        make_video(layout.films / f"Урок {number + 1}.mp4", length, speech_at=1 + number, speech=lesson_clip().path,
                   gop=20)
    return layout


def assert_all_processed(layout: Layout) -> list[str]:
    parts = sorted(p.stem for p in layout.list_parts())
    assert sorted(layout.processed_parts()) == parts
    keys = [(t["data"]["part"], t["data"]["segment"]) for t in read_tasks(layout.tasks_json)]
    assert len(keys) == len(set(keys)) and sorted({p for p, _ in keys}) == parts
    task_urls_resolve(layout)
    assert not leftovers(layout.root), leftovers(layout.root)
    return parts


def test_all_films_then_a_second_run_skips_everything(tmp_path: Path, model: str) -> None:
    layout = films(tmp_path / "проект", 30, 20)
    args = ["--all-films", "--whisper-model", model, *PROCESS]
    first = run_script("prepare_data.py", *args, "--jobs", "2", root=layout.root)
    assert_ok(first)
    parts = assert_all_processed(layout)
    assert len(parts) == 4
    assert Counter(m["part"] for m in DONE_LINE.finditer(first.out)) == Counter(parts)
    assert "Фильмов: 2 (нарезано сейчас: 2, с ошибкой: 0)" in first.out
    assert "Частей обработано: 4, пропущено (уже были): 0" in first.out

    started = time.monotonic()
    second = run_script("prepare_data.py", *args, root=layout.root)
    assert_ok(second)
    assert "Частей обработано: 0, пропущено (уже были): 4" in second.out
    assert "нарезано сейчас: 0" in second.out and not DONE_LINE.search(second.out)
    assert time.monotonic() - started < 30  # no model is loaded, no film probed


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path: Path, model: str) -> None:
    layout = films(tmp_path / "проект", 45, 45)
    args = ["--all-films", "--whisper-model", model, *PROCESS]
    process = start_script("prepare_data.py", *args, root=layout.root, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 180
    while not any(DONE_LINE.match(line.rstrip("\n")) for line in lines):  # one part is done
        assert process.poll() is None and time.monotonic() < deadline, "".join(lines)
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(30) == 130, process.stderr.read()
    reader.join(10)
    done_before = set(layout.processed_parts())
    assert 1 <= len(done_before) < 6, done_before
    assert not leftovers(layout.root), leftovers(layout.root)

    resumed = run_script("prepare_data.py", *args, root=layout.root)
    assert_ok(resumed)
    parts = assert_all_processed(layout)
    again = {m["part"] for m in DONE_LINE.finditer(resumed.out)}
    assert again == set(parts) - done_before, resumed.out  # only what was missing
    assert f"пропущено (уже были): {len(done_before)}" in resumed.out


def test_a_broken_film_costs_only_itself(tmp_path: Path, model: str) -> None:
    layout = films(tmp_path / "проект", 20)
    (layout.films / "Сломанный урок.mp4").write_text("это не видео", encoding="utf-8")
    result = run_script("prepare_data.py", "--all-films", "--whisper-model", model, *PROCESS, root=layout.root)
    assert_refused(result, "Не подготовлено фильмов: 1 из 2", "Сломанный урок.mp4", "запустите ту же команду", code=1)
    assert "Фильм «Сломанный урок.mp4» пропущен" in result.out
    assert len(assert_all_processed(layout)) == 2


def test_all_films_refuses_film_and_part(tmp_path: Path) -> None:
    layout = films(tmp_path / "проект", 5)
    result = run_script("prepare_data.py", "--all-films", "--film", "1", root=layout.root)
    assert result.code == 2 and "--all-films" in result.err and "Traceback" not in result.err


def test_find_patterns_prepares_every_new_video_once(tmp_path: Path, model: str) -> None:
    layout = films(tmp_path / "проект", 30, 20)
    layout.new_videos.mkdir(parents=True)
    for film in layout.list_films():
        film.rename(layout.new_videos / film.name)
    args = ["--whisper-model", model, *PROCESS]
    first = run_script("find_patterns.py", *args, "--jobs", "2", root=layout.root)
    assert_ok(first)
    parts = assert_all_processed(layout)
    assert Counter(m["part"] for m in DONE_LINE.finditer(first.out)) == Counter(parts)
    assert sorted(p.parent.name for p in layout.reports.glob("*/report.html")) == ["Урок 1", "Урок 2"]

    second = run_script("find_patterns.py", *args, root=layout.root)
    assert_ok(second)
    assert not DONE_LINE.search(second.out), second.out  # the reports come from what was processed
