"""Lessons over time (issue 15): dates from lessons.csv or the file name, numbers in date order, plots and CSV."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure

from pedpatterns import schema
from pedpatterns.errors import UserError
from pedpatterns.layout import Layout, safe_stem
from pedpatterns.report import page, timeline
from pedpatterns.report.build import (
    ReportOptions,
    analyse_lesson,
    existing_reports,
    write_index,
    write_report,
)
from pedpatterns.testing.synthetic import make_known_lesson


def test_dates_are_read_from_names_and_wrong_ones_are_refused() -> None:
    assert timeline.date_in_name("Урок 2026-11-25 5А") == date(2026, 11, 25)
    assert timeline.date_in_name("lesson_25.11.2026") == date(2026, 11, 25)
    assert timeline.date_in_name("урок20261125") == date(2026, 11, 25)
    assert timeline.date_in_name("Урок 2026-02-31") is None and timeline.date_in_name("Урок 5") is None
    assert timeline.parse_date("31.02.2026") is None and timeline.parse_date("2026/11/05") == date(2026, 11, 5)


def _lessons(layout: Layout, names: list[str]) -> None:
    for name in names:
        part = make_known_lesson(layout, name)
        write_report(layout, analyse_lesson(layout, name, [part], None, ReportOptions()))


def test_index_compares_lessons_in_date_order_with_talk_shares(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    _lessons(layout, ["Урок Б", "Урок 2026-09-01", "Урок без даты"])
    # Speakers of one lesson, as issue 14 writes them: the teacher talks 10 s of 30.
    path = layout.transcript_json("Урок Б_part001")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["turns"] = [{"start": 0, "end": 10, "speaker": "teacher"}, {"start": 16, "end": 22, "speaker": "pupil"}]
    path.write_text(json.dumps(data), encoding="utf-8")
    layout.lessons_csv.write_text("видео;учитель;класс;дата\nУрок Б.mp4;Иванова М. П.;5 А;20.10.2026\n",
                                  encoding="utf-8")

    index = write_index(layout)
    rows = list(csv.DictReader(io.StringIO(layout.lessons_over_time_csv.read_text(encoding="utf-8-sig"))))
    assert [r["урок"] for r in rows] == ["Урок 2026-09-01", "Урок Б", "Урок без даты"]
    assert [r["откуда дата"] for r in rows] == ["имя файла", "lessons.csv", ""]
    assert rows[1]["учитель"] == "Иванова М. П." and rows[1]["дата"] == "2026-10-20"
    assert float(rows[1]["доля речи учителя"]) == pytest.approx(1 / 3, abs=1e-3)
    assert float(rows[1]["доля речи учеников"]) == pytest.approx(0.2)
    assert rows[0]["доля речи учителя"] == "" and rows[0]["вопросов за 10 минут"] == "20.0"
    assert layout.lessons_over_time_png.read_bytes().startswith(b"\x89PNG")
    html = index.read_text(encoding="utf-8")
    assert "Уроки по времени" in html and "Нет даты у уроков: «Урок без даты»" in html
    assert html.index("2026-09-01</td>") < html.index("2026-10-20</td>")


def test_a_lessons_csv_with_a_wrong_date_names_the_line(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    _lessons(layout, ["Урок 1", "Урок 2"])
    layout.lessons_csv.write_text("video,teacher,class,date\nУрок 1.mp4,А,5,2026-11-20\nУрок 2.mp4,А,5,31.02.2026\n",
                                  encoding="utf-8")
    with pytest.raises(UserError, match=r"строка 3: «31\.02\.2026» — не дата"):
        write_index(layout)
    layout.lessons_csv.write_text("имя;когда\nУрок 1;2026-11-20\n", encoding="utf-8")
    with pytest.raises(UserError, match="нет колонки с именем видео"):
        write_index(layout)


# --- lessons.csv written by a tired teacher, names written by an attacker (issue «Trust, second round») ---


def _rows_csv(layout: Layout) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(layout.lessons_over_time_csv.read_text(encoding="utf-8-sig"))))


@pytest.mark.parametrize("second", ["Урок 1.mp4;Б;5;2026-11-21", "урок/Урок 1.MP4;А;5;2026-11-21",
                                    "Урок 1;А;6;2026-11-20", "C:\\Уроки\\Урок 1.mov;А;5;"])
def test_one_video_on_two_rows_that_disagree_is_refused_naming_both_lines(tmp_path: Path, second: str) -> None:
    path = tmp_path / "lessons.csv"
    path.write_text(f"видео;учитель;класс;дата\nУрок 1.mp4;А;5;2026-11-20\nУрок 2.mp4;А;5;\n{second}\n",
                    encoding="utf-8")
    with pytest.raises(UserError, match=r"«Урок 1» записан дважды по-разному: в строке 2 и в строке 4"):
        timeline.read_lessons_csv(path)


def test_the_same_row_twice_is_no_conflict(tmp_path: Path) -> None:
    path = tmp_path / "lessons.csv"
    path.write_text("video,teacher,class,date\nУрок 1.mp4,А,5,2026-11-20\nУрок 1,А,5,20.11.2026\n", encoding="utf-8")
    assert timeline.read_lessons_csv(path)["Урок 1"].date == date(2026, 11, 20)


@pytest.mark.parametrize(("written", "folder"), [
    ("Урок 10:30.mp4", "Урок 10_30"), ("Урок 10:30", "Урок 10_30"), ("Урок 5.1", "Урок 5.1"),
    ("Урок 5.1.MKV", "Урок 5.1"), ("C:\\Уроки\\5 А\\Урок*1?.mp4", "Урок_1_"), ("/home/u/Урок 1.webm", "Урок 1"),
    ("  Урок 1.mp4  ", "Урок 1"), ("Урок \"A|B\".mp4", "Урок _A_B_"), ("Урок\u0438\u0306.mp4", "Урок\u0439"),
])
def test_a_row_is_matched_to_the_report_folder_name(written: str, folder: str) -> None:
    assert timeline.video_key(written) == folder


def test_a_backslash_is_read_both_as_a_windows_path_and_as_part_of_a_linux_name() -> None:
    assert timeline.video_keys(r"Урок $\frac{a}{$.mp4") == ["Урок $_frac{a}{$", "frac{a}{$"]
    assert timeline.video_keys(r"D:\Уроки\Урок 1.mp4")[-1] == "Урок 1"


@pytest.mark.slow
def test_a_lesson_with_a_colon_in_its_name_gets_its_row(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    _lessons(layout, ["Урок 10_30", "Урок 2"])  # the folders of «Урок 10:30.mp4» and «Урок 2.mp4»
    layout.lessons_csv.write_text("видео,учитель,дата\nУрок 10:30.mp4,Иванова,2026-11-20\n", encoding="utf-8")
    write_index(layout)
    row = next(r for r in _rows_csv(layout) if r["урок"] == "Урок 10_30")
    assert (row["учитель"], row["дата"], row["откуда дата"]) == ("Иванова", "2026-11-20", "lessons.csv")


@pytest.mark.parametrize(("written", "says"), [("1989-12-31", "раньше 1990 года"), ("01.01.1900", "раньше 1990"),
                                               ("2026-12-09", "ещё не наступила"), ("2099-01-01", "не наступила")])
def test_a_date_before_1990_or_in_the_future_is_a_warning_naming_the_line(tmp_path: Path, written: str,
                                                                          says: str) -> None:
    path = tmp_path / "lessons.csv"
    path.write_text(f"video,date\nУрок 0.mp4,2026-12-07\nУрок 1.mp4,{written}\n", encoding="utf-8")
    warnings: list[str] = []
    infos = timeline.read_lessons_csv(path, warnings, today=date(2026, 12, 7))
    assert infos["Урок 1"].date == timeline.parse_date(written)  # kept: the teacher may mean it
    assert len(warnings) == 1 and "строка 3" in warnings[0] and says in warnings[0] and "«Урок 1.mp4»" in warnings[0]
    assert timeline.read_lessons_csv(path, [], today=date(2026, 12, 6))["Урок 0"].date == date(2026, 12, 7)


@pytest.mark.slow
def test_a_far_date_is_shown_on_the_summary_page(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    _lessons(layout, ["Урок 1", "Урок 2"])
    layout.lessons_csv.write_text("video,date\nУрок 1.mp4,2099-01-01\nУрок 2.mp4,1900-01-01\n", encoding="utf-8")
    html = write_index(layout).read_text(encoding="utf-8")
    assert "строка 2: дата 2099-01-01" in html and "строка 3: дата 1900-01-01" in html


EVIL = ['=HYPERLINK("http://evil.example","x")', "-2+3", "@SUM(1)", "+1+1", "\t=1", "=cmd|' /C calc'!A0"]


@pytest.mark.slow
def test_no_name_or_heard_word_reaches_a_csv_cell_as_a_formula(tmp_path: Path) -> None:
    """Film names, lessons.csv and Whisper's words end in lessons_over_time.csv and the report's CSVs as text."""
    layout = Layout(tmp_path / "проект")
    names = ["=1+1 Урок", "-2+3", "@SUM(1)"]
    for name, said in zip(names, EVIL, strict=False):
        part = make_known_lesson(layout, name, text=said)
        write_report(layout, analyse_lesson(layout, name, [part], None, ReportOptions()))
    layout.lessons_csv.write_text(
        "video;teacher;class;date\n" + "".join(f"{n}.mp4;{EVIL[i + 3]};{EVIL[i]};2026-11-2{i}\n"
                                              for i, n in enumerate(names)), encoding="utf-8")
    write_index(layout)
    files = [layout.lessons_over_time_csv] + [layout.report_dir(n) / f for n in names
                                               for f in ("segments.csv", "lesson_metrics.csv", "who_talks.csv")]
    for path in files:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        for cell in (c for r in rows for c in r):
            text_number = cell.lstrip("+-").replace(".", "", 1).replace("e-", "", 1).isdigit()
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or text_number, f"{path}: {cell!r}"
    over_time = _rows_csv(layout)
    assert {r["урок"] for r in over_time} == {"'=1+1 Урок", "'-2+3", "'@SUM(1)"}
    assert {r["учитель"] for r in over_time} == {"'+1+1", "'=1", "'=cmd|' /C calc'!A0"}  # the tab is stripped
    said = {r["text"] for n in names
            for r in csv.DictReader(io.StringIO((layout.report_dir(n) / "segments.csv").read_text("utf-8-sig")))}
    assert {"'" + EVIL[0], "'-2+3", "'@SUM(1)"} <= said
    # Numbers stay numbers, and the stages' own data keeps exactly what was heard.
    assert all(float(r["длительность, мин"]) == 0.5 for r in over_time)
    assert schema.read_segments(layout.segments_csv("-2+3_part001"), "-2+3_part001")["text"].iloc[0] == "-2+3"


TEX = [safe_stem(r"Урок $x^2$ и $\frac{a}{$"), r"$\frac{a}{$", "$$", r"Цена 5$ и 7$ \$ $\sqrt{$", "$^$"]


@pytest.mark.slow
def test_dollars_in_film_and_pattern_names_are_plain_text_on_every_plot(tmp_path: Path) -> None:
    """matplotlib reads $…$ as TeX: a film or pattern name with it once cost the lesson its report and the index."""
    for poison in (TEX[0], TEX[1], TEX[4]):  # each name really is bad TeX: drawn as math, it raises
        with pytest.raises(ValueError):
            Figure().text(0, 0, poison).draw(RendererAgg(10, 10, 72))
    layout = Layout(tmp_path / "проект")
    _lessons(layout, [TEX[0], "Урок 2"])
    layout.lessons_csv.write_text(f"video,teacher,date\n\"{TEX[0]}.mp4\",\"{TEX[1]}\",2026-11-20\n", encoding="utf-8")
    assert write_index(layout) is not None and layout.lessons_over_time_png.read_bytes().startswith(b"\x89PNG")
    assert layout.report_html(TEX[0]).is_file()
    lessons = timeline.Timeline([dict(r, patterns=dict.fromkeys(TEX, 0.25)) for r in
                                 timeline.build_timeline(layout, existing_reports(layout)).rows], TEX)
    assert timeline.png_bytes(timeline.timeline_figure(lessons)).startswith(b"\x89PNG")
    report = json.loads(layout.report_json(TEX[0]).read_text(encoding="utf-8"))
    report["model"] = {"patterns": TEX}
    for segment in report["segments"]:
        segment["probabilities"] = dict.fromkeys(TEX, 0.9)
    assert base64.b64decode(page.timeline_png(report)).startswith(b"\x89PNG")
