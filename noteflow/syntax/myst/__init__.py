"""MyST syntax: directives, roles, `(label)=` targets, `+++` cell breaks, `%` comments.

- Directives (```` ```{note} ````, ```` :::{figure} path ````): a braced fence whose name is
  not a language, an adapter's fence or a component. `expand` turns each into tokens
  right after block parsing (Markdown bodies spliced into the main stream, so code cells
  inside them run); `directives` says what each known name becomes; an unknown one is a
  marked box with one warning.
- Roles (`` {ref}`label` ``): mdit-py-plugins' `myst_role` rule parses them; `roles`
  renders them. `{eval}` becomes an inline expression (`inlines`).
- Targets, cell breaks and comments: mdit-py-plugins' `myst_blocks` rules; `inlines`
  gives each target's label to the element after it; breaks and comments show nothing.
- Glue (`glue`): values a block glued by name, found among the block results at render
  time.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from mdit_py_plugins.myst_blocks import myst_block_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

from . import leaves
from .expand import expand_directives
from .glue import render_glue_directive
from .inlines import after_inline
from .leaves import _rule
from .roles import render_role


def plugin(md: MarkdownIt) -> None:
    """Add the MyST rules and render rules to `md`."""
    md.use(myst_block_plugin)
    md.use(myst_role_plugin)
    md.core.ruler.after("block", "myst_directives", expand_directives)
    md.core.ruler.after("inline", "myst_inlines", after_inline)
    md.add_render_rule("myst_role", render_role)
    md.add_render_rule("myst_glue", _rule(render_glue_directive))
    leaves.install(md)
