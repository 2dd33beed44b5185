"""LaTeX math to MathML, so pages show formulas with no script and no network.

Browsers render MathML Core natively. A formula latex2mathml cannot convert is shown as
its escaped source in a `<code class="nf-math-error">`, never dropped. Math can come from
a block's output (`text/latex`, `$…$` in `text/markdown`), so the markup is serialised
here with text escaped and link attributes (`\\href`) dropped: latex2mathml's own
`convert` unescapes its output, which would let `\\text{<script>…}` into the page.
"""

from __future__ import annotations

import functools
import html
from xml.etree.ElementTree import Element, tostring

_LINK_ATTRIBUTES = ("href", "xlink:href")


@functools.lru_cache(maxsize=4096)
def latex_to_html(latex: str, *, display: bool) -> str:
    from latex2mathml.converter import convert_to_element

    try:
        tree = convert_to_element(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types for unsupported input
        return f'<code class="nf-math-error" title="could not render">{html.escape(latex)}</code>'
    return _serialise(tree)


def _serialise(tree: Element) -> str:
    """The MathML markup: text escaped, latex2mathml's character references kept as such
    (it stores them as text, `&#x0003C;`), no link attributes."""
    for element in tree.iter():
        for name in _LINK_ATTRIBUTES:
            element.attrib.pop(name, None)
    return tostring(tree, encoding="unicode").replace("&amp;#x", "&#x")
