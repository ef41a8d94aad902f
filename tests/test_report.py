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
from pedpatterns.synthetic import (
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
    # Everything is embedded but the segments' clips: relative links into processed_data/ (issue 14).
    linked = re.findall(r'(?:src|href)="(?!data:)([^"]*)"', html)
    assert linked and all(re.fullmatch(r"\.\./\.\./\.\./processed_data/[^/]+/segment_\d{3}_audio\.mp3", u)
                          for u in linked), linked
    assert html.count('src="data:image/jpeg;base64,') == 2 and html.count('src="data:image/png;base64,') == 2
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
