"""The situations of docs/troubleshooting.md met for real: the scripts on real bad input print what the page quotes.

tests/basics/test_troubleshooting.py checks every quote of the page against the code's source; here the commonest
situations are made in a fresh project (no video, a broken film, no sound, a silent lesson, a Whisper model not
downloaded and no internet, a full disk, no dataset, no token) and the script's real output (or the report it
wrote) must contain the page's quote — names in «», «…» and numbers standing for what this run printed
(tests.support.messages.printed_form).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pedpatterns.layout import Layout
from tests.support.disks import fill
from tests.support.media import make_video, write_bad_film
from tests.support.messages import normalise, printed_form, quote_with
from tests.support.scripts import assert_refused, copy_project, run_script, script_env

pytestmark = pytest.mark.slow
pytest_plugins = ["tests.support.disks"]  # mount_tmpfs


def assert_prints(output: str, fragment: str) -> None:
    """The page's quote holding ``fragment`` is in ``output``, as the terminal showed it."""
    quote = quote_with(fragment)
    assert printed_form(quote).search(normalise(output)), (
        f"docs/troubleshooting.md цитирует не то, что напечатано.\nНа странице:\n{quote}\nНапечатано:\n{output}")


def project(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "мой проект")
    layout.ensure_top_folders()
    return layout


def test_no_video_in_films(tmp_path: Path) -> None:
    result = run_script("prepare_data.py", "--yes", root=project(tmp_path).root)
    assert_refused(result)
    assert_prints(result.err, "нет видео. Положите туда запись урока")


def test_no_video_in_new_videos(tmp_path: Path) -> None:
    result = run_script("find_patterns.py", root=project(tmp_path).root)
    assert_refused(result)
    assert_prints(result.err, "нет видео. Положите туда записи уроков")


@pytest.mark.parametrize(("kind", "fragment"), [
    ("empty", "пустой (0 байт)"),
    ("text", "не видео, или он повреждён"),
    ("truncated", "обрезан или не дописан"),
    ("silent", "нет звуковой дорожки"),
])
def test_a_broken_film(kind: str, fragment: str, tmp_path: Path) -> None:
    layout = project(tmp_path)
    write_bad_film(kind, layout.films / "Урок 5А.mp4", make_video(tmp_path / "good.mp4", 4, gop=20))
    result = run_script("prepare_data.py", "--yes", "--whisper-model", "bundled", root=layout.root)
    assert_refused(result)
    assert_prints(result.err, fragment)


def test_a_lesson_without_speech_gets_a_report_that_says_so(tmp_path: Path) -> None:
    """A sound track of silence is not refused: the report says nobody speaks, as the page quotes."""
    layout = project(tmp_path)
    make_video(layout.new_videos / "Урок 5А.mp4", 4, gop=20)
    result = run_script("find_patterns.py", "--whisper-model", "bundled", "--speakers", "mfcc", root=layout.root)
    assert result.code == 0, result.out + result.err
    page = layout.report_html("Урок 5А").read_text(encoding="utf-8")
    assert_prints(html.unescape(re.sub(r"<[^>]+>", " ", page)), "ни учитель, ни ученики не говорят")


def test_a_whisper_model_not_downloaded_and_no_internet(tmp_path: Path) -> None:
    layout = project(tmp_path)
    make_video(layout.films / "Урок 5А.mp4", 4, gop=20)
    offline = script_env(HF_HOME=str(tmp_path / "пустой кэш"))  # script_env is offline already
    result = run_script("prepare_data.py", "--yes", "--whisper-model", "small", root=layout.root, env=offline)
    assert_refused(result)
    assert_prints(result.err, "Не удалось загрузить модель распознавания речи Whisper")


def test_not_enough_disk_for_the_cut(tmp_path: Path, mount_tmpfs: Callable[..., Path]) -> None:
    disk = mount_tmpfs("16m")
    layout = project(disk)
    film = make_video(layout.films / "Урок 5А.mp4", 20, gop=20)
    fill(disk, film.stat().st_size // 2)
    result = run_script("prepare_data.py", "--yes", "--whisper-model", "bundled", root=layout.root)
    assert_refused(result)
    assert_prints(result.err, "Мало места на диске")


def test_upload_without_a_dataset(tmp_path: Path) -> None:
    result = run_script("upload_dataset.py", "--yes", root=project(tmp_path).root)
    assert_refused(result)
    assert_prints(result.err, "Датасет изображений в")


def test_upload_without_a_token(built: Path, tmp_path: Path) -> None:
    layout = copy_project(built, tmp_path)
    result = run_script("upload_dataset.py", "--yes", root=layout.root)
    assert_refused(result)
    assert_prints(result.err, "Нет токена Hugging Face")


def test_a_dataset_without_labels(tmp_path: Path) -> None:
    result = run_script("create_image_dataset.py", "--yes", root=project(tmp_path).root)
    assert_refused(result)
    assert_prints(result.err, "сохраните её как labeled.csv")
