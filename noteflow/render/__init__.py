"""Render stage: a `Document` and its block results to one self-contained HTML page.

Owns DESIGN §6: prose through markdown-it (the parse stage's tokens, not a second
parse), code through Pygments, outputs through `noteflow.outputs` by MIME preference, the
page through a theme. Every display option applies here and nowhere else, which is why
none is in the key. One module per job:

- `page.py`: `render_html` and `render_body`, the stage's entry points;
- `pageoptions.py`: page-level options (`toc`, `toc-depth`, `code-tools`, under
  `format: html:` too) and the page's metadata;
- `blocks.py`: `Hooks`, an executable block's section (`echo`, `output`, `include`,
  knitr's `results`, `comment`, `collapse`, `out-width`; MyST-NB's `remove-*` tags);
- `codebox.py`: highlighting, `echo: fenced`, code-annotation markers, collapsed output;
- `folding.py`: `code-fold` / `code-summary` and MyST-NB's `hide-*` toggles;
- `captions.py`: `fig-cap` / `tbl-cap` / `lst-cap` numbered through the cross-references,
  `fig-subcap` / `tbl-subcap` and `layout-ncol` / `layout-nrow`, `fig-alt`;
- `inline.py`: inline expressions' values.

Prose, captions, `asis` text and included files are the author's Markdown and may hold
raw HTML; Markdown that a block displays is data, rendered with raw HTML escaped
(`noteflow.outputs` says what else is escaped).
"""

from .blocks import KNITR_COMMENT, Hooks
from .codebox import code_box, highlight_code
from .folding import DEFAULT_CODE_SUMMARY, MYST_TOGGLE
from .page import render_body, render_html
from .pageoptions import DEFAULT_TOC_DEPTH, code_tools, page_option, table_of_contents

__all__ = [
    "DEFAULT_CODE_SUMMARY",
    "DEFAULT_TOC_DEPTH",
    "KNITR_COMMENT",
    "MYST_TOGGLE",
    "Hooks",
    "code_box",
    "code_tools",
    "highlight_code",
    "page_option",
    "render_body",
    "render_html",
    "table_of_contents",
]
