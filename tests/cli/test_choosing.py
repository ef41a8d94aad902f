"""The questions the scripts ask (pedpatterns.cli): a wrong answer is asked again, the end of input names the flag."""

import io
from pathlib import Path

import pytest

from pedpatterns import cli
from pedpatterns.errors import EXIT_INTERRUPTED, UserError


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
