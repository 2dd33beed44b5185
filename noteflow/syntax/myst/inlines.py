"""The core rule that runs after inline parsing: `(label)=` targets, image sizes and
caption numbers of directives, role lines for messages, and `{eval}` roles.

`{eval}`expr`` becomes the inline expression `` `{python} expr` `` the parse stage runs
(in the language of the front matter's `kernelspec`, Python by default), so it is
cached and rendered like any other inline expression.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType

from ...adapters import adapter_for_fence
from ...frontmatter import front_matter_of
from ..crossref import is_reference_type
from .blocks import term_id
from .dialect import is_myst_document
from .roles import LINK_REFERENCE
from .tokens import mark_target

_NOT_ELEMENTS = frozenset({"myst_line_comment", "myst_block_break"})
"""Tokens a `(label)=` line looks past for the element it names."""


def after_inline(state: StateCore) -> None:
    """Core rule (after `inline`)."""
    attach_targets(state.tokens)
    if is_myst_document(state.env, state.src):
        attribute_targets(state.tokens)
        glossary_lists(state.tokens, state.env)
        for token in state.tokens:
            if token.type == "inline" and token.children:
                token.children = link_references(token.children)
    for token in state.tokens:
        if token.type == "inline":
            _finish_inline(token, state.tokens)


def _finish_inline(token: Token, tokens: list[Token]) -> None:
    children = token.children or []
    for key, value in token.meta.get("myst_image", {}).items():
        for child in children:
            if child.type == "image":
                child.attrSet(key, value)
    if token.meta.get("myst_lead"):
        lead = html.escape(str(token.meta["myst_lead"]))
        span = f'<span class="versionmodified">{lead}</span>'
        children.insert(0, Token("html_inline", "", 0, content=span))
    if token.meta.get("myst_number"):
        children.insert(0, Token("myst_number", "", 0, meta={"label": token.meta["myst_number"]}))
    line = token.map[0] + 1 if token.map else "?"
    for child in _roles(children):
        child.meta["line"] = line
        if child.meta.get("name") == "eval":
            child.type, child.tag, child.markup = "code_inline", "code", "`"
            child.content = f"{{{eval_language(tokens)}}} {child.content.strip()}"


def _roles(children: list[Token]) -> Iterator[Token]:
    for child in children:
        if child.type == "myst_role":
            yield child
        yield from _roles(child.children or [])


def eval_language(tokens: list[Token]) -> str:
    """The fence name `{eval}` expressions run in: the front matter's kernelspec language
    (or kernel name) when noteflow has an adapter for it, else `python`."""
    spec = front_matter_of(tokens).get("kernelspec")
    if isinstance(spec, dict):
        for candidate in (spec.get("language"), spec.get("name")):
            if candidate and adapter_for_fence(str(candidate).lower()) is not None:
                return str(candidate).lower()
    return "python"


# ---------------------------------------------------------------------------- targets


def link_references(children: list[Token]) -> list[Token]:
    """Links to a target whose text MyST fills in (`[](#label)`, `<project:#label>`,
    `[Sec. %s](#label)`) become reference tokens, rendered once targets are numbered."""
    result: list[Token] = []
    at = 0
    while at < len(children):
        reference = _link_reference(children, at)
        if reference is None:
            result.append(children[at])
            at += 1
        else:
            token, at = reference
            result.append(token)
    return result


def _link_reference(children: list[Token], at: int) -> tuple[Token, int] | None:
    """(the reference token, the index after the link) for a fillable link at `at`."""
    link = children[at]
    href = str(link.attrGet("href") or "") if link.type == "link_open" else ""
    label = href.removeprefix("project:").removeprefix("#") if _TARGET_HREF.match(href) else ""
    if not label:
        return None
    end = next((i for i in range(at + 1, len(children)) if children[i].type == "link_close"), -1)
    if end == -1:
        return None
    inner = children[at + 1 : end]
    text = inner[0].content if len(inner) == 1 and inner[0].type == "text" else None
    if text == href or (not inner and text is None):
        text = ""  # `[](#label)`, or the autolink `<project:#label>`
    if text is None or (text and not _FILLED.search(text)):
        return None  # a link with its own text stays as written
    content = f"{text} <{label}>" if text else label
    token = Token("myst_role", "", 0, content=content, meta={"name": LINK_REFERENCE})
    return token, end + 1


_TARGET_HREF = re.compile(r"^(?:project:)?#[^#\s]+$")
_FILLED = re.compile(r"%s|\{number\}|\{name\}")


def attribute_targets(tokens: list[Token]) -> None:
    """MyST's attribute ids (`{#mypara}` before a paragraph, `[span]{#spanid}`, a link's
    or image's `{#id}`) are targets `{ref}` can point to, as MyST-Parser makes them.
    Ids the cross-reference stage already numbers (`fig-`, `tbl-` …) are left to it."""
    for token in tokens:
        if token.nesting == 1 and token.type != "heading_open":
            _attribute_target(token)
        for child in token.children or ():
            if child.type in ("span_open", "link_open", "code_inline", "image"):
                _attribute_target(child)


def _attribute_target(token: Token) -> None:
    ident = str(token.attrGet("id") or "")
    if ident and "nf_target" not in token.meta and not _numbered_elsewhere(ident):
        mark_target(token, ident, "target")


def _numbered_elsewhere(ident: str) -> bool:
    kind, dash, _ = ident.partition("-")
    return bool(dash) and is_reference_type(kind)


def glossary_lists(tokens: list[Token], env: EnvType) -> None:
    """A definition list with the class `glossary` (`{.glossary}` before it): its terms
    get anchors and count as glossary terms for `{term}`."""
    terms_seen = env.setdefault("nf_myst_terms", set())
    inside = 0
    for index, token in enumerate(tokens):
        if token.type == "dl_open":
            inside += 1 if inside or "glossary" in str(token.attrGet("class") or "").split() else 0
        elif token.type == "dl_close" and inside:
            inside -= 1
        elif token.type == "dt_open" and inside and not token.attrGet("id"):
            ident = term_id(_text(tokens[index + 1]))
            token.attrSet("id", ident)
            terms_seen.add(ident)


def attach_targets(tokens: list[Token]) -> None:
    """Each `(label)=` names the element after it: a heading becomes a `sec` target, an
    unnamed figure or captioned table a numbered one, any other block element a plain
    target; the label is the element's id. Where no element can carry it, the target line
    itself renders an empty anchor."""
    for index, token in enumerate(tokens):
        if token.type != "myst_target":
            continue
        label = token.content.strip()
        at = _next_element(tokens, index)
        if at is None or not _adopt(tokens, at, label):
            token.meta["nf_anchor"] = True
            mark_target(token, label, "target")


def _next_element(tokens: list[Token], index: int) -> int | None:
    for at in range(index + 1, len(tokens)):
        if tokens[at].type not in _NOT_ELEMENTS:
            return at
    return None


def _adopt(tokens: list[Token], at: int, label: str) -> bool:
    """Give the element at `at` the id `label` and its target; False if it cannot."""
    element = tokens[at]
    if element.nesting != 1 or not element.tag or element.hidden or element.attrGet("id"):
        return False
    if "nf_target" in element.meta:
        return False
    element.attrSet("id", label)
    if element.type == "heading_open":
        mark_target(element, label, "sec", _text(tokens[at + 1]))
    elif element.type == "myst_figure_open":
        caption = _caption(tokens, at, "myst_figcaption_open")
        mark_target(element, label, "fig", caption.content if caption else "")
    elif element.type == "table_open" and tokens[at + 1].type == "myst_caption_open":
        caption = tokens[at + 2]
        caption.meta["myst_number"] = label
        mark_target(element, label, "tbl", caption.content)
    else:
        mark_target(element, label, "target")
    return True


def _caption(tokens: list[Token], at: int, opener: str) -> Token | None:
    """The first inline token of the element's caption, now numbered as `label`'s."""
    depth = 0
    for index in range(at, len(tokens)):
        depth += tokens[index].nesting
        if depth <= 0:
            return None
        if tokens[index].type == opener:
            caption = next((t for t in tokens[index:] if t.type == "inline"), None)
            if caption is not None and tokens[at].attrGet("id"):
                caption.meta["myst_number"] = tokens[at].attrGet("id")
            return caption
    return None


def _text(token: Token) -> str:
    """The plain text of an inline token (a heading's title)."""
    if token.type != "inline":
        return ""
    parts = [c.content for c in token.children or () if c.type in ("text", "code_inline")]
    return "".join(parts) or token.content
