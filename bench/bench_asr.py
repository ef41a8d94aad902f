#!/usr/bin/env python3
"""Recognition: faster-whisper's modes on 10 minutes of dense real speech (speed and WER),
and faster-whisper vs openai-whisper on the same 60 s when the extra is installed.

The modes: sequential decoding with beam 5 (Whisper's usual setting), sequential greedy
(beam 1), and BatchedInferencePipeline with batch 8 (greedy). Every mode uses word
timestamps, the VAD filter and no conditioning on previous text, as prepare_data.py does.
The default of --asr-batch-size is chosen from this table.
"""

from __future__ import annotations

import importlib.util
import time

import benchmedia

from pedpatterns.prepare import media, speech

MODES = [("последовательно, beam 5", 0, 5), ("последовательно, beam 1", 0, 1), ("пакетами по 8, beam 1", 8, 1)]


def run_mode(audio, batch_size: int, beam_size: int) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    recognizer = speech.load_recognizer(speech.BUNDLED, batch_size=batch_size, beam_size=beam_size, cpu_threads=0)
    started = time.perf_counter()
    transcript = recognizer.transcribe(audio, "en")
    return time.perf_counter() - started, transcript.text


def main(seconds: float = 600.0) -> str:
    if not benchmedia.have_shared_media():
        text = f"Распознавание: пропущено — нет записей речи в {benchmedia.SHARED_MEDIA}"
        print(text)
        return text
    wav, reference = benchmedia.dense_speech(seconds)
    audio = media.decode_audio(wav)
    rows, results = [], {}
    for title, batch, beam in MODES:
        elapsed, text = run_mode(audio, batch, beam)
        results[title] = elapsed
        error = 100 * benchmedia.wer(reference, text)
        rows.append([title, f"{elapsed:.1f}", f"{seconds / elapsed:.0f}x", f"{error:.1f}"])
    base = results[MODES[0][0]]
    for row, (title, _, _) in zip(rows, MODES, strict=True):
        row.insert(2, f"{base / results[title]:.1f}x")
    text = (
        f"Распознавание {seconds / 60:.0f} мин плотной речи (jfk + stereo_diarization по кругу), Whisper tiny.en int8, "
        f"слова с временем, VAD; {benchmedia.machine()}\n\n"
        + benchmedia.table(["режим", "время, с", "быстрее beam 5", "быстрее реального времени", "WER, %"], rows)
    )

    minute = benchmedia.SHARED_MEDIA / "multilingual.mp3"
    minute_audio = media.decode_audio(minute)
    fw_s, _ = run_mode(minute_audio, speech.DEFAULT_BATCH_SIZE, speech.DEFAULT_BEAM_SIZE)
    if importlib.util.find_spec("whisper") is None:
        openai_line = "openai-whisper: skipped: openai-whisper not installed"
    else:
        recognizer = speech.load_recognizer("tiny.en", speech.OPENAI_WHISPER, beam_size=1)
        started = time.perf_counter()
        recognizer.transcribe(minute_audio, "en")
        ow_s = time.perf_counter() - started
        openai_line = f"openai-whisper tiny.en (fp32, CPU): {ow_s:.1f} с — в {ow_s / fw_s:.1f} раза медленнее"
    text += (
        f"\n\nОдин и тот же фрагмент 60 с (multilingual.mp3): faster-whisper tiny.en int8, режим по умолчанию "
        f"— {fw_s:.1f} с; {openai_line}."
    )
    print(text)
    for (title, _, _), row in zip(MODES, rows, strict=True):
        benchmedia.goal(f"распознавание 10 мин речи, {title}", f"{row[1]} с, WER {row[-1]} %",
                        f"beam 5: {base:.1f} с", "выбор режима по умолчанию", None)
    benchmedia.goal("faster-whisper против openai-whisper, 60 с", f"{fw_s:.1f} с", openai_line, "записано", None)
    return text


if __name__ == "__main__":
    main()
