"""`python -m pedpatterns doctor`: what is missing, said before a long run fails on it.

Runs on a bare Python too (the standard library alone at import time), so it can say that the packages are not
installed yet; every check that needs a package imports it inside the check. Each check is a line in Russian with
what to do; the exit code is 1 when something blocks the work (EXIT_USER_ERROR), 0 when only warnings remain.

How much disk the films need: a part is a stream copy (as large as its share of the film), the audio of a part is
kept as a 16 kHz mono WAV while it is processed (32 kB a second) and its segments as MP3 and JPEG keyframes (much
smaller): ``film size + duration × 40 kB/s`` for each film not cut yet, plus the bundled model (150 MB) when it is not
assembled yet, plus a reserve of 500 MB.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pedpatterns import fsutil
from pedpatterns.errors import EXIT_USER_ERROR, UserError
from pedpatterns.layout import TOP_FOLDERS, Layout, default_root

SUPPORTED = ((3, 10), (3, 12))
# Imported by the stages; their absence means `python tools/make.py install` has not run (or failed).
REQUIRED_MODULES = ("numpy", "faster_whisper", "librosa", "sklearn", "pandas", "tensorflow", "imageio_ffmpeg",
                    "filelock", "tqdm", "datasets", "skops", "pymorphy3")
AUDIO_BYTES_PER_SECOND = 40_000
MODEL_BYTES = 150 * 1024**2
RESERVE_BYTES = 500 * 1024**2
INSTALL = "python tools/make.py install" if os.name != "nt" else "py -3.11 tools\\make.py install"

OK, WARN, BLOCK = "ок", "внимание", "мешает"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, what was found, and what to do when it is not fine."""

    name: str
    status: str  # OK, WARN or BLOCK
    found: str
    todo: str = ""


@dataclass(frozen=True)
class Film:
    name: str
    size: int
    seconds: float | None  # None: ffmpeg could not read its duration
    cut: bool  # its parts are already in part_films/


def disk_needed(films: Sequence[Film], model_ready: bool) -> int:
    """Bytes the films still need (see the module's docstring for the rule)."""
    need = RESERVE_BYTES + (0 if model_ready else MODEL_BYTES)
    for film in films:
        if not film.cut:
            need += film.size + int((film.seconds or 0) * AUDIO_BYTES_PER_SECOND)
    return need


def gigabytes(size: float) -> str:
    return f"{size / 1024**3:.1f} ГБ".replace(".", ",")


def report(checks: Sequence[Check]) -> str:
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        lines.append(f"[{check.status:^8}] {check.name.ljust(width)}  {check.found}")
        if check.todo and check.status != OK:
            lines.append(f"{'':10} {'':{width}}  → {check.todo}")
    blocking = [check.name for check in checks if check.status == BLOCK]
    lines.append("")
    lines.append(f"Мешает работе: {', '.join(blocking)}." if blocking else "Всё нужное для работы на месте.")
    return "\n".join(lines)


def exit_code(checks: Sequence[Check]) -> int:
    return EXIT_USER_ERROR if any(check.status == BLOCK for check in checks) else 0


def check_python(version: tuple[int, int] = sys.version_info[:2]) -> Check:
    text = f"{version[0]}.{version[1]}"
    if SUPPORTED[0] <= version <= SUPPORTED[1]:
        return Check("Python", OK, text)
    return Check("Python", BLOCK, f"{text}, а нужен 3.10–3.12",
                 "поставьте Python 3.11 (python.org) и запускайте им: py -3.11 tools\\make.py ... (Windows) "
                 "или python3.11 tools/make.py ...")


def check_packages() -> Check:
    missing = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return Check("Пакеты", OK, "установлены")
    return Check("Пакеты", BLOCK, f"не установлены: {', '.join(missing)}",
                 f"установите окружение: {INSTALL} (и запускайте скрипты его Python: .venv)")


def check_ffmpeg() -> Check:
    if importlib.util.find_spec("imageio_ffmpeg") is None:
        return Check("ffmpeg", BLOCK, "нет пакета imageio-ffmpeg", f"установите окружение: {INSTALL}")
    import imageio_ffmpeg

    try:
        exe = imageio_ffmpeg.get_ffmpeg_exe()
        done = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        return Check("ffmpeg", BLOCK, f"не запускается: {error}", f"переустановите окружение: {INSTALL}")
    if done.returncode != 0:
        return Check("ffmpeg", BLOCK, f"не запускается (код {done.returncode})", f"переустановите: {INSTALL}")
    words = done.stdout.split()
    return Check("ffmpeg", OK, f"версия {words[2] if len(words) > 2 else '?'} (из пакета imageio-ffmpeg)")


def check_writable(layout: Layout) -> Check:
    blocked = []
    for name in TOP_FOLDERS:
        folder = layout.root / name
        try:  # a missing folder is made by the scripts themselves: then the project folder must take it
            target = folder if folder.is_dir() else layout.root
            with tempfile.NamedTemporaryFile(dir=target, prefix=fsutil.temp_prefix("doctor")):
                pass
        except OSError as error:
            blocked.append(f"{name}/ ({error.strerror or error})")
    if not blocked:
        return Check("Запись в папки", OK, f"можно писать в папки проекта {layout.root}")
    return Check("Запись в папки", BLOCK, "нельзя писать: " + ", ".join(blocked),
                 "дайте себе право записи в эти папки или перенесите проект в свою папку (например, Документы)")


def model_ready() -> bool | None:
    """Whether the bundled multilingual base is assembled in the cache; None when its packages are missing."""
    try:
        from pedpatterns.prepare import bundled
    except ImportError:
        return None
    if not bundled.packages_installed(bundled.BASE):
        return None
    return bundled.is_assembled(bundled.BASE)


def check_model(ready: bool | None) -> Check:
    if ready is None:
        return Check("Модель Whisper", BLOCK, "встроенная модель не установлена", f"установите окружение: {INSTALL}")
    if ready:
        return Check("Модель Whisper", OK, "встроенная модель base собрана в кэше")
    return Check("Модель Whisper", WARN, "встроенная модель base ещё не собрана в кэше",
                 "ничего делать не нужно: первый запуск соберёт её сам (150 МБ, около минуты)")


def films_of(layout: Layout) -> list[Film]:
    films = []
    for path in layout.list_films():
        films.append(Film(path.name, path.stat().st_size, _duration(path), layout.parts_index(path.stem).is_file()))
    return films


def _duration(path: Path) -> float | None:
    """The film's length by ffmpeg, or None where ffmpeg or the packages are missing (said by their own checks)."""
    from pedpatterns.errors import UserError

    try:
        from pedpatterns.prepare import media

        return media.probe(path).duration
    except (ImportError, UserError, OSError):
        return None


def check_disk(layout: Layout, films: Sequence[Film], ready: bool | None) -> Check:
    need = disk_needed(films, bool(ready))
    free = shutil.disk_usage(layout.root).free
    waiting = sum(not film.cut for film in films)
    found = f"свободно {gigabytes(free)}, нужно около {gigabytes(need)} ({waiting} фильм(ов) в films/ ещё не нарезано)"
    if free >= need:
        return Check("Место на диске", OK, found)
    return Check("Место на диске", BLOCK, found,
                 f"освободите не меньше {gigabytes(need - free)} на диске с проектом "
                 "или уберите часть фильмов из films/")


def check_label_studio(root: Path) -> Check:
    try:
        from pedpatterns.labelstudio import server
    except ImportError:
        return Check("Label Studio", WARN, "не проверен: пакеты проекта не установлены", INSTALL)
    venv = server.label_studio_venv(root)
    if venv is not None:
        return Check("Label Studio", OK, f"установлен в {venv.name}")
    return Check("Label Studio", WARN, "не установлен (нужен только для разметки экспертами)",
                 "python tools/make.py labelstudio")


def check_speakers() -> Check:
    """The speaker engine's own check (it imports PyTorch, not only looks it up), so doctor and a run say the same."""
    try:
        from pedpatterns.prepare import speakers
    except ImportError:
        return Check("Кто говорит", WARN, "не проверен: пакеты проекта не установлены", INSTALL)
    problem = speakers.resemblyzer_problem()
    if problem:
        return Check("Кто говорит", WARN, problem, "python tools/make.py speakers (или запускайте с --speakers mfcc)")
    return Check("Кто говорит", OK, "движок resemblyzer (PyTorch для процессора)")


def check_imagenet() -> Check:
    """The ImageNet weights the keyframe model starts from offline, found and checked as training would."""
    try:
        from pedpatterns.models import imagenet
    except ImportError:
        return Check("Веса ImageNet", WARN, "не проверены: пакеты проекта не установлены", INSTALL)
    path = imagenet.checkpoint_path()
    if path is None:
        return Check("Веса ImageNet", WARN, f"нет пакета {imagenet.PACKAGE}: модель по кадрам обучится без них "
                     "(или скачает веса Keras, если есть интернет)", f"установите окружение: {INSTALL}")
    try:
        imagenet.read_checked(path)
    except UserError as exc:
        return Check("Веса ImageNet", WARN, exc.message.split(". ")[0], f"переустановите окружение: {INSTALL}")
    return Check("Веса ImageNet", OK, f"MobileNetV2 из пакета {imagenet.PACKAGE}, без интернета")


def run_checks(layout: Layout) -> list[Check]:
    checks = [check_python(), check_packages(), check_ffmpeg(), check_writable(layout)]
    ready = model_ready()
    checks += [check_model(ready), check_disk(layout, films_of(layout), ready),
               check_label_studio(layout.root), check_speakers(), check_imagenet()]
    return checks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pedpatterns doctor",
                                     description="Проверяет, всё ли готово к работе, и говорит, что сделать.")
    parser.add_argument("--root", type=Path, default=default_root(), help="папка проекта (по умолчанию — эта)")
    args = parser.parse_args(argv)
    checks = run_checks(Layout(args.root))
    print(report(checks))
    return exit_code(checks)
