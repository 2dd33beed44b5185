"""Building the markdown-it tokens a directive becomes.

Structure (`<div class="admonition note">`, `<figure>`, `<table>`) is made of plain tag
tokens, which markdown-it's default renderer writes out; only what needs the render
stage (numbers, references, glued outputs, highlighted code) gets a token type of its
own with a render rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from markdown_it.token import Token

from ..crossref import TargetMark
from .calls import DirectiveCall

if TYPE_CHECKING:
    from .expand import Expander


def open_tag(
    call: DirectiveCall,
    tag: str,
    *,
    classes: Iterable[str] = (),
    ident: str = "",
    attrs: dict[str, str] | None = None,
) -> Token:
    """An opening block tag token, with its classes, id and other attributes."""
    token = Token(f"myst_{tag}_open", tag, 1, map=call.map, level=call.level, block=True)
    names = " ".join(c for c in classes if c)
    if ident:
        token.attrSet("id", ident)
    if names:
        token.attrSet("class", names)
    for key, value in (attrs or {}).items():
        token.attrSet(key, value)
    return token


def close_tag(call: DirectiveCall, tag: str) -> Token:
    return Token(f"myst_{tag}_close", tag, -1, map=call.map, level=call.level, block=True)


def void_tag(call: DirectiveCall, tag: str, attrs: dict[str, str]) -> Token:
    """A tag without content (`<input>`, `<col>`)."""
    token = Token(f"myst_{tag}", tag, 0, map=call.map, level=call.level, block=True)
    for key, value in attrs.items():
        token.attrSet(key, value)
    return token


def inline(call: DirectiveCall, content: str, **meta: Any) -> Token:
    """Inline Markdown (a title, a caption), parsed by the core `inline` rule."""
    return Token(
        "inline", "", 0, map=call.map, level=call.level + 1, content=content, children=[], meta=meta
    )


def text_inline(call: DirectiveCall, text: str) -> Token:
    """Inline text that is not Markdown (a path, a term as written)."""
    child = Token("text", "", 0, content=text)
    return Token("inline", "", 0, map=call.map, level=call.level + 1, children=[child])


def leaf(call: DirectiveCall, kind: str, content: str = "", **meta: Any) -> Token:
    """A token of one of this package's own types (`myst_code`, `myst_math`, …)."""
    return Token(
        kind, "", 0, map=call.map, level=call.level, content=content, meta=meta, block=True
    )


def wrap(
    call: DirectiveCall,
    tag: str,
    inner: list[Token],
    *,
    classes: Iterable[str] = (),
    ident: str = "",
    attrs: dict[str, str] | None = None,
) -> list[Token]:
    return [
        open_tag(call, tag, classes=classes, ident=ident, attrs=attrs),
        *inner,
        close_tag(call, tag),
    ]


def titled(call: DirectiveCall, tag: str, title: str, title_class: str) -> list[Token]:
    """A title element (`<p class="admonition-title">Note</p>`) with Markdown in it."""
    return wrap(call, tag, [inline(call, title)], classes=[title_class])


def mark_target(token: Token, label: str, kind: str, title: str = "") -> None:
    """Declare `token` as the target `label` for the cross-reference stage."""
    if label:
        token.meta["nf_target"] = TargetMark(label, kind, title)


def first_inline(tokens: Iterable[Token]) -> Token | None:
    return next((t for t in tokens if t.type == "inline"), None)


def figure_of(
    call: DirectiveCall,
    expander: Expander,
    content: Callable[[], list[Token]],
    classes: Iterable[str] = (),
) -> list[Token]:
    """A `<figure>` around `content()` (a value the directive shows): the body is its
    caption, `:name:` its numbered target, `:figwidth:` its width."""
    body = expander.body(call)
    caption = first_inline(body)
    if caption is not None and call.label:
        caption.meta["myst_number"] = call.label
    width = call.text_option("figwidth")
    attrs = {"style": f"width: {width}"} if width else {}
    start = open_tag(
        call,
        "figure",
        classes=["nf-figure", "myst-figure", *classes, *call.classes],
        ident=call.label,
        attrs=attrs,
    )
    mark_target(start, call.label, "fig", caption.content if caption else "")
    tokens = [start, *content()]
    if body:
        tokens += wrap(call, "figcaption", body)
    return [*tokens, close_tag(call, "figure")]
