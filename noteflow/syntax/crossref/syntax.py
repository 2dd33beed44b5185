"""The markdown-it rules for cross-reference syntax, and `plugin(md)` installing them.

References (`@fig-x`, `[see @fig-x; @fig-y]`) become `nf_xref` tokens at parse time and
are resolved at render time, since numbering happens after parsing; `$$ … $$ {#eq-x}`
becomes a `math_block_label` token. Their render rules are in `rendering`.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

from .references import BARE_REFERENCE, MAX_GROUP_LENGTH, is_joined, make_reference, parse_group
from .rendering import render_listing, render_references, wrap_equation_render
from .targets import is_reference_type

EQUATION_END = re.compile(r"^(?P<body>.*?)\$\$\s*\{#(?P<label>[^\s}]+)[^}]*\}\s*$", re.DOTALL)


def plugin(md: MarkdownIt) -> None:
    """Add the reference and equation-label syntax rules to `md`."""
    md.inline.ruler.before("link", "nf_xref_group", _bracketed_references)
    md.inline.ruler.after("text", "nf_xref", _bare_reference)
    alt = ["paragraph", "reference", "blockquote", "list", "footnote_def"]
    anchor = "math_block" if "math_block" in md.block.ruler.get_all_rules() else "fence"
    md.block.ruler.before(anchor, "nf_equation_label", _labelled_equation, {"alt": alt})
    md.add_render_rule("nf_xref", render_references)
    md.add_render_rule("nf_listing", render_listing)
    wrap_equation_render(md)


def _bare_reference(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    if state.src[pos] != "@" or (pos > 0 and is_joined(state.src[pos - 1])) or state.linkLevel:
        return False
    found = BARE_REFERENCE.match(state.src, pos)
    if found is None or not is_reference_type(found["type"]):
        return False
    if not silent:
        token = state.push("nf_xref", "", 0)
        token.content = found.group(0)
        token.meta["nf_refs"] = [make_reference(found["label"])]
    state.pos = found.end()
    return True


def _bracketed_references(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    if state.src[pos] != "[":
        return False
    end = state.src.find("]", pos, min(state.posMax, pos + MAX_GROUP_LENGTH))
    inside = state.src[pos + 1 : end] if end > 0 else ""
    if "@" not in inside or "[" in inside or state.src[end + 1 : end + 2] in ("(", "["):
        return False
    if state.linkLevel:
        return False
    references = parse_group(inside)
    if not references:
        return False
    if not silent:
        token = state.push("nf_xref", "", 0)
        token.content = state.src[pos : end + 1]
        token.meta["nf_refs"] = references
    state.pos = end + 1
    return True


def _labelled_equation(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """`$$ … $$ {#eq-x}` (Pandoc's equation label), on one line or several."""
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    begin = state.bMarks[start_line] + state.tShift[start_line]
    if not state.src.startswith("$$", begin):
        return False
    lines = [state.src[begin + 2 : state.eMarks[start_line]]]
    line = start_line
    while (found := EQUATION_END.match(lines[-1])) is None:
        if "$$" in lines[-1] or line + 1 >= end_line or state.isEmpty(line + 1):
            return False
        line += 1
        lines.append(state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]])
    if silent:
        return True
    token = state.push("math_block_label", "math", 0)
    token.block = True
    token.content = "\n".join([*lines[:-1], found["body"]]).strip()
    token.info = found["label"]
    token.markup = "$$"
    token.map = [start_line, line + 1]
    state.line = line + 1
    return True
