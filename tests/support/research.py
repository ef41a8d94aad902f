"""Projects with several experts whose agreement is known by hand, for the researchers' tools (issue 15).

Pattern A of :func:`make_two_expert_project` is answered by experts 1 and 2 on 20
segments as the contingency table below, so its statistics are computed by hand:

==========  ===========  ===========
            2 chose A    2 did not
1 chose A   5            3
1 did not   2            10
==========  ===========  ===========

* percent agreement (5 + 10) / 20 = 0.75;
* Cohen's κ: p_o = 0.75, p_e = 0.4·0.35 + 0.6·0.65 = 0.53, κ = 0.22 / 0.47 = 0.468085…;
* Krippendorff's α (nominal, two coders, no missing answers): α = 1 − (n − 1)·D / (n₁·n₀) with
  n = 40 values, D = 5 disagreeing segments, n₁ = 15 «yes», n₀ = 25 «no»: 1 − 39·5/375 = 0.48;
* positive agreement (the experts' F1) 2·5 / (2·5 + 5) = 0.6667.

Pattern B is chosen identically by both on segments 0–5 (κ = 1); pattern C nobody chose.
Expert 1 also answered segment 0 twice: the first answer (pattern C) is replaced by the later one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pedpatterns.layout import Layout
from pedpatterns.testing.synthetic import labelled_features, make_processed_part, write_ls_csv

A, B, C = "Паттерн A", "Паттерн B", "Паттерн C"
KAPPA_A = 0.22 / 0.47
ALPHA_A = 0.48
PART = "Урок экспертов_part001"
N_SEGMENTS = 20


def expert_answers() -> list[tuple[str, int, list[str], str]]:
    """(part, segment, choices, annotator) rows: expert "1" and expert "2" on every segment."""
    cells = [(1, 1)] * 5 + [(0, 0)] * 10 + [(1, 0)] * 3 + [(0, 1)] * 2
    rows: list[tuple[str, int, list[str], str]] = [(PART, 0, [C], "1")]  # replaced by expert 1's later answer
    for segment, (one, two) in enumerate(cells):
        both_b = [B] if segment < 6 else []
        rows.append((PART, segment, [*([A] if one else []), *both_b], "1"))
        rows.append((PART, segment, [*([A] if two else []), *both_b], "2"))
    return rows


def make_two_expert_project(root: Path, *, one_expert: bool = False) -> Layout:
    """A processed part of 20 segments and labeled.csv as Label Studio exports it (two experts, or only "1")."""
    layout = Layout(root)
    layout.ensure_top_folders()
    make_processed_part(layout, PART, N_SEGMENTS, segment_seconds=15.0,
                        colour_of=lambda i: (200, 40, 40) if i % 2 else (40, 40, 200))
    (layout.part_films / f"{PART}.mp4").write_bytes(b"")
    rows = [r for r in expert_answers() if not one_expert or r[3] == "1"]
    write_ls_csv(layout, layout.labeled_csv, rows)
    return layout


def make_queue_project(root: Path, *, films: int = 4, per_part: int = 20, labelled_films: int = 3) -> Layout:
    """Films of one part each (15-s segments); the first 12 segments of the first films labelled by two experts."""
    layout = Layout(root)
    layout.ensure_top_folders()
    rng = np.random.default_rng(0)
    answers = []
    for f in range(films):
        part = f"Фильм {f}_part001"
        drawn = [labelled_features(i, rng) for i in range(per_part)]
        make_processed_part(layout, part, per_part, segment_seconds=15.0, features_of=lambda i, d=drawn: d[i][0],
                            text_of=lambda i, d=drawn: d[i][1])
        if f < labelled_films:
            answers += [(part, i, d[2], "1") for i, d in enumerate(drawn[:12])]
            answers += [(part, i, d[2], "2") for i, d in enumerate(drawn[:12])]
    write_ls_csv(layout, layout.labeled_csv, answers)
    return layout


def queue_project_labels(films: int = 4, per_part: int = 20) -> dict[tuple[str, int], list[str]]:
    """The patterns each segment of :func:`make_queue_project` really shows (the same draw), labelled or not."""
    rng = np.random.default_rng(0)
    labels = {}
    for f in range(films):
        for i in range(per_part):
            labels[(f"Фильм {f}_part001", i)] = list(labelled_features(i, rng)[2])
    return labels

