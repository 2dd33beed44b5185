"""Targets and what renderers show for them: the cross-reference data types and API.

Owns the reference types (`fig`, `tbl`, …) and their default names, `TargetMark` (what a
plugin puts in `token.meta["nf_target"]`), `Target` and `Xrefs` (the numbered targets
by label), and the functions renderers call for captions, references and equation
numbers. All text is plain, not escaped; the space between a prefix and its number is a
no-break space, U+00A0, as in Quarto.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace

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
        return sub_target(parent, label, sub, "")


def sub_target(parent: Target, label: str, sub: str, title: str, anchor: str = "") -> Target:
    """A sub-figure or sub-table of `parent`, lettered `sub`."""
    return replace(
        parent, label=label, anchor=anchor or label, title=title, sub=sub, parent=parent.label
    )


def is_reference_type(kind: str) -> bool:
    """True for a label prefix that cross-references use (`fig`, `tbl`, `sec`, …)."""
    return kind.lower() in KIND_NAMES


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
