"""The render stage's entry points: a `Document` and its block results to one HTML page.

The parse stage's tokens are rendered once (no second parse) by the shared markdown-it
parser, whose fence and inline-code rules defer to `Hooks` (`blocks.py`); the theme
(`theme.py`) wraps the body with the page's metadata, contents and footer.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import __version__
from ..markdown import markdown_parser
from ..mathml import math_font_style
from ..model import BlockId, BlockResult, Document, RunSummary
from ..store import Store
from ..theme import Theme, load_theme, render_page
from .blocks import Hooks
from .pageoptions import page_meta, table_of_contents


def render_html(
    document: Document,
    summary: RunSummary,
    store: Store,
    theme: Theme | None = None,
    body_html: str | None = None,
    extra_head: str = "",
) -> str:
    """The whole page as a string (the live preview passes its own body and script)."""
    theme = theme or load_theme(str(document.front_matter.get("theme") or "default"))
    body = render_body(document, summary.results, store) if body_html is None else body_html
    footer = {"noteflow": __version__, **summary.kernel_versions}
    meta = page_meta(document, summary.results)
    return render_page(
        theme,
        title=str(meta.get("title") or document.title),
        body_html=body,
        meta=meta,
        toc=table_of_contents(document),
        footer=footer,
        extra_head=extra_head + math_font_style(body),
    )


def render_body(document: Document, results: Mapping[BlockId, BlockResult], store: Store) -> str:
    """The page's body: the document's tokens rendered, blocks with their results."""
    md = markdown_parser()
    hooks = Hooks(document, {str(k): v for k, v in results.items()}, store)
    env = {**document.env, "nf": hooks}
    return md.renderer.render(list(document.tokens), md.options, env)
