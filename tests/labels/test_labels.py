import json
from pathlib import Path

import pytest

from pedpatterns.errors import UserError
from pedpatterns.labels.exports import parse_choices, read_export
from pedpatterns.labels.labelled import load_labeled_segments, merge_annotations, url_to_path
from pedpatterns.layout import Layout
from pedpatterns.testing.synthetic import make_processed_part, write_ls_csv

P1, P2 = "Паттерн 1: Удержание внимания", "Паттерн 2: Обратная связь"


@pytest.fixture
def project(tmp_path: Path) -> Layout:
    root = tmp_path / "проект с пробелом"
    root.mkdir()
    lay = Layout(root)
    make_processed_part(lay, "Урок 1_part001", 4)
    return lay


@pytest.mark.parametrize(("cell", "expected"), [
    ("Паттерн 1", ("Паттерн 1",)),
    ('{"choices": ["a", "b"]}', ("a", "b")),
    ("", ()),
    (float("nan"), ()),
    ({"choices": ["x"]}, ("x",)),
])
def test_parse_choices(cell, expected) -> None:
    assert parse_choices(cell) == expected


def test_merge_majority_and_agreement() -> None:
    assert merge_annotations([["a", "b"]]) == (["a", "b"], 1.0)
    chosen, agreement = merge_annotations([["a"], ["b"]])
    assert chosen == ["a", "b"] and agreement == 0.5
    chosen, agreement = merge_annotations([["a"], ["a"], ["b"]])
    assert chosen == ["a"] and agreement == pytest.approx(2 / 3)
    assert merge_annotations([["a"], ["b"]], min_share=0.75)[0] == []


def test_reads_ls_csv_merges_and_joins_segments(project: Layout) -> None:
    part = "Урок 1_part001"
    csv_path = write_ls_csv(project, project.labeled_csv, [
        (part, 0, [P1, P2], "a@x"), (part, 0, [P1], "b@x"),
        (part, 1, [P2], "a@x"),
        (part, 2, [], "a@x"),
    ])
    result = load_labeled_segments(project, csv_path, known_patterns=[P1, P2])
    frame = result.frame.set_index("segment")
    assert list(frame.index) == [0, 1]
    assert frame.loc[0, "labels"] == [P1, P2] and frame.loc[0, "annotators"] == 2
    assert frame.loc[0, "agreement"] == pytest.approx(0.75)
    assert frame.loc[1, "labels"] == [P2] and frame.loc[1, "text"] == "segment 1"
    assert Path(frame.loc[1, "keyframe"]).is_file()
    assert result.patterns == [P1, P2]


def test_excel_csv_semicolon_cp1251(project: Layout) -> None:
    path = write_ls_csv(project, project.root / "excel.csv", [("Урок 1_part001", 3, [P1], "a")],
                        delimiter=";", encoding="cp1251")
    assert load_labeled_segments(project, path).frame["labels"].tolist() == [[P1]]


def test_urls_outside_the_project_are_refused(project: Layout) -> None:
    for url in ["/data/local-files/?d=../secret.jpg", "/data/local-files/?d=/etc/passwd",
                "http://evil.example/data/local-files/?d=processed_data/x.jpg", "file:///etc/passwd"]:
        with pytest.raises(UserError):
            url_to_path(project, url)
    encoded = "%D0%A3%D1%80%D0%BE%D0%BA%201_part001"
    ok = url_to_path(project, f"/data/local-files/?d=processed_data/{encoded}/segment_000_keyframe.jpg")
    assert ok == project.keyframe("Урок 1_part001", 0)


def test_missing_files_are_reported_and_nothing_usable_is_an_error(project: Layout) -> None:
    part = "Урок 1_part001"
    path = write_ls_csv(project, project.labeled_csv, [(part, 0, [P1], "a"), (part, 1, [P2], "a")])
    project.keyframe(part, 1).unlink()
    result = load_labeled_segments(project, path)
    assert len(result.frame) == 1 and any("не найден" in p for p in result.problems)
    project.keyframe(part, 0).unlink()
    with pytest.raises(UserError, match="нет ни одного"):
        load_labeled_segments(project, path)


def test_csv_without_choices_column_names_found_columns(project: Layout) -> None:
    path = project.root / "bad.csv"
    path.write_text("image,foo\nx,y\n", encoding="utf-8")
    with pytest.raises(UserError, match="Найдены колонки: image, foo"):
        read_export(path)


def test_json_and_json_min_exports(project: Layout) -> None:
    url = "/data/local-files/?d=processed_data/Урок 1_part001/segment_002_keyframe.jpg"
    full = [{"id": 1, "data": {"image": url}, "annotations": [
        {"id": 5, "completed_by": 1, "was_cancelled": False,
         "result": [{"from_name": "pattern", "to_name": "image", "type": "choices", "value": {"choices": [P1, P2]}}]},
        {"id": 6, "completed_by": 2, "was_cancelled": True, "result": []},
    ]}]
    (project.root / "full.json").write_text(json.dumps(full, ensure_ascii=False), encoding="utf-8")
    result = load_labeled_segments(project, project.root / "full.json")
    assert result.frame["labels"].tolist() == [[P1, P2]] and result.frame["annotators"].tolist() == [1]
    mini = [{"image": url, "pattern": {"choices": [P2]}, "annotator": "a", "annotation_id": 1}]
    (project.root / "min.json").write_text(json.dumps(mini, ensure_ascii=False), encoding="utf-8")
    assert load_labeled_segments(project, project.root / "min.json").frame["labels"].tolist() == [[P2]]


def test_labels_made_before_a_forced_recut_are_not_joined_with_the_new_frames(project: Layout) -> None:
    """The experts saw the old frames: a changed keyframe is reported, an unchanged one still counts."""
    import os
    import shutil

    part = "Урок 1_part001"
    csv_path = write_ls_csv(project, project.labeled_csv, [(part, 0, [P1], "a@x"), (part, 1, [P2], "a@x")])
    aside = project.replaced_dir("2026-11-25_10-00-00")
    aside.mkdir(parents=True)
    shutil.copytree(project.part_dir(part), aside / part)  # what --force set aside
    project.keyframe(part, 0).write_bytes(project.keyframe(part, 0).read_bytes() + b"new cut")
    os.utime(csv_path, (1, 1))  # exported long before the re-cut
    result = load_labeled_segments(project, csv_path, known_patterns=[P1, P2])
    assert list(result.frame["segment"]) == [1]
    [problem] = [p for p in result.problems if "сегмент 0" in p]
    assert "_replaced_2026-11-25_10-00-00" in problem and "выгрузите labeled.csv заново" in problem

    os.utime(csv_path)  # a fresh export, made on the new version: every answer counts again
    assert list(load_labeled_segments(project, csv_path, known_patterns=[P1, P2]).frame["segment"]) == [0, 1]



# --- tasks.json at the reading edge (issue «Trust, second round») -----------------------------

_TASK = '{"data": {"part": "Урок_part001", "segment": 0, "image": "x"}}'
BAD_TASKS = {
    "обрезан": "[" + _TASK[:30],
    "не JSON": "задачи",
    "объект": _TASK,
    "не объекты": "[1, \"две\", null]",
    "без data": '[{"id": 1}]',
    "data строкой": '[{"data": "x"}]',
    "BOM и мусор": "\ufeff[" + _TASK + ",",
    "вложенность": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("case", BAD_TASKS)
def test_a_damaged_tasks_json_is_named(tmp_path: Path, case: str) -> None:
    from pedpatterns.labelstudio.tasks import read_tasks

    path = tmp_path / "tasks.json"
    path.write_text(BAD_TASKS[case], encoding="utf-8")
    with pytest.raises(UserError) as error:
        read_tasks(path)
    assert str(path) in error.value.message and "prepare_data.py" in error.value.message


@pytest.mark.parametrize(("text", "count"), [("", 0), ("  \n", 0), ("\ufeff[" + _TASK + "]", 1), ("[]", 0)])
def test_an_empty_or_bom_tasks_json_is_read(tmp_path: Path, text: str, count: int) -> None:
    from pedpatterns.labelstudio.tasks import read_tasks

    path = tmp_path / "tasks.json"
    path.write_text(text, encoding="utf-8")
    assert len(read_tasks(path)) == count
