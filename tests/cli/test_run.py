"""``cli.run``: how a script's end becomes a message and an exit code."""

from __future__ import annotations

import ctypes

from pedpatterns import cli
from pedpatterns.errors import EXIT_INTERRUPTED


def test_a_ctrl_c_the_interpreter_drops_inside_a_c_callback_still_ends_the_run_as_interrupted(capsys) -> None:
    # A Python function called back from C (as numba's compiler does) that Ctrl-C interrupts: the interpreter
    # prints «Exception ignored on calling ctypes callback function» and goes on as if nothing happened.
    def interrupted() -> None:
        raise KeyboardInterrupt

    callback = ctypes.CFUNCTYPE(None)(interrupted)
    steps: list[str] = []

    def main(argv: list[str] | None) -> int:
        callback()
        steps.extend(["after the callback"] * 3)
        return 0

    assert cli.run(main) == EXIT_INTERRUPTED
    assert "Прервано пользователем" in capsys.readouterr().err


def test_a_command_that_stops_on_ctrl_c_by_design_keeps_its_exit_code() -> None:
    def main(argv: list[str] | None) -> int:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            return 0  # a server stopped with Ctrl+C: its normal end

    assert cli.run(main) == 0
