"""Moments worth watching: which seconds of a lesson are chosen, why, and how the page plays them.

A two-part lesson is written with known words and speakers (60 s: part 1 is 0–30 s, part 2 is
30–60 s), so every moment's lesson time, part and second within the part is known by hand.
Lessons that lack something (no questions, no speech, one voice, no model) must say what is
missing instead of failing.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from pedpatterns.layout import Layout
from pedpatterns.report.build import ReportOptions, analyse_lesson, write_report
from pedpatterns.report.moments import choose_moments
from pedpatterns.testing.synthetic import make_known_lesson, make_processed_part, write_transcript
from tests.support.media import make_video
from tests.support.programs import require_program

FILM = "Урок моментов"
PARTS = [f"{FILM}_part001", f"{FILM}_part002"]
# (start, end, word, speaker) on each part's own axis.
PART_1 = [(0.0, 1.0, "Почему", "teacher"), (1.0, 2.5, "дробь", "teacher"), (2.5, 4.0, "делится?", "teacher"),
          *((9.0 + k, 10.0 + k, f"ответ{k}", "pupil") for k in range(6)),  # the pupil answers 9–15 s
          (15.0, 16.5, "Это", "teacher"), (16.5, 18.0, "правда?", "teacher"),  # a closed question, 0.5 s wait
          *((18.5 + k, 19.5 + k, f"дальше{k}", "teacher") for k in range(9)), (27.5, 28.0, "итак", "teacher")]
PART_2 = [(0.0, 1.0, "Как", "teacher"), (1.0, 2.0, "вы", "teacher"), (2.0, 3.0, "думаете?", "teacher"),
          *((4.0 + k, 5.0 + k, f"мысль{k}", "pupil") for k in range(3)),  # 34–37 s of the lesson
          *((7.0 + k, 8.0 + k, f"рассказ{k}", "teacher") for k in range(10))]  # 37–47 s
TURNS_1 = [(0.0, 4.0, "teacher"), (9.0, 15.0, "pupil"), (15.0, 18.0, "teacher"), (18.5, 28.0, "teacher")]
TURNS_2 = [(0.0, 3.0, "teacher"), (4.0, 7.0, "pupil"), (7.0, 17.0, "teacher")]


def write_part(layout: Layout, part: str, words: list, turns: list | None, part_start: float) -> None:
    make_processed_part(layout, part, 2, part_start=part_start, segment_seconds=15.0)
    write_transcript(layout, part, [(s, e, w) for s, e, w, _ in words], duration=30.0, part_start=part_start)
    if turns is not None:
        path = layout.transcript_json(part)
        data = json.loads(path.read_text(encoding="utf-8"))
        data["turns"] = [{"start": s, "end": e, "speaker": who} for s, e, who in turns]
        data["speakers"] = {"engine": "test", "voices": 2, "note": ""}
        for word, (*_, who) in zip(data["words"], words, strict=True):
            word["speaker"] = who
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def two_part_lesson(layout: Layout, turns: bool = True) -> dict:
    write_part(layout, PARTS[0], PART_1, TURNS_1 if turns else None, 0.0)
    write_part(layout, PARTS[1], PART_2, TURNS_2 if turns else None, 30.0)
    return analyse_lesson(layout, FILM, PARTS, None, ReportOptions(pause_seconds=1.0))


def by_kind(report: dict) -> dict[str, dict]:
    return {m["kind"]: m for m in report["moments"]}


def test_each_moment_is_at_its_second_in_its_part(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    report = two_part_lesson(layout)
    assert [q["openness"] for q in report["questions"]] == ["open", "closed", "open"]
    moments = by_kind(report)
    answer = moments["longest_pupil_answer"]
    assert (answer["time"], answer["part"], answer["part_time"], answer["length_s"]) == (9.0, PARTS[0], 9.0, 6.0)
    assert answer["segment"] == 0 and answer["audio_time"] == 9.0
    # The open questions only: «Это правда?» is closed, though its 0.5-s wait is the shortest of all.
    longest, shortest = moments["longest_wait"], moments["shortest_wait"]
    assert longest["length_s"] == 5.0 and longest["text"].endswith("делится?") and longest["time"] == 0.0
    assert "Тишину прервал ученик" in longest["why"] and "5,0 с" in longest["why"]
    # Played from 5 s before the question's end, but not from the part before its own.
    assert (shortest["length_s"], shortest["time"], shortest["part"], shortest["part_time"]) == (1.0, 30.0,
                                                                                                 PARTS[1], 0.0)
    # The teacher's 15–18 s and 18.5–28 s are one monologue (the gap is shorter than the pause); 37–47 s is shorter.
    monologue = moments["longest_monologue"]
    assert (monologue["time"], monologue["length_s"], monologue["part"]) == (15.0, 13.0, PARTS[0])
    assert monologue["title"] == "Самый длинный монолог учителя"
    assert [m["time"] for m in report["moments"]] == sorted(m["time"] for m in report["moments"])
    assert any("паттерны не определялись" in line for line in report["moments_missing"])


def test_without_voices_there_is_no_pupil_answer_and_questions_come_from_all(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    report = two_part_lesson(layout, turns=False)
    moments = by_kind(report)
    assert "longest_pupil_answer" not in moments
    assert any("голоса учителя и учеников в этом уроке не различались" in line for line in report["moments_missing"])
    assert moments["longest_monologue"]["title"] == "Самый длинный монолог"  # whoever spoke
    assert "не обязательно учителя" in moments["longest_monologue"]["why"]


def test_pattern_moments_are_the_most_confident_segments() -> None:
    rows = [{"part": "У_part001", "segment": i, "lesson_start": 10.0 * i, "lesson_end": 10.0 * (i + 1),
             "text": f"сегмент {i}", "keyframe": None, "audio": None,
             "probabilities": {"Паттерн А": p, "Паттерн Б": 0.2}} for i, p in enumerate((0.6, 0.9, 0.7))]
    report = {"parts": ["У_part001"], "segments": rows, "model": {"patterns": ["Паттерн А", "Паттерн Б"]},
              "threshold": 0.5, "questions": [], "summary": {}, "talk": {"separated": False}}
    moments, missing = choose_moments(report, {"У_part001": 0.0})
    [found] = [m for m in moments if m["kind"] == "pattern"]
    assert (found["pattern"], found["segment"], found["time"], found["probability"]) == ("Паттерн А", 1, 10.0, 0.9)
    assert "90 %" in found["why"] and found["title"] == "Паттерн «Паттерн А»: самый уверенный сегмент"
    assert any("«Паттерн Б»" in line for line in missing)  # never above the threshold: said, not shown


@pytest.mark.parametrize("case", ["no questions", "only questions", "no speech", "one voice", "nothing at all"])
def test_a_lesson_lacking_something_says_what_is_missing(case: str) -> None:
    turns = {"one voice": [[0.0, 10.0, "teacher"]]}.get(case, [])
    questions = {"only questions": [{"time": 3.0, "text": "Что?", "wait_s": 2.0, "openness": "open"},
                                    {"time": 6.0, "text": "Где?", "wait_s": None, "openness": "open"}]}
    speech = case not in ("no speech", "nothing at all")
    report = {
        "parts": [] if case == "nothing at all" else ["У_part001"], "segments": [], "model": None,
        "threshold": 0.5, "pause_seconds": 1.0, "questions": questions.get(case, []),
        "summary": {"longest_monologue_s": 10.0 if speech else 0.0,
                    "longest_monologue_start_s": 0.0 if speech else None},
        "talk": {"separated": case == "one voice", "turns": turns},
    }
    moments, missing = choose_moments(report, {"У_part001": 0.0})
    text = " ".join(missing)
    assert "паттерны не определялись" in text
    if case in ("no questions", "no speech", "nothing at all", "one voice"):
        assert "нет ни одного вопроса" in text
    if case == "only questions":
        assert [m["kind"] for m in moments if "wait" in m["kind"]] == ["longest_wait"]
        assert "с измеренным ожиданием на уроке один" in text
    if case in ("no speech", "nothing at all"):
        assert "речи в расшифровке урока нет" in text and not moments
    if case == "one voice":
        assert "ученики не говорили" in text and [m["kind"] for m in moments] == ["longest_monologue"]


def test_the_page_plays_the_part_film_from_the_moment(tmp_path: Path) -> None:
    """The part film where it exists (a relative link and #t= at the second in the part), else the segment's clip."""
    layout = Layout(tmp_path / "проект")
    layout.part_films.mkdir(parents=True)
    film = layout.part_films / f"{PARTS[1]}.mp4"
    film.write_bytes(b"a part film: only its place is checked here")
    report = two_part_lesson(layout)
    page = write_report(layout, report).read_text(encoding="utf-8")
    assert "<h2>Моменты, которые стоит посмотреть</h2>" in page
    shortest = by_kind(report)["shortest_wait"]
    assert shortest["film"] and (layout.report_dir(FILM) / unquote(shortest["film"])).resolve() == film.resolve()
    assert f'<video controls preload="none" src="{shortest["film"]}#t=0.0" data-start="0.0"' in page
    answer = by_kind(report)["longest_pupil_answer"]  # part 1 has no film: its segment's clip from 9 s in
    assert answer["film"] is None and f'src="{answer["audio"]}#t=9.0"' in page
    assert page.count("посмотреть этот момент") == len(report["moments"])
    assert page.count('<img class="thumb" alt="кадр"') >= len(report["moments"])


def test_the_page_of_a_silent_lesson_says_there_is_nothing_to_watch(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Тихий урок")
    path = layout.transcript_json(part)
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), "words": []}), encoding="utf-8")
    report = analyse_lesson(layout, "Тихий урок", [part], None)
    page = write_report(layout, report).read_text(encoding="utf-8")
    assert report["moments"] == [] and "Моментов для просмотра в этом уроке нет" in page
    assert 'data-moments="missing"' in page and "речи в расшифровке урока нет" in page


# Opens the first moment's «посмотреть этот момент» as a click does, while the page is still being read: a media
# element loading its film delays the page's load event, and the page is printed after that event.
PROBE = """<script>(function () {
  var details = document.querySelector('.moment details'), video = details.querySelector('video');
  video.muted = true;
  ['play', 'loadedmetadata', 'playing'].forEach(function (name) {
    video.addEventListener(name, function () { document.title += ' ' + name + '@' + video.currentTime.toFixed(1); });
  });
  details.open = true;
})();</script>"""


@pytest.mark.slow
@pytest.mark.parametrize("fragment", [True, False], ids=["media fragment", "the handler alone"])
def test_a_real_browser_plays_the_part_film_from_the_moment(tmp_path: Path, fragment: bool) -> None:
    """Headless Chromium opens the page from file://: opening the moment plays the real part film from its second.

    Without ``#t=`` (a browser that ignores media fragments) the page's own handler seeks there.
    """
    chromium = require_program("chromium")
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 1")
    make_video(layout.part_films / f"{part}.mp4", 30)
    report = analyse_lesson(layout, "Урок 1", [part], None)
    [moment] = report["moments"]  # the longest monologue, 16 s into the part
    page = write_report(layout, report).read_text(encoding="utf-8")
    if not fragment:
        page = page.replace("#t=16.0", "")
    probe = layout.report_dir("Урок 1") / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required",
         "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    [title] = re.findall(r"<title>(.*?)</title>", done.stdout) or [done.stderr[-2000:]]
    assert moment["part_time"] == 16.0 and " play@" in title and " loadedmetadata@16.0" in title, title
    assert " playing@16.0" in title, title
