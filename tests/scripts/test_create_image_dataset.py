"""create_image_dataset.py as a process: builds, replaces only when asked, refuses in Russian."""

from __future__ import annotations

from pathlib import Path

import pytest

from pedpatterns.layout import Layout
from tests.support.datasets import build_project, offline_env, read_split, snapshot
from tests.support.scripts import run_script


@pytest.fixture
def project(tmp_path: Path) -> Layout:
    return build_project(tmp_path / "мой проект")


@pytest.mark.slow
def test_script_builds_replaces_with_yes_and_refuses_without_answer(project: Layout, tmp_path: Path) -> None:
    env = offline_env(tmp_path)
    done = run_script("create_image_dataset.py", "--root", str(project.root), env=env)
    assert done.returncode == 0, done.stderr
    assert "Изображений: train —" in done.stdout and project.dataset_metadata("train").is_file()
    before = snapshot(project.dataset_foto)

    asked = run_script("create_image_dataset.py", "--root", str(project.root), "--seed", "5", env=env)
    assert asked.returncode == 130 and "--yes" in asked.stderr and "Traceback" not in asked.stderr
    assert snapshot(project.dataset_foto) == before

    declined = run_script("create_image_dataset.py", "--root", str(project.root), env=env, stdin="нет\n")
    assert declined.returncode == 0 and "Ничего не изменено" in declined.stdout

    replaced = run_script("create_image_dataset.py", "--root", str(project.root), "--yes", "--test-share", "0",
                          env=env)
    assert replaced.returncode == 0, replaced.stderr
    assert not project.dataset_split("test").exists() and len(read_split(project, "train")) == 16


@pytest.mark.slow
def test_script_errors_are_russian_without_traceback(project: Layout, tmp_path: Path) -> None:
    env = offline_env(tmp_path)
    missing = run_script("create_image_dataset.py", "--root", str(project.root), "--labels", "нет.csv", env=env)
    assert missing.returncode == 1 and "не найден" in missing.stderr and "Traceback" not in missing.stderr
    bad_share = run_script("create_image_dataset.py", "--root", str(project.root), "--test-share", "1.5", env=env)
    assert bad_share.returncode == 2 and "--test-share" in bad_share.stderr  # refused where flags are parsed
    assert not project.dataset_metadata("train").exists()
