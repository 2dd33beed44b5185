"""MyST-NB glue: values a block displayed under a name, pasted elsewhere in the page.

`glue("name", value, display=False)` (myst-nb's, or the one noteflow's Python kernel
provides) displays the value's MIME bundle with metadata `{"scrapbook": {"name": ...,
"mime_prefix": ...}}`; when hidden, every MIME key carries the prefix
`application/papermill.record/`. At render time the glued outputs are found among the
block results (`env["nf"].results`) and shown by the roles `{glue}`, `{glue:text}`,
`{glue:md}` and the directives `{glue}`, `{glue:figure}`, `{glue:math}`, `{glue:md}`.
"""

from __future__ import annotations

import ast
import html
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from markdown_it.token import Token
from markdown_it.utils import EnvType

from ...mathml import latex_to_html
from ...outputs import RenderContext, render_output
from .calls import DirectiveCall
from .leaves import equation_html
from .tokens import figure_of, leaf, mark_target

if TYPE_CHECKING:
    from .expand import Expander

log = logging.getLogger("noteflow")

GLUE_PREFIX = "application/papermill.record/"


# ----------------------------------------------------------------------------- finding


def glued_outputs(env: EnvType) -> dict[str, Mapping[str, Any]]:
    """Glue name -> its output (MIME prefix removed), from this render's block results."""
    cached = env.get("nf_glue")
    if isinstance(cached, dict):
        return cached
    results = getattr(env.get("nf"), "results", None) or {}
    found: dict[str, Mapping[str, Any]] = {}
    for result in results.values():
        for output in result.outputs:
            scrap = _scrapbook(output)
            if scrap is not None and "name" in scrap:
                found[str(scrap["name"])] = _unprefixed(output, str(scrap.get("mime_prefix") or ""))
    env["nf_glue"] = found
    return found


def _scrapbook(output: Any) -> Mapping[str, Any] | None:
    metadata = output.get("metadata") if isinstance(output, Mapping) else None
    scrap = metadata.get("scrapbook") if isinstance(metadata, Mapping) else None
    return scrap if isinstance(scrap, Mapping) else None


def _unprefixed(output: Mapping[str, Any], prefix: str) -> Mapping[str, Any]:
    data = output.get("data")
    items = data.items() if isinstance(data, Mapping) else ()
    plain = {key.removeprefix(prefix): value for key, value in items}
    return {**output, "output_type": "display_data", "data": plain}


def find(env: EnvType, name: str, where: str) -> Mapping[str, Any] | None:
    """The output glued as `name`, or None with one warning per name."""
    output = glued_outputs(env).get(name)
    if output is None:
        warned = env.setdefault("nf_myst_warned", set())
        if f"glue:{name}" not in warned:
            warned.add(f"glue:{name}")
            log.warning("%s: nothing is glued under the name %r", where, name)
    return output


def missing(name: str) -> str:
    escaped = html.escape(name)
    return (
        f'<span class="nf-glue nf-glue-missing" title="nothing glued as {escaped}">'
        f"?{escaped}</span>"
    )


def _context(env: EnvType, alt: str = "") -> RenderContext:
    from ...markdown import render_output_markdown

    store = getattr(env.get("nf"), "store", None)
    return RenderContext(
        markdown=render_output_markdown,
        math=lambda latex, display: latex_to_html(latex, display=display),
        blob=store.blob if store is not None else (lambda digest: None),
        fig_alt=alt or None,
        block_id="glue",
    )


def _resolved(value: Any, env: EnvType) -> Any:
    """A `{"blob": sha}` reference replaced by the blob's text."""
    if isinstance(value, Mapping) and "blob" in value:
        store = getattr(env.get("nf"), "store", None)
        data = store.blob(str(value["blob"])) if store is not None else None
        return data.decode("utf-8", errors="replace") if data is not None else ""
    return "".join(value) if isinstance(value, list) else str(value)


def _data(output: Mapping[str, Any], mime: str, env: EnvType) -> str | None:
    data = output.get("data") or {}
    return _resolved(data[mime], env) if mime in data else None


# ---------------------------------------------------------------------------- showing


def block_html(output: Mapping[str, Any], env: EnvType, alt: str = "") -> str:
    """The glued output as a block, by the usual MIME preference."""
    return f'<div class="nf-glue">{render_output(output, _context(env, alt))}</div>\n'


def inline_html(output: Mapping[str, Any], env: EnvType) -> str:
    """The glued output inside a sentence: text as text, math inline, others as they are."""
    data = output.get("data") or {}
    shown = render_output(output, _context(env))
    if "text/html" not in data and not any(m.startswith("image/") for m in data):
        if "text/latex" in data:
            shown = inline_math(_data(output, "text/latex", env) or "")
        elif "text/plain" in data:
            shown = html.escape(_data(output, "text/plain", env) or "")
    return f'<span class="nf-glue">{shown}</span>'


def inline_math(latex: str) -> str:
    return latex_to_html(_strip_dollars(latex), display=False)


def _strip_dollars(latex: str) -> str:
    text = latex.strip()
    for mark in ("$$", "$"):
        if text.startswith(mark) and text.endswith(mark) and len(text) > 2 * len(mark):
            return text[len(mark) : -len(mark)]
    return text


def text_html(output: Mapping[str, Any], spec: str, env: EnvType, where: str) -> str:
    """`{glue:text}`name:format``: text/plain, formatted by a Python format spec."""
    text = _data(output, "text/plain", env)
    if text is None:
        log.warning("%s: the glued value has no text/plain form", where)
        return missing("text")
    try:
        shown = format_plain_text(text, spec)
    except (ValueError, TypeError) as err:
        log.warning("%s: cannot format %r with %r: %s", where, text, spec, err)
        shown = text
    return f'<span class="nf-glue">{html.escape(shown)}</span>'


def format_plain_text(text: str, spec: str) -> str:
    """As MyST-NB formats it: the text read back as a Python literal (quotes removed),
    then `format(value, spec)` with the spec's type deciding int, float or str."""
    try:
        value: Any = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, spec)


def markdown_html(output: Mapping[str, Any], env: EnvType, *, inline: bool) -> str:
    """`{glue:md}`: text/markdown rendered (raw HTML escaped, as any output Markdown)."""
    from ...markdown import render_output_markdown

    text = _data(output, "text/markdown", env)
    if text is None:
        return inline_html(output, env) if inline else block_html(output, env)
    rendered = render_output_markdown(text).strip()
    if (
        inline
        and rendered.startswith("<p>")
        and rendered.endswith("</p>")
        and rendered.count("<p>") == 1
    ):
        return f'<span class="nf-glue">{rendered[3:-4]}</span>'
    return f'<div class="nf-glue">{rendered}</div>\n'


def math_html(output: Mapping[str, Any], label: str, env: EnvType) -> str:
    latex = _data(output, "text/latex", env)
    if latex is None:
        return block_html(output, env)
    return equation_html(_strip_dollars(latex), label, env)


# --------------------------------------------------------------------------- directives


def glue_any(call: DirectiveCall, expander: Expander) -> list[Token]:
    return [_glue_token(call, "any")]


def glue_markdown(call: DirectiveCall, expander: Expander) -> list[Token]:
    return [_glue_token(call, "md")]


def glue_math(call: DirectiveCall, expander: Expander) -> list[Token]:
    token = _glue_token(call, "math")
    mark_target(token, call.label, "eq")
    return [token]


def glue_figure(call: DirectiveCall, expander: Expander) -> list[Token]:
    """The glued output in a `<figure>`, the body its caption, `:name:` its target."""
    return figure_of(call, expander, lambda: [_glue_token(call, "any")])


def _glue_token(call: DirectiveCall, mode: str) -> Token:
    return leaf(
        call,
        "myst_glue",
        name=call.argument.strip(),
        mode=mode,
        label=call.label,
        alt=call.text_option("alt"),
        where=call.where,
    )


def render_glue_directive(token: Token, env: EnvType) -> str:
    name = str(token.meta["name"])
    output = find(env, name, str(token.meta.get("where", "")))
    if output is None:
        return f'<div class="nf-glue">{missing(name)}</div>\n'
    mode = token.meta.get("mode")
    if mode == "md":
        return markdown_html(output, env, inline=False)
    if mode == "math":
        return math_html(output, str(token.meta.get("label", "")), env)
    return block_html(output, env, str(token.meta.get("alt", "")))


def render_glue_role(name: str, content: str, env: EnvType, where: str) -> str:
    """The `{glue}`, `{glue:}`, `{glue:any}`, `{glue:text}` and `{glue:md}` roles."""
    key, spec = content, ""
    if name in ("glue:text", "glue:md") and ":" in content:
        key, spec = content.rsplit(":", 1)  # a format: `.2f`, or `myst` for Markdown
    output = find(env, key.strip(), where)
    if output is None:
        return missing(key.strip())
    if name == "glue:text":
        return text_html(output, spec, env, where)
    if name == "glue:md":
        return markdown_html(output, env, inline=True)
    return inline_html(output, env)
