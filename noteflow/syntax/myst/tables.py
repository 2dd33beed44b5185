"""Table directives: `list-table`, `csv-table`, and `table` (a caption on a Markdown table).

Each becomes markdown-it's own table tokens (`table_open`, `tr_open`, …), so tables look
like every other table of the page, with a `<caption>` numbered "Table N" when the
directive has a `:name:`.
"""

from __future__ import annotations

import csv
import logging
from typing import TYPE_CHECKING, Literal

from markdown_it.token import Token

from .calls import DirectiveCall
from .tokens import close_tag, inline, mark_target, open_tag, void_tag, wrap

if TYPE_CHECKING:
    from .expand import Expander

log = logging.getLogger("noteflow")

Cell = list[Token]
Row = list[Cell]


def list_table(call: DirectiveCall, expander: Expander) -> list[Token]:
    """A table written as a list of rows, each a list of cells (cells hold Markdown)."""
    body = expander.body(call)
    rows = _list_rows(body)
    if rows is None:
        log.warning("%s: a list-table's body must be a list of lists; shown as it is", call.where)
        return body
    return table_tokens(call, rows, call.argument)


def csv_table(call: DirectiveCall, expander: Expander) -> list[Token]:
    """A table from comma-separated lines (`:header:` adds a header row)."""
    delimiter = call.text_option("delim", ",")
    delimiter = {"tab": "\t", "space": " "}.get(delimiter, delimiter[:1] or ",")
    rows = _csv_rows(call.body, delimiter)
    header = _csv_rows(call.text_option("header"), ",") if call.option("header") else []
    header_rows = len(header) + _int(call.text_option("header-rows"))
    cells = [[[inline(call, text.strip())] for text in row] for row in header + rows]
    return table_tokens(call, cells, call.argument, header_rows=header_rows)


def table(call: DirectiveCall, expander: Expander) -> list[Token]:
    """`{table} caption` around a Markdown table: the caption and `:name:` go on it."""
    body = expander.body(call)
    start = next((t for t in body if t.type == "table_open"), None)
    if start is None and any("<table" in t.content for t in body if t.type == "html_block"):
        return _captioned_html(call, body)
    if start is None:
        log.warning("%s: a {table} directive holds no table; its body is shown", call.where)
        return body
    _label_table(call, start, call.argument)
    at = body.index(start) + 1
    return [*body[:at], *_caption(call, call.argument), *body[at:]]


def _captioned_html(call: DirectiveCall, body: list[Token]) -> list[Token]:
    """A `{table}` around an HTML table (an included `.html` file, as mystmd allows):
    a `<figure>` whose numbered caption comes first, as a table's caption does."""
    start = open_tag(call, "figure", classes=["nf-table-figure", *call.classes], ident=call.label)
    mark_target(start, call.label, "tbl", call.argument)
    caption = inline(call, call.argument)
    if call.label:
        caption.meta["myst_number"] = call.label
    heading = wrap(call, "figcaption", [caption]) if call.argument else []
    return [start, *heading, *body, close_tag(call, "figure")]


def table_tokens(
    call: DirectiveCall, rows: list[Row], caption: str, header_rows: int | None = None
) -> list[Token]:
    """Table tokens for `rows` (header rows from `:header-rows:`, th cells from
    `:stub-columns:`, column widths from `:widths:`)."""
    if header_rows is None:
        header_rows = _int(call.text_option("header-rows"))
    stubs = _int(call.text_option("stub-columns"))
    start = _token(call, "table_open", "table", 1)
    _label_table(call, start, caption)
    tokens = [
        start,
        *_caption(call, caption),
        *_colgroup(call, len(max(rows, key=len, default=[]))),
    ]
    if header_rows:
        tokens += _section(call, "thead", rows[:header_rows], stubs=10**6)
    if rows[header_rows:]:
        tokens += _section(call, "tbody", rows[header_rows:], stubs=stubs)
    return [*tokens, _token(call, "table_close", "table", -1)]


def _label_table(call: DirectiveCall, start: Token, caption: str) -> None:
    classes = " ".join(["table", *call.classes])
    start.attrSet("class", classes)
    if call.label:
        start.attrSet("id", call.label)
        mark_target(start, call.label, "tbl", caption)
    if call.option("align"):
        start.attrSet("class", f"{classes} align-{call.text_option('align')}")


def _caption(call: DirectiveCall, caption: str) -> list[Token]:
    if not caption:
        return []
    text = inline(call, caption)
    if call.label:
        text.meta["myst_number"] = call.label
    return [
        _token(call, "myst_caption_open", "caption", 1),
        text,
        _token(call, "myst_caption_close", "caption", -1),
    ]


def _colgroup(call: DirectiveCall, columns: int) -> list[Token]:
    widths = [int(w) for w in call.text_option("widths").replace(",", " ").split() if w.isdigit()]
    if len(widths) != columns or not sum(widths):
        return []
    cols = [
        void_tag(call, "col", {"style": f"width: {100 * w / sum(widths):.0f}%"}) for w in widths
    ]
    return [
        _token(call, "myst_colgroup_open", "colgroup", 1),
        *cols,
        _token(call, "myst_colgroup_close", "colgroup", -1),
    ]


def _section(call: DirectiveCall, tag: str, rows: list[Row], *, stubs: int) -> list[Token]:
    tokens = [_token(call, f"{tag}_open", tag, 1)]
    for row in rows:
        tokens.append(_token(call, "tr_open", "tr", 1))
        for column, cell in enumerate(row):
            kind = "th" if column < stubs else "td"
            tokens += [
                _token(call, f"{kind}_open", kind, 1),
                *cell,
                _token(call, f"{kind}_close", kind, -1),
            ]
        tokens.append(_token(call, "tr_close", "tr", -1))
    return [*tokens, _token(call, f"{tag}_close", tag, -1)]


def _token(call: DirectiveCall, kind: str, tag: str, nesting: Literal[-1, 0, 1]) -> Token:
    return Token(kind, tag, nesting, map=call.map, level=call.level, block=True)


def _list_rows(body: list[Token]) -> list[Row] | None:
    """The cells of a list of lists, or None if `body` is not one."""
    rows = _list_items(body)
    if rows is None:
        return None
    cells = [_list_items(row) if row else [] for row in rows]
    return None if any(row is None for row in cells) else [row or [] for row in cells]


def _list_items(tokens: list[Token]) -> list[list[Token]] | None:
    """The inner tokens of each item of the one bullet list `tokens` holds, else None."""
    if len(tokens) < 2 or tokens[0].type != "bullet_list_open":
        return None
    items: list[list[Token]] = []
    depth = 0
    for token in tokens[1:-1]:
        if depth == 0:
            if token.type != "list_item_open":
                return None
            items.append([])
        depth += token.nesting
        if depth and not (depth == 1 and token.type == "list_item_open"):
            items[-1].append(token)
    return items if tokens[-1].type == "bullet_list_close" else None


def _csv_rows(text: str, delimiter: str) -> list[list[str]]:
    lines = [line for line in text.split("\n") if line.strip()]
    return [row for row in csv.reader(lines, delimiter=delimiter, skipinitialspace=True)]


def _int(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0
