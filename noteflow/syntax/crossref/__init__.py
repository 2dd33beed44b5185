"""Cross-references and numbering (being split into modules; see `numbering`)."""

from .numbering import (
    Target,
    TargetMark,
    Xrefs,
    caption_html,
    caption_prefix,
    equation_number,
    number_document,
    plugin,
    reference_link,
    reference_text,
)

__all__ = [
    "Target",
    "TargetMark",
    "Xrefs",
    "caption_html",
    "caption_prefix",
    "equation_number",
    "number_document",
    "plugin",
    "reference_link",
    "reference_text",
]
