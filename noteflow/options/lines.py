"""Options written at the top of a block's body: Quarto's `#|` lines and MyST's cell options.

Owns `split_option_lines` (`#| key: value`, `//| key: value`, read as YAML) and
`split_myst_options` (`:key: value` lines, possibly going on over `:`-lines, or a `---` YAML
block); tags and `mystnb:` options set what they stand for through `normalise`.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from noteflow.errors import OptionError
from noteflow.yamlio import LoadedYaml, load_yaml

from .canonical import _checked_entries
from .merge import _Entry
from .values import _show

_MYST_OPTION_LINE = re.compile(r"\s*:([A-Za-z_][\w.-]*):(?:\s+(.*))?")


def split_option_lines(
    body: str, prefixes: tuple[str, ...], *, path: str, line: int
) -> tuple[dict[str, Any], str, int]:
    """Read leading option comment lines (`#| key: value`, or `//| key: value` for JS) as YAML.

    Returns (normalised options, code without those lines, number of lines removed). `line`
    is the 1-based line of the body's first line, for error messages.
    """
    lines = body.split("\n")
    texts: list[str] = []
    for text in lines:
        option = _option_line_text(text, prefixes)
        if option is None:
            break
        texts.append(option)
    if not texts:
        return {}, body, 0
    yaml_text = textwrap.dedent("\n".join(texts))
    options = _load_yaml_options(yaml_text, "option lines", path=path, line=line)
    return options, "\n".join(lines[len(texts) :]), len(texts)


def split_myst_options(body: str, *, path: str, line: int) -> tuple[dict[str, Any], str, int]:
    """MyST code-cell options at the top of the body: `:key: value` lines (a value may go on
    over further lines that start with `:`, as MyST-NB reads them), or a YAML block between
    `---` lines. Tags (`:tags:`, `:tag:`, `tags:`) and `mystnb:` options also set the
    noteflow options they stand for (see `normalise`).

    Returns (normalised options, code without the options, number of lines removed).
    """
    lines = body.split("\n")
    if lines[0].strip() == "---":
        options, removed = _myst_yaml_block(lines, path=path, line=line)
    else:
        options, removed = _myst_option_lines(lines, path=path, line=line)
    if not removed:
        return {}, body, 0
    return options, "\n".join(lines[removed:]), removed


def _option_line_text(text: str, prefixes: tuple[str, ...]) -> str | None:
    """The YAML on an option line (prefix and one following space removed), else None."""
    stripped = text.lstrip(" \t").rstrip("\r")
    for prefix in prefixes:
        if stripped.startswith(prefix):
            rest = stripped[len(prefix) :]
            return rest[1:] if rest.startswith(" ") else rest
    return None


def _load_yaml_options(text: str, what: str, *, path: str, line: int) -> dict[str, Any]:
    """Normalised options from YAML text whose first line is document line `line`."""
    loaded = _load_option_yaml(text, what, path=path, line=line)
    if loaded.value is None:
        return {}
    if not isinstance(loaded.value, dict):
        raise OptionError(
            f"{what} must be `key: value` pairs, got {_show(loaded.value)}",
            path=path,
            line=line,
            hint="write one option per line, e.g. `#| echo: false`",
        )
    entries = [
        (key, value, f"`{key}`", loaded.line_of(str(key))) for key, value in loaded.value.items()
    ]
    return _checked_entries(entries, path=path)


def _load_option_yaml(text: str, what: str, *, path: str, line: int) -> LoadedYaml:
    return load_yaml(
        text,
        what=what,
        path=path,
        line=line,
        error=OptionError,
        hint='quote values that contain ": " or start with a YAML symbol',
    )


def _myst_yaml_block(lines: list[str], *, path: str, line: int) -> tuple[dict[str, Any], int]:
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise OptionError(
            "the `---` options block at the top of the cell is not closed",
            path=path,
            line=line,
            hint="end the options with a second `---` line",
        )
    text = "\n".join(lines[1:end])
    return _load_yaml_options(text, "the options block", path=path, line=line + 1), end + 1


def _myst_option_lines(lines: list[str], *, path: str, line: int) -> tuple[dict[str, Any], int]:
    """`:key: value` lines; a following line that starts with `:` but names no key goes on
    with the value (`:mystnb:` then `:  number_source_lines: true`)."""
    entries: list[_Entry] = []
    offset = 0
    while offset < len(lines):
        match = _MYST_OPTION_LINE.fullmatch(lines[offset].rstrip())
        if match is None:
            break
        more = _continuation_lines(lines, offset + 1)
        value_text = "\n".join([match.group(2) or "", *more])
        value = _load_option_yaml(value_text, "a cell option", path=path, line=line + offset)
        entries.append((match.group(1), value.value, f"`:{match.group(1)}:`", line + offset))
        offset += 1 + len(more)
    return _checked_entries(entries, path=path), offset


def _continuation_lines(lines: list[str], start: int) -> list[str]:
    """Lines from `start` that continue an option value: `:` then indented text."""
    found: list[str] = []
    for text in lines[start:]:
        stripped = text.lstrip()
        if not stripped.startswith(":") or stripped.startswith(":::"):
            break
        if _MYST_OPTION_LINE.fullmatch(text.rstrip()) or not stripped[1:2].isspace():
            break
        found.append(stripped[1:])
    return found
