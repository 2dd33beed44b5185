"""Jupyter outputs to HTML: one renderer per MIME type, plus ANSI escape codes to spans.

This module owns how a block's nbformat v4 outputs (streams, rich display data, errors)
become HTML fragments. `RENDERERS` maps a MIME type to the function that renders a value of
that type, in the manner of markdown-it-py's renderer rules: a plugin adds a MIME type by
adding one entry. `ansi_to_html` turns terminal text (stdout, tracebacks) into escaped HTML
with `<span class="ansi-...">` for SGR colours and styles; every other escape is dropped.

`render_outputs` also lays the outputs out as the block's options ask (`RenderContext`):
a `FigureSpec` captions the first image (or a table, all outputs) and can put several
outputs in a grid of sub-figures "(a)", "(b)"; knitr's `results: hide` drops text output,
`comment` prefixes its lines, and R values are shown as knitr prints them.

What reaches the page raw: `text/html` data, which a block displays on purpose (as
Jupyter does, including the `_repr_html_` of a block's last value), and Markdown that is
the author's own (`output: asis` / `results: asis`, an included file;
`RenderContext.document_markdown`).
Everything else is escaped or sandboxed: text and tracebacks are escaped, `text/markdown`
goes through a Markdown renderer with raw HTML off (`RenderContext.markdown`), SVG becomes
an `<img>` data URI (so its scripts never run). Output that cannot be shown (bad base64, an
image blob missing from the cache) becomes a visible notice and a logged warning, never an
empty image or an exception; so does text the kernel layer dropped past `output-limit`.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

log = logging.getLogger("noteflow")

MIME_PREFERENCE: tuple[str, ...] = (
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/markdown",
    "text/latex",
    "application/json",
    "text/plain",
)
"""Rich MIME types, richest first; a display output shows the first one its data holds."""

RASTER_TYPES: tuple[str, ...] = ("image/png", "image/jpeg", "image/gif", "image/webp")
"""Binary image types: base64 text in nbformat, raw bytes when stored as a blob."""

IMAGE_TYPES: frozenset[str] = frozenset({"image/svg+xml", *RASTER_TYPES})
"""MIME types that count as a figure for `fig_cap`."""


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a renderer needs from the rest of noteflow, and the block's figure options."""

    markdown: Callable[[str], str]
    """Renders Markdown from output data to HTML; raw HTML in it must come out escaped."""
    math: Callable[[str, bool], str]
    """Renders LaTeX to HTML; the flag says display (block) math."""
    blob: Callable[[str], bytes | None]
    """The bytes of a stored blob by its sha256 hex digest; None if missing or corrupt."""
    fig_cap: str | None = None
    """Caption: the first image output becomes a `<figure>` with this `<figcaption>`."""
    fig_alt: str | None = None
    """Alternative text for image outputs."""
    document_markdown: Callable[[str], str] | None = None
    """Renders Markdown that belongs to the document, raw HTML kept as in its prose: the
    stdout of an `output: asis` block, and `text/markdown` whose output metadata holds
    `{"noteflow": {"document_markdown": true}}` (the `include` component's). None renders
    those like any other output Markdown."""
    asis: bool = False
    """`output: asis`: stdout text is rendered as Markdown instead of shown escaped."""
    block_id: str = ""
    """The block whose outputs these are, named in warnings."""
    figure: FigureSpec | None = None
    """Caption, number and layout of the block's figure or table (`fig_cap` is the short
    form: an unnumbered caption given as text)."""
    results: str | None = None
    """knitr's `results`: `hide` drops text output (printed text and values; messages,
    warnings, errors and images stay); `asis` renders it as the document's Markdown."""
    comment: str | None = None
    """knitr's `comment`: a prefix for every line of text output (`##`); None or "" for none."""
    out_width: str | None = None
    """Displayed width of images (`50%`, `300px`, `300`), from `out-width`."""
    out_height: str | None = None
    """Displayed height of images, from `out-height`."""
    knitr: bool = False
    """Show values as knitr prints them (R blocks): IRkernel's rich forms of a plain R value
    (its HTML, Markdown and LaTeX bundle) give way to the printed text, and printed text
    that is a Markdown pipe table (`knitr::kable()`) is rendered as a table."""


@dataclass(frozen=True, slots=True)
class FigureSpec:
    """How a block's outputs are captioned and laid out, as Quarto does for figures and tables.

    Captions arrive as HTML (the render stage renders the author's Markdown and the
    number: `<span class="nf-caption-prefix">Figure 1:</span> A <em>wave</em>`).
    """

    caption: str = ""
    """The whole caption as HTML; "" for none."""
    kind: str = "fig"
    """`fig` (captions the first image) or `tbl` (captions all the outputs)."""
    caption_above: bool = False
    """The caption goes above (Quarto's default for tables, `fig-cap-location: top`)."""
    anchor: str = ""
    """The id of the `<figure>`; "" when the block's section carries it."""
    subcaptions: tuple[str, ...] | None = None
    """Sub-figure captions as HTML ("(a) First"); sub-figures past their end are captioned
    with their letter alone. None: the outputs are not sub-figures."""
    subfigure_alts: tuple[str, ...] = ()
    """Alternative text of each sub-figure's image (else `RenderContext.fig_alt`)."""
    subfigure_ids: str = ""
    """Prefix of sub-figure ids (`fig-x` gives `fig-x-1`, `fig-x-2`); "" for none."""
    ncol: int | None = None
    nrow: int | None = None

    @property
    def is_panel(self) -> bool:
        """Several outputs in a grid: sub-captions or a layout were given."""
        return self.subcaptions is not None or bool(self.ncol) or bool(self.nrow)


MimeRenderer = Callable[[Any, Mapping[str, Any], RenderContext], str]
"""`(value, metadata for this MIME type, context) -> HTML` for one MIME type.

A value is nbformat's: a str, a list of str, JSON data; a blob reference in the cache
entry arrives already read, as `bytes`."""


# --------------------------------------------------------------------------- values


def _text(value: Any) -> str:
    """A text value: a str, a list of str (nbformat's multiline form), or bytes (a blob)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return str(value)


def _binary(value: Any) -> bytes | None:
    """A binary value's bytes: a blob's as they are, nbformat's base64 decoded; None if the
    base64 is invalid."""
    if isinstance(value, bytes):
        return value
    try:
        return base64.b64decode("".join(_text(value).split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _attr(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _notice(kind: str, message: str) -> str:
    """A visible note in place of an output (`kind` is a CSS class suffix)."""
    return f'<div class="nf-output nf-notice nf-{kind}" role="note">{html.escape(message)}</div>'


def _unshowable(ctx: RenderContext, mime: str, reason: str) -> str:
    """Notice and warning for an output whose data cannot be shown."""
    block = f"block {ctx.block_id}: " if ctx.block_id else ""
    log.warning("%s%s output could not be shown: %s", block, mime, reason)
    noun = "image" if mime in IMAGE_TYPES else f"{mime} output"
    return _notice("unshowable", f"The {noun} could not be shown: {reason}.")


_SIZE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def format_size(size: int) -> str:
    """A byte count for people, in binary units as `output-limit` is: `512 B`, `4.2 KiB`,
    `5 MiB`."""
    amount, step = float(size), 0
    while amount >= 1023.95 and step < len(_SIZE_UNITS) - 1:
        amount, step = amount / 1024, step + 1
    number = f"{size}" if step == 0 else f"{amount:.1f}".removesuffix(".0")
    return f"{number} {_SIZE_UNITS[step]}"


# --------------------------------------------------------------------- MIME renderers


def render_html(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    """The user's own HTML, inserted raw as Jupyter does."""
    return f'<div class="nf-output nf-html">{_text(value)}</div>'


def _size_attrs(metadata: Mapping[str, Any]) -> str:
    return "".join(
        f' {name}="{_attr(metadata[name])}"' for name in ("width", "height") if name in metadata
    )


def _display_size(ctx: RenderContext) -> str:
    """A `style` attribute for `out-width` / `out-height`, or ""."""
    rules = [
        f"{name}:{value}"
        for name, value in (("width", ctx.out_width), ("height", ctx.out_height))
        if value
    ]
    if rules and not ctx.out_height:
        rules.append("height:auto")
    return f' style="{_attr(";".join(rules))}"' if rules else ""


def _img(mime: str, data: bytes, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    src = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    alt = _attr(ctx.fig_alt or "")
    return (
        f'<div class="nf-output nf-image">'
        f'<img src="{src}" alt="{alt}"{_size_attrs(metadata)}{_display_size(ctx)}></div>'
    )


def render_svg(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    """SVG as an `<img>` data URI: shown like any image, its scripts never run."""
    svg = value if isinstance(value, bytes) else _text(value).encode("utf-8")
    if not svg.strip():
        return _unshowable(ctx, "image/svg+xml", "the image is empty")
    return _img("image/svg+xml", svg, metadata, ctx)


def _raster_image(mime: str) -> MimeRenderer:
    """A renderer for a binary image type: an `<img>` with a data URI, or a notice."""

    def render(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
        data = _binary(value)
        if data is None:
            return _unshowable(ctx, mime, "invalid base64 data")
        if not data:
            return _unshowable(ctx, mime, "the image is empty")
        return _img(mime, data, metadata, ctx)

    return render


def render_markdown(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    return f'<div class="nf-output nf-markdown">{ctx.markdown(_text(value))}</div>'


def _render_document_markdown(output: Mapping[str, Any], ctx: RenderContext) -> str | None:
    """Markdown an output marks as part of the document, or None if it is not marked."""
    if ctx.document_markdown is None or not _noteflow_metadata(output).get("document_markdown"):
        return None
    text = _text(_data(output).get("text/markdown", ""))
    return f'<div class="nf-output nf-markdown">{ctx.document_markdown(text)}</div>'


def _strip_math_delimiters(latex: str) -> str:
    latex = latex.strip()
    for delimiter in ("$$", "$"):
        size = len(delimiter)
        if len(latex) > 2 * size and latex.startswith(delimiter) and latex.endswith(delimiter):
            return latex[len(delimiter) : -len(delimiter)].strip()
    return latex


def render_latex(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    latex = _strip_math_delimiters(_text(value))
    return f'<div class="nf-output nf-math">{ctx.math(latex, True)}</div>'


def render_json(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return f'<pre class="nf-output nf-json">{html.escape(text, quote=False)}</pre>'


def render_plain(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    if ctx.asis:
        return _asis_markdown(_text(value), ctx)
    text = commented(_text(value), ctx.comment)
    return f'<pre class="nf-output nf-text">{ansi_to_html(text)}</pre>'


def commented(text: str, prefix: str | None) -> str:
    """knitr's `comment`: each line of `text` after `prefix` and a space (trailing spaces
    dropped, so an empty line is the prefix alone)."""
    if not prefix:
        return text
    ending = "\n" if text.endswith("\n") else ""
    lines = text.removesuffix("\n").split("\n")
    return "\n".join(f"{prefix} {line}".rstrip() for line in lines) + ending


def _asis_markdown(text: str, ctx: RenderContext) -> str:
    """Text a block prints under `output: asis` / `results: asis`: the document's Markdown."""
    return (ctx.document_markdown or ctx.markdown)(strip_ansi(text))


RENDERERS: dict[str, MimeRenderer] = {
    "text/html": render_html,
    "image/svg+xml": render_svg,
    **{mime: _raster_image(mime) for mime in RASTER_TYPES},
    "text/markdown": render_markdown,
    "text/latex": render_latex,
    "application/json": render_json,
    "text/plain": render_plain,
}
"""MIME type → renderer. A plugin adds an entry; types not in `MIME_PREFERENCE` are
preferred over the built-in ones (a plugin registers a type because it is richer)."""


def choose_mime(data: Mapping[str, Any]) -> str | None:
    """The MIME type to show from a display output's `data`, or None if none is known."""
    plugin_types = [mime for mime in RENDERERS if mime not in MIME_PREFERENCE]
    for mime in (*plugin_types, *MIME_PREFERENCE):
        if mime in data and mime in RENDERERS:
            return mime
    return None


# -------------------------------------------------------------------- output types


def _not_shown(kind: str) -> str:
    return f'<div class="nf-output nf-unknown">output of type {html.escape(kind)} not shown</div>'


def _data(output: Mapping[str, Any]) -> Mapping[str, Any]:
    data = output.get("data")
    return data if isinstance(data, Mapping) else {}


def _noteflow_metadata(output: Mapping[str, Any]) -> Mapping[str, Any]:
    """What noteflow itself says about an output: its metadata's `noteflow` mapping."""
    metadata = output.get("metadata")
    noteflow = metadata.get("noteflow") if isinstance(metadata, Mapping) else None
    return noteflow if isinstance(noteflow, Mapping) else {}


def truncated_bytes(output: Mapping[str, Any]) -> int | None:
    """The bytes the kernel layer dropped, if `output` is its `output-limit` marker.

    The marker is a display output whose metadata holds `{"noteflow": {"truncated": N}}`
    (and, optionally, `"limit"`: the limit in bytes, or as the user wrote it).
    """
    dropped = _noteflow_metadata(output).get("truncated")
    if isinstance(dropped, bool) or not isinstance(dropped, int):
        return None
    return dropped


def _truncation_notice(output: Mapping[str, Any], dropped: int) -> str:
    limit = _noteflow_metadata(output).get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool):
        limit = format_size(limit)
    setting = f"output-limit is {limit}" if limit else "see the output-limit option"
    return _notice(
        "truncated",
        f"Output truncated: {format_size(dropped)} more were not kept ({setting}).",
    )


def _resolve_blob(value: Any, ctx: RenderContext) -> Any:
    """A `{"blob": sha}` reference replaced by the blob's bytes (None if unreadable)."""
    if isinstance(value, Mapping) and "blob" in value:
        return ctx.blob(str(value["blob"]))
    return value


def _render_display(output: Mapping[str, Any], ctx: RenderContext) -> str:
    dropped = truncated_bytes(output)
    if dropped is not None:
        return _truncation_notice(output, dropped)
    data = _knitr_data(_data(output)) if ctx.knitr else _data(output)
    mime = choose_mime(data)
    if ctx.asis and "text/markdown" in data:
        return _asis_markdown(_text(data["text/markdown"]), ctx)
    if mime == "text/markdown":
        document_markdown = _render_document_markdown(output, ctx)
        if document_markdown is not None:
            return document_markdown
    if mime is None:
        return _not_shown(", ".join(sorted(map(str, data)))) if data else ""
    value = _resolve_blob(data[mime], ctx)
    if value is None:
        return _unshowable(ctx, mime, "its data is missing from the cache or corrupt")
    all_metadata = output.get("metadata")
    metadata = all_metadata.get(mime) if isinstance(all_metadata, Mapping) else None
    return RENDERERS[mime](value, metadata if isinstance(metadata, Mapping) else {}, ctx)


_REPR_BUNDLE = frozenset({"text/html", "text/markdown", "text/latex", "text/plain"})
"""What IRkernel's `repr` gives for a plain R value; an HTML widget or table package
gives HTML without this bundle."""
_PIPE_DELIMITER_ROW = re.compile(r"\|(\s*:?-+:?\s*\|)+")


def _knitr_data(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A display output's data as knitr would show the value: printed, or as a table."""
    if data.keys() >= _REPR_BUNDLE:
        return {"text/plain": data["text/plain"]}
    if choose_mime(data) == "text/plain" and is_pipe_table(_text(data["text/plain"])):
        return {"text/markdown": data["text/plain"]}
    return data


def is_pipe_table(text: str) -> bool:
    """True for text that is one Markdown pipe table (what `knitr::kable()` prints)."""
    rows = [line.strip() for line in text.strip().splitlines()]
    if len(rows) < 2 or not all(row.startswith("|") and row.endswith("|") for row in rows):
        return False
    return _PIPE_DELIMITER_ROW.fullmatch(rows[1]) is not None


def _render_stream(output: Mapping[str, Any], ctx: RenderContext) -> str:
    name = "stderr" if output.get("name") == "stderr" else "stdout"
    text = _text(output.get("text", ""))
    if ctx.asis and name == "stdout":
        return _asis_markdown(text, ctx)
    text = commented(text, ctx.comment)
    return f'<pre class="nf-output nf-stream nf-{name}">{ansi_to_html(text)}</pre>'


def _render_error(output: Mapping[str, Any], ctx: RenderContext) -> str:
    traceback = output.get("traceback")
    if isinstance(traceback, list) and traceback:
        text = "\n".join(map(str, traceback))
    else:
        text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
    return f'<pre class="nf-output nf-error">{ansi_to_html(text)}</pre>'


OUTPUT_TYPES: dict[str, Callable[[Mapping[str, Any], RenderContext], str]] = {
    "stream": _render_stream,
    "display_data": _render_display,
    "execute_result": _render_display,
    "update_display_data": _render_display,
    "error": _render_error,
}
"""nbformat `output_type` → renderer of the whole output."""


def render_output(output: Mapping[str, Any], ctx: RenderContext) -> str:
    """One nbformat v4 output as HTML (no figure wrapping; see `render_outputs`)."""
    if not isinstance(output, Mapping):
        return _not_shown(type(output).__name__)
    kind = str(output.get("output_type", ""))
    renderer = OUTPUT_TYPES.get(kind)
    if renderer is None:
        return _not_shown(kind)
    return renderer(output, ctx)


def _after_last_clear(outputs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The outputs a notebook would still show: those after the last `clear_output`."""
    shown: list[Mapping[str, Any]] = []
    for output in outputs:
        if isinstance(output, Mapping) and output.get("output_type") == "clear_output":
            shown.clear()
        else:
            shown.append(output)
    return shown


def _is_stream(output: Any) -> bool:
    return isinstance(output, Mapping) and output.get("output_type") == "stream"


def _merge_streams(outputs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Consecutive stream outputs of the same name joined into one."""
    merged: list[Mapping[str, Any]] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and _is_stream(output)
            and _is_stream(previous)
            and previous.get("name") == output.get("name")
        ):
            text = _text(previous.get("text", "")) + _text(output.get("text", ""))
            merged[-1] = {**previous, "text": text}
        else:
            merged.append(output)
    return merged


def _is_image(output: Mapping[str, Any]) -> bool:
    if not isinstance(output, Mapping):
        return False
    if output.get("output_type") not in ("display_data", "execute_result"):
        return False
    return choose_mime(_data(output)) in IMAGE_TYPES


def _is_display(output: Mapping[str, Any]) -> bool:
    return isinstance(output, Mapping) and output.get("output_type") in (
        "display_data",
        "execute_result",
    )


def is_text_output(output: Mapping[str, Any]) -> bool:
    """Printed text or a value shown as text: what knitr's `results` and `collapse` act on.
    Messages and warnings (stderr), errors and images are not text output."""
    if _is_stream(output):
        return output.get("name") != "stderr"
    return _is_display(output) and truncated_bytes(output) is None and not _is_image(output)


def text_of(output: Mapping[str, Any], ctx: RenderContext) -> str | None:
    """The text a stream or a value shown as text shows (for `collapse`), else None."""
    if _is_stream(output):
        return _text(output.get("text", ""))
    if not _is_display(output):
        return None
    data = _knitr_data(_data(output)) if ctx.knitr else _data(output)
    if choose_mime(data) != "text/plain":
        return None
    return _text(data["text/plain"]).removesuffix("\n") + "\n"


def _is_hidden_glue(output: Mapping[str, Any]) -> bool:
    """A value glued with `display=False` (MyST-NB): shown only where `{glue}` pastes it."""
    metadata = output.get("metadata") if isinstance(output, Mapping) else None
    scrapbook = metadata.get("scrapbook") if isinstance(metadata, Mapping) else None
    return isinstance(scrapbook, Mapping) and bool(scrapbook.get("mime_prefix"))


def shown_outputs(
    outputs: Sequence[Mapping[str, Any]], ctx: RenderContext
) -> list[Mapping[str, Any]]:
    """The outputs the page shows, in order: after the last `clear_output`, streams merged,
    text output dropped under `results: hide`."""
    shown = [o for o in _merge_streams(_after_last_clear(outputs)) if not _is_hidden_glue(o)]
    if ctx.results == "hide":
        shown = [output for output in shown if not is_text_output(output)]
    return shown


def _figure(inner: str, figure: FigureSpec, extra_class: str = "") -> str:
    caption = f"<figcaption>{figure.caption}</figcaption>" if figure.caption else ""
    anchor = f' id="{_attr(figure.anchor)}"' if figure.anchor else ""
    table = " nf-table-figure" if figure.kind == "tbl" else ""
    body = f"{caption}{inner}" if figure.caption_above else f"{inner}{caption}"
    return f'<figure class="nf-figure{table}{extra_class}"{anchor}>{body}</figure>'


def letter(index: int) -> str:
    """The sub-figure letter of the 0-based `index`: (a), (b), ... (z), (aa), ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"({letters})"


def _subfigure(
    output: Mapping[str, Any], index: int, figure: FigureSpec, ctx: RenderContext
) -> str:
    if figure.subcaptions is None:
        return f'<div class="nf-subfigure">{render_output(output, ctx)}</div>'
    given = figure.subcaptions
    caption = given[index] if index < len(given) else html.escape(letter(index))
    alts = figure.subfigure_alts
    alt = alts[index] if index < len(alts) and alts[index] else ctx.fig_alt
    inner = render_output(output, replace(ctx, fig_alt=alt))
    anchor = f' id="{_attr(figure.subfigure_ids)}-{index + 1}"' if figure.subfigure_ids else ""
    return (
        f'<figure class="nf-subfigure"{anchor}>{inner}<figcaption>{caption}</figcaption></figure>'
    )


def _grid_style(figure: FigureSpec, count: int) -> str:
    columns = figure.ncol or (-(-count // figure.nrow) if figure.nrow else 1)
    return f"grid-template-columns:repeat({max(1, int(columns))},minmax(0,1fr))"


def _panel(shown: list[Mapping[str, Any]], figure: FigureSpec, ctx: RenderContext) -> str:
    """Several outputs in a grid, each a sub-figure "(a) ..."; the caption under the grid."""
    laid_out = _is_image if figure.kind == "fig" and any(map(_is_image, shown)) else _is_display
    items = [output for output in shown if laid_out(output)]
    before = "".join(render_output(output, ctx) for output in shown if not laid_out(output))
    if not items:
        return before
    cells = "".join(_subfigure(output, i, figure, ctx) for i, output in enumerate(items))
    grid = f'<div class="nf-layout" style="{_grid_style(figure, len(items))}">{cells}</div>'
    if not figure.caption:
        return before + grid
    return before + _figure(grid, figure, " nf-panel")


def _captioned(shown: list[Mapping[str, Any]], figure: FigureSpec, ctx: RenderContext) -> str:
    """A figure caption on the first image (else on all outputs); a table caption over all."""
    figure_at = next((i for i, output in enumerate(shown) if _is_image(output)), None)
    parts = [render_output(output, ctx) for output in shown]
    if figure.kind == "fig" and figure_at is not None:
        parts[figure_at] = _figure(parts[figure_at], figure)
        return "".join(parts)
    inner = "".join(parts)
    return _figure(inner, figure) if inner else ""


def render_outputs(outputs: Sequence[Mapping[str, Any]], ctx: RenderContext) -> str:
    """A block's outputs as HTML: streams merged, the caption and layout of `ctx.figure`
    (or `ctx.fig_cap`) applied.

    A figure caption wraps the first image output in a `<figure>`, or the whole group when
    there is no image (as Quarto does for tables); a panel lays several outputs out in a
    grid of sub-figures.
    """
    shown = shown_outputs(outputs, ctx)
    figure = ctx.figure
    if figure is None and ctx.fig_cap:
        figure = FigureSpec(caption=html.escape(ctx.fig_cap))
    if figure is None:
        return "".join(render_output(output, ctx) for output in shown)
    if figure.is_panel:
        return _panel(shown, figure, ctx)
    return _captioned(shown, figure, ctx)


# ------------------------------------------------------------------------------ ANSI

_ESCAPE_RE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours (SGR, ending in m), cursor moves, erases
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[@-Z\\-_]?"  # other two-byte escapes, or a stray ESC
)
_SGR_RE = re.compile(r"\x1b\[([0-9;:]*)m\Z")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

COLOUR_NAMES = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
_CUBE_LEVELS = (0, 95, 135, 175, 215, 255)


@dataclass(slots=True)
class _Style:
    """The current SGR state. A colour is a CSS class (`ansi-red`) or `#rrggbb`."""

    fg: str | None = None
    bg: str | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False

    def reset(self) -> None:
        self.fg = self.bg = None
        self.bold = self.italic = self.underline = False

    def open_tag(self) -> str:
        """The `<span>` that shows this style, or "" for the default style."""
        classes = [c for c in (self.fg, self.bg) if c and not c.startswith("#")]
        classes += [
            f"ansi-{name}"
            for name, on in (
                ("bold", self.bold),
                ("italic", self.italic),
                ("underline", self.underline),
            )
            if on
        ]
        styles = [
            f"{prop}:{colour}"
            for prop, colour in (("color", self.fg), ("background-color", self.bg))
            if colour and colour.startswith("#")
        ]
        attrs = f' class="{" ".join(classes)}"' if classes else ""
        attrs += f' style="{";".join(styles)}"' if styles else ""
        return f"<span{attrs}>" if attrs else ""


def _palette_class(index: int, background: bool) -> str:
    prefix = "ansi-bg-" if background else "ansi-"
    bright = "bright-" if index >= 8 else ""
    return f"{prefix}{bright}{COLOUR_NAMES[index % 8]}"


def _colour_256(n: int, background: bool) -> str:
    """xterm 256-colour index → a palette class (0-15) or `#rrggbb`."""
    if n < 16:
        return _palette_class(n, background)
    if n < 232:
        n -= 16
        r, g, b = (_CUBE_LEVELS[n // 36], _CUBE_LEVELS[(n // 6) % 6], _CUBE_LEVELS[n % 6])
    else:
        r = g = b = 8 + 10 * (n - 232)
    return f"#{r:02x}{g:02x}{b:02x}"


def _extended_colour(params: list[int], i: int) -> tuple[str | None, int]:
    """Parse `38;5;n` / `38;2;r;g;b` starting at `params[i]`; the colour and next index."""
    mode = params[i + 1] if i + 1 < len(params) else None
    if mode == 5 and i + 2 < len(params):
        return _colour_256(min(params[i + 2], 255), params[i] == 48), i + 3
    if mode == 2 and i + 4 < len(params):
        r, g, b = (min(v, 255) for v in params[i + 2 : i + 5])
        return f"#{r:02x}{g:02x}{b:02x}", i + 5
    return None, len(params)


def _apply_sgr(style: _Style, params: list[int]) -> None:
    """Update `style` by one SGR sequence's parameters."""
    i = 0
    while i < len(params):
        code = params[i]
        if code in (38, 48):
            colour, i = _extended_colour(params, i)
            if colour is not None:
                if code == 38:
                    style.fg = colour
                else:
                    style.bg = colour
            continue
        _apply_simple_sgr(style, code)
        i += 1


def _apply_simple_sgr(style: _Style, code: int) -> None:
    if code == 0:
        style.reset()
    elif code in (1, 22):
        style.bold = code == 1
    elif code in (3, 23):
        style.italic = code == 3
    elif code in (4, 24):
        style.underline = code == 4
    elif 30 <= code <= 37 or 90 <= code <= 97:
        style.fg = _palette_class(code % 10 + (8 if code >= 90 else 0), False)
    elif 40 <= code <= 47 or 100 <= code <= 107:
        style.bg = _palette_class(code % 10 + (8 if code >= 100 else 0), True)
    elif code == 39:
        style.fg = None
    elif code == 49:
        style.bg = None


def _sgr_params(escape: str) -> list[int] | None:
    """The parameters of an SGR escape (`ESC[...m`), or None for any other escape."""
    match = _SGR_RE.match(escape)
    if match is None:
        return None
    return [int(p) if p else 0 for p in re.split("[;:]", match.group(1))]


def collapse_carriage_returns(text: str) -> str:
    """Keep, per line, only the text after the last `\\r`, as a terminal shows it.

    Escapes in the overwritten parts are kept, so colours set there still apply; a
    trailing `\\r` (as in `\\r\\n`) overwrites nothing.
    """
    return "\n".join(_collapse_line(line) for line in text.split("\n"))


def _collapse_line(line: str) -> str:
    segments = line.split("\r")
    shown = max((i for i, seg in enumerate(segments) if seg), default=0)
    hidden = "".join("".join(_ESCAPE_RE.findall(seg)) for seg in segments[:shown])
    return hidden + segments[shown]


def _tokens(text: str) -> Iterator[tuple[str, str | None]]:
    """Split into `(text, None)` and `("", escape)` pieces."""
    position = 0
    for match in _ESCAPE_RE.finditer(text):
        if match.start() > position:
            yield text[position : match.start()], None
        yield "", match.group()
        position = match.end()
    if position < len(text):
        yield text[position:], None


def ansi_to_html(text: str) -> str:
    """Escape terminal text for HTML; SGR colours and styles become `<span>`s.

    Each run of text gets its own span (closed before the style changes), so spans never
    nest. Escapes other than SGR (cursor moves, erases, titles) are dropped.
    """
    style = _Style()
    parts: list[str] = []
    for chunk, escape in _tokens(collapse_carriage_returns(text)):
        if escape is not None:
            params = _sgr_params(escape)
            if params is not None:
                _apply_sgr(style, params)
            continue
        chunk = html.escape(_CONTROL_RE.sub("", chunk), quote=False)
        if not chunk:
            continue
        tag = style.open_tag()
        parts.append(f"{tag}{chunk}</span>" if tag else chunk)
    return "".join(parts)


def strip_ansi(text: str) -> str:
    """Terminal text as plain text: carriage returns applied, escapes removed."""
    return _CONTROL_RE.sub("", _ESCAPE_RE.sub("", collapse_carriage_returns(text)))
