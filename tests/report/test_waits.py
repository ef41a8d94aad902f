"""Wait time as research measures it (issue 25): the silence after a question, and who broke it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pedpatterns.layout import Layout
from pedpatterns.prepare.speech import Word
from pedpatterns.report import references
from pedpatterns.report.lessonmetrics import METRICS, lesson_metrics
from pedpatterns.report.page import render_report
from pedpatterns.report.talk import TALK_METRICS
from pedpatterns.report.waits import NO_ANSWER_SECONDS
from pedpatterns.testing.synthetic import make_known_lesson
from tests.support.reports import TURNS, report_of, with_speakers


def spoken(text: str, start: float = 0.0, step: float = 0.3) -> list[Word]:
    """Whisper-like words of ``text``, back to back from ``start``."""
    return [Word(start + k * step, start + (k + 1) * step, f" {w}") for k, w in enumerate(text.split())]


def turns_of(*spans: tuple[list[Word], str]) -> list[tuple[float, float, str]]:
    return [(words[0].start, words[-1].end, who) for words, who in spans]


# The example: the teacher's «Какого рода? Слово книга.» read by Whisper as two sentences 0.14 s apart,
# then 4.5 s of silence for the class.
QUESTION = [*spoken("Какого рода?", 0.0), *spoken("Слово книга.", 0.74)]
END = QUESTION[-1].end


def test_the_wait_runs_from_the_teachers_question_to_a_pupils_answer() -> None:
    answer = spoken("Женского рода.", END + 4.5)
    words = [*QUESTION, *answer]
    metrics = lesson_metrics(words, 10.0, turns=turns_of((QUESTION, "teacher"), (answer, "pupil")))
    (question,) = metrics["questions"]
    assert question["wait_s"] == pytest.approx(4.5) and question["broken_by"] == "pupil"
    assert question["asked_by"] == "teacher"
    summary = metrics["summary"]
    assert summary["questions_answered_by_pupils"] == 1 and summary["questions_teacher_went_on"] == 0
    assert summary["wait_before_pupil_median_s"] == pytest.approx(4.5)
    assert summary["wait_before_teacher_median_s"] is None and summary["questions_unanswered"] == 0


def test_the_teacher_who_breaks_the_silence_herself_is_told_from_a_pupil() -> None:
    again = spoken("Ну, подумайте ещё.", END + 1.2)
    answer = spoken("Женского.", again[-1].end + 2.0)
    words = [*QUESTION, *again, *answer]
    turns = turns_of((QUESTION, "teacher"), (again, "teacher"), (answer, "pupil"))
    metrics = lesson_metrics(words, 12.0, turns=turns)
    assert [(q["broken_by"], q["wait_s"]) for q in metrics["questions"]] == [("teacher", pytest.approx(1.2))]
    summary = metrics["summary"]
    assert summary["questions_teacher_went_on"] == 1 and summary["questions_answered_by_pupils"] == 0
    assert summary["wait_before_teacher_median_s"] == pytest.approx(1.2)


def test_nobody_answers_when_the_silence_is_too_long_or_the_recording_ends() -> None:
    later = spoken("Открываем тетради.", END + NO_ANSWER_SECONDS + 5)
    second = spoken("Кто готов?", later[-1].end + 1.0)
    words = [*QUESTION, *later, *second]
    turns = turns_of((QUESTION, "teacher"), (later, "teacher"), (second, "teacher"))
    metrics = lesson_metrics(words, second[-1].end + 3.0, turns=turns)
    first, last = metrics["questions"]
    assert first["broken_by"] == "nobody" and first["wait_s"] == pytest.approx(NO_ANSWER_SECONDS + 5)
    assert last["broken_by"] == "nobody" and last["wait_s"] is None  # the recording ended first
    summary = metrics["summary"]
    assert summary["questions_unanswered"] == 2
    # An unanswered question's long silence is not a wait for an answer: it stays out of the mean.
    assert summary["wait_after_question_mean_s"] is None and summary["wait_after_question_median_s"] is None
    assert summary["questions_with_good_wait"] == 1


def test_unseparated_or_single_voice_says_unknown_not_zero() -> None:
    answer = spoken("Женского рода.", END + 4.5)
    words = [*QUESTION, *answer]
    for turns, apart in ((None, None), (turns_of((QUESTION, "teacher"), (answer, "teacher")), [])):
        metrics = lesson_metrics(words, 10.0, turns=turns, apart=apart)
        (question,) = metrics["questions"]
        assert question["broken_by"] == "unknown" and question["wait_s"] == pytest.approx(4.5)
        summary = metrics["summary"]
        assert summary["questions_speaker_unknown"] == 1
        assert summary["questions_answered_by_pupils"] is None and summary["wait_before_pupil_median_s"] is None
        assert summary["wait_after_question_mean_s"] == pytest.approx(4.5)


@pytest.mark.parametrize("case", ["без вопросов", "одни вопросы", "без речи"])
def test_bad_lessons_give_numbers_that_exist_and_none_where_they_do_not(case: str, tmp_path: Path) -> None:
    words = {"без вопросов": spoken("Откройте тетради. Запишите число.", 0.0),
             "одни вопросы": [*spoken("Кто дежурный?", 0.0), *spoken("Почему так?", 3.0),
                              *spoken("Сколько будет два и два?", 6.0)],
             "без речи": []}[case]
    metrics = lesson_metrics(words, 20.0)
    summary = metrics["summary"]
    assert set(METRICS) <= set(summary)
    count = len(metrics["questions"])
    assert summary["question_count"] == count == (3 if case == "одни вопросы" else 0)
    if count:
        assert [q["broken_by"] for q in metrics["questions"]] == ["unknown", "unknown", "nobody"]
        assert summary["open_question_share"] == pytest.approx(1 / 3, abs=1e-3)
        assert summary["higher_order_share"] == pytest.approx(1 / 3, abs=1e-3)  # «почему»: analyse
    else:
        assert summary["open_question_share"] is None and summary["higher_order_share"] is None
        assert summary["questions_unanswered"] == summary["questions_speaker_unknown"] == 0
    report = {"video": "Урок", "created": "2026-12-07T10:00:00", "parts": [], "pause_seconds": 1.0,
              "threshold": 0.5, **metrics, "talk": {"separated": False, "note": "не различалось"}, "model": None,
              "pattern_summary": [], "segments": []}
    page = render_report(report, Layout(tmp_path))
    assert ("Вопросов в расшифровке нет" in page) == (count == 0)
    assert "<h3>Источники</h3>" in page


def test_a_question_in_a_language_the_rules_do_not_cover_is_said_not_guessed(tmp_path: Path) -> None:
    words = [*spoken("Wie heißt das?", 0.0), *spoken("Почему так?", 4.0), *spoken("Потому что.", 8.0)]
    metrics = lesson_metrics(words, 12.0)
    foreign, russian = metrics["questions"]
    assert foreign["language"] is None and foreign["openness"] is None and foreign["level"] is None
    assert "не поддерживается" in foreign["rule"]
    assert (russian["language"], russian["openness"], russian["level"]) == ("ru", "open", "analyse")
    summary = metrics["summary"]
    assert summary["questions_not_classified"] == 1 and summary["open_question_share"] == 1.0
    report = {"video": "Урок", "created": "2026-12-07T10:00:00", "parts": [], "pause_seconds": 1.0,
              "threshold": 0.5, **metrics, "talk": {"separated": False, "note": ""}, "model": None,
              "pattern_summary": [], "segments": []}
    page = render_report(report, Layout(tmp_path))
    assert "у 1 из 2 вопросов язык другой" in page and 'data-openness="open" data-level="analyse"' in page


def test_who_broke_the_silence_in_json_csv_and_page_with_references(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 1")
    with_speakers(layout, part, TURNS)  # the teacher asks «понятно?» at 10 s, a pupil answers at 16 s
    data, page = report_of(layout, part)
    (question,) = data["questions"]
    assert (question["wait_s"], question["broken_by"], question["asked_by"]) == (6.0, "pupil", "teacher")
    assert {"openness", "level", "rule", "language"} <= set(question)
    assert data["summary"]["questions_answered_by_pupils"] == 1 and data["talk"]["teacher_talk_share"] == 0.75
    with layout.report_metrics_csv("Урок 1").open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["metric"]: row for row in csv.DictReader(handle)}
    assert rows["questions_answered_by_pupils"]["значение"] == "1"
    assert rows["wait_after_question_mean_s"]["ориентир"] == "Ориентир: 3 с и больше (Rowe 1974; Rowe 1986; Tobin 1987)"
    assert rows["word_count"]["ориентир"] == ""
    with layout.report_talk_csv("Урок 1").open(encoding="utf-8-sig", newline="") as handle:
        talk = {row["metric"]: row for row in csv.DictReader(handle)}
    assert talk["teacher_talk_share"]["ориентир"].startswith("Обычно в классах: около 2/3 (Flanders 1970)")
    assert 'data-broken-by="pupil">ученик<' in page
    assert 'data-reference="wait_after_question_mean_s"' in page and 'data-reference="teacher_talk_share"' in page
    assert "Journal of Teacher Education, 37(1), 43–50" in page and "<h2>Ориентиры и источники</h2>" in page


def test_every_reference_belongs_to_a_metric_and_cites_a_listed_source() -> None:
    metrics = {*METRICS, *TALK_METRICS}
    for key, reference in references.REFERENCES.items():
        assert key in metrics, key
        assert reference.sources and all(s in references.SOURCES for s in reference.sources), key
        assert reference.kind in (references.RECOMMENDED, references.USUAL, references.NO_RANGE)
        assert bool(reference.shown) == (reference.kind != references.NO_RANGE), key
    used = {s for r in references.REFERENCES.values() for s in r.sources}
    assert used == set(references.SOURCES)  # no source listed that nothing cites


def test_an_old_report_without_the_new_fields_still_makes_the_summary_page(tmp_path: Path) -> None:
    from pedpatterns.report.build import write_index

    layout = Layout(tmp_path / "проект")
    for name in ("Урок 2026-09-01", "Урок 2026-09-08"):
        path = layout.report_json(name)
        path.parent.mkdir(parents=True)
        old = {"video": name, "parts": [], "summary": {"duration_s": 600.0, "question_count": 4,
                                                       "wait_after_question_mean_s": 1.5},
               "pattern_summary": []}
        path.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    layout.lessons_csv.write_text("видео,учитель,дата\nУрок 2026-09-01.mp4,Петрова,2026-09-01\n"
                                  "Урок 2026-09-08.mp4,Петрова,2026-09-08\n", encoding="utf-8")
    html = write_index(layout).read_text(encoding="utf-8")
    assert 'data-teacher="Петрова"' in html
    assert '<tr data-trend="open_question_share"><td>Доля открытых вопросов</td><td class="num" data-value="">—' in html
    assert 'data-trend="wait_after_question_mean_s"' in html and "±0,0 с" in html


def test_one_voice_heard_leaves_who_answered_unknown(tmp_path: Path) -> None:
    """Only the teacher's voice found: a pupil's short answer may hide in it, so nobody is named as the answerer."""
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 1")
    with_speakers(layout, part, [{"start": 0.0, "end": 10.0, "speaker": "teacher"},
                                 {"start": 16.0, "end": 30.0, "speaker": "teacher"}], voices=1)
    data, page = report_of(layout, part)
    (question,) = data["questions"]
    assert question["broken_by"] == "unknown" and question["wait_s"] == 6.0 and question["asked_by"] is None
    assert data["summary"]["questions_answered_by_pupils"] is None and data["summary"]["questions_speaker_unknown"] == 1
    assert "После 1 из 1 вопросов неизвестно, кто заговорил" in page and data["talk"]["teacher_talk_share"] == 1.0
