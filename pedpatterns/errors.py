"""The one error type that reaches the user.

Library code raises :class:`UserError` with a Russian message that names the problem and
what to do; the scripts turn it into that message and an exit code, never a traceback.
Anything else that escapes is a bug and is shown as one.
"""

from __future__ import annotations

# Exit codes: 1 for a problem with the user's input or environment, 2 for a wrong
# command line (argparse's own code), 130 for Ctrl-C (the shell's convention).
EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_BUILT = 3
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """A problem the user can fix; ``message`` is Russian and says what to do."""

    def __init__(self, message: str, exit_code: int = EXIT_USER_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
