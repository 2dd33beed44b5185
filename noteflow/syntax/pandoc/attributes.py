"""Pandoc attributes (`{#id .class key="value"}`, or one bare class word) and their HTML.

Owns reading an attribute string into `Attributes`, and turning key-value pairs into HTML
attributes as Pandoc's HTML writer does: attributes HTML knows stay as they are, others
become `data-…`, and event handlers (`onclick`) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mdit_py_plugins.attrs.parse import ParseError, parse

_BARE_WORD = re.compile(r"^[\w-][\w:.-]*$")
_UNNUMBERED_DASH = re.compile(r"(?<=[\s{])-(?=[\s}])")
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
    """`{#id .a key=v}` (the whole string) as `Attributes`; None if it is not one.

    Pandoc's `{-}` is `.unnumbered`.
    """
    text = _UNNUMBERED_DASH.sub(".unnumbered", text.strip())
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        end, found = parse(text)
    except ParseError:
        return None
    if end != len(text) - 1:
        return None
    return _from_dict(found)


def parse_div_info(info: str) -> Attributes | None:
    """The attributes after a div's opening colons: braced, or one bare class word."""
    info = info.strip()
    if info.startswith("{"):
        return parse_braced(info)
    if _BARE_WORD.match(info):
        return Attributes(classes=(info,))
    return None


def _from_dict(found: Mapping[str, str]) -> Attributes:
    values = {k: v for k, v in found.items() if k not in ("id", "class")}
    classes = tuple(found.get("class", "").split())
    return Attributes(id=found.get("id", ""), classes=classes, values=values)


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
