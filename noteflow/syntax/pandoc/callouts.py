"""Quarto callouts: `::: {.callout-note}` … `:::` as a titled, coloured box.

Owns turning a callout div's tokens into the callout's parts and rendering them as
Quarto's HTML callouts do: an icon and a title bar (`title="…"`, else a first heading
inside, else the kind's name), the body, `collapse="true|false"` as a `<details>`
(closed or open), `appearance="default|simple|minimal"` and `icon=false`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from ..crossref import is_reference_type
from .attributes import Attributes, html_attributes
from .divs import attributes_html, child_ranges, matching_close
from .floats import caption_prefix_html

KINDS = ("note", "tip", "warning", "important", "caution")
_OWN_KEYS = frozenset(("title", "collapse", "appearance", "icon"))


@dataclass(frozen=True, slots=True)
class Callout:
    """How one callout is shown."""

    kind: str
    """`note`, `tip`, `warning`, `important` or `caution`."""
    collapse: str
    """`""` (not collapsible), `"true"` (starts closed) or `"false"` (starts open)."""
    appearance: str
    icon: bool
    titled: bool
    label: str = ""
    """The callout's id when it is a cross-reference target (`#nte-x`, `#tip-x`)."""
    own_title: bool = True
    """False when the title is only the kind's name, which a numbered callout drops."""


def callout_kind(attributes: Attributes) -> str | None:
    for name in attributes.classes:
        if name.startswith("callout-") and name[len("callout-") :] in KINDS:
            return name[len("callout-") :]
    return None


def transform(tokens: list[Token], open_index: int, kind: str, state: StateCore) -> None:
    """Re-type the callout div at `open_index` into header and body parts, in place."""
    opening = tokens[open_index]
    attributes: Attributes = opening.meta["nf_attributes"]
    label = attributes.id if is_reference_type(attributes.id.split("-", 1)[0]) else ""
    title = _take_title(tokens, open_index, attributes, kind, state)
    own_title = title is not None and title.meta.get("nf_default_title") is None
    if label and not own_title:  # "Note 1", not "Note 1: Note"
        title = _inline("", state)
    appearance = attributes.get("appearance", "default")
    callout = Callout(
        kind=kind,
        collapse=attributes.get("collapse").lower() if title else "",
        appearance=appearance,
        icon=attributes.get("icon", "true").lower() != "false" and appearance != "minimal",
        titled=title is not None,
        label=label,
        own_title=own_title,
    )
    opening.type = "nf_callout_open"
    opening.meta["nf_callout"] = callout
    close_index = matching_close(tokens, open_index)
    tokens[close_index].type = "nf_callout_close"
    tokens[close_index].meta["nf_callout"] = callout
    tokens.insert(close_index, _token("nf_callout_body_close", -1, callout))
    header = (
        []
        if title is None
        else [
            _token("nf_callout_header_open", 1, callout),
            title,
            _token("nf_callout_header_close", -1, callout),
        ]
    )
    tokens[open_index + 1 : open_index + 1] = [
        *header,
        _token("nf_callout_body_open", 1, callout),
    ]


def _token(kind: str, nesting: Literal[-1, 0, 1], callout: Callout) -> Token:
    token = Token(kind, "div", nesting, block=True)
    token.meta["nf_callout"] = callout
    return token


def _take_title(
    tokens: list[Token], open_index: int, attributes: Attributes, kind: str, state: StateCore
) -> Token | None:
    """The title's inline token: `title="…"`, else a first heading (removed from the
    body), else the kind's name; None for a title-less simple or minimal callout."""
    if attributes.get("title"):
        return _inline(attributes.get("title"), state)
    children = child_ranges(tokens, open_index, matching_close(tokens, open_index))
    if children and tokens[children[0].start].type == "heading_open":
        heading = children[0]
        title = tokens[heading.start + 1]
        del tokens[heading.start : heading.stop]
        return title
    if attributes.get("appearance", "default") == "default":
        title = _inline(kind.capitalize(), state)
        title.meta["nf_default_title"] = True
        return title
    return None


def _inline(text: str, state: StateCore) -> Token:
    """An inline token for `text`, parsed (the core inline rule has already run)."""
    children: list[Token] = []
    state.md.inline.parse(text, state.md, state.env, children)
    for child in children:
        if child.type == "text_special":  # what the core text_join rule would have done
            child.type = "text"
    return Token("inline", "", 0, content=text, children=children)


def render_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    callout: Callout = tokens[idx].meta["nf_callout"]
    attributes: Attributes = tokens[idx].meta["nf_attributes"]
    values = html_attributes(attributes, skip=_OWN_KEYS)
    classes = [
        "callout",
        f"callout-{callout.kind}",
        f"callout-style-{callout.appearance}",
        "callout-titled" if callout.titled else "callout-untitled",
        *("callout-no-icon",)[: not callout.icon],
    ]
    values["class"] = " ".join(dict.fromkeys([*classes, *attributes.classes]))
    tag = "details" if callout.collapse else "div"
    opened = " open" if callout.collapse == "false" else ""
    return f"<{tag}{attributes_html(values)}{opened}>\n"


def render_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    callout: Callout = tokens[idx].meta["nf_callout"]
    return "</details>\n" if callout.collapse else "</div>\n"


def render_header_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    callout: Callout = tokens[idx].meta["nf_callout"]
    tag = "summary" if callout.collapse else "div"
    icon = ICON_HTML if callout.icon else ""
    number = caption_prefix_html(env, callout.label, delimiter=callout.own_title)
    return (
        f'<{tag} class="callout-header">{icon}'
        f'<span class="callout-title callout-title-container">{number}'
    )


ICON_HTML = (
    '<span class="callout-icon-container" aria-hidden="true"><i class="callout-icon"></i></span>'
)
"""Quarto's icon markup (`.callout-icon-container i.callout-icon`); CSS draws the icon."""


def render_header_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    callout: Callout = tokens[idx].meta["nf_callout"]
    return "</span></summary>\n" if callout.collapse else "</span></div>\n"


def render_body_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    callout: Callout = tokens[idx].meta["nf_callout"]
    icon = ICON_HTML if callout.icon and not callout.titled else ""
    return f'<div class="callout-body">{icon}\n'


def render_body_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</div>\n"


RENDER_RULES = {
    "nf_callout_open": render_open,
    "nf_callout_close": render_close,
    "nf_callout_header_open": render_header_open,
    "nf_callout_header_close": render_header_close,
    "nf_callout_body_open": render_body_open,
    "nf_callout_body_close": render_body_close,
}
