"""Page-level options: what the front matter asks of the whole page.

Owns `page_option` (an option at the top of the front matter, or under `format: html:`,
as Quarto allows), the table of contents (`toc`, `toc-depth`, `toc-title`), Quarto's
`code-tools` menu, and the page metadata the theme shows (title, author, date, …).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..model import BlockId, BlockResult, Document
from ..parse import FRONT_MATTER_FIELDS, front_matter_inline
from .folding import DEFAULT_CODE_SUMMARY
from .inline import inline_text

log = logging.getLogger("noteflow")

DEFAULT_TOC_DEPTH = 3
_SOURCE_URL = re.compile(r"https?://\S+")


def page_option(front: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """A page-level option: the front matter's own key, overridden under `format: html:`."""
    formats = front.get("format")
    html_format = formats.get("html") if isinstance(formats, Mapping) else None
    if isinstance(html_format, Mapping) and name in html_format:
        return html_format[name]
    return front.get(name, default)


def page_meta(
    document: Document, results: Mapping[BlockId, BlockResult] | None = None
) -> dict[str, Any]:
    """What the theme shows of the page: title, author, …, the code-tools menu, the toc's title.

    Inline expressions in those fields (`date: "`r Sys.Date()`"`) show their values."""
    front = document.front_matter
    meta = {
        k: _with_values(document, k, front[k], results or {})
        for k in FRONT_MATTER_FIELDS
        if front.get(k)
    }
    if "date" in meta:
        meta["date"] = date_text(meta["date"], page_option(front, "date-format"), document.path)
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


def _with_values(
    document: Document, field: str, value: Any, results: Mapping[BlockId, BlockResult]
) -> Any:
    if not isinstance(value, str):
        return value
    found = front_matter_inline(value, inline_r=bool(document.env.get("nf_knitr")))
    shown, end = [], 0
    for number, (match, _, _) in enumerate(found, start=1):
        result = results.get(BlockId(f"front-{field}-{number}"))
        text = inline_text(result) if result is not None and result.status in OK else "?"
        shown += [value[end : match.start()], text]
        end = match.end()
    return "".join(shown) + value[end:]


OK = ("executed", "cached")
DATE_STYLES = {
    "full": "%A, %B {day}, %Y",
    "long": "%B {day}, %Y",
    "medium": "%b {day}, %Y",
    "short": "{month}/{day}/%y",
    "iso": "%Y-%m-%d",
}
"""Quarto's `date-format` styles (`long`: March 7, 2005)."""


def date_text(value: Any, style: Any, path: Path) -> Any:
    """Quarto's date keywords (`today`, `now`, `last-modified`) and `date-format` styles;
    keywords are shown `long` unless a style is given, other dates as written."""
    when: datetime.datetime | None = None
    if value == "today":
        when = datetime.datetime.combine(datetime.date.today(), datetime.time())
    elif value == "now":
        when = datetime.datetime.now()
    elif value == "last-modified":
        with contextlib.suppress(OSError):
            when = datetime.datetime.fromtimestamp(path.stat().st_mtime)
    elif isinstance(value, (datetime.date, str)) and style in DATE_STYLES:
        with contextlib.suppress(ValueError):
            when = datetime.datetime.fromisoformat(str(value))
    if when is None:
        return value
    pattern = DATE_STYLES.get(str(style or "long"), DATE_STYLES["long"])
    return when.strftime(pattern.format(day=when.day, month=when.month))


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
