"""The report as a self-contained HTML page in Russian: plots and thumbnails embedded, no scripts but two
one-line handlers that start a moment's player at its second.

A teacher opens the file from a folder or an e-mail, offline, on any computer: so nothing is
fetched from elsewhere (plots are base64 PNG drawn with matplotlib's Agg, keyframes small
base64 JPEG, fonts the system's own), and every piece of text from a transcript is escaped.
Numbers are taken from the report dictionary as they are, so the page says what the JSON says.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from matplotlib.figure import Figure
from PIL import Image

from pedpatterns.layout import Layout
from pedpatterns.report import references
from pedpatterns.report.lessonmetrics import GOOD_WAIT_SECONDS, METRICS
from pedpatterns.report.questionquality import QUESTION_KIND_METRICS, kind_text
from pedpatterns.report.talk import TALK_METRICS
from pedpatterns.report.timeline import Timeline, plain_text
from pedpatterns.report.trend import TREND_METRICS, Trends
from pedpatterns.report.waits import BROKEN_BY_NAMES, NO_ANSWER_SECONDS, WAIT_METRICS
from pedpatterns.words import GROUP, LINE_NAMES, PUPIL, SPEAKER_NAMES, TEACHER, clock

THUMBNAIL_SIZE = (192, 108)
SPEECH_COLOUR = "#5B6B7A"
QUESTION_COLOUR = "#E45756"
# Who talks: one colour per speaker, the same in the block, the timeline lanes and the transcript lines.
SPEAKER_COLOURS = {TEACHER: "#2F6690", PUPIL: "#E8871E", GROUP: "#8E6C8A"}
SILENCE_COLOUR = "#D5DBE1"
PATTERN_COLOURS = ("#4C78A8", "#F58518", "#54A24B", "#B279A2", "#72B7B2", "#EECA3B", "#9D755D", "#FF9DA6",
                   "#2E86AB", "#8C564B")
CARD_METRICS = ("speech_share", "silence_share", "longest_monologue_s", "question_count",
                "wait_after_question_mean_s", "questions_with_good_wait", "speech_rate_wpm", "pause_count",
                "longest_pause_s", "pause_median_s", "duration_s", "word_count")
# A card's second number, shown under its main one.
CARD_DETAILS = {"speech_share": ("время речи", "speech_s"),
                "longest_monologue_s": ("начало", "longest_monologue_start_s"),
                "wait_after_question_mean_s": ("медиана", "wait_after_question_median_s")}
INDEX_METRICS = ("duration_s", "speech_share", "longest_monologue_s", "question_count",
                 "wait_after_question_mean_s", "speech_rate_wpm", "pause_count", "longest_pause_s")

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;
background:#f6f7f9;color:#1f2933;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.7em;margin:0 0 4px}h2{font-size:1.25em;margin:32px 0 10px;border-bottom:2px solid #e3e6ea;
padding-bottom:4px}
.meta{color:#5b6670;margin:0}
.notice{background:#fff8e1;border-left:5px solid #f0b429;padding:12px 16px;margin:18px 0;border-radius:4px}
.notice.info{background:#e8f1fb;border-color:#4C78A8}
.notice ul{margin:6px 0 0 18px;padding:0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .name{font-size:.85em;color:#5b6670}.card .value{font-size:1.6em;font-weight:600;margin:2px 0}
.card .hint{font-size:.78em;color:#7b8794}.card .detail{font-size:.9em;color:#3e4c59;margin-bottom:2px}
.card .ref{font-size:.78em;color:#2f5d7c;margin-top:6px;border-top:1px dashed #d5dbe1;padding-top:4px}
img.plot{max-width:100%;background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08);font-size:.92em}
th,td{padding:7px 10px;border-bottom:1px solid #e9ecef;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}th.num{text-align:right}
td.num{text-align:right;white-space:nowrap}td.time{white-space:nowrap;color:#3e4c59}
td.text{max-width:480px}
.good{color:#2f7d32;font-weight:600}.short{color:#b7791f}
.pattern{display:block;margin:2px 0}.pattern.present{font-weight:600}.pattern.absent{color:#7b8794}
.bar{display:inline-block;height:8px;border-radius:4px;background:#4C78A8;margin-right:6px;vertical-align:middle}
.muted{color:#7b8794}
dl.meanings dt{font-weight:600;margin-top:8px}dl.meanings dd{margin:0 0 0 18px;color:#3e4c59}
img.thumb{width:160px;border-radius:4px;display:block}
.talkbar{display:flex;height:30px;border-radius:6px;overflow:hidden;margin:6px 0 12px;background:#D5DBE1;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
.talkbar span{display:block;height:100%}
.cards.talk{grid-template-columns:repeat(auto-fill,minmax(170px,1fr))}
.card .swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.line{margin:2px 0}.who{font-weight:600;margin-right:4px}
.who.teacher{color:#2F6690}.who.pupil{color:#B85F00}.who.group{color:#8E6C8A}
audio{width:200px;height:32px;margin-top:6px;display:block}
.moments{display:grid;gap:10px}
.moment{display:flex;gap:14px;background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.moment .when{font-size:.9em;color:#3e4c59}.moment .said{font-style:italic;color:#3e4c59;margin:4px 0}
.moment details summary{cursor:pointer;color:#2F6690;font-weight:600;margin-top:6px}
.moment video{width:480px;max-width:100%;margin-top:6px;display:block;background:#000}
"""


# --- formatting ----------------------------------------------------------------------------


def _decimal(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def duration_text(seconds: float) -> str:
    """A duration a teacher reads at a glance: "6,0 с", "2 мин 05 с", "1 ч 02 мин"."""
    if seconds < 60:
        return f"{_decimal(seconds, 1)} с"
    total = round(seconds)
    if total < 3600:
        return f"{total // 60} мин {total % 60:02d} с"
    return f"{total // 3600} ч {total % 3600 // 60:02d} мин"


def format_value(key: str, value: Any) -> str:
    """A metric's value in its unit, as the report's cards and tables show it."""
    if value is None:
        return "—"
    unit = METRICS[key][1]
    if unit == "доля":
        return f"{round(value * 100)} %"
    if unit == "с":
        return duration_text(value)
    if unit == "время":
        return clock(value)
    if unit == "слов/мин":
        return f"{round(value)} слов/мин"
    return str(int(value))


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


# --- pictures ------------------------------------------------------------------------------


@plain_text
def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def thumbnail(path: Path) -> str | None:
    """A keyframe as a small base64 JPEG, or ``None`` when it cannot be read."""
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            image.thumbnail(THUMBNAIL_SIZE)
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=70)
    except (OSError, ValueError):
        return None
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def keyframe_thumbnail(item: dict[str, Any], layout: Layout) -> str | None:
    """The thumbnail of a segment's (or a moment's) keyframe, found by its part and number.

    By part and number, not by the stored path: a shared report's path names its label
    (report/privacy.py), and ``layout.source_part`` finds the processed part behind it.
    """
    if not item.get("keyframe") or item.get("segment") is None:
        return None
    return thumbnail(layout.keyframe(layout.source_part(str(item["part"])), int(item["segment"])))


def pattern_colour(index: int) -> str:
    return PATTERN_COLOURS[index % len(PATTERN_COLOURS)]


@plain_text
def timeline_png(report: dict[str, Any]) -> str:
    """The lesson on one time axis: a lane per speaker (or all speech), questions, and each pattern found."""
    patterns = report["model"]["patterns"] if report["model"] else []
    lanes = speaker_lanes(report)
    rows = [name for name, _, _ in lanes] + ["Вопросы", *patterns]
    fig = Figure(figsize=(11, 1.3 + 0.42 * len(rows)))
    ax = fig.add_subplot()
    top = len(rows) - 1
    to_min = 1 / 60
    for k, (_, spans, colour) in enumerate(lanes):
        ax.broken_barh([(s * to_min, (e - s) * to_min) for s, e in spans], (top - k - 0.35, 0.7), facecolors=colour)
    top -= len(lanes) - 1  # the lanes below keep their places whatever the number of speakers
    times = [q["time"] * to_min for q in report["questions"]]
    ax.scatter(times, [top - 1] * len(times), marker="v", s=60, color=QUESTION_COLOUR, zorder=3)
    threshold = report["threshold"]
    for j, pattern in enumerate(patterns):
        spans, alphas = [], []
        for seg in report["segments"]:
            p = seg["probabilities"][pattern]
            if p >= threshold:
                spans.append((seg["lesson_start"] * to_min, (seg["lesson_end"] - seg["lesson_start"]) * to_min))
                alphas.append(0.35 + 0.65 * (p - threshold) / max(1e-9, 1 - threshold))
        if spans:
            colour = pattern_colour(j)
            ax.broken_barh(spans, (top - 2 - j - 0.35, 0.7), facecolors=[(colour, a) for a in alphas])
    top += len(lanes) - 1
    ax.set_yticks(range(top, -1, -1), rows)
    ax.set_ylim(-0.7, top + 0.7)
    ax.set_xlim(0, max(report["summary"]["duration_s"], 1) * to_min)
    ax.set_xlabel("минуты от начала урока")
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def speaker_lanes(report: dict[str, Any]) -> list[tuple[str, list[tuple[float, float]], str]]:
    """(name, spans, colour) per timeline lane: one per speaker when known, else one of all speech."""
    talk = report.get("talk") or {}
    if not talk.get("separated"):
        return [("Речь", [(s, e) for s, e in report["speech"]], SPEECH_COLOUR)]
    lanes = []
    for who, name in SPEAKER_NAMES.items():
        spans = [(s, e) for s, e, speaker in talk["turns"] if speaker == who]
        if spans or who != GROUP:
            lanes.append((name, spans, SPEAKER_COLOURS[who]))
    return lanes


@plain_text
def pauses_png(report: dict[str, Any]) -> str:
    """How many pauses of each length: a teacher sees at once whether silences are rare or long."""
    bins = report["pause_histogram"]
    fig = Figure(figsize=(7, 2.6))
    ax = fig.add_subplot()
    labels = [b["label"] for b in bins]
    counts = [b["count"] for b in bins]
    bars = ax.bar(labels, counts, color=SPEECH_COLOUR)
    ax.bar_label(bars, padding=2)
    ax.set_ylabel("число пауз")
    ax.set_xlabel("длина паузы")
    ax.set_ylim(0, max([*counts, 1]) * 1.25)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


# --- the pieces of the page ----------------------------------------------------------------


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"ru\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _metric(key: str, value: Any, tag: str = "span", cls: str = "") -> str:
    raw = "" if value is None else value
    return (f'<{tag} class="{cls}" data-metric="{key}" data-value="{esc(raw)}">'
            f"{esc(format_value(key, value))}</{tag}>")


def _cards(summary: dict[str, Any], keys: Sequence[str] = CARD_METRICS) -> str:
    cards = []
    for key in keys:
        name, _, meaning = METRICS[key]
        extra = ""
        if key in CARD_DETAILS:
            label, detail = CARD_DETAILS[key]
            extra = f'<div class="detail">{esc(label)}: {_metric(detail, summary.get(detail))}</div>'
        cards.append(
            f'<div class="card"><div class="name">{esc(name)}</div>{_metric(key, summary.get(key), "div", "value")}'
            f"{extra}<div class=\"hint\">{esc(meaning)}</div>{_reference(key)}</div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _reference(key: str) -> str:
    """The reference point research gives for a metric, under its card ("" where none): guidance, not a grade."""
    text = references.reference_text(key)
    return f'<div class="ref" data-reference="{esc(key)}">{esc(text)}</div>' if text else ""


def _model_notice(report: dict[str, Any]) -> str:
    model = report["model"]
    if model is None:
        return (
            '<div class="notice"><b>Паттерны не определены: сначала нужна разметка.</b> '
            "Модели пока не на чем учиться. Разметьте сегменты уроков в Label Studio, экспортируйте разметку "
            "в файл labeled.csv в папке проекта и запустите find_patterns.py снова — в отчёте появятся "
            "паттерны. Показатели урока ниже от разметки не зависят и уже посчитаны.</div>"
        )
    quality = model.get("quality")
    text = (f"Паттерны найдены автоматически лёгкой моделью (звук и текст), обученной на "
            f"{model.get('n_segments', '?')} размеченных сегментах. Паттерн считается найденным, если модель "
            f"уверена в нём не меньше чем на {round(report['threshold'] * 100)} %. Это подсказка для разбора "
            "урока, а не оценка учителя.")
    if quality:
        text += (f" Качество на проверке по урокам, которых модель не видела: micro-F1 "
                 f"{_decimal(quality['micro_f1'], 2)} (правило «всегда самые частые паттерны»: "
                 f"{_decimal(quality['baseline_micro_f1'], 2)}; 1 — идеально).")
    warnings = model.get("warnings") or []
    items = "".join(f"<li>{esc(w)}</li>" for w in warnings)
    more = f"<div>Осторожно, разметки пока мало:<ul>{items}</ul></div>" if warnings else ""
    return f'<div class="notice info">{esc(text)}{more}</div>'


def _pattern_table(report: dict[str, Any]) -> str:
    rows = []
    for j, item in enumerate(report["pattern_summary"]):
        colour = pattern_colour(j)
        rows.append(
            f'<tr data-pattern="{esc(item["pattern"])}"><td><span class="bar" style="width:12px;background:{colour}">'
            f'</span>{esc(item["pattern"])}</td><td class="num">{item["segments"]}</td>'
            f'<td class="num">{esc(duration_text(item["seconds"]))}</td>'
            f'<td class="num">{round(item["share"] * 100)} %</td></tr>'
        )
    head = "".join(f'<th class="num">{name}</th>' for name in ("Сегментов", "Время", "Доля урока"))
    return f"<table><tr><th>Паттерн</th>{head}</tr>{''.join(rows)}</table>"


# The question section's cards: who broke the silence after the questions, and what kind they were.
_ON_MAIN_CARDS = {*CARD_METRICS, *(detail for _, detail in CARD_DETAILS.values())}
QUESTION_CARDS = (*(k for k in WAIT_METRICS if k not in _ON_MAIN_CARDS), *QUESTION_KIND_METRICS)


def _questions_table(report: dict[str, Any]) -> str:
    """The questions: cards of what followed them and of their kinds, then one row per question."""
    if not report["questions"]:
        return '<p class="muted">Вопросов в расшифровке нет.</p>'
    rows = []
    for q in report["questions"]:
        wait = q["wait_s"]
        cls = "" if wait is None else ("good" if wait >= GOOD_WAIT_SECONDS else "short")
        wait_text = "конец записи" if wait is None else duration_text(wait)
        who = q.get("broken_by")
        rule = f'<div class="hint muted">{esc(q["rule"])}</div>' if q.get("rule") else ""
        rows.append(f'<tr><td class="time">{clock(q["time"])}</td><td class="text">{esc(q["text"])}</td>'
                    f'<td data-openness="{esc(q.get("openness") or "")}" data-level="{esc(q.get("level") or "")}">'
                    f"{esc(kind_text(q))}{rule}</td>"
                    f'<td class="num {cls}" data-wait="{esc("" if wait is None else wait)}">{esc(wait_text)}</td>'
                    f'<td data-broken-by="{esc(who or "")}">{esc(BROKEN_BY_NAMES.get(who or "", "—"))}</td></tr>')
    return (_cards(report["summary"], QUESTION_CARDS) + _question_notes(report)
            + "<table><tr><th>Время</th><th>Вопрос</th><th>Вид вопроса</th><th>Ожидание</th>"
            "<th>Кто нарушил тишину</th></tr>" + "".join(rows) + "</table>")


def _question_notes(report: dict[str, Any]) -> str:
    """How the wait and who broke it were measured, and what the page cannot tell (voices, languages)."""
    questions = report["questions"]
    notes = [
        "Ожидание — время от конца вопроса (последнего слова вопросительной реплики учителя) до следующей речи, "
        "как его измеряют в исследованиях (Rowe 1974, 1986). «Кто нарушил тишину» — чей голос прозвучал первым: "
        f"ученика, самого учителя или ничей (никто не заговорил за {_decimal(NO_ANSWER_SECONDS, 0)} с, или запись "
        f'кончилась). <span class="good">Зелёным</span> — не меньше {_decimal(GOOD_WAIT_SECONDS, 0)} с: ученикам '
        "дали подумать."
    ]
    unknown = sum(q.get("broken_by") == "unknown" for q in questions)
    if unknown:
        notes.append(f"После {unknown} из {len(questions)} вопросов неизвестно, кто заговорил: голоса в этой части "
                     "урока не различались (или слышен один голос — короткий ответ ученика мог в нём потеряться).")
    foreign = sum("language" in q and q["language"] is None for q in questions)
    if foreign:
        notes.append(f"Вид вопроса определяется правилами для русского и английского языков; у {foreign} из "
                     f"{len(questions)} вопросов язык другой или слов нет — их вид не определён (программа не "
                     "угадывает), и в доли открытых вопросов и вопросов высокого уровня они не входят.")
    return "".join(f"<p>{n}</p>" for n in notes)


def _patterns_cell(seg: dict[str, Any]) -> str:
    present = set(seg["present"])
    items = []
    for item in seg["top"]:
        p, prob = item["pattern"], item["probability"]
        cls = "present" if p in present else "absent"
        items.append(f'<span class="pattern {cls}" data-probability="{prob}"><span class="bar" '
                     f'style="width:{max(2, round(prob * 60))}px"></span>{esc(p)} — {round(prob * 100)} %</span>')
    if not present:
        items.insert(0, '<span class="muted">уверенно не найдено; вероятнее всего:</span>')
    return "".join(items)


def _segments_table(report: dict[str, Any], layout: Layout) -> str:
    with_model = report["model"] is not None
    head = ("<tr><th>Время и звук</th><th>Кадр</th><th>Что говорилось</th>"
            + ("<th>Паттерны</th>" if with_model else "") + "</tr>")
    rows = []
    for seg in report["segments"]:
        image = keyframe_thumbnail(seg, layout)
        frame = f'<img class="thumb" alt="кадр" src="data:image/jpeg;base64,{image}">' if image else "—"
        patterns = f"<td>{_patterns_cell(seg)}</td>" if with_model else ""
        audio = (f'<audio controls preload="none" src="{esc(seg["audio"])}" title="послушать сегмент"></audio>'
                 if seg.get("audio") else "")
        rows.append(
            f'<tr data-part="{esc(seg["part"])}" data-segment="{seg["segment"]}">'
            f'<td class="time">{clock(seg["lesson_start"])}–{clock(seg["lesson_end"])}{audio}</td><td>{frame}</td>'
            f'<td class="text">{_said(seg)}</td>{patterns}</tr>'
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _said(seg: dict[str, Any]) -> str:
    """What was said: a line per speaker turn when the voices were separated, else the plain text."""
    lines = seg.get("lines") or []
    if lines:
        return "".join(f'<div class="line" data-speaker="{esc(line["speaker"])}"><span class="who '
                       f'{esc(line["speaker"])}">{esc(LINE_NAMES.get(line["speaker"], ""))}:</span>'
                       f'{esc(line["text"])}</div>' for line in lines)
    return esc(seg["text"]) or "<span class=muted>речи нет</span>"


def _talk_section(report: dict[str, Any]) -> str:
    """«Кто говорит»: teacher, pupils and silence as a bar of the lesson and as cards; or why it is unknown."""
    talk = report.get("talk") or {}
    if not talk.get("separated"):
        note = talk.get("note") or "Кто говорит — учитель или ученики — не различалось."
        return f'<section><h2>Кто говорит</h2><div class="notice" data-talk="not-separated">{esc(note)}</div></section>'
    parts = ((TEACHER, "teacher_s", "teacher_share", SPEAKER_COLOURS[TEACHER]),
             (PUPIL, "pupil_s", "pupil_share", SPEAKER_COLOURS[PUPIL]),
             ("silence", "silence_s", "silence_share", SILENCE_COLOUR))
    bar = "".join(f'<span style="width:{max(0.0, float(talk[share] or 0)) * 100:.2f}%;background:{colour}" '
                  f'title="{esc(TALK_METRICS[share][0])}: {round(float(talk[share] or 0) * 100)} %"></span>'
                  for _, _, share, colour in parts)
    cards = []
    for _, seconds, share, colour in parts:
        name = TALK_METRICS[seconds][0]
        cards.append(
            f'<div class="card"><div class="name"><span class="swatch" style="background:{colour}"></span>'
            f'{esc(name)}</div><div class="value" data-metric="{share}" data-value="{esc(talk[share])}">'
            f'{round(float(talk[share] or 0) * 100)} %</div><div class="detail" data-metric="{seconds}" '
            f'data-value="{esc(talk[seconds])}">{esc(duration_text(float(talk[seconds] or 0)))}</div>'
            f'<div class="hint">{esc(TALK_METRICS[share][2])}</div></div>'
        )
    for key in ("teacher_talk_share", "pupil_turns", "longest_pupil_turn_s", "voices"):
        name, unit, meaning = TALK_METRICS[key]
        value = talk.get(key)
        shown = ("—" if value is None else duration_text(float(value)) if unit == "с"
                 else f"{round(float(value) * 100)} %" if unit == "доля" else str(value))
        cards.append(f'<div class="card"><div class="name">{esc(name)}</div><div class="value" data-metric="{key}" '
                     f'data-value="{esc("" if value is None else value)}">{esc(shown)}</div>'
                     f'<div class="hint">{esc(meaning)}</div>{_reference(key)}</div>')
    return (f'<section><h2>Кто говорит</h2><div class="talkbar" role="img" aria-label="доли урока">{bar}</div>'
            f'<div class="cards talk">{"".join(cards)}</div><p class="muted">{esc(talk["note"])}</p></section>')


# The player starts at the moment's second: the media fragment (#t=) where the browser honours it, and this
# one-line handler where it does not; opening «посмотреть этот момент» plays, closing it pauses.
_SEEK = "var s=+this.dataset.start;if(Math.abs(this.currentTime-s)>1)this.currentTime=s"
_PLAY = ("var v=this.querySelector('video,audio');if(!v)return;"
         "if(this.open){var p=v.play();if(p&&p.catch)p.catch(function(){})}else v.pause()")


def _moment_player(moment: dict[str, Any], poster: str | None) -> str:
    """«посмотреть этот момент»: the part film from the moment's second, else the segment's clip, else why not."""
    if moment.get("film"):
        start, tag, what = moment["part_time"], "video", "видео части"
        src = moment["film"]
    elif moment.get("audio"):
        start, tag, what = moment.get("audio_time") or 0.0, "audio", "звук сегмента (видео части не найдено)"
        src = moment["audio"]
    else:
        return ""
    extra = f' poster="data:image/jpeg;base64,{poster}"' if poster and tag == "video" else ""
    return (f'<details ontoggle="{esc(_PLAY)}"><summary>посмотреть этот момент</summary>'
            f'<{tag} controls preload="none" src="{esc(src)}#t={start:.1f}" data-start="{start:.1f}"{extra} '
            f'onloadedmetadata="{esc(_SEEK)}" title="{esc(what)}"></{tag}></details>')


def moments_section(report: dict[str, Any], layout: Layout) -> str:
    """«Моменты, которые стоит посмотреть»: each with its keyframe, time, why, and a player from that second."""
    items = []
    for moment in report.get("moments") or []:
        image = keyframe_thumbnail(moment, layout)
        frame = f'<img class="thumb" alt="кадр" src="data:image/jpeg;base64,{image}">' if image else ""
        where = (f", часть {esc(moment['part_number'])}" if moment.get("part_number") else "")
        said = f'<div class="said">{esc(moment["text"])}</div>' if moment.get("text") else ""
        player = _moment_player(moment, image)
        if not player:
            player = ('<div class="muted">В обезличенном отчёте видео и звук не прилагаются.</div>'
                      if report.get("anonymised") else
                      '<div class="muted">Видео и звук этой части не найдены (part_films/, processed_data/).</div>')
        items.append(
            f'<div class="moment" data-kind="{esc(moment["kind"])}" data-time="{esc(moment["time"])}">'
            f"<div>{frame}</div><div><b>{esc(moment['title'])}</b>"
            f'<div class="when">{esc(clock(moment["time"]))} от начала урока{where}, '
            f"{esc(clock(moment['part_time']))} от начала части</div>"
            f"<div>{esc(moment['why'])}</div>{said}{player}</div></div>"
        )
    missing = "".join(f"<li>{esc(line)}</li>" for line in report.get("moments_missing") or [])
    notice = f'<div class="notice info" data-moments="missing"><ul>{missing}</ul></div>' if missing else ""
    body = (f'<div class="moments">{"".join(items)}</div>' if items
            else '<p class="muted">Моментов для просмотра в этом уроке нет.</p>')
    return f"<section><h2>Моменты, которые стоит посмотреть</h2>{body}{notice}</section>"


def _meanings(report: dict[str, Any]) -> str:
    items = "".join(f"<dt>{esc(name)}</dt><dd>{esc(meaning)}</dd>" for name, _, meaning in METRICS.values())
    return (f"<p>Показатели посчитаны по времени слов в расшифровке. Пауза — промежуток без речи не короче "
            f"{esc(_decimal(report['pause_seconds'], 1))} с (параметр --pause-seconds); более короткие промежутки "
            "считаются частью речи. Кто говорит, определено по голосам (блок «Кто говорит»): учитель — голос, "
            "который звучит дольше всех, остальные — ученики.</p>"
            f'<dl class="meanings">{items}</dl>')


def references_section() -> str:
    """«Ориентиры и источники»: what research says about each metric that has a reference, and the publications.

    Worded as guidance: a lesson is not graded against these points, and where research describes what is
    usual rather than what is good, the page says «обычно в классах».
    """
    names = {**{k: v[0] for k, v in TALK_METRICS.items()}, **{k: v[0] for k, v in METRICS.items()}}
    groups: dict[references.Reference, list[str]] = {}
    for key, reference in references.REFERENCES.items():
        groups.setdefault(reference, []).append(names.get(key, key))
    items = "".join(f"<dt>{esc('; '.join(shown))}</dt><dd><b>{esc(reference.short())}.</b> "
                    f"{esc(reference.guidance)}</dd>" for reference, shown in groups.items())
    sources = "".join(f"<li>{esc(source.full())}</li>" for source in references.cited(list(references.REFERENCES)))
    return ("<section><h2>Ориентиры и источники</h2><p>Ориентиры — то, что исследования говорят о таких "
            "показателях; это подсказка для разбора урока, а не оценка учителя. «Обычно в классах» — то, как "
            "бывает на типичных уроках по наблюдениям исследователей, а не норма.</p>"
            f'<dl class="meanings">{items}</dl><h3>Источники</h3><ol class="sources">{sources}</ol></section>')


def render_report(report: dict[str, Any], layout: Layout) -> str:
    """The whole page of one lesson."""
    summary = report["summary"]
    meta = (f"Отчёт создан {esc(report['created'].replace('T', ' '))}. Частей: {len(report['parts'])}, "
            f"сегментов: {len(report['segments'])}, длительность {esc(clock(summary['duration_s']))}.")
    sections = [
        f"<header><h1>Урок «{esc(report['video'])}»</h1><p class=\"meta\">{meta}</p></header>",
        _model_notice(report),
        f"<section><h2>Главное об уроке</h2>{_cards(summary)}</section>",
        _talk_section(report),
        "<section><h2>Ход урока</h2>"
        f'<img class="plot" alt="Ход урока по времени" src="data:image/png;base64,{timeline_png(report)}">'
        + ("<p class=\"muted\">Синие полосы — учитель, оранжевые — ученики, красные треугольники — вопросы"
           if (report.get("talk") or {}).get("separated") else
           "<p class=\"muted\">Серые полосы — речь, красные треугольники — вопросы")
        + ("; ниже — паттерны, чем ярче цвет, тем увереннее модель." if report["model"] else ".") + "</p></section>",
    ]
    sections.append(moments_section(report, layout))
    if report["model"]:
        sections.append(f"<section><h2>Паттерны на уроке</h2>{_pattern_table(report)}</section>")
    sections.append(f"<section><h2>Вопросы и ожидание ответа</h2>{_questions_table(report)}</section>")
    pauses = (f'<img class="plot" alt="Распределение пауз" src="data:image/png;base64,{pauses_png(report)}">'
              if report["pauses"] else '<p class="muted">Пауз не короче порога нет.</p>')
    sections.append(f"<section><h2>Паузы</h2>{pauses}</section>")
    sections.append(f"<section><h2>Сегменты урока</h2>{_segments_table(report, layout)}</section>")
    sections.append(f"<section><h2>Как считались показатели</h2>{_meanings(report)}</section>")
    sections.append(references_section())
    return _page(f"Отчёт об уроке «{report['video']}»", "\n".join(sections))


def _top_patterns(report: dict[str, Any], n: int = 3) -> str:
    items = sorted((i for i in report.get("pattern_summary", []) if i["segments"]), key=lambda i: -i["share"])[:n]
    if not report.get("model"):
        return '<span class="muted">нужна разметка</span>'
    return "<br>".join(f"{esc(i['pattern'])} — {round(i['share'] * 100)} %" for i in items) or "—"


def _share(value: Any) -> str:
    return "—" if value is None else f"{round(float(value) * 100)} %"


def timeline_section(timeline: Timeline, png: bytes, layout: Layout) -> str:
    """«Уроки по времени»: the lessons in date order as a table and four plots, with the CSV beside."""
    rows = []
    for r in timeline.rows:
        wait = r["wait_after_question_mean_s"]
        rows.append(
            f"<tr><td class=\"time\">{esc(r['date'] or 'нет даты')}</td><td>{esc(r['video'])}</td>"
            f"<td>{esc(r['teacher'])}</td><td>{esc(r['class'])}</td><td class=\"num\">{_share(r['teacher_share'])}</td>"
            f"<td class=\"num\">{_share(r['pupil_share'])}</td><td class=\"num\">{esc(r['questions'])}</td>"
            f"<td class=\"num\">{'—' if r['questions_per_10_min'] is None else esc(r['questions_per_10_min'])}</td>"
            f"<td class=\"num\">{'—' if wait is None else esc(wait)}</td></tr>"
        )
    notes = "".join(f"<li>{esc(n)}</li>" for n in timeline.notes)
    csv_name = layout.lessons_over_time_csv.name
    return (
        "<section><h2>Уроки по времени</h2>"
        "<p class=\"meta\">Уроки по порядку дат (дата — из new_videos/lessons.csv или из имени видео). "
        f"Те же числа для Excel: <a href=\"{esc(quote(csv_name))}\">{esc(csv_name)}</a>.</p>"
        + (f'<div class="notice"><ul>{notes}</ul></div>' if notes else "")
        + "<table><tr><th>Дата</th><th>Урок</th><th>Учитель</th><th>Класс</th><th class=\"num\">Речь учителя</th>"
        "<th class=\"num\">Речь учеников</th><th class=\"num\">Вопросов</th><th class=\"num\">Вопросов за 10 мин"
        "</th><th class=\"num\">Ожидание после вопроса, с</th></tr>" + "".join(rows) + "</table>"
        f'<img class="plot" alt="Уроки по времени" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
        "</section>"
    )


def _trend_value(unit: str, value: float | None) -> str:
    if value is None:
        return "—"
    if unit == "доля":
        return f"{round(value * 100)} %"
    if unit == "с":
        return duration_text(value)
    return _decimal(value, 1)


def _trend_change(unit: str, latest: float | None, earlier: float | None) -> str:
    """The change as a difference in the metric's unit (shares in percentage points); no verdict attached."""
    if latest is None or earlier is None:
        return "—"
    delta = latest - earlier
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    if unit == "доля":
        return f"{sign}{round(abs(delta) * 100)} п. п."
    return f"{sign}{_decimal(abs(delta), 1)}" + (" с" if unit == "с" else "")


def trend_section(trends: Trends) -> str:
    """«Учитель: этот урок и прошлые»: each teacher's latest lesson beside the median of their earlier ones."""
    blocks = []
    for teacher in trends.teachers:
        rows = []
        for row in teacher.rows:
            name, unit = TREND_METRICS[row.key]
            rows.append(
                f'<tr data-trend="{esc(row.key)}"><td>{esc(name)}</td>'
                f'<td class="num" data-value="{esc("" if row.latest is None else row.latest)}">'
                f"{esc(_trend_value(unit, row.latest))}</td>"
                f'<td class="num" data-earlier="{esc("" if row.earlier is None else row.earlier)}">'
                f"{esc(_trend_value(unit, row.earlier))}</td>"
                f'<td class="num">{esc(_trend_change(unit, row.latest, row.earlier))}</td>'
                f'<td class="muted">{esc(references.reference_text(row.key))}</td></tr>'
            )
        latest = teacher.latest
        blocks.append(
            f'<h3 data-teacher="{esc(teacher.teacher)}">{esc(teacher.teacher)}</h3>'
            f"<p class=\"meta\">Последний урок: «{esc(latest['video'])}» ({esc(latest['date'])}); прошлых уроков: "
            f"{len(teacher.earlier)} (с {esc(teacher.earlier[0]['date'])} по {esc(teacher.earlier[-1]['date'])}).</p>"
            "<table><tr><th>Показатель</th><th class=\"num\">Последний урок</th><th class=\"num\">Прошлые уроки "
            "(медиана)</th><th class=\"num\">Разница</th><th>Ориентир</th></tr>" + "".join(rows) + "</table>"
        )
    notes = "".join(f"<li>{esc(n)}</li>" for n in trends.notes)
    body = "".join(blocks) or '<p class="muted">Нет учителя, у которого было бы два урока с датой или больше.</p>'
    return ("<section><h2>Учитель: последний урок и прошлые</h2><p class=\"meta\">Последний урок каждого учителя "
            "(учитель и дата — из new_videos/lessons.csv) рядом с медианой его же прошлых уроков. Разница — не "
            "оценка: ориентиры из исследований стоят рядом, источники — в отчёте каждого урока.</p>"
            + (f'<div class="notice"><ul>{notes}</ul></div>' if notes else "") + body + "</section>")


def render_index(reports: Sequence[dict[str, Any]], layout: Layout, extra: str = "") -> str:
    """The summary page: one row per analysed lesson, linking to its report; ``extra`` sections follow."""
    head = "".join(f"<th>{esc(METRICS[k][0])}</th>" for k in INDEX_METRICS)
    rows = []
    for report in reports:
        link = f"{quote(report['video'])}/{quote(layout.report_html(report['video']).name)}"
        cells = "".join(_metric(k, report["summary"][k], "td", "num") for k in INDEX_METRICS)
        rows.append(f'<tr data-video="{esc(report["video"])}"><td><a href="{esc(link)}">{esc(report["video"])}</a>'
                    f"</td>{cells}<td>{_top_patterns(report)}</td></tr>")
    body = (f"<header><h1>Сводка по урокам</h1><p class=\"meta\">Уроков: {len(reports)}. "
            "Нажмите на название урока, чтобы открыть его отчёт.</p></header>"
            f"<table><tr><th>Урок</th>{head}<th>Чаще всего</th></tr>{''.join(rows)}</table>{extra}")
    return _page("Сводка по урокам", body)
