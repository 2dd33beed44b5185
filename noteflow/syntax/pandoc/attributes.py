"""Pandoc attributes (`{#id .class key="value"}`, or one bare class word) and their HTML.

Owns reading an attribute string into `Attributes`, and turning key-value pairs into HTML
attributes as Pandoc's HTML writer does: attributes HTML knows stay as they are, others
become `data-…`, and event handlers (`onclick`) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_BARE_WORD = re.compile(r"^[\w-][\w:.-]*$")
_ATTRIBUTE = re.compile(
    r"""\s*(?:
      \#(?P<id>[^\s}#.]+)
    | \.(?P<cls>[^\s}#.]+)
    | (?P<key>[\w:.-]+)[ \t]*=[ \t]*
      (?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>(?:[^'\\]|\\.)*)'|(?P<bare>[^\s"'}]+))
    | (?P<dash>-)(?=\s|$)
    )\s*""",
    re.VERBOSE,
)
HTML_ATTRIBUTES = frozenset(
    ("style", "title", "lang", "dir", "role", "width", "height", "hidden", "tabindex", "alt")
)
"""Key-value attributes written as they are; any other key becomes `data-key`."""


@dataclass(frozen=True, slots=True)
class Attributes:
    """The attributes of a div, heading, span or table, as Pandoc reads them."""

    id: str = ""
    classes: tuple[str, ...] = ()
    values: Mapping[str, str] = field(default_factory=dict)
    """Key-value pairs in the order written (`title="…"`, `collapse="true"`)."""

    def has_class(self, name: str) -> bool:
        return name in self.classes

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)


def parse_braced(text: str) -> Attributes | None:
    """`{#id .a key=v key="v w"}` (the whole string) as `Attributes`; None if it is not one.

    Pandoc's `{-}` is `.unnumbered`; bare values may hold any character but space, quotes
    and `}` (`width=50%`); quoted values may escape their quote with a backslash. Spaces
    around `=` (`key = value`) are read as Quarto's div reader repairs them.
    """
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    found = parse_inner(text[1:-1])
    return None if found is None else found


def parse_inner(inner: str) -> Attributes | None:
    """The attributes between the braces; None if anything there is not an attribute."""
    ident, classes, values = "", [], {}
    position = 0
    for match in _ATTRIBUTE.finditer(inner):
        if match.start() != position:
            return None
        position = match.end()
        if match["id"]:
            ident = match["id"]
        elif match["cls"]:
            classes.append(match["cls"])
        elif match["dash"]:
            classes.append("unnumbered")
        elif match["key"]:
            values[match["key"]] = _value(match)
    if inner[position:].strip():
        return None
    if "class" in values:
        classes.extend(values.pop("class").split())
    return Attributes(id=ident, classes=tuple(classes), values=values)


def _value(match: re.Match[str]) -> str:
    quoted = match["dq"] if match["dq"] is not None else match["sq"]
    return match["bare"] if quoted is None else re.sub(r"\\(.)", r"\1", quoted)


def parse_div_info(info: str) -> Attributes | None:
    """The attributes after a div's opening colons: braced, or one bare class word."""
    info = info.strip()
    if info.startswith("{"):
        return parse_braced(info)
    if _BARE_WORD.match(info):
        return Attributes(classes=(info,))
    return None


def html_attributes(attributes: Attributes, *, skip: frozenset[str] = frozenset()) -> dict:
    """The element attributes for `attributes`: id, class, then each key-value pair."""
    result: dict[str, str] = {}
    if attributes.id:
        result["id"] = attributes.id
    if attributes.classes:
        result["class"] = " ".join(attributes.classes)
    for key, value in attributes.values.items():
        if key in skip or key.lower().startswith("on"):
            continue
        result[key if key in HTML_ATTRIBUTES or key.startswith("data-") else f"data-{key}"] = value
    return result
