"""List tables: `::: {.list-table}` around a list of lists is a table, as in Quarto.

Owns re-typing such a div's first bullet list into table tokens: each item of the
outer list is a row and each item of its inner list a cell (Markdown blocks allowed).
The div's attributes say `header-rows` (default 1), `header-cols` (default 0),
`widths="1,3"` (relative column widths) and `aligns="l,c,r"`. A paragraph before or
after the list is the caption (in a `#tbl-x` div, numbered, as for any table div); its
trailing `{tbl-colwidths=[20,80]}` gives the widths. The div itself leaves no element,
as Quarto's filter leaves none.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Literal

from markdown_it.token import Token

from .attributes import Attributes, parse_braced
from .divs import child_ranges, matching_close

logger = logging.getLogger("noteflow")

ALIGNMENTS = {"l": "left", "c": "center", "r": "right"}


def is_list_table(attributes: Attributes) -> bool:
    return attributes.has_class("list-table")


def transform(tokens: list[Token], open_index: int, *, where: str) -> None:
    """Replace the list-table div's first bullet list with a table, in place."""
    attributes: Attributes = tokens[open_index].meta["nf_attributes"]
    table = _first_list(tokens, open_index)
    if table is None:
        logger.warning("%s: a list-table div without a list is shown as a div", where)
        return
    caption_widths = _caption_attributes(tokens, open_index, table)
    if caption_widths and not attributes.get("widths"):
        attributes = replace(
            attributes, values={**attributes.values, "widths": caption_widths.strip("[]")}
        )
    table = _first_list(tokens, open_index) or table  # the caption may have moved
    rows = [_cells(tokens, row) for row in _items(tokens, table)]
    tokens[table.start : table.stop] = _table(rows, attributes)
    close_index = matching_close(tokens, open_index)
    tokens[open_index].type, tokens[close_index].type = OPEN, CLOSE


OPEN, CLOSE = "nf_list_table_open", "nf_list_table_close"
"""The div's own tokens, which render as nothing (a float div re-types them again)."""


def render_nothing(*_: object) -> str:
    return ""


RENDER_RULES = {OPEN: render_nothing, CLOSE: render_nothing}


def _first_list(tokens: list[Token], open_index: int) -> range | None:
    children = child_ranges(tokens, open_index, matching_close(tokens, open_index))
    return next((r for r in children if tokens[r.start].type == "bullet_list_open"), None)


def _caption_attributes(tokens: list[Token], open_index: int, table: range) -> str:
    """A caption paragraph before the list moves after it (where a table div's caption
    is read from); a trailing `{tbl-colwidths=[20,80]}` leaves its text. Gives those
    widths ("" when none)."""
    children = child_ranges(tokens, open_index, matching_close(tokens, open_index))
    before = [r for r in children if r.stop <= table.start]
    after = [r for r in children if r.start >= table.stop]
    caption = before[-1] if before and not after else after[-1] if after else None
    if caption is None or tokens[caption.start].type != "paragraph_open":
        return ""
    widths = _strip_attributes(tokens[caption.start + 1])
    if caption.stop <= table.start:
        moved = tokens[caption.start : caption.stop]
        del tokens[caption.start : caption.stop]
        at = matching_close(tokens, open_index)
        tokens[at:at] = moved
    return widths


def _strip_attributes(inline: Token) -> str:
    last = inline.children[-1] if inline.children else None
    found = _TRAILING_ATTRIBUTES.search(last.content) if last and last.type == "text" else None
    attributes = parse_braced(found[1]) if found else None
    if last is None or found is None or attributes is None:
        return ""
    last.content = last.content[: found.start()]
    inline.content = _TRAILING_ATTRIBUTES.sub("", inline.content)
    return attributes.get("tbl-colwidths")


_TRAILING_ATTRIBUTES = re.compile(r"\s*(\{[^{}]*\})\s*$")


def _items(tokens: list[Token], list_range: range) -> list[range]:
    """The token ranges inside each item of the list at `list_range` (without the item's
    own open and close tokens)."""
    items = child_ranges(tokens, list_range.start, list_range.stop - 1)
    return [
        range(r.start + 1, r.stop - 1) for r in items if tokens[r.start].type == "list_item_open"
    ]


def _cells(tokens: list[Token], row: range) -> list[list[Token]]:
    """A row item's cells: the items of the first list inside it."""
    for child in child_ranges(tokens, row.start - 1, row.stop):  # from the item's opening
        if tokens[child.start].type in ("bullet_list_open", "ordered_list_open"):
            return [tokens[c.start : c.stop] for c in _items(tokens, child)]
    return [tokens[row.start : row.stop]]  # a row written as one item: one cell


def _table(rows: list[list[list[Token]]], attributes: Attributes) -> list[Token]:
    header_rows = _count(attributes.get("header-rows"), 1)
    header_cols = _count(attributes.get("header-cols"), 0)
    aligns = [ALIGNMENTS.get(a.strip().lower(), "") for a in attributes.get("aligns").split(",")]
    table = [_token("table_open", "table", 1), *_colgroup(attributes.get("widths"))]
    sections = (("thead", rows[:header_rows]), ("tbody", rows[header_rows:]))
    for section, section_rows in sections:
        if not section_rows:
            continue
        table.append(_token(f"{section}_open", section, 1))
        for row in section_rows:
            table.append(_token("tr_open", "tr", 1))
            for column, cell in enumerate(row):
                head = section == "thead" or column < header_cols
                align = aligns[column] if column < len(aligns) else ""
                table.extend(_cell(cell, "th" if head else "td", align))
            table.append(_token("tr_close", "tr", -1))
        table.append(_token(f"{section}_close", section, -1))
    table.append(_token("table_close", "table", -1))
    return table


def _cell(content: list[Token], tag: str, align: str) -> list[Token]:
    opening = _token(f"{tag}_open", tag, 1)
    if align:
        opening.attrSet("style", f"text-align:{align}")
    paragraphs = [t for t in content if t.type == "paragraph_open" and t.level == content[0].level]
    alone = content and (content[0].type, content[-1].type) == ("paragraph_open", "paragraph_close")
    if len(paragraphs) == 1 and alone:
        for token in (content[0], content[-1]):
            token.hidden = True  # one paragraph: its text alone, as in a pipe table cell
    return [opening, *content, _token(f"{tag}_close", tag, -1)]


def _colgroup(widths_text: str) -> list[Token]:
    """`<colgroup>` for `widths="1,3"` (each column's share of the width)."""
    try:
        widths = [float(w) for w in widths_text.split(",")] if widths_text.strip() else []
    except ValueError:
        widths = []
    if not widths or sum(widths) <= 0:
        return []
    cols = "".join(f'<col style="width:{100 * w / sum(widths):.4g}%">' for w in widths)
    return [Token("html_block", "", 0, content=f"<colgroup>{cols}</colgroup>\n")]


def _count(text: str, default: int) -> int:
    return int(text) if text.strip().isdigit() else default


def _token(kind: str, tag: str, nesting: Literal[-1, 0, 1]) -> Token:
    return Token(kind, tag, nesting, block=True)
