"""Faults in what the scripts read back: model files, label exports, dataset metadata, flags.

Each check runs the scripts as a user does (a separate process, ``--root``) and judges the
refusal the way the user sees it (:mod:`tests.support.scripts`): a Russian message naming the file,
a non-zero exit, no traceback, and the project left as it was.

* Model files are data, not code: a pickle that would create a marker file when unpickled is
  put where mlb.pkl, the old joblib text model and the skops text model live; a skops file
  naming a foreign type and an .h5 whose architecture names a Lambda layer are refused unread.
  Every "evil" file is first shown to really fire when loaded the unsafe way, so a marker that
  stays absent means the script did not load it.
* Everything read from disk is validated: labeled.csv and Label Studio JSON exports with NUL
  bytes, huge fields, deep nesting and wrong types; duplicate annotations counted once.
* dataset_foto/ metadata is checked before anything is staged for the Hub.
* Every flag is checked where it is parsed (exit code 2, before the project is even looked at).
"""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from pedpatterns.labelstudio.config import label_config_xml
from pedpatterns.layout import Layout
from pedpatterns.testing.synthetic import make_known_lesson, make_labelled_project
from tests.support.scripts import (
    FAST_TRAIN,
    P1,
    P2,
    REPO_ROOT,
    Result,
    assert_kept,
    assert_ok,
    assert_refused,
    copy_project,
    run_script,
    tree,
)

# --------------------------------------------------------------------------- probes


class Evil:
    """Unpickling this creates ``marker``: the proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def evil_pickle(marker: Path) -> bytes:
    data = pickle.dumps(Evil(marker))
    pickle.loads(data).close()  # the probe works: loading it the unsafe way does create the marker
    assert marker.is_file()
    marker.unlink()
    return data


class Thing:
    """A type no model file has business holding; rebuilding it from a file creates its marker."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __setstate__(self, state: dict[str, Any]) -> None:
        Path(state["marker"]).write_text("построен из файла модели", encoding="utf-8")
        self.__dict__.update(state)


def untrusted_skops(path: Path, marker: Path) -> None:
    """A skops file shaped like the text model's bundle but holding a :class:`Thing`."""
    import skops.io as sio

    sio.dump({"format": 2, "pipeline": Thing(str(marker)), "features": [], "patterns": [], "info": {}}, path)
    assert f"{Thing.__module__}.Thing" in sio.get_untrusted_types(file=path)
    sio.load(path, trusted=[f"{Thing.__module__}.Thing"])  # the probe works when the type is trusted
    assert marker.is_file()
    marker.unlink()


def files_containing(root: Path, needle: bytes) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not p.is_symlink() and needle in p.read_bytes())


# --------------------------------------------------------------------------- 1. image model files


def _predict(layout: Layout, *args: str) -> Result:
    return run_script("auto_classifier.py", "--mode", "predict", "--video", "1", *args, root=layout.root)


@pytest.mark.slow
def test_evil_mlb_pkl_is_refused_by_its_digest_never_unpickled(trained: Path, tmp_path: Path) -> None:
    layout = copy_project(trained, tmp_path)
    marker = tmp_path / "mlb-unpickled"
    assert json.loads(layout.image_classes.read_text(encoding="utf-8"))["mlb_sha256"]
    layout.mlb.write_bytes(evil_pickle(marker))
    before = tree(layout.root)
    result = _predict(layout)
    assert_refused(result, "mlb.pkl", "не подходят друг к другу", "--mode train")
    assert not marker.exists()
    assert_kept(before, layout.root)
    assert layout.auto_labeled_videos() == []


@pytest.mark.slow
def test_evil_mlb_pkl_without_recorded_digest_is_ignored_and_predict_works(trained: Path, tmp_path: Path) -> None:
    """A classes JSON with no mlb_sha256: the names come from it, mlb.pkl is never opened as a pickle."""
    layout = copy_project(trained, tmp_path)
    marker = tmp_path / "mlb-unpickled"
    record = json.loads(layout.image_classes.read_text(encoding="utf-8"))
    del record["mlb_sha256"]
    layout.image_classes.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    layout.mlb.write_bytes(evil_pickle(marker))
    result = _predict(layout, "--threads", "2")
    assert_ok(result)
    assert not marker.exists()
    [video] = layout.auto_labeled_videos()
    rows = [json.loads(line) for line in layout.auto_labeled_metadata.read_text(encoding="utf-8").splitlines()]
    assert video and len(rows) == 6
    assert all(len(r["top_3_predictions"]) == 3 for r in rows)
    assert {p["pattern"] for r in rows for p in r["top_3_predictions"]} <= set(record["classes"])


@pytest.mark.slow
def test_evil_mlb_pkl_without_classes_json_needs_explicit_trust(trained: Path, tmp_path: Path) -> None:
    layout = copy_project(trained, tmp_path)
    marker = tmp_path / "mlb-unpickled"
    layout.image_classes.unlink()
    layout.mlb.write_bytes(evil_pickle(marker))
    before = tree(layout.root)
    result = _predict(layout)
    assert_refused(result, "image_pattern_model.classes.json", "pickle", "--trust-mlb-pkl", "--mode train")
    assert not marker.exists()
    assert_kept(before, layout.root)
    assert layout.auto_labeled_videos() == []


def _with_lambda(config: dict) -> None:
    config["config"]["layers"].append({
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
        "config": {"name": "evil", "function": {"class_name": "__lambda__",
                                                 "config": {"code": "open('/tmp/x', 'w')", "defaults": None}}},
        "inbound_nodes": [],
    })


def _foreign_module(config: dict) -> None:
    dense = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")
    dense["module"] = "evil_package.layers"


def _custom_activation(config: dict) -> None:
    activation = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Activation")
    activation["config"]["activation"] = "evil_package>steal"


@pytest.mark.slow
@pytest.mark.parametrize(("edit", "shown"), [
    (_with_lambda, "Lambda"),
    (_foreign_module, "Dense из evil_package.layers"),
    (_custom_activation, "activation=evil_package>steal"),
])
def test_h5_naming_foreign_layers_is_refused_unread(edit: Any, shown: str, trained: Path, tmp_path: Path) -> None:
    import h5py

    layout = copy_project(trained, tmp_path)
    with h5py.File(layout.image_model, "a") as h5:
        raw = h5.attrs["model_config"]
        config = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        edit(config)
        h5.attrs["model_config"] = json.dumps(config)
    before = tree(layout.root)
    result = _predict(layout)
    assert_refused(result, "image_pattern_model.h5", "неизвестные слои", shown, "--mode train")
    assert_kept(before, layout.root)
    assert not layout.auto_labeled.exists() or not any(layout.auto_labeled.iterdir())


# --------------------------------------------------------------------------- 1. text model files


def _lesson_project(tmp_path: Path) -> Layout:
    """A project with one new video whose part is already processed (no Whisper needed)."""
    layout = Layout(tmp_path / "проект уроков")
    layout.ensure_top_folders()
    make_known_lesson(layout, "Урок 1")
    return layout


@pytest.mark.slow
@pytest.mark.parametrize("case", ["joblib прежней версии", "skops заменён на pickle", "чужой тип в skops"])
def test_text_model_files_are_never_executed(case: str, tmp_path: Path) -> None:
    """find_patterns.py warns that the model is not used, still writes the lesson report, runs no code."""
    layout = _lesson_project(tmp_path)
    marker = tmp_path / "model-loaded"
    if case == "joblib прежней версии":
        layout.legacy_text_model.write_bytes(evil_pickle(marker))
        says = ("text_pattern_model.joblib", "pickle", "не загружается", "--retrain")
    elif case == "skops заменён на pickle":
        layout.text_model.write_bytes(evil_pickle(marker))
        says = ("text_pattern_model.skops", "повреждён", "--retrain")
    else:
        untrusted_skops(layout.text_model, marker)
        says = ("text_pattern_model.skops", "неизвестные типы", f"{Thing.__module__}.Thing", "--retrain")
    model_bytes = {p: p.read_bytes() for p in (layout.text_model, layout.legacy_text_model) if p.is_file()}
    result = run_script("find_patterns.py", "--video", "1", root=layout.root)
    assert_ok(result)
    assert "Внимание: разметка не используется" in result.err
    for fragment in says:
        assert fragment in result.err, f"нет «{fragment}» в:\n{result.err}"
    assert not marker.exists()
    assert {p: p.read_bytes() for p in model_bytes} == model_bytes  # kept, not trained over
    assert json.loads(layout.report_json("Урок 1").read_text(encoding="utf-8"))["model"] is None


@pytest.mark.slow
def test_untrusted_text_model_is_not_retrained_over_when_labels_exist(tmp_path: Path) -> None:
    """With labeled.csv beside it, a model naming foreign types is still refused, not silently replaced."""
    layout = _lesson_project(tmp_path)
    make_labelled_project(layout, n_films=3, per_part=8)  # labels a damaged model would be retrained on
    marker = tmp_path / "model-loaded"
    untrusted_skops(layout.text_model, marker)
    # The model looks fresh (newer than the labels), so it is read rather than retrained as stale.
    labels_time = layout.labeled_csv.stat().st_mtime
    os.utime(layout.text_model, (labels_time + 60, labels_time + 60))
    model = layout.text_model.read_bytes()
    result = run_script("find_patterns.py", "--video", "1", root=layout.root)
    assert_ok(result)
    assert "неизвестные типы" in result.err and "Обучение модели" not in result.out
    assert not marker.exists()
    assert layout.text_model.read_bytes() == model


# --------------------------------------------------------------------------- 2. labels read from disk


def _csv_rows(layout: Layout) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(layout.labeled_csv.read_text(encoding="utf-8")))
    return list(reader.fieldnames or []), list(reader)


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)


def _task(url: str, **changes: Any) -> dict[str, Any]:
    """One task of Label Studio's full JSON export, with ``changes`` applied to it or its annotation."""
    result = {"from_name": "pattern", "to_name": "image", "type": "choices", "value": {"choices": [P1]}}
    annotation: dict[str, Any] = {"id": 1, "completed_by": 1, "was_cancelled": False, "result": [result]}
    task: dict[str, Any] = {"id": 1, "data": {"image": url}, "annotations": [annotation]}
    for key, value in changes.items():
        if key in ("data", "annotations"):
            task[key] = value
        elif key == "choices":
            result["value"] = {"choices": value}
        else:
            annotation[key] = value
    return task


# Damaged exports: what each is written as (labeled.csv itself, or a JSON file given in --labels) …
LABEL_FAULTS = {
    "нулевой байт в CSV": ".csv",
    "поле длиннее 131072": ".csv",
    "вложенность 100000": ".json",
    "annotations — текст": ".json",
    "result — число": ".json",
    "choices — число": ".json",
    "data — список": ".json",
    "ссылка длиннее 131072 в JSON": ".json",
    "верхний уровень — объект": ".json",
}
# … and what the refusal must say besides the file's name.
LABEL_SAYS = {
    "нулевой байт в CSV": ("нулевой байт",),
    "поле длиннее 131072": ("строка 3", "значение длиннее 131072 символов"),
    "вложенность 100000": ("слишком глубокая вложенность",),
    "annotations — текст": ("элемент 1 списка", "поле annotations: ожидался список, а записано текст"),
    "result — число": ("элемент 1 списка", "поле result: ожидался список, а записано число"),
    "choices — число": ("элемент 1 списка", "выбор паттернов", "а записано число"),
    "data — список": ("элемент 1 списка", "поле data: ожидался объект, а записано список"),
    "ссылка длиннее 131072 в JSON": ("элемент 1 списка", "значение длиннее 131072 символов"),
    "верхний уровень — объект": ("ожидался список задач", "а записан объект (словарь)"),
}


def _write_label_fault(case: str, layout: Layout) -> Path:
    columns, rows = _csv_rows(layout)
    url = rows[0]["image"]
    if LABEL_FAULTS[case] == ".csv":
        path = layout.labeled_csv
        if case == "нулевой байт в CSV":
            rows[3]["text"] = "сегмент<NUL> 3"  # Python 3.10's csv writer refuses a NUL: put it in afterwards
            _write_csv(path, columns, rows)
            path.write_text(path.read_text(encoding="utf-8").replace("<NUL>", "\x00"), encoding="utf-8")
        else:
            rows[1]["text"] = "я" * 131073
            _write_csv(path, columns, rows)
        return path
    path = layout.root / "экспорт разметки.json"
    if case == "вложенность 100000":
        path.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
        return path
    item: Any = {
        "annotations — текст": _task(url, annotations="x"),
        "result — число": _task(url, result=5),
        "choices — число": _task(url, choices=5),
        "data — список": _task(url, data=[url]),
        "ссылка длиннее 131072 в JSON": _task(url + "a" * 131073),
        "верхний уровень — объект": _task(url),
    }[case]
    data = item if case == "верхний уровень — объект" else [item]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("case", list(LABEL_FAULTS))
def test_dataset_refuses_damaged_label_exports(case: str, labelled: Path, tmp_path: Path) -> None:
    layout = copy_project(labelled, tmp_path)
    path = _write_label_fault(case, layout)
    args = [] if path == layout.labeled_csv else ["--labels", str(path)]
    before = tree(layout.root)
    result = run_script("create_image_dataset.py", "--yes", *args, root=layout.root)
    assert_refused(result, path.name, *LABEL_SAYS[case])
    assert "Экспортируйте разметку из Label Studio заново" in result.err
    assert_kept(before, layout.root)
    assert not layout.dataset_metadata("train").exists()


@pytest.mark.slow
@pytest.mark.parametrize("case", ["нулевой байт в CSV", "вложенность 100000", "result — число"])
def test_train_refuses_damaged_label_exports_before_training(case: str, labelled: Path, tmp_path: Path) -> None:
    layout = copy_project(labelled, tmp_path)
    path = _write_label_fault(case, layout)
    args = [] if path == layout.labeled_csv else ["--labels", str(path)]
    before = tree(layout.root)
    result = run_script("auto_classifier.py", "--mode", "train", *FAST_TRAIN, *args, root=layout.root)
    assert_refused(result, path.name, *LABEL_SAYS[case])
    assert "эпоха" not in result.out
    assert_kept(before, layout.root)
    assert not layout.image_model.exists() and not layout.mlb.exists()


def _metadata(layout: Layout) -> dict[str, list[dict]]:
    return {split: [json.loads(line) for line in layout.dataset_metadata(split).read_text(encoding="utf-8")
                    .splitlines()]
            for split in ("train", "test") if layout.dataset_metadata(split).is_file()}


@pytest.mark.slow
def test_every_annotation_exported_twice_counts_once(labelled: Path, tmp_path: Path) -> None:
    original = copy_project(labelled, tmp_path / "как есть")
    assert_ok(run_script("create_image_dataset.py", "--yes", root=original.root))
    doubled = copy_project(labelled, tmp_path / "дважды")
    columns, rows = _csv_rows(doubled)
    _write_csv(doubled.labeled_csv, columns, rows + rows)
    result = run_script("create_image_dataset.py", "--yes", root=doubled.root)
    assert_ok(result)
    assert f"Одинаковых аннотаций пропущено: {len(rows)} " in result.out, result.out
    assert _metadata(doubled) == _metadata(original)
    assert {r["annotators"] for split in _metadata(doubled).values() for r in split} == {1}


@pytest.mark.slow
def test_one_expert_annotating_a_task_twice_counts_once_the_later_answer(labelled: Path, tmp_path: Path) -> None:
    layout = copy_project(labelled, tmp_path)
    columns, rows = _csv_rows(layout)
    first = rows[0]
    assert first["pattern"] == P1 and first["annotator"] == "эксперт"
    later = {**first, "annotation_id": "1000", "pattern": P2}
    _write_csv(layout.labeled_csv, columns, [later, *rows])  # the later answer first in the file
    result = run_script("create_image_dataset.py", "--yes", root=layout.root)
    assert_ok(result)
    assert "Одинаковых аннотаций пропущено: 1 " in result.out, result.out
    [row] = [r for split in _metadata(layout).values() for r in split
             if r["part"] == first["part"] and r["segment"] == int(first["segment"])]
    assert row["labels"] == [P2] and row["annotators"] == 1 and row["agreement"] == 1.0


# --------------------------------------------------------------------------- 3. dataset_foto/ metadata


def _edit_first_row(layout: Layout, change: Any) -> None:
    path = layout.dataset_metadata("train")
    lines = path.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[0])
    change(row)
    lines[0] = json.dumps(row, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _set(key: str, value: Any) -> Any:
    return lambda row: row.__setitem__(key, value)


def _append(layout: Layout, data: bytes) -> None:
    path = layout.dataset_metadata("train")
    path.write_bytes(path.read_bytes() + data)


def _symlink_to_env(layout: Layout) -> None:
    (layout.dataset_split("train") / "evil.jpg").symlink_to(layout.env_file)
    _edit_first_row(layout, _set("file_name", "evil.jpg"))


METADATA_FAULTS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "../../.env": (lambda lay: _edit_first_row(lay, _set("file_name", "../../.env")),
                   ("запись 1", "«../../.env» указывает за пределы папки train/")),
    "абсолютный путь": (lambda lay: _edit_first_row(lay, _set("file_name", str(lay.env_file))),
                        ("запись 1", "указывает за пределы папки train/")),
    "ссылка на .env": (_symlink_to_env, ("запись 1", "изображения «evil.jpg» нет в папке train/")),
    "нет файла": (lambda lay: _edit_first_row(lay, _set("file_name", "нет_такого.jpg")),
                  ("запись 1", "изображения «нет_такого.jpg» нет в папке train/")),
    "нет labels": (lambda lay: _edit_first_row(lay, lambda row: row.pop("labels")), ("запись 1", "нет паттернов")),
    "пустые labels": (lambda lay: _edit_first_row(lay, _set("labels", [])), ("запись 1", "нет паттернов")),
    "labels — текст": (lambda lay: _edit_first_row(lay, _set("labels", P1)), ("запись 1", "нет паттернов")),
    "labels — числа": (lambda lay: _edit_first_row(lay, _set("labels", [1, 2])), ("запись 1", "повреждены")),
    "строка не JSON": (lambda lay: _append(lay, "{не json\n".encode()), ("повреждён (строка",)),
    "не UTF-8": (lambda lay: _append(lay, b'{"file_name": "\xff\xfe.jpg", "labels": ["x"]}\n'),
                 ("не текст в UTF-8",)),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(METADATA_FAULTS))
def test_upload_dry_run_checks_metadata_before_staging(case: str, built: Path, tmp_path: Path) -> None:
    layout = copy_project(built, tmp_path)
    layout.env_file.write_text("HF_TOKEN=hf_secret\nHF_DATASET_REPO=ivanova/uroki\n", encoding="utf-8")
    write, says = METADATA_FAULTS[case]
    write(layout)
    before = tree(layout.root)
    result = run_script("upload_dataset.py", "--dry-run", root=layout.root)
    assert_refused(result, "dataset_foto/train/metadata.jsonl", *says, "create_image_dataset.py")
    assert_kept(before, layout.root)
    assert not layout.hub_preview.exists()
    assert files_containing(layout.root, b"hf_secret") == [".env"]
    assert "hf_secret" not in result.out + result.err


@pytest.mark.slow
def test_upload_dry_run_refuses_damaged_patterns_json(built: Path, tmp_path: Path) -> None:
    layout = copy_project(built, tmp_path)
    layout.dataset_patterns.write_text('{"Паттерн": 1}', encoding="utf-8")
    before = tree(layout.root)
    result = run_script("upload_dataset.py", "--dry-run", root=layout.root)
    assert_refused(result, "dataset_foto/patterns.json", "повреждён", "create_image_dataset.py")
    assert_kept(before, layout.root)
    assert not layout.hub_preview.exists()


@pytest.mark.slow
def test_upload_dry_run_of_a_sound_dataset_stages_no_secret(built: Path, tmp_path: Path) -> None:
    """The control: the same project unedited is staged, and the token is still nowhere but .env."""
    layout = copy_project(built, tmp_path)
    layout.env_file.write_text("HF_TOKEN=hf_secret\nHF_DATASET_REPO=ivanova/uroki\n", encoding="utf-8")
    result = run_script("upload_dataset.py", "--dry-run", root=layout.root)
    assert_ok(result)
    staged = sorted(p.name for p in (layout.hub_preview / "train").iterdir())
    assert "metadata.jsonl" in staged and len(staged) > 1
    assert files_containing(layout.root, b"hf_secret") == [".env"]


# --------------------------------------------------------------------------- 4. flags


SCRIPTS = ("prepare_data.py", "create_image_dataset.py", "upload_dataset.py", "find_patterns.py",
           "auto_classifier.py")
# Flags that take no number: switches, names, paths and choices.
NOT_NUMERIC = {
    "--help", "--root", "--yes", "--all", "--force", "--film", "--part", "--patterns", "--whisper-model",
    "--language", "--asr-engine", "--labels", "--split-by", "--dry-run", "--public", "--repo", "--license",
    "--tag", "--video", "--retrain", "--mode", "--weights", "--fine-tune", "--trust-mlb-pkl",
    "--all-films", "--cluster", "--speakers", "--anonymise",
}
PROCESSING = [("--part-minutes", ("0", "0.05", "inf", "nan", "601")), ("--segment-seconds", ("0.5", "-inf")),
              ("--asr-batch-size", ("-1", "257")), ("--beam-size", ("0", "51", "2.5"))]
# The same types in the other scripts that process video: one bad value each is enough there.
PROCESSING_ONCE = [("--part-minutes", ("nan",)), ("--segment-seconds", ("0",)), ("--asr-batch-size", ("300",)),
                   ("--beam-size", ("-2",))]
NUMERIC_FLAGS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "prepare_data.py": [("--jobs", ("0", "65", "nan")), *PROCESSING],
    "create_image_dataset.py": [("--min-share", ("0", "1.5", "nan")), ("--test-share", ("1", "-0.1", "inf")),
                                ("--seed", ("-1", "2147483648", "1e3"))],
    "upload_dataset.py": [],
    "find_patterns.py": [("--min-share", ("-inf",)), ("--threshold", ("0", "1", "nan", "-0.5")),
                         ("--pause-seconds", ("0", "-1", "601", "inf")), ("--jobs", ("65",)), *PROCESSING_ONCE],
    "auto_classifier.py": [
        ("--batch-size", ("0", "4097")), ("--threshold", ("1.0", "inf")), ("--threads", ("-1", "1025")),
        ("--min-share", ("1.01",)), ("--epochs", ("0", "10001", "nan")), ("--image-size", ("31", "1025")),
        ("--alpha", ("0.3", "nan", "-1")), ("--fine-tune-epochs", ("0",)), ("--patience", ("-3",)),
        ("--test-share", ("1", "nan")), ("--seed", ("-5",)), *PROCESSING_ONCE,
    ],
}
BAD_FLAGS = [(script, flag, value) for script, flags in NUMERIC_FLAGS.items() for flag, values in flags
             for value in values]
# Text flags whose empty value must not silently mean "the default".
BAD_TEXT_FLAGS = [("upload_dataset.py", "--tag", ""), ("upload_dataset.py", "--repo", " "),
                  ("upload_dataset.py", "--license", ""), ("find_patterns.py", "--video", ""),
                  ("auto_classifier.py", "--weights", " "), ("prepare_data.py", "--patterns", ""),
                  ("create_image_dataset.py", "--labels", " "), ("prepare_data.py", "--cluster", " "),
                  ("find_patterns.py", "--cluster", "")]


def _help_flags(script: str) -> set[str]:
    done = subprocess.run([sys.executable, str(REPO_ROOT / script), "--help"], capture_output=True, text=True,
                          encoding="utf-8", timeout=60)
    assert done.returncode == 0, done.stderr
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", done.stdout))


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_numeric_flag_of_every_script_is_covered(script: str) -> None:
    numeric = _help_flags(script) - NOT_NUMERIC
    assert numeric == {flag for flag, _ in NUMERIC_FLAGS[script]}


def _run_parse_only(script: str, flag: str, value: str, tmp_path: Path) -> Result:
    """The script on a project folder that does not exist: only a refusal at parse time gives exit code 2."""
    extra = ["--mode", "predict"] if script == "auto_classifier.py" else []
    return run_script(script, *extra, f"{flag}={value}", root=tmp_path / "нет такой папки", timeout=60)


@pytest.mark.parametrize(("script", "flag", "value"), BAD_FLAGS + BAD_TEXT_FLAGS)
def test_bad_flag_value_is_refused_where_it_is_parsed(script: str, flag: str, value: str, tmp_path: Path) -> None:
    result = _run_parse_only(script, flag, value, tmp_path)
    assert_refused(result, f"параметр {flag}:", code=2)
    assert "не найдена" not in result.err  # refused before the (missing) project was looked at
    if value.strip():
        assert value in result.err  # the message repeats what was typed


@pytest.mark.slow
@pytest.mark.parametrize(("script", "flag", "value"), [
    ("find_patterns.py", "--threshold", "0,5"), ("auto_classifier.py", "--alpha", "0.35"),
    ("create_image_dataset.py", "--test-share", "0"), ("prepare_data.py", "--asr-batch-size", "0"),
])
def test_good_flag_value_passes_the_parser(script: str, flag: str, value: str, tmp_path: Path) -> None:
    """The control: a valid value gets past parsing and meets the missing project folder instead."""
    result = _run_parse_only(script, flag, value, tmp_path)
    assert_refused(result, "нет такой папки", "не найдена", code=1)


# --------------------------------------------------------------------------- 4. --patterns


@pytest.mark.parametrize(("content", "says"), [
    (None, ("папка", "--patterns")),
    (f"{P1}\nВопрос\x07 учителя\n", ("невидимый служебный символ U+0007",)),
    (f'{P1}\nВопрос <b>&"учителя"\n', ("знак «<»",)),
    (f'{P1}\nИтог -> домашнее задание\n', ("знак «>»",)),
    (f"{P1}\n$segment\n", ("начинается с «$»",)),
    (f"{P1}\nВопрос\u2028учителя\n", ("U+2028",)),
])
def test_prepare_refuses_bad_pattern_lists(content: str | None, says: tuple[str, ...], tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    layout.ensure_top_folders()
    patterns_file = tmp_path / "мои паттерны.txt"
    if content is None:
        patterns_file.mkdir()
    else:
        patterns_file.write_text(content, encoding="utf-8")
    before = tree(layout.root)
    result = run_script("prepare_data.py", "--yes", "--patterns", str(patterns_file), root=layout.root)
    assert_refused(result, "мои паттерны.txt", *says)
    assert "нет видео" not in result.err  # refused before the films were looked at
    assert_kept(before, layout.root)


# Markup-like but allowed: "&" and quotes are escaped in the XML config, "$" counts only at the start.
ODD_BUT_FINE = ['Вопрос &"учителя"', "Ответ 'ученика' & класса", "Приём «Мозговой штурм» — 100 % & ещё $x",
                "Паттерн 😀 &amp; &#60; ]]"]


def test_prepare_accepts_xml_special_names_and_the_config_reads_them_back(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    layout.ensure_top_folders()
    patterns_file = tmp_path / "мои паттерны.json"
    patterns_file.write_text(json.dumps(ODD_BUT_FINE, ensure_ascii=False), encoding="utf-8")
    result = run_script("prepare_data.py", "--yes", "--patterns", str(patterns_file), root=layout.root)
    assert_refused(result, "нет видео")  # the list passed; the empty films/ is what stops it
    assert "паттерн" not in result.err.lower()

    root = ElementTree.fromstring(label_config_xml(ODD_BUT_FINE))
    values = [choice.get("value") for choice in root.iter("Choice")]
    assert values == ODD_BUT_FINE
