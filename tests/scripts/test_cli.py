from pathlib import Path

import pytest

from tests.support.scripts import REPO_ROOT, run_script

REPO = REPO_ROOT
SCRIPTS = ["prepare_data.py", "create_image_dataset.py", "upload_dataset.py", "find_patterns.py", "auto_classifier.py"]


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
