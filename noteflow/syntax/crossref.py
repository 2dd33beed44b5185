"""Cross-references and numbering: which labels exist, their numbers, and links to them.

Contract with the other stages (fixed; the implementation fills it in):

- `number_document(tokens, blocks, env, path)` is called by the parse stage once the
  document's blocks are known (fence tokens of executable blocks carry
  `meta["nf_block"]`). It collects every target, numbers each kind in document order,
  and stores an `Xrefs` in `env["nf_xrefs"]`.
- Targets come from: executable blocks labelled `fig-…` / `tbl-…` (with `fig-cap` /
  `tbl-cap`), headings with an id `sec-…`, display math with `{#eq-…}`, and any token
  whose `meta["nf_target"]` is a `TargetMark` (MyST `(label)=`, `{figure}` `:name:`,
  `{math}` `:label:`, `{table}` …), which other plugins set.
- Renderers ask `env["nf_xrefs"].lookup(label)` for a `Target` (number, anchor, kind).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..model import Block


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
    """`"1"`, `"2.3"`; empty for kinds that are not numbered."""
    anchor: str
    """The element id in the page (without `#`)."""
    title: str = ""


@dataclass(slots=True)
class Xrefs:
    """The document's targets by label."""

    targets: dict[str, Target] = field(default_factory=dict)

    def lookup(self, label: str) -> Target | None:
        return self.targets.get(label)


def number_document(
    tokens: Sequence[Token], blocks: Sequence[Block], env: dict[str, Any], path: str
) -> Xrefs:
    """Number the document's targets and store them in `env["nf_xrefs"]`."""
    xrefs = Xrefs()
    env["nf_xrefs"] = xrefs
    return xrefs


def plugin(md: MarkdownIt) -> None:
    """Add the reference and equation-label syntax rules to `md`."""
