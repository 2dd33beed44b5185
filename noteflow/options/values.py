"""Block options: every spelling noteflow reads, and the one canonical form it turns them into.

Owns the fence info string (`{python #load echo=false}` Pandoc attributes, `{r load, echo=FALSE}`
R Markdown chunk headers, `{code-cell} ipython3` MyST, `{{python}}` escapes), Quarto option
lines at the top of a body (`#| echo: false`), MyST code-cell options (`:tags: [...]` lines or a
`---` YAML block), the canonical form of options (`normalise`: dashed lower-case keys, checked
values) and the combination of several spellings on one block (`merge_options`), and which
option names exist: the ones noteflow acts on, the ones other tools define that noteflow reads
without acting on, and the few that change what a block computes (`key_options`).

Every user mistake raises `OptionError` carrying the document path and line; an unknown option
name is a warning (logger `noteflow`) with a did-you-mean, and stays out of the cache key.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from noteflow.errors import DocumentError, OptionError
from noteflow.knitr import r_int_vector
from noteflow.yamlio import LoadedYaml, load_yaml, plain_data_problem

log = logging.getLogger("noteflow")

KNOWN_OPTIONS: frozenset[str] = frozenset(
    {
        "label", "uses", "exports", "files", "cache", "eval", "echo", "output", "include",
        "error", "timeout", "kernel", "output-limit", "fig-cap", "fig-alt", "classes",
        "warning", "message", "fig-width", "fig-height", "fig-dpi", "fig-format", "dev",
        "tags", "results", "comment", "collapse", "code-fold", "code-summary", "engine",
        "dependson", "ref-label", "code-prompt-show",
    }
)  # fmt: skip
"""Options noteflow itself acts on (other options are kept for templates and adapters)."""

EXECUTION_OPTIONS: frozenset[str] = frozenset(
    {
        "cache", "eval", "error", "timeout", "kernel", "output-limit", "with", "warning",
        "message", "fig-width", "fig-height", "fig-dpi", "fig-format", "dev",
    }
)  # fmt: skip
"""Options that change what a block computes or keeps; `with` holds a component's parameters.
`warning` and `message` decide whether the kernel records them, the `fig-` ones and `dev`
how a figure is drawn.

`uses`, `exports` and `files` change execution too, but the key holds what they resolve to.
"""

GRAPH_OPTIONS: frozenset[str] = frozenset({"uses", "exports", "files", "dependson"})
"""Options that shape the graph; the key holds what they resolve to, not how they are spelled."""

DISPLAY_ONLY_OPTIONS: frozenset[str] = frozenset(
    {
        "label", "echo", "output", "include", "fig-cap", "fig-alt", "classes", "code-fold",
        "code-summary", "code-overflow", "code-line-numbers", "code-copy", "code-tools",
        "results", "comment", "collapse", "prompt", "highlight", "strip-white", "indent",
        "size", "background", "out-width", "out-height", "out-extra", "fig-subcap",
        "fig-align", "fig-env", "fig-pos", "fig-scap", "fig-column", "fig-link", "fig-show",
        "fig-keep", "layout", "layout-ncol", "layout-nrow", "layout-align", "layout-valign",
        "column", "tbl-cap", "tbl-subcap", "tbl-colwidths", "tbl-column", "lst-label",
        "lst-cap", "panel", "filename", "output-location", "class-output", "class-source",
        "attr-output", "attr-source", "class-message", "class-warning", "class-error",
        "attr-message", "attr-warning", "attr-error", "tags", "mystnb", "collapsed",
        "scrolled", "editable", "deletable", "slideshow", "lang", "split", "purl",
        "code-prompt-show",
    }
)  # fmt: skip
"""Options that change how a block is shown, never what it computes (never keyed)."""

FOREIGN_OPTIONS: frozenset[str] = frozenset(
    {
        # Quarto
        "code-overflow", "code-line-numbers", "code-copy", "code-tools", "fig-align",
        "fig-env", "fig-pos", "fig-scap", "fig-subcap", "fig-column", "fig-link", "layout",
        "layout-ncol", "layout-nrow", "layout-align", "layout-valign", "column", "tbl-cap",
        "tbl-subcap", "tbl-colwidths", "tbl-column", "lst-label", "lst-cap", "panel",
        "filename", "output-location", "html-table-processing", "enabled", "freeze",
        "class-output", "class-source", "attr-output", "attr-source", "out-width",
        "out-height", "fig-responsive",
        # knitr
        "prompt", "strip-white", "tidy", "tidy-opts", "highlight", "purl", "dev-args",
        "fig-show", "fig-keep", "fig-path", "fig-ext", "fig-asp", "fig-retina", "fig-lp",
        "fig-process", "out-extra", "size", "background", "cache-path", "cache-vars",
        "cache-globals", "cache-lazy", "cache-comments", "cache-rebuild", "autodep",
        "engine-path", "engine-opts", "child", "r-options", "render", "class-message",
        "class-warning", "class-error", "attr-message", "attr-warning", "attr-error", "split",
        "indent", "lang", "opts-label", "interval", "animation-hook", "aniopts",
        # MyST-NB, and nbformat cell metadata that jupytext writes as MyST options
        "mystnb", "jupyter", "collapsed", "scrolled", "editable", "deletable", "slideshow",
        "execution",
    }
)  # fmt: skip
"""Options other tools define that noteflow reads without acting on (no warning; keyed
unless display-only, since noteflow cannot tell they change nothing)."""

ALL_OPTIONS: frozenset[str] = (
    KNOWN_OPTIONS | EXECUTION_OPTIONS | DISPLAY_ONLY_OPTIONS | FOREIGN_OPTIONS
)
"""Every option name that is not a mistake: any other name warns and is ignored."""

KNITR_CHECKED_OPTIONS: frozenset[str] = frozenset(
    {
        "eval", "echo", "warning", "message", "cache", "include", "error", "engine",
        "ref-label", "dependson", "fig-dim",
    }
)  # fmt: skip
"""knitr's options whose values noteflow checks: in an R chunk header or `opts_chunk$set`
a value noteflow does not understand warns and the option is ignored (knitr reads them
with R's rules, and a real document must still give its page)."""

USED_OPTIONS: frozenset[str] = KNOWN_OPTIONS | frozenset(
    {
        "fig-subcap", "out-width", "out-height", "fig-align", "tbl-cap", "lst-cap",
        "layout-ncol", "layout-nrow", "code-fold", "code-summary", "class-output",
        "class-source", "fig-asp", "prompt",
    }
)  # fmt: skip
"""Options whose value noteflow uses, so an R expression standing for it cannot be kept
as text (knitr's other options may hold R code noteflow never reads)."""

ALL_LABELS = re.compile(r"(knitr::)?all_labels\(\s*\)")
"""knitr's `ref.label = knitr::all_labels()`: the code of every chunk (a code appendix)."""

DEFAULT_OUTPUT_LIMIT = 5 * 1024 * 1024
"""Bytes of text output a block keeps when it sets no `output-limit`."""

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
_R_CONSTANTS: dict[str, Any] = {
    "TRUE": True,
    "T": True,
    "FALSE": False,
    "F": False,
    "NULL": None,
    "NA": None,
}

_BLOCK_NAME = re.compile(r"[A-Za-z][\w+-]*")
_OPTION_NAME = re.compile(r"[A-Za-z_][\w.-]*")
_KERNEL_NAME = re.compile(r"[A-Za-z0-9._-]+")
_LABEL = re.compile(r"[A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*")
_R_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?L?")
_R_AS_IS = re.compile(r"I\((.*)\)", re.DOTALL)
_R_INTEGER = re.compile(r"[+-]?\d+L?")
_MYST_OPTION_LINE = re.compile(r"\s*:([A-Za-z_][\w.-]*):(?:\s+(.*))?")
_QUOTES = "\"'"
_OPENERS = "([{"
_CLOSERS = ")]}"
_BYTE_SIZE = re.compile(r"(\d+(?:\.\d*)?)\s*([kmg]i?b|b)?", re.IGNORECASE)
_BYTE_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
}
_YAML_NULLS = frozenset({"~", "null", "Null", "NULL"})
_SCALARS = (str, int, float, bool, type(None))
_NOT_LITERAL = object()

_Entry = tuple[Any, Any, str, int]
"""One option as written: (key, value, how it was spelled, 1-based line)."""


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


# --------------------------------------------------------------------------- public API


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


def _is_r_literal(text: str, *, path: str, line: int) -> bool:
    if not text:
        return False
    if _r_scalar(text, path=path, line=line) is not _NOT_LITERAL:
        return True
    return _r_vector(text, path=path, line=line) is not None or r_int_vector(text) is not None


def label_id(label: str) -> str:
    """The block id (and page anchor) of a label: runs of spaces become `-` (knitr allows
    `{r my chunk}`; an HTML id has no spaces)."""
    return re.sub(r"\s+", "-", label.strip())


def is_possible_path(name: str) -> bool:
    """False for a path no file system could hold: a NUL character, a part over 255 bytes,
    over 4096 bytes in all."""
    size = len(name.encode(errors="replace"))
    parts = re.split(r"[/\\]", name)
    short = size <= 4096 and all(len(part.encode(errors="replace")) <= 255 for part in parts)
    return short and "\0" not in name


def valid_kernel_name(name: Any) -> bool:
    """A kernelspec name as Jupyter allows it: ASCII letters, digits, `-`, `_` and `.`."""
    return isinstance(name, str) and _KERNEL_NAME.fullmatch(name) is not None


def key_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a block that belong in its cache key, sorted: every option name that
    is not a mistake (`ALL_OPTIONS`), except display-only ones and those the graph resolves
    (`GRAPH_OPTIONS`). Unknown names only warn; other tools' options stay in, since
    noteflow cannot tell they change nothing."""
    skipped = DISPLAY_ONLY_OPTIONS | GRAPH_OPTIONS
    return {
        key: options[key] for key in sorted(options) if key in ALL_OPTIONS and key not in skipped
    }


def unknown_option_message(name: str) -> str:
    """`unknown option 'eco'; did you mean 'echo'?` (or `...; it is ignored`)."""
    close = difflib.get_close_matches(name, sorted(ALL_OPTIONS), n=1)
    if close:
        return f"unknown option {name!r}; did you mean {close[0]!r}?"
    return f"unknown option {name!r}; it is ignored"


def warn_unknown_options(names_and_lines: Iterable[tuple[str, int]], *, path: str) -> None:
    """Log a warning naming `path:line` for each (normalised name, line) not in `ALL_OPTIONS`."""
    for name, line in names_and_lines:
        if name not in ALL_OPTIONS:
            log.warning("%s:%d: %s", path, line, unknown_option_message(name))


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


# --------------------------------------------------------------------------- info strings


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


def _r_value(text: str, *, path: str, line: int) -> Any:
    """An R expression's value when it is a literal or `c(...)` of literals, else its text."""
    scalar = _r_scalar(text, path=path, line=line)
    if scalar is not _NOT_LITERAL:
        return scalar
    vector = _r_vector(text, path=path, line=line)
    return text if vector is None else vector


def _r_scalar(text: str, *, path: str, line: int) -> Any:
    if text[0] in _QUOTES:
        return _unquote(text, path=path, line=line)
    if text in _R_CONSTANTS:
        return _R_CONSTANTS[text]
    if _R_NUMBER.fullmatch(text):
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


# --------------------------------------------------------------------------- option lines


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


# --------------------------------------------------------------------------- MyST


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


# --------------------------------------------------------------------------- normalising


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


def _check_bool(key: str, value: Any, *, path: str, line: int) -> bool:
    if not isinstance(value, bool):
        raise OptionError(
            f"option {key!r} must be true or false, got {_show(value)}",
            path=path,
            line=line,
            hint="write true/false (TRUE/FALSE in an R Markdown chunk header)",
        )
    return value


def _check_cache(key: str, value: Any, *, path: str, line: int) -> bool:
    """true/false, or knitr's cache levels 0-3 (0 is off; 1-3 say what knitr caches
    beyond the results, which noteflow always keeps whole)."""
    if _is_int(value) and 0 <= value <= 3:
        return bool(value)
    return _check_bool(key, value, path=path, line=line)


def _check_conditions(key: str, value: Any, *, path: str, line: int) -> bool | list[int]:
    """knitr's `warning` / `message`: true/false; NA (read as null), which keeps them out of
    the page like false; or the numbers of the ones to keep (`2`, `c(1, 3)`, `2:3`, `-1`
    for all but the first), counted from the block's first."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    numbers = r_int_vector(value) if isinstance(value, str) else value
    if _is_int(numbers):
        numbers = [numbers]
    if isinstance(numbers, list) and numbers and all(_is_int(n) for n in numbers):
        return list(numbers)
    raise OptionError(
        f"option {key!r} must be true or false (or knitr's NA or numbers), got {_show(value)}",
        path=path,
        line=line,
        hint=f"e.g. `{key}: false`, or in an R Markdown header `{key} = NA` or `{key} = 2:3`",
    )


def _check_output(key: str, value: Any, *, path: str, line: int) -> bool | str:
    if not isinstance(value, bool) and value != "asis":
        raise OptionError(
            f'option {key!r} must be true, false or "asis", got {_show(value)}',
            path=path,
            line=line,
        )
    return value


def _check_timeout(key: str, value: Any, *, path: str, line: int) -> float | int:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value <= 0:
        raise OptionError(
            f"option {key!r} must be a positive number of seconds, got {_show(value)}",
            path=path,
            line=line,
        )
    return value


def _check_label(key: str, value: Any, *, path: str, line: int) -> str:
    if not isinstance(value, str) or not _LABEL.fullmatch(value.strip()):
        raise OptionError(
            f"option {key!r} must be a name of letters, digits, '-', '_', '.' and spaces, "
            f"got {_show(value)}",
            path=path,
            line=line,
            hint="e.g. `#| label: load-data` (quote a label that is all digits)",
        )
    return value.strip()


def _check_names(key: str, value: Any, *, path: str, line: int) -> list[str]:
    """A list of non-empty strings; a string is split on commas."""
    if isinstance(value, str):
        names = [part.strip() for part in value.split(",") if part.strip()]
        valid = bool(names)
    else:
        names = value
        valid = isinstance(value, list) and all(isinstance(name, str) and name for name in value)
    if not valid:
        raise OptionError(
            f"option {key!r} must be a name or a list of names, got {_show(value)}",
            path=path,
            line=line,
            hint=f"e.g. `#| {key}: [sales, prices]`",
        )
    return list(names)


def _check_classes(key: str, value: Any, *, path: str, line: int) -> list[str]:
    classes = value.split() if isinstance(value, str) else value
    if not isinstance(classes, list) or not all(isinstance(c, str) and c for c in classes):
        raise OptionError(
            f"option {key!r} must be class names, got {_show(value)}",
            path=path,
            line=line,
            hint='e.g. `.wide .small` or `classes="wide small"`',
        )
    return list(classes)


def _check_output_limit(key: str, value: Any, *, path: str, line: int) -> int:
    """A positive number of bytes: `200000`, or text with a unit: `200 kB`, `5 MB`, `1 MiB`."""
    size = _byte_size(value)
    if size is None or size <= 0:
        raise OptionError(
            f"option {key!r} must be a positive number of bytes, got {_show(value)}",
            path=path,
            line=line,
            hint="e.g. `#| output-limit: 10 MB` (kB, MB, GB; KiB, MiB, GiB)",
        )
    return size


def _byte_size(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _BYTE_SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    size = float(match.group(1)) * _BYTE_UNITS[(match.group(2) or "b").lower()]
    return int(size) if math.isfinite(size) else None


def _check_files(key: str, value: Any, *, path: str, line: int) -> list[str]:
    """Names, each a path no file system could refuse to look up."""
    names = _check_names(key, value, path=path, line=line)
    for name in names:
        if not is_possible_path(name):
            raise OptionError(
                f"option {key!r} names an impossible path {_show(name)}",
                path=path,
                line=line,
                hint="a path has no NUL character and no part longer than 255 bytes",
            )
    return names


def _check_kernel(key: str, value: Any, *, path: str, line: int) -> str:
    if not valid_kernel_name(value):
        raise OptionError(
            f"option {key!r} must be a kernelspec name, got {_show(value)}",
            path=path,
            line=line,
            hint="names are letters, digits, '-', '_' and '.': see `jupyter kernelspec list`",
        )
    return str(value)


def _check_tags(key: str, value: Any, *, path: str, line: int) -> list[str]:
    tags = [value] if isinstance(value, str) else value
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise OptionError(
            f"option {key!r} must be a list of tag names, got {_show(value)}",
            path=path,
            line=line,
            hint="e.g. `:tags: [remove-input]`",
        )
    return list(tags)


def _check_selection(key: str, value: Any, *, path: str, line: int) -> bool | str | list[int]:
    """true/false, or knitr's expression numbers: `c(1, 3)` runs the first and third
    top-level expressions, `-2` all but the second (kept as a list of ints); `echo` may also
    be Quarto's `fenced` (the code is shown with its fence and option lines)."""
    if isinstance(value, bool) or (key == "echo" and value == "fenced"):
        return value
    numbers = r_int_vector(value) if isinstance(value, str) else value
    if isinstance(numbers, int) and not isinstance(numbers, bool):
        numbers = [numbers]
    if isinstance(numbers, list) and numbers and all(_is_int(n) for n in numbers):
        return list(numbers)
    raise OptionError(
        f"option {key!r} must be true or false (or knitr's expression numbers), got {_show(value)}",
        path=path,
        line=line,
        hint=f"e.g. `{key}: false`, or in an R Markdown header `{key} = c(1, 3)` or `{key} = -2`",
    )


def _check_fig_dim(key: str, value: Any, *, path: str, line: int) -> list[float | int]:
    if isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value):
        return value
    raise OptionError(
        f"option {key!r} must be two numbers (width, height in inches), got {_show(value)}",
        path=path,
        line=line,
        hint="e.g. `fig.dim = c(6, 4)`",
    )


def _check_dependson(key: str, value: Any, *, path: str, line: int) -> list[str | int]:
    """Block labels, or knitr's block numbers (negative: counted back from this block)."""
    items = value if isinstance(value, list) else [value]
    if items and all(_is_int(item) or (isinstance(item, str) and item) for item in items):
        return [item.strip() if isinstance(item, str) else item for item in items]
    raise OptionError(
        f"option {key!r} must be block labels, got {_show(value)}",
        path=path,
        line=line,
        hint="e.g. `dependson = 'load'` or `dependson = c('load', 'clean')`",
    )


def _check_engine(key: str, value: Any, *, path: str, line: int) -> str:
    if not isinstance(value, str) or not _BLOCK_NAME.fullmatch(value):
        raise OptionError(
            f"option {key!r} must be a language name, got {_show(value)}",
            path=path,
            line=line,
            hint="e.g. `engine = 'bash'`",
        )
    return value.lower()


def _check_with(key: str, value: Any, *, path: str, line: int) -> dict[str, Any]:
    """A component's parameters: a mapping of plain YAML data with text keys."""
    problem = plain_data_problem(value) if isinstance(value, dict) else "is not a mapping"
    if problem:
        raise OptionError(f"option {key!r} {problem}", path=path, line=line)
    return dict(value)


_CHECKS: dict[str, Callable[..., Any]] = {
    "label": _check_label,
    "classes": _check_classes,
    "uses": _check_names,
    "exports": _check_names,
    "files": _check_files,
    "timeout": _check_timeout,
    "cache": _check_cache,
    "eval": _check_selection,
    "echo": _check_selection,
    "warning": _check_conditions,
    "message": _check_conditions,
    "tags": _check_tags,
    "fig-dim": _check_fig_dim,
    "dependson": _check_dependson,
    "engine": _check_engine,
    "ref-label": _check_names,
    "include": _check_bool,
    "error": _check_bool,
    "output": _check_output,
    "kernel": _check_kernel,
    "output-limit": _check_output_limit,
    "with": _check_with,
}


# --------------------------------------------------------------------------- small helpers


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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value: Any) -> str:
    """A value as a user would write it in YAML/JSON: `true`, `"text"`, `[1, 2]` (shortened)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
