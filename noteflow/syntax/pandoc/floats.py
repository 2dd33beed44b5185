"""Quarto cross-reference divs: `::: {#fig-x}` and `::: {#tbl-x}` are numbered floats.

Owns re-typing such a div into a float whose last paragraph (or `fig-cap` / `tbl-cap`
attribute) is its caption, as in Quarto ("Figure 1: …" under a figure, "Table 1: …"
above a table), in Quarto's markup: `div#fig-x.quarto-float > figure.quarto-float-fig >
figcaption.quarto-float-caption`, so Quarto users' CSS and links apply. The
cross-reference stage numbers the div by its id; images with captions inside it are its
sub-figures, "(a)", "(b)" (see `images.py`). A layout on the same div lays out the other
children.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from ..crossref import caption_prefix
from .attributes import Attributes, html_attributes
from .divs import attributes_html, child_ranges, matching_close

KINDS = {"fig": "figure", "tbl": "table"}
FLOAT_OPEN, FLOAT_CLOSE = "nf_float_open", "nf_float_close"
CAPTION_OPEN, CAPTION_CLOSE = "nf_float_caption_open", "nf_float_caption_close"


def float_kind(attributes: Attributes) -> str | None:
    kind = attributes.id.split("-", 1)[0]
    return kind if "-" in attributes.id and kind in KINDS else None


def transform(tokens: list[Token], open_index: int, kind: str, state: StateCore) -> None:
    """Re-type the float div at `open_index`; its last paragraph (or its `fig-cap` /
    `tbl-cap` attribute) becomes its caption."""
    opening = tokens[open_index]
    close_index = matching_close(tokens, open_index)
    opening.type, tokens[close_index].type = FLOAT_OPEN, FLOAT_CLOSE
    opening.meta["nf_float"] = tokens[close_index].meta["nf_float"] = kind
    children = child_ranges(tokens, open_index, close_index)
    attribute_caption = opening.meta["nf_attributes"].get(f"{kind}-cap")
    if attribute_caption:  # `::: {#fig-x fig-cap="…"}`: the caption is not a paragraph
        tokens[close_index:close_index] = _caption_tokens(attribute_caption, state)
        children = child_ranges(tokens, open_index, matching_close(tokens, open_index))
    elif len(children) < 2 or tokens[children[-1].start].type != "paragraph_open":
        return
    caption = tokens[children[-1].start : children[-1].stop]
    caption[0].type, caption[-1].type = CAPTION_OPEN, CAPTION_CLOSE
    caption[0].meta["nf_label"] = opening.meta["nf_attributes"].id
    if kind == "tbl":  # Quarto puts a table's caption above it
        del tokens[children[-1].start : children[-1].stop]
        tokens[open_index + 1 : open_index + 1] = caption


def _caption_tokens(markdown: str, state: StateCore) -> list[Token]:
    """A paragraph's tokens for a caption written in an attribute (parsed as Markdown)."""
    children: list[Token] = []
    state.md.inline.parse(markdown, state.md, state.env, children)
    inline = Token("inline", "", 0, content=markdown, children=children)
    return [Token("paragraph_open", "p", 1), inline, Token("paragraph_close", "p", -1)]


def is_caption(token: Token) -> bool:
    return token.type == CAPTION_OPEN


def render_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Quarto's float markup: a `div` with the id around a `figure` with the content."""
    attributes: Attributes = tokens[idx].meta["nf_attributes"]
    kind = tokens[idx].meta["nf_float"]
    values = html_attributes(attributes)
    align = attributes.get(f"{kind}-align") or "center"
    outer = ["quarto-float", f"quarto-{KINDS[kind]}", f"quarto-figure-{align}", "nf-float"]
    own = [c for c in attributes.classes if c != "list-table"]  # the table is inside
    values["class"] = " ".join([*outer, *own])
    inner = ["quarto-float", f"quarto-float-{kind}"]
    if tokens[idx].meta.get("nf_layout"):
        inner += ["quarto-layout-panel", "nf-layout"]
    return f'<div{attributes_html(values)}>\n<figure class="{" ".join(inner)}">\n'


def render_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</figure>\n</div>\n"


def caption_prefix_html(env: EnvType, label: str, *, delimiter: bool = True) -> str:
    """`<span …>Figure 1:</span> ` for a numbered target's caption; "" for any other.

    The caption's text follows as separate tokens, so this is `crossref.caption_html`
    without the caption (and without the `:` when there is no caption text)."""
    xrefs = env.get("nf_xrefs")
    target = xrefs.lookup(label) if xrefs is not None and label else None
    if target is None or not caption_prefix(target):
        return ""
    delimiter = delimiter and not target.sub
    prefix = caption_prefix(target) + (target.title_delim if delimiter else "")
    return f'<span class="nf-caption-prefix">{escapeHtml(prefix)}</span> '


def render_caption_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    kind = tokens[idx].meta["nf_label"].split("-", 1)[0]
    prefix = caption_prefix_html(env, tokens[idx].meta["nf_label"])
    return f'<figcaption class="quarto-float-caption quarto-float-{kind}">{prefix}'


def render_caption_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</figcaption>\n"


RENDER_RULES = {
    FLOAT_OPEN: render_open,
    FLOAT_CLOSE: render_close,
    CAPTION_OPEN: render_caption_open,
    CAPTION_CLOSE: render_caption_close,
}
