"""Pandoc and Quarto prose syntax, checked on the pages that fixture documents give.

The documents under `tests/fixtures/pandoc/` are rendered once each with the in-process
fake kernel; tests read the page as a reader would (elements, classes, text), through a
small tree built with the standard library's html.parser.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakerender import render_with_fake_kernel
from htmltree import Element, parse_html, words
from markdown_it import MarkdownIt

from noteflow.markdown import markdown_parser
from noteflow.syntax import pandoc

FIXTURES = Path(__file__).parent / "fixtures" / "pandoc"


# ------------------------------------------------------------------------- renders


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Element]:
    """Each fixture document rendered once (in a scratch copy), as a tree."""
    folder = tmp_path_factory.mktemp("pandoc")
    shutil.copytree(FIXTURES, folder, dirs_exist_ok=True)
    result = {}
    for name in ("callouts", "tabset", "layout", "attributes", "tables", "floats"):
        outcome = render_with_fake_kernel(folder / f"{name}.md")
        assert outcome.output is not None
        result[name] = parse_html(outcome.output.read_text(encoding="utf-8"))
    return result


def main(page: Element) -> Element:
    return page.find("main") if page.find_all("main") else page


# ------------------------------------------------------------------------ callouts


def test_callout_without_title_is_titled_with_its_kind(pages: dict[str, Element]) -> None:
    note = main(pages["callouts"]).find_all(cls="callout")[0]
    assert "callout-note" in note.classes
    assert words(note.find(cls="callout-title")) == "Note"
    assert note.find(cls="callout-icon")
    assert "kind's name is its title" in words(note.find(cls="callout-body"))


def test_callout_title_attribute_id_and_markdown_body(pages: dict[str, Element]) -> None:
    tip = pages["callouts"].find(id="tip-one")
    assert "callout-tip" in tip.classes
    assert words(tip.find(cls="callout-title")) == "Tip 1: Tip with a title"  # its id is a label
    assert words(tip.find(cls="callout-body").find("em")) == "Markdown"
    assert "title" not in tip.attrs and "data-title" not in tip.attrs


def test_collapsed_callout_is_a_closed_details_titled_by_its_heading(
    pages: dict[str, Element],
) -> None:
    folded = pages["callouts"].find("details", cls="callout-warning")
    assert "open" not in folded.attrs
    summary = folded.find("summary")
    assert words(summary) == "Folded warning"
    assert "Hidden until the reader opens it." in words(folded)
    headings = [words(h) for h in pages["callouts"].find_all("h2")]
    assert not any("Folded warning" in h for h in headings)  # the title, not a section


def test_collapse_false_is_an_open_details(pages: dict[str, Element]) -> None:
    important = pages["callouts"].find("details", cls="callout-important")
    assert "open" in important.attrs
    assert words(important.find("summary")) == "Open by default"


def test_minimal_callout_without_icon(pages: dict[str, Element]) -> None:
    caution = pages["callouts"].find(cls="callout-caution")
    assert "callout-style-minimal" in caution.classes
    assert caution.find_all(cls="callout-icon") == []
    assert words(caution) == "Minimal, with no icon."


def test_bare_class_word_and_nested_callouts(pages: dict[str, Element]) -> None:
    callouts = main(pages["callouts"]).find_all(cls="callout")
    assert words(callouts[5].find(cls="callout-body")) == "A bare class word works too."
    outer = callouts[6]
    inner = outer.find(cls="callout-note")
    assert words(inner.find(cls="callout-title")) == "Inner note"
    outer_body = outer.find(cls="callout-body")
    assert "Still in the outer tip." in words(outer_body)
    assert "Still in the outer tip." not in words(inner)


def test_colons_in_a_code_fence_are_not_a_div(pages: dict[str, Element]) -> None:
    page = main(pages["callouts"])
    assert len(page.find_all(cls="callout")) == 9  # seven, one nested pair
    code = [words(c) for c in page.find_all("pre")]
    assert any(c.startswith("::: {.callout-note}") for c in code)


def test_callout_with_a_reference_id_is_numbered(pages: dict[str, Element]) -> None:
    note = pages["callouts"].find(id="nte-numbered")
    assert words(note.find(cls="callout-title")) == "Note 1"
    links = {a.attrs["href"]: words(a) for a in pages["callouts"].find_all("a", cls="quarto-xref")}
    assert links == {"#nte-numbered": "Note 1", "#tip-one": "Tip 1"}


# ------------------------------------------------------------------------- tabsets


def test_tabset_headings_become_tabs_and_the_first_is_selected(pages: dict[str, Element]) -> None:
    tabset = pages["tabset"].find(cls="panel-tabset")
    labels = [words(label) for label in tabset.find_all("label", cls="nf-tab-label")]
    assert labels == ["Python", "Second", "Third"]
    inputs = tabset.find_all("input")
    assert [("checked" in i.attrs) for i in inputs] == [True, False, False]
    assert len({i.attrs["name"] for i in inputs}) == 1
    for tab_input, label in zip(inputs, tabset.find_all("label"), strict=True):
        assert label.attrs["for"] == tab_input.attrs["id"]
    assert tabset.attrs.get("data-group") == "language"


def test_executable_blocks_inside_tabs_run(pages: dict[str, Element]) -> None:
    panels = pages["tabset"].find(cls="panel-tabset").find_all(cls="nf-tab-panel")
    assert len(panels) == 3
    assert "first tab ran" in words(panels[0].find(cls="nf-outputs"))
    assert "second tab ran" in words(panels[1].find(cls="nf-outputs"))
    assert words(panels[1].find(cls="callout-title")) == "Tip"


def test_tab_content_keeps_deeper_headings_and_its_id(pages: dict[str, Element]) -> None:
    third = pages["tabset"].find(id="third-tab")
    assert "nf-tab-panel" in third.classes
    assert words(third.find("h3")).startswith("A subheading stays a heading")
    assert not any("Python" in words(h) for h in pages["tabset"].find_all("h2"))
    after = [p for p in main(pages["tabset"]).elements if p.tag == "p"]
    assert [words(p) for p in after] == ["After the tabset."]


# ---------------------------------------------------------------- columns, layouts


def test_columns_with_widths(pages: dict[str, Element]) -> None:
    columns = pages["layout"].find(cls="columns").find_all(cls="column")
    assert [c.attrs.get("style") for c in columns] == ["width:40%;", "width:60%;"]
    assert [words(c) for c in columns] == ["Left column.", "Right column."]


def test_column_classes_are_kept(pages: dict[str, Element]) -> None:
    assert words(pages["layout"].find(cls="column-margin")) == "A note in the margin."
    assert words(pages["layout"].find(cls="column-page")) == "Wider than the text."


def _layout_rows(panel: Element) -> list[list[tuple[str, str]]]:
    return [
        [(words(cell), str(cell.attrs.get("style"))) for cell in row.find_all(cls="nf-layout-cell")]
        for row in panel.find_all(cls="nf-layout-row")
    ]


def test_layout_ncol_puts_children_in_rows(pages: dict[str, Element]) -> None:
    panel = pages["layout"].find_all(cls="quarto-layout-panel")[0]
    assert _layout_rows(panel) == [
        [("Cell one.", "flex-basis:50%"), ("Cell two.", "flex-basis:50%")],
        [("Cell three.", "flex-basis:50%"), ("", "flex-basis:50%")],
    ]


def test_layout_attribute_gives_row_shares(pages: dict[str, Element]) -> None:
    panel = pages["layout"].find_all(cls="quarto-layout-panel")[1]
    assert _layout_rows(panel) == [
        [("Wide.", "flex-basis:70%"), ("Narrow.", "flex-basis:30%")],
        [("Full row.", "flex-basis:100%")],
    ]


@pytest.mark.parametrize(
    ("attributes", "shown"),
    [
        ('.content-visible when-format="html"', True),
        ('.content-visible when-format="pdf"', False),
        ('.content-visible unless-format="pdf"', True),
        ('.content-hidden when-format="html"', False),
        ('.content-hidden unless-format="html"', True),
        (".content-hidden", False),
    ],
)
def test_conditional_content_for_an_html_page(attributes: str, shown: bool) -> None:
    page = parse_html(markdown_parser().render(f"::: {{{attributes}}}\ntext\n:::\n"))
    assert ("hidden" not in page.find("div").attrs) is shown


def test_plain_div_keeps_id_classes_and_data_attributes(pages: dict[str, Element]) -> None:
    box = pages["layout"].find(id="box-1")
    assert box.tag == "div" and "my-box" in box.classes
    assert box.attrs.get("data-extra") == "1" and box.attrs.get("data-key") == "value"


# ------------------------------------------------------------ headings and spans


def test_heading_attributes_give_id_class_and_hide_the_braces(pages: dict[str, Element]) -> None:
    heading = pages["attributes"].find("h2", id="data")
    assert "important-heading" in heading.classes
    assert heading.attrs.get("data-key") == "value"
    assert words(heading).removesuffix("#").strip() == "Data"
    link = heading.find("a", cls="header-anchor")
    assert link.attrs["href"] == "#data"


def test_unnumbered_headings_keep_the_class(pages: dict[str, Element]) -> None:
    headings = {words(h).removesuffix("#").strip(): h for h in pages["attributes"].find_all("h2")}
    assert "unnumbered" in headings["Appendix"].classes
    assert "unnumbered" in headings["Thanks"].classes
    assert "unnumbered" not in headings["A heading without attributes"].classes
    assert headings["Appendix"].attrs.get("id") == "appendix"


def test_bracketed_spans(pages: dict[str, Element]) -> None:
    page = pages["attributes"]
    assert words(page.find("span", cls="smallcaps")) == "small caps"
    assert words(page.find("u", cls="underline")) == "underlined"
    assert words(page.find("mark")) == "highlighted"
    span = page.find("span", id="span-one")
    assert "special" in span.classes and words(span) == "a classed span"
    assert page.find("a", cls=None).attrs.get("href") is not None
    links = [a for a in page.find_all("a") if a.attrs.get("href") == "https://example.org/"]
    assert [words(a) for a in links] == ["stays a link"]


def test_subscript_and_superscript_as_in_pandoc() -> None:
    html = markdown_parser().render("H~2~O is 2^10^ times ~~not~~ $x^2$ a~b c~d\n")
    page = parse_html(html)
    assert [words(n) for n in page.find_all("sub")] == ["2"]
    assert [words(n) for n in page.find_all("sup")] == ["10"]
    assert [words(n) for n in page.find_all("s")] == ["not"]
    assert page.find_all("math") and "a~b c~d" in words(page)


# -------------------------------------------------------------------------- tables


def test_pipe_table_caption_after_the_table_is_numbered(pages: dict[str, Element]) -> None:
    table = pages["tables"].find("table", id="tbl-prices")
    assert words(table.find("caption")) == "Table 1: Fruit prices"
    assert [words(th) for th in table.find_all("th")] == ["Fruit", "Price"]


def test_caption_before_the_table(pages: dict[str, Element]) -> None:
    tables = pages["tables"].find_all("table")
    assert words(tables[1].find("caption")) == "A caption written before its table"
    assert [words(td) for td in tables[1].find_all("td")] == ["a", "1"]


def test_grid_table_with_block_cells_and_caption(pages: dict[str, Element]) -> None:
    table = pages["tables"].find("table", id="tbl-grid")
    assert words(table.find("caption")) == "Table 2: Grid table caption"
    assert [words(th) for th in table.find("thead").find_all("th")] == ["Fruit", "Advantages"]
    rows = table.find("tbody").find_all("tr")
    assert [words(li) for li in rows[0].find_all("li")] == ["built-in wrapper", "bright color"]
    assert words(rows[1].find("strong")) == "cures"
    assert rows[1].find_all("p") == []  # a lone paragraph in a cell is shown without <p>


def test_grid_table_without_header_and_with_alignment() -> None:
    source = "+-----+:----:+\n| a   | b    |\n+-----+------+\n| c   | d    |\n+-----+------+\n"
    table = parse_html(markdown_parser().render(source)).find("table")
    assert table.find_all("thead") == []
    assert [[words(td) for td in tr.find_all("td")] for tr in table.find_all("tr")] == [
        ["a", "b"],
        ["c", "d"],
    ]
    assert table.find_all("td")[1].attrs["style"] == "text-align:center"


def test_column_widths_from_the_caption() -> None:
    source = '| a | b |\n|---|---|\n| 1 | 2 |\n\n: {tbl-colwidths="[75,25]"}\n'
    table = parse_html(markdown_parser().render(source)).find("table")
    assert [c.attrs["style"] for c in table.find_all("col")] == ["width:75%", "width:25%"]
    assert table.find_all("caption") == []


def test_caption_line_without_a_table_stays_text(pages: dict[str, Element]) -> None:
    paragraphs = [words(p) for p in pages["tables"].find_all("p")]
    assert ": A colon line far from any table stays text." in paragraphs


# ---------------------------------------------------------- figure and table divs


def test_figure_div_is_numbered_with_lettered_sub_figures(pages: dict[str, Element]) -> None:
    figure = pages["floats"].find("div", id="fig-elephants").find("figure", cls="quarto-float-fig")
    cells = figure.find_all(cls="nf-layout-cell")
    assert [words(cell.find("figcaption")) for cell in cells] == ["(a) Surus", "(b) Hanno"]
    own_caption = [c for c in figure.elements if c.tag == "figcaption"]
    assert [words(c) for c in own_caption] == ["Figure 1: Famous elephants"]
    assert figure.elements[-1].tag == "figcaption"  # under the figure


def test_table_div_has_its_caption_above(pages: dict[str, Element]) -> None:
    float_ = pages["floats"].find("div", id="tbl-letters").find("figure", cls="quarto-float-tbl")
    first = float_.elements[0]
    assert first.tag == "figcaption" and words(first) == "Table 1: Letters table"
    assert float_.find("table")


def test_references_to_divs_and_sub_figures(pages: dict[str, Element]) -> None:
    links = {a.attrs["href"]: words(a) for a in pages["floats"].find_all("a", cls="quarto-xref")}
    assert links == {
        "#fig-elephants": "Figure 1",
        "#fig-hanno": "Figure 1 (b)",
        "#tbl-letters": "Table 1",
    }


# ------------------------------------------------------------- tokens for others


def test_myst_colon_directive_is_the_fence_a_backtick_directive_gives() -> None:
    source = "Intro.\n\n::::{note} An argument\n:class: tip\nBody *text*.\n::::\n"
    md = MarkdownIt("commonmark")
    pandoc.plugin(md)  # alone: the MyST plugin re-types directive fences later
    fences = [t for t in md.parse(source, {}) if t.type == "fence"]
    assert len(fences) == 1
    fence = fences[0]
    assert (fence.info, fence.markup) == ("{note} An argument", "::::")
    assert fence.content == ":class: tip\nBody *text*.\n"
    assert fence.map == [2, 6]


def test_divs_of_equal_fences_nest_by_attributes() -> None:
    source = "::: {.outer}\n::: {.inner}\ninside\n:::\nafter inner\n:::\n\noutside\n"
    page = parse_html(markdown_parser().render(source))
    outer = page.find(cls="outer")
    assert words(outer.find(cls="inner")) == "inside"
    assert "after inner" in words(outer)
    assert "outside" not in words(outer)


def test_unclosed_div_ends_with_the_document() -> None:
    page = parse_html(markdown_parser().render("::: {.open}\nnever closed\n"))
    assert words(page.find(cls="open")) == "never closed"


def test_executable_block_in_a_callout_is_a_block() -> None:
    source = "::: {.callout-note}\n```{python}\nx = 1\n```\n:::\n"
    from noteflow.parse import parse_document

    document = parse_document(Path("doc.md"), source)
    assert [block.code for block in document.blocks] == ["x = 1\n"]
