"""The markdown-it-py configurations: the document's, and the one for Markdown that code prints.

`markdown_parser` is shared by the parse and render stages, built once: CommonMark plus
tables, strikethrough, front matter, footnotes, task lists, dollar math, attributes,
heading anchors, admonitions and definition lists, with raw HTML allowed (it is the
author's own). Fences and inline code are rendered through hooks that the render stage
passes in the markdown-it `env` (key `nf`), so this module knows nothing of results.

`output_markdown_parser` renders `text/markdown` outputs, whose text comes from data
(`display(Markdown(df.to_markdown()))`): raw HTML is escaped and shown as text, and
markdown-it's link validation keeps `javascript:`, `vbscript:`, `file:` and non-image
`data:` URLs from becoming links. It has no front matter, attributes or heading anchors.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Protocol

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from .mathml import latex_to_html
from .syntax import install as install_syntax
from .syntax.pandoc.tables import plugin as pandoc_tables


class RenderHooks(Protocol):
    """What the render stage provides for executable fences and inline expressions."""

    def fence(self, token: Token) -> str | None: ...

    def code_inline(self, token: Token) -> str | None: ...


@functools.cache
def markdown_parser(myst: bool = False) -> MarkdownIt:
    """The shared parser; its render rules defer to `env["nf"]` hooks when present.

    `myst`: parse as MyST does, where inline math may have spaces inside its dollars
    (`$a + b $`); Pandoc, and so Quarto and R Markdown, do not allow them (`$5 and $10`
    is no math there). The render rules are the same either way."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    md.use(footnote_plugin)
    md.use(tasklists_plugin)
    md.use(dollarmath_plugin, renderer=_render_math, allow_space=myst, double_inline=True)
    md.use(attrs_plugin)
    md.use(attrs_block_plugin)
    md.use(anchors_plugin, min_level=1, max_level=4, permalink=True, permalinkSymbol="#")
    md.use(admon_plugin)
    md.use(deflist_plugin)
    install_syntax(md)
    _install_hooks(md)
    _install_table_wrapper(md)
    return md


@functools.cache
def output_markdown_parser() -> MarkdownIt:
    """The parser for Markdown that blocks output: raw HTML escaped, no hooks."""
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.use(pandoc_tables)  # `Table: caption` and grid tables, as knitr's kable() prints them
    md.use(footnote_plugin)
    md.use(tasklists_plugin)
    md.use(dollarmath_plugin, renderer=_render_math, allow_space=False, double_inline=True)
    md.use(admon_plugin)
    md.use(deflist_plugin)
    _install_table_wrapper(md)
    return md


def render_output_markdown(text: str) -> str:
    """Markdown from a block's output as HTML, with any raw HTML in it escaped."""
    return output_markdown_parser().render(text)


def _render_math(content: str, options: dict[str, Any]) -> str:
    return latex_to_html(content, display=bool(options.get("display_mode")))


def _install_hooks(md: MarkdownIt) -> None:
    renderer: Any = md.renderer
    default_fence = renderer.rules["fence"]
    default_code = renderer.rules["code_inline"]

    def fence(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        hooks = env.get("nf")
        html = hooks.fence(tokens[idx]) if hooks else None
        return html if html is not None else default_fence(tokens, idx, options, env)

    def code_inline(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        hooks = env.get("nf")
        html = hooks.code_inline(tokens[idx]) if hooks else None
        return html if html is not None else default_code(tokens, idx, options, env)

    md.add_render_rule("fence", fence)
    md.add_render_rule("code_inline", code_inline)


def _install_table_wrapper(md: MarkdownIt) -> None:
    """Wrap each table in `<div class="nf-table">`, so a wide one scrolls on its own."""

    def table_open(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return '<div class="nf-table">' + self.renderToken(tokens, idx, options, env)

    def table_close(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return self.renderToken(tokens, idx, options, env) + "</div>\n"

    md.add_render_rule("table_open", table_open)
    md.add_render_rule("table_close", table_close)
