"""Errors that carry their exit code (CONTRACTS.md) and where the problem is."""

from __future__ import annotations

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2
EXIT_FAILURE = 3


def format_location(file: str | None, line: int | None, pointer: str | None) -> str:
    """'file:line at /pointer' as far as known, or ''."""
    parts = []
    if file:
        parts.append(f"{file}:{line}" if line else file)
    if pointer is not None:
        parts.append(f"at {pointer or '/'}")
    return " ".join(parts)


class ClausegateError(Exception):
    """Base error: a message for people, where it happened, and the exit code it maps to."""

    exit_code: int = EXIT_FAILURE

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        pointer: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.pointer = pointer
        self.hint = hint

    def location(self) -> str:
        """Return 'file:line at /pointer' as far as known, or ''."""
        return format_location(self.file, self.line, self.pointer)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        from generator.sanitize import clean_line

        # File names, values and Azure answers in a message never drive the terminal; one line.
        return clean_line(text)


class InputError(ClausegateError):
    """Bad input or configuration: a file that cannot be read or parsed, an invalid value (exit 2)."""

    exit_code = EXIT_BAD_INPUT


class PackError(InputError):
    """An invalid clause pack or model catalog (exit 2)."""


class PolicyCompileError(InputError):
    """A policy definition, set, assignment or exemption that does not parse or compile (exit 2)."""


class RemoteError(ClausegateError):
    """Azure unreachable or refusing, or credentials missing (exit 3)."""

    exit_code = EXIT_FAILURE


class OwnershipError(InputError):
    """An object exists in Azure under the same name but clausegate does not own it (exit 2)."""
