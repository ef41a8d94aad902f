"""upload_dataset.py as a process: the dry run, what is missing, a network failure — offline, the token never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from pedpatterns import patterns
from pedpatterns.dataset import build, hub
from pedpatterns.layout import TMP_PREFIX, Layout
from tests.support.datasets import (
    FAKE_TOKEN,
    REPO,
    build_project,
    closed_port,
    front_matter,
    labeled,
    offline_env,
    project_with_dataset,
    snapshot,
)
from tests.support.scripts import run_script


@pytest.fixture
def built(tmp_path: Path) -> Layout:
    return project_with_dataset(tmp_path)


@pytest.mark.slow
def test_dry_run_stages_card_and_contacts_nothing(built: Layout, tmp_path: Path) -> None:
    env = offline_env(tmp_path)
    done = run_script("upload_dataset.py", "--root", str(built.root), "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    assert hub.PLACEHOLDER_REPO in done.stdout and str(built.hub_preview) in done.stdout
    assert "добавить 19 файлов" in done.stdout
    assert (built.hub_preview / "README.md").is_file() and (built.hub_preview / "test" / "metadata.jsonl").is_file()
    assert front_matter((built.hub_preview / "README.md").read_text(encoding="utf-8"))["license"] == "cc-by-nc-4.0"
    again = run_script("upload_dataset.py", "--root", str(built.root), "--dry-run", "--repo", REPO,
                       "--license", "cc-by-4.0", "--public", env=env)
    assert again.returncode == 0 and "ОТКРЫТЫЙ" in again.stdout
    assert REPO in (built.hub_preview / "README.md").read_text(encoding="utf-8")
    assert not [p for p in built.root.iterdir() if p.name.startswith(TMP_PREFIX)]


@pytest.mark.slow
def test_missing_dataset_token_or_repo_are_explained(tmp_path: Path) -> None:
    env = offline_env(tmp_path)
    empty = build_project(tmp_path / "пустой")
    no_data = run_script("upload_dataset.py", "--root", str(empty.root), "--yes", env=env)
    assert no_data.returncode == 1 and "python create_image_dataset.py" in no_data.stderr
    assert "Traceback" not in no_data.stderr

    build.build_dataset(empty, labeled(empty), patterns.default_patterns())
    no_env = run_script("upload_dataset.py", "--root", str(empty.root), "--yes", "--repo", REPO, env=env)
    assert no_env.returncode == 1 and ".env" in no_env.stderr and "Access Tokens" in no_env.stderr
    assert "write" in no_env.stderr and "Traceback" not in no_env.stderr

    empty.env_file.write_text(f"HF_TOKEN={FAKE_TOKEN}\n", encoding="utf-8")
    no_repo = run_script("upload_dataset.py", "--root", str(empty.root), "--yes", env=env)
    assert no_repo.returncode == 1 and "HF_DATASET_REPO" in no_repo.stderr
    assert FAKE_TOKEN not in no_repo.stdout + no_repo.stderr


@pytest.mark.slow
def test_upload_network_failure_exit_code_and_token_never_printed(built: Layout, tmp_path: Path) -> None:
    built.env_file.write_text(f"HF_TOKEN={FAKE_TOKEN}\nHF_DATASET_REPO={REPO}\n", encoding="utf-8")
    env = offline_env(tmp_path)
    del env["HF_HUB_OFFLINE"], env["HF_DATASETS_OFFLINE"]  # this run must really try to connect …
    env["HF_ENDPOINT"] = f"http://127.0.0.1:{closed_port()}"  # … to a port where nothing listens
    before = snapshot(built.dataset_foto)

    declined = run_script("upload_dataset.py", "--root", str(built.root), env=env, stdin="нет\n")
    assert declined.returncode == 0 and f"Загрузить 16 изображений в {REPO} (приватный)?" in declined.stdout
    assert "Ничего не загружено" in declined.stdout

    failed = run_script("upload_dataset.py", "--root", str(built.root), "--yes", env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Не удалось связаться с Hugging Face Hub" in failed.stderr and "не изменились" in failed.stderr
    assert "Traceback" not in failed.stderr

    dry = run_script("upload_dataset.py", "--root", str(built.root), "--dry-run", env=env)
    assert dry.returncode == 0
    outputs = [r.stdout + r.stderr for r in (declined, failed, dry)]
    assert all(FAKE_TOKEN not in text for text in outputs)
    for path in built.root.rglob("*"):
        if path.is_file() and path != built.env_file:
            assert FAKE_TOKEN.encode() not in path.read_bytes(), path
    assert snapshot(built.dataset_foto) == before
    assert not [p for p in built.root.iterdir() if p.name.startswith(TMP_PREFIX)]
