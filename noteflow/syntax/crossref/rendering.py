"""Render rules for the cross-reference tokens: references, listings, labelled equations."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from .references import Reference
from .targets import NBSP, Xrefs, caption_html, equation_number, reference_link, reference_text


def render_references(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    xrefs = env.get("nf_xrefs")
    if not isinstance(xrefs, Xrefs):  # Markdown rendered outside a document
        return html.escape(token.content)
    parts = [_reference_html(reference, xrefs) for reference in token.meta["nf_refs"]]
    return f"{xrefs.ref_delim} ".join(parts)


def _reference_html(reference: Reference, xrefs: Xrefs) -> str:
    target = xrefs.lookup(reference.label)
    if target is None:
        return f"<strong>?@{html.escape(reference.label)}</strong>"
    if reference.prefix is not None:
        text = f"{reference.prefix}{NBSP}{reference_text(target, number_only=True)}"
    else:
        text = reference_text(target, upper=reference.upper, number_only=reference.number_only)
    suffix = html.escape(reference.suffix)
    if not xrefs.hyperlink:
        return html.escape(text) + suffix
    return reference_link(target, text) + suffix


def render_listing(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    label, language = token.meta["nf_listing"]
    code = Token("fence", "code", 0, content=token.content, info=language, markup=token.markup)
    code.meta = {k: v for k, v in token.meta.items() if k != "nf_listing"}  # annotations
    code_html = self.rules["fence"]([code], 0, options, env) if "fence" in self.rules else ""
    xrefs = env.get("nf_xrefs")
    target = xrefs.lookup(label) if isinstance(xrefs, Xrefs) else None
    if target is None:
        return str(code_html)
    caption = caption_html(target, _CAPTION_MARKDOWN.renderInline(target.title))
    return (
        f'<div id="{html.escape(target.anchor)}" class="quarto-float quarto-figure'
        ' quarto-figure-left">\n<figure class="quarto-float quarto-float-lst nf-listing">'
        '<figcaption class="quarto-float-caption quarto-float-lst nf-listing-caption">'
        f"{caption}</figcaption>\n{code_html}</figure>\n</div>\n"
    )


_CAPTION_MARKDOWN = MarkdownIt("commonmark", {"html": False})
"""A listing's caption (`lst-cap="Customers _query_"`) is Markdown, as in Quarto."""


def wrap_equation_render(md: MarkdownIt) -> None:
    """Labelled display math gets its number at its right and the label as its id."""
    renderer: Any = md.renderer
    rules = renderer.rules
    unlabelled = rules.get("math_block")
    if unlabelled is None:
        return

    def render(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        math = unlabelled(tokens, idx, options, env)
        xrefs = env.get("nf_xrefs")
        target = xrefs.lookup(token.info) if isinstance(xrefs, Xrefs) else None
        anchor = html.escape(target.anchor if target else token.info)
        number = equation_number(target) if target and target.number else ""
        return (
            f'<div id="{anchor}" class="nf-equation">{math}'
            f'<span class="nf-equation-number">{html.escape(number)}</span></div>\n'
        )

    md.add_render_rule("math_block_label", render)
