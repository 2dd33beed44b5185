"""Captions of a block: Quarto's figure, table and listing captions and sub-figure layouts.

Owns how a block's options (`fig-cap`, `tbl-cap`, `fig-subcap`, `tbl-subcap`,
`layout-ncol`, `layout-nrow`, `layout`, `fig-cap-location`, `fig-alt`, `lst-cap`) become
a `FigureSpec` for the output renderers, or a `<figure>` around the code: captions are
the author's Markdown, numbered through the cross-references when the block's label is a
target (`fig-…`, `tbl-…`, `lst-…`).
"""

from __future__ import annotations

import html
import re
from typing import Any, Protocol

from ..model import Block
from ..outputs import FigureSpec, letter
from ..syntax.crossref import Target, caption_html


class CaptionSource(Protocol):
    """What captions need from the render stage (`Hooks` provides it)."""

    def option(self, block: Block, name: str, default: Any = None) -> Any:
        """A display option: the block's, else the document's `execute`, else the page's."""
        ...

    def inline(self, text: Any) -> str:
        """The author's Markdown as inline HTML."""
        ...

    def target(self, label: str) -> Target | None:
        """The cross-reference target `label` names, if any."""
        ...


def listing(block: Block, code: str, source: CaptionSource) -> str:
    """Quarto's code listing: `lst-cap` over the code, numbered when it is a target
    (`lst-label`, or a label `lst-…`)."""
    caption = block.option("lst-cap")
    if caption is None:
        return code
    label = str(block.option("lst-label") or (block.id if block.labelled else ""))
    target = source.target(label) if label.startswith("lst-") else None
    text = source.inline(caption)
    shown = caption_html(target, text) if target else text
    anchor = f' id="{html.escape(target.anchor)}"' if target and target.anchor != block.id else ""
    return (
        f'<figure class="nf-figure nf-listing"{anchor}><figcaption>{shown}</figcaption>'
        f"{code}</figure>\n"
    )


def figure_spec(block: Block, source: CaptionSource) -> FigureSpec | None:
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
    target = source.target(label) if label.startswith(f"{kind}-") else None
    caption_text = source.inline(caption) if caption is not None else ""
    subs = _subcaptions(label, subcaptions, source)
    location = source.option(block, f"{kind}-cap-location", source.option(block, "cap-location"))
    return FigureSpec(
        caption=caption_html(target, caption_text) if target else caption_text,
        kind=kind,
        numbered=target is not None,
        caption_above=location == "top" or (kind == "tbl" and location is None),
        anchor=target.anchor if target and target.anchor != block.id else "",
        subcaptions=subs,
        subfigure_alts=tuple(
            _plain(source.inline(text)) for text in _subcaption_texts(subcaptions)
        ),
        subfigure_ids=label if target else "",
        ncol=ncol,
        nrow=nrow,
    )


def _subcaptions(label: str, subcaptions: Any, source: CaptionSource) -> tuple[str, ...] | None:
    if subcaptions is None or subcaptions is False:
        return None
    captions = []
    for index, text in enumerate(_subcaption_texts(subcaptions)):
        target = source.target(f"{label}-{index + 1}") if label else None
        body = source.inline(text) if text else ""
        if target is not None:
            captions.append(caption_html(target, body))
        else:
            captions.append(f"{html.escape(letter(index))} {body}".rstrip())
    return tuple(captions)


def figure_alt(block: Block, figure: FigureSpec | None, source: CaptionSource) -> str | None:
    """`fig-alt`, else the caption's text (without its number)."""
    alt = block.option("fig-alt")
    if alt is not None:
        return str(alt)
    caption = _first(block.option("fig-cap"))
    return _plain(source.inline(caption)) if caption is not None and figure else None


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
