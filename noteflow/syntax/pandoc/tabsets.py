"""Quarto tabsets: `::: {.panel-tabset}` whose headings become tabs, with no script.

Owns re-typing a tabset div: each heading of the shallowest level among the div's direct
children becomes a tab label and the blocks after it, up to the next such heading, its
panel. The page shows them as CSS-only tabs: a radio button per tab (the first checked),
a `<label>` for it, and the panel, in that order, which `pandoc.css` lays out as a tab
bar over the selected panel. Tabs work offline and with the keyboard (arrow keys move
between the radio buttons of one tabset). Tabsets with the same `group="…"` switch
together, as in Quarto: the page carries one small inline script for that (without
scripts, each tabset still works on its own).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from .attributes import Attributes, html_attributes
from .divs import attributes_html, child_ranges, matching_close


@dataclass(frozen=True, slots=True)
class Tab:
    """One tab of a tabset: the radio button's name (shared by the set) and id."""

    group_name: str
    input_id: str
    checked: bool
    panel_id: str = ""
    """The tab heading's own id (`## Third {#third}`), given to its panel."""
    title: str = ""
    """The tab's label text: tabsets of one group switch to the tab of the same title."""


def transform(tokens: list[Token], open_index: int, env: MutableMapping[str, Any]) -> None:
    """Re-type the tabset div at `open_index` into labels and panels, in place."""
    opening = tokens[open_index]
    opening.type = "nf_tabset_open"
    close_index = matching_close(tokens, open_index)
    tokens[close_index].type = "nf_tabset_close"
    headings = _tab_headings(tokens, open_index, close_index)
    number = env["nf_tabsets"] = env.get("nf_tabsets", 0) + 1
    group_name = f"nf-tabset-{number}"
    # From the last tab back, so the indexes of earlier headings stay valid.
    for position in reversed(range(len(headings))):
        start = headings[position]
        end = headings[position + 1] if position + 1 < len(headings) else close_index
        panel_id = str(tokens[start].attrGet("id") or "")
        title = " ".join(tokens[start + 1].content.split())
        tab = Tab(group_name, f"{group_name}-{position + 1}", position == 0, panel_id, title)
        _make_tab(tokens, start, end, tab)


def _tab_headings(tokens: list[Token], open_index: int, close_index: int) -> list[int]:
    children = child_ranges(tokens, open_index, close_index)
    starts = [r.start for r in children if tokens[r.start].type == "heading_open"]
    if not starts:
        return []
    level = min(tokens[i].tag for i in starts)
    return [i for i in starts if tokens[i].tag == level]


def _make_tab(tokens: list[Token], heading_index: int, end_index: int, tab: Tab) -> None:
    """Heading at `heading_index` to a label; the tokens up to `end_index` its panel."""
    tokens.insert(end_index, _token("nf_tab_panel_close", -1, tab))
    tokens.insert(heading_index + 3, _token("nf_tab_panel_open", 1, tab))
    heading_open, heading_close = tokens[heading_index], tokens[heading_index + 2]
    heading_open.type, heading_close.type = "nf_tab_label_open", "nf_tab_label_close"
    heading_open.meta["nf_tab"] = heading_close.meta["nf_tab"] = tab


def _token(kind: str, nesting: Literal[-1, 0, 1], tab: Tab) -> Token:
    token = Token(kind, "div", nesting, block=True)
    token.meta["nf_tab"] = tab
    return token


def render_tabset_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    attributes: Attributes = tokens[idx].meta["nf_attributes"]
    values = html_attributes(attributes)
    values["class"] = " ".join(dict.fromkeys(["panel-tabset", "nf-tabset", *attributes.classes]))
    script = ""
    if attributes.get("group") and not env.get("nf_tabset_group_script"):
        env["nf_tabset_group_script"] = True
        script = f"<script>{GROUP_SCRIPT}</script>\n"
    return f"{script}<div{attributes_html(values)}>\n"


GROUP_SCRIPT = (
    'document.addEventListener("change",function(e){var t=e.target;'
    'if(!t.matches||!t.matches(".nf-tab-input"))return;'
    'var s=t.closest(".nf-tabset[data-group]");if(!s)return;'
    'var g=s.getAttribute("data-group"),n=t.getAttribute("data-tab");'
    'document.querySelectorAll(".nf-tabset[data-group]").forEach(function(o){'
    'if(o===s||o.getAttribute("data-group")!==g)return;'
    'o.querySelectorAll(":scope>.nf-tab-input").forEach(function(i){'
    'if(i.getAttribute("data-tab")===n)i.checked=true;});});});'
)
"""Checks the tab of the same title in every other tabset of the changed tab's group."""


def render_label_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    tab: Tab = tokens[idx].meta["nf_tab"]
    checked = " checked" if tab.checked else ""
    return (
        f'<input type="radio" class="nf-tab-input" name="{tab.group_name}" '
        f'id="{tab.input_id}" data-tab="{escapeHtml(tab.title)}"{checked}>'
        f'<label class="nf-tab-label" for="{tab.input_id}">'
    )


def render_label_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</label>\n"


def render_panel_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    tab: Tab = tokens[idx].meta["nf_tab"]
    ident = f' id="{escapeHtml(tab.panel_id)}"' if tab.panel_id else ""
    return (
        f'<div{ident} class="nf-tab-panel tab-pane" role="tabpanel" '
        f'aria-labelledby="{tab.input_id}">\n'
    )


def render_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</div>\n"


RENDER_RULES = {
    "nf_tabset_open": render_tabset_open,
    "nf_tabset_close": render_close,
    "nf_tab_label_open": render_label_open,
    "nf_tab_label_close": render_label_close,
    "nf_tab_panel_open": render_panel_open,
    "nf_tab_panel_close": render_close,
}
