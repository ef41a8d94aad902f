"""tools/make_labeled_csv.py: the deterministic experts, and a real export made with them."""

from __future__ import annotations

import importlib.util
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from pedpatterns.labels.labelled import load_labeled_segments
from pedpatterns.patterns import default_patterns
from tests.support.scripts import REPO_ROOT

if TYPE_CHECKING:
    from tests.support.labelstudio_server import LSServer

pytest_plugins = ["tests.support.labelstudio_server"]

_spec = importlib.util.spec_from_file_location("make_labeled_csv", REPO_ROOT / "tools" / "make_labeled_csv.py")
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)

P = default_patterns()
LESSON = [
    "Good morning, class! Listen, please. Today our topic is animals.",
    "Look at the board. Repeat after me: cat, dog, bird.",
    "What is this? Is it a cat?",
    "Well done, Masha! Good.",
    "Not quite. It is a mistake: we say 'a dog', not 'an dog'.",
    "Now work in pairs. Ask your partner.",
    "Why do you think the bird is sad?",
    "Let's read the text.",
    "Try again, please.",
    "What did we learn today?",
    "Your homework is exercise 5.",
    "Goodbye!",
]


def test_keyword_rule_and_coverage() -> None:
    assert tool.keyword_patterns("Your homework is exercise 5.", P) == [P[9]]
    assert tool.keyword_patterns("Look at the board, please", P) == [P[0], P[6]]
    assert tool.keyword_patterns("Is it a cat?", P) == [P[2]]
    choices = tool.expert_choices(LESSON, P)
    assert choices == tool.expert_choices(LESSON, P)  # deterministic
    uses = Counter(p for one, _ in choices for p in one)
    assert all(uses[p] >= 2 for p in P), uses
    assert sum(len(one) == 2 for one, _ in choices) >= 2
    assert sum(one != two for one, two in choices) == len(LESSON) // 4


@pytest.mark.labelstudio
@pytest.mark.slow
def test_makes_a_real_export_with_every_pattern(ls_server: LSServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    layout = ls_server.layout
    part, _ = ls_server.make_part(len(LESSON), text_of=lambda i: LESSON[i])
    output = tmp_path / "labeled.csv"
    path, count = tool.label_project(ls_server.client(), layout, output, title=ls_server.unique("Пример"))
    assert path == output and count >= 2 * len(LESSON)
    # The shared server's project root may hold other tests' parts too: the tool labels every
    # task of the project, so its guarantees hold for the whole export.
    frame = load_labeled_segments(layout, output, known_patterns=P).frame
    assert (frame["part"] == part).sum() == len(LESSON)
    uses = Counter(p for chosen in frame["labels"] for p in chosen)
    assert all(uses[p] >= 2 for p in P), uses
    assert (frame["labels"].map(len) >= 2).sum() >= 2
    assert (frame["agreement"] < 1).sum() >= len(frame) // 4 >= 1
    assert set(frame["annotators"]) == {2}
