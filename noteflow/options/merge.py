"""Combining options given in several spellings on one block.

Owns the entry an option is carried in (`_Entry`: key, value, spelling, line), collecting
entries into one dict (`_collect`: one key with two different values is an error, where `true`
never equals `1`), and `merge_options` over several spellings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from noteflow.errors import OptionError

from .values import _show

_Entry = tuple[Any, Any, str, int]
"""One option as written: (key, value, how it was spelled, 1-based line)."""


def merge_options(
    sources: Sequence[tuple[str, Mapping[str, Any]]], *, path: str, line: int
) -> dict[str, Any]:
    """Merge options given in several spellings: sources are (spelling name, normalised options).

    The same key with different values in two sources is an error; equal values are fine.
    """
    entries = [
        (key, value, spelling, line)
        for spelling, options in sources
        for key, value in options.items()
    ]
    return _collect(entries, path=path)


def _collect(entries: Iterable[_Entry], *, path: str) -> dict[str, Any]:
    """A dict of the entries; one key with two different values is an error."""
    result: dict[str, Any] = {}
    spelled_as: dict[str, str] = {}
    for key, value, spelled, entry_line in entries:
        if key in result and not _same(result[key], value):
            raise OptionError(
                f"option {key!r} has two different values: {_show(result[key])} "
                f"({spelled_as[key]}) and {_show(value)} ({spelled})",
                path=path,
                line=entry_line,
                hint="give the option once, or give the same value each time",
            )
        result.setdefault(key, value)
        spelled_as.setdefault(key, spelled)
    return result


def _same(first: Any, second: Any) -> bool:
    """Equal values, where `true` never equals `1`."""
    if isinstance(first, bool) or isinstance(second, bool):
        return type(first) is type(second) and first == second
    if isinstance(first, list) and isinstance(second, list):
        return len(first) == len(second) and all(
            _same(a, b) for a, b in zip(first, second, strict=True)
        )
    if isinstance(first, dict) and isinstance(second, dict):
        return first.keys() == second.keys() and all(_same(first[k], second[k]) for k in first)
    return bool(first == second)
