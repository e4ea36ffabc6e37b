"""The one exception type every teu layer raises for a user-facing failure.

A TeuError's message is shown to people as-is (no traceback), so it says what
failed, on what, and, where it helps, what to do.
"""


class TeuError(Exception):
    """A failure to report to the user in one line; exit_code follows docker's."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
