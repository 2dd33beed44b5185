"""Text output: streams, `text/plain` values and tracebacks as escaped `<pre>` blocks.

Owns how printed text is shown: ANSI colours kept (`ansi.py`), knitr's `comment` prefix
on every line (`commented`), and the `output: asis` / `results: asis` case, where stdout
is the document's Markdown instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .ansi import ansi_to_html, strip_ansi
from .context import RenderContext
from .fragments import text_value


def commented(text: str, prefix: str | None) -> str:
    """knitr's `comment`: each line of `text` after `prefix` and a space (trailing spaces
    dropped, so an empty line is the prefix alone)."""
    if not prefix:
        return text
    ending = "\n" if text.endswith("\n") else ""
    lines = text.removesuffix("\n").split("\n")
    return "\n".join(f"{prefix} {line}".rstrip() for line in lines) + ending


def asis_markdown(text: str, ctx: RenderContext) -> str:
    """Text a block prints under `output: asis` / `results: asis`: the document's Markdown."""
    return (ctx.document_markdown or ctx.markdown)(strip_ansi(text))


def render_plain(value: Any, metadata: Mapping[str, Any], ctx: RenderContext) -> str:
    """The `text/plain` renderer: escaped text, or the document's Markdown under `asis`."""
    if ctx.asis:
        return asis_markdown(text_value(value), ctx)
    text = commented(text_value(value), ctx.comment)
    return f'<pre class="nf-output nf-text">{ansi_to_html(text)}</pre>'


def render_stream(output: Mapping[str, Any], ctx: RenderContext) -> str:
    """A `stream` output (stdout or stderr)."""
    name = "stderr" if output.get("name") == "stderr" else "stdout"
    text = text_value(output.get("text", ""))
    if ctx.asis and name == "stdout":
        return asis_markdown(text, ctx)
    text = commented(text, ctx.comment)
    return f'<pre class="nf-output nf-stream nf-{name}">{ansi_to_html(text)}</pre>'


def render_error(output: Mapping[str, Any], ctx: RenderContext) -> str:
    """An `error` output: its traceback, else `ename: evalue`."""
    traceback = output.get("traceback")
    if isinstance(traceback, list) and traceback:
        text = "\n".join(map(str, traceback))
    else:
        text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
    return f'<pre class="nf-output nf-error">{ansi_to_html(text)}</pre>'
