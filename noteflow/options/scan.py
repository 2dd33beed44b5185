"""Reading quoted strings and brackets in a fence info string or an R call.

Owns the scanner both share: a quoted token's string (`_unquote`, `_read_quoted`), the
characters outside quotes and brackets (`_top_level`) and splitting on top-level separators
(`_split_top_level`). An unterminated quote or bracket raises `OptionError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from noteflow.errors import OptionError

_QUOTES = "\"'"


_OPENERS = "([{"


_CLOSERS = ")]}"


def _unquote(text: str, *, path: str, line: int) -> str:
    """The string a whole quoted token stands for."""
    value, end = _read_quoted(text, 0, path=path, line=line)
    if end != len(text):
        raise OptionError(
            f"unexpected text after the closing quote in {text!r}", path=path, line=line
        )
    return value


def _read_quoted(text: str, start: int, *, path: str, line: int) -> tuple[str, int]:
    """The unescaped string quoted at `text[start]`, and the index after its closing quote."""
    quote = text[start]
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            escaped = text[index + 1]
            chars.append(escaped if escaped in _QUOTES + "\\" else char + escaped)
            index += 2
        elif char == quote:
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    raise OptionError(
        f"unterminated {quote} quote in the fence info string",
        path=path,
        line=line,
        hint='close the quote; write a quote inside a value as \\"',
    )


def _top_level(text: str, *, path: str, line: int) -> Iterator[tuple[int, str]]:
    """(index, char) for each char outside quotes and brackets; an unmatched closer counts."""
    depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char in _QUOTES:
            _, index = _read_quoted(text, index, path=path, line=line)
            continue
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS and depth:
            depth -= 1
        elif not depth:
            yield index, char
        index += 1
    if depth:
        raise OptionError(
            f"unclosed bracket in the fence info string: {text.strip()!r}", path=path, line=line
        )


def _split_top_level(
    text: str, is_separator: Callable[[str], bool], *, path: str, line: int
) -> list[str]:
    """Non-empty stripped pieces of `text` between top-level separators."""
    pieces: list[str] = []
    start = 0
    for index, char in _top_level(text, path=path, line=line):
        if is_separator(char):
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if piece.strip()]
