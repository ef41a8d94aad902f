"""prepare_data.py on a real two-voice dialogue: turns, speaker words, speaker columns and tasks that say who speaks."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pedpatterns.layout import Layout
from pedpatterns.prepare import speakers
from pedpatterns.schema import SPEAKER_COLUMNS, read_segment_rows
from pedpatterns.testing import dialogues
from tests.support.media import bundled_tiny_en, make_video
from tests.support.outputs import documented_fields
from tests.support.programs import require_program
from tests.support.scripts import Result

LEAD = 1.0  # where the dialogue starts in the film


def write_wav(path: Path, audio: np.ndarray) -> Path:
    from pedpatterns.prepare import media

    subprocess.run([media.ffmpeg_exe(), "-v", "error", "-y", "-f", "f32le", "-ar", str(dialogues.SR), "-ac", "1",
                    "-i", "-", str(path)], input=audio.astype(np.float32).tobytes(), check=True)
    return path


@pytest.mark.slow
@pytest.mark.torch
def test_two_voices_are_told_apart_end_to_end(fresh_project: Layout, script: Callable[..., Result],
                                              tmp_path: Path) -> None:
    require_program("espeak-ng")
    model = bundled_tiny_en()
    scene = dialogues.tts_dialogue("en")
    seconds = LEAD + scene.duration + 1
    make_video(fresh_project.films / "диалог.mp4", seconds, speech_at=LEAD, speech=write_wav(tmp_path / "d.wav",
                                                                                            scene.audio))
    # Short segments: the question of the first one is then its last, whatever the TTS voices' speed (with 15 s,
    # espeak-ng 1.51 fitted «…yesterday?» and the teacher's next words into it too, and nobody "answered").
    args = ["--yes", "--whisper-model", model, "--language", "en", "--part-minutes", "2", "--segment-seconds", "6"]
    result = script("prepare_data.py", *args, root=fresh_project.root, timeout=300)
    assert result.returncode == 0, result.stderr
    [part] = fresh_project.processed_parts()
    transcript = json.loads(fresh_project.transcript_json(part).read_text(encoding="utf-8"))
    assert transcript["speakers"]["engine"] == speakers.DEFAULT_ENGINE and transcript["speakers"]["voices"] == 2
    turns = [speakers.Turn(t["start"] - LEAD, t["end"] - LEAD, t["speaker"]) for t in transcript["turns"]]
    score = dialogues.score(turns, scene.truth, scene.duration)
    assert score.accuracy >= 0.9 and abs(score.teacher_share - score.true_teacher_share) <= 0.05, score
    spoken = {w.get("speaker") for w in transcript["words"]}
    assert spoken == {speakers.TEACHER, speakers.PUPIL}
    documented = documented_fields("transcript.json")  # what Part 1 really writes is what docs/outputs.md says
    assert set(transcript) <= set(documented), set(transcript) - set(documented)

    rows = read_segment_rows(fresh_project.segments_csv(part))
    assert all(set(SPEAKER_COLUMNS) <= set(row) for row in rows)
    teacher = sum(float(r["teacher_seconds"]) for r in rows)
    pupil = sum(float(r["pupil_seconds"]) for r in rows)
    assert abs(teacher / seconds - score.true_teacher_share * scene.duration / seconds) <= 0.05
    assert pupil > 5 and sum(int(r["pupil_turns"]) for r in rows) >= 3
    assert "1" in {r["pupil_answered"] for r in rows}  # «Who can tell me…?» — «It is sunny and warm.»

    tasks = json.loads(fresh_project.tasks_json.read_text(encoding="utf-8"))
    text = "\n".join(t["data"]["text"] for t in tasks)
    assert "Учитель: " in text and "\nУченик: " in text

    again = script("prepare_data.py", *args, "--force", "--speakers", "none", root=fresh_project.root, timeout=300)
    assert again.returncode == 0, again.stderr
    transcript = json.loads(fresh_project.transcript_json(part).read_text(encoding="utf-8"))
    assert "turns" not in transcript and "--speakers" in transcript["speakers"]["note"]
    rows = read_segment_rows(fresh_project.segments_csv(part))
    assert {r["teacher_share"] for r in rows} == {""}
