"""Render stage: a `Document` and its block results to one self-contained HTML page.

Owns DESIGN §6: prose through markdown-it (the parse stage's tokens, not a second
parse), code through Pygments, outputs through `outputs.py` by MIME preference, the page
through a theme. Block display options (`echo`, `output`, `include`, `fig-cap`,
`classes`, `code-fold`) apply here and nowhere else, which is why they are not in the key.

Prose, `output: asis` text and included files are the author's Markdown and may hold raw
HTML; Markdown that a block displays is data, rendered with raw HTML escaped (`outputs.py`
says what else is escaped).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from typing import Any

from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from . import __version__
from .adapters import load_adapters
from .markdown import markdown_parser, render_output_markdown
from .mathml import latex_to_html
from .model import Block, BlockId, BlockResult, Document, RunSummary
from .outputs import RenderContext, render_outputs
from .store import Store
from .theme import Theme, load_theme, render_page


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
    return render_page(
        theme,
        title=document.title,
        body_html=body,
        meta=_meta(document.front_matter),
        toc=table_of_contents(document),
        footer=footer,
        extra_head=extra_head,
    )


def render_body(document: Document, results: Mapping[BlockId, BlockResult], store: Store) -> str:
    md = markdown_parser()
    hooks = Hooks(document, {str(k): v for k, v in results.items()}, store)
    env = {**document.env, "nf": hooks}
    return md.renderer.render(list(document.tokens), md.options, env)


def _meta(front: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: front[k] for k in ("title", "subtitle", "author", "date", "abstract") if front.get(k)
    }


def table_of_contents(document: Document) -> list[tuple[int, str, str]]:
    tokens = document.tokens
    entries = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h2", "h3") and token.attrGet("id"):
            text = "".join(
                c.content
                for c in (tokens[i + 1].children or ())
                if c.type in ("text", "code_inline")
            )
            entries.append((int(token.tag[1]), str(token.attrGet("id")), text))
    return entries


class Hooks:
    """Renders executable fences and inline expressions for the markdown-it renderer."""

    def __init__(
        self,
        document: Document,
        results: Mapping[str, BlockResult],
        store: Store,
        running: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        self.running = running
        self.blocks = {b.id: b for b in document.blocks}
        self.results = results
        self.store = store
        self.defaults = document.front_matter.get("execute") or {}

    def fence(self, token: Token) -> str | None:
        block_id = token.meta.get("nf_block")
        if block_id is not None:
            return self._block(self.blocks[block_id], self.results.get(block_id))
        if "nf_verbatim" in token.meta:
            fence = token.markup
            source = f"{fence}{token.meta['nf_verbatim']}\n{token.content}{fence}"
            return f'<div class="nf-code nf-verbatim">{highlight_code(source, "markdown")}</div>\n'
        language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
        return f'<div class="nf-code nf-display">{highlight_code(token.content, language)}</div>\n'

    def code_inline(self, token: Token) -> str | None:
        block_id = token.meta.get("nf_block")
        if block_id is None:
            return None
        result = self.results.get(block_id)
        if result is None or result.status in ("not-run", "skipped"):
            reason = result.reason if result else "not run"
            return (
                f'<span class="nf-inline nf-inline-missing" title="{html.escape(reason)}">?</span>'
            )
        if result.status == "failed":
            error = html.escape(result.error)
            return f'<span class="nf-inline nf-inline-error" title="{error}">{error}</span>'
        return f'<span class="nf-inline">{html.escape(_inline_text(result))}</span>'

    def _option(self, block: Block, name: str, default: Any) -> Any:
        return block.options.get(name, self.defaults.get(name, default))

    def _block(self, block: Block, result: BlockResult | None) -> str:
        if self._option(block, "include", True) is False:
            return ""
        status = result.status if result else "not-run"
        parts = []
        if self._option(block, "echo", block.kind != "component") is not False:
            parts.append(self._code(block))
        output = self._option(block, "output", True)
        if output is not False and result is not None:
            parts.append(self._outputs(block, result, asis=output == "asis"))
        running = ["nf-running"] if block.id in self.running else []
        classes = " ".join(
            ["nf-block", f"nf-status-{status}", *running, *map(str, block.option("classes") or ())]
        )
        return (
            f'<section class="{html.escape(classes)}" id="{html.escape(block.id)}" '
            f'data-nf-block="{html.escape(block.id)}">\n{"".join(parts)}</section>\n'
        )

    def _code(self, block: Block) -> str:
        adapter = load_adapters().get(block.language)
        lexer = adapter.pygments_lexer if adapter else "yaml"
        code = f'<div class="nf-code">{highlight_code(block.code, lexer)}</div>\n'
        if self._option(block, "code-fold", False) in (True, "true", "show"):
            summary = html.escape(str(block.option("code-summary") or "Code"))
            opened = " open" if block.option("code-fold") == "show" else ""
            return (
                f'<details class="nf-fold"{opened}><summary>{summary}</summary>{code}</details>\n'
            )
        return code

    def _outputs(self, block: Block, result: BlockResult, *, asis: bool) -> str:
        if result.status == "not-run":
            return f'<div class="nf-notrun">{html.escape(result.reason or "not run")}</div>\n'
        if result.status == "skipped":
            return ""
        ctx = RenderContext(
            markdown=render_output_markdown,
            math=lambda latex, display: latex_to_html(latex, display=display),
            blob=self.store.blob,
            fig_cap=block.option("fig-cap"),
            fig_alt=block.option("fig-alt"),
            document_markdown=_document_markdown,
            asis=asis,
            block_id=block.id,
        )
        inner = render_outputs(result.outputs, ctx)
        return f'<div class="nf-outputs">{inner}</div>\n' if inner else ""


def _inline_text(result: BlockResult) -> str:
    for output in result.outputs:
        data = output.get("data") or {}
        if "text/plain" in data:
            text = data["text/plain"]
            return "".join(text) if isinstance(text, list) else str(text)
    return ""


def _document_markdown(text: str) -> str:
    """Markdown that belongs to the document (`output: asis`, an included file): rendered
    as if written in it, raw HTML kept."""
    return markdown_parser().render(text)


@functools.cache
def _formatter() -> HtmlFormatter:
    return HtmlFormatter(cssclass="highlight", wrapcode=True)


@functools.cache
def _lexer(name: str) -> Lexer:
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=True) if name else TextLexer()
    except ClassNotFound:
        return TextLexer()


def highlight_code(code: str, language: str) -> str:
    return highlight(code, _lexer(language.lower()), _formatter())
