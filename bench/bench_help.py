#!/usr/bin/env python3
"""``--help`` of every command: goal ≤ 1 s each, with no scikit-learn, pandas, TensorFlow/Keras or torch loaded.

The parsers read their defaults from the stages' light ``options`` modules and the scripts load the
stages only after parsing. The naive comparison is the same help printed after importing every stage
module the command uses (what the scripts did before: the options lived beside pandas and scikit-learn).
Each figure is the best of several runs of a fresh ``python`` process. Run: python bench/bench_help.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import benchmedia

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 1.0
RUNS = 5
HEAVY = ("sklearn", "pandas", "tensorflow", "keras", "torch")

# Each command: how it is started, and the stage modules it needs after parsing (the naive way imports them first).
COMMANDS: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "prepare_data.py": (["prepare_data.py"], ("pedpatterns.prepare.batch", "pedpatterns.prepare.processing")),
    "create_image_dataset.py": (["create_image_dataset.py"], ("pedpatterns.dataset.build",
                                                              "pedpatterns.labelstudio.agreement")),
    "upload_dataset.py": (["upload_dataset.py"], ("pedpatterns.dataset.build", "pedpatterns.dataset.hub")),
    "find_patterns.py": (["find_patterns.py"], ("pedpatterns.models.textmodel", "pedpatterns.prepare.batch",
                                                "pedpatterns.report.build")),
    "auto_classifier.py": (["auto_classifier.py"], ("pedpatterns.models.imagemodel", "pedpatterns.models.autolabel")),
    "python -m pedpatterns.labelstudio": (["-m", "pedpatterns.labelstudio"], ("pedpatterns.labelstudio.project",
                                                                               "pedpatterns.models.queue")),
}

# Runs a command's --help in this process and says which heavy libraries it loaded.
PROBE = """
import contextlib, io, runpy, sys
target, imports = sys.argv[1], sys.argv[2].split(",") if sys.argv[2] else []
for name in imports:
    __import__(name)
sys.argv = [target, "--help"]
with contextlib.redirect_stdout(io.StringIO()) as shown:
    try:
        if target == "-m":
            runpy.run_module("pedpatterns.labelstudio", run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(target, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
heavy = sorted(m for m in {HEAVY} if m in sys.modules)
print(code, len(shown.getvalue()), ",".join(heavy) or "-")
"""


def best_seconds(args: list[str]) -> float:
    """The fastest of RUNS fresh processes, start-up of Python included, as the user waits for it."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=120)
        times.append(time.perf_counter() - started)
        assert done.returncode == 0 and "Использование:" in done.stdout, done.stdout + done.stderr
    return min(times)


def heavy_loaded(start: list[str], imports: tuple[str, ...]) -> str:
    target = "-m" if start[0] == "-m" else start[0]
    done = subprocess.run([sys.executable, "-c", PROBE.replace("{HEAVY}", repr(HEAVY)), target, ",".join(imports)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    code, length, heavy = done.stdout.split()
    assert code in ("0", "None") and int(length) > 0, done.stdout + done.stderr
    return heavy


def main() -> int:
    rows, worst, worst_naive, clean = [], ("", 0.0), 0.0, True
    for name, (start, stages) in COMMANDS.items():
        seconds = best_seconds([*start, "--help"])
        loads = heavy_loaded(start, ())
        naive_code = f"import {', '.join(stages)}, runpy, sys; sys.argv = ['{start[-1]}', '--help']; " + (
            "runpy.run_module('pedpatterns.labelstudio', run_name='__main__', alter_sys=True)" if start[0] == "-m"
            else f"runpy.run_path('{start[0]}', run_name='__main__')")
        naive = best_seconds(["-c", naive_code])
        naive_loads = heavy_loaded(start, stages)
        clean = clean and loads == "-"
        worst = max(worst, (name, seconds), key=lambda item: item[1])
        worst_naive = max(worst_naive, naive)
        rows.append([name, f"{seconds:.2f}", loads, f"{naive:.2f}", naive_loads, f"{naive / seconds:.1f}x"])
    print(f"`--help` каждой команды: лучшее из {RUNS} запусков нового процесса python (с его запуском); "
          f"{benchmedia.machine()}. Наивный способ — та же справка после импорта этапов, которые нужны команде "
          "(так было, пока параметры жили рядом с pandas и scikit-learn).\n")
    print(benchmedia.table(["команда", "--help, с", "тяжёлые модули", "с импортом этапов, с", "тяжёлые модули",
                            "быстрее"], rows))
    met = worst[1] <= GOAL_SECONDS and clean
    print(f"\nСамая медленная справка: {worst[0]}, {worst[1]:.2f} с; цель ≤ {GOAL_SECONDS:.0f} с и без "
          f"{', '.join(HEAVY)} — {'OK' if met else 'НЕТ'}")
    benchmedia.goal("--help всех 6 команд (самая медленная)", f"{worst[1]:.2f} с, без sklearn/pandas/TF/torch",
                    f"с импортом этапов: до {worst_naive:.1f} с", f"≤ {GOAL_SECONDS:.0f} с", met)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
