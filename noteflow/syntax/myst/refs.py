"""Looking up cross-reference targets while rendering (`env["nf_xrefs"]`, numbered by the
crossref stage); names and captions come from the crossref renderer API, so MyST and
Quarto references read alike."""

from __future__ import annotations

import html

from markdown_it.utils import EnvType

from ..crossref import Target, caption_prefix, equation_number, reference_text


def lookup(env: EnvType, label: str) -> Target | None:
    xrefs = env.get("nf_xrefs")
    return xrefs.lookup(label) if xrefs is not None and label else None


def anchor(env: EnvType, label: str) -> str:
    """The element id of `label`'s target (the label itself until it is numbered)."""
    target = lookup(env, label)
    return target.anchor if target is not None and target.anchor else label


def number(env: EnvType, label: str) -> str:
    target = lookup(env, label)
    return target.number if target is not None else ""


def numbered_name(target: Target) -> str:
    """`Figure 1`, `Table 2`; `(3)` for an equation; the title for an unnumbered target."""
    if target.kind == "eq" and target.number:
        return equation_number(target)
    return reference_text(target)


def caption_number(env: EnvType, label: str) -> str:
    """`<span class="nf-caption-prefix">Figure 1:</span> ` for a numbered target, else ""."""
    target = lookup(env, label)
    if target is None or not target.number:
        return ""
    prefix = caption_prefix(target) + ("" if target.sub else target.title_delim)
    return f'<span class="nf-caption-prefix">{html.escape(prefix)}</span> '
