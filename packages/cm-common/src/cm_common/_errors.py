"""The error every cm command turns into one line on stderr and an exit code."""

from __future__ import annotations


class CmError(Exception):
    """Base of all errors meant for the user: a one-line message and an exit code.

    ``exit_code`` is 2 for bad input (the default) and 1 for a runtime failure.
    """

    exit_code: int = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class InputError(CmError):
    """Bad input: a file, a field or a value that cannot be used (exit 2)."""

    exit_code = 2


class RuntimeFailure(CmError):
    """Something failed while running: a command, a service, a job (exit 1)."""

    exit_code = 1
