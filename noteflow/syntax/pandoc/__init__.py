"""Pandoc and Quarto prose syntax, as one markdown-it plugin.

- `divs`: fenced divs `:::` (and MyST `:::{directive}` as fences);
- `callouts`, `tabsets`, `floats`, `layout`: what a div's classes and attributes make
  of it (a callout, a tabset, a numbered figure or table, a grid of cells);
- `headings`: heading attributes `## Data {#data .cls}` and bracketed spans `[text]{.cls}`;
- `tables`: table captions (`: Caption {#tbl-x}`, `Table: …`) and grid tables;
- `list_tables`: `::: {.list-table}` around a list of lists is a table;
- Pandoc's `H~2~O` subscripts and `2^10^` superscripts (mdit-py-plugins' own rules).

This module installs them and runs the core rule that gives each div its kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin

from ...frontmatter import front_matter_of
from . import callouts, divs, floats, headings, layout, list_tables, tables, tabsets
from .attributes import Attributes


def plugin(md: MarkdownIt) -> None:
    """Add the Pandoc syntax rules and the render rules of their tokens to `md`."""
    divs.plugin(md)
    md.use(sub_plugin)
    md.use(superscript_plugin)
    headings.plugin(md)
    tables.plugin(md)
    # After inline parsing and heading attributes (a tab's or a callout's heading keeps
    # its attributes), before heading anchors (those headings are no longer headings).
    md.core.ruler.after("nf_heading_attributes", "nf_div_kinds", _div_kinds)
    for rules in (
        callouts.RENDER_RULES,
        tabsets.RENDER_RULES,
        layout.RENDER_RULES,
        floats.RENDER_RULES,
        list_tables.RENDER_RULES,
    ):
        for name, rule in rules.items():
            md.add_render_rule(name, rule)


def _div_kinds(state: StateCore) -> None:
    """Callouts, tabsets and layouts, outermost first; conditional content an HTML page
    leaves out stays a plain hidden div without its id (nothing links to it, nothing in
    it is numbered from it)."""
    tokens = state.tokens
    meta = front_matter(tokens)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == divs.OPEN:  # a kind re-types its token: each div is seen once
            attributes = token.meta["nf_attributes"]
            if divs.shown_in_html(attributes, meta):
                _give_kind(tokens, index, attributes, state)
            else:
                token.meta[divs.HIDDEN] = True
                token.meta["nf_attributes"] = replace(attributes, id="")
        index += 1


def front_matter(tokens: list[Token]) -> Mapping[str, Any]:
    """The document's front matter as a mapping (empty when it has none or it is bad)."""
    return front_matter_of(tokens)


def _give_kind(tokens: list, index: int, attributes: Attributes, state: StateCore) -> None:
    kind = callouts.callout_kind(attributes)
    if kind is not None:
        callouts.transform(tokens, index, kind, state)
        return
    if attributes.has_class("panel-tabset"):
        tabsets.transform(tokens, index, state.env)
        return
    if list_tables.is_list_table(attributes):
        list_tables.transform(tokens, index, where=_where(tokens[index], state))
    float_kind = floats.float_kind(attributes)
    if float_kind is not None:
        floats.transform(tokens, index, float_kind, state)
    if layout.is_layout(attributes):
        layout.transform(tokens, index, where=_where(tokens[index], state))


def _where(token: Token, state: StateCore) -> str:
    """`path:line` of a div, for warnings."""
    return f"{state.env.get('nf_document_path', '')}:{(token.map or [0])[0] + 1}"
