"""pedpatterns.fsutil: a write is whole or not at all, and a folder that cannot be made is a Russian message."""

import os
from pathlib import Path

import pytest

from pedpatterns import fsutil
from pedpatterns.errors import UserError


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    fsutil.write_json(target, {"v": 1})
    with pytest.raises(RuntimeError), fsutil.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert target.read_text(encoding="utf-8").strip().endswith("}")
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_folder_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "папка с пробелом"
    for version in ("1", "2"):
        with fsutil.atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / f"v{version}").write_text(version)
    assert [p.name for p in target.iterdir()] == ["v2"]
    assert [p.name for p in tmp_path.iterdir()] == ["папка с пробелом"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_a_russian_message(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(UserError, match="Нет права записи"):
        fsutil.ensure_dir(ro / "sub")


def test_unwritable_output_folder_is_a_russian_message_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "dataset_foto"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(UserError, match="dataset_foto") as err:
        fsutil.ensure_dir(blocker / "train")
    assert "Не удалось создать папку" in err.value.message
