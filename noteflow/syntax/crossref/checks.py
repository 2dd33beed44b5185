"""Warnings about references to labels no target has, in prose and in block captions."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from markdown_it.token import Token

from ...model import Block
from .references import BARE_REFERENCE, Reference, is_joined
from .targets import Xrefs, is_reference_type

log = logging.getLogger("noteflow")


def warn_unknown_references(tokens: Sequence[Token], xrefs: Xrefs, path: str) -> None:
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


def warn_unknown_caption_references(blocks: Sequence[Block], xrefs: Xrefs, path: str) -> None:
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
        joined = found.start() > 0 and is_joined(text[found.start() - 1])
        if is_reference_type(found["type"]) and not joined:
            yield found["label"][:1].lower() + found["label"][1:]


def _references(tokens: Sequence[Token]) -> Iterator[tuple[Token, Reference]]:
    for token in tokens:
        for child in token.children or ():
            if child.type == "nf_xref":
                for reference in child.meta["nf_refs"]:
                    yield token, reference
