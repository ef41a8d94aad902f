#!/usr/bin/env python3
"""Run every bench/bench_*.py and keep their tables in bench/README.md between markers.

Each benchmark module exposes ``main() -> str`` (the text it prints); the README keeps
the latest figures so they can be read without running anything.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from pedpatterns import fsutil  # noqa: E402

README = HERE / "README.md"
BEGIN, END = "<!-- bench:begin {name} -->", "<!-- bench:end {name} -->"


def run(path: Path) -> str:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print(f"\n=== {path.name}", flush=True)
    return module.main()


def put(readme: str, name: str, body: str) -> str:
    begin, end = BEGIN.format(name=name), END.format(name=name)
    block = f"{begin}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(readme):
        return pattern.sub(lambda _: block, readme)
    return readme.rstrip() + f"\n\n## {name}\n\n{block}\n"


def main(names: list[str] | None = None) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem in names or s.name in names]
    readme = README.read_text(encoding="utf-8") if README.is_file() else "# Замеры скорости\n"
    for script in scripts:
        started = time.monotonic()
        text = run(script)
        stamp = time.strftime("%Y-%m-%d")
        readme = put(readme, script.stem, f"{text}\n\n_Замер {stamp}, {time.monotonic() - started:.0f} с._")
        fsutil.write_text(README, readme)  # after each benchmark, so a later failure keeps earlier figures
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
