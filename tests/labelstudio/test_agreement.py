"""The experts' agreement (issue 15): statistics checked against numbers computed by hand, and where they appear."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score

from pedpatterns.dataset import build, hub
from pedpatterns.labels.labelled import load_labeled_segments
from pedpatterns.labelstudio import agreement
from pedpatterns.models import evaluation
from tests.support.research import ALPHA_A, KAPPA_A, A, B, C, make_two_expert_project


@pytest.fixture
def two_experts(tmp_path: Path):  # type: ignore[no-untyped-def]
    layout = make_two_expert_project(tmp_path / "проект")
    return layout, load_labeled_segments(layout, known_patterns=[A, B, C])


def test_known_kappa_alpha_and_percent_per_pattern(two_experts) -> None:  # type: ignore[no-untyped-def]
    _, labeled = two_experts
    report = agreement.compute_agreement(labeled.votes, [A, B, C])
    assert report.annotators == ["1", "2"] and report.overlap == 20 and report.reliable
    by = {p.pattern: p for p in report.per_pattern}
    assert by[A].percent == 0.75
    assert by[A].mean_kappa == pytest.approx(KAPPA_A, abs=1e-4)
    assert by[A].alpha == pytest.approx(ALPHA_A, abs=1e-4)
    assert by[A].positive == pytest.approx(2 / 3, abs=1e-4)
    assert by[B].mean_kappa == 1.0 and by[B].percent == 1.0
    # Expert 1's first answer on segment 0 (pattern C) was replaced by the later one: nobody chose C.
    assert labeled.duplicates == 1 and C not in labeled.votes[("Урок экспертов_part001", 0)]["1"]
    assert by[C].chosen == 0 and by[C].alpha is None and by[C].mean_kappa is None and "никто" in by[C].note
    assert any("«Паттерн C»" in m and "ни один эксперт" in m for m in report.messages)


def test_cohen_kappa_matches_scikit_learn_and_is_undefined_without_variation() -> None:
    first = [1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1]
    second = [1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0]
    assert agreement.cohen_kappa(first, second) == pytest.approx(cohen_kappa_score(first, second))
    assert agreement.cohen_kappa([0, 0, 0], [0, 0, 0]) is None


def test_one_expert_and_too_little_overlap_are_said_in_russian(tmp_path: Path) -> None:
    layout = make_two_expert_project(tmp_path / "один", one_expert=True)
    labeled = load_labeled_segments(layout)
    report = agreement.compute_agreement(labeled.votes, [A, B])
    assert not report.computed and report.per_pattern == []
    assert "один эксперт" in report.messages[0] and "второму эксперту" in report.messages[0]
    text = agreement.format_agreement(report)
    assert "Внимание: Все ответы дал один эксперт" in text
    assert "не посчитано" in agreement.ceiling_note(report)

    few = {("часть", i): {"1": (A,), "2": (A,) if i else ()} for i in range(4)}
    small = agreement.compute_agreement(few, [A])
    assert small.computed and not small.reliable and "Мало общих сегментов" in small.messages[0]
    assert "ненадёжно" in agreement.ceiling_note(small)


def test_an_expert_who_chooses_a_pattern_more_often_is_named() -> None:
    votes = {("часть", i): {"1": (A,), "2": (A,) if i % 2 == 0 else (), "3": ()} for i in range(12)}
    report = agreement.compute_agreement(votes, [A])
    notable = agreement.notable_usage(report)
    assert [(u.annotator, u.difference > 0) for u in notable] == [("1", True), ("3", False)]
    text = agreement.format_agreement(report)
    assert "эксперт 1 — «Паттерн A» чаще: 100 %" in text
    assert "эксперт 3 — «Паттерн A» реже" in text


def test_dataset_writes_agreement_json_csv_and_the_card_names_no_expert(two_experts) -> None:  # type: ignore[no-untyped-def]
    layout, labeled = two_experts
    summary = build.build_dataset(layout, labeled, [A, B, C])
    assert summary.agreement is not None and summary.agreement.overlap == 20
    data = json.loads(layout.dataset_agreement_json.read_text(encoding="utf-8"))
    assert data["segments_with_two_or_more"] == 20 and data["annotators"] == ["1", "2"]
    rows = list(csv.DictReader(io.StringIO(layout.dataset_agreement_csv.read_text(encoding="utf-8-sig"))))
    row_a = next(r for r in rows if r["pattern"] == A)
    assert float(row_a["krippendorff_alpha"]) == pytest.approx(ALPHA_A, abs=1e-4)
    assert float(row_a["cohen_kappa эксперт 1 × эксперт 2"]) == pytest.approx(KAPPA_A, abs=1e-4)
    assert [r["pattern"] for r in rows][-1] == agreement.ALL_PATTERNS

    contents = build.read_dataset(layout)
    card = hub.card_body(contents, repo_id="me/data", license_id="cc-by-nc-4.0", private=True)
    assert "| Паттерн A | 75 % | 0,67 | 0,48 | 0,47 |" in card
    assert "эксперт 1 и эксперт 2" in card


def test_the_card_shows_experts_by_number_even_when_the_export_names_them_by_email() -> None:
    report = agreement.compute_agreement(
        {("часть", i): {"maria@school.ru": (A,) if i % 2 else (), "oleg@school.ru": (A,) if i % 3 else ()}
         for i in range(12)}, [A])
    lines = "\n".join(hub.agreement_section(report.to_json()))
    assert "@" not in lines and "эксперт 1 и эксперт 2" in lines
    alone = agreement.compute_agreement({("часть", 0): {"maria@school.ru": (A,)}}, [A])
    assert "@" not in "\n".join(hub.agreement_section(alone.to_json()))


def test_unnamed_answers_count_for_alpha_but_make_no_pairs() -> None:
    votes = {("часть", i): {"без имени 1": (A,) if i % 2 else (), "без имени 2": (A,) if i % 3 else ()}
             for i in range(12)}
    report = agreement.compute_agreement(votes, [A])
    (row,) = report.per_pattern
    assert row.alpha is not None and row.pairs == [] and row.mean_kappa is None
    assert any("не указан эксперт" in m for m in report.messages)


def test_models_show_the_experts_f1_beside_their_own(two_experts) -> None:  # type: ignore[no-untyped-def]
    _, labeled = two_experts
    experts = evaluation.experts_ceiling(labeled.votes, labeled.patterns)
    metrics = {"per_pattern": {A: {"precision": 1, "recall": 0.5, "f1": 0.67, "baseline_f1": 0.2, "support": 4}},
               "micro_f1": 0.67, "baseline_micro_f1": 0.2, "macro_f1": 0.67, "baseline_macro_f1": 0.2}
    table = evaluation.format_table(metrics, experts["ceiling"])
    assert "F1 эксп." in table.splitlines()[0] and "0.67" in table.splitlines()[2].split()[-2]
    assert "потолок" in experts["note"] and "20 сегментам" in experts["note"]
