"""R literals as knitr option values: `TRUE`, `NA`, `6L`, `"text"`, `c(1, "a")`, `I(...)`.

Owns reading an R expression's value when it is a literal or a `c(...)` of literals
(`_r_value`), and telling a literal from an expression noteflow cannot evaluate
(`_is_r_literal`).
"""

from __future__ import annotations

import re
from typing import Any

from noteflow.knitr import r_int_vector

from .scan import _QUOTES, _split_top_level, _top_level, _unquote

_R_CONSTANTS: dict[str, Any] = {
    "TRUE": True,
    "T": True,
    "FALSE": False,
    "F": False,
    "NULL": None,
    "NA": None,
}


_R_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?L?")


_R_AS_IS = re.compile(r"I\((.*)\)", re.DOTALL)


_R_INTEGER = re.compile(r"[+-]?\d+L?")


_NOT_LITERAL = object()


def _is_r_literal(text: str, *, path: str, line: int) -> bool:
    if not text:
        return False
    if _r_scalar(text, path=path, line=line) is not _NOT_LITERAL:
        return True
    return _r_vector(text, path=path, line=line) is not None or r_int_vector(text) is not None


def _r_value(text: str, *, path: str, line: int) -> Any:
    """An R expression's value when it is a literal or `c(...)` of literals, else its text."""
    scalar = _r_scalar(text, path=path, line=line)
    if scalar is not _NOT_LITERAL:
        return scalar
    vector = _r_vector(text, path=path, line=line)
    return text if vector is None else vector


MAX_NUMBER_LENGTH = 300
"""Longer digit strings are no option value anyone writes (and Python will not read them)."""


def _r_scalar(text: str, *, path: str, line: int) -> Any:
    if text[0] in _QUOTES:
        return _unquote(text, path=path, line=line)
    if text in _R_CONSTANTS:
        return _R_CONSTANTS[text]
    if _R_NUMBER.fullmatch(text) and len(text) <= MAX_NUMBER_LENGTH:
        number = text.rstrip("L")
        return int(number) if _R_INTEGER.fullmatch(text) else float(number)
    return _NOT_LITERAL


def _r_vector(text: str, *, path: str, line: int) -> list[Any] | None:
    """`c(1, "a", TRUE)` as a list; None when `text` is not a `c(...)` of literals."""
    if not (text.startswith("c(") and text.endswith(")")):
        return None
    if any(True for _ in _top_level(text[1:], path=path, line=line)):
        return None  # `c(1) + c(2)`: the first parenthesis closes early
    items = [
        _r_scalar(item, path=path, line=line)
        for item in _split_top_level(text[2:-1], ",".__eq__, path=path, line=line)
    ]
    return None if any(item is _NOT_LITERAL for item in items) else items
