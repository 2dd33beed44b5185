"""Which option names exist, and what each kind of name does to a block.

Owns the option name sets: the ones noteflow acts on (`KNOWN_OPTIONS`), the ones that change
what a block computes (`EXECUTION_OPTIONS`), shape the graph (`GRAPH_OPTIONS`) or only its
display (`DISPLAY_ONLY_OPTIONS`), the ones other tools define that noteflow reads without acting
on (`FOREIGN_OPTIONS`), knitr's checked and used options; the options in a cache key
(`key_options`); the warning for an unknown name; and the block name and option name patterns.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

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


_BLOCK_NAME = re.compile(r"[A-Za-z][\w+-]*")


_OPTION_NAME = re.compile(r"[A-Za-z_][\w.-]*")


def label_id(label: str) -> str:
    """The block id (and page anchor) of a label: runs of spaces become `-` (knitr allows
    `{r my chunk}`; an HTML id has no spaces)."""
    return re.sub(r"\s+", "-", label.strip())


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
