"""Render stage: a `Document` and its block results to one self-contained HTML page.

Owns DESIGN §6: prose through markdown-it (the parse stage's tokens, not a second
parse), code through Pygments, outputs through `outputs.py` by MIME preference, the page
through a theme. Every display option applies here and nowhere else, which is why none
is in the key:

- Quarto: `echo` (`fenced` shows the fence and its `#|` lines), `output`, `include`,
  `code-fold` / `code-summary`, code annotations (`syntax/code_annotations.py` finds them),
  `fig-cap` / `tbl-cap` numbered through the cross-references, `fig-subcap` /
  `tbl-subcap` and `layout-ncol` / `layout-nrow` (sub-figures in a grid), `fig-alt`;
  page options `toc`, `toc-depth` and `code-tools` (top level or under `format: html:`).
- knitr: `results` (`hide`, `asis`, `hold`), `comment` (`##` by default in R Markdown
  documents only, as knitr; Quarto shows none), `collapse`, `out-width` / `out-height`.
- MyST-NB tags: `remove-input`, `remove-output`, `remove-cell`, `hide-input`,
  `hide-output`, `hide-cell` (folded behind MyST-NB's "Show code cell …" toggles).

Prose, captions, `asis` text and included files are the author's Markdown and may hold
raw HTML; Markdown that a block displays is data, rendered with raw HTML escaped
(`outputs.py` says what else is escaped).
"""

from __future__ import annotations

import functools
import html
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from . import __version__
from .adapters import load_adapters
from .markdown import markdown_parser, output_markdown_parser, render_output_markdown
from .mathml import latex_to_html, math_font_style
from .model import Block, BlockId, BlockResult, Document, RunSummary
from .outputs import (
    FigureSpec,
    RenderContext,
    ansi_to_html,
    commented,
    letter,
    render_outputs,
    shown_outputs,
    text_of,
)
from .store import Store
from .syntax.code_annotations import (
    Annotations,
    annotation_list_html,
    fence_language,
    shown_code,
)
from .syntax.crossref import Target, caption_html
from .theme import Theme, load_theme, render_page

log = logging.getLogger("noteflow")

DEFAULT_CODE_SUMMARY = "Code"
"""What a folded block's toggle says (Quarto's default `code-summary`)."""
MYST_TOGGLES = {
    "hide-input": "Show code cell source",
    "hide-output": "Show code cell outputs",
    "hide-cell": "Show code cell content",
}
"""MyST-NB's toggle texts for its `hide-*` tags."""
KNITR_COMMENT = "##"
"""knitr's default `comment`, applied to R Markdown (`.Rmd`) documents only."""
DEFAULT_TOC_DEPTH = 3
_CSS_LENGTH = re.compile(r"\d+(?:\.\d+)?(?:%|px|em|rem|ex|ch|vw|vh|in|cm|mm|pt|pc)?")
_ECHO_FENCED_LINE = re.compile(r"\s*\S*\|\s*echo:\s*[\"']?fenced[\"']?\s*")
_SOURCE_URL = re.compile(r"https?://\S+")


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
        meta=_meta(document),
        toc=table_of_contents(document),
        footer=footer,
        extra_head=extra_head + math_font_style(body),
    )


def render_body(document: Document, results: Mapping[BlockId, BlockResult], store: Store) -> str:
    md = markdown_parser()
    hooks = Hooks(document, {str(k): v for k, v in results.items()}, store)
    env = {**document.env, "nf": hooks}
    return md.renderer.render(list(document.tokens), md.options, env)


def page_option(front: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """A page-level option: the front matter's own key, overridden under `format: html:`."""
    formats = front.get("format")
    html_format = formats.get("html") if isinstance(formats, Mapping) else None
    if isinstance(html_format, Mapping) and name in html_format:
        return html_format[name]
    return front.get(name, default)


def _meta(document: Document) -> dict[str, Any]:
    front = document.front_matter
    meta = {
        k: front[k] for k in ("title", "subtitle", "author", "date", "abstract") if front.get(k)
    }
    tools = code_tools(document)
    if tools:
        meta["code_tools"] = tools
    toc_title = page_option(front, "toc-title")
    if toc_title:
        meta["toc_title"] = str(toc_title)
    if page_option(front, "toc") is True:
        # The theme shows contents from three entries on; `toc: true` asks for them anyway.
        entries = table_of_contents(document)
        meta["toc_short"] = [{"anchor": a, "text": t, "children": []} for _, a, t in entries]
    return meta


def code_tools(document: Document) -> dict[str, Any] | None:
    """Quarto's `code-tools` menu: `true`, or `{source, toggle, caption}`; None when off.

    `source` is `true` (the page shows the document's source), `false`, or a URL to link.
    """
    value = page_option(document.front_matter, "code-tools", False)
    if not value:
        return None
    settings = value if isinstance(value, Mapping) else {}
    source = settings.get("source", True)
    url = source if isinstance(source, str) and _SOURCE_URL.fullmatch(source) else ""
    if isinstance(source, str) and not url:
        log.warning("%s: code-tools source %r is not an http(s) URL", document.path, source)
    return {
        "caption": str(settings.get("caption") or DEFAULT_CODE_SUMMARY),
        "toggle": settings.get("toggle", True) is not False,
        "source": document.source if source is True else "",
        "source_url": url,
    }


def table_of_contents(document: Document) -> list[tuple[int, str, str]]:
    """(level, anchor, text) of the headings the contents list: none under `toc: false`;
    levels down to `toc-depth` (3); `#` headings count when the title is in the front
    matter (then they are sections, not the page title)."""
    front = document.front_matter
    if page_option(front, "toc") is False:
        return []
    depth = page_option(front, "toc-depth", DEFAULT_TOC_DEPTH)
    depth = depth if isinstance(depth, int) and not isinstance(depth, bool) else 3
    levels = {f"h{n}" for n in range(1 if front.get("title") else 2, depth + 1)}
    tokens = document.tokens
    entries = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in levels and token.attrGet("id"):
            text = "".join(
                c.content
                for c in (tokens[i + 1].children or ())
                if c.type in ("text", "code_inline")
            )
            number = token.attrGet("data-number")  # under number-sections
            text = f"{number} {text.strip()}" if number else text.strip()
            entries.append((int(token.tag[1]), str(token.attrGet("id")), text))
    return entries


def _tags(block: Block) -> frozenset[str]:
    tags = block.option("tags") or ()
    return frozenset([tags] if isinstance(tags, str) else map(str, tags))


def _details(classes: str, summary: str, inner: str, *, opened: bool = False) -> str:
    state = " open" if opened else ""
    return (
        f'<details class="{classes}"{state}><summary>{html.escape(summary)}</summary>'
        f"{inner}</details>\n"
    )


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
        box = code_box(token.content, language, token.meta.get("nf_annotations"))
        return f'<div class="nf-code nf-display">{box}</div>\n'

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
        markdown = _inline_markdown(result)
        if markdown is not None:
            return f'<span class="nf-inline nf-inline-markdown">{markdown}</span>'
        return f'<span class="nf-inline">{html.escape(_inline_text(result))}</span>'

    # ------------------------------------------------------------------ a block

    def _option(self, block: Block, name: str, default: Any = None) -> Any:
        if name in block.options:
            return block.options[name]
        if name in self.defaults:
            return self.defaults[name]
        return page_option(self.document.front_matter, name, default)

    def _block(self, token: Token, block: Block, result: BlockResult | None) -> str:
        if self._option(block, "include", True) is False or "remove-cell" in _tags(block):
            return ""
        status = result.status if result else "not-run"
        code, outputs = self._code_and_outputs(token, block, result)
        inner = code + outputs
        if "hide-cell" in _tags(block) and inner:
            inner = _details("nf-fold nf-fold-cell", MYST_TOGGLES["hide-cell"], inner)
        running = ["nf-running"] if block.id in self.running else []
        classes = " ".join(
            ["nf-block", f"nf-status-{status}", *running, *map(str, block.option("classes") or ())]
        )
        return (
            f'<section class="{html.escape(classes)}" id="{html.escape(block.id)}" '
            f'data-nf-block="{html.escape(block.id)}">\n{inner}</section>\n'
        )

    def _shows_code(self, block: Block) -> bool:
        echo = self._option(block, "echo", block.kind != "component")
        return echo is not False and "remove-input" not in _tags(block)

    def _shows_outputs(self, block: Block) -> bool:
        if "remove-output" in _tags(block):
            return False
        return self._option(block, "output", True) is not False

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
        return self._option(block, "collapse", False) is True and not ctx.asis

    # -------------------------------------------------------------------- code

    def _code(self, token: Token, block: Block, collapsed: Sequence[str]) -> str:
        adapter = load_adapters().get(block.language)
        fallback = block.language if block.kind == "code" else "yaml"  # a component's YAML
        lexer = adapter.pygments_lexer if adapter else fallback
        annotations = token.meta.get("nf_annotations")
        if self._option(block, "echo") == "fenced":
            body = "".join(
                line
                for line in token.content.splitlines(keepends=True)
                if not _ECHO_FENCED_LINE.fullmatch(line)
            )
            opening, closing = f"{token.markup}{token.info.strip()}", token.markup
            box = code_box(body, lexer, annotations, before=[opening], after=[closing])
        else:
            box = code_box(block.code, lexer, annotations, collapsed=collapsed)
        classes = "nf-code nf-annotated" if annotations and annotations.items else "nf-code"
        code = f'<div class="{classes}">{box}</div>\n' + self._annotation_list(annotations)
        return self._folded_code(block, self._listing(block, code))

    def _listing(self, block: Block, code: str) -> str:
        """Quarto's code listing: `lst-cap` over the code, numbered when it is a target
        (`lst-label`, or a label `lst-…`)."""
        caption = block.option("lst-cap")
        if caption is None:
            return code
        label = str(block.option("lst-label") or (block.id if block.labelled else ""))
        target = self._target(label) if label.startswith("lst-") else None
        text = self._inline(caption)
        shown = caption_html(target, text) if target else text
        anchor = (
            f' id="{html.escape(target.anchor)}"' if target and target.anchor != block.id else ""
        )
        return (
            f'<figure class="nf-figure nf-listing"{anchor}><figcaption>{shown}</figcaption>'
            f"{code}</figure>\n"
        )

    def _annotation_list(self, annotations: Annotations | None) -> str:
        if annotations is None:
            return ""
        md = markdown_parser()
        env = {**self.document.env, "nf": self}
        return annotation_list_html(annotations, md.renderer, md.options, env)

    def _folded_code(self, block: Block, code: str) -> str:
        if "hide-input" in _tags(block) and "hide-cell" not in _tags(block):
            return _details("nf-fold nf-fold-code", MYST_TOGGLES["hide-input"], code)
        fold = self._option(block, "code-fold", False)
        if fold not in (True, "true", "show"):
            return code
        summary = str(self._option(block, "code-summary") or DEFAULT_CODE_SUMMARY)
        return _details("nf-fold nf-fold-code", summary, code, opened=fold == "show")

    # ----------------------------------------------------------------- outputs

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
        shown = f'<div class="nf-outputs">{inner}</div>\n'
        tags = _tags(block)
        if "hide-output" in tags and "hide-cell" not in tags:
            return _details("nf-fold nf-fold-output", MYST_TOGGLES["hide-output"], shown)
        return shown

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
        results = self._option(block, "results")
        results = "hide" if results is False else results  # knitr's results=FALSE
        figure = self._figure(block)
        return RenderContext(
            markdown=render_output_markdown,
            math=lambda latex, display: latex_to_html(latex, display=display),
            blob=self.store.blob,
            fig_alt=self._alt(block, figure),
            document_markdown=self._document_markdown,
            asis=self._option(block, "output") == "asis" or results == "asis",
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
        value = self._option(block, "comment")
        return str(value) if value not in (None, False, "") else None

    def _css_length(self, block: Block, name: str) -> str | None:
        value = self._option(block, name)
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

    # ----------------------------------------------------------------- figures

    def _inline(self, text: Any) -> str:
        """A caption, the author's Markdown, as inline HTML."""
        env = {**self.document.env, "nf": self}
        return markdown_parser().renderInline(str(text), env)

    def _target(self, label: str) -> Target | None:
        xrefs = self.document.env.get("nf_xrefs")
        return xrefs.lookup(label) if xrefs is not None and label else None

    def _figure(self, block: Block) -> FigureSpec | None:
        """The block's caption and layout (Quarto): numbered when labelled `fig-`/`tbl-`."""
        label = str(block.id) if block.labelled else ""
        table = label.startswith("tbl-") or (
            block.option("tbl-cap") is not None and block.option("fig-cap") is None
        )
        kind = "tbl" if table else "fig"
        caption = _first(block.option(f"{kind}-cap"))
        subcaptions = block.option(f"{kind}-subcap")
        ncol, nrow = _layout(block)
        if caption is None and subcaptions is None and not ncol and not nrow:
            return None
        target = self._target(label) if label.startswith(f"{kind}-") else None
        caption_text = self._inline(caption) if caption is not None else ""
        subs = self._subcaptions(label, subcaptions)
        location = self._option(block, f"{kind}-cap-location", self._option(block, "cap-location"))
        return FigureSpec(
            caption=caption_html(target, caption_text) if target else caption_text,
            kind=kind,
            caption_above=location == "top" or (kind == "tbl" and location is None),
            anchor=target.anchor if target and target.anchor != block.id else "",
            subcaptions=subs,
            subfigure_alts=tuple(
                _plain(self._inline(text)) for text in _subcaption_texts(subcaptions)
            ),
            subfigure_ids=label if target else "",
            ncol=ncol,
            nrow=nrow,
        )

    def _subcaptions(self, label: str, subcaptions: Any) -> tuple[str, ...] | None:
        if subcaptions is None or subcaptions is False:
            return None
        captions = []
        for index, text in enumerate(_subcaption_texts(subcaptions)):
            target = self._target(f"{label}-{index + 1}") if label else None
            body = self._inline(text) if text else ""
            if target is not None:
                captions.append(caption_html(target, body))
            else:
                captions.append(f"{html.escape(letter(index))} {body}".rstrip())
        return tuple(captions)

    def _alt(self, block: Block, figure: FigureSpec | None) -> str | None:
        """`fig-alt`, else the caption's text (without its number)."""
        alt = block.option("fig-alt")
        if alt is not None:
            return str(alt)
        caption = _first(block.option("fig-cap"))
        return _plain(self._inline(caption)) if caption is not None and figure else None


def _first(value: Any) -> Any:
    """A caption option's text (knitr allows a vector: its first item)."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _subcaption_texts(subcaptions: Any) -> list[str]:
    if isinstance(subcaptions, list):
        return [str(text) if text is not None else "" for text in subcaptions]
    if isinstance(subcaptions, str):
        return [subcaptions]
    return []


def _layout(block: Block) -> tuple[int | None, int | None]:
    """`layout-ncol` / `layout-nrow`, or the widest row of a Quarto `layout: [[1, 1], [1]]`."""
    ncol, nrow = block.option("layout-ncol"), block.option("layout-nrow")
    layout = block.option("layout")
    if ncol is None and isinstance(layout, list) and layout:
        rows = [row for row in layout if isinstance(row, list)] or [layout]
        ncol = max(len(row) for row in rows)
    return _count(ncol), _count(nrow)


def _count(value: Any) -> int | None:
    try:
        count = int(value)
    except (TypeError, ValueError):
        return None
    return count if count > 0 else None


def _plain(fragment: str) -> str:
    """Text of an HTML fragment (for `alt`)."""
    return html.unescape(re.sub(r"<[^>]*>", "", fragment)).strip()


# ------------------------------------------------------------------------ inline


def _inline_text(result: BlockResult) -> str:
    for output in result.outputs:
        data = output.get("data") or {}
        if "text/plain" in data:
            text = data["text/plain"]
            return "".join(text) if isinstance(text, list) else str(text)
    return ""


def _inline_markdown(result: BlockResult) -> str | None:
    """An inline value displayed as Markdown (IPython's `Markdown(...)`), rendered inline
    with raw HTML escaped; None when the value is not Markdown."""
    for output in result.outputs:
        data = output.get("data") or {}
        if "text/markdown" in data:
            text = data["text/markdown"]
            source = "".join(text) if isinstance(text, list) else str(text)
            return output_markdown_parser().renderInline(source.strip())
    return None


# -------------------------------------------------------------------------- code


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


class _CodeFormatter(HtmlFormatter):
    """Pygments HTML with extra lines: a fence before and after the code (`echo:
    fenced`), annotation markers at line ends, collapsed text output after the code."""

    def __init__(
        self,
        markers: Mapping[int, Sequence[str]],
        before: Sequence[str],
        after: Sequence[str],
    ) -> None:
        super().__init__(cssclass="highlight", wrapcode=True)
        self.markers, self.before, self.after = markers, before, after

    def wrap(self, source: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        return super().wrap(self._lines(source))

    def _lines(self, source: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        yield from ((1, f"{line}\n") for line in self.before)
        number = 0
        for is_line, text in source:
            if is_line and number in self.markers:
                text = f"{text.removesuffix(chr(10))} {''.join(self.markers[number])}\n"
            number += is_line
            yield is_line, text
        yield from ((1, f"{line}\n") for line in self.after)


def code_box(
    code: str,
    language: str,
    annotations: Annotations | None = None,
    *,
    before: Sequence[str] = (),
    after: Sequence[str] = (),
    collapsed: Sequence[str] = (),
) -> str:
    """Highlighted code, annotation markers in place of `# <n>`; `before` and `after` are
    plain lines (escaped here), `collapsed` text output shown after the code."""
    shown, markers = shown_code(code, annotations)
    if not markers and not before and not after and not collapsed:
        return highlight_code(shown, language)
    extra = [html.escape(line) for line in after]
    extra += [
        f'<span class="nf-collapsed-output">{ansi_to_html(text.removesuffix(chr(10)))}</span>'
        for text in collapsed
    ]
    formatter = _CodeFormatter(markers, [html.escape(line) for line in before], extra)
    return highlight(shown, _lexer(language.lower()), formatter)
