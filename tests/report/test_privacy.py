"""Shared reports without names: stable labels, the private key, and no film, teacher or class in any file.

The own report of the same lesson is searched with the same finder and must show the names: the
finder is shown to find what it looks for, so its empty answer on the shared copy means something.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pedpatterns.errors import UserError
from pedpatterns.layout import Layout
from pedpatterns.report import privacy
from pedpatterns.report.build import analyse_lesson, write_report
from pedpatterns.testing.synthetic import make_known_lesson
from tests.support.leaks import names_found

FILMS = ("Кузнецова 7Б 2026-03-09", "Смирнов-гимназия-2026-03-02")
TEACHERS = ("Кузнецова Ольга Игоревна", "Смирнов Пётр Ильич")
CLASSES = ("7Б-лицей", "9 В")


def write_lessons_csv(layout: Layout, films: tuple[str, ...] = FILMS) -> None:
    rows = [f"{film}.mp4,{teacher},{klass}," for film, teacher, klass in zip(films, TEACHERS, CLASSES, strict=False)]
    layout.lessons_csv.write_text("видео,учитель,класс,дата\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_labels_follow_the_dates_and_stay_on_later_runs(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    for film in FILMS:
        make_known_lesson(layout, film)
    write_lessons_csv(layout)
    key = privacy.names_key(layout, list(FILMS))
    # The dates are in the films' names: Смирнов's lesson is the earlier one.
    assert key.lessons == {FILMS[1]: "Урок 1", FILMS[0]: "Урок 2"}
    assert key.teachers == {TEACHERS[1]: "Учитель А", TEACHERS[0]: "Учитель Б"}
    assert key.classes == {CLASSES[1]: "Класс № 1", CLASSES[0]: "Класс № 2"}
    saved = json.loads(layout.anonymised_names.read_text(encoding="utf-8"))
    assert saved["lessons"] == key.lessons and layout.anonymised_names.parent == layout.reports
    # A later, earlier-dated lesson takes the next number: the labels given before never move.
    make_known_lesson(layout, "Орлова 2026-01-15")
    again = privacy.names_key(layout, ["Орлова 2026-01-15"])
    assert again.lessons == {**key.lessons, "Орлова 2026-01-15": "Урок 3"}
    layout.anonymised_names.write_text("{не json", encoding="utf-8")
    with pytest.raises(UserError, match="Удалите его"):
        privacy.names_key(layout, list(FILMS))


def test_names_are_replaced_as_whole_words_and_short_ones_only_in_fields() -> None:
    key = privacy.NamesKey({"Урок_Ивановой": "Урок 1"}, {"Иванова": "Учитель А"}, {"5": "Класс № 1"}, {},
                           ("/home/ivanova",))
    assert key.scrub("Урок_Ивановой_part002 и ИВАНОВА, а не Ивановой") == "Урок 1_part002 и Учитель А, а не Ивановой"
    assert key.scrub("5 учеников из 15") == "5 учеников из 15"  # a class «5» would eat every digit
    assert key.scrub("/home/ivanova/проект/labeled.csv") == "…/проект/labeled.csv"
    assert key.part("Урок_Ивановой_part002") == "Урок 1_part002"
    assert privacy.letter_label(1) == "А" and privacy.letter_label(len(privacy.LETTERS) + 2) == "Б2"


def test_the_shared_copy_names_no_one_and_the_own_report_still_does(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    film = FILMS[0]
    # The teacher's name is said in the lesson too: it goes from the transcript's text in the shared copy.
    part = make_known_lesson(layout, film, text=f"{TEACHERS[0]} спрашивает: что такое дробь?")
    write_lessons_csv(layout)
    layout.part_films.joinpath(f"{part}.mp4").write_bytes(b"a part film, linked by the own report")
    report = analyse_lesson(layout, film, [part], None)
    own = write_report(layout, report)
    key = privacy.names_key(layout, [film])
    page = privacy.write_shared_report(layout, report, key)
    assert page == layout.shared_reports / "Урок 1" / "report.html"
    names = [film, *TEACHERS, CLASSES[0], str(layout.root), str(Path.home())]
    assert names_found(page.parent, names) == []
    assert {name for _, name in names_found(own.parent, names)} >= {film, TEACHERS[0]}
    shared = json.loads((page.parent / "report.json").read_text(encoding="utf-8"))
    assert shared["video"] == "Урок 1" and shared["parts"] == ["Урок 1_part001"] and shared["anonymised"]
    assert shared["segments"][0]["text"].startswith("Учитель А спрашивает")
    assert all(s["audio"] is None for s in shared["segments"]) and all(m["film"] is None for m in shared["moments"])
    html_page = page.read_text(encoding="utf-8")
    assert "<audio" not in html_page and "<video" not in html_page and "видео и звук не прилагаются" in html_page
    assert html_page.count('<img class="thumb"') == len(shared["segments"]) + len(shared["moments"])
    assert sorted(p.name for p in page.parent.glob("Урок 1_part001.*")) == ["Урок 1_part001.TextGrid",
                                                                           "Урок 1_part001.eaf"]
    assert "MEDIA_DESCRIPTOR" not in (page.parent / "Урок 1_part001.eaf").read_text(encoding="utf-8")
