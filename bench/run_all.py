#!/usr/bin/env python3
"""`make bench`: run every bench/bench_*.py and keep the figures in bench/README.md.

Each benchmark runs in its own process (so one's memory and threads never colour the
next one's figures) and prints its tables plus one ``ЦЕЛЬ | …`` line per goal; those lines
become the summary table at the top of the README, the rest its own section.

    python bench/run_all.py [bench_cut bench_asr ...]
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

from pedpatterns import fsutil

HERE = Path(__file__).resolve().parent

README = HERE / "README.md"
GOAL_PREFIX = "ЦЕЛЬ |"
BEGIN, END = "<!-- bench:begin {name} -->", "<!-- bench:end {name} -->"
INTRO = """# Замеры скорости

`make bench` (или `python bench/run_all.py [bench_cut ...]`) запускает каждый `bench/bench_*.py` в отдельном
процессе и записывает сюда сводку целей и таблицы каждого замера. Тестовые видео создаются во временной папке
(`/tmp/pedpatterns-bench`), речь — из записей в `../shared/media`. Каждый скрипт можно запустить и отдельно:
`python bench/bench_cut.py`.
"""


def run(path: Path) -> tuple[str, float]:
    """The benchmark's output (echoed live) and how long it ran."""
    print(f"\n=== {path.name}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    process.wait()
    output = "".join(lines)
    if process.returncode != 0 and not any(line.startswith(GOAL_PREFIX) for line in lines):
        output += f"\n(замер завершился с кодом {process.returncode})"
    return output, time.monotonic() - started


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} ядра, {memory:.0f} ГБ памяти, "
            f"Python {platform.python_version()}")


def goal_rows(readme: str) -> list[str]:
    """Every ``ЦЕЛЬ`` line kept in the README's sections, as rows of the summary table."""
    marker = f"<!-- {GOAL_PREFIX}"
    return [
        "| " + line[len(marker) :].removesuffix("-->").strip() + " |"
        for line in readme.splitlines()
        if line.startswith(marker)
    ]


def put(readme: str, name: str, body: str) -> str:
    begin, end = BEGIN.format(name=name), END.format(name=name)
    block = f"{begin}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(readme):
        return pattern.sub(lambda _: block, readme)
    return readme.rstrip() + f"\n\n## {name}\n\n{block}\n"


def with_summary(readme: str) -> str:
    """The README with its summary table rebuilt from the goal lines of every section."""
    sections = readme[readme.index("## ") :] if "## " in readme else ""
    sections = re.sub(r"^## Сводка.*?(?=^## )", "", sections, flags=re.S | re.M)
    summary = (
        "## Сводка\n\n"
        f"Машина: {machine()}. Дата последнего запуска: {time.strftime('%Y-%m-%d')}.\n\n"
        "| замер | результат | наивный способ | цель | достигнута |\n|---|---|---|---|---|\n"
        + "\n".join(goal_rows(sections))
        + "\n\n"
    )
    return INTRO + "\n" + summary + sections


def main(names: list[str] | None = None) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem in names or s.name in names]
    readme = README.read_text(encoding="utf-8") if README.is_file() else INTRO
    for script in scripts:
        output, seconds = run(script)
        stamp = time.strftime("%Y-%m-%d")
        # Goal lines stay in the section as comments: the summary is rebuilt from them.
        body = "\n".join(f"<!-- {line} -->" if line.startswith(GOAL_PREFIX) else line for line in output.splitlines())
        readme = put(readme, script.stem, f"{body.strip()}\n\n_Замер {stamp}, {seconds:.0f} с._")
        readme = with_summary(readme)
        fsutil.write_text(README, readme)  # after each benchmark, so a later failure keeps earlier figures
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
