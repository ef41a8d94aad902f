"""The pages a user reads hold together: every relative link and #anchor resolves, every benchmark has its section.

The README is a landing page that sends a teacher to docs/*.md, readme_auto_class.md and bench/README.md;
a page renamed or a heading reworded must not leave a link that opens nothing. Anchors are checked the way
GitHub makes them from headings: lower case, punctuation dropped, spaces to «-», Cyrillic kept, a repeated
heading numbered («-1», «-2»).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The folders' own READMEs too: a user opening films/ or new_videos/ reads them first.
FOLDERS = ["films", "new_videos", "part_films", "processed_data", "dataset_foto", "auto_labeled_dataset"]
PAGES = [REPO / "README.md", REPO / "readme_auto_class.md", REPO / "bench" / "README.md",
         *sorted((REPO / "docs").glob("*.md")), *(REPO / folder / "README.md" for folder in FOLDERS)]

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:…


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, only letters, digits, «-», «_» and spaces kept, spaces to «-»."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading reads as its text
    text = text.lower()
    return "".join(c for c in text if c.isalnum() or c in "-_ ").replace(" ", "-")


def prose(text: str) -> str:
    """The page without code: a «[x](y)» or a «# comment» inside code is not a link or a heading."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    seen: Counter[str] = Counter()
    found = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        found.add(base if not seen[base] else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def links(page: Path) -> list[str]:
    return [target for target in LINK.findall(prose(page.read_text(encoding="utf-8")))
            if not EXTERNAL.match(target)]


def test_the_anchor_rule_is_githubs() -> None:
    assert slug("Шаг 1. Собрать датасет: `python create_image_dataset.py`") == \
        "шаг-1-собрать-датасет-python-create_image_datasetpy"
    assert slug("Praat и ELAN") == "praat-и-elan"
    assert slug("Подсказки во время разметки: сервис подсказок (ML backend)") == \
        "подсказки-во-время-разметки-сервис-подсказок-ml-backend"


def test_the_checker_sees_links_and_skips_code() -> None:
    text = "См. [отчёт](docs/report.md#скорость), ![кадр](docs/images/report.png).\n```\n[x](nowhere.md)\n```\n`[y](z)`"
    assert LINK.findall(prose(text)) == ["docs/report.md#скорость", "docs/images/report.png"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    assert page.is_file(), page
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: нет файла {file}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: в {file.relative_to(REPO)} нет заголовка с якорем #{anchor}")
    assert not broken, "\n".join(broken)


def test_every_benchmark_has_its_section_in_bench_readme() -> None:
    readme = (REPO / "bench" / "README.md").read_text(encoding="utf-8")
    missing = [script.stem for script in sorted((REPO / "bench").glob("bench_*.py"))
               if f"## {script.stem}\n" not in readme or f"<!-- bench:begin {script.stem} -->" not in readme]
    assert not missing, f"нет раздела в bench/README.md: {missing} (python bench/run_all.py {' '.join(missing)})"


def test_no_message_or_page_sends_the_reader_to_a_readme_section() -> None:
    """The README is a landing page now: «см. README, раздел …» would send a teacher to text that moved to docs/."""
    stale = re.compile(r"README(?:\.md)?,?\s+(?:раздел|часть|«)|раздел «[^»]+» в README|в README\.md\)")
    assert all(stale.search(old) for old in ("(см. README, часть 2)", "см. README, раздел «Разметка»",
                                             "(см. Часть 1 в README.md)", "раздел «Учебные уроки» в README.md"))
    files = [*PAGES, *(REPO / "pedpatterns").rglob("*.py"), *(REPO / "tools").glob("*.py")]
    found = [f"{path.relative_to(REPO)}: {match.group(0)}" for path in files
             for match in stale.finditer(path.read_text(encoding="utf-8"))]
    assert not found, "\n".join(found)


# Every command a user runs, as the shell starts it; the label-studio module's subcommands are read from its help.
SCRIPTS = ("prepare_data.py", "create_image_dataset.py", "upload_dataset.py", "find_patterns.py", "auto_classifier.py")
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def _help(*command: str) -> str:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, *command, "--help"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_every_flag_of_every_command_is_on_a_page() -> None:
    """A flag a script takes and no page explains is a flag a teacher never finds (the docs tell the truth)."""
    pages = "\n".join(p.read_text(encoding="utf-8") for p in PAGES)
    commands = [(script,) for script in SCRIPTS] + [("-m", "pedpatterns.labelstudio"), ("-m", "pedpatterns", "doctor")]
    subcommands = re.findall(r"^ {4}(\w+) ", _help("-m", "pedpatterns.labelstudio").split("команды:")[1], re.M)
    assert {"setup", "export", "queue", "backend", "questions"} <= set(subcommands)
    commands += [("-m", "pedpatterns.labelstudio", name) for name in subcommands]
    targets = re.findall(r"^ {2}([a-z][\w-]*) ", _help("tools/make.py").split("команды:")[1], re.M)
    assert {"demo", "test", "docs", "screenshots"} <= set(targets)
    missing = {" ".join(c): [f for f in sorted(set(FLAG.findall(_help(*c))) - {"--help"})
                             if not re.search(re.escape(f) + r"(?![\w-])", pages)] for c in commands}
    named = [rf"`{re.escape(t)}`|make(\.py)? {re.escape(t)}(?![\w-])" for t in targets]  # a table row or a command
    missing["tools/make.py"] = [t for t, pattern in zip(targets, named, strict=True) if not re.search(pattern, pages)]
    assert not {c: m for c, m in missing.items() if m}
