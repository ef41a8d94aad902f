"""The report's "who talks" block, a lane per speaker, and segment clips that play offline from a moved folder.

The page is also opened in a real headless Chromium (installed with apt when missing) and
its screenshot checked for being drawn at all.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
from PIL import Image

from pedpatterns.layout import Layout
from pedpatterns.testing.synthetic import make_known_lesson
from tests.support.programs import require_program
from tests.support.reports import TURNS, report_of, with_speakers
from tests.support.scripts import copy_project


def test_who_talks_in_json_csv_and_page(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 1")
    with_speakers(layout, part, TURNS)
    data, page = report_of(layout, part)
    talk = data["talk"]
    assert talk["separated"] and talk["voices"] == 2
    assert (talk["teacher_s"], talk["pupil_s"], talk["silence_s"]) == (18.0, 6.0, 6.0)
    assert (talk["teacher_share"], talk["pupil_share"], talk["silence_share"]) == (0.6, 0.2, 0.2)
    assert talk["pupil_turns"] == 1 and talk["longest_pupil_turn_s"] == 6.0
    with layout.report_talk_csv("Урок 1").open(encoding="utf-8-sig", newline="") as handle:
        rows = {r["metric"]: r["значение"] for r in csv.DictReader(handle)}
    assert rows["teacher_share"] == "0.6" and rows["silence_s"] == "6.0" and rows["pupil_turns"] == "1"
    assert 'data-metric="teacher_share" data-value="0.6"' in page and ">60 %<" in page
    assert "<h2>Кто говорит</h2>" in page and 'class="talkbar"' in page
    # Who says what, line by line, in the segment the question and the answer fall in.
    second = data["segments"][1]["lines"]
    assert [line["speaker"] for line in second] == ["pupil", "teacher"]
    assert '<span class="who pupil">Ученик:</span>' in page


def test_not_separated_says_so_and_how_to_enable(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 1")
    with_speakers(layout, part, None, note="Голоса не разделены: движок resemblyzer не установлен.")
    data, page = report_of(layout, part)
    assert data["talk"]["separated"] is False and data["talk"]["teacher_share"] is None
    assert 'data-talk="not-separated"' in page and "tools/make.py speakers" in page
    assert "движок resemblyzer не установлен" in page
    assert data["segments"][0]["lines"] == []


def test_one_voice_is_said_and_all_speech_is_the_teachers(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 1")
    with_speakers(layout, part, [{"start": 0.0, "end": 10.0, "speaker": "teacher"},
                                 {"start": 16.0, "end": 30.0, "speaker": "teacher"}], voices=1)
    report, page = report_of(layout, part)
    assert report["talk"]["pupil_s"] == 0 and report["talk"]["teacher_share"] == 0.8
    assert "Слышен один голос" in page


def audio_links(page: str) -> list[str]:
    return re.findall(r'<audio controls preload="none" src="([^"]+)"', page)


@pytest.mark.torch
def test_segment_clips_play_offline_and_after_the_project_moves(lesson: dict, tmp_path: Path) -> None:
    """Real MP3 clips of a processed part: relative links that resolve from the page, here and moved."""
    layout = copy_project(lesson["root"], tmp_path / "здесь")
    [part] = layout.processed_parts()
    data, page = report_of(layout, part)
    links = audio_links(page)
    assert links and len(links) == len(data["segments"])
    assert not any(link.startswith(("/", "file:", "http")) for link in links)
    home = layout.report_dir("Урок 1")

    def resolved(root_home: Path) -> list[Path]:
        return [(root_home / unquote(link)).resolve() for link in links]

    assert all(p.is_file() and p.suffix == ".mp3" for p in resolved(home))
    moved = tmp_path / "флешка" / "копия проекта"
    moved.parent.mkdir()
    shutil.move(str(layout.root), str(moved))
    assert all(p.is_file() and moved in p.parents for p in resolved(Layout(moved).report_dir("Урок 1")))
    # The part was processed with the default engine: the page shows its speaker lanes and block.
    assert data["talk"]["separated"] and data["talk"]["voices"] == 1 and data["talk"]["teacher_s"] > 5


@pytest.mark.slow
def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    """A real browser draws the page: the screenshot is a page, not a blank or an error."""
    chromium = require_program("chromium")
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 1")
    with_speakers(layout, part, TURNS)
    _, _ = report_of(layout, part)
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--screenshot={shot}",
         "--window-size=1280,1800", layout.report_html("Урок 1").as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert shot.is_file(), done.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=np.int16)
    assert pixels.shape[:2] == (1800, 1280)
    teacher = np.array([0x2F, 0x66, 0x90])
    assert (np.abs(pixels - teacher).sum(axis=2) < 12).sum() > 500, "no teacher-coloured bar drawn"
    assert pixels.std() > 20


def test_silence_only_is_all_silence(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 1")
    json_path = layout.transcript_json(part)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    json_path.write_text(json.dumps({**data, "words": []}, ensure_ascii=False), encoding="utf-8")
    with_speakers(layout, part, [], voices=0)
    report, page = report_of(layout, part)
    assert report["talk"]["silence_share"] == 1.0 and report["talk"]["teacher_s"] == 0
    assert "Речи не слышно" in page
