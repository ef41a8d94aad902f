"""The light pattern model: audio features plus the transcript's words, in scikit-learn.

It is the fast path of find_patterns.py: trained in seconds on a CPU from labeled.csv and
the segments' columns, no GPU and no neural network. One class-weighted logistic
regression per pattern (patterns are rare and a segment may show several), over
standardised audio features and two TF-IDF views of the text: words brought to their dictionary
form by pymorphy3 ("ошибками", "ошибку" → "ошибка"; "дети" → "ребёнок"), and character n-grams
inside words, which catch what the dictionary does not know (names, slang, Whisper's misspellings).
Measured on a synthetic Russian set where each lesson uses other forms of the cue words
(tools/measure_tokenizer.py): grouped-CV micro-F1 0.783 with plain words, 0.830 with lemmas, 0.828
with snowball stems (each + characters); lemmas kept for the suppletive forms stems cannot join.

Quality is measured by cross-validation grouped by film (or by part when there are too
few films), because segments of one lesson resemble each other and would leak the answer.
"""

from __future__ import annotations

import functools
import re
import time
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from pedpatterns import fsutil, locks, schema
from pedpatterns.errors import UserError
from pedpatterns.labels.labelled import LabeledSet, duplicates_note, load_labeled_segments
from pedpatterns.layout import Layout
from pedpatterns.models import evaluation, groupsplit, trust
from pedpatterns.models.options import DEFAULT_THRESHOLD, TextOptions
from pedpatterns.words import skipped_lines

MAX_FOLDS = 5
TEXT_COLUMN = "text"
# The numeric columns the model reads: audio features and who speaks. The speaker columns are kept because
# they measurably help (bench/bench_speakers.py: «Вовлечение в диалог» F1 0.44 → 0.99 on a labelled synthetic
# set where the teacher's words do not give the dialogue away); empty (not separated) they change nothing.
MODEL_COLUMNS = (*schema.FEATURE_COLUMNS, *schema.SPEAKER_COLUMNS)
FORMAT_VERSION = 2  # 1 was a joblib pickle, never loaded now
_WORD = re.compile(r"\w", re.UNICODE)
WORD_TOKEN = re.compile(r"(?u)\b\w+\b")  # the words view's tokens


def normalise_text(text: str) -> str:
    """Lower case with ё → е, so the two spellings of one word are one token."""
    return text.lower().replace("ё", "е")


@functools.cache
def _morph() -> Any:
    """pymorphy3's analyser with its Russian dictionary: loaded once per process (0.3 s, ~30 MB)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@functools.lru_cache(maxsize=200_000)
def _lemma(word: str) -> str:
    """The dictionary form of a lower-case word (its most probable reading); other scripts stay as they are."""
    return str(_morph().parse(word)[0].normal_form).replace("ё", "е")


def lemmatise_text(text: str) -> str:
    """The text's words in their dictionary forms, so that every form of a Russian word is one token."""
    return " ".join(_lemma(word) for word in WORD_TOKEN.findall(normalise_text(text)))


@dataclass
class TextModel:
    """A fitted pipeline and what it needs to be used again: its input columns and pattern names."""

    pipeline: Pipeline
    features: list[str]
    patterns: list[str]
    info: dict[str, Any] = field(default_factory=dict)

    def predict_proba(self, segments: pd.DataFrame) -> np.ndarray:
        """Probability of every pattern (columns in ``patterns`` order) for every segment row."""
        if segments.empty:
            return np.zeros((0, len(self.patterns)))
        return np.asarray(self.pipeline.predict_proba(model_input(segments, self.features)), dtype=float)


def model_input(segments: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """The columns the model reads: numeric features (missing → NaN, imputed later) and text."""
    table = segments.reindex(columns=[*features, TEXT_COLUMN])
    table[list(features)] = table[list(features)].apply(pd.to_numeric, errors="coerce")
    table[TEXT_COLUMN] = table[TEXT_COLUMN].fillna("").astype(str)
    return table


def build_pipeline(features: Sequence[str], use_text: bool = True) -> Pipeline:
    """Features → one class-weighted logistic regression per pattern."""
    audio = Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                      ("scale", StandardScaler())])
    parts: list[tuple[str, Any, Any]] = [("audio", audio, list(features))]
    if use_text:
        parts += [
            ("words", TfidfVectorizer(preprocessor=lemmatise_text, token_pattern=WORD_TOKEN.pattern,
                                      ngram_range=(1, 2), sublinear_tf=True, max_features=20000), TEXT_COLUMN),
            ("chars", TfidfVectorizer(preprocessor=normalise_text, analyzer="char_wb", ngram_range=(3, 5),
                                      sublinear_tf=True, min_df=2, max_features=20000), TEXT_COLUMN),
        ]
    classifier = LogisticRegression(class_weight="balanced", solver="liblinear", C=1.0, max_iter=1000)
    # Always sparse: TF-IDF columns are mostly zeros, and liblinear is much faster on a sparse matrix.
    features_step = ColumnTransformer(parts, sparse_threshold=1.0)
    return Pipeline([("features", features_step), ("model", OneVsRestClassifier(classifier))])


def _has_text(texts: pd.Series, minimum: int = 2) -> bool:
    """Enough segments with words for the TF-IDF views to have a vocabulary."""
    return int(texts.map(lambda t: bool(_WORD.search(t))).sum()) >= minimum


def _fit(X: pd.DataFrame, Y: np.ndarray, features: Sequence[str]) -> Pipeline:
    pipeline = build_pipeline(features, use_text=_has_text(X[TEXT_COLUMN]))
    with warnings.catch_warnings():
        # A pattern present in every (or no) training segment gets a constant answer: expected, said elsewhere.
        warnings.filterwarnings("ignore", message=".*Label .* is present in all training examples.*")
        warnings.filterwarnings("ignore", message=".*Label not .* is present in all training examples.*")
        pipeline.fit(X, Y)
    return pipeline


def training_table(labeled: LabeledSet) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """(model input, 0/1 label matrix in ``labeled.patterns`` order, part and film of each row)."""
    frame = labeled.frame
    features = list(MODEL_COLUMNS)
    X = model_input(frame, features)
    Y = np.array([[int(p in labels) for p in labeled.patterns] for labels in frame["labels"]], dtype=int)
    film = frame["film"] if "film" in frame else frame["part"]
    origin = pd.DataFrame({"part": frame["part"].astype(str), "film": film.fillna(frame["part"]).astype(str)})
    return X, Y, origin


def choose_groups(origin: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Group rows by film when there are enough films for grouped folds, otherwise by part (models/groupsplit.py).

    Grouping by film is the honest split (teacher and class differ); it needs enough films.
    """
    by = groupsplit.unit(origin["film"], min_films=groupsplit.MIN_FILMS_FOR_FOLDS)
    return origin[by].to_numpy(), by


def cross_validate(
    X: pd.DataFrame, Y: np.ndarray, groups: np.ndarray, patterns: Sequence[str], threshold: float
) -> dict[str, Any]:
    """Grouped K-fold scores beside the frequency baseline; ``None`` scores when they would mean nothing."""
    features = [c for c in X.columns if c != TEXT_COLUMN]
    n_groups = len(set(groups))
    # Under cross-validation every segment is tested once, so all labels count as test labels.
    warnings_ = evaluation.data_warnings(np.zeros((0, Y.shape[1])), Y, patterns, n_groups)
    result: dict[str, Any] = {"n_groups": n_groups, "folds": 0, "warnings": warnings_, "evaluation": None}
    if n_groups < evaluation.MIN_GROUPS:
        return result
    folds = min(MAX_FOLDS, n_groups)
    proba = np.zeros(Y.shape, dtype=float)
    baseline = np.zeros(Y.shape, dtype=int)
    for train, test in GroupKFold(n_splits=folds).split(X, Y, groups):
        pipeline = _fit(X.iloc[train], Y[train], features)
        proba[test] = pipeline.predict_proba(X.iloc[test])
        baseline[test] = evaluation.frequency_baseline(Y[train], len(test))
    result["folds"] = folds
    result["evaluation"] = evaluation.evaluate(Y, (proba >= threshold).astype(int), baseline, patterns)
    return result


def train(labeled: LabeledSet, threshold: float = DEFAULT_THRESHOLD) -> tuple[TextModel, dict[str, Any]]:
    """Validate by grouped cross-validation, then fit on everything; return the model and its metrics."""
    started = time.perf_counter()
    X, Y, origin = training_table(labeled)
    groups, group_by = choose_groups(origin)
    metrics = cross_validate(X, Y, groups, labeled.patterns, threshold)
    features = list(MODEL_COLUMNS)
    pipeline = _fit(X, Y, features)
    metrics.update({
        "trained_at": datetime.now().isoformat(timespec="seconds"),
        "n_segments": len(X),
        "n_parts": int(origin["part"].nunique()),
        "n_films": int(origin["film"].nunique()),
        "group_by": group_by,
        "threshold": threshold,
        "patterns": list(labeled.patterns),
        "positives": {p: int(Y[:, j].sum()) for j, p in enumerate(labeled.patterns)},
        "seconds": round(time.perf_counter() - started, 2),
        "sklearn_version": sklearn.__version__,
    })
    info = {k: metrics[k] for k in ("trained_at", "n_segments", "n_parts", "n_films", "group_by", "sklearn_version")}
    info["quality"] = _quality(metrics)
    info["warnings"] = metrics["warnings"]
    return TextModel(pipeline, features, list(labeled.patterns), info), metrics


def _quality(metrics: dict[str, Any]) -> dict[str, float] | None:
    ev = metrics.get("evaluation")
    if not ev:
        return None
    return {k: ev[k] for k in ("micro_f1", "baseline_micro_f1", "macro_f1", "baseline_macro_f1")}


def format_metrics(metrics: dict[str, Any]) -> str:
    """What the terminal shows after training, in Russian: the table, or why there is none."""
    group_word = "фильмам" if metrics["group_by"] == "film" else "частям урока"
    lines = [
        f"Модель обучена на {metrics['n_segments']} размеченных сегментах "
        f"({metrics['n_parts']} частей, {metrics['n_films']} фильмов) за {metrics['seconds']:.1f} с."
    ]
    if metrics["evaluation"]:
        lines.append(
            f"Проверка: перекрёстная, {metrics['folds']} блоков по {group_word} "
            f"(сегменты одной группы не бывают одновременно в обучении и в проверке); "
            f"паттерн считается найденным при вероятности ≥ {metrics['threshold']:g}."
        )
        experts = metrics.get("experts") or {}
        lines.append(evaluation.format_table(metrics["evaluation"], experts.get("ceiling")))
        lines.append("«База» — правило, которое не смотрит на урок и всегда называет самые частые паттерны.")
        lines.append(evaluation.verdict(metrics["evaluation"], metrics["warnings"]))
    if metrics.get("experts"):
        lines.append(metrics["experts"]["note"])
    if metrics["warnings"]:
        lines.append("Внимание, данных мало:" if metrics["evaluation"] else "Качество модели не оценено:")
        lines += [f"  - {w}" for w in metrics["warnings"]]
    return "\n".join(lines)


# --- saving and loading ------------------------------------------------------------------


RETRAIN_HINT = "Обучите модель заново: python find_patterns.py --retrain"


def save(model: TextModel, path: Path) -> None:
    """The pipeline with its feature list and pattern names, in skops format, written atomically.

    skops rather than joblib: a joblib file is a pickle, and loading a pickle runs whatever
    code it names. skops rebuilds only the types it is told to trust.
    """
    import skops.io as sio

    bundle = {"format": FORMAT_VERSION, "pipeline": model.pipeline, "features": list(model.features),
              "patterns": list(model.patterns), "info": model.info}
    with fsutil.atomic_path(path) as tmp:
        sio.dump(bundle, tmp, compression=zipfile.ZIP_DEFLATED)


def load(path: Path) -> TextModel:
    """A saved model; one that cannot be read (other version, damaged) is a user error saying what to do.

    The file's types are listed before anything is built from it (:func:`trust.check_skops_file`);
    a type outside :data:`trust.TEXT_MODEL_TYPES` (and skops' own safe set) is refused as
    :class:`trust.UntrustedModel`.
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise UserError(f"Модель «{path}» не найдена. Нужна разметка: положите labeled.csv в папку проекта.")
    damaged = f"Не удалось прочитать модель «{path}»: файл повреждён или записан другой версией. {RETRAIN_HINT}"
    trust.check_skops_file(path, damaged=damaged, hint=RETRAIN_HINT)
    try:
        bundle = sio.load(path, trusted=list(trust.TEXT_MODEL_TYPES))
        return _from_bundle(bundle)
    except Exception:
        raise UserError(damaged) from None


def _from_bundle(bundle: Any) -> TextModel:
    """The model from a loaded bundle, every part of the expected type (else ValueError)."""
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT_VERSION:
        raise ValueError("not a pedpatterns text model bundle")
    pipeline, features, patterns, info = (bundle.get(k) for k in ("pipeline", "features", "patterns", "info"))
    if not isinstance(pipeline, Pipeline) or not isinstance(info, dict):
        raise ValueError("wrong bundle types")
    for names in (features, patterns):
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("wrong name lists")
    return TextModel(pipeline, list(features), list(patterns), info)


def _legacy_note(layout: Layout) -> str:
    """Why the joblib file of an older version is not used: it is a pickle."""
    return (
        f"Модель «{layout.legacy_text_model.name}» сохранена прежней версией в формате pickle (joblib): "
        "при загрузке такой файл может выполнить чужой код, поэтому он не загружается."
    )


def is_stale(model_path: Path, labels_path: Path) -> bool:
    """The model is missing or older than the labels it should have learnt from."""
    if not model_path.is_file():
        return True
    return labels_path.is_file() and labels_path.stat().st_mtime > model_path.stat().st_mtime


def ensure_model(
    layout: Layout,
    options: TextOptions = TextOptions(),  # noqa: B008 (frozen: one shared default is safe)
    *,
    known_patterns: Sequence[str] = (),
    log: Callable[[str], None] = print,
) -> TextModel | None:
    """The model to predict with: trained anew when needed, else loaded; ``None`` without any labels.

    Retrains when asked, when there is no model, when the labels are newer than it, or
    when it was trained on another labels file (``--labels``).
    Without labels and without a model there is nothing to learn from, which is not an
    error: the report then shows the lesson metrics only.
    """
    with locks.hold(layout, "text-model", "файл модели по тексту"):  # two runs must not train over each other
        return _ensure_model(layout, options.labels_path, retrain=options.retrain, min_share=options.min_share,
                             threshold=options.threshold, known_patterns=known_patterns, log=log)


def _ensure_model(
    layout: Layout,
    labels_path: Path | None,
    *,
    retrain: bool,
    min_share: float,
    threshold: float,
    known_patterns: Sequence[str],
    log: Callable[[str], None],
) -> TextModel | None:
    explicit = labels_path is not None
    labels_path = Path(labels_path) if labels_path is not None else layout.labeled_csv
    model_path = layout.text_model
    if not labels_path.is_file():
        if explicit:
            raise UserError(f"Файл разметки «{labels_path}» не найден. Проверьте путь в --labels.")
        if retrain:
            raise UserError(
                f"Переобучать не на чем: нет файла разметки «{labels_path}». "
                "Экспортируйте разметку из Label Studio (CSV) и сохраните её под этим именем."
            )
        if model_path.is_file():
            log(f"Файла разметки нет; используется обученная ранее модель «{model_path.name}».")
            return load(model_path)
        if layout.legacy_text_model.is_file():
            raise UserError(
                f"{_legacy_note(layout)} Чтобы обучить новую, положите экспорт разметки из Label Studio "
                f"в папку проекта как «{labels_path.name}» и запустите: python find_patterns.py --retrain"
            )
        return None
    labels_key = str(labels_path.resolve())
    if not retrain and not model_path.is_file() and layout.legacy_text_model.is_file():
        log(f"{_legacy_note(layout)} Модель будет обучена заново.")
    elif not retrain and not is_stale(model_path, labels_path):
        try:
            model = load(model_path)
        except trust.UntrustedModel:
            raise
        except UserError as exc:
            log(f"{exc.message} Модель будет обучена заново.")
        else:
            if model.info.get("labels") == labels_key:
                return model
    log(f"Обучение модели по разметке «{labels_path.name}»…")
    labeled = load_labeled_segments(layout, labels_path, min_share=min_share, known_patterns=known_patterns)
    for line in skipped_lines(labeled.problems):
        log(line)
    if labeled.duplicates:
        log(duplicates_note(labeled.duplicates))
    model, metrics = train(labeled, threshold)
    model.info["labels"] = metrics["labels"] = labels_key
    metrics["problems"] = labeled.problems
    metrics["experts"] = evaluation.experts_ceiling(labeled.votes, labeled.patterns)
    save(model, model_path)
    fsutil.write_json(layout.text_metrics, metrics)
    log(format_metrics(metrics))
    log(f"Модель сохранена: {model_path}\nМетрики сохранены: {layout.text_metrics}")
    return model
