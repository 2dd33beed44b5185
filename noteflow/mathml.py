"""LaTeX math to MathML, so pages show formulas with no script and no network.

Browsers render MathML Core natively. A formula latex2mathml cannot convert is shown as
its escaped source in a `<code class="nf-math-error">`, never dropped.
"""

from __future__ import annotations

import functools
import html


@functools.lru_cache(maxsize=4096)
def latex_to_html(latex: str, *, display: bool) -> str:
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types for unsupported input
        return f'<code class="nf-math-error" title="could not render">{html.escape(latex)}</code>'
