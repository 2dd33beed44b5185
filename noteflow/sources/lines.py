"""A document's text as lines that each remember where they were written.

Includes splice other files into a document and notebooks and scripts are rewritten as
Markdown before parsing, so a line of the text the parse stage reads is not always the
same line of the file a user edits. `SourceText` keeps, for each line, its `Origin`; the
parse stage's positions are turned back into the user's file and line through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..model import Origin


@dataclass(frozen=True, slots=True)
class SourceText:
    """Lines of text (without their newlines), each with the place it came from."""

    lines: tuple[str, ...]
    origins: tuple[Origin, ...]

    @classmethod
    def of_file(cls, path: Path, text: str) -> SourceText:
        """A file's own text: line n comes from line n of `path`."""
        lines = tuple(text.split("\n"))
        return cls(lines, tuple(Origin(path, n) for n in range(1, len(lines) + 1)))

    @classmethod
    def joined(cls, parts: Iterable[SourceText]) -> SourceText:
        lines: list[str] = []
        origins: list[Origin] = []
        for part in parts:
            lines += part.lines
            origins += part.origins
        return cls(tuple(lines), tuple(origins))

    def text(self) -> str:
        return "\n".join(self.lines)

    def slice(self, start: int, stop: int | None = None) -> SourceText:
        """Lines `start` to `stop` (0-based, `stop` excluded)."""
        return SourceText(self.lines[start:stop], self.origins[start:stop])

    def with_lines(self, lines: Sequence[str]) -> SourceText:
        """The same origins with other text on each line (a substitution within lines)."""
        return SourceText(tuple(lines), self.origins)

    def spans_files(self, path: Path) -> bool:
        """True when some line is not line n of `path` for its position n."""
        return any(o != Origin(path, n) for n, o in enumerate(self.origins, 1))


def generated(text: str, origin: Origin) -> SourceText:
    """Lines noteflow writes (a fence around a notebook cell), placed at `origin`."""
    lines = tuple(text.split("\n"))
    return SourceText(lines, (origin,) * len(lines))
