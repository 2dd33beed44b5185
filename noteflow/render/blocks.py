"""A block on the page: `Hooks` renders executable fences and inline expressions.

Owns the `<section>` of an executable block and what goes in it, as the display options
ask (they apply here and nowhere else, which is why none is in the cache key): Quarto's
`echo` (`fenced` too), `output`, `include`; knitr's `results` (`hide`, `asis`, `hold`),
`comment` (`##` by default in R Markdown documents only, as knitr; Quarto shows none),
`collapse`, `out-width` / `out-height`; MyST-NB's `remove-input`, `remove-output`,
`remove-cell` tags. The parts have their own modules: the code box (`codebox.py`),
folding (`folding.py`), captions and layouts (`captions.py`), inline values
(`inline.py`); the outputs are `outputs`' (`RenderContext` says what the block asks).

Captions, `asis` text and included files are the author's Markdown and may hold raw
HTML; Markdown that a block displays is data, rendered with raw HTML escaped.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from markdown_it.token import Token

from ..markdown import markdown_parser, render_output_markdown
from ..mathml import latex_to_html
from ..model import Block, BlockResult, Document
from ..outputs import RenderContext, commented, render_outputs, shown_outputs, text_of
from ..store import Store
from ..syntax.code_annotations import Annotations, annotation_list_html, fence_language
from ..syntax.crossref import Target
from .captions import figure_alt, figure_spec, listing
from .codebox import block_code_box, code_box, highlight_code
from .folding import block_tags, fold_cell, fold_code, fold_outputs
from .inline import inline_html
from .pageoptions import page_option

log = logging.getLogger("noteflow")

KNITR_COMMENT = "##"
"""knitr's default `comment`, applied to R Markdown (`.Rmd`) documents only."""
_CSS_LENGTH = re.compile(r"\d+(?:\.\d+)?(?:%|px|em|rem|ex|ch|vw|vh|in|cm|mm|pt|pc)?")


QUARTO_ESCAPED_FENCE = re.compile(r"^([ \t]*(?:`{3,}|~{3,})[ \t]*)\{\{([^{}\n]+)\}\}", re.M)
"""```` ```{{python}} ```` inside a shown example: Quarto shows it as ```` ```{python} ````."""


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
        self.document = document
        self.blocks = {b.id: b for b in document.blocks}
        self.results = results
        self.store = store
        self.defaults = document.front_matter.get("execute") or {}
        self.rmarkdown = document.path.suffix.lower() == ".rmd"

    # ----------------------------------------------------------- markdown-it hooks

    def fence(self, token: Token) -> str | None:
        block_id = token.meta.get("nf_block")
        if block_id is not None:
            return self._block(token, self.blocks[block_id], self.results.get(block_id))
        if "nf_verbatim" in token.meta:
            fence = token.markup
            source = f"{fence}{token.meta['nf_verbatim']}\n{token.content}{fence}"
            return f'<div class="nf-code nf-verbatim">{highlight_code(source, "markdown")}</div>\n'
        info = token.info.strip()
        language = fence_language(info) if info.startswith("{") else info.partition(" ")[0]
        content = QUARTO_ESCAPED_FENCE.sub(r"\1{\2}", token.content)
        box = code_box(content, language, token.meta.get("nf_annotations"))
        return f'<div class="nf-code nf-display">{box}</div>\n'

    def code_inline(self, token: Token) -> str | None:
        block_id = token.meta.get("nf_block")
        if block_id is None:
            return None
        return inline_html(self.results.get(block_id))

    # ------------------------------------------------- what captions ask of the page

    def option(self, block: Block, name: str, default: Any = None) -> Any:
        """A display option: the block's, else the document's `execute`, else the page's."""
        if name in block.options:
            return block.options[name]
        if name in self.defaults:
            return self.defaults[name]
        return page_option(self.document.front_matter, name, default)

    def inline(self, text: Any) -> str:
        """A caption, the author's Markdown, as inline HTML."""
        env = {**self.document.env, "nf": self}
        return markdown_parser().renderInline(str(text), env)

    def target(self, label: str) -> Target | None:
        """The cross-reference target `label` names, if any."""
        xrefs = self.document.env.get("nf_xrefs")
        return xrefs.lookup(label) if xrefs is not None and label else None

    # ------------------------------------------------------------------ a block

    def _block(self, token: Token, block: Block, result: BlockResult | None) -> str:
        if self.option(block, "include", True) is False or "remove-cell" in block_tags(block):
            return ""
        status = result.status if result else "not-run"
        code, outputs = self._code_and_outputs(token, block, result)
        inner = fold_cell(block, code + outputs)
        running = ["nf-running"] if block.id in self.running else []
        classes = " ".join(
            ["nf-block", f"nf-status-{status}", *running, *map(str, block.option("classes") or ())]
        )
        return (
            f'<section class="{html.escape(classes)}" id="{html.escape(block.id)}" '
            f'data-nf-block="{html.escape(block.id)}">\n{inner}</section>\n'
        )

    def _shows_code(self, block: Block) -> bool:
        echo = self.option(block, "echo", block.kind != "component")
        return echo is not False and "remove-input" not in block_tags(block)

    def _shows_outputs(self, block: Block) -> bool:
        if "remove-output" in block_tags(block):
            return False
        return self.option(block, "output", True) is not False

    def _code_and_outputs(
        self, token: Token, block: Block, result: BlockResult | None
    ) -> tuple[str, str]:
        """The code box and the outputs; under `collapse: true` text output joins the code."""
        outputs: Sequence[Mapping[str, Any]] = result.outputs if result else ()
        ctx = self._context(block)
        collapsed: list[str] = []
        shows_outputs = result is not None and self._shows_outputs(block)
        if self._shows_code(block) and shows_outputs and self._collapses(block, ctx):
            shown = shown_outputs(outputs, ctx)
            texts = [text_of(output, ctx) for output in shown]
            collapsed = [commented(text, ctx.comment) for text in texts if text is not None]
            outputs = [output for output, text in zip(shown, texts, strict=True) if text is None]
        code = self._code(token, block, collapsed) if self._shows_code(block) else ""
        shown_html = ""
        if shows_outputs and result is not None:
            shown_html = self._outputs(block, result, outputs, ctx)
        return code, shown_html

    def _collapses(self, block: Block, ctx: RenderContext) -> bool:
        return self.option(block, "collapse", False) is True and not ctx.asis

    def _code(self, token: Token, block: Block, collapsed: Sequence[str]) -> str:
        annotations = token.meta.get("nf_annotations")
        fenced = self.option(block, "echo") == "fenced"
        box = block_code_box(token, block, fenced=fenced, collapsed=collapsed)
        classes = "nf-code nf-annotated" if annotations and annotations.items else "nf-code"
        code = f'<div class="{classes}">{box}</div>\n' + self._annotation_list(annotations)
        fold, summary = self.option(block, "code-fold", False), self.option(block, "code-summary")
        return fold_code(block, listing(block, code, self), fold, summary)

    def _annotation_list(self, annotations: Annotations | None) -> str:
        if annotations is None:
            return ""
        md = markdown_parser()
        env = {**self.document.env, "nf": self}
        return annotation_list_html(annotations, md.renderer, md.options, env)

    def _outputs(
        self,
        block: Block,
        result: BlockResult,
        outputs: Sequence[Mapping[str, Any]],
        ctx: RenderContext,
    ) -> str:
        if result.status == "not-run":
            return f'<div class="nf-notrun">{html.escape(result.reason or "not run")}</div>\n'
        if result.status == "skipped":  # no kernel for the language: say so, with the fix
            reason = html.escape(result.reason)
            return f'<div class="nf-skipped">{reason}</div>\n' if result.reason else ""
        inner = render_outputs(outputs, ctx)
        if not inner:
            return ""
        return fold_outputs(block, f'<div class="nf-outputs">{inner}</div>\n')

    # ------------------------------------------------------- what outputs are given

    def _document_markdown(self, text: str) -> str:
        """Markdown that belongs to the document (`output: asis`, an included file): rendered
        as if written in it, raw HTML kept, its references resolved against the page's."""
        env = {
            key: value
            for key, value in self.document.env.items()
            if key in ("nf_xrefs", "nf_document_path", "nf_document_dir")
        }
        return markdown_parser().render(text, env)

    def _context(self, block: Block) -> RenderContext:
        results = self.option(block, "results")
        results = "hide" if results is False else results  # knitr's results=FALSE
        figure = figure_spec(block, self)
        return RenderContext(
            markdown=render_output_markdown,
            math=lambda latex, display: latex_to_html(latex, display=display),
            blob=self.store.blob,
            fig_alt=figure_alt(block, figure, self),
            document_markdown=self._document_markdown,
            asis=self.option(block, "output") == "asis" or results == "asis",
            block_id=block.id,
            figure=figure,
            results=str(results) if results is not None else None,
            comment=self._comment(block),
            out_width=self._css_length(block, "out-width"),
            out_height=self._css_length(block, "out-height"),
            knitr=block.language == "r",
        )

    def _comment(self, block: Block) -> str | None:
        """knitr's `comment` prefix: the option's, else `##` in an R Markdown document."""
        if "comment" not in block.options and "comment" not in self.defaults:
            return KNITR_COMMENT if self.rmarkdown else None
        value = self.option(block, "comment")
        return str(value) if value not in (None, False, "") else None

    def _css_length(self, block: Block, name: str) -> str | None:
        value = self.option(block, name)
        if value is None or isinstance(value, bool):
            return None
        text = str(value).strip()
        if not _CSS_LENGTH.fullmatch(text):
            path = self.document.path
            log.warning(
                "%s:%d: option %r: %r is not a length (e.g. 50%%, 300px)",
                path,
                block.line,
                name,
                text,
            )
            return None
        return f"{text}px" if text[-1].isdigit() else text
