"""knitr's option calls in R code: `opts_chunk$set(...)` and `opts_template$set(...)`.

Owns turning their arguments into normalised options; an argument that is not a literal warns
and is skipped (its value is only known when R runs).
"""

from __future__ import annotations

import logging
from typing import Any

from .canonical import _checked_entries
from .merge import _Entry
from .names import _OPTION_NAME
from .rvalues import _is_r_literal, _r_value
from .scan import _split_top_level, _top_level

log = logging.getLogger("noteflow")


def r_call_options(arguments: str, *, path: str, line: int) -> dict[str, Any]:
    """Normalised options from the arguments of an R call such as
    `knitr::opts_chunk$set(echo = FALSE, fig.width = 6)`; values as in a chunk header.
    An argument that is not `name = literal` (`list(...)`, `fig.width = w`) warns and is
    skipped: its value is only known when R runs."""
    entries: list[_Entry] = []
    for item in _split_top_level(arguments, ",".__eq__, path=path, line=line):
        equals = next(
            (i for i, char in _top_level(item, path=path, line=line) if char == "="), None
        )
        key, text = (item[:equals].strip(), item[equals + 1 :].strip()) if equals else ("", "")
        if not _OPTION_NAME.fullmatch(key) or not _is_r_literal(text, path=path, line=line):
            log.warning(
                "%s:%d: the chunk option `%s` is not a literal value; it is ignored",
                path,
                line,
                item,
            )
            continue
        entries.append((key, _r_value(text, path=path, line=line), f"`{item}`", line))
    return _checked_entries(entries, path=path, lenient=True)


def r_template_options(arguments: str, *, path: str, line: int) -> dict[str, dict[str, Any]]:
    """knitr's option templates from the arguments of `opts_template$set(...)`:
    `skip = list(eval = FALSE), wide = list(fig.width = 10)` gives each name's options;
    an argument that is not `name = list(literals)` warns and is skipped."""
    templates: dict[str, dict[str, Any]] = {}
    for item in _split_top_level(arguments, ",".__eq__, path=path, line=line):
        equals = next(
            (i for i, char in _top_level(item, path=path, line=line) if char == "="), None
        )
        name, text = (item[:equals].strip(), item[equals + 1 :].strip()) if equals else ("", "")
        if not (_OPTION_NAME.fullmatch(name) and text.startswith("list(") and text.endswith(")")):
            log.warning("%s:%d: the option template `%s` is not read; ignored", path, line, item)
            continue
        templates[name] = r_call_options(text[5:-1], path=path, line=line)
    return templates
