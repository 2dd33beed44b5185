"""Quarto documents render with Quarto's markup where a reader or a stylesheet sees it.

Each fixture under `tests/fixtures/quarto/` reproduces a case from Quarto's own test
documents or its authoring guide (written here, not copied): the page must show what
Quarto shows, with Quarto's class names and ids where users' CSS and links expect them
(`div#fig-x > figure.quarto-float-fig > figcaption.quarto-float-caption`).
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from browsers import launch, require_chromium
from fakerender import render_with_fake_kernel
from htmltree import Element, parse_html, words

FIXTURES = Path(__file__).parent / "fixtures" / "quarto"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Element]:
    """Each fixture document rendered once (in a scratch copy), as a tree."""
    folder = tmp_path_factory.mktemp("quarto")
    shutil.copytree(FIXTURES, folder, dirs_exist_ok=True)
    result = {}
    for path in sorted(folder.glob("*.qmd")):
        outcome = render_with_fake_kernel(path)
        assert outcome.output is not None
        result[path.stem] = parse_html(outcome.output.read_text(encoding="utf-8"))
    return result


def float_parts(page: Element, label: str, kind: str) -> tuple[Element, Element]:
    """The `figure` of a float and its caption, found as Quarto's selectors find them."""
    figure = page.find("div", id=label).find("figure", cls=f"quarto-float-{kind}")
    caption = figure.find("figcaption", cls="quarto-float-caption")
    assert f"quarto-float-{kind}" in caption.classes
    return figure, caption


# ------------------------------------------------------------------------ floats


def test_div_attributes_with_spaces_around_the_equals_sign(pages: dict[str, Element]) -> None:
    div = pages["floats"].find("div", id="spaced")
    assert div.attrs["data-key"] == "value" and div.attrs["data-other"] == "two"
    assert ":::" not in words(pages["floats"].find("main"))


def test_linked_image_with_an_id_is_a_numbered_figure(pages: dict[str, Element]) -> None:
    figure, caption = float_parts(pages["floats"], "fig-linked", "fig")
    assert figure.find("a").attrs["href"] == "https://example.com/"
    assert figure.find("a").find("img")
    assert words(caption) == "Figure 1: A linked figure"


def test_image_with_a_table_id_is_a_numbered_table(pages: dict[str, Element]) -> None:
    figure, caption = float_parts(pages["floats"], "tbl-image", "tbl")
    assert figure.find("img") and words(caption) == "Table 1: A table that is an image"


def test_float_div_caption_from_its_attribute(pages: dict[str, Element]) -> None:
    figure, caption = float_parts(pages["floats"], "fig-attribute", "fig")
    assert figure.find("img")
    assert words(caption) == "Figure 2: A caption from the attribute"
    assert words(caption.find("em")) == "from"


def test_listing_caption_is_markdown(pages: dict[str, Element]) -> None:
    _, caption = float_parts(pages["floats"], "lst-query", "lst")
    assert words(caption) == "Listing 1: Customers query"
    assert words(caption.find("em")) == "query"


def test_references_to_every_float_resolve(pages: dict[str, Element]) -> None:
    links = {a.attrs["href"]: words(a) for a in pages["floats"].find_all("a", cls="quarto-xref")}
    assert links == {
        "#fig-linked": "Figure 1",
        "#tbl-image": "Table 1",
        "#fig-attribute": "Figure 2",
        "#lst-query": "Listing 1",
    }
    assert words(pages["floats"].find("table", id="tbl-classes").find("caption")).startswith(
        "Table 2:"
    )


def test_table_classes_become_bootstrap_classes(pages: dict[str, Element]) -> None:
    table = pages["floats"].find("table", id="tbl-classes")
    assert table.classes == ["unknown", "table-striped", "table-hover", "table-sm"]


# ---------------------------------------------------------------- tabsets, callouts


def test_tabsets_of_one_group_carry_the_switching_script_once(pages: dict[str, Element]) -> None:
    page = pages["tabsets"]
    inputs = page.find_all("input", cls="nf-tab-input")
    assert [i.attrs["data-tab"] for i in inputs] == ["R", "Python", "R", "Python"]
    assert [t.attrs["data-group"] for t in page.find_all("div", cls="panel-tabset")] == [
        "language",
        "language",
    ]
    scripts = [s for s in page.find("main").find_all("script") if "data-group" in s.text]
    assert len(scripts) == 1


def test_callout_icon_is_quartos_markup(pages: dict[str, Element]) -> None:
    callout = pages["tabsets"].find("div", cls="callout-note")
    assert callout.find(cls="callout-icon-container").find("i", cls="callout-icon")
    assert words(callout.find(cls="callout-title-container")) == "A callout with a title"


@pytest.mark.browser
def test_choosing_a_tab_switches_the_other_tabset_of_its_group(tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    shutil.copy(FIXTURES / "tabsets.qmd", tmp_path / "tabsets.qmd")
    outcome = render_with_fake_kernel(tmp_path / "tabsets.qmd")
    assert outcome.output is not None
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(outcome.output.as_uri())
        page.click("label[for='nf-tabset-1-2']")
        second = page.locator("#nf-tabset-2-2")
        checked = second.is_checked()
        visible = page.get_by_text("Python in the second tabset.").is_visible()
        browser.close()
    assert checked and visible


# -------------------------------------------------------------------- list tables


def table_rows(table: Element) -> list[list[str]]:
    return [[words(cell) for cell in row.elements] for row in table.find_all("tr")]


def test_list_table_is_a_table_with_header_widths_and_alignment(pages: dict[str, Element]) -> None:
    main = pages["list-tables"].find("main")
    assert main.find_all("div", cls="list-table") == []
    table = main.find_all("table")[0]
    assert table_rows(table) == [
        ["Variable", "Description"],
        ["QUARTO_R", "The R to use."],
        [
            "QUARTO_LOG QUARTO_LOG_LEVEL",
            "Two paragraphs in the first cell; a list in this one: one two",
        ],
    ]
    assert [c.tag for c in table.find("thead").find_all("th")] == ["th", "th"]
    assert [c.attrs["style"] for c in table.find_all("col")] == [
        "width:25%",
        "width:75%",
    ]
    second_row = table.find("tbody").find_all("tr")[0].elements
    assert [c.attrs.get("style") for c in second_row] == ["text-align:left", "text-align:right"]
    assert table.find("tbody").find_all("ul")  # a cell keeps its own list


def test_list_table_div_with_a_table_id_is_a_numbered_table(pages: dict[str, Element]) -> None:
    figure, caption = float_parts(pages["list-tables"], "tbl-letters", "tbl")
    assert table_rows(figure.find("table")) == [["a", "b"], ["c", "d"]]
    assert figure.find("table").find_all("thead") == []
    assert words(caption) == "Table 1: Letters in a list table."
    link = pages["list-tables"].find("a", cls="quarto-xref")
    assert link.attrs["href"] == "#tbl-letters" and words(link) == "Table 1"


# -------------------------------------------------------------------- grid tables


def test_grid_table_cells_span_rows_and_columns(pages: dict[str, Element]) -> None:
    table = pages["grid-spans"].find("table", id="tbl-spans")
    header = table.find("thead").find_all("th")
    assert [(words(c), c.attrs.get("colspan")) for c in header] == [
        ("Property", "2"),
        ("Earth", None),
    ]
    body = table.find("tbody").find_all("tr")
    first = body[0].elements
    assert (words(first[0]), first[0].attrs.get("rowspan")) == ("Temperature 1961-1990", "3")
    assert table_rows(table)[1:] == [
        ["Temperature 1961-1990", "min", "-89.2 °C"],
        ["mean", "14 °C"],
        ["max", "56.7 °C"],
    ]
    assert words(table.find("caption")) == "Table 1: Temperatures"


def test_a_plus_sign_in_a_grid_cell_is_text(pages: dict[str, Element]) -> None:
    table = pages["grid-spans"].find_all("table")[1]
    assert table_rows(table) == [["a + b", "c"]]


# ------------------------------------------------------------------------ margins


@pytest.mark.browser
@pytest.mark.parametrize("toc", [True, False])
def test_margin_note_sits_outside_the_text_column(tmp_path: Path, toc: bool) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    text = (FIXTURES / "margin.qmd").read_text(encoding="utf-8")
    (tmp_path / "margin.qmd").write_text(text.replace("toc: true", f"toc: {str(toc).lower()}"))
    outcome = render_with_fake_kernel(tmp_path / "margin.qmd")
    assert outcome.output is not None
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1500, "height": 900})
        page.goto(outcome.output.as_uri())
        note = page.locator(".column-margin").bounding_box()
        body = page.locator("main p").first.bounding_box()
        browser.close()
    assert note is not None and body is not None
    outside = note["x"] + note["width"] <= body["x"] or note["x"] >= body["x"] + body["width"]
    assert outside and note["x"] >= 0


# ------------------------------------------------------------ conditional content


def hidden(page: Element, ident: str) -> bool:
    """Whether the element is inside an element with the `hidden` attribute."""

    def walk(node: Element, inside: bool) -> bool | None:
        inside = inside or "hidden" in node.attrs
        if node.attrs.get("id") == ident:
            return inside
        for child in node.elements:
            found = walk(child, inside)
            if found is not None:
                return found
        return None

    found = walk(page, False)
    assert found is not None, f"no element #{ident}"
    return found


def test_conditions_on_front_matter_values(pages: dict[str, Element]) -> None:
    page = pages["conditional"]
    assert not hidden(page, "shown-draft")
    assert hidden(page, "hidden-nested")
    assert not hidden(page, "shown-unless")
    assert hidden(page, "hidden-missing")


def test_a_float_for_another_format_is_hidden_and_not_numbered(pages: dict[str, Element]) -> None:
    page = pages["conditional"]
    assert page.find_all(id="fig-pdf-only") == []
    hidden_text = " ".join(words(n) for n in page.find_all() if "hidden" in n.attrs)
    assert "A figure for PDF only" in hidden_text
    assert words(page.find("main")).count("A figure for PDF only") == 1
    _, caption = float_parts(page, "fig-shown", "fig")
    assert words(caption) == "Figure 1: A placeholder figure"


def test_placeholder_shortcode_is_a_grey_image_of_that_size(pages: dict[str, Element]) -> None:
    figure, _ = float_parts(pages["conditional"], "fig-shown", "fig")
    source = figure.find("img").attrs["src"] or ""
    assert source.startswith("data:image/png;base64,")
    png = base64.b64decode(source.split(",", 1)[1])
    assert png.startswith(b"\x89PNG") and png[16:24] == (40).to_bytes(4, "big") + (20).to_bytes(
        4, "big"
    )


def test_env_shortcode_falls_back_to_its_second_argument(pages: dict[str, Element]) -> None:
    assert words(pages["conditional"].find(id="env")) == "Home is fallback-home"


def test_list_table_caption_written_first_with_column_widths(pages: dict[str, Element]) -> None:
    figure, caption = float_parts(pages["list-tables"], "tbl-caption-first", "tbl")
    assert words(caption) == "Table 2: Caption written first."
    assert [c.attrs["style"] for c in figure.find_all("col")] == ["width:20%", "width:80%"]
    assert figure.elements[0].tag == "figcaption"  # above the table


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_light_and_dark_content_show_in_their_scheme(tmp_path: Path, scheme: str) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    shutil.copy(FIXTURES / "schemes.qmd", tmp_path / "schemes.qmd")
    outcome = render_with_fake_kernel(tmp_path / "schemes.qmd")
    assert outcome.output is not None
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(color_scheme=scheme)  # type: ignore[arg-type]
        page.goto(outcome.output.as_uri())
        shown = {name: page.locator(f".{name}-content").is_visible() for name in ("light", "dark")}
        browser.close()
    assert shown == {"light": scheme == "light", "dark": scheme == "dark"}


def test_image_without_an_extension_is_the_png(pages: dict[str, Element]) -> None:
    figure, _ = float_parts(pages["floats"], "fig-no-extension", "fig")
    assert (figure.find("img").attrs["src"] or "").startswith("data:image/png;base64,")


@pytest.mark.browser
def test_code_in_a_figure_reads_from_the_left(tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    shutil.copytree(FIXTURES, tmp_path, dirs_exist_ok=True)
    outcome = render_with_fake_kernel(tmp_path / "floats.qmd")
    assert outcome.output is not None
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(outcome.output.as_uri())
        align = page.locator("#fig-code pre").evaluate("e => getComputedStyle(e).textAlign")
        browser.close()
    assert align in ("left", "start")


def _render_text(tmp_path: Path, name: str, text: str) -> str:
    doc = tmp_path / name
    doc.write_text(text, encoding="utf-8")
    render_with_fake_kernel(doc)
    return doc.with_suffix(".html").read_text(encoding="utf-8")


def test_an_escaped_fence_inside_a_shown_example_shows_single_braces(tmp_path: Path) -> None:
    page = _render_text(tmp_path, "ex.qmd", "````markdown\n```{{python}}\n1 + 1\n```\n````\n")
    shown = words(parse_html(page).find("div", cls="nf-display"))
    assert shown.startswith("```{python} 1 + 1")


def test_a_markdown_fence_in_a_qmd_is_shown_code_not_a_directive(tmp_path: Path) -> None:
    page = parse_html(_render_text(tmp_path, "md.qmd", "```{markdown}\n# Heading\n```\n"))
    assert "# Heading" in page.find("div", cls="nf-display").text
    assert not page.find_all("div", cls="nf-directive") and not page.find_all("h1")


def test_a_block_figure_carries_quartos_float_classes(tmp_path: Path) -> None:
    text = "```{python}\n#| label: fig-one\n#| fig-cap: One\nprint(1)\n```\n\nSee @fig-one.\n"
    page = parse_html(_render_text(tmp_path, "fig.qmd", text))
    figure = page.find(id="fig-one").find("figure")
    assert {"quarto-float", "quarto-float-fig"} <= set(figure.classes)
    assert "quarto-float-caption" in figure.find("figcaption").classes
