"""Block options: every spelling noteflow reads, and the one canonical form it turns them into.

One module per job:

- `fence`: the fence info string (`{python #load echo=false}` Pandoc attributes, `{r load,
  echo=FALSE}` R Markdown chunk headers, `{code-cell} ipython3` MyST, `{{python}}` escapes);
- `lines`: Quarto option lines at the top of a body (`#| echo: false`) and MyST code-cell
  options (`:tags: [...]` lines or a `---` YAML block);
- `canonical`: the canonical form (`normalise`: dashed lower-case keys, aliases, implied
  options), with `values` checking each option's value;
- `merge`: the combination of several spellings on one block (`merge_options`);
- `scan`, `rvalues`, `rcalls`: quotes and brackets, R literals, knitr's `opts_chunk$set` and
  `opts_template$set` calls;
- `names`: which option names exist (the ones noteflow acts on, the ones other tools define
  that noteflow reads without acting on) and the few that change what a block computes
  (`key_options`).

Every user mistake raises `OptionError` carrying the document path and line; an unknown option
name is a warning (logger `noteflow`) with a did-you-mean, and stays out of the cache key.
"""

from .canonical import normalise, normalise_written
from .fence import FenceHeader, parse_fence_info
from .lines import split_myst_options, split_option_lines
from .merge import merge_options
from .names import (
    ALL_LABELS,
    ALL_OPTIONS,
    DEFAULT_OUTPUT_LIMIT,
    DISPLAY_ONLY_OPTIONS,
    EXECUTION_OPTIONS,
    FOREIGN_OPTIONS,
    GRAPH_OPTIONS,
    KNITR_CHECKED_OPTIONS,
    KNOWN_OPTIONS,
    USED_OPTIONS,
    key_options,
    label_id,
    unknown_option_message,
    warn_unknown_options,
)
from .rcalls import r_call_options, r_template_options
from .values import is_possible_path, valid_kernel_name

__all__ = [
    "ALL_LABELS",
    "ALL_OPTIONS",
    "DEFAULT_OUTPUT_LIMIT",
    "DISPLAY_ONLY_OPTIONS",
    "EXECUTION_OPTIONS",
    "FOREIGN_OPTIONS",
    "GRAPH_OPTIONS",
    "KNITR_CHECKED_OPTIONS",
    "KNOWN_OPTIONS",
    "USED_OPTIONS",
    "FenceHeader",
    "is_possible_path",
    "key_options",
    "label_id",
    "merge_options",
    "normalise",
    "normalise_written",
    "parse_fence_info",
    "r_call_options",
    "r_template_options",
    "split_myst_options",
    "split_option_lines",
    "unknown_option_message",
    "valid_kernel_name",
    "warn_unknown_options",
]
