"""Praat TextGrid and ELAN .eaf files of a processed part, for linguists.

Linguists work in Praat and ELAN, not in HTML reports. Each processed part becomes one
TextGrid and one .eaf on the part's own time axis (seconds from the part's start, the
axis of part_films/<part>.mp4 and of transcript.json), written by the maintained
libraries of those formats (praatio, pympi-ling), with the tiers:

* ``слова`` — every recognised word;
* ``сегменты`` — the ~30-s segments the experts label (their number);
* ``вопросы`` — each question, from its first word to its question mark;
* ``говорящие`` — who speaks (учитель / ученик / вместе), only where the transcript has
  speakers (``turns``, or a ``speaker`` per word); absent otherwise;
* ``паттерны: эксперты`` — the merged experts' patterns of each labelled segment (labeled.csv);
* ``паттерны: модель по звуку и тексту`` — find_patterns.py's patterns per segment;
* ``паттерны: модель по кадрам`` — auto_classifier.py's patterns per segment, where that part was auto-labelled.

Tiers of intervals may not overlap in Praat, and Whisper's word times sometimes do (by a
few milliseconds): each tier is made non-overlapping here, never by the library's guess.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pedpatterns import fsutil
from pedpatterns.errors import UserError
from pedpatterns.labels.labelled import LabeledSet, load_labeled_segments, read_segments_table
from pedpatterns.layout import METADATA_JSONL, Layout
from pedpatterns.prepare import questions
from pedpatterns.prepare.speech import Word
from pedpatterns.report import lessonmetrics
from pedpatterns.words import LINE_NAMES

WORDS, SEGMENTS, QUESTIONS, SPEAKERS = "слова", "сегменты", "вопросы", "говорящие"
EXPERTS = "паттерны: эксперты"
TEXT_MODEL = "паттерны: модель по звуку и тексту"
IMAGE_MODEL = "паттерны: модель по кадрам"
SPEAKER_NAMES = {who: name.lower() for who, name in LINE_NAMES.items()}  # a tier label, as Praat tiers are
TEXTGRID_SUFFIX = ".TextGrid"
EAF_SUFFIX = ".eaf"
_MIN_LENGTH = 0.001  # shorter intervals are dropped: Praat cannot show them and ELAN merges them


@dataclass(frozen=True)
class Interval:
    start: float
    end: float
    label: str


Tiers = dict[str, list[Interval]]


# Characters XML 1.0 forbids (C0 controls but tab, newline and CR; U+FFFE, U+FFFF; lone surrogates):
# one of them in a word makes the .eaf a file ELAN refuses to open, and a lone surrogate cannot
# even be written as UTF-8. Whisper and hand-edited transcripts can carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(label: str) -> str:
    """``label`` with only characters XML 1.0 allows, its white space (newlines too) made single spaces."""
    return " ".join(_NOT_XML.sub("", label).split())


def _clean(intervals: Sequence[Interval], duration: float) -> list[Interval]:
    """Sorted, inside [0, duration], never overlapping: a later interval starts where the earlier ended.

    Labels keep only what both formats can hold (:func:`xml_safe`); an interval without a finite time is dropped.
    """
    out: list[Interval] = []
    finite = [iv for iv in intervals if math.isfinite(iv.start) and math.isfinite(iv.end)]
    for iv in sorted(finite, key=lambda i: (i.start, i.end)):
        start = max(0.0, iv.start, out[-1].end if out else 0.0)
        end = min(duration, iv.end)
        label = xml_safe(iv.label)
        if end - start >= _MIN_LENGTH and label:
            out.append(Interval(round(start, 3), round(end, 3), label))
    return out


def _words(transcript: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = transcript.get("words") or []
    return [w for w in items if isinstance(w, dict) and str(w.get("word", "")).strip()]


def word_intervals(transcript: Mapping[str, Any]) -> list[Interval]:
    return [Interval(float(w.get("start") or 0), float(w.get("end") or 0), str(w["word"]).strip())
            for w in _words(transcript)]


def question_intervals(transcript: Mapping[str, Any]) -> list[Interval]:
    """Each question as a sentence, first word to last, by the one rule of the features and the report."""
    words = [Word(float(w.get("start") or 0), float(w.get("end") or 0), str(w["word"]).strip(),
                  float(w.get("probability") or 1)) for w in _words(transcript)]
    out = []
    for span in questions.sentences(words):
        texts = [words[i].word for i in span]
        if questions.is_question(texts):
            out.append(Interval(words[span[0]].start, words[span[-1]].end, " ".join(texts)))
    return out


def speaker_intervals(transcript: Mapping[str, Any]) -> list[Interval] | None:
    """Who speaks when: the transcript's ``turns``, else runs of the words' ``speaker``; None when unknown."""
    turns = transcript.get("turns")
    if isinstance(turns, list) and turns:
        return [Interval(float(t.get("start") or 0), float(t.get("end") or 0),
                         SPEAKER_NAMES.get(str(t.get("speaker")), str(t.get("speaker") or "")))
                for t in turns if isinstance(t, dict)]
    words = [w for w in _words(transcript) if w.get("speaker")]
    if not words:
        return None
    runs: list[Interval] = []
    for w in words:
        name = SPEAKER_NAMES.get(str(w["speaker"]), str(w["speaker"]))
        if runs and runs[-1].label == name:
            runs[-1] = Interval(runs[-1].start, float(w["end"]), name)
        else:
            runs.append(Interval(float(w["start"]), float(w["end"]), name))
    return runs


def segment_pattern_intervals(segments: Sequence[Mapping[str, Any]], patterns_of: Mapping[int, Sequence[str]]
                              ) -> list[Interval]:
    """One interval per segment that has patterns; the label lists them, separated by «; »."""
    return [Interval(float(s["start"]), float(s["end"]), "; ".join(patterns_of[int(s["segment"])]))
            for s in segments if patterns_of.get(int(s["segment"]))]


def expert_patterns(labeled: LabeledSet | None, part: str) -> dict[int, list[str]]:
    if labeled is None:
        return {}
    rows = labeled.frame[labeled.frame["part"] == part]
    return {int(r["segment"]): list(r["labels"]) for r in rows.to_dict("records")}


def image_model_patterns(layout: Layout, part: str, threshold: float) -> dict[int, list[str]]:
    """auto_classifier.py's patterns of ``part`` (its metadata.jsonl), at or above ``threshold``; {} when none."""
    path = layout.auto_labeled_video(part) / METADATA_JSONL
    if not path.is_file():
        return {}
    out: dict[int, list[str]] = {}
    try:
        rows = fsutil.read_jsonl(path, "")
    except UserError:
        return {}
    for row in rows:
        top = row.get("top_3_predictions") or []
        if isinstance(row.get("segment"), int) and isinstance(top, list):
            out[row["segment"]] = [str(p.get("pattern")) for p in top
                                   if isinstance(p, dict) and float(p.get("confidence") or 0) >= threshold]
    return out


def part_tiers(
    transcript: Mapping[str, Any],
    segments: Sequence[Mapping[str, Any]],
    patterns: Mapping[str, Mapping[int, Sequence[str]]],
) -> tuple[Tiers, float]:
    """Every tier of one part (in order) and the part's duration; speakers and empty pattern tiers only when known."""
    ends = [float(s["end"]) for s in segments] + [iv.end for iv in word_intervals(transcript)]
    duration = max([float(transcript.get("duration") or 0), *ends, 0.001])
    tiers: Tiers = {
        WORDS: word_intervals(transcript),
        SEGMENTS: [Interval(float(s["start"]), float(s["end"]), str(int(s["segment"]))) for s in segments],
        QUESTIONS: question_intervals(transcript),
    }
    speakers = speaker_intervals(transcript)
    if speakers is not None:
        tiers[SPEAKERS] = speakers
    for name, of_segment in patterns.items():
        if of_segment:
            tiers[name] = segment_pattern_intervals(segments, of_segment)
    return {name: _clean(ivs, duration) for name, ivs in tiers.items()}, duration


def write_textgrid(path: Path, tiers: Tiers, duration: float) -> Path:
    """A long-format TextGrid (Praat's own), one interval tier per tier, gaps as empty intervals."""
    from praatio import textgrid

    grid = textgrid.Textgrid(minTimestamp=0.0, maxTimestamp=duration)
    for name, intervals in tiers.items():
        entries = [(iv.start, iv.end, iv.label) for iv in intervals]
        grid.addTier(textgrid.IntervalTier(name, entries, 0.0, duration))
    with fsutil.atomic_path(path) as tmp:
        grid.save(str(tmp), format="long_textgrid", includeBlankSpaces=True)
    return path


def write_eaf(path: Path, tiers: Tiers, media: Path | None = None, home: Path | None = None) -> Path:
    """An ELAN file with one tier per tier (milliseconds), linked to the part's video when there is one.

    ELAN looks for the video by its absolute address first, then relative to the .eaf:
    ``home`` is the folder the .eaf ends up in (it may be written in a temporary one).
    """
    from pympi import Elan

    eaf = Elan.Eaf(author="pedpatterns")
    eaf.remove_tier("default")
    if media is not None and media.is_file():
        relative = Path(os.path.relpath(media.resolve(), (home or path.parent).resolve())).as_posix()
        eaf.add_linked_file(media.resolve().as_uri(), relpath=relative, mimetype="video/mp4")
    for name, intervals in tiers.items():
        eaf.add_tier(name)
        for iv in intervals:
            eaf.add_annotation(name, round(iv.start * 1000), round(iv.end * 1000), iv.label)
    with fsutil.atomic_path(path) as tmp:
        Elan.to_eaf(str(tmp), eaf, pretty=True)
    return path


def load_experts(layout: Layout) -> LabeledSet | None:
    """The experts' merged labels for the pattern tier, or None (no labeled.csv, or nothing usable in it)."""
    if not layout.labeled_csv.is_file():
        return None
    try:
        return load_labeled_segments(layout)
    except UserError:
        return None


def write_part_files(
    layout: Layout,
    part: str,
    folder: Path,
    *,
    experts: LabeledSet | None,
    text_model: Mapping[int, Sequence[str]] | None = None,
    threshold: float = 0.5,
    home: Path | None = None,
    name: str | None = None,
) -> list[Path]:
    """``<part>.TextGrid`` and ``<part>.eaf`` in ``folder`` (which becomes ``home``); returns both paths.

    ``name``: the files' name instead of the part's, in a shared report (report/privacy.py); the
    .eaf then links no video, since the video's path names the film.
    """
    transcript = lessonmetrics.read_transcript(layout.transcript_json(part))
    table = read_segments_table(layout, part)
    segments = [] if table is None else table.reset_index().to_dict("records")
    patterns = {
        EXPERTS: expert_patterns(experts, part),
        TEXT_MODEL: dict(text_model or {}),
        IMAGE_MODEL: image_model_patterns(layout, part, threshold),
    }
    tiers, duration = part_tiers(transcript, segments, patterns)
    media = layout.part_film(part)
    stem = name or part
    return [
        write_textgrid(folder / f"{stem}{TEXTGRID_SUFFIX}", tiers, duration),
        write_eaf(folder / f"{stem}{EAF_SUFFIX}", tiers, media if media.is_file() and name is None else None,
                  home or folder),
    ]
