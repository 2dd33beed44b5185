"""The canonical form of options: dashed lower-case names, aliases resolved, checked values.

Owns `normalise` and `normalise_written`, the aliases (`name`/`id` -> `label`, ...), the options
one option stands for (MyST tags, MyST-NB `mystnb:` options, knitr's `fig.dim`), knitr's
`ref.label = I(...)`, and leniency for knitr's own spellings (a value noteflow does not
understand warns instead of failing).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from noteflow.errors import OptionError

from .merge import _collect, _Entry
from .names import KNITR_CHECKED_OPTIONS, warn_unknown_options
from .rvalues import _R_AS_IS, _r_value
from .values import _CHECKS, _show

log = logging.getLogger("noteflow")


_ALIASES = {
    "name": "label",
    "id": "label",
    "class": "classes",
    "dpi": "fig-dpi",
    "tag": "tags",
}


_MYST_TAGS: dict[str, tuple[str, Any]] = {
    "remove-input": ("echo", False),
    "remove-output": ("output", False),
    "remove-cell": ("include", False),
    "hide-input": ("code-fold", True),
    "raises-exception": ("error", True),
    "skip-execution": ("eval", False),
}


_MYSTNB_OPTIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "remove_code_source": ("echo", lambda value: not value),
    "remove_code_outputs": ("output", lambda value: not value),
    "number_source_lines": ("code-line-numbers", bool),
    "code_prompt_show": ("code-prompt-show", str),
}
"""MyST-NB `mystnb:` cell options that have a noteflow (Quarto) option: name, value map."""


def normalise(options: Mapping[str, Any], *, path: str, line: int) -> dict[str, Any]:
    """Canonical keys (lower case, dashes, aliases resolved) and checked values.

    Some options also set the options they stand for: a MyST tag (`remove-input` sets
    `echo: false`, `raises-exception` sets `error: true`, `skip-execution` sets
    `eval: false`; `tags` stays a list), MyST-NB `mystnb:` options (`remove_code_source`,
    `number_source_lines`, ...) and knitr's `fig.dim = c(w, h)` (`fig-width`, `fig-height`).
    Two spellings of one key (`fig.cap` and `fig-cap`) with different values are an error.
    Unknown keys are kept. Normalising normalised options changes nothing.
    """
    entries = [(key, value, f"`{key}`", line) for key, value in options.items()]
    return _normalise_entries(entries, path=path)


def normalise_written(
    options: Mapping[Any, Any], key_lines: Mapping[Any, int], *, path: str
) -> dict[str, Any]:
    """`normalise` for options as a user wrote them, each key on its own line (`key_lines`):
    a bad value is an error at its key's line, and an unknown name warns there."""
    entries = [(key, value, f"`{key}`", key_lines[key]) for key, value in options.items()]
    return _checked_entries(entries, path=path)


def _normalise_entries(
    entries: Iterable[_Entry], *, path: str, lenient: bool = False
) -> dict[str, Any]:
    return _collect(_canonical_entries(entries, path=path, lenient=lenient), path=path)


def _checked_entries(
    entries: Iterable[_Entry], *, path: str, lenient: bool = False
) -> dict[str, Any]:
    """Normalised options of a block's own option lines; unknown names warn."""
    canonical = _canonical_entries(entries, path=path, lenient=lenient)
    warn_unknown_options(((key, line) for key, _, _, line in canonical), path=path)
    return _collect(canonical, path=path)


def _canonical_entries(
    entries: Iterable[_Entry], *, path: str, lenient: bool = False
) -> list[_Entry]:
    """Canonical (name, checked value) entries. `lenient` (knitr's own spellings: R chunk
    headers and `opts_chunk$set`, which knitr reads with R's own rules) turns a value of a
    knitr option that noteflow does not understand into a warning, and the option is left
    out; noteflow's own options (`timeout`, `uses`, ...) stay errors."""
    canonical: list[_Entry] = []
    for key, value, spelled, entry_line in _as_is_references(list(entries), path=path):
        try:
            name, checked = _canonical(key, value, path=path, line=entry_line)
        except OptionError as problem:
            if not lenient or _canonical_name(key) not in KNITR_CHECKED_OPTIONS:
                raise
            log.warning("%s:%d: %s; the option is ignored", path, entry_line, problem.message)
            continue
        if name != "fig-dim":
            canonical.append((name, checked, spelled, entry_line))
        canonical += _implied(name, checked, path=path, line=entry_line)
    return canonical


def _as_is_references(entries: list[_Entry], *, path: str) -> list[_Entry]:
    """knitr's `ref.label = I('a')` (or `I(c('b', 'a'))`): the code of those chunks and their
    options too, which is `opts.label = TRUE` unless the block names an `opts.label`."""
    names = {_canonical_name(key) for key, _, _, _ in entries}
    result: list[_Entry] = []
    for key, value, spelled, line in entries:
        as_is = _R_AS_IS.fullmatch(value.strip()) if isinstance(value, str) else None
        if _canonical_name(key) != "ref-label" or as_is is None:
            result.append((key, value, spelled, line))
            continue
        result.append((key, _r_value(as_is.group(1).strip(), path=path, line=line), spelled, line))
        if "opts-label" not in names:
            result.append(("opts-label", True, spelled, line))
    return result


def _implied(name: str, value: Any, *, path: str, line: int) -> list[_Entry]:
    """The options one option stands for (a tag, a `mystnb:` option, `fig-dim`)."""
    if name == "tags":
        return [(*_MYST_TAGS[tag], f"tag `{tag}`", line) for tag in value if tag in _MYST_TAGS]
    if name == "mystnb" and isinstance(value, dict):
        return [
            (_MYSTNB_OPTIONS[key][0], _MYSTNB_OPTIONS[key][1](item), f"`mystnb.{key}`", line)
            for key, item in value.items()
            if key in _MYSTNB_OPTIONS
        ]
    if name == "fig-dim":
        width, height = value
        return [("fig-width", width, "`fig.dim`", line), ("fig-height", height, "`fig.dim`", line)]
    return []


def _canonical_name(key: Any) -> str | None:
    if not isinstance(key, str):
        return None
    name = re.sub(r"[._]", "-", key.lower())
    return _ALIASES.get(name, name)


def _canonical(key: Any, value: Any, *, path: str, line: int) -> tuple[str, Any]:
    name = _canonical_name(key)
    if name is None:
        raise OptionError(
            f"option name {_show(key)} is not a word",
            path=path,
            line=line,
            hint="option names are words like `echo` or `fig-cap`",
        )
    check = _CHECKS.get(name)
    return name, value if check is None else check(name, value, path=path, line=line)
