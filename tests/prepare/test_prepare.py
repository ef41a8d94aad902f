"""prepare_data.py end to end: real ffmpeg, the real offline Whisper model, real speech.

One small lesson is built once for the module: 90 s, keyframes every 3.5 s, and from 48 s the English
sample lesson's teacher saying two lines (support.media.lesson_clip, 10.6 s). Cut into half-minute parts it
has three, which a stream copy must start at keyframes (0, 31.5 and 63 s, not 30 and 60), and the teacher
speaks in part 2 only.
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pytest

import prepare_data
from pedpatterns import cli, schema
from pedpatterns.labels.tags import AUDIO_TAG, IMAGE_TAG, LOCAL_FILES_PREFIX
from pedpatterns.layout import TMP_PREFIX, Layout
from pedpatterns.prepare import media
from pedpatterns.prepare.cutting import cut_film, read_parts
from tests.support.media import (
    BAD_FILMS,
    REPO_ROOT,
    bundled_tiny_en,
    lesson_clip,
    make_video,
    write_bad_film,
)
from tests.support.scripts import run_in_process

FILM = "Урок 5 «А» класс — it's mine 😀"
# Part 2's second 10 s window ends at lesson time 51.5 s, 3.5 s into the clip: inside its first line, whose
# end (4.4 s; the pause after it lasts until 6.6 s) is the nearest pause.
SPEECH_AT = 48.0
PATTERNS = ["Мой паттерн: вопрос классу", "Мой паттерн: похвала"]

# prepare_data.py's main as the shell would run it (in this process, for speed).
run_prepare = functools.partial(run_in_process, prepare_data.main)


@pytest.fixture(scope="module")
def part1_lesson(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A project whose film was cut into 3 parts, part 2 processed with the bundled model."""
    model = bundled_tiny_en()
    root = tmp_path_factory.mktemp("урок проект")
    layout = Layout(root)
    layout.ensure_top_folders()
    make_video(layout.films / f"{FILM}.mp4", 90, speech_at=SPEECH_AT, speech=lesson_clip().path, gop=35)
    patterns_file = root / "мои паттерны.txt"
    patterns_file.write_text("\n".join(PATTERNS) + "\n", encoding="utf-8")
    # What an interrupted earlier run would have left behind.
    (layout.processed_data / f"{TMP_PREFIX}{FILM}_part002.abc").mkdir()
    (layout.part_films / f"{TMP_PREFIX}cut-xyz").mkdir()
    args = ["--root", str(root), "--part-minutes", "0.5", "--segment-seconds", "10", "--whisper-model", model,
            "--language", "en", "--patterns", str(patterns_file)]
    code, out, err = run_prepare(*args, "--part", "2")
    assert code == 0, err
    return {"root": root, "layout": layout, "args": args, "out": out, "model": model}


def rows_of(layout: Layout, part: str) -> pd.DataFrame:
    return pd.read_csv(layout.segments_csv(part), keep_default_na=False)


def test_cut_times_are_true_keyframe_times(part1_lesson: dict) -> None:
    layout: Layout = part1_lesson["layout"]
    parts = read_parts(layout, FILM)
    assert parts is not None
    assert [p.path for p in parts] == [layout.part_path(FILM, n) for n in (1, 2, 3)]
    assert [p.start for p in parts] == pytest.approx([0.0, 31.5, 63.0], abs=0.1)
    for part in parts:
        assert media.probe(part.path).duration == pytest.approx(part.duration, abs=0.1)
    assert parts[-1].end == pytest.approx(90.0, abs=0.1)
    assert not [p for p in layout.part_films.iterdir() if p.name.startswith(TMP_PREFIX)]


def test_speech_lands_in_part_2_at_its_lesson_time(part1_lesson: dict) -> None:
    layout: Layout = part1_lesson["layout"]
    part = f"{FILM}_part002"
    rows = rows_of(layout, part)
    transcript = json.loads(layout.transcript_json(part).read_text(encoding="utf-8"))
    part_start = transcript["part_start"]
    assert part_start == pytest.approx(31.5, abs=0.1)
    assert (rows["lesson_start"] - rows["start"]).round(2).eq(round(part_start, 2)).all()
    spoken = rows[rows["text"].str.lower().str.contains("window")]
    assert len(spoken) == 1
    window = next(w for w in transcript["words"] if "window" in w["word"].lower())
    lesson_time = part_start + window["start"]
    line = lesson_clip().lines[1]  # "Look out of the window. ...": Whisper's word times run up to 0.5 s early
    assert SPEECH_AT + line["start"] - 0.5 < lesson_time < SPEECH_AT + line["end"]
    row = spoken.iloc[0]
    assert row["lesson_start"] <= lesson_time <= row["lesson_end"]
    assert "the weather and the season" in " ".join(rows["text"]).lower()  # tiny.en may drop the plural's s
    assert {"engine", "model", "language", "duration", "part_start", "words", "segments"} <= set(transcript)


def test_segments_csv_columns_and_files(part1_lesson: dict) -> None:
    layout: Layout = part1_lesson["layout"]
    part = f"{FILM}_part002"
    with open(layout.segments_csv(part), encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    assert header == schema.segments_csv_columns()
    rows = rows_of(layout, part)
    assert list(rows["segment"]) == list(range(len(rows)))
    assert rows["start"].iloc[0] == 0 and rows["end"].iloc[-1] == pytest.approx(31.5, abs=0.2)
    import cv2

    for i, row in rows.iterrows():
        assert row["keyframe"] == layout.keyframe(part, i).name
        image = cv2.imread(str(layout.keyframe(part, i)))
        assert image is not None and image.shape == (240, 320, 3)
        clip = media.probe(layout.audio_clip(part, i))
        assert clip.has_audio and clip.duration == pytest.approx(row["duration"], abs=0.15)
    config = layout.label_config(part).read_text(encoding="utf-8")
    assert all(p in config for p in PATTERNS) and "Паттерн 1" not in config


def test_pauses_found_where_silence_was_put(part1_lesson: dict) -> None:
    layout: Layout = part1_lesson["layout"]
    rows = rows_of(layout, f"{FILM}_part002")
    silent = rows[rows["lesson_end"] <= SPEECH_AT]
    speaking = rows[(rows["lesson_end"] > SPEECH_AT + 2) & (rows["lesson_start"] < SPEECH_AT + 9)]
    assert len(silent) >= 1 and len(speaking) >= 1
    assert (silent["speech_share"] < 0.05).all() and (silent["longest_pause"] >= 5).all()
    assert (silent["word_count"] == 0).all()
    assert (speaking["speech_share"] > 0.15).all() and (speaking["pitch_mean"] > 60).all()
    assert (speaking["word_count"] > 0).all()


def test_boundaries_inside_a_phrase_move_to_its_pause(part1_lesson: dict) -> None:
    layout: Layout = part1_lesson["layout"]
    part = f"{FILM}_part002"
    rows = rows_of(layout, part)
    audio = media.decode_audio(layout.part_path(FILM, 2))
    rate = media.SAMPLE_RATE
    speech_start = SPEECH_AT - rows["lesson_start"].iloc[0]  # the clip in part time
    length = lesson_clip().duration

    def loudness(a: float, b: float) -> float:
        return float(np.sqrt(np.mean(audio[int(a * rate) : int(b * rate)] ** 2)))

    voice = loudness(speech_start, speech_start + length)
    inside = [b for b in rows["start"].iloc[1:] if speech_start < b < speech_start + length]
    assert inside, "a boundary should fall inside the speech (10 s windows over 10.6 s of speech)"
    for boundary in inside:
        assert boundary != pytest.approx(round(boundary / 10) * 10, abs=0.05)  # it moved
        assert loudness(boundary - 0.1, boundary + 0.1) < 0.15 * voice, boundary
    # The phrase is whole: one segment ends with the first line, the next begins with the second.
    texts = [t.lower().strip(" .,!?") for t in rows["text"] if t]
    assert any(t.removesuffix("s").endswith("the weather and the season") for t in texts), texts
    assert any(t.startswith("look out of the window") for t in texts), texts


def _urls_resolve(layout: Layout) -> list[dict]:
    tasks = json.loads(layout.tasks_json.read_text(encoding="utf-8"))
    for task in tasks:
        for key in (IMAGE_TAG, AUDIO_TAG):
            url = task["data"][key]
            assert url.startswith(LOCAL_FILES_PREFIX)
            assert (layout.root / unquote(url[len(LOCAL_FILES_PREFIX) :])).is_file(), url
    return tasks


def test_every_task_url_resolves_to_a_file(part1_lesson: dict) -> None:
    layout: Layout = part1_lesson["layout"]
    tasks = _urls_resolve(layout)
    assert len(tasks) == len(rows_of(layout, f"{FILM}_part002"))
    assert "Готово" in part1_lesson["out"] and "Label Studio" in part1_lesson["out"]


def test_leftovers_of_an_interrupted_run_are_removed(part1_lesson: dict) -> None:
    layout: Layout = part1_lesson["layout"]
    assert not [p for p in layout.processed_data.iterdir() if p.name.startswith(TMP_PREFIX)]
    assert layout.processed_parts() == [f"{FILM}_part002"]


def test_rerun_reuses_parts_and_skips_the_processed_part(part1_lesson: dict) -> None:
    layout: Layout = part1_lesson["layout"]
    part = f"{FILM}_part002"
    index_time = layout.parts_index(FILM).stat().st_mtime_ns
    csv_time = layout.segments_csv(part).stat().st_mtime_ns
    code, out, _ = run_prepare(*part1_lesson["args"], "--part", f"{FILM}_part002.mp4")
    assert code == 0
    assert "уже нарезаны" in out and "уже обработана" in out and "--force" in out
    assert layout.parts_index(FILM).stat().st_mtime_ns == index_time
    assert layout.segments_csv(part).stat().st_mtime_ns == csv_time


def test_chooser_asks_again_after_a_wrong_answer(part1_lesson: dict) -> None:
    code, out, _ = run_prepare(*part1_lesson["args"], stdin="7\nдва\n2\n")
    assert code == 0
    assert "«7» — не номер" in out and "«два» — не номер" in out
    assert "все части (3)" in out and "уже обработана" in out


def test_chooser_without_input_names_the_flag(part1_lesson: dict) -> None:
    code, _, err = run_prepare(*part1_lesson["args"], stdin="")
    assert code != 0 and "--part" in err


@pytest.mark.slow
def test_all_parts_in_two_jobs_keep_every_task(part1_lesson: dict) -> None:
    # Last on purpose: it processes parts 1 and 3 of the shared lesson.
    layout: Layout = part1_lesson["layout"]
    code, _, err = run_prepare(*part1_lesson["args"], "--all", "--jobs", "2")
    assert code == 0, err
    assert layout.processed_parts() == [f"{FILM}_part00{n}" for n in (1, 2, 3)]
    tasks = _urls_resolve(layout)
    assert {t["data"]["part"] for t in tasks} == set(layout.processed_parts())
    assert sum(len(rows_of(layout, p)) for p in layout.processed_parts()) == len(tasks)
    # Parts 1 and 3 are silence: no text may be invented there.
    for n in (1, 3):
        assert json.loads(layout.transcript_json(f"{FILM}_part00{n}").read_text(encoding="utf-8"))["words"] == []


# --------------------------------------------------------------------------- cutting only


def test_part_minutes_change_recuts_and_reuse_otherwise(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    film = make_video(tmp_path / "films" / "короткий урок.mp4", 40, gop=20)
    first = cut_film(layout, film, 0.25)
    assert not first.reused and len(first.parts) == 3
    assert cut_film(layout, film, 0.25).reused
    second = cut_film(layout, film, 0.5)
    assert not second.reused and len(second.parts) == 2
    assert not layout.part_path("короткий урок", 3).exists()
    assert cut_film(layout, film, 0.5, force=True).reused is False
    layout.parts_index("короткий урок").unlink()
    assert cut_film(layout, film, 0.5).reused is False


@pytest.mark.parametrize("kind", BAD_FILMS)
def test_bad_film_is_named_and_nothing_is_written(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    layout = Layout(tmp_path)
    layout.ensure_top_folders()
    good = make_video(tmp_path / "good.mp4", 6, gop=20)
    bad = write_bad_film(kind, layout.films / f"плохой «{kind}» файл.mp4", good)
    before = sorted(p.name for p in layout.part_films.iterdir())
    code = cli.run(prepare_data.main, ["--root", str(tmp_path), "--yes", "--whisper-model", "bundled"])
    err = capsys.readouterr().err
    assert code == 1
    assert bad.name in err and "Ошибка" in err
    assert sorted(p.name for p in layout.part_films.iterdir()) == before
    assert not layout.parts_index(bad.stem).exists()


def test_several_films_with_yes_need_the_film_flag(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    layout.ensure_top_folders()
    for name in ("урок 1.mp4", "урок 2.mp4"):
        (layout.films / name).write_bytes(b"")
    code, _, err = run_prepare("--root", str(tmp_path), "--yes")
    assert code == 1 and "--film" in err
    code, _, err = run_prepare("--root", str(tmp_path), "--film", "урок 2.mp4", "--yes")
    assert code == 1 and "«урок 2.mp4»" in err  # picked by name, then refused as empty


def test_readme_data_dictionary_matches_the_schema() -> None:
    """The data dictionary users read (docs/outputs.md, generated by tools/docs.py) is the schema's."""
    page = (REPO_ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    section = page.split("<!-- generated: segments-csv -->")[1].split("<!-- /generated: segments-csv -->")[0]
    for column, meaning in {**schema.SEGMENT_COLUMNS, **schema.FEATURE_COLUMNS, **schema.SPEAKER_COLUMNS}.items():
        assert f"| `{column}` | {meaning} |" in section, column


def test_a_second_set_aside_within_a_second_gets_its_own_folder(tmp_path: Path) -> None:
    from pedpatterns.prepare.cutting import _new_replaced_dir

    layout = Layout(tmp_path)
    first = _new_replaced_dir(layout)
    first.mkdir(parents=True)
    second = _new_replaced_dir(layout)
    assert second != first and not second.exists() and second.parent == first.parent


@pytest.fixture(scope="module")
def silent_part(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 25 s part with no speech: three 10 s segments, each step's progress bar updated at least once."""
    return make_video(tmp_path_factory.mktemp("часть") / "Урок_part001.mp4", 25)


# Each step with a progress bar: what is broken to make it fail inside its bar, and the bar's title.
BAR_STEPS = {
    "recognition": (None, "Распознавание речи"),
    "features": ("segment_features", "Признаки"),
    "keyframes": ("sharpest_frames", "Ключевые кадры"),
    "clips": ("write_mp3", "Аудиофрагменты"),
}


@pytest.mark.parametrize("step", list(BAR_STEPS))
def test_a_failing_step_leaves_no_progress_bar_open(
    silent_part: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """Bars are shown (real tqdm, into a buffer) and each step fails inside its bar: none stays open."""
    from collections.abc import Callable

    from tqdm import tqdm

    from pedpatterns import progress
    from pedpatterns.prepare import processing, speech
    from pedpatterns.prepare.options import Options

    made: list[tqdm] = []  # strong references: a bar left open must not be closed by the garbage collector

    def shown_bar(desc: str, total: float, unit: str, show: bool) -> tqdm:
        made.append(tqdm(total=total, desc=desc, unit=unit, file=io.StringIO()))
        return made[-1]

    def broken(*args: object, on_window: Callable[[], None] | None = None, **kwargs: object) -> None:
        if on_window is not None:
            on_window()
        raise RuntimeError(f"сбой на шаге {step}")

    class Recognizer:
        def transcribe(
            self, audio: np.ndarray, language: str, on_progress: Callable[[float], None]
        ) -> speech.Transcript:
            on_progress(1.0)
            if step == "recognition":
                raise RuntimeError(f"сбой на шаге {step}")
            return speech.Transcript("fake", "fake", language, len(audio) / media.SAMPLE_RATE)

    target, shown = BAR_STEPS[step]
    monkeypatch.setattr(progress, "bar", shown_bar)
    if target == "segment_features":
        monkeypatch.setattr(processing, target, broken)
    elif target:
        monkeypatch.setattr(media, target, broken)
    layout = Layout(tmp_path)
    options = Options(segment_seconds=10, language="ru", speakers="none")
    with pytest.raises(RuntimeError, match=step):
        processing.process_part(layout, silent_part, options, Recognizer)
    assert any(bar.desc.startswith(shown) for bar in made), [bar.desc for bar in made]
    assert [bar.desc for bar in made if bar in tqdm._instances] == []
    assert not layout.part_dir(silent_part.stem).exists()
