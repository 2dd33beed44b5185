"""Inline expressions (`` `r x` ``, `` `{python} x` ``): a value in the text as a `<span>`.

Owns how a value shows inline: its `text/plain`, or its `text/markdown` rendered inline with
raw HTML escaped; a failed expression shows its error, one not run a `?`.
"""

from __future__ import annotations

import html

from ..markdown import output_markdown_parser
from ..model import BlockResult


def inline_html(result: BlockResult | None) -> str:
    """The `<span>` an inline expression's result shows as."""
    if result is None or result.status in ("not-run", "skipped"):
        reason = result.reason if result else "not run"
        return f'<span class="nf-inline nf-inline-missing" title="{html.escape(reason)}">?</span>'
    if result.status == "failed":
        error = html.escape(result.error)
        return f'<span class="nf-inline nf-inline-error" title="{error}">{error}</span>'
    markdown = _inline_markdown(result)
    if markdown is not None:
        return f'<span class="nf-inline nf-inline-markdown">{markdown}</span>'
    return f'<span class="nf-inline">{html.escape(inline_text(result))}</span>'


def inline_text(result: BlockResult) -> str:
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
