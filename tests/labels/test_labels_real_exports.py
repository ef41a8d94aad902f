"""The reader on exports that Label Studio 1.23.2 really produced (tests/data/labelstudio-1.23.2/).

They were made by the same round trip as tests/labelstudio/test_labelstudio_server.py (two experts:
segment 0 both chose patterns 1 and 3, segment 1 they disagree, segment 2 the first expert
skipped, segment 3 not annotated), so the reader is checked on the real format even where
Label Studio is not installed. Also: what Excel makes of such a file, and the bad inputs.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from pedpatterns.errors import UserError
from pedpatterns.labels.exports import read_export
from pedpatterns.labels.labelled import load_labeled_segments, url_to_path
from pedpatterns.labelstudio.client import LabelStudioClient
from pedpatterns.labelstudio.project import (
    DEFAULT_URL,
    TOKEN_VAR,
    URL_VAR,
    connection_settings,
    export_labels,
    setup_project,
)
from pedpatterns.labelstudio.server import free_port
from pedpatterns.layout import Layout
from pedpatterns.patterns import default_patterns
from pedpatterns.testing.synthetic import make_processed_part

DATA = Path(__file__).resolve().parents[1] / "data" / "labelstudio-1.23.2"
PART = "Урок английского 5 класс_part001"
P = default_patterns()
EXPECTED = {0: ([P[0], P[2]], 2, 1.0), 1: ([P[1], P[3]], 2, 0.5), 2: ([P[9]], 1, 1.0)}
ANSWERS = {(0, "1"): (P[0], P[2]), (0, "2"): (P[0], P[2]), (1, "1"): (P[1],), (1, "2"): (P[3],), (2, "2"): (P[9],)}


@pytest.fixture
def project(tmp_path: Path) -> Layout:
    root = tmp_path / "Проект с пробелом"
    root.mkdir()
    layout = Layout(root)
    make_processed_part(layout, PART, 4)
    return layout


def _check(layout: Layout, path: Path) -> None:
    got = {}
    for ann in read_export(path):
        if ann.is_answer:
            got[(layout.keyframe_owner(url_to_path(layout, ann.image_url))[1], ann.annotator)] = ann.choices
    assert {k: set(v) for k, v in got.items()} == {k: set(v) for k, v in ANSWERS.items()}
    frame = load_labeled_segments(layout, path, known_patterns=P).frame.set_index("segment")
    assert sorted(frame.index) == sorted(EXPECTED)
    for segment, (chosen, annotators, agreement) in EXPECTED.items():
        assert frame.loc[segment, "labels"] == chosen
        assert frame.loc[segment, "annotators"] == annotators
        assert frame.loc[segment, "agreement"] == pytest.approx(agreement)
        assert frame.loc[segment, "part"] == PART and frame.loc[segment, "text"] == f"segment {segment}"


@pytest.mark.parametrize("name", ["export.csv", "export-all-tasks.csv", "export.tsv", "export-all-tasks.json",
                                  "export-min-all-tasks.json"])
def test_real_exports(project: Layout, name: str) -> None:
    _check(project, DATA / name)


def test_real_csv_shape() -> None:
    """What the reader relies on, as Label Studio wrote it."""
    with (DATA / "export-all-tasks.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == sorted(rows[0])
    assert {"annotation_id", "annotator", "id", "image", "audio", "text", "pattern"} <= set(rows[0])
    assert rows[0]["pattern"].startswith('{"choices":')
    assert {r["annotator"] for r in rows} == {"1", "2", ""}  # user ids; "" is the unannotated task
    assert len(rows) == 6  # 5 answers + 1 unannotated task; the skipped annotation is not exported


@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "cp1251"), (";", "utf-8-sig"), ("\t", "utf-16")])
def test_real_csv_resaved_by_excel(project: Layout, tmp_path: Path, delimiter: str, encoding: str) -> None:
    with (DATA / "export.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([*rows, []])
    path = tmp_path / "labeled.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    _check(project, path)


def test_empty_exports_are_a_message(project: Layout, tmp_path: Path) -> None:
    header_only = tmp_path / "header.csv"  # what Label Studio exports from a project without annotations
    header_only.write_text('"annotation_id","annotator","created_at","lead_time","updated_at"\n', encoding="utf-8")
    with pytest.raises(UserError, match="нет ни одной разметки"):
        load_labeled_segments(project, header_only)
    unannotated = tmp_path / "unannotated.csv"
    lines = (DATA / "export-all-tasks.csv").read_text(encoding="utf-8").splitlines()
    unannotated.write_text("\n".join([lines[0], *(ln for ln in lines[1:] if ln.startswith('""'))]), encoding="utf-8")
    with pytest.raises(UserError, match="нет ни одной разметки"):
        load_labeled_segments(project, unannotated)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(UserError, match="пуст"):
        load_labeled_segments(project, empty)


def test_server_down_is_a_message_and_nothing_is_written(project: Layout, tmp_path: Path) -> None:
    client = LabelStudioClient(f"http://127.0.0.1:{free_port()}", "0" * 40)
    with pytest.raises(UserError, match="не отвечает"):
        export_labels(client, project, 1, tmp_path / "labeled.csv")
    with pytest.raises(UserError, match="не отвечает"):
        setup_project(client, _with_tasks(project), "x")
    assert not (tmp_path / "labeled.csv").exists()


def _with_tasks(layout: Layout) -> Layout:
    from pedpatterns.labelstudio.config import label_config_xml
    from pedpatterns.labelstudio.tasks import segment_tasks, update_tasks_file

    layout.label_config(PART).write_text(label_config_xml(P), encoding="utf-8")
    rows = list(csv.DictReader(layout.segments_csv(PART).open(encoding="utf-8")))
    update_tasks_file(layout, PART, segment_tasks(layout, rows))
    return layout


def test_missing_token_url_and_settings_from_env_file(project: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(URL_VAR, raising=False)
    monkeypatch.delenv(TOKEN_VAR, raising=False)
    assert connection_settings(project, None, None) == (DEFAULT_URL, "")
    with pytest.raises(UserError, match="токен"):
        LabelStudioClient(DEFAULT_URL, "")
    project.env_file.write_text("LABEL_STUDIO_URL=http://127.0.0.1:9999\nLABEL_STUDIO_API_KEY=abc\n", encoding="utf-8")
    assert connection_settings(project, None, None) == ("http://127.0.0.1:9999", "abc")
    assert connection_settings(project, "http://x:1", "t") == ("http://x:1", "t")


def test_setup_needs_processed_parts_and_tasks(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    client = LabelStudioClient(f"http://127.0.0.1:{free_port()}", "0" * 40)
    with pytest.raises(UserError, match=r"prepare_data\.py"):
        setup_project(client, layout, "x")
