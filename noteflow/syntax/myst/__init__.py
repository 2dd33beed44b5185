"""MyST syntax: directives, roles, `(label)=` targets, `+++` cell breaks, `%` comments.

- Directives (```` ```{note} ````, ```` :::{figure} path ````): a braced fence whose name is
  not a language, an adapter's fence or a component. `expand` turns each into tokens
  right after block parsing (Markdown bodies spliced into the main stream, so code cells
  inside them run); `directives` says what each known name becomes; an unknown one is a
  marked box with one warning.
- Roles (`` {ref}`label` ``): mdit-py-plugins' `myst_role` rule parses them; `roles`
  renders them. `{eval}` becomes an inline expression (`inlines`), the `{eval}` and
  `{eval:figure}` directives a hidden-code block (`evaluate`).
- Links MyST fills in (`[](#label)`, `[Sec. %s](#label)`, `<project:#label>`) become
  reference tokens in MyST documents (`inlines`), rendered by `roles`; so do attribute
  ids (`{#mypara}`) as targets and `{.glossary}` definition lists as glossaries.
- Targets, cell breaks and comments: mdit-py-plugins' `myst_blocks` rules; `inlines`
  gives each target's label to the element after it; breaks and comments show nothing.
  These three line rules apply only in a MyST document (`dialect`): in a `.qmd`, an
  `.Rmd`, or a document with no MyST sign, a line starting with `%`, `(label)=` or
  `+++` is prose, as Pandoc and CommonMark show it.
- Glue (`glue`): values a block glued by name, found among the block results at render
  time.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from mdit_py_plugins.myst_blocks import myst_block_plugin
from mdit_py_plugins.myst_blocks.index import block_break, line_comment, target
from mdit_py_plugins.myst_role import myst_role_plugin

from . import leaves
from .dialect import myst_only
from .expand import expand_directives
from .glue import render_glue_directive
from .inlines import after_inline
from .leaves import _rule
from .roles import render_role

_INTERRUPTS = ["paragraph", "reference", "blockquote", "list", "footnote_def"]
"""What the MyST line rules interrupt, as mdit-py-plugins registers them."""


def plugin(md: MarkdownIt) -> None:
    """Add the MyST rules and render rules to `md`."""
    md.use(myst_block_plugin)
    for name, rule in (
        ("myst_line_comment", line_comment),
        ("myst_block_break", block_break),
        ("myst_target", target),
    ):
        md.block.ruler.at(name, myst_only(rule), {"alt": _INTERRUPTS})
    md.use(myst_role_plugin)
    md.core.ruler.after("block", "myst_directives", expand_directives)
    md.core.ruler.after("inline", "myst_inlines", after_inline)
    md.add_render_rule("myst_role", render_role)
    md.add_render_rule("myst_glue", _rule(render_glue_directive))
    leaves.install(md)
