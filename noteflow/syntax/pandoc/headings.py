"""Heading attributes (`## Data {#data .cls key=v}`) and bracketed spans (`[text]{.cls}`).

Owns the core rule that moves a heading's trailing attribute block onto the heading
(the id is kept by the anchors plugin, which runs later; `{-}` is `.unnumbered`; the
braces are not shown), and the span syntax: mdit-py-plugins' attribute spans, with
`.mark` rendered as `<mark>` and `.underline` as `<u>`, as Pandoc writes them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.attrs import attrs_plugin

from .attributes import Attributes, html_attributes, parse_braced

_TRAILING_ATTRIBUTES = re.compile(r"[ \t]+(\{[^{}]*\})[ \t]*$")
_SPAN_TAGS = {"mark": "mark", "underline": "u"}


def plugin(md: MarkdownIt) -> None:
    if "anchor" in md.core.ruler.get_all_rules():
        md.core.ruler.before("anchor", "nf_heading_attributes", heading_attributes)
    else:
        md.core.ruler.push("nf_heading_attributes", heading_attributes)
    if "span" not in md.inline.ruler.get_all_rules():
        md.use(attrs_plugin, spans=True, after=())
    md.add_render_rule("span_open", render_span_open)
    md.add_render_rule("span_close", render_span_close)


def heading_attributes(state: StateCore) -> None:
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and index + 1 < len(tokens):
            attributes = _take_attributes(tokens[index + 1])
            if attributes is not None:
                _apply(token, attributes)


def _take_attributes(inline: Token) -> Attributes | None:
    """The trailing `{…}` of a heading's text, removed from it; None if there is none."""
    children = inline.children or []
    if not children or children[-1].type != "text":
        return None
    last = children[-1]
    match = _TRAILING_ATTRIBUTES.search(" " + last.content)
    if match is None:
        return None
    attributes = parse_braced(match[1])
    if attributes is None:
        return None
    last.content = (" " + last.content)[: match.start()].removeprefix(" ")
    inline.content = _TRAILING_ATTRIBUTES.sub("", inline.content)
    if not last.content:
        children.pop()
    return attributes


def _apply(heading: Token, attributes: Attributes) -> None:
    for key, value in html_attributes(attributes).items():
        if key == "class" and heading.attrGet("class"):
            value = f"{heading.attrGet('class')} {value}"
        heading.attrSet(key, value)
    heading.meta["nf_attributes"] = attributes


def _span_tag(token: Token) -> str:
    classes = str(token.attrGet("class") or "").split()
    return next((_SPAN_TAGS[name] for name in classes if name in _SPAN_TAGS), "span")


def render_span_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    token.tag = _span_tag(token)
    return self.renderToken(tokens, idx, options, env)


def render_span_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    depth = 0
    for index in range(idx, -1, -1):
        depth += tokens[index].nesting
        if depth == 0 and tokens[index].type == "span_open":
            tokens[idx].tag = _span_tag(tokens[index])
            break
    return self.renderToken(tokens, idx, options, env)
