"""Fenced divs: `:::` lines with attributes open a div whose content is ordinary Markdown.

Owns the block rule that finds a div and its closing fence as Pandoc does: an opening
fence has three or more colons and attributes (`::: {.callout-note}`, `::: columns`); a
line of colons alone closes the innermost open div, whatever its length; colons inside
code fences are not fences. The content is tokenized in the main token stream, so an
executable fence inside a callout or a tab is a block like any other.

MyST's colon directives (`:::{note}`, `:::{figure} path`) start with colons too: they
become the `fence` token a backtick fence gives (`info="{note} …"`, `markup=":::"`,
the body as content), closed by a colon line at least as long as the opening one, so
the directive plugin handles both spellings.

Token types owned here: `nf_div_open` / `nf_div_close`, with the div's `Attributes` in
`meta["nf_attributes"]`. Later core rules re-type callouts, tabsets and layouts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.utils import is_code_block

from ...frontmatter import dotted_value
from .attributes import Attributes, html_attributes, parse_div_info

_COLON_LINE = re.compile(r"^(:{3,})[ \t]*(.*?)[ \t]*$")
_TRAILING_COLONS = re.compile(r"[ \t]+:+$")
_MYST_DIRECTIVE = re.compile(r"^\{[A-Za-z][\w:+-]*(?:\s[^{}]*)?\}")
"""`:::{note}`, and mystmd's inline options `:::{warning .simple open=true}`."""
_CODE_FENCE = re.compile(r"^(`{3,}|~{3,})")

OPEN = "nf_div_open"
CLOSE = "nf_div_close"


def plugin(md: MarkdownIt) -> None:
    md.block.ruler.before(
        "fence",
        "nf_fenced_div",
        fenced_div,
        {"alt": ["paragraph", "reference", "blockquote", "list", "footnote_def"]},
    )
    md.add_render_rule(OPEN, render_div_open)
    md.add_render_rule(CLOSE, render_div_close)


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def fenced_div(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if is_code_block(state, start_line):
        return False
    match = _COLON_LINE.match(_line(state, start_line))
    if match is None or not match[2]:
        return False
    info = _TRAILING_COLONS.sub("", match[2])
    if _MYST_DIRECTIVE.match(info):
        return silent or _colon_directive(state, start_line, end_line, match[1], info)
    attributes = parse_div_info(info)
    if attributes is None:
        return False
    if not silent:
        _div(state, start_line, end_line, match[1], attributes)
    return True


def _div(
    state: StateBlock, start_line: int, end_line: int, markup: str, attributes: Attributes
) -> None:
    close_line, closed = _closing_line(state, start_line, end_line)
    old_parent, old_line_max = state.parentType, state.lineMax
    state.parentType = "nf_div"
    state.lineMax = close_line  # no lazy continuation past the closing fence
    token = state.push(OPEN, "div", 1)
    token.markup, token.block, token.map = markup, True, [start_line, close_line]
    token.info = _line(state, start_line)[len(markup) :].strip()
    token.meta["nf_attributes"] = attributes
    state.md.block.tokenize(state, start_line + 1, close_line)
    token = state.push(CLOSE, "div", -1)
    token.markup, token.block = markup, True
    state.parentType, state.lineMax = old_parent, old_line_max
    state.line = close_line + (1 if closed else 0)


def _closing_line(state: StateBlock, start_line: int, end_line: int) -> tuple[int, bool]:
    """The line of the fence that closes the div opened at `start_line`, and whether one
    was found (an unclosed div ends with its container)."""
    depth = 0
    code_fence = ""
    for line in range(start_line + 1, end_line):
        text = _line(state, line)
        if text and state.sCount[line] < state.blkIndent:
            return line, False
        if is_code_block(state, line):
            continue
        if code_fence:
            if text.startswith(code_fence) and not text.strip(code_fence[0]).strip():
                code_fence = ""
            continue
        fence = _CODE_FENCE.match(text)
        if fence:
            code_fence = fence[1]
            continue
        colons = _COLON_LINE.match(text)
        if colons is None:
            continue
        if not colons[2]:
            if depth == 0:
                return line, True
            depth -= 1
        elif _opens_div(colons[2]):
            depth += 1
    return end_line, False


def _opens_div(info: str) -> bool:
    info = _TRAILING_COLONS.sub("", info)
    return bool(_MYST_DIRECTIVE.match(info)) or parse_div_info(info) is not None


def _colon_directive(
    state: StateBlock, start_line: int, end_line: int, markup: str, info: str
) -> bool:
    """A MyST `:::{name} args` directive, as the fence token a backtick fence gives."""
    close_line, closed = _directive_end(state, start_line, end_line, len(markup))
    token = state.push("fence", "code", 0)
    token.info = info
    token.markup = markup
    token.content = state.getLines(start_line + 1, close_line, state.sCount[start_line], True)
    state.line = close_line + (1 if closed else 0)
    token.map = [start_line, state.line]
    return True


def _directive_end(
    state: StateBlock, start_line: int, end_line: int, length: int
) -> tuple[int, bool]:
    for line in range(start_line + 1, end_line):
        text = _line(state, line)
        if text and state.sCount[line] < state.blkIndent:
            return line, False
        colons = _COLON_LINE.match(text)
        if colons and not colons[2] and len(colons[1]) >= length and not is_code_block(state, line):
            return line, True
    return end_line, False


def matching_close(tokens: list[Token], open_index: int) -> int:
    """The index of the token that closes the one opened at `open_index`."""
    depth = 0
    for index in range(open_index, len(tokens)):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    return len(tokens) - 1


def child_ranges(tokens: list[Token], open_index: int, close_index: int) -> list[range]:
    """The token ranges of the direct children of the block opened at `open_index`."""
    ranges = []
    index = open_index + 1
    while index < close_index:
        end = matching_close(tokens, index) if tokens[index].nesting == 1 else index
        ranges.append(range(index, end + 1))
        index = end + 1
    return ranges


def render_div_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    attributes: Attributes = tokens[idx].meta["nf_attributes"]
    values = html_attributes(attributes, skip=_COLUMN_WIDTH if _is_column(attributes) else _NONE)
    if _is_column(attributes) and attributes.get("width"):
        style = f"width:{attributes.get('width')};" + values.get("style", "")
        values["style"] = style
    if tokens[idx].meta.get(HIDDEN):
        values["hidden"] = "hidden"
    if tokens[idx].meta.get("nf_layout"):
        values["class"] = " ".join(["quarto-layout-panel", "nf-layout", *attributes.classes])
    return f"<div{attributes_html(values)}>\n"


def render_div_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</div>\n"


HTML_FORMATS = frozenset(("html", "html4", "html5", "html:js"))
"""The format names Quarto's `when-format` / `unless-format` match for an HTML page."""

HIDDEN = "nf_hidden"
"""`token.meta` key set on a conditional div an HTML page leaves out."""


def shown_in_html(attributes: Attributes, meta: Mapping[str, Any] | None = None) -> bool:
    """False for Quarto conditional content that an HTML page leaves out
    (`.content-visible when-format="pdf"`, `.content-hidden when-meta="draft"`). Blocks
    inside still run, as in Quarto; the page hides the div."""
    holds = _conditions_hold(attributes, meta or {})
    if attributes.has_class("content-visible"):
        return holds is None or holds
    if attributes.has_class("content-hidden"):
        return holds is False
    return True


def _conditions_hold(attributes: Attributes, meta: Mapping[str, Any]) -> bool | None:
    """Whether every `when-*` condition holds and no `unless-*` one does; None when the
    div has none. Profiles: noteflow has none active."""
    tests = {
        "format": lambda value: value in HTML_FORMATS,
        "meta": lambda value: dotted_value(meta, value) is True,
        "profile": lambda value: False,
    }
    results = []
    for key, value in attributes.values.items():
        prefix, _, kind = key.partition("-")
        if prefix in ("when", "unless") and kind in tests:
            results.append(tests[kind](value) == (prefix == "when"))
    return all(results) if results else None


_COLUMN_WIDTH = frozenset(("width",))
_NONE: frozenset[str] = frozenset()


def _is_column(attributes: Attributes) -> bool:
    return attributes.has_class("column")


def attributes_html(values: Mapping[str, str]) -> str:
    """` key="value"` for each attribute, escaped."""
    return "".join(f' {escapeHtml(k)}="{escapeHtml(str(v))}"' for k, v in values.items())
