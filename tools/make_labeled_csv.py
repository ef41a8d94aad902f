#!/usr/bin/env python3
"""Make the bundled labeled.csv: a real Label Studio CSV export of the sample lesson's tasks.

The file users get from Label Studio is what the later stages read, so the sample's
labels are made on a real server, not written by hand: this script starts Label Studio
from .venv-labelstudio on 127.0.0.1 (a throwaway database), sets the project up exactly as
``python -m pedpatterns.labelstudio setup`` does, annotates every task as two "experts"
by a deterministic rule from the segment's transcript (keywords → patterns, topped up so
that every pattern is used at least twice and some segments have two patterns; the
second expert disagrees on every fourth segment), exports CSV through the API and writes
it atomically to ``<root>/labeled.csv``.

    python tools/make_labeled_csv.py --root <project with tasks.json and processed_data/>
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pedpatterns.cli import layout_from, make_parser, run
from pedpatterns.errors import UserError
from pedpatterns.labelstudio.client import LabelStudioClient
from pedpatterns.labelstudio.project import export_labels, project_label_config, setup_project
from pedpatterns.labelstudio.server import label_studio_server
from pedpatterns.layout import Layout
from pedpatterns.patterns import default_patterns

ROOT = Path(__file__).resolve().parent.parent

TITLE = "Учебный урок (пример разметки)"
SECOND_EXPERT = "expert2@pedpatterns.local"

# Keywords of each default pattern, most specific first: the first two that match win.
KEYWORDS: list[tuple[int, tuple[str, ...]]] = [
    (9, ("what did we learn", "today we learned", "today we have learned")),
    (10, ("homework",)),
    (6, ("mistake", "not quite")),
    (5, ("pairs", "partner", "in groups")),
    (8, ("why", "how do you think")),
    (1, ("listen", "attention", "look at the board")),
    (7, ("look", "example", "repeat after me")),
    (2, ("well done", "good", "try again")),
    (4, ("today", "our topic", "task")),
    (3, ("?",)),
]


def keyword_patterns(text: str, patterns: Sequence[str]) -> list[str]:
    """At most two patterns whose keywords occur in ``text`` (patterns numbered from 1)."""
    text = text.lower()
    found = [patterns[number - 1] for number, words in KEYWORDS if any(w in text for w in words)]
    return found[:2]


def expert_choices(
    texts: Sequence[str], patterns: Sequence[str], min_uses: int = 2
) -> list[tuple[list[str], list[str]]]:
    """Both experts' choices for each segment, deterministically.

    Expert 1 takes the keyword rule; segments with no keyword get the least-used pattern;
    then patterns used fewer than ``min_uses`` times are added as a second pattern to
    one-pattern segments, and at least two segments get two patterns. Expert 2 agrees,
    except on every fourth segment, where it swaps the first pattern for the next one.
    """
    first = [keyword_patterns(t, patterns) for t in texts]
    uses = Counter(p for chosen in first for p in chosen)

    def least_used(exclude: Sequence[str]) -> str:
        return min((p for p in patterns if p not in exclude), key=lambda p: (uses[p], patterns.index(p)))

    for chosen in first:
        if not chosen:
            pick = least_used(chosen)
            chosen.append(pick)
            uses[pick] += 1
    for pattern in patterns:
        for chosen in first:
            if uses[pattern] >= min_uses:
                break
            if len(chosen) == 1 and pattern not in chosen:
                chosen.append(pattern)
                uses[pattern] += 1
    pairs = sum(len(c) == 2 for c in first)
    for chosen in first:
        if pairs >= 2:
            break
        if len(chosen) == 1:
            pick = least_used(chosen)
            chosen.append(pick)
            uses[pick] += 1
            pairs += 1
    second = []
    for i, chosen in enumerate(first):
        other = list(chosen)
        if i % 4 == 3:
            other[0] = patterns[(patterns.index(other[0]) + 1) % len(patterns)]
            other = list(dict.fromkeys(other))
        second.append(other)
    return list(zip(first, second, strict=True))


def label_project(client: LabelStudioClient, layout: Layout, output: Path, title: str = TITLE) -> tuple[Path, int]:
    """Set the project up, annotate every task as two experts, export CSV to ``output``."""
    patterns = default_patterns()
    config = project_label_config(layout)
    missing = [p for p in patterns if p not in config]
    if missing:
        raise UserError(f"В конфигурации разметки нет паттернов по умолчанию: {', '.join(missing)}.")
    report = setup_project(client, layout, title)
    tasks = sorted(client.tasks(report.project_id),
                   key=lambda t: (str(t["data"].get("part")), int(t["data"].get("segment", 0))))
    tasks = [t for t in tasks if not t.get("total_annotations") and not t.get("cancelled_annotations")]
    existing = {u.get("email"): u for u in client.users()}
    expert2 = existing.get(SECOND_EXPERT) or client.create_user(SECOND_EXPERT, "Второй", "эксперт")
    choices = expert_choices([str(t["data"].get("text") or "") for t in tasks], patterns)
    for task, (one, two) in zip(tasks, choices, strict=True):
        client.annotate(task["id"], one)
        client.annotate(task["id"], two, completed_by=expert2["id"])
    return export_labels(client, layout, report.project_id, output)


def main(argv: list[str] | None = None) -> int:
    parser = make_parser("tools/make_labeled_csv.py", __doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, help="куда сохранить (по умолчанию labeled.csv в папке проекта)")
    args = parser.parse_args(argv)
    layout = layout_from(args)
    output = args.output or layout.labeled_csv
    with tempfile.TemporaryDirectory(prefix="pedpatterns-ls-") as data_dir:
        print("Запускаю Label Studio (первый запуск — около полутора минут)…", flush=True)
        with label_studio_server(layout.root, Path(data_dir)) as server:
            print(f"Label Studio готов за {server.startup_seconds:.0f} с: {server.url}", flush=True)
            path, count = label_project(LabelStudioClient(server.url, server.token), layout, output)
    print(f"Готово: {path} (аннотаций: {count}).")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
