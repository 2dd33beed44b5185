"""The fence info string: what a braced ```` ```{...} ```` says about its block.

Owns `parse_fence_info` and `FenceHeader`: Pandoc attributes (`{python #load echo=false}`),
R Markdown chunk headers (`{r load, echo=FALSE}`, with R values), MyST's `{code-cell} ipython3`
and Quarto's escaped `{{python}}`. An R expression where noteflow needs a value warns and the
option is ignored; a malformed info string raises `OptionError`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from noteflow.errors import DocumentError, OptionError
from noteflow.yamlio import load_yaml

from .canonical import _canonical_name, _normalise_entries
from .merge import _Entry
from .names import _BLOCK_NAME, _OPTION_NAME, ALL_LABELS, KNITR_CHECKED_OPTIONS, USED_OPTIONS
from .rvalues import _is_r_literal, _r_value
from .scan import _QUOTES, _split_top_level, _top_level, _unquote

log = logging.getLogger("noteflow")


_YAML_NULLS = frozenset({"~", "null", "Null", "NULL"})


_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True)
class FenceHeader:
    """What a braced fence info string says about its block."""

    name: str
    """First word inside the braces as written: `python`, `r`, `R`, `code-cell`, `data`."""
    argument: str | None
    """Text after the closing brace (MyST: `{code-cell} ipython3` gives `ipython3`), else None."""
    options: dict[str, Any]
    """Normalised options from the info string."""
    escaped: bool
    """True for a double-braced `{{python}}`: shown verbatim, never run."""


def parse_fence_info(info: str, *, path: str, line: int) -> FenceHeader | None:
    """None when the info string is not braced (a plain ```python fence: display only).

    Also None for braces holding only Pandoc attributes or a raw format (`{.python}`,
    `{#id .cls}`, `{=html}`): Pandoc and Quarto show those blocks and never run them.
    """
    text = info.strip()
    if not text.startswith("{"):
        return None
    if text.startswith("{{"):
        return _parse_escaped(text, path=path, line=line)
    close = _closing_brace(text, path=path, line=line)
    name, rest = _split_name(text[1:close].strip(), path=path, line=line)
    if name[0] in "#.=":
        return None
    _check_block_name(name, path=path, line=line)
    argument = _argument(name, text[close + 1 :].strip(), path=path, line=line)
    r_style = _is_r_style(name, rest, path=path, line=line)
    entries = _parse_attributes(rest, r_style=r_style, path=path, line=line)
    options = _normalise_entries(entries, path=path, lenient=r_style)
    return FenceHeader(name, argument, options, escaped=False)


def _parse_escaped(text: str, *, path: str, line: int) -> FenceHeader:
    end = text.find("}}")
    if end < 0:
        raise OptionError(
            "unterminated `{{` in the fence info string",
            path=path,
            line=line,
            hint="an escaped block is written ```{{python}}",
        )
    name, _ = _split_name(text[2:end].strip(), path=path, line=line)
    _check_block_name(name, path=path, line=line)
    return FenceHeader(name, None, {}, escaped=True)


def _closing_brace(text: str, *, path: str, line: int) -> int:
    """Index in `text` (which starts with `{`) of the brace that closes it."""
    for index, char in _top_level(text[1:], path=path, line=line):
        if char == "}":
            return index + 1
    raise OptionError(
        "unterminated `{` in the fence info string",
        path=path,
        line=line,
        hint="close the braces: ```{python echo=false}",
    )


def _split_name(inner: str, *, path: str, line: int) -> tuple[str, str]:
    match = re.match(r"[^\s,]+", inner)
    if match is None:
        raise OptionError(
            "no block name inside the braces",
            path=path,
            line=line,
            hint="name the language first: ```{python}",
        )
    return match.group(), inner[match.end() :]


def _check_block_name(name: str, *, path: str, line: int) -> None:
    if not _BLOCK_NAME.fullmatch(name):
        raise OptionError(
            f"bad block name {name!r} in the fence info string",
            path=path,
            line=line,
            hint="the name is a language or component, then a space: ```{python #label}",
        )


def _argument(name: str, trailing: str, *, path: str, line: int) -> str | None:
    if not trailing:
        return None
    if name == "code-cell" and len(trailing.split()) > 1:
        raise OptionError(
            f"{{code-cell}} takes one argument (the kernel language), got {trailing!r}",
            path=path,
            line=line,
            hint="MyST cell options go at the top of the body: `:tags: [remove-input]`",
        )
    return trailing


def _is_r_style(name: str, rest: str, *, path: str, line: int) -> bool:
    """R Markdown chunk header (comma-separated, R values) rather than Pandoc attributes."""
    if any(char == "," for _, char in _top_level(rest, path=path, line=line)):
        return True
    if name.lower() != "r":
        return False
    words = _split_top_level(rest, str.isspace, path=path, line=line)
    return not any(word.startswith(("#", ".")) for word in words)


def _parse_attributes(rest: str, *, r_style: bool, path: str, line: int) -> list[_Entry]:
    def is_comma(char: str) -> bool:
        return char == ","

    is_separator = is_comma if r_style else str.isspace
    parse_value = _r_value if r_style else _pandoc_value
    entries: list[_Entry] = []
    classes: list[str] = []
    for item in _split_top_level(rest, is_separator, path=path, line=line):
        if item.startswith("."):
            classes.append(item[1:])
            continue
        key, value = _attribute(item, parse_value, path=path, line=line)
        if r_style and _unevaluated(key, item, path=path, line=line):
            continue
        entries.append((key, value, f"`{item}`", line))
    if classes:
        spelled = " ".join(f".{name}" for name in classes)
        entries.append(("classes", classes, f"`{spelled}`", line))
    return entries


def _unevaluated(key: str, item: str, *, path: str, line: int) -> bool:
    """True (with a warning) for `key = <R expression>` where noteflow would show or act on
    the expression's text (`fig.cap = paste(...)`): knitr evaluates it, noteflow cannot."""
    equals = next((i for i, char in _top_level(item, path=path, line=line) if char == "="), None)
    name = _canonical_name(key)
    if equals is None or name not in USED_OPTIONS or name in KNITR_CHECKED_OPTIONS:
        return False
    text = item[equals + 1 :].strip()
    if name == "ref-label" and ALL_LABELS.fullmatch(text):
        return False
    if _is_r_literal(text, path=path, line=line):
        return False
    log.warning(
        "%s:%d: the chunk option `%s` is an R expression noteflow does not evaluate; it is ignored",
        path,
        line,
        item,
    )
    return True


def _attribute(
    item: str, parse_value: Callable[..., Any], *, path: str, line: int
) -> tuple[str, Any]:
    """(key, value) of one `#label`, bare label, or `key=value` item."""
    if item.startswith("#"):
        return "label", item[1:]
    equals = next((i for i, char in _top_level(item, path=path, line=line) if char == "="), None)
    if equals is None:
        return "label", _unquote(item, path=path, line=line) if item[0] in _QUOTES else item
    key, value = item[:equals].strip(), item[equals + 1 :].strip()
    if not _OPTION_NAME.fullmatch(key):
        raise OptionError(
            f"bad option name {key!r} in the fence info string",
            path=path,
            line=line,
            hint="R Markdown options are separated by commas: {r label, echo=FALSE}",
        )
    if not value:
        raise OptionError(f"option {key!r} has no value after '='", path=path, line=line)
    return key, parse_value(value, path=path, line=line)


def _pandoc_value(text: str, *, path: str, line: int) -> Any:
    if text[0] in _QUOTES:
        return _unquote(text, path=path, line=line)
    return _yaml_scalar(text)


def _yaml_scalar(text: str) -> Any:
    """YAML's reading of an unquoted word when it is a number, bool, null or flow list."""
    try:
        value = load_yaml(text, what="an attribute", path="", line=1).value
    except DocumentError:
        return text
    if value is None and text not in _YAML_NULLS:
        return text  # e.g. `#fff`, which YAML reads as a comment
    plain_list = isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value)
    if isinstance(value, str) or not (plain_list or isinstance(value, _SCALARS)):
        return text
    return value
