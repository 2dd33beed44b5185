"""Cross-references and numbering: which labels exist, their numbers, and links to them.

The package's modules, one job each: `targets` (the types and the renderer API),
`settings` (front matter), `counters` and `numbering` (numbering a document), `checks`
(unknown-reference warnings), `references` and `syntax` (the reference syntax and its
markdown-it rules), `rendering` (their render rules). This module re-exports what other
modules use.

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

from .numbering import number_document
from .references import Reference
from .settings import Settings, read_settings
from .syntax import plugin
from .targets import (
    KIND_ALIASES,
    KIND_NAMES,
    NBSP,
    UNNUMBERED_KINDS,
    Target,
    TargetMark,
    Xrefs,
    caption_html,
    caption_prefix,
    equation_number,
    format_number,
    is_reference_type,
    reference_link,
    reference_text,
)

__all__ = [
    "KIND_ALIASES",
    "KIND_NAMES",
    "NBSP",
    "UNNUMBERED_KINDS",
    "Reference",
    "Settings",
    "Target",
    "TargetMark",
    "Xrefs",
    "caption_html",
    "caption_prefix",
    "equation_number",
    "format_number",
    "is_reference_type",
    "number_document",
    "plugin",
    "read_settings",
    "reference_link",
    "reference_text",
]
