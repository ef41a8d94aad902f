"""The Label Studio round trip against a real server (Label Studio 1.23.2 from .venv-labelstudio).

tasks.json as prepare_data.py writes it → a project with the generated config → every
image and clip served, Cyrillic and spaces included → two annotators through the API →
the server's own exports → the reader gets back every label posted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pedpatterns import patterns
from pedpatterns.errors import UserError
from pedpatterns.labels.exports import read_export
from pedpatterns.labels.labelled import load_labeled_segments, url_to_path
from pedpatterns.labelstudio.client import LabelStudioClient
from pedpatterns.labelstudio.project import export_labels, setup_project
from tests.support.scripts import REPO_ROOT

if TYPE_CHECKING:
    from tests.support.labelstudio_server import LSServer

pytest_plugins = ["tests.support.labelstudio_server"]  # the session's Label Studio server (fixture ``ls_server``)
pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]

P = patterns.default_patterns()
TEXTS = ["Look at the board, please. What is this?", "Well done! And you?", "Homework for Monday.", "Silence."]


def _tasks_of(client: LabelStudioClient, project_id: int, part: str) -> list[dict]:
    tasks = [t for t in client.tasks(project_id) if t["data"]["part"] == part]
    return sorted(tasks, key=lambda t: t["data"]["segment"])


def test_round_trip_two_annotators_and_every_export(ls_server: LSServer, tmp_path: Path) -> None:
    layout = ls_server.layout
    part, rows = ls_server.make_part(4, text_of=lambda i: TEXTS[i])
    client = ls_server.client()
    title = ls_server.unique("Круговой тест")

    report = setup_project(client, layout, title)
    assert report.created and report.storage_added and report.imported >= 4
    project = client.project(report.project_id)
    assert project["label_config"].strip() == layout.label_config(part).read_text(encoding="utf-8").strip()

    tasks = _tasks_of(client, report.project_id, part)
    assert [t["data"]["segment"] for t in tasks] == [0, 1, 2, 3]
    for task, row in zip(tasks, rows, strict=True):
        for key, name in (("image", row["keyframe"]), ("audio", row["audio"])):
            response = client.get_bytes(task["data"][key])
            assert response.status_code == 200, (key, task["data"][key])
            assert response.content == (layout.part_dir(part) / name).read_bytes()
        assert task["data"]["text"] == row["text"]

    # A second expert, created through the API; annotations are posted on their behalf.
    admin_id = client.whoami()["id"]
    expert = client.create_user(f"{ls_server.unique('expert').replace(' ', '')}@example.org", "Мария", "Петрова")
    t0, t1, t2, _t3 = (t["id"] for t in tasks)
    client.annotate(t0, [P[0], P[2]])                          # both: two patterns
    client.annotate(t0, [P[2], P[0]], completed_by=expert["id"])
    client.annotate(t1, [P[1]])                                # they disagree
    client.annotate(t1, [P[3]], completed_by=expert["id"])
    client.annotate(t2, [], was_cancelled=True)                # the first expert skips
    client.annotate(t2, [P[9]], completed_by=expert["id"])
    posted = {  # what must come back: (segment, annotator id) → choices; skipped ones never do
        (0, str(admin_id)): {P[0], P[2]}, (0, str(expert["id"])): {P[0], P[2]},
        (1, str(admin_id)): {P[1]}, (1, str(expert["id"])): {P[3]},
        (2, str(expert["id"])): {P[9]},
    }

    csv_path, count = export_labels(client, layout, report.project_id, tmp_path / "labeled.csv")
    assert count == len(posted)
    exports = {"csv": csv_path}
    for name, kind, all_tasks in (("all.csv", "CSV", True), ("full.json", "JSON", True),
                                  ("min.json", "JSON_MIN", True), ("tabs.tsv", "TSV", False)):
        exports[name] = tmp_path / name
        exports[name].write_bytes(client.export(report.project_id, kind, all_tasks=all_tasks))

    expected = {0: ([P[0], P[2]], 2, 1.0), 1: ([P[1], P[3]], 2, 0.5), 2: ([P[9]], 1, 1.0)}
    for name, path in exports.items():
        got = {}
        for ann in read_export(path):
            if ann.is_answer:
                owner = layout.keyframe_owner(url_to_path(layout, ann.image_url))
                assert owner is not None and owner[0] == part, name
                got[(owner[1], ann.annotator)] = set(ann.choices)
        assert got == posted, name
        frame = load_labeled_segments(layout, path, known_patterns=P).frame.set_index("segment")
        assert set(frame.index) == set(expected), name
        for segment, (chosen, annotators, agreement) in expected.items():
            assert frame.loc[segment, "labels"] == chosen, (name, segment)
            assert frame.loc[segment, "annotators"] == annotators, (name, segment)
            assert frame.loc[segment, "agreement"] == pytest.approx(agreement), (name, segment)
            assert frame.loc[segment, "text"] == TEXTS[segment]
            assert Path(frame.loc[segment, "keyframe"]) == layout.keyframe(part, segment)

    # A stricter rule: with two annotators, a pattern needs both.
    strict = load_labeled_segments(layout, csv_path, min_share=1.0).frame.set_index("segment")
    assert list(strict.index) == [0, 2] and strict.loc[0, "labels"] == [P[0], P[2]]

    # Running setup again imports nothing twice and connects no second storage.
    again = setup_project(client, layout, title)
    assert not again.created and not again.storage_added and again.imported == 0


def test_personal_access_token_works_like_a_legacy_token(ls_server: LSServer) -> None:
    pat = ls_server.client().create_personal_access_token()
    client = LabelStudioClient(ls_server.url, pat)
    assert client._auth_header().startswith("Bearer ")
    project = client.create_project(ls_server.unique("PAT"), "<View><Text name='t' value='$t'/></View>")
    assert client.project(project["id"])["title"] == project["title"]
    client.revoke_personal_access_token(pat)  # a user holds one valid token at a time: leave room for other tests


def test_wrong_token_is_a_russian_message_and_nothing_is_written(ls_server: LSServer, tmp_path: Path) -> None:
    for token in ("0" * 40, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"):
        client = LabelStudioClient(ls_server.url, token)
        with pytest.raises(UserError, match="не принял токен"):
            export_labels(client, ls_server.layout, 1, tmp_path / "labeled.csv")
    assert list(tmp_path.iterdir()) == []


def test_empty_project_export_is_refused(ls_server: LSServer, tmp_path: Path) -> None:
    client = ls_server.client()
    project = client.create_project(ls_server.unique("Пустой"), "<View><Text name='t' value='$t'/></View>")
    target = tmp_path / "labeled.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(UserError, match="нет ни одной разметки"):
        export_labels(client, ls_server.layout, project["id"], target)
    assert target.read_text(encoding="utf-8") == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["labeled.csv"]


def test_command_line_setup_and_export(ls_server: LSServer, tmp_path: Path) -> None:
    layout = ls_server.layout
    part, _ = ls_server.make_part(2)
    title = ls_server.unique("Командная строка")
    env = {**os.environ, "LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.token}
    command = [sys.executable, "-m", "pedpatterns.labelstudio"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*command, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              encoding="utf-8", timeout=300)

    result = run("setup", "--root", str(layout.root), "--project-title", title)
    assert result.returncode == 0, result.stderr
    assert "создан" in result.stdout
    client = ls_server.client()
    project_id = client.find_project(title)["id"]
    output = tmp_path / "разметка.csv"
    result = run("export", "--root", str(layout.root), "--project-title", title, "--output", str(output))
    assert result.returncode == 1 and "нет ни одной разметки" in result.stderr and not output.exists()
    task = _tasks_of(client, project_id, part)[0]
    client.annotate(task["id"], [P[4]])
    result = run("export", "--root", str(layout.root), "--project-title", title, "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert load_labeled_segments(layout, output).frame["labels"].tolist() == [[P[4]]]
    result = run("export", "--root", str(layout.root), "--project-title", "Нет такого проекта")
    assert result.returncode == 1 and "Нет такого проекта" in result.stderr and "Traceback" not in result.stderr
