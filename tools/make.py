#!/usr/bin/env python3
"""What `make` does, for every system: Linux and macOS, and Windows without make, bash or WSL.

Standard library only, so it runs on a Python that has nothing installed yet:

    python3 tools/make.py demo          # Linux, macOS
    py -3.11 tools\\make.py demo         # Windows

Each environment is installed from its lock in locks/ (tools/locks.py), with hashes and without resolving anything:
what a newcomer gets is what the tests passed with. An environment is installed again only when its lock changed
(a stamp in the virtual environment holds the lock's SHA-256). The Makefile is a thin alias for this file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path

import locks  # tools/locks.py: python puts this file's folder first on sys.path

ROOT = locks.ROOT
VENV = ROOT / ".venv"
LS_VENV = ROOT / ".venv-labelstudio"
SUPPORTED = ((3, 10), (3, 12))
# The tiers: `test` runs everything; `test-fast` needs neither Label Studio nor PyTorch.
FAST_TIER = "not slow and not labelstudio and not torch"
STEP_ENV: dict[str, str] = {}  # the environment of every step, set by main()


class Failure(Exception):
    """A step that cannot go on: its Russian message is printed without a traceback, and the exit code is 1."""


def venv_python(folder: Path, system: str = os.name) -> Path:
    """The interpreter of a virtual environment, in the layout of this system."""
    if system == "nt":
        return folder / "Scripts" / "python.exe"
    return folder / "bin" / "python"


def utf8_console() -> dict[str, str]:
    """UTF-8 output here and in every step, whatever the console's code page (cp866, cp1251): the environment
    for the steps. A Windows console shows it through its own Unicode API; a file or pipe gets UTF-8."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    return {**os.environ, "PYTHONIOENCODING": "utf-8"}  # stdio only: files keep their explicit encodings


def run(*command: str | Path) -> None:
    print("→", " ".join(str(part) for part in command), flush=True)
    done = subprocess.run([str(part) for part in command], cwd=ROOT, env=STEP_ENV or None, check=False)
    if done.returncode != 0:
        raise Failure(f"команда завершилась с кодом {done.returncode}: {' '.join(str(p) for p in command)}")


def check_python(version: tuple[int, int] = sys.version_info[:2]) -> None:
    if not SUPPORTED[0] <= version <= SUPPORTED[1]:
        low, high = (f"{major}.{minor}" for major, minor in SUPPORTED)
        hint = "py -3.11 tools\\make.py ..." if os.name == "nt" else "python3.11 tools/make.py ..."
        raise Failure(f"Нужен Python {low}–{high}, а запущен {version[0]}.{version[1]}. Запустите другой: {hint}")


def check_locks() -> None:
    problems = locks.stale()
    if problems:
        raise Failure("Замки зависимостей устарели: " + "; ".join(problems)
                      + ". Обновите их: python tools/make.py lock (см. docs/developers.md, «Зависимости»).")


def ensure_venv(folder: Path) -> Path:
    python = venv_python(folder)
    if not python.is_file():
        print(f"Создаю виртуальное окружение {folder.name}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=folder.exists()).create(folder)
    return python


def _stamp(folder: Path, name: str) -> Path:
    return folder / f".installed-{name}"


def _lock_digest(name: str) -> str:
    return hashlib.sha256(locks.BY_NAME[name].path.read_bytes()).hexdigest()


def install_lock(folder: Path, name: str, *after: Sequence[str], stale_ok: bool = False) -> Path:
    """Install the lock ``name`` into ``folder`` (hashes required, nothing resolved), unless it is already there.

    ``after`` are further pip arguments run once the lock is in (PyPI-less PyTorch, the project itself).
    ``stale_ok``: only for `lock`, which needs the old dev environment (uv) to make the new locks.
    """
    if not stale_ok:
        check_locks()
    python = ensure_venv(folder)
    stamp = _stamp(folder, name)
    digest = _lock_digest(name)
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest:
        return python
    pip = (python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check")
    run(*pip, "--require-hashes", "--no-deps", "-r", locks.BY_NAME[name].path)
    for arguments in after:
        run(*pip, *arguments)
    if folder == VENV:
        run(python, ROOT / "tools" / "pip_check.py")
    else:
        run(python, "-m", "pip", "check")
    stamp.write_text(digest + "\n", encoding="utf-8")
    return python


def torch_arguments() -> list[str]:
    """PyTorch for the processor by version from its own index (no CUDA libraries); its requirements are locked."""
    return ["--no-deps", "--extra-index-url", locks.TORCH_INDEX, locks.torch_requirement()]


def install(stale_ok: bool = False) -> Path:
    return install_lock(VENV, "dev", ["--no-deps", "-e", "."], stale_ok=stale_ok)


def speakers() -> Path:
    install()
    return install_lock(VENV, "speakers", torch_arguments())


def openai_whisper() -> Path:
    install()
    return install_lock(VENV, "openai-whisper", torch_arguments())


def labelstudio() -> Path:
    return install_lock(LS_VENV, "labelstudio")


def lint() -> None:
    python = install()
    run(python, "-m", "ruff", "check", ".")
    run(python.parent / ("lint-imports.exe" if os.name == "nt" else "lint-imports"), "--no-cache")


def demo(extra: Sequence[str]) -> None:
    python = speakers()
    run(python, ROOT / "tools" / "demo.py", *extra)


def test(extra: Sequence[str]) -> None:
    labelstudio()
    python = speakers()
    lint()
    run(python, "-m", "pytest", *extra)


def test_fast(extra: Sequence[str]) -> None:
    python = install()
    run(python, "-m", "pytest", "-m", FAST_TIER, *extra)


def bench(extra: Sequence[str]) -> None:
    python = speakers()
    run(python, ROOT / "bench" / "run_all.py", *extra)


def docs(extra: Sequence[str]) -> None:
    """The tables of docs/*.md rebuilt from the code's column dictionaries (tools/docs.py; --check only checks)."""
    run(install(), ROOT / "tools" / "docs.py", *extra)


def doctor(extra: Sequence[str]) -> None:
    """Runs before anything is installed too: then with this interpreter, which the check needs no packages for."""
    python = venv_python(VENV)
    run(python if python.is_file() else Path(sys.executable), "-m", "pedpatterns", "doctor", *extra)


def screenshots(extra: Sequence[str]) -> None:
    """docs/images/ from a real run: the report in headless Chromium (installed with apt-get when missing), Label
    Studio's labelling screen."""
    labelstudio()
    python = speakers()
    run(python, ROOT / "tools" / "screenshots.py", *extra)


def lock() -> None:
    python = install(stale_ok=True)
    uv = python.parent / ("uv.exe" if os.name == "nt" else "uv")
    for path in locks.generate(str(uv)):
        print(f"записан {path.relative_to(ROOT)}")


def clean() -> None:
    """What the stages generated; processed_data/_replaced_*/ holds labelled parts a re-cut set aside: never removed."""
    for folder in (ROOT / "processed_data").iterdir():
        if folder.is_dir() and not folder.name.startswith("_replaced_"):
            shutil.rmtree(folder)
    patterns = ["part_films/*.mp4", "part_films/*.parts.json", "dataset_foto/*/", "auto_labeled_dataset/*/", ".locks",
                "new_videos/reports", "tasks.json", "label_queue.json", "image_pattern_model.h5",
                "image_pattern_model.classes.json", "mlb.pkl", "*.metrics.json", "text_pattern_model.skops",
                "text_pattern_model.joblib", "live_pattern_model.skops"]  # not live_labels.json: experts' answers
    for pattern in patterns:
        for path in ROOT.glob(pattern.rstrip("/")):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


COMMANDS = {
    "demo": ("установить всё и прогнать весь конвейер на учебном уроке", demo),
    "test": ("установить всё и запустить все тесты (с проверкой кода)", test),
    "test-fast": ("быстрые тесты: без Label Studio и PyTorch, несколько минут", test_fast),
    "doctor": ("проверить, всё ли готово к работе (Python, ffmpeg, место на диске, модели)", doctor),
    "install": ("поставить окружение .venv из замков", lambda extra: install()),
    "speakers": ("поставить движок голосов (PyTorch для процессора и Resemblyzer)", lambda extra: speakers()),
    "openai-whisper": ("поставить второй движок распознавания речи openai-whisper", lambda extra: openai_whisper()),
    "labelstudio": ("поставить Label Studio в .venv-labelstudio", lambda extra: labelstudio()),
    "lint": ("проверка кода (ruff) и правил импорта (import-linter)", lambda extra: lint()),
    "bench": ("замеры скорости (bench/README.md)", bench),
    "screenshots": ("переснять картинки docs/images/ (отчёт и экран разметки; ставит Chromium)", screenshots),
    "docs": ("обновить таблицы столбцов в docs/*.md из кода (tools/docs.py)", docs),
    "lock": ("пересобрать замки locks/ из файлов requirements*.txt (нужен интернет)", lambda extra: lock()),
    "clean": ("удалить всё, что создали этапы (кроме отложенных размеченных частей)", lambda extra: clean()),
}


def main(argv: Sequence[str] | None = None) -> int:
    STEP_ENV.update(utf8_console())
    parser = argparse.ArgumentParser(
        prog="tools/make.py", description="Установка, пример, тесты и проверки pedpatterns без make.",
        epilog="команды:\n" + "\n".join(f"  {name:15} {text}" for name, (text, _) in COMMANDS.items())
        + "\n\nВсё после -- передаётся дальше: pytest (test, test-fast), tools/demo.py (demo), doctor, bench, docs, "
        "tools/screenshots.py (screenshots).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=list(COMMANDS), metavar="КОМАНДА", help="одна из команд ниже")
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1:]
    args = parser.parse_args(argv)
    try:
        check_python()
        COMMANDS[args.command][1](extra)
    except Failure as failure:
        print(f"Ошибка: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Прервано.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
