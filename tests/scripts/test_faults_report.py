"""find_patterns.py against hostile names and a tired teacher's lessons.csv (issue «Trust, second round»).

Each test starts the real script on a project whose parts are already processed (no Whisper),
so what is checked is what a teacher gets: the exit code, the Russian message, the files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from pedpatterns.layout import Layout, safe_stem
from pedpatterns.testing.synthetic import make_known_lesson
from tests.support.scripts import assert_ok, assert_refused, run_script, tree

TEX_FILM = r"Урок $x^2$ и $\frac{a}{$"  # matplotlib once read this as TeX and raised
FORMULA_FILM = "=1+1 Урок"
HEARD = '=HYPERLINK("http://evil.example","нажми")'


def _project(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "проект уроков")
    layout.ensure_top_folders()
    make_known_lesson(layout, safe_stem(TEX_FILM))
    # The film keeps its own name; its parts and report carry the safe one, as cutting makes them.
    (layout.new_videos / f"{safe_stem(TEX_FILM)}.mp4").rename(layout.new_videos / f"{TEX_FILM}.mp4")
    make_known_lesson(layout, FORMULA_FILM, text=HEARD)
    make_known_lesson(layout, "Урок 10_30")  # the folder of «Урок 10:30.mp4»
    return layout


def _cells(path: Path) -> list[str]:
    return [c for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))) for c in r]


@pytest.mark.slow
def test_tex_and_formulas_in_names_and_words_cost_no_report_and_reach_no_cell(tmp_path: Path) -> None:
    layout = _project(tmp_path)
    layout.lessons_csv.write_text(
        "видео;учитель;класс;дата\n"
        f"{TEX_FILM}.mp4;$\\sqrt{{$;-2+3;2026-11-20\n"
        f"{FORMULA_FILM}.mp4;@SUM(1);5 А;2026-11-21\n"
        "Урок 10:30.mp4;=cmd|' /C calc'!A0;5 А;2026-11-22\n", encoding="utf-8")
    result = run_script("find_patterns.py", root=layout.root)
    assert_ok(result)
    for stem in (safe_stem(TEX_FILM), FORMULA_FILM, "Урок 10_30"):
        assert layout.report_html(stem).is_file(), result.err
    assert layout.reports_index.is_file() and layout.lessons_over_time_png.is_file()
    over_time = list(csv.DictReader(io.StringIO(layout.lessons_over_time_csv.read_text(encoding="utf-8-sig"))))
    assert [(r["урок"], r["учитель"], r["дата"]) for r in over_time] == [
        (safe_stem(TEX_FILM), "$\\sqrt{$", "2026-11-20"), ("'" + FORMULA_FILM, "'@SUM(1)", "2026-11-21"),
        ("Урок 10_30", "'=cmd|' /C calc'!A0", "2026-11-22")]
    assert over_time[0]["класс"] == "'-2+3" and float(over_time[0]["длительность, мин"]) == 0.5
    segments = _cells(layout.report_segments_csv(FORMULA_FILM))
    assert "'" + HEARD in segments and HEARD not in segments
    for path in [layout.lessons_over_time_csv, *layout.reports.glob("*/*.csv")]:
        assert not [c for c in _cells(path) if c[:1] in ("=", "@", "\t", "\r")], path


@pytest.mark.slow
def test_one_video_with_two_dates_in_lessons_csv_is_refused_naming_the_lines(tmp_path: Path) -> None:
    """The lessons' reports are written; the summary is not rebuilt with a lesson silently moved."""
    layout = _project(tmp_path)
    layout.lessons_csv.write_text("video,date\nУрок 10:30.mp4,2026-11-20\n=1+1 Урок.mp4,2026-11-21\n"
                                  "Урок 10_30.MP4,2026-11-27\n", encoding="utf-8")
    result = run_script("find_patterns.py", root=layout.root)
    assert_refused(result, "lessons.csv", "«Урок 10_30» записан дважды по-разному", "в строке 2 и в строке 4")
    assert layout.report_html("Урок 10_30").is_file() and not layout.reports_index.exists()
    before = tree(layout.root)
    layout.lessons_csv.write_text("video,date\nУрок 10:30.mp4,2026-11-20\n=1+1 Урок.mp4,2099-11-21\n",
                                  encoding="utf-8")
    again = run_script("find_patterns.py", "--video", "Урок 10_30.mp4", root=layout.root)  # the fixed file: it runs
    assert_ok(again)
    page = layout.reports_index.read_text(encoding="utf-8")
    assert "lessons.csv, строка 3: дата 2099-11-21" in page and "ещё не наступила" in page
    assert set(before) <= set(tree(layout.root))
