"""Praat TextGrid and ELAN .eaf per part (issue 15), read back by praatio and pympi-ling themselves."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest
from praatio import textgrid
from pympi import Elan

from pedpatterns import fsutil
from pedpatterns.layout import Layout
from pedpatterns.report import linguistics
from pedpatterns.report.build import ReportOptions, analyse_lesson, write_report
from pedpatterns.testing.synthetic import make_known_lesson, write_ls_csv

P1, P3 = "Паттерн 1: Удержание внимания", "Паттерн 3: Вовлечение в диалог"


def _add_speakers(layout: Layout, part: str) -> None:
    """Speakers as issue 14 writes them: turns, and a speaker on each word."""
    path = layout.transcript_json(part)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["turns"] = [{"start": 0.0, "end": 10.0, "speaker": "teacher"},
                     {"start": 16.0, "end": 30.0, "speaker": "pupil"}]
    for word in data["words"]:
        word["speaker"] = "teacher" if word["start"] < 12 else "pupil"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_every_tier_reads_back_in_praat_and_elan(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 1")
    _add_speakers(layout, part)
    # Whisper's word times may overlap by a few milliseconds; Praat's tiers may not.
    data = json.loads(layout.transcript_json(part).read_text(encoding="utf-8"))
    data["words"][1]["start"] -= 0.01
    layout.transcript_json(part).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    write_ls_csv(layout, layout.labeled_csv, [(part, 0, [P1, P3], "1"), (part, 0, [P1], "2"), (part, 1, [P3], "1")])
    video = layout.auto_labeled_video(part)
    video.mkdir(parents=True)
    fsutil.write_jsonl(video / "metadata.jsonl", [
        {"file_name": "images/segment_001_keyframe.jpg", "segment": 1, "video": f"{part}.mp4",
         "top_3_predictions": [{"pattern": P3, "confidence": 0.8}, {"pattern": P1, "confidence": 0.3}]}])
    (layout.part_films / f"{part}.mp4").write_bytes(b"video")

    out = tmp_path / "выгрузка"
    out.mkdir()
    grid_path, eaf_path = linguistics.write_part_files(
        layout, part, out, experts=linguistics.load_experts(layout), text_model={0: [P1], 1: []})

    grid = textgrid.openTextgrid(str(grid_path), includeEmptyIntervals=False)
    assert grid.tierNames == (linguistics.WORDS, linguistics.SEGMENTS, linguistics.QUESTIONS, linguistics.SPEAKERS,
                              linguistics.EXPERTS, linguistics.TEXT_MODEL, linguistics.IMAGE_MODEL)
    assert grid.maxTimestamp == pytest.approx(30.0)
    words = grid.getTier(linguistics.WORDS).entries
    assert len(words) == 48 and words[-1].label == "слово27"
    assert all(a.end <= b.start for a, b in pairwise(words))
    (question,) = grid.getTier(linguistics.QUESTIONS).entries
    assert question.label.endswith("понятно?") and question.start == pytest.approx(0.0) and question.end == 10.0
    assert [(e.start, e.end, e.label) for e in grid.getTier(linguistics.SPEAKERS).entries] == [
        (0.0, 10.0, "учитель"), (16.0, 30.0, "ученик")]
    assert [(e.start, e.label) for e in grid.getTier(linguistics.SEGMENTS).entries] == [(0.0, "0"), (15.0, "1")]
    # Experts 1 and 2 both chose P1 on segment 0; P3 only one of two (half counts); segment 1: P3 by its one expert.
    assert [e.label for e in grid.getTier(linguistics.EXPERTS).entries] == [f"{P1}; {P3}", P3]
    assert [e.label for e in grid.getTier(linguistics.TEXT_MODEL).entries] == [P1]
    assert [(e.start, e.label) for e in grid.getTier(linguistics.IMAGE_MODEL).entries] == [(15.0, P3)]

    eaf = Elan.Eaf(str(eaf_path))
    assert set(eaf.get_tier_names()) == set(grid.tierNames)
    assert sorted(eaf.get_annotation_data_for_tier(linguistics.SPEAKERS)) == [(0, 10000, "учитель"),
                                                                               (16000, 30000, "ученик")]
    assert len(eaf.get_annotation_data_for_tier(linguistics.WORDS)) == 48
    (media,) = eaf.get_linked_files()
    assert media["RELATIVE_MEDIA_URL"].endswith(f"part_films/{part}.mp4") and media["MIME_TYPE"] == "video/mp4"


def test_without_speakers_or_labels_those_tiers_are_left_out(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 2")
    report = analyse_lesson(layout, "Урок 2", [part], None, ReportOptions())
    write_report(layout, report)
    folder = layout.report_dir("Урок 2")
    grid = textgrid.openTextgrid(str(folder / f"{part}.TextGrid"), includeEmptyIntervals=False)
    assert grid.tierNames == (linguistics.WORDS, linguistics.SEGMENTS, linguistics.QUESTIONS)
    eaf = Elan.Eaf(str(folder / f"{part}.eaf"))
    assert set(eaf.get_tier_names()) == set(grid.tierNames)


# --- words ELAN and Praat could not open (issue «Trust, second round») ------------------------

_FORBIDDEN = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xD800, 0xDBFF, 0xDC00, 0xDFFF,
                               0xFFFE, 0xFFFF)]


def test_xml_safe_keeps_only_what_xml_allows() -> None:
    for char in _FORBIDDEN:
        assert linguistics.xml_safe(f"да{char}нет") == "данет", repr(char)
    assert linguistics.xml_safe(" два\tслова\r\nи\u2028ещё ") == "два слова и ещё"
    assert linguistics.xml_safe('«кто?» <b> & "ты" 😀 \U0010fffd') == '«кто?» <b> & "ты" 😀 \U0010fffd'


@pytest.mark.parametrize("word", [
    "Кто\x00 ответит?", "\x01\x02\x1f", "ок\ufffe\uffff", "лишь\ud800половина", "\udc80",
    '<tag a="1"> & ]]> "кавычки"', "перевод\nстроки\r\tи таб", "\x0b\x0c", "5",
])
def test_every_written_file_opens_whatever_the_words_hold(tmp_path: Path, word: str) -> None:
    transcript = {
        "duration": 6.0,
        "words": [{"start": 0.5, "end": 1.5, "word": word, "speaker": "teacher"},
                  {"start": 2.0, "end": 3.0, "word": "Почему\x07?", "speaker": "pupil\x00"}],
        "turns": [{"start": 0.5, "end": 1.5, "speaker": "teacher"}, {"start": 2.0, "end": 3.0, "speaker": "x\x1b"}],
    }
    segments = [{"segment": 0, "start": 0.0, "end": 6.0}]
    patterns = {linguistics.EXPERTS: {0: [f"Паттерн\x00 {word}"]}}
    tiers, duration = linguistics.part_tiers(transcript, segments, patterns)
    grid_path = linguistics.write_textgrid(tmp_path / "часть.TextGrid", tiers, duration)
    eaf_path = linguistics.write_eaf(tmp_path / "часть.eaf", tiers)

    ET.parse(eaf_path)  # well-formed XML: what ELAN needs before anything else
    eaf = Elan.Eaf(str(eaf_path))
    grid = textgrid.openTextgrid(str(grid_path), includeEmptyIntervals=False)
    expected = linguistics.xml_safe(word)
    for name in tiers:
        from_elan = [label for _, _, label in eaf.get_annotation_data_for_tier(name)]
        from_praat = [entry.label for entry in grid.getTier(name).entries]
        assert from_elan == from_praat == [iv.label for iv in tiers[name]], name
        assert not any(c in label for label in from_elan for c in _FORBIDDEN), (name, from_elan)
    words = [label for _, _, label in eaf.get_annotation_data_for_tier(linguistics.WORDS)]
    assert words == ([expected] if expected else []) + ["Почему?"]
    assert [label for _, _, label in eaf.get_annotation_data_for_tier(linguistics.SPEAKERS)] == ["учитель", "x"]


def test_intervals_without_a_finite_time_are_left_out(tmp_path: Path) -> None:
    tiers = {linguistics.WORDS: linguistics._clean(
        [linguistics.Interval(float("nan"), 1.0, "а"), linguistics.Interval(0.0, float("inf"), "б"),
         linguistics.Interval(1.0, 2.0, "в")], 3.0)}
    assert tiers[linguistics.WORDS] == [linguistics.Interval(1.0, 2.0, "в")]
    Elan.Eaf(str(linguistics.write_eaf(tmp_path / "a.eaf", tiers)))
