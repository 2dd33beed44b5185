"""Numbering settings: what the front matter says (`number-sections`, `crossref:`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from .targets import KIND_NAMES


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


def front_matter(tokens: Sequence[Token], env: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    front = env.get("front_matter")
    if isinstance(front, dict):
        return front
    from ...frontmatter import front_matter_of  # the parse stage has already checked it

    return front_matter_of(tokens)
