import csv
import json
import re
from pathlib import Path

import pytest

from pedpatterns.errors import UserError
from pedpatterns.layout import Layout
from pedpatterns.models import textmodel
from pedpatterns.prepare import processing
from pedpatterns.report import lessonmetrics as lm
from pedpatterns.report.build import ReportOptions, analyse_lesson, processed_parts_for_video, write_index, write_report
from pedpatterns.testing.synthetic import (
    KNOWN_LESSON,
    make_known_lesson,
    make_labelled_project,
    make_processed_part,
    speech,
    write_transcript,
)


def test_known_lesson_gives_the_hand_computed_metrics(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    part = make_known_lesson(lay, "Урок 1")
    data = analyse_lesson(lay, "Урок 1", [part], None, ReportOptions(threshold=0.5))
    for key, expected in KNOWN_LESSON.items():
        assert data["summary"][key] == pytest.approx(expected), key
    assert data["pauses"] == [{"start": 10.0, "end": 16.0, "duration_s": 6.0}]
    assert data["questions"][0]["wait_s"] == 6.0 and data["questions"][0]["text"].endswith("понятно?")
    assert [b["count"] for b in data["pause_histogram"]] == [0, 0, 0, 1, 0]  # 1–2, 2–3, 3–5, 5–10, ≥10
    assert data["model"] is None and data["pattern_summary"] == []


def test_longer_pause_threshold_turns_the_gap_into_speech() -> None:
    words = [lm.Word(s, e, w) for s, e, w in speech(0, 10, 20, last="да?") + speech(16, 30, 28)]
    m = lm.lesson_metrics(words, 30.0, pause_seconds=7.0)["summary"]
    assert m["pause_count"] == 0 and m["speech_share"] == 1.0 and m["longest_monologue_s"] == 30.0
    assert m["wait_after_question_mean_s"] == 6.0  # the wait is measured whatever the threshold
    with pytest.raises(UserError, match="--pause-seconds"):
        lm.lesson_metrics(words, 30.0, pause_seconds=0)


def test_parts_are_placed_on_the_lesson_axis(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    for n, start in ((0, 0.0), (1, 30.0)):
        make_processed_part(lay, f"Урок_part00{n}", 1, part_start=start)
    write_transcript(lay, "Урок_part000", speech(0, 20, 10), duration=30.0, part_start=0.0)
    # The second part's words are in part time: 5–30 s of the part is 35–60 s of the lesson.
    write_transcript(lay, "Урок_part001", speech(5, 30, 10, last="Кто ответит?»"), duration=30.0, part_start=30.0)
    m = analyse_lesson(lay, "Урок", ["Урок_part000", "Урок_part001"], None, ReportOptions(threshold=0.5))
    assert m["summary"]["duration_s"] == 60.0
    assert m["pauses"] == [{"start": 20.0, "end": 35.0, "duration_s": 15.0}]
    assert m["summary"]["question_count"] == 1 and m["questions"][0]["time"] == 60.0
    assert m["questions"][0]["wait_s"] is None and m["summary"]["wait_after_question_mean_s"] is None


def test_phrases_stand_in_for_words_when_the_engine_gives_none() -> None:
    words, duration = lm.lesson_words([{"part_start": 0, "duration": 20, "words": [],
                                        "segments": [{"start": 0, "end": 5, "text": "Начнём."},
                                                     {"start": 9, "end": 12, "text": "Готовы?"}]}])
    m = lm.lesson_metrics(words, duration)["summary"]
    assert duration == 20 and m["pause_count"] == 1 and m["longest_pause_s"] == 4.0 and m["question_count"] == 1


def _html_metrics(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-metric="(\w+)" data-value="([^"]*)"', page))


def test_html_csv_and_json_say_the_same_numbers(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    make_labelled_project(lay, n_films=3, per_part=12)
    model = textmodel.ensure_model(lay, log=lambda _: None)
    part = make_known_lesson(lay, "Урок 1")
    html_path = write_report(lay, analyse_lesson(lay, "Урок 1", [part], model, ReportOptions(threshold=0.5)))
    page = html_path.read_text(encoding="utf-8")
    data = json.loads(lay.report_json("Урок 1").read_text(encoding="utf-8"))
    with lay.report_metrics_csv("Урок 1").open(encoding="utf-8-sig", newline="") as fh:
        from_csv = {row["metric"]: row["значение"] for row in csv.DictReader(fh)}
    from_html = _html_metrics(page)
    assert set(from_csv) == set(from_html) == set(lm.METRICS)
    for key, value in data["summary"].items():
        if value is None:
            assert from_csv[key] == from_html[key] == ""
        else:
            assert float(from_csv[key]) == float(from_html[key]) == pytest.approx(value), key
    assert data["summary"]["speech_share"] == 0.8 and ">80\u00a0%<" in page

    with lay.report_segments_csv("Урок 1").open(encoding="utf-8-sig", newline="") as fh:
        seg_rows = list(csv.DictReader(fh))
    assert len(seg_rows) == len(data["segments"]) == 2
    for row, seg in zip(seg_rows, data["segments"], strict=True):
        assert row["patterns"] == "; ".join(seg["present"])
        for pattern in model.patterns:
            assert float(row[f"вероятность: {pattern}"]) == seg["probabilities"][pattern]
        where = rf'data-part="{re.escape(seg["part"])}" data-segment="{seg["segment"]}">(.*?)</tr>'
        shown = re.search(where, page, re.S)
        assert shown, seg
        probs = [float(p) for p in re.findall(r'data-probability="([\d.]+)"', shown.group(1))]
        assert probs == [t["probability"] for t in seg["top"]]


def test_page_is_self_contained_and_escapes_transcripts(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    part = make_known_lesson(lay, "Урок <1> & 2", text="<script>alert(1)</script> a<b & c?")
    page = write_report(lay, analyse_lesson(lay, "Урок <1> & 2", [part], None, ReportOptions(threshold=0.5)))
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; a&lt;b &amp; c?" in html
    assert "Урок &lt;1&gt; &amp; 2" in html
    # Everything is embedded but the segments' clips: relative links into processed_data/ (issue 14), the
    # moment's from its second (#t=).
    linked = re.findall(r'(?:src|href)="(?!data:)([^"]*)"', html)
    assert linked and all(re.fullmatch(r"\.\./\.\./\.\./processed_data/[^/]+/segment_\d{3}_audio\.mp3(#t=[\d.]+)?", u)
                          for u in linked), linked
    # Two segments' keyframes and the one moment's (the longest monologue).
    assert html.count('src="data:image/jpeg;base64,') == 3 and html.count('src="data:image/png;base64,') == 2
    assert "сначала нужна разметка" in html


def test_index_links_every_report(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    for name in ("Урок 1", "Урок 2"):
        part = make_known_lesson(lay, name)
        write_report(lay, analyse_lesson(lay, name, [part], None, ReportOptions(threshold=0.5)))
    index = write_index(lay)
    assert index == lay.reports_index
    html = index.read_text(encoding="utf-8")
    assert 'href="%D0%A3%D1%80%D0%BE%D0%BA%201/report.html"' in html and 'data-video="Урок 2"' in html
    assert _html_metrics(html)["question_count"] == "1"


def test_processed_video_is_reused_and_a_broken_one_is_a_russian_message(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    make_known_lesson(lay, "Урок 1")
    options = processing.Options(whisper_model="bundled")
    # Already processed: reused from the parts index, the (fake) video is not even decoded.
    assert processed_parts_for_video(lay, lay.new_videos / "Урок 1.mp4", options, 10.0) == (
        "Урок 1", ["Урок 1_part001"])
    broken = lay.new_videos / "Другой урок.mp4"
    broken.write_text("not a video", encoding="utf-8")
    with pytest.raises(UserError, match=r"Другой урок\.mp4"):
        processed_parts_for_video(lay, broken, options, 10.0)
    assert not list(lay.part_films.glob("Другой урок*"))


# --- damaged or foreign files at the reading edge (issue «Trust, second round») ---------------

_WORD = '{"start": 0.5, "end": 1.0, "word": "да"}'
_BAD_TRANSCRIPTS = {
    "время NaN": '{"words": [{"start": NaN, "end": 1.0, "word": "да"}]}',
    "время Infinity": '{"words": [{"start": 0.0, "end": Infinity, "word": "да"}]}',
    "время отрицательное": '{"words": [{"start": -1, "end": 1.0, "word": "да"}]}',
    "время строкой": '{"words": [{"start": "0.5", "end": 1.0, "word": "да"}]}',
    "время true": '{"words": [{"start": true, "end": 1.0, "word": "да"}]}',
    "без времени": '{"words": [{"word": "да"}]}',
    "слово числом": '{"words": [{"start": 0, "end": 1, "word": 5}]}',
    "слово null": '{"words": [{"start": 0, "end": 1, "word": null}]}',
    "слова — объект": '{"words": {"0": ' + _WORD + '}}',
    "слова — строки": '{"words": ["да", "нет"]}',
    "реплика со строкой": '{"words": [], "turns": [{"start": "a", "end": 2, "speaker": "teacher"}]}',
    "говорящий числом": '{"words": [{"start": 0, "end": 1, "word": "да", "speaker": 7}]}',
    "вероятность строкой": '{"words": [{"start": 0, "end": 1, "word": "да", "probability": "x"}]}',
    "длительность NaN": '{"duration": NaN, "words": []}',
    "фраза без времени": '{"words": [], "segments": [{"text": "да"}]}',
    "список": "[" + _WORD + "]",
    "обрезан": '{"words": [' + _WORD[:20],
    "вложенность": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("case", _BAD_TRANSCRIPTS)
def test_a_damaged_transcript_is_named_not_a_traceback(tmp_path: Path, case: str) -> None:
    path = tmp_path / "часть 1" / "transcript.json"
    path.parent.mkdir()
    path.write_text(_BAD_TRANSCRIPTS[case], encoding="utf-8")
    with pytest.raises(UserError, match=r"повреждён|неожиданный вид") as error:
        lm.read_transcript(path)
    assert str(path) in error.value.message and "заново" in error.value.message


def test_a_transcript_saved_with_a_bom_reads_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "transcript.json"
    path.write_text('\ufeff{"duration": 2, "words": [' + _WORD + "]}", encoding="utf-8")
    assert lm.read_transcript(path)["words"][0]["word"] == "да"


def _good_report(video: str) -> dict:
    return {"video": video, "parts": [f"{video}_part001"], "summary": {"duration_s": 60.0, "question_count": 2},
            "pattern_summary": [{"pattern": "Паттерн 1", "share": 0.5}]}


_BAD_REPORTS = {
    "пустой объект": "{}",
    "пустой список": "[]",
    "строка": '"отчёт"',
    "число": "5",
    "null": "null",
    "обрезан": json.dumps(_good_report("Урок 3"))[:50],
    "вложенность": '{"video": "Урок 3", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "чужое имя": json.dumps(_good_report("Урок 1")),
    "метрика строкой": json.dumps({**_good_report("Урок 3"), "summary": {"duration_s": "60", "question_count": 2}}),
    "метрика NaN": json.dumps({**_good_report("Урок 3"), "summary": {"duration_s": float("nan"),
                                                                      "question_count": 2}}),
    "без вопросов": json.dumps({**_good_report("Урок 3"), "summary": {"duration_s": 60.0}}),
    "части за пределами": json.dumps({**_good_report("Урок 3"), "parts": ["../../x"]}),
    "части числами": json.dumps({**_good_report("Урок 3"), "parts": [1, 2]}),
    "паттерны строкой": json.dumps({**_good_report("Урок 3"), "pattern_summary": "все"}),
    "не UTF-8": "Урок".encode("cp1251"),
}


@pytest.mark.parametrize("case", _BAD_REPORTS)
def test_a_damaged_report_json_is_named(tmp_path: Path, case: str) -> None:
    from pedpatterns.report.build import read_report

    path = tmp_path / "report.json"
    content = _BAD_REPORTS[case]
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(UserError, match="повреждён") as error:
        read_report(path, "Урок 3")
    assert str(path) in error.value.message and "find_patterns.py" in error.value.message


def test_an_older_report_with_a_bom_still_counts(tmp_path: Path) -> None:
    from pedpatterns.report.build import read_report

    path = tmp_path / "report.json"
    path.write_text("\ufeff" + json.dumps(_good_report("Урок 3"), ensure_ascii=False), encoding="utf-8")
    report = read_report(path, "Урок 3")
    assert report["summary"]["pause_count"] is None  # a metric it lacks is shown as «—»


@pytest.mark.slow  # two lessons' reports and the summary page: about 2 s on 2 busy cores
def test_the_summary_page_leaves_out_a_damaged_report_and_says_so(tmp_path: Path, capsys) -> None:
    lay = Layout(tmp_path)
    for name in ("Урок 1", "Урок 2"):
        part = make_known_lesson(lay, name)
        write_report(lay, analyse_lesson(lay, name, [part], None, ReportOptions(threshold=0.5)))
    damaged = lay.report_json("Урок 3")
    damaged.parent.mkdir()
    damaged.write_text("{}", encoding="utf-8")
    (damaged.parent / "report.html").write_text("<p>единственная копия</p>", encoding="utf-8")
    index = write_index(lay)
    assert index is not None and 'data-video="Урок 2"' in index.read_text(encoding="utf-8")
    assert 'data-video="Урок 3"' not in index.read_text(encoding="utf-8")
    warned = capsys.readouterr().err
    assert str(damaged) in warned and "не вошёл" in warned
    assert damaged.read_text(encoding="utf-8") == "{}" and (damaged.parent / "report.html").is_file()
