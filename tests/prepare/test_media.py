"""media.py with the real ffmpeg: probing, bad inputs, cutting, audio, keyframes, clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pedpatterns.errors import UserError
from pedpatterns.prepare import media
from tests.support.media import lesson_clip, make_video, write_bad_film

BANNER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':
  Duration: 01:02:03.50, start: 0.000000, bitrate: 454 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1280x720 [SAR 1:1 DAR 16:9], 25 fps
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)
  Stream #0:2[0x0]: Video: mjpeg (Baseline), yuvj420p, 300x300, 90k tbn (attached pic)
"""


def test_parse_probe_reads_duration_streams_size() -> None:
    info = media.parse_probe(Path("x.mp4"), BANNER)
    assert info.duration == pytest.approx(3723.5)
    assert (info.has_video, info.has_audio) == (True, True)
    assert (info.width, info.height, info.fps) == (1280, 720, 25.0)


def test_parse_probe_cover_art_is_not_a_video() -> None:
    only_cover = "\n".join(line for line in BANNER.splitlines() if "h264" not in line)
    assert media.parse_probe(Path("x.mp4"), only_cover).has_video is False


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def speech_video(media_dir: Path) -> Path:
    # Keyframes every 3.5 s: parts of 10 s must start at 0, 10.5, 21 — not at 10 and 20.
    return make_video(media_dir / "speech.mp4", 30, speech_at=12.0, speech=lesson_clip().path, gop=35)


def test_probe_real_video(speech_video: Path) -> None:
    info = media.probe(speech_video)
    assert info.duration == pytest.approx(30.0, abs=0.1)
    assert info.has_video and info.has_audio


@pytest.mark.parametrize("kind", ["text", "empty", "truncated"])
def test_probe_rejects_bad_files_naming_them(kind: str, media_dir: Path, speech_video: Path) -> None:
    path = write_bad_film(kind, media_dir / f"плохой файл {kind}.mp4", speech_video)
    with pytest.raises(UserError) as caught:
        media.probe(path)
    assert path.name in caught.value.message
    assert any("а" <= ch <= "я" for ch in caught.value.message.lower())


def test_video_without_audio_is_refused(media_dir: Path) -> None:
    path = make_video(media_dir / "немое видео.mp4", 3, audio=False)
    info = media.probe(path)
    assert info.has_video and not info.has_audio
    with pytest.raises(UserError, match="нет звуковой дорожки"):
        media.require_lesson_video(info)


def test_cut_records_true_keyframe_times(speech_video: Path, tmp_path: Path) -> None:
    spans = media.cut_by_copy(speech_video, tmp_path, 10.0)
    assert [s.file for s in spans] == ["part_001.mp4", "part_002.mp4", "part_003.mp4"]
    # A copy can only start at a keyframe (every 3.5 s here), not at 10 and 20 s; the
    # recorded start follows the first audio packet, a few ms after the keyframe.
    assert [s.start for s in spans] == pytest.approx([0.0, 10.5, 21.0], abs=0.1)
    for span in spans:
        real = media.probe(tmp_path / span.file).duration
        assert real == pytest.approx(span.duration, abs=0.1)
    assert spans[-1].end == pytest.approx(30.0, abs=0.1)


def test_decode_audio_once_to_16k_mono(speech_video: Path) -> None:
    audio = media.decode_audio(speech_video)
    assert audio.dtype == np.float32
    assert len(audio) == pytest.approx(30 * media.SAMPLE_RATE, abs=media.SAMPLE_RATE * 0.1)
    silence, voice = audio[: 11 * media.SAMPLE_RATE], audio[13 * media.SAMPLE_RATE : 20 * media.SAMPLE_RATE]
    assert np.abs(silence).max() < 1e-3 < np.sqrt(np.mean(voice**2))


def test_sharpest_candidate_is_chosen_not_the_first(media_dir: Path) -> None:
    # The first 6 s of every 10 s are blurred: candidates at 1.7, 5 and 8.3 s of a window.
    video = make_video(media_dir / "blur.mp4", 20, audio=False, blur_first=6.0)
    frames = media.sharpest_frames(video, [(0.0, 10.0), (10.0, 20.0)], candidates=3)
    import cv2

    capture = cv2.VideoCapture(str(video))
    capture.set(cv2.CAP_PROP_POS_MSEC, media.candidate_times(0.0, 10.0)[0] * 1000)
    ok, first = capture.read()
    capture.release()
    assert ok
    first_score = media.sharpness(cv2.cvtColor(first, cv2.COLOR_BGR2GRAY))
    for frame in frames:
        assert frame is not None and frame.shape == (240, 320, 3)
        assert media.sharpness(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)) > 3 * first_score


def test_mp3_clip_from_array_round_trips(tmp_path: Path) -> None:
    rate = media.SAMPLE_RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(2 * rate) / rate)).astype(np.float32)
    clip = tmp_path / "клип «1».mp3"
    media.write_mp3(clip, tone)
    back = media.decode_audio(clip)
    assert media.probe(clip).has_audio
    assert len(back) == pytest.approx(2 * rate, abs=0.1 * rate)
    assert np.sqrt(np.mean(back**2)) == pytest.approx(0.3 / np.sqrt(2), rel=0.15)
