"""The error types a user can cause, each carrying where it happened.

Only the CLI turns these into messages and exit codes; every other module raises them.
"""

from __future__ import annotations


class NoteflowError(Exception):
    """Base of every error noteflow reports to a user.

    `path` and `line` (1-based) say where in which document; `block` names the block id
    when there is one. `exit_code` is what the CLI exits with (2: bad input or usage).
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        block: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.block = block
        self.hint = hint

    def location(self) -> str:
        """`file:line: ` (or as much of it as is known) for the start of a message."""
        if self.path and self.line:
            return f"{self.path}:{self.line}: "
        if self.path:
            return f"{self.path}: "
        return ""

    def __str__(self) -> str:
        text = f"{self.location()}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class DocumentError(NoteflowError):
    """The document cannot be read: bad YAML, bad options, a bad fence."""


class OptionError(DocumentError):
    """A block option is malformed or given twice with different values."""


class GraphError(NoteflowError):
    """The dataflow cannot be built: an unknown name, a duplicate label, a cycle."""


class FrozenError(NoteflowError):
    """`--frozen` found stale blocks."""

    exit_code = 1


class StrictError(NoteflowError):
    """`--strict` stopped at the first failing block."""

    exit_code = 1


class WriteError(NoteflowError):
    """A file noteflow writes (page, cache entry, blob) could not be written: disk full,
    no permission. Nothing partial is left behind."""
