"""docs/outputs.md says what the code writes: its tables are generated from the code's column dictionaries.

A metric added to lessonmetrics.METRICS (or any column to its dictionary) must reach the page by
``python tools/make.py docs``; these tests fail while the page is stale, while a dictionary's key is missing
from it, and while tasks.json's fields drift from the dictionary that describes them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pedpatterns import schema
from pedpatterns.dataset import build as dataset_build
from pedpatterns.labelstudio import agreement, tasks
from pedpatterns.layout import Layout
from pedpatterns.report import build as report_build
from pedpatterns.report import lessonmetrics, talk, timeline
from tests.support.outputs import documented_fields
from tests.support.tools import REPO, load_tool

docs = load_tool("docs")
OUTPUTS = REPO / "docs" / "outputs.md"

DICTIONARIES = {
    "schema.SEGMENT_COLUMNS": schema.SEGMENT_COLUMNS,
    "schema.FEATURE_COLUMNS": schema.FEATURE_COLUMNS,
    "schema.SPEAKER_COLUMNS": schema.SPEAKER_COLUMNS,
    "tasks.TASK_DATA_FIELDS": tasks.TASK_DATA_FIELDS,
    "dataset.build.METADATA_COLUMNS": dataset_build.METADATA_COLUMNS,
    "agreement.AGREEMENT_COLUMNS": agreement.AGREEMENT_COLUMNS,
    "report.build.METRIC_ROW_COLUMNS": report_build.METRIC_ROW_COLUMNS,
    "report.build.REPORT_SEGMENT_COLUMNS": report_build.REPORT_SEGMENT_COLUMNS,
    "lessonmetrics.METRICS": lessonmetrics.METRICS,
    "talk.TALK_METRICS": talk.TALK_METRICS,
    "timeline.CSV_COLUMNS (заголовки)": {title: "" for title in timeline.CSV_COLUMNS.values()},
}


def test_the_pages_are_as_the_code_generates_them() -> None:
    assert docs.stale() == [], "устарели страницы — обновите: python tools/make.py docs"


@pytest.mark.parametrize("name", DICTIONARIES)
def test_every_key_of_every_column_dictionary_is_on_the_page(name: str) -> None:
    page = OUTPUTS.read_text(encoding="utf-8")
    missing = [key for key in DICTIONARIES[name] if f"| `{key}` |" not in page]
    assert not missing, f"{name}: нет в docs/outputs.md: {missing}"


def test_every_generated_table_is_used_on_some_page() -> None:
    used = "".join(page.read_text(encoding="utf-8") for page in docs.pages())
    assert [name for name in docs.GENERATED if f"<!-- generated: {name} -->" not in used] == []


def test_a_stale_block_is_rebuilt_and_the_rest_of_the_page_kept() -> None:
    page = "до\n<!-- generated: who-talks -->\nстарое\n<!-- /generated: who-talks -->\nпосле\n"
    rebuilt = docs.render(page)
    assert rebuilt.startswith("до\n<!-- generated: who-talks -->\n| metric |") and rebuilt.endswith(
        "<!-- /generated: who-talks -->\nпосле\n")
    assert "старое" not in rebuilt and all(f"| `{key}` |" in rebuilt for key in talk.TALK_METRICS)
    assert docs.render(rebuilt) == rebuilt


def test_an_unknown_block_is_a_mistake_in_the_page() -> None:
    with pytest.raises(SystemExit, match="неизвестный блок «нет-такого»"):
        docs.render("<!-- generated: нет-такого -->\n<!-- /generated: нет-такого -->\n", "x.md")


def test_a_pipe_in_a_meaning_does_not_break_the_table() -> None:
    assert docs.table(["a", "b"], [("`x`", "да | нет")]).splitlines()[-1] == "| `x` | да \\| нет |"


def test_tasks_json_carries_exactly_the_documented_fields(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    row = {"film": "Урок", "part": "Урок_part001", "segment": "3", "start": "90", "end": "120",
           "lesson_start": "690", "lesson_end": "720", "text": "Почему?",
           "keyframe": "segment_003_keyframe.jpg", "audio": "segment_003_audio.mp3"}
    assert list(tasks.segment_task(layout, row)["data"]) == list(tasks.TASK_DATA_FIELDS)


def test_make_docs_is_a_command_with_make_and_without() -> None:
    """`make docs` and `python tools/make.py docs` (Windows) both exist: the Makefile only forwards its targets."""
    targets = next(line for line in (REPO / "Makefile").read_text(encoding="utf-8").splitlines()
                   if line.startswith("TARGETS :="))
    assert "docs" in targets.split()
    # Read, not imported: tools/make.py imports tools/locks.py by a bare name that the repository's locks/ shadows.
    assert re.search(r'^    "docs": \(', (REPO / "tools" / "make.py").read_text(encoding="utf-8"), re.M)


def test_report_json_carries_only_documented_fields(tmp_path: Path) -> None:
    """A report made by the real code, with voices and a question: every key (and every question's) is on the page."""
    import json

    from pedpatterns.testing.synthetic import make_known_lesson
    from tests.support.reports import TURNS, report_of, with_speakers

    layout = Layout(tmp_path / "проект")
    part = make_known_lesson(layout, "Урок 1")
    with_speakers(layout, part, TURNS)
    report_of(layout, part)
    written = json.loads(layout.report_json("Урок 1").read_text(encoding="utf-8"))
    documented = documented_fields("report.json")
    assert set(written) <= set(documented), set(written) - set(documented)
    assert written["questions"], "the known lesson asks a question"
    question_row = documented["questions"]
    missing = [key for key in written["questions"][0] if f"`{key}`" not in question_row]
    assert not missing, f"docs/outputs.md, report.json → questions: no {missing}"
