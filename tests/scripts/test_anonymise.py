"""find_patterns.py --anonymise, run as a user runs it: shareable copies that name no one, beside the own reports.

Every file of new_videos/reports_anonymised/ is searched byte by byte (pictures embedded in the
pages and compressed PNG chunks unpacked) for each film's, teacher's and class's name, and for
this computer's folders; the own reports are searched for this computer's folders and user.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest

from pedpatterns.layout import Layout
from pedpatterns.testing.synthetic import make_known_lesson, make_labelled_project
from tests.support.leaks import names_found
from tests.support.scripts import run_script

FILMS = ("Кузнецова 7Б 2026-03-09", "Смирнов-гимназия-2026-03-02")
TEACHERS = ("Кузнецова Ольга Игоревна", "Смирнов Пётр Ильич")
CLASSES = ("7Б-лицей", "9 В гимназии")
# The known lesson's speakers: the teacher asks by 10 s, a pupil answers 16–22 s, the teacher goes on.
TURNS = [{"start": 0.0, "end": 10.0, "speaker": "teacher"}, {"start": 16.0, "end": 22.0, "speaker": "pupil"},
         {"start": 22.0, "end": 30.0, "speaker": "teacher"}]


def with_speakers(layout: Layout, part: str) -> None:
    path = layout.transcript_json(part)
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(turns=TURNS, speakers={"engine": "test", "voices": 2, "note": ""})
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.mark.slow
def test_anonymised_copies_name_no_one(tmp_path: Path) -> None:
    root = tmp_path / "проект Кузнецовой"
    layout = Layout(root)
    make_labelled_project(layout, n_films=3, per_part=12)  # a model: the patterns' moments and columns too
    parts = [make_known_lesson(layout, film, text=f"{TEACHERS[0]}, {CLASSES[0]}: что такое дробь?")
             for film in FILMS]
    with_speakers(layout, parts[0])
    layout.part_films.joinpath(f"{parts[0]}.mp4").write_bytes(b"the own report links it")
    layout.lessons_csv.write_text("видео,учитель,класс,дата\n" + "".join(
        f"{film}.mp4,{teacher},{klass},\n" for film, teacher, klass in zip(FILMS, TEACHERS, CLASSES, strict=True)),
        encoding="utf-8")
    result = run_script("find_patterns.py", "--root", str(root), "--anonymise", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Обезличенные копии для передачи: {layout.shared_reports}" in result.stdout
    shared = layout.shared_reports
    assert sorted(p.name for p in shared.iterdir()) == ["index.html", "lessons.csv", "lessons_over_time.csv",
                                                         "lessons_over_time.png", "Урок 1", "Урок 2"]
    private = [*FILMS, *TEACHERS, *CLASSES, "Кузнецов", "Смирнов", str(root), str(Path.home()), root.name]
    assert names_found(shared, private) == []
    # The shared copies are whole: moments, patterns and the lessons over time with their neutral labels.
    report = json.loads((shared / "Урок 2" / "report.json").read_text(encoding="utf-8"))
    assert report["model"] and {m["kind"] for m in report["moments"]} >= {"longest_pupil_answer", "pattern"}
    assert "Учитель Б" in (shared / "lessons_over_time.csv").read_text(encoding="utf-8-sig")
    assert 'href="%D0%A3%D1%80%D0%BE%D0%BA%201/report.html"' in (shared / "index.html").read_text(encoding="utf-8")
    # The own reports keep the names the user chose (that is what they are for), and only those.
    own = layout.reports
    assert {name for _, name in names_found(own, FILMS)} == set(FILMS)
    # No folder of this computer either (the labels file is named, not its path), but in the .eaf: ELAN finds
    # the video by the absolute path it links.
    leaks = names_found(own, [str(root), str(Path.home())])
    assert [file for file, _ in leaks if not file.endswith(".eaf")] == []
    assert any(file == f"{FILMS[0]}/{parts[0]}.eaf" for file, _ in leaks)
    user = getpass.getuser()
    if len(user) >= 4:  # a short one («ivan», not «ia») cannot hide in other words
        assert [file for file, _ in names_found(own, [user]) if not file.endswith(".eaf")] == []
