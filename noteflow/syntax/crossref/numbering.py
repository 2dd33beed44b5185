"""Numbering a document: one walk over the tokens that finds and numbers every target.

Owns `number_document`, called by the parse stage once the document's blocks are known:
headings (`sec-…`, `number-sections`), executable blocks (`fig-…`, `tbl-…`, `lst-…`,
`lst-label`, sub-captions), display code fences `{#lst-x}`, labelled equations, and any
token a plugin marked with a `TargetMark` (or a div whose id has a reference type).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from markdown_it.token import Token

from ...model import Block
from .checks import warn_unknown_caption_references, warn_unknown_references
from .counters import Numbering, Open
from .settings import front_matter, read_settings
from .targets import TargetMark, Xrefs, is_reference_type


def number_document(
    tokens: Sequence[Token], blocks: Sequence[Block], env: dict[str, Any], path: str
) -> Xrefs:
    """Number the document's targets and store them in `env["nf_xrefs"]`."""
    settings = read_settings(front_matter(tokens, env, path))
    xrefs = Xrefs(
        ref_delim=str(settings.crossref.get("ref-delim", ",")),
        subref_scheme=str(settings.crossref.get("subref-labels", "alpha a")),
        hyperlink=settings.crossref.get("ref-hyperlink") is not False,
    )
    numbering = Numbering(settings, path, xrefs, base_level=_base_level(tokens))
    blocks_by_id = {str(block.id): block for block in blocks}
    for index, token in enumerate(tokens):
        _number_token(numbering, tokens, index, blocks_by_id)
        _track_depth(numbering, token)
    env["nf_xrefs"] = xrefs
    warn_unknown_references(tokens, xrefs, path)
    warn_unknown_caption_references(blocks, xrefs, path)
    return xrefs


def _base_level(tokens: Sequence[Token]) -> int:
    """The shallowest heading level: numbering starts there (`##` only gives `1`, `2`)."""
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open" and not _unnumbered(t)]
    return min(levels, default=1)


def _track_depth(numbering: Numbering, token: Token) -> None:
    numbering.depth += token.nesting
    opened = numbering.open_targets
    while opened and numbering.depth <= opened[-1].depth:
        opened.pop()


def _number_token(
    numbering: Numbering, tokens: Sequence[Token], index: int, blocks: Mapping[str, Block]
) -> None:
    token = tokens[index]
    line = (token.map[0] if token.map else 0) + 1
    if token.type == "heading_open":
        previous = tokens[index - 1] if index else None
        _number_heading(numbering, token, tokens[index + 1], previous, line)
        return
    if token.type == "fence" and token.meta.get("nf_block") in blocks:
        _number_block(numbering, blocks[token.meta["nf_block"]])
    elif token.type == "fence":
        _number_listing_fence(numbering, token, line)
    elif token.type == "math_block_label":
        numbering.add(token.info, "eq", token.info, "", line)
    mark = token.meta.get("nf_target")
    if isinstance(mark, TargetMark) or (mark := _unmarked_target(token)) is not None:
        _number_mark(numbering, token, mark, line)
    for child in token.children or ():
        _number_inline(numbering, child, line)


def _number_mark(numbering: Numbering, token: Token, mark: TargetMark, line: int) -> None:
    anchor = str(token.attrGet("id") or mark.label)
    target = numbering.add(mark.label, mark.kind, anchor, mark.title, line)
    if target is not None and token.nesting == 1 and not target.sub:
        numbering.open_targets.append(Open(numbering.depth, target))


def _unmarked_target(token: Token) -> TargetMark | None:
    """A container (a Pandoc div `::: {#fig-x}`, `{#thm-x}`) whose id has a reference
    type's prefix is a target even when its plugin did not mark it."""
    if token.nesting != 1 or token.type == "heading_open":
        return None
    attributes = token.meta.get("nf_attributes")  # Pandoc attributes kept by the div plugin
    ident = str(token.attrGet("id") or getattr(attributes, "id", "") or "")
    kind = ident.split("-", 1)[0]
    if "-" not in ident or kind == "sec" or not is_reference_type(kind):
        return None
    return TargetMark(ident, kind)


def _number_inline(numbering: Numbering, child: Token, line: int) -> None:
    mark = child.meta.get("nf_target")
    if isinstance(mark, TargetMark):
        numbering.add(
            mark.label, mark.kind, str(child.attrGet("id") or mark.label), mark.title, line
        )
        return
    image_id = str(child.attrGet("id") or "") if child.type == "image" else ""
    if image_id.startswith("fig-"):
        alt = "".join(c.content for c in child.children or () if c.type == "text")
        numbering.add(image_id, "fig", image_id, alt, line)


def _number_heading(
    numbering: Numbering, heading: Token, inline: Token, previous: Token | None, line: int
) -> None:
    anchor = str(heading.attrGet("id") or "")
    title = _heading_text(inline)
    number = ""
    if heading.tag == "h1":
        numbering.start_chapter()
    if numbering.settings.number_sections and not _unnumbered(heading):
        number = numbering.section_number(int(heading.tag[1]))
        if number:
            _show_section_number(heading, inline, number)
    own = heading.meta.get("nf_target")  # a plugin's label for the heading (MyST)
    labels = {own.label: own.title} if isinstance(own, TargetMark) else {}
    if anchor.startswith("sec-"):
        labels.setdefault(anchor, "")
    for label, own_title in labels.items():
        target = numbering.make_target(label, "sec", number, anchor or label, own_title or title)
        numbering.store(target, line)
    mark = previous.meta.get("nf_target") if previous is not None else None
    if isinstance(mark, TargetMark) and mark.kind == "target":
        _label_heading(numbering, mark.label, anchor, number, title)


def _label_heading(numbering: Numbering, label: str, anchor: str, number: str, title: str) -> None:
    """A MyST `(label)=` right before a heading names that heading: a section target."""
    target = numbering.xrefs.targets.get(label)
    if target is not None and target.kind == "target":
        heading = numbering.make_target(label, "sec", number, anchor or target.anchor, title)
        numbering.xrefs.targets[label] = replace(heading, title=target.title or title)


def _heading_text(inline: Token) -> str:
    parts = (c.content for c in inline.children or () if c.type in ("text", "code_inline"))
    return "".join(parts).strip()


def _unnumbered(heading: Token) -> bool:
    classes = str(heading.attrGet("class") or "").split()
    return "unnumbered" in classes or heading.meta.get("unnumbered") is True


def _show_section_number(heading: Token, inline: Token, number: str) -> None:
    heading.attrSet("data-number", number)
    span = Token("html_inline", "", 0)
    span.content = f'<span class="header-section-number">{html.escape(number)}</span> '
    inline.children = [span, *(inline.children or ())]


def _number_block(numbering: Numbering, block: Block) -> None:
    label = str(block.id) if block.labelled else ""
    kind = label.split("-", 1)[0] if label.startswith(("fig-", "tbl-", "lst-")) else ""
    if kind:
        target = numbering.add(label, kind, label, _caption_text(block, kind), block.line)
        subcaps = block.option(f"{kind}-subcap")
        if target is not None and subcaps is not None:
            numbering.add_subtargets(target, subcaps)
    listing = block.option("lst-label")
    if listing and kind != "lst":
        title = str(block.option("lst-cap") or "")
        numbering.add(str(listing), "lst", str(block.id), title, block.line)


def _caption_text(block: Block, kind: str) -> str:
    caption = block.option(f"{kind}-cap")
    if isinstance(caption, list):
        caption = caption[0] if caption else ""
    return str(caption or "")


LISTING_INFO = re.compile(r"^\{(?P<attrs>[^{}]*)\}$")
LISTING_ID = re.compile(r"(?:^|\s)#(?P<id>lst-[^\s}]+)")
LISTING_CAP = re.compile(r"""lst-cap=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>\S+))""")
LISTING_CLASS = re.compile(r"(?:^|\s)\.(?P<cls>[\w+-]+)")


def _number_listing_fence(numbering: Numbering, token: Token, line: int) -> None:
    """A display fence ```` ```{#lst-x .sql lst-cap="…"} ```` becomes a numbered listing."""
    info = LISTING_INFO.match(token.info.strip())
    found = LISTING_ID.search(info["attrs"]) if info else None
    if info is None or found is None:
        return
    cap = LISTING_CAP.search(info["attrs"])
    caption = next((g for g in cap.groups() if g is not None), "") if cap else ""
    language = LISTING_CLASS.search(info["attrs"])
    target = numbering.add(found["id"], "lst", found["id"], caption, line)
    if target is not None:
        token.type = "nf_listing"
        token.meta["nf_listing"] = (target.label, language["cls"] if language else "")
