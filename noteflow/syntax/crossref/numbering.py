"""Cross-references and numbering: which labels exist, their numbers, and links to them.

Contract with the other stages (fixed; the implementation fills it in):

- `number_document(tokens, blocks, env, path)` is called by the parse stage once the
  document's blocks are known (fence tokens of executable blocks carry
  `meta["nf_block"]`). It collects every target, numbers each kind in document order,
  and stores an `Xrefs` in `env["nf_xrefs"]`.
- Targets come from: executable blocks labelled `fig-…` / `tbl-…` / `lst-…` (with
  `fig-cap` / `tbl-cap` / `lst-cap`; a block with `lst-label` is a listing too), headings
  with an id `sec-…`, display math with `{#eq-…}` or MyST's `$$ … $$ (label)`, display
  code fences written ```` ```{#lst-x .sql lst-cap="…"} ````, and any token whose
  `meta["nf_target"]` is a `TargetMark` (MyST `(label)=`, `{figure}` `:name:`, `{math}`
  `:label:`, Pandoc tables and images with `{#tbl-…}` / `{#fig-…}`, fenced divs
  `::: {#fig-x}`), which other plugins set. A `fig` target inside an open `fig` target
  (a Quarto sub-figure div) is a sub-target: "Figure 1 (a)".
- Renderers ask `env["nf_xrefs"].lookup(label)` for a `Target` (number, anchor, kind).

What renderers call (all text is plain, not escaped; the space between a prefix and
its number is a no-break space, U+00A0, as in Quarto):

- `caption_prefix(target)`: `"Figure 1"` (`crossref: fig-title` honoured), `"(a)"` for
  a sub-target; `caption_html(target, caption_html)`: the whole caption, e.g.
  `<span class="nf-caption-prefix">Figure 1:</span> Elephant` (`title-delim` honoured).
- `reference_text(target)`: `"Figure 1"` (`crossref: fig-prefix` honoured),
  `"Figure 1 (b)"` for a sub-target, the heading text for an unnumbered section;
  `reference_link(target, text)`: `<a href="#anchor" class="quarto-xref">text</a>`.
- `equation_number(target)`: `"(1)"`.
- Sub-targets of a block with `fig-subcap` are `fig-x-1`, `fig-x-2`, …; whoever renders
  the sub-figures gives each the id `target.anchor`.

Reference syntax (`@fig-x`, `@Fig-x`, `[-@fig-x]`, `[see @fig-x; @fig-y]`) becomes
`nf_xref` tokens at parse time and is resolved at render time, since numbering happens
after parsing. `number_document` warns (logger `noteflow`, file and line) about every
reference to an unknown label; it renders as a bold `?@fig-x`, as in Quarto.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from ...model import Block

log = logging.getLogger("noteflow")

NBSP = "\u00a0"

KIND_NAMES: dict[str, str] = {
    "fig": "Figure",
    "tbl": "Table",
    "eq": "Equation",
    "sec": "Section",
    "lst": "Listing",
    "thm": "Theorem",
    "lem": "Lemma",
    "cor": "Corollary",
    "prp": "Proposition",
    "cnj": "Conjecture",
    "def": "Definition",
    "exm": "Example",
    "exr": "Exercise",
    "nte": "Note",
    "tip": "Tip",
    "wrn": "Warning",
    "imp": "Important",
    "cau": "Caution",
}
"""Quarto's reference types and their default names (`crossref: fig-prefix` overrides)."""

KIND_ALIASES = {"code": "lst", "figure": "fig", "table": "tbl", "math": "eq"}
"""TargetMark kinds other plugins may use for Quarto's types."""

UNNUMBERED_KINDS = frozenset({"target", "sec"})
"""Kinds without a counter: a section's number comes from the headings (`number-sections`)."""


@dataclass(frozen=True, slots=True)
class TargetMark:
    """What a plugin puts in `token.meta["nf_target"]` to declare a target."""

    label: str
    """The label references use (`fig-x`, `my-figure`)."""
    kind: str
    """`fig`, `tbl`, `eq`, `sec`, `code` or `target` (a plain MyST `(label)=` target)."""
    title: str = ""
    """Text a reference without its own text shows for an unnumbered target."""


@dataclass(frozen=True, slots=True)
class Target:
    """A numbered (or named) place in the page that references link to."""

    label: str
    kind: str
    number: str
    """`"1"`, `"2.3"`; empty for kinds that are not numbered. A sub-target has its
    parent's number here and its own letter in `sub`."""
    anchor: str
    """The element id in the page (without `#`)."""
    title: str = ""
    """The caption or heading text (plain text); empty when there is none."""
    sub: str = ""
    """`"a"`, `"b"`… for a sub-figure or sub-table; empty otherwise."""
    parent: str = ""
    """The parent's label for a sub-target."""
    prefix: str = ""
    """What references put before the number (`crossref: fig-prefix`): `Figure`."""
    caption_title: str = ""
    """What captions put before the number (`crossref: fig-title`): `Figure`."""
    title_delim: str = ":"
    """Between a caption's number and its text (`crossref: title-delim`)."""


@dataclass(slots=True)
class Xrefs:
    """The document's targets by label."""

    targets: dict[str, Target] = field(default_factory=dict)
    open_subrefs: dict[str, Target] = field(default_factory=dict)
    """Parents with `fig-subcap: true`: `<label>-<n>` exists for any n (outputs decide)."""
    ref_delim: str = ","
    """Between the references of one bracketed group (`crossref: ref-delim`)."""
    subref_scheme: str = "alpha a"
    hyperlink: bool = True
    """False with `crossref: ref-hyperlink: false`: references are plain text."""

    def lookup(self, label: str) -> Target | None:
        found = self.targets.get(label)
        if found is None:
            found = self._open_subref(label)
        return found

    def _open_subref(self, label: str) -> Target | None:
        parent_label, _, index = label.rpartition("-")
        parent = self.open_subrefs.get(parent_label)
        if parent is None or not index.isdigit() or int(index) < 1:
            return None
        sub = format_number(int(index), self.subref_scheme)
        return _sub_target(parent, label, sub, "")


# ----------------------------------------------------------------------- renderer API


def caption_prefix(target: Target) -> str:
    """`Figure 1` for a numbered target's caption, `(a)` for a sub-target."""
    if target.sub:
        return f"({target.sub})"
    if not target.number:
        return ""
    name = target.caption_title or target.prefix
    return f"{name}{NBSP}{target.number}" if name else target.number


def caption_html(target: Target, caption: str) -> str:
    """A whole caption as HTML: the prefix in a span, then `caption` (already HTML)."""
    prefix = caption_prefix(target)
    if caption and not target.sub:
        prefix += target.title_delim
    span = f'<span class="nf-caption-prefix">{html.escape(prefix)}</span>'
    return f"{span} {caption}" if caption else span


def reference_text(target: Target, *, upper: bool = False, number_only: bool = False) -> str:
    """What `@label` shows: `Figure 1`, `Figure 1 (b)`, a section's heading text."""
    if not target.number:
        return target.title or target.label
    number = f"{target.number} ({target.sub})" if target.sub else target.number
    if number_only or not target.prefix:
        return number
    prefix = target.prefix[:1].upper() + target.prefix[1:] if upper else target.prefix
    return f"{prefix}{NBSP}{number}"


def reference_link(target: Target, text: str) -> str:
    """`text` (plain) as a link to the target."""
    return f'<a href="#{html.escape(target.anchor)}" class="quarto-xref">{html.escape(text)}</a>'


def equation_number(target: Target) -> str:
    """`(1)`: what a numbered equation shows at its right."""
    return f"({target.number})"


def format_number(n: int, scheme: str) -> str:
    """`n` in a Quarto numbering scheme: `arabic`, `roman`, `roman i`, `alpha a`, `alpha A`."""
    words = scheme.split()
    if words[:1] == ["roman"]:
        text = _roman(n)
        return text.lower() if words[1:] == ["i"] else text
    if words[:1] == ["alpha"] and len(words) == 2 and len(words[1]) == 1:
        return chr(ord(words[1]) + (n - 1) % 26)
    return str(n)


def _roman(n: int) -> str:
    values = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC")]
    values += [(50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, letters in values:
        count, n = divmod(n, value)
        out += letters * count
    return out


# ------------------------------------------------------------------- front matter settings


@dataclass(frozen=True, slots=True)
class Settings:
    """What the front matter says about numbering (`number-sections`, `crossref:`)."""

    number_sections: bool = False
    number_depth: int = 6
    crossref: Mapping[str, Any] = field(default_factory=dict)

    def prefix(self, kind: str) -> str:
        return str(self.crossref.get(f"{kind}-prefix", KIND_NAMES.get(kind, "")))

    def caption_title(self, kind: str) -> str:
        return str(self.crossref.get(f"{kind}-title", KIND_NAMES.get(kind, "")))

    def scheme(self, kind: str) -> str:
        return str(self.crossref.get(f"{kind}-labels", self.crossref.get("labels", "arabic")))


def read_settings(front: Mapping[str, Any]) -> Settings:
    """Numbering settings from the front matter, top level or under `format: html:`."""
    merged = {**_html_format_options(front), **front}
    crossref = merged.get("crossref")
    depth = merged.get("number-depth")
    return Settings(
        number_sections=merged.get("number-sections") is True,
        number_depth=depth if isinstance(depth, int) and depth > 0 else 6,
        crossref=crossref if isinstance(crossref, dict) else {},
    )


def _html_format_options(front: Mapping[str, Any]) -> Mapping[str, Any]:
    formats = front.get("format")
    html_options = formats.get("html") if isinstance(formats, dict) else None
    return html_options if isinstance(html_options, dict) else {}


def _front_matter(tokens: Sequence[Token], env: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    front = env.get("front_matter")
    if isinstance(front, dict):
        return front
    if not tokens or tokens[0].type != "front_matter":
        return {}
    from ...yamlio import load_yaml  # the parse stage has already checked this YAML

    value = load_yaml(tokens[0].content, what="front matter", path=path, line=1).value
    return value if isinstance(value, dict) else {}


# ------------------------------------------------------------------------------ numbering


@dataclass(slots=True)
class _Open:
    """A target whose tokens are still open (a figure div): later targets of its kind are
    its sub-targets."""

    depth: int
    """How many tokens were open outside it (counted by nesting, not by `token.level`)."""
    target: Target
    children: int = 0


@dataclass(slots=True)
class _Numbering:
    """Walks the tokens once, numbering each kind of target in document order."""

    settings: Settings
    path: str
    xrefs: Xrefs
    counters: dict[str, int] = field(default_factory=dict)
    sections: list[int] = field(default_factory=list)
    base_level: int = 1
    open_targets: list[_Open] = field(default_factory=list)
    depth: int = 0
    """Tokens open at the current token (the sum of `nesting` so far)."""
    chapter: int = 0

    def add(self, label: str, kind: str, anchor: str, title: str, line: int) -> Target | None:
        kind = KIND_ALIASES.get(kind, kind)
        parent = self._parent_for(kind)
        if parent is not None:
            parent.children += 1
            sub = format_number(parent.children, self.xrefs.subref_scheme)
            return self.store(_sub_target(parent.target, label, sub, title, anchor), line)
        number = "" if kind in UNNUMBERED_KINDS else self._next(kind)
        return self.store(self.make_target(label, kind, number, anchor, title), line)

    def _parent_for(self, kind: str) -> _Open | None:
        if self.open_targets and self.open_targets[-1].target.kind == kind:
            return self.open_targets[-1]
        return None

    def _next(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        number = format_number(self.counters[kind], self.settings.scheme(kind))
        return f"{self.chapter}.{number}" if self.chapter else number

    def start_chapter(self) -> None:
        """`crossref: chapters: true`: each `#` heading restarts numbering as `<chapter>.n`."""
        if self.settings.crossref.get("chapters") is True:
            self.chapter += 1
            self.counters.clear()

    def make_target(self, label: str, kind: str, number: str, anchor: str, title: str) -> Target:
        return Target(
            label=label,
            kind=kind,
            number=number,
            anchor=anchor,
            title=title,
            prefix=self.settings.prefix(kind),
            caption_title=self.settings.caption_title(kind),
            title_delim=str(self.settings.crossref.get("title-delim", ":")),
        )

    def store(self, target: Target, line: int) -> Target | None:
        if target.label in self.xrefs.targets:
            log.warning(
                "%s:%d: the label '%s' is used twice; references go to the first",
                self.path,
                line,
                target.label,
            )
            return None
        self.xrefs.targets[target.label] = target
        return target

    def add_subtargets(self, parent: Target, subcaps: Any) -> None:
        if subcaps is True:
            self.xrefs.open_subrefs[parent.label] = parent
            return
        if not isinstance(subcaps, list):
            return
        for index, subcap in enumerate(subcaps, start=1):
            label = f"{parent.label}-{index}"
            sub = format_number(index, self.xrefs.subref_scheme)
            self.xrefs.targets.setdefault(label, _sub_target(parent, label, sub, str(subcap)))

    def section_number(self, level: int) -> str:
        depth = level - self.base_level + 1
        if depth < 1:
            return ""
        del self.sections[depth:]
        self.sections.extend([0] * (depth - len(self.sections)))
        self.sections[depth - 1] += 1
        if depth > self.settings.number_depth:
            return ""
        return ".".join(str(n) for n in self.sections)


def _sub_target(parent: Target, label: str, sub: str, title: str, anchor: str = "") -> Target:
    return replace(
        parent, label=label, anchor=anchor or label, title=title, sub=sub, parent=parent.label
    )


def number_document(
    tokens: Sequence[Token], blocks: Sequence[Block], env: dict[str, Any], path: str
) -> Xrefs:
    """Number the document's targets and store them in `env["nf_xrefs"]`."""
    settings = read_settings(_front_matter(tokens, env, path))
    xrefs = Xrefs(
        ref_delim=str(settings.crossref.get("ref-delim", ",")),
        subref_scheme=str(settings.crossref.get("subref-labels", "alpha a")),
        hyperlink=settings.crossref.get("ref-hyperlink") is not False,
    )
    numbering = _Numbering(settings, path, xrefs, base_level=_base_level(tokens))
    blocks_by_id = {str(block.id): block for block in blocks}
    for index, token in enumerate(tokens):
        _number_token(numbering, tokens, index, blocks_by_id)
        _track_depth(numbering, token)
    env["nf_xrefs"] = xrefs
    _warn_unknown_references(tokens, xrefs, path)
    _warn_unknown_caption_references(blocks, xrefs, path)
    return xrefs


def _base_level(tokens: Sequence[Token]) -> int:
    """The shallowest heading level: numbering starts there (`##` only gives `1`, `2`)."""
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open" and not _unnumbered(t)]
    return min(levels, default=1)


def _track_depth(numbering: _Numbering, token: Token) -> None:
    numbering.depth += token.nesting
    opened = numbering.open_targets
    while opened and numbering.depth <= opened[-1].depth:
        opened.pop()


def _number_token(
    numbering: _Numbering, tokens: Sequence[Token], index: int, blocks: Mapping[str, Block]
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


def _number_mark(numbering: _Numbering, token: Token, mark: TargetMark, line: int) -> None:
    anchor = str(token.attrGet("id") or mark.label)
    target = numbering.add(mark.label, mark.kind, anchor, mark.title, line)
    if target is not None and token.nesting == 1 and not target.sub:
        numbering.open_targets.append(_Open(numbering.depth, target))


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


def _number_inline(numbering: _Numbering, child: Token, line: int) -> None:
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
    numbering: _Numbering, heading: Token, inline: Token, previous: Token | None, line: int
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


def _label_heading(numbering: _Numbering, label: str, anchor: str, number: str, title: str) -> None:
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


def _number_block(numbering: _Numbering, block: Block) -> None:
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


def _number_listing_fence(numbering: _Numbering, token: Token, line: int) -> None:
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


def _warn_unknown_references(tokens: Sequence[Token], xrefs: Xrefs, path: str) -> None:
    for token, reference in _references(tokens):
        if xrefs.lookup(reference.label) is None:
            line = (token.map[0] if token.map else 0) + 1
            log.warning(
                "%s:%d: unknown cross-reference @%s (no figure, table, section or equation "
                "has this label); it shows as ?@%s",
                path,
                line,
                reference.label,
                reference.label,
            )


CAPTION_OPTIONS = ("fig-cap", "tbl-cap", "lst-cap", "fig-subcap", "tbl-subcap")


def _warn_unknown_caption_references(blocks: Sequence[Block], xrefs: Xrefs, path: str) -> None:
    """Captions are block options, rendered later: their references are checked here."""
    for block in blocks:
        for option, text in _caption_texts(block):
            for label in _labels_in(text):
                if xrefs.lookup(label) is None:
                    log.warning(
                        "%s:%d: unknown cross-reference @%s in `%s`; it shows as ?@%s",
                        path,
                        block.line,
                        label,
                        option,
                        label,
                    )


def _caption_texts(block: Block) -> Iterator[tuple[str, str]]:
    for option in CAPTION_OPTIONS:
        value = block.option(option)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                yield option, text


def _labels_in(text: str) -> Iterator[str]:
    """The cross-reference labels `text` refers to with `@` (as the inline rule finds them)."""
    for found in BARE_REFERENCE.finditer(text):
        joined = found.start() > 0 and _joined(text[found.start() - 1])
        if is_reference_type(found["type"]) and not joined:
            yield found["label"][:1].lower() + found["label"][1:]


def _references(tokens: Sequence[Token]) -> Iterator[tuple[Token, Reference]]:
    for token in tokens:
        for child in token.children or ():
            if child.type == "nf_xref":
                for reference in child.meta["nf_refs"]:
                    yield token, reference


# --------------------------------------------------------------------------------- syntax

LABEL = r"(?P<label>(?P<type>[A-Za-z]+)-\w+(?:[-.:]\w+)*)"
BARE_REFERENCE = re.compile("@" + LABEL)
LABEL_AND_SUFFIX = re.compile(LABEL + r"(?P<suffix>[^@]*)$", re.DOTALL)
MAX_GROUP_LENGTH = 2000
"""Longest `[see @fig-x; …]` group looked for, so a paragraph of `[`s stays linear."""
NOT_BEFORE_REFERENCE = "_@/.:-+=&%~#\\"
"""Characters that make an `@` part of something else (an e-mail address, a URL)."""
EQUATION_END = re.compile(r"^(?P<body>.*?)\$\$\s*\{#(?P<label>[^\s}]+)[^}]*\}\s*$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Reference:
    """One `@label` as written, in prose or in a bracketed group."""

    label: str
    """The label looked up (first letter lowered: `@Fig-x` looks up `fig-x`)."""
    upper: bool = False
    """Written `@Fig-x`: the prefix starts with a capital."""
    prefix: str | None = None
    """Text before `@` in a bracketed group (`[Fig @fig-x]`): replaces the kind's prefix."""
    number_only: bool = False
    """Written `[-@fig-x]`."""
    suffix: str = ""
    """Text after the label in a bracketed group."""


def is_reference_type(kind: str) -> bool:
    """True for a label prefix that cross-references use (`fig`, `tbl`, `sec`, …)."""
    return kind.lower() in KIND_NAMES


def plugin(md: MarkdownIt) -> None:
    """Add the reference and equation-label syntax rules to `md`."""
    md.inline.ruler.before("link", "nf_xref_group", _bracketed_references)
    md.inline.ruler.after("text", "nf_xref", _bare_reference)
    alt = ["paragraph", "reference", "blockquote", "list", "footnote_def"]
    anchor = "math_block" if "math_block" in md.block.ruler.get_all_rules() else "fence"
    md.block.ruler.before(anchor, "nf_equation_label", _labelled_equation, {"alt": alt})
    md.add_render_rule("nf_xref", _render_references)
    md.add_render_rule("nf_listing", _render_listing)
    _wrap_equation_render(md)


def _reference(label: str, **fields: Any) -> Reference:
    upper = label[:1].isupper()
    return Reference(label=label[:1].lower() + label[1:], upper=upper, **fields)


def _bare_reference(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    if state.src[pos] != "@" or (pos > 0 and _joined(state.src[pos - 1])) or state.linkLevel:
        return False
    found = BARE_REFERENCE.match(state.src, pos)
    if found is None or not is_reference_type(found["type"]):
        return False
    if not silent:
        token = state.push("nf_xref", "", 0)
        token.content = found.group(0)
        token.meta["nf_refs"] = [_reference(found["label"])]
    state.pos = found.end()
    return True


def _joined(previous: str) -> bool:
    return previous.isalnum() or previous in NOT_BEFORE_REFERENCE


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
    references = _group(inside)
    if not references:
        return False
    if not silent:
        token = state.push("nf_xref", "", 0)
        token.content = state.src[pos : end + 1]
        token.meta["nf_refs"] = references
    state.pos = end + 1
    return True


def _group(inside: str) -> list[Reference]:
    """The references of `[see @fig-x; @fig-y]`, or [] when it is not all cross-references."""
    references = [_group_item(item) for item in inside.split(";")]
    return [r for r in references if r is not None] if all(references) else []


def _group_item(item: str) -> Reference | None:
    """`see @fig-x`, `-@fig-x`, `@fig-x, p. 3` as a reference; None for anything else."""
    before, at, after = item.partition("@")
    found = LABEL_AND_SUFFIX.match(after)
    if not at or found is None or not is_reference_type(found["type"]):
        return None
    number_only = before.endswith("-")  # `-@fig-x`: the minus touches the `@`
    prefix = before.removesuffix("-")
    if prefix.strip() and not prefix[-1].isspace():  # `x@fig-y` is not a reference
        return None
    return _reference(
        found["label"],
        prefix=prefix.strip() or None,
        number_only=number_only,
        suffix=found["suffix"].rstrip(),
    )


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


# ------------------------------------------------------------------------------ rendering


def _render_references(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    xrefs = env.get("nf_xrefs")
    if not isinstance(xrefs, Xrefs):  # Markdown rendered outside a document
        return html.escape(token.content)
    parts = [_reference_html(reference, xrefs) for reference in token.meta["nf_refs"]]
    return f"{xrefs.ref_delim} ".join(parts)


def _reference_html(reference: Reference, xrefs: Xrefs) -> str:
    target = xrefs.lookup(reference.label)
    if target is None:
        return f"<strong>?@{html.escape(reference.label)}</strong>"
    if reference.prefix is not None:
        text = f"{reference.prefix}{NBSP}{reference_text(target, number_only=True)}"
    else:
        text = reference_text(target, upper=reference.upper, number_only=reference.number_only)
    suffix = html.escape(reference.suffix)
    if not xrefs.hyperlink:
        return html.escape(text) + suffix
    return reference_link(target, text) + suffix


def _render_listing(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    label, language = token.meta["nf_listing"]
    code = Token("fence", "code", 0, content=token.content, info=language, markup=token.markup)
    code.meta = {k: v for k, v in token.meta.items() if k != "nf_listing"}  # annotations
    code_html = self.rules["fence"]([code], 0, options, env) if "fence" in self.rules else ""
    xrefs = env.get("nf_xrefs")
    target = xrefs.lookup(label) if isinstance(xrefs, Xrefs) else None
    if target is None:
        return str(code_html)
    caption = caption_html(target, html.escape(target.title))
    return (
        f'<figure id="{html.escape(target.anchor)}" class="nf-listing">'
        f'<figcaption class="nf-listing-caption">{caption}</figcaption>\n{code_html}</figure>\n'
    )


def _wrap_equation_render(md: MarkdownIt) -> None:
    """Labelled display math gets its number at its right and the label as its id."""
    renderer: Any = md.renderer
    rules = renderer.rules
    unlabelled = rules.get("math_block")
    if unlabelled is None:
        return

    def render(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        math = unlabelled(tokens, idx, options, env)
        xrefs = env.get("nf_xrefs")
        target = xrefs.lookup(token.info) if isinstance(xrefs, Xrefs) else None
        anchor = html.escape(target.anchor if target else token.info)
        number = equation_number(target) if target and target.number else ""
        return (
            f'<div id="{anchor}" class="nf-equation">{math}'
            f'<span class="nf-equation-number">{html.escape(number)}</span></div>\n'
        )

    md.add_render_rule("math_block_label", render)
