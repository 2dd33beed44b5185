"""MyST roles (`` {name}`content` ``, parsed by mdit-py-plugins' `myst_role` rule) rendered
as MyST renders them: references through the numbered targets, links to other pages and
files, inline math and text markup, and glue. An unknown role shows its content as code,
with one warning per role name.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Sequence

from markdown_it.common.normalize_url import validateLink
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from ...mathml import latex_to_html
from . import glue, refs
from .blocks import page_href, page_title, term_id
from .calls import document_dir, document_path

log = logging.getLogger("noteflow")

_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_ABBREVIATION = re.compile(r"^(?P<text>.*?)\s*\((?P<title>.*)\)$", re.DOTALL)

LINK_REFERENCE = "nf-link-reference"
"""The role name `inlines` gives a Markdown link to a target (not written by users)."""

Role = Callable[[str, EnvType, str], str]
"""`(content, env, "path:line") -> HTML`."""


def split_target(content: str) -> tuple[str, str]:
    """`text <target>` -> (text, target); a bare `target` -> ("", target)."""
    match = _EXPLICIT.match(content.strip())
    return (match["text"], match["target"].strip()) if match else ("", content.strip())


def _link(href: str, text: str, kind: str) -> str:
    if not validateLink(href):  # `javascript:` and the like: text, as Markdown links are
        return html.escape(text)
    return f'<a class="nf-xref {kind}" href="{html.escape(href)}">{html.escape(text)}</a>'


def _missing(label: str, env: EnvType, where: str) -> str:
    _warn_once(env, f"ref:{label}", f"{where}: unknown reference {label!r}")
    return f'<span class="nf-xref nf-xref-missing">?{html.escape(label)}</span>'


def _warn_once(env: EnvType, key: str, message: str) -> None:
    warned = env.setdefault("nf_myst_warned", set())
    if key not in warned:
        warned.add(key)
        log.warning("%s", message)


def ref(content: str, env: EnvType, where: str) -> str:
    """`{ref}`label`` / `{ref}`text <label>``: a link titled by the target's title."""
    text, label = split_target(content)
    target = refs.lookup(env, label)
    if target is None:
        return _missing(label, env, where)
    shown = text or target.title or refs.numbered_name(target)
    return _link(f"#{target.anchor or label}", shown, "nf-ref")


def numref(content: str, env: EnvType, where: str) -> str:
    """`{numref}`label`` -> "Figure 1"; a text may hold `%s`, `{number}`, `{name}`."""
    text, label = split_target(content)
    target = refs.lookup(env, label)
    if target is None:
        return _missing(label, env, where)
    if not target.number:
        _warn_once(env, f"numref:{label}", f"{where}: {label!r} has no number")
    shown = refs.numbered_name(target)
    if text:
        number = target.number or "?"
        shown = text.replace("%s", number).replace("{number}", number)
        shown = shown.replace("{name}", target.title)
    return _link(f"#{target.anchor or label}", shown, "nf-numref")


def link_reference(content: str, env: EnvType, where: str) -> str:
    """A Markdown link to a target (`[](#label)`, `[Sec. %s](#label)`, `<project:#label>`)
    as MyST fills it: no text gives the target's number name ("Figure 1", "(2)") or its
    title; `%s`, `{number}` and `{name}` in the text are replaced. A label that is no
    target stays a plain link (it may be a heading's anchor)."""
    text, label = split_target(content)
    target = refs.lookup(env, label)
    if target is None:
        return _link(f"#{label}", text or label, "nf-link-ref")
    if not text:
        shown = refs.numbered_name(target) if target.number else target.title or label
    else:
        number = target.number or "?"
        shown = text.replace("%s", number).replace("{number}", number)
        shown = shown.replace("{name}", target.title)
    return _link(f"#{target.anchor or label}", shown, "nf-link-ref")


def eq(content: str, env: EnvType, where: str) -> str:
    """`{eq}`label`` -> "(1)", linked to the equation."""
    text, label = split_target(content)
    target = refs.lookup(env, label)
    if target is None:
        return _missing(label, env, where)
    return _link(f"#{target.anchor or label}", text or f"({target.number or label})", "nf-eq")


def doc(content: str, env: EnvType, where: str) -> str:
    """`{doc}`path`` -> a link to the page that document becomes (`path.html`)."""
    text, target = split_target(content)
    target = target.lstrip("/")
    return _link(page_href(target), text or page_title(document_dir(env), target), "nf-doc")


def download(content: str, env: EnvType, where: str) -> str:
    text, target = split_target(content)
    shown = html.escape(text or target.rsplit("/", 1)[-1])
    if not validateLink(target):  # `javascript:` and the like: text, as Markdown links are
        return shown
    return f'<a class="nf-download" href="{html.escape(target)}" download>{shown}</a>'


def term(content: str, env: EnvType, where: str) -> str:
    """`{term}`word`` -> a link to the glossary entry."""
    text, word = split_target(content)
    if term_id(word) not in env.get("nf_myst_terms", ()):
        _warn_once(env, f"term:{word}", f"{where}: term {word!r} is not in a glossary")
    return _link(f"#{term_id(word)}", text or word, "nf-term")


def button(content: str, env: EnvType, where: str) -> str:
    """mystmd's `{button}`text <target>``: a link drawn as a button (a page target
    `roles.md` links to the page it becomes); without a target, a button that goes nowhere."""
    text, target = split_target(content)
    if not text:
        return f'<span class="nf-button">{html.escape(target)}</span>'
    external = re.match(r"^[a-z][a-z0-9+.-]*:", target) is not None or target.startswith("#")
    return _link(target if external else page_href(target), text, "nf-button")


def abbr(content: str, env: EnvType, where: str) -> str:
    match = _ABBREVIATION.match(content.strip())
    if match is None:
        return f"<abbr>{html.escape(content)}</abbr>"
    return f'<abbr title="{html.escape(match["title"])}">{html.escape(match["text"])}</abbr>'


def api(kind: str) -> Role:
    """A Sphinx domain role (`{py:func}`, `{class}`): the object's name as code, as
    Sphinx shows a reference it cannot link (`~` keeps the last part, functions get
    `()`)."""

    def role(content: str, env: EnvType, where: str) -> str:
        text, target = split_target(content)
        shown = text or target.lstrip("!")
        if not text and shown.startswith("~"):
            shown = shown[1:].rsplit(".", 1)[-1]
        if not text and kind in ("func", "meth") and not shown.endswith(")"):
            shown += "()"
        return f'<code class="xref py py-{kind}">{html.escape(shown)}</code>'

    return role


PY_ROLES = ("func", "meth", "class", "mod", "attr", "obj", "data", "exc", "const", "type")
"""The Python domain's object roles, written `{py:func}` or (default domain) `{func}`."""


def tag(name: str, classes: str = "") -> Role:
    attribute = f' class="{classes}"' if classes else ""
    return lambda content, env, where: f"<{name}{attribute}>{html.escape(content)}</{name}>"


def _glue(name: str) -> Role:
    return lambda content, env, where: glue.render_glue_role(name, content, env, where)


ROLES: dict[str, Role] = {
    "ref": ref,
    "numref": numref,
    "math:numref": numref,
    "eq": eq,
    LINK_REFERENCE: link_reference,
    "doc": doc,
    "download": download,
    "term": term,
    "abbr": abbr,
    "button": button,
    "math": lambda content, env, where: latex_to_html(content, display=False),
    "sub": tag("sub"),
    "subscript": tag("sub"),
    "sup": tag("sup"),
    "superscript": tag("sup"),
    "kbd": tag("kbd"),
    "code": tag("code"),
    "samp": tag("code"),
    "file": tag("code", "file"),
    "command": tag("strong", "command"),
    "emphasis": tag("em"),
    "strong": tag("strong"),
    "dfn": tag("dfn"),
    **{f"py:{kind}": api(kind) for kind in PY_ROLES},
    **{kind: api(kind) for kind in PY_ROLES},
    **{name: _glue(name) for name in ("glue", "glue:", "glue:any", "glue:text", "glue:md")},
}
"""Role name -> its renderer."""


def render_role(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Render rule of `myst_role` tokens."""
    token = tokens[idx]
    name = str(token.meta.get("name", ""))
    where = f"{document_path(env)}:{token.meta.get('line', '?')}"
    role = ROLES.get(name)
    if role is None:
        _warn_once(
            env, f"role:{name}", f"{where}: unknown role {{{name}}}; its text is shown as code"
        )
        return (
            f'<code class="nf-role nf-unknown-role" data-role="{html.escape(name)}">'
            f"{html.escape(token.content)}</code>"
        )
    return role(token.content, env, where)
