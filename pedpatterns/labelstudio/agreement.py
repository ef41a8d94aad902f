"""How far the experts agree, per pattern: Cohen's κ per pair, Krippendorff's α, percent agreement.

A researcher must report inter-annotator agreement before any model score means anything:
a model cannot be expected to agree with the experts more than they agree with each other.
Label Studio's free edition has no agreement statistics, so they are computed here from
the experts' own answers (:attr:`pedpatterns.labels.labelled.LabeledSet.votes`).

Every pattern is a yes/no question per segment ("is pattern P in this segment?"), so each
statistic is computed per pattern on binary answers:

* **percent agreement** — of all pairs of answers given to one segment, the share that agree;
* **positive agreement** — 2·(both said yes) / (2·both + one said yes): the F1 one expert
  scores against another, the ceiling to compare a model's F1 with;
* **Cohen's κ** for every pair of experts, on the segments both answered: agreement beyond
  chance (1 — perfect, 0 — what chance gives, below 0 — worse than chance);
* **Krippendorff's α** (nominal, the ``krippendorff`` package) over all experts at once,
  missing answers allowed — the usual single number for more than two annotators.

Only segments with two or more experts can show agreement; with too few of them the
numbers are printed with a warning, with none they are not printed at all. Pure
functions: the callers read the export and write the files.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from pedpatterns import spreadsheet
from pedpatterns.labels.labelled import ANONYMOUS

Votes = Mapping[tuple[str, int], Mapping[str, Sequence[str]]]

# Below this many segments with two or more experts the statistics are noise, and we say so.
MIN_OVERLAP = 10
# An expert whose share of a pattern differs from the others' by this much (on the same segments) is named.
USAGE_GAP = 0.2
MIN_USAGE_TASKS = 5
ALL_PATTERNS = "Все паттерны"


@dataclass(frozen=True)
class PairKappa:
    """Cohen's κ of two experts on one pattern, over the segments both answered."""

    first: str
    second: str
    tasks: int
    kappa: float | None


@dataclass
class PatternAgreement:
    """The agreement statistics of one pattern (or of all patterns pooled)."""

    pattern: str
    tasks: int  # segments with two or more experts
    chosen: int  # answers on those segments that chose the pattern
    percent: float | None
    positive: float | None  # positive specific agreement: the experts' F1 against each other
    alpha: float | None
    mean_kappa: float | None
    pairs: list[PairKappa] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Usage:
    """How often one expert chose a pattern, beside the other experts on the very same segments."""

    annotator: str
    pattern: str
    tasks: int
    own_share: float
    others_share: float

    @property
    def difference(self) -> float:
        return self.own_share - self.others_share


@dataclass
class AgreementReport:
    annotators: list[str]
    segments: int  # segments with at least one answer
    overlap: int  # segments with two or more experts
    per_pattern: list[PatternAgreement]
    overall: PatternAgreement | None
    usage: list[Usage]
    messages: list[str]

    @property
    def computed(self) -> bool:
        """Whether any statistic exists at all (two experts met on at least one segment)."""
        return self.overlap > 0

    @property
    def reliable(self) -> bool:
        return self.overlap >= MIN_OVERLAP

    def ceiling(self) -> dict[str, dict[str, float | None]]:
        """Per pattern, what a model's F1 is compared with: the experts' F1 and α (empty when not computed)."""
        if not self.computed:
            return {}
        return {p.pattern: {"f1": p.positive, "alpha": p.alpha, "kappa": p.mean_kappa} for p in self.per_pattern}

    def to_json(self) -> dict[str, Any]:
        return {
            "annotators": self.annotators,
            "segments": self.segments,
            "segments_with_two_or_more": self.overlap,
            "reliable": self.reliable,
            "min_overlap": MIN_OVERLAP,
            "messages": self.messages,
            "overall": asdict(self.overall) if self.overall else None,
            "per_pattern": [asdict(p) for p in self.per_pattern],
            "usage": [{**asdict(u), "difference": round(u.difference, 4)} for u in self.usage],
        }


# --- the statistics ------------------------------------------------------------------------


def _round(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 4)


def cohen_kappa(a: Sequence[int], b: Sequence[int]) -> float | None:
    """Cohen's κ of two raters' yes/no answers; ``None`` when chance already explains everything.

    When both raters give one and the same answer every time, expected agreement is 1 and
    κ is 0/0: undefined, not perfect — there was nothing to disagree about.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) == 0:
        return None
    observed = float(np.mean(x == y))
    pa, pb = float(x.mean()), float(y.mean())
    expected = pa * pb + (1 - pa) * (1 - pb)
    if expected >= 1 - 1e-12:
        return None
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(matrix: np.ndarray) -> float | None:
    """Nominal Krippendorff's α of a coders × units matrix (NaN = no answer); ``None`` when undefined."""
    import krippendorff

    values = matrix[~np.isnan(matrix)]
    if values.size == 0 or np.unique(values).size < 2:
        return None  # one value everywhere: α is 0/0
    try:
        return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))
    except (ValueError, ZeroDivisionError):
        return None


def _answers(votes: Votes, pattern: str, keys: Sequence[tuple[str, int]]) -> list[dict[str, int]]:
    return [{who: int(pattern in choices) for who, choices in votes[key].items()} for key in keys]


def _pattern_agreement(
    pattern: str, answers: Sequence[Mapping[str, int]], annotators: Sequence[str], paired: Sequence[str]
) -> PatternAgreement:
    """The statistics of one pattern from per-segment answers (1 = chose it), segments with ≥ 2 experts.

    ``paired`` are the experts known by name: κ is computed for their pairs only (an unnamed
    answer is nobody's across segments). α needs no names: it compares answers within a segment.
    """
    agree = pairs = both = one = 0
    for task in answers:
        for x, y in itertools.combinations(task.values(), 2):
            pairs += 1
            agree += x == y
            both += x and y
            one += x != y
    chosen = sum(sum(task.values()) for task in answers)
    index = {who: i for i, who in enumerate(annotators)}
    matrix = np.full((len(annotators), len(answers)), np.nan)
    for j, task in enumerate(answers):
        for who, value in task.items():
            matrix[index[who], j] = value
    kappas = []
    for first, second in itertools.combinations(paired, 2):
        shared = [(t[first], t[second]) for t in answers if first in t and second in t]
        if shared:
            a, b = zip(*shared, strict=True)
            kappas.append(PairKappa(first, second, len(shared), _round(cohen_kappa(a, b))))
    defined = [(k.kappa, k.tasks) for k in kappas if k.kappa is not None]
    mean_kappa = sum(k * n for k, n in defined) / sum(n for _, n in defined) if defined else None
    note = ""
    if answers and chosen == 0:
        note = "никто из экспертов не выбрал этот паттерн на общих сегментах — α и κ не определены"
    elif answers and chosen == sum(len(t) for t in answers):
        note = "все эксперты выбрали этот паттерн на всех общих сегментах — α и κ не определены"
    return PatternAgreement(
        pattern=pattern,
        tasks=len(answers),
        chosen=chosen,
        percent=_round(agree / pairs) if pairs else None,
        positive=_round(2 * both / (2 * both + one)) if both + one else None,
        alpha=_round(krippendorff_alpha(matrix)) if answers else None,
        mean_kappa=_round(mean_kappa),
        pairs=kappas,
        note=note,
    )


def _usage(votes: Votes, keys: Sequence[tuple[str, int]], annotators: Sequence[str], patterns: Sequence[str]
           ) -> list[Usage]:
    """Each expert's share of each pattern beside the others' share on the same shared segments."""
    out = []
    for who in annotators:
        mine = [key for key in keys if who in votes[key]]
        if not mine:
            continue
        for pattern in patterns:
            own = others = 0.0
            for key in mine:
                answers = votes[key]
                own += pattern in answers[who]
                rest = [pattern in choices for name, choices in answers.items() if name != who]
                others += sum(rest) / len(rest)
            out.append(Usage(who, pattern, len(mine), round(own / len(mine), 4), round(others / len(mine), 4)))
    return out


def compute_agreement(votes: Votes, patterns: Sequence[str] = ()) -> AgreementReport:
    """Every statistic of the module from the experts' answers per segment.

    ``patterns`` is the vocabulary the experts chose from (patterns nobody chose are
    reported as such); patterns found in the answers are added after it.
    """
    used = sorted({p for answers in votes.values() for choices in answers.values() for p in choices})
    vocabulary = list(dict.fromkeys([*patterns, *used]))
    annotators = sorted({who for answers in votes.values() for who in answers}, key=_natural)
    keys = sorted(key for key, answers in votes.items() if len(answers) >= 2)
    messages: list[str] = []
    named = [a for a in annotators if not a.startswith(ANONYMOUS)]
    if len(annotators) < 2:
        messages.append(
            "Все ответы дал один эксперт: согласие экспертов "
            "посчитать нельзя. Дайте те же сегменты второму эксперту (в Label Studio — второй пользователь "
            "размечает те же задачи) и выгрузите разметку заново."
        )
    elif not keys:
        messages.append(
            f"Экспертов {len(annotators)}, но ни один сегмент не размечен двумя из них: согласие посчитать нельзя. "
            "Попросите экспертов разметить хотя бы 10 одних и тех же сегментов и выгрузите разметку заново."
        )
    elif len(keys) < MIN_OVERLAP:
        messages.append(
            f"Мало общих сегментов: двумя и более экспертами размечено {len(keys)} (нужно хотя бы {MIN_OVERLAP}). "
            "Числа согласия ниже ненадёжны — попросите экспертов разметить больше одних и тех же сегментов."
        )
    if len(named) < len(annotators):
        messages.append(
            "У части ответов не указан эксперт (колонка annotator пуста): каждый такой ответ считается отдельным "
            "экспертом, и κ по парам для них не считается."
        )
    if not keys:
        return AgreementReport(annotators, len(votes), 0, [], None, [], messages)
    per_pattern = [_pattern_agreement(p, _answers(votes, p, keys), annotators, named) for p in vocabulary]
    nobody = [p.pattern for p in per_pattern if p.chosen == 0]
    if nobody:
        messages.append(
            "Паттерны, которые не выбрал ни один эксперт на общих сегментах (согласие по ним не определено): "
            + "; ".join(f"«{p}»" for p in nobody) + "."
        )
    # Pooled: every (segment, pattern) is one unit; the counts are given back in segments.
    counted = [p for p in vocabulary if p not in nobody]
    pooled = [task for p in counted for task in _answers(votes, p, keys)]
    overall = _pattern_agreement(ALL_PATTERNS, pooled, annotators, named) if pooled else None
    if overall is not None:
        overall.tasks = len(keys)
        overall.pairs = [PairKappa(k.first, k.second, k.tasks // len(counted), k.kappa) for k in overall.pairs]
    usage = _usage(votes, keys, named, [p for p in vocabulary if p not in nobody])
    return AgreementReport(annotators, len(votes), len(keys), per_pattern, overall, usage, messages)


def _natural(name: str) -> tuple[int, int | str]:
    """Annotators in a stable, human order: numeric ids as numbers (2 before 10), then names."""
    return (0, int(name)) if name.isdigit() else (1, name)


def notable_usage(report: AgreementReport) -> list[Usage]:
    """Experts who choose a pattern clearly more or less often than the others on the same segments."""
    return [u for u in report.usage if u.tasks >= MIN_USAGE_TASKS and abs(u.difference) >= USAGE_GAP]


# --- text and tables -----------------------------------------------------------------------


def _value(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.0f} %" if percent else f"{value:.2f}"


def expert_name(annotator: str) -> str:
    """«эксперт 2» for Label Studio's numeric user ids, the name itself otherwise."""
    return f"эксперт {annotator}" if annotator.isdigit() else annotator


def format_agreement(report: AgreementReport) -> str:
    """The Russian text create_image_dataset.py prints: a table per pattern, the pairs, who differs."""
    lines = [
        f"Согласие экспертов: экспертов — {len(report.annotators)}, сегментов с ответами — {report.segments}, "
        f"из них размечены двумя и более экспертами — {report.overlap}."
    ]
    lines += [f"Внимание: {m}" for m in report.messages]
    if not report.computed:
        return "\n".join(lines)
    rows = [*report.per_pattern, *([report.overall] if report.overall else [])]
    width = max(len("Паттерн"), *(len(r.pattern) for r in rows))
    header = f"{'Паттерн':<{width}}  Совпад.  F1 эксп.  α Крипп.  κ Коэна  Выборов"
    lines += [header, "-" * len(header)]
    for r in rows:
        if r is report.overall:
            lines.append("-" * len(header))
        lines.append(f"{r.pattern:<{width}}  {_value(r.percent, True):>7}  {_value(r.positive):>8}  "
                     f"{_value(r.alpha):>8}  {_value(r.mean_kappa):>7}  {r.chosen:>7}")
    lines.append(
        "Совпад. — доля совпавших ответов в парах экспертов; F1 эксп. — насколько один эксперт «угадывает» другого "
        "(потолок для F1 модели); α Криппендорфа и κ Коэна — согласие сверх случайного (1 — полное, 0 — как "
        "случайно); «—» — не определено."
    )
    if report.overall and report.overall.pairs:
        lines.append("κ Коэна по парам экспертов (все паттерны вместе):")
        lines += [f"  {expert_name(k.first)} и {expert_name(k.second)}: {_value(k.kappa)} (общих сегментов: {k.tasks})"
                  for k in report.overall.pairs]
    notable = notable_usage(report)
    if notable:
        lines.append("Кто выбирает паттерн заметно чаще или реже остальных (на тех же сегментах):")
        for u in notable:
            word = "чаще" if u.difference > 0 else "реже"
            lines.append(f"  {expert_name(u.annotator)} — «{u.pattern}» {word}: {_value(u.own_share, True)} "
                         f"его сегментов против {_value(u.others_share, True)} у остальных")
    return "\n".join(lines)


# The columns of dataset_foto/agreement.csv: these, with a κ column per pair of experts before "note".
# docs/outputs.md is generated from them (tools/docs.py).
AGREEMENT_COLUMNS: dict[str, str] = {
    "pattern": "паттерн; последняя строка «Все паттерны» — все пары «сегмент × паттерн» вместе",
    "segments_two_or_more": "сколько сегментов разметили двое экспертов и больше (по ним и считается согласие)",
    "chosen": "сколько раз паттерн выбран на этих сегментах",
    "percent_agreement": "доля совпавших ответов во всех парах экспертов на одних и тех же сегментах",
    "positive_agreement_f1": "F1 одного эксперта против другого: потолок, с которым стоит сравнивать F1 моделей",
    "krippendorff_alpha": "α Криппендорфа по всем экспертам сразу: 1 — полное согласие, 0 — как случайно",
    "cohen_kappa_mean": "κ Коэна, среднее по парам экспертов, взвешенное числом их общих сегментов",
    "note": "пояснение, почему число не определено (например, паттерн не выбрал никто)",
}
PAIR_KAPPA_COLUMN = "cohen_kappa {first} × {second}"
PAIR_KAPPA_MEANING = "κ Коэна одной пары экспертов на их общих сегментах; по столбцу на каждую пару"


def agreement_csv(report: AgreementReport) -> str:
    """One row per pattern (and «Все паттерны»), a κ column per pair of experts; opens in Excel."""
    rows = [*report.per_pattern, *([report.overall] if report.overall else [])]
    pairs = list(itertools.combinations(report.annotators, 2))
    fixed = [column for column in AGREEMENT_COLUMNS if column != "note"]
    header = [*fixed, *(PAIR_KAPPA_COLUMN.format(first=expert_name(a), second=expert_name(b)) for a, b in pairs),
              "note"]
    table = []
    for r in rows:
        by_pair = {(k.first, k.second): k.kappa for k in r.pairs}
        table.append([r.pattern, r.tasks, r.chosen, r.percent, r.positive, r.alpha, r.mean_kappa,
                      *(by_pair.get(pair) for pair in pairs), r.note])
    # Pattern and expert names come from Label Studio: Excel must show them, never run them.
    return spreadsheet.csv_text(header, table)


def ceiling_note(report: AgreementReport | None) -> str:
    """The line both models print under their table: the experts' agreement is the ceiling of any F1."""
    if report is None or not report.computed:
        reason = report.messages[0] if report and report.messages else "нет сегментов, размеченных двумя экспертами."
        return f"Согласие экспертов (потолок для модели) не посчитано: {reason}"
    f1, alpha = (report.overall.positive, report.overall.alpha) if report.overall else (None, None)
    text = (
        f"Согласие экспертов (потолок для модели): F1 эксперта против другого эксперта — {_value(f1)}, "
        f"α Криппендорфа — {_value(alpha)} по {report.overlap} сегментам, размеченным двумя и более экспертами."
    )
    if not report.reliable:
        text += f" Общих сегментов меньше {MIN_OVERLAP}: это число ненадёжно."
    return text
