"""One nbformat v4 output to HTML: its `output_type` picks the renderer.

Owns `OUTPUT_TYPES` (`stream`, `display_data`, `execute_result`, `error`) and what a
display output goes through before its MIME renderer runs: the `output-limit` marker, the
knitr view of R values, `asis` and document Markdown, and blob references read from the
cache (a missing blob becomes a notice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .context import RenderContext
from .fragments import (
    not_shown,
    output_data,
    text_value,
    truncated_bytes,
    truncation_notice,
)
from .mime import RENDERERS, choose_mime, knitr_data, render_document_markdown, unshowable
from .text import asis_markdown, render_error, render_stream


def render_output(output: Mapping[str, Any], ctx: RenderContext) -> str:
    """One nbformat v4 output as HTML (no figure wrapping; see `render_outputs`)."""
    if not isinstance(output, Mapping):
        return not_shown(type(output).__name__)
    kind = str(output.get("output_type", ""))
    renderer = OUTPUT_TYPES.get(kind)
    if renderer is None:
        return not_shown(kind)
    return renderer(output, ctx)


def _resolve_blob(value: Any, ctx: RenderContext) -> Any:
    """A `{"blob": sha}` reference replaced by the blob's bytes (None if unreadable)."""
    if isinstance(value, Mapping) and "blob" in value:
        return ctx.blob(str(value["blob"]))
    return value


def _render_display(output: Mapping[str, Any], ctx: RenderContext) -> str:
    dropped = truncated_bytes(output)
    if dropped is not None:
        return truncation_notice(output, dropped)
    data = knitr_data(output_data(output)) if ctx.knitr else output_data(output)
    mime = choose_mime(data)
    if ctx.asis and "text/markdown" in data:
        return asis_markdown(text_value(data["text/markdown"]), ctx)
    if mime == "text/markdown":
        document_markdown = render_document_markdown(output, ctx)
        if document_markdown is not None:
            return document_markdown
    if mime is None:
        return not_shown(", ".join(sorted(map(str, data)))) if data else ""
    value = _resolve_blob(data[mime], ctx)
    if value is None:
        return unshowable(ctx, mime, "its data is missing from the cache or corrupt")
    all_metadata = output.get("metadata")
    metadata = all_metadata.get(mime) if isinstance(all_metadata, Mapping) else None
    return RENDERERS[mime](value, metadata if isinstance(metadata, Mapping) else {}, ctx)


OUTPUT_TYPES: dict[str, Callable[[Mapping[str, Any], RenderContext], str]] = {
    "stream": render_stream,
    "display_data": _render_display,
    "execute_result": _render_display,
    "update_display_data": _render_display,
    "error": render_error,
}
"""nbformat `output_type` → renderer of the whole output."""
