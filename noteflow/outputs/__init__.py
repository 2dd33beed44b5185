"""Jupyter outputs to HTML: how a block's nbformat v4 outputs (streams, rich display data,
errors) become HTML fragments. One module per job:

- `mime.py`: `RENDERERS`, MIME type -> renderer, the extension point (a plugin adds a MIME
  type by adding one entry), and `choose_mime`;
- `dispatch.py`: one output by its `output_type` (`render_output`);
- `layout.py`: a block's outputs with its caption and sub-figure grid (`render_outputs`);
- `selection.py`: which outputs are shown (`clear_output`, merged streams, `results: hide`);
- `text.py`: streams, plain text and tracebacks; knitr's `comment`, `asis` Markdown;
- `ansi.py`: ANSI escape codes to `<span class="ansi-...">`;
- `context.py`: `RenderContext` and `FigureSpec`, what renderers are given;
- `fragments.py`: reading an output's parts; notices in place of an output.

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

from .ansi import COLOUR_NAMES, ansi_to_html, collapse_carriage_returns, strip_ansi
from .context import FigureSpec, RenderContext
from .dispatch import OUTPUT_TYPES, render_output
from .fragments import format_size, truncated_bytes
from .layout import letter, render_outputs
from .mime import (
    IMAGE_TYPES,
    MIME_PREFERENCE,
    RASTER_TYPES,
    RENDERERS,
    MimeRenderer,
    choose_mime,
    is_pipe_table,
    render_html,
    render_json,
    render_latex,
    render_markdown,
    render_svg,
)
from .selection import is_text_output, shown_outputs, text_of
from .text import commented, render_plain

__all__ = [
    "COLOUR_NAMES",
    "IMAGE_TYPES",
    "MIME_PREFERENCE",
    "OUTPUT_TYPES",
    "RASTER_TYPES",
    "RENDERERS",
    "FigureSpec",
    "MimeRenderer",
    "RenderContext",
    "ansi_to_html",
    "choose_mime",
    "collapse_carriage_returns",
    "commented",
    "format_size",
    "is_pipe_table",
    "is_text_output",
    "letter",
    "render_html",
    "render_json",
    "render_latex",
    "render_markdown",
    "render_output",
    "render_outputs",
    "render_plain",
    "render_svg",
    "shown_outputs",
    "strip_ansi",
    "text_of",
    "truncated_bytes",
]
