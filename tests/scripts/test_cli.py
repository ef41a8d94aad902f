import io
import os
from pathlib import Path

import pytest

from pedpatterns import cli, fsutil
from pedpatterns.errors import EXIT_INTERRUPTED, UserError
from tests.support.scripts import REPO_ROOT, run_script

REPO = REPO_ROOT
SCRIPTS = ["prepare_data.py", "create_image_dataset.py", "upload_dataset.py", "find_patterns.py", "auto_classifier.py"]


def test_chooser_asks_again_after_wrong_answers() -> None:
    out = io.StringIO()
    index = cli.choose(["a.mp4", "b.mp4"], "Выберите:", "--part", stdin=io.StringIO("x\n0\n3\n2\n"), stdout=out)
    assert index == 1
    assert out.getvalue().count("Введите номер от 1 до 2") == 4
    assert "«x» — не номер из списка" in out.getvalue()


def test_chooser_end_of_input_names_the_flag() -> None:
    with pytest.raises(UserError) as err:
        cli.choose(["a", "b"], "Выберите:", "--part", stdin=io.StringIO("7\n"), stdout=io.StringIO())
    assert "--part" in err.value.message and err.value.exit_code == EXIT_INTERRUPTED


def test_pick_by_number_name_or_single_candidate(tmp_path: Path) -> None:
    files = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    assert cli.pick(files, "2", what="части", flag="--part") == files[1]
    assert cli.pick(files, "a", what="части", flag="--part") == files[0]
    assert cli.pick(files[:1], None, what="части", flag="--part") == files[0]
    with pytest.raises(UserError, match="от 1 до 2"):
        cli.pick(files, "5", what="части", flag="--part")
    with pytest.raises(UserError, match=r"a\.mp4, b\.mp4"):
        cli.pick(files, "zzz", what="части", flag="--part")


def test_confirm_reasks_and_yes_flag() -> None:
    assert cli.confirm("Удалить?", assume_yes=True)
    assert cli.confirm("Удалить?", assume_yes=False, stdin=io.StringIO("может\nда\n"))
    assert not cli.confirm("Удалить?", assume_yes=False, stdin=io.StringIO("нет\n"))
    with pytest.raises(UserError, match="--yes"):
        cli.confirm("Удалить?", assume_yes=False, stdin=io.StringIO(""))


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_is_russian_from_any_directory(script: str, tmp_path: Path) -> None:
    result = run_script(script, "--help", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Использование:" in result.stdout and "параметры" in result.stdout
    assert "по умолчанию" in result.stdout


def test_usage_error_is_russian_and_exits_2(tmp_path: Path) -> None:
    result = run_script("auto_classifier.py", "--mode", "dance", cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert "Ошибка: параметр --mode: недопустимое значение" in result.stderr and "Traceback" not in result.stderr
    assert "Подробная справка: python auto_classifier.py --help" in result.stderr


def test_missing_root_is_a_russian_message(tmp_path: Path) -> None:
    result = run_script("prepare_data.py", "--root", str(tmp_path / "нет"), timeout=120)
    assert result.returncode == 1
    assert "не найдена" in result.stderr and "Traceback" not in result.stderr


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
