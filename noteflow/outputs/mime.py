"""MIME type -> renderer: the extension point for how a display value becomes HTML.

`RENDERERS` maps a MIME type to the function that renders a value of that type, in the
manner of markdown-it-py's renderer rules: a plugin adds a MIME type by adding one entry.
`choose_mime` picks the type to show from a display output's bundle (`MIME_PREFERENCE`,
richest first; a plugin's types before the built-in ones), and `knitr_data` reduces a
bundle to what knitr would show of an R value.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from .context import RenderContext
from .fragments import attr, binary_value, noteflow_metadata, notice, output_data, text_value
from .text import render_plain

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

MimeRenderer = Callable[[Any, Mapping[str, Any], RenderContext], str]
"""`(value, metadata for this MIME type, context) -> HTML` for one MIME type.

A value is nbformat's: a str, a list of str, JSON data; a blob reference in the cache
entry arrives already read, as `bytes`."""


def unshowable(ctx: RenderContext, mime: str, reason: str) -> str:
    """Notice and warning for an output whose data cannot be shown."""
    block = f"block {ctx.block_id}: " if ctx.block_id else ""
    log.warning("%s%s output could not be shown: %s", block, mime, reason)
    noun = "image" if mime in IMAGE_TYPES else f"{mime} output"
    return notice("unshowable", f"The {noun} could not be shown: {reason}.")


# --------------------------------------------------------------------- MIME renderers


def render_html(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    """The user's own HTML, inserted raw as Jupyter does."""
    return f'<div class="nf-output nf-html">{text_value(value)}</div>'


def _size_attrs(metadata: Mapping[str, Any]) -> str:
    return "".join(
        f' {name}="{attr(metadata[name])}"' for name in ("width", "height") if name in metadata
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
    return f' style="{attr(";".join(rules))}"' if rules else ""


def _img(mime: str, data: bytes, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    src = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    alt = attr(ctx.fig_alt or "")
    return (
        f'<div class="nf-output nf-image">'
        f'<img src="{src}" alt="{alt}"{_size_attrs(metadata)}{_display_size(ctx)}></div>'
    )


def render_svg(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    """SVG as an `<img>` data URI: shown like any image, its scripts never run."""
    svg = value if isinstance(value, bytes) else text_value(value).encode("utf-8")
    if not svg.strip():
        return unshowable(ctx, "image/svg+xml", "the image is empty")
    return _img("image/svg+xml", svg, metadata, ctx)


def _raster_image(mime: str) -> MimeRenderer:
    """A renderer for a binary image type: an `<img>` with a data URI, or a notice."""

    def render(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
        data = binary_value(value)
        if data is None:
            return unshowable(ctx, mime, "invalid base64 data")
        if not data:
            return unshowable(ctx, mime, "the image is empty")
        return _img(mime, data, metadata, ctx)

    return render


def render_markdown(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    return f'<div class="nf-output nf-markdown">{ctx.markdown(text_value(value))}</div>'


def render_document_markdown(output: Mapping[str, Any], ctx: RenderContext) -> str | None:
    """Markdown an output marks as part of the document, or None if it is not marked."""
    if ctx.document_markdown is None or not noteflow_metadata(output).get("document_markdown"):
        return None
    text = text_value(output_data(output).get("text/markdown", ""))
    return f'<div class="nf-output nf-markdown">{ctx.document_markdown(text)}</div>'


def _strip_math_delimiters(latex: str) -> str:
    latex = latex.strip()
    for delimiter in ("$$", "$"):
        size = len(delimiter)
        if len(latex) > 2 * size and latex.startswith(delimiter) and latex.endswith(delimiter):
            return latex[len(delimiter) : -len(delimiter)].strip()
    return latex


def render_latex(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    latex = _strip_math_delimiters(text_value(value))
    return f'<div class="nf-output nf-math">{ctx.math(latex, True)}</div>'


def render_json(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return f'<pre class="nf-output nf-json">{html.escape(text, quote=False)}</pre>'


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


# --------------------------------------------------------------------------- knitr

_REPR_BUNDLE = frozenset({"text/html", "text/markdown", "text/latex", "text/plain"})
"""What IRkernel's `repr` gives for a plain R value; an HTML widget or table package
gives HTML without this bundle."""
_PIPE_DELIMITER_ROW = re.compile(r"\|(\s*:?-+:?\s*\|)+")


def knitr_data(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A display output's data as knitr would show the value: printed, or as a table."""
    if data.keys() >= _REPR_BUNDLE:
        return {"text/plain": data["text/plain"]}
    if choose_mime(data) == "text/plain" and is_pipe_table(text_value(data["text/plain"])):
        return {"text/markdown": data["text/plain"]}
    return data


def is_pipe_table(text: str) -> bool:
    """True for text that is one Markdown pipe table (what `knitr::kable()` prints)."""
    rows = [line.strip() for line in text.strip().splitlines()]
    if len(rows) < 2 or not all(row.startswith("|") and row.endswith("|") for row in rows):
        return False
    return _PIPE_DELIMITER_ROW.fullmatch(rows[1]) is not None
