"""Errors that end a command with one human line instead of a traceback."""


class UserError(Exception):
    """Something a person can fix: printed as one line, exit status 1 (or `exit_code`)."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
