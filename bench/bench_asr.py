#!/usr/bin/env python3
"""Recognition on the model users run offline: the bundled multilingual base, its decoding modes on
10 minutes of dense real English and Russian speech (time and WER), the default mode chosen from both,
and what a teacher should expect per 10 minutes with tiny, base and small.

The modes: sequential decoding with beam 5 (Whisper's usual setting), sequential greedy (beam 1), and
faster-whisper's BatchedInferencePipeline with 4, 8 and 16 windows at once (greedy). Every mode uses
word timestamps, the VAD filter and no conditioning on previous text, as prepare_data.py does.
The default is the fastest mode whose WER stays within one point of sequential beam 5 on both languages.

    python bench/bench_asr.py [seconds]
"""

from __future__ import annotations

import sys
import time

import benchmedia

from pedpatterns.prepare import media, speech

MODES = [
    ("последовательно, beam 5", 0, 5),
    ("последовательно, beam 1", 0, 1),
    ("пакетами по 4, beam 1", 4, 1),
    ("пакетами по 8, beam 1", 8, 1),
    ("пакетами по 16, beam 1", 16, 1),
]
CORPORA = [("английская речь", "en", False), ("русская речь", "ru", True)]
WER_MARGIN = 1.0  # percentage points a faster default may lose against sequential beam 5
# Relative speed of the Whisper sizes published by OpenAI (github.com/openai/whisper, "Available models"):
# tiny ~10x, base ~7x, small ~4x. Used only where a size could not be measured here (small needs a download).
PUBLISHED_SPEED = {"tiny": 10.0, "base": 7.0, "small": 4.0}


def run_mode(model: str, audio, language: str, batch_size: int, beam_size: int) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    recognizer = speech.load_recognizer(model, batch_size=batch_size, beam_size=beam_size, cpu_threads=0)
    started = time.perf_counter()
    transcript = recognizer.transcribe(audio, language)
    return time.perf_counter() - started, transcript.text


def choose(results: dict[str, dict[str, tuple[float, float]]]) -> str:
    """The fastest mode (summed over the corpora) within WER_MARGIN of beam 5 on every corpus."""
    reference = MODES[0][0]
    fit = [title for title, _, _ in MODES
           if all(r[title][1] <= r[reference][1] + WER_MARGIN for r in results.values())]
    return min(fit, key=lambda title: sum(r[title][0] for r in results.values()))


def main(seconds: float = 600.0) -> str:
    if not benchmedia.have_shared_media():
        text = f"Распознавание: пропущено — нет записей речи в {benchmedia.SHARED_MEDIA}"
        print(text)
        return text
    results: dict[str, dict[str, tuple[float, float]]] = {}
    sections = []
    for corpus, language, russian in CORPORA:
        wav, reference = benchmedia.dense_speech(seconds, russian=russian)
        audio = media.decode_audio(wav)
        results[corpus] = {}
        for title, batch, beam in MODES:
            elapsed, text = run_mode(speech.BUNDLED, audio, language, batch, beam)
            results[corpus][title] = (elapsed, 100 * speech.word_error_rate(reference, text))
        base_s, base_wer = results[corpus][MODES[0][0]]
        rows = [[title, f"{s:.1f}", f"{base_s / s:.1f}x", f"{seconds / s:.1f}x", f"{w:.1f}",
                 "да" if w <= base_wer + WER_MARGIN else "нет"]
                for title, (s, w) in results[corpus].items()]
        sections.append(f"**{corpus}** ({language})\n\n" + benchmedia.table(
            ["режим", "время, с", "быстрее beam 5", "быстрее реального времени", "WER, %",
             f"WER ≤ beam 5 + {WER_MARGIN:.0f}"], rows))
    chosen = choose(results)
    default = next(t for t, b, k in MODES if (max(b, 1), k) == (max(speech.DEFAULT_BATCH_SIZE, 1),
                                                                  speech.DEFAULT_BEAM_SIZE))

    tiny_audio = media.decode_audio(benchmedia.dense_speech(seconds)[0])
    batch, beam = next((b, k) for t, b, k in MODES if t == chosen)
    tiny_s, _ = run_mode(speech.BUNDLED_TINY_EN, tiny_audio, "en", batch, beam)
    base_s = results[CORPORA[0][0]][chosen][0]
    per_ten = 600.0 / seconds
    small_s = base_s * PUBLISHED_SPEED["base"] / PUBLISHED_SPEED["small"]
    expected = [
        ["tiny (tiny.en, только английский)", f"{tiny_s * per_ten:.0f} с", "замер"],
        ["base (bundled)", f"{base_s * per_ten:.0f} с", "замер"],
        ["small (по умолчанию, скачивается)", f"≈{small_s * per_ten:.0f} с",
         f"оценка: base × {PUBLISHED_SPEED['base'] / PUBLISHED_SPEED['small']:.2f} (опубликованное соотношение "
         "скоростей OpenAI), здесь не замерялась — без интернета её не скачать"],
    ]
    text = (
        f"Распознавание {seconds / 60:.0f} мин плотной настоящей речи, встроенная многоязычная Whisper base "
        f"(bundled) int8, слова с временем, VAD; {benchmedia.machine()}. Английская — jfk + stereo_diarization "
        f"по кругу, русская — ru.wav + test_sound_ru.wav по кругу (../shared/media).\n\n"
        + "\n\n".join(sections)
        + f"\n\nСамый быстрый режим с WER не хуже beam 5 + {WER_MARGIN:.0f} п. на обоих языках: **{chosen}**; "
        f"по умолчанию в pedpatterns: {default}.\n\n"
        f"Чего ждать на 10 минут речи в режиме «{chosen}» (2 ядра):\n\n"
        + benchmedia.table(["модель", "время на 10 мин", "как получено"], expected)
    )
    print(text)
    for corpus, _, _ in CORPORA:
        for title, (s, w) in results[corpus].items():
            benchmedia.goal(f"base, {corpus}, {title}", f"{s:.1f} с, WER {w:.1f} %",
                            f"beam 5: {results[corpus][MODES[0][0]][0]:.1f} с", "выбор режима", None)
    benchmedia.goal("режим по умолчанию = самый быстрый в пределах 1 п. WER", default, f"по замеру: {chosen}",
                    "совпадают", default == chosen)
    return text


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 600.0)
