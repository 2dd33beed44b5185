"""How blocks and their outputs look on the page: fixture documents of each dialect rendered
with made-up outputs (no kernel), and the elements a reader sees checked in the parsed page.

Covers `echo: fenced`, Quarto code annotations, `code-fold` / `code-summary` / `code-tools`,
`toc`, MyST-NB display tags, knitr's `results` / `comment` / `collapse` / `out-width`,
numbered figure and table captions, sub-figures in a grid, image sizes, and `text/markdown`
values inline. The `kernel` tests at the end run real Python for sub-figures and `results`.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from htmltree import Element, parse_html

from noteflow.adapters import find_kernelspec
from noteflow.cli import main
from noteflow.model import BlockId, BlockResult, Document, RunSummary
from noteflow.parse import parse_document
from noteflow.render import render_html

FIXTURES = Path(__file__).parent / "fixtures" / "display"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nnot-really-a-png").decode()


# ------------------------------------------------------------ made-up outputs


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def value(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "output_type": "execute_result",
        "data": data,
        "metadata": metadata or {},
        "execution_count": 1,
    }


def image(metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "output_type": "display_data",
        "data": {"image/png": PNG, "text/plain": "<Figure>"},
        "metadata": metadata or {},
    }


class NoBlobs:
    def blob(self, digest: str) -> bytes | None:
        return None


def document(name: str, **options: Mapping[str, Any]) -> Document:
    """A fixture parsed; `options` adds options to the named blocks."""
    path = FIXTURES / name
    parsed = parse_document(path, path.read_text())
    blocks = tuple(
        dataclasses.replace(b, options={**b.options, **options[b.id]}) if b.id in options else b
        for b in parsed.blocks
    )
    return dataclasses.replace(parsed, blocks=blocks)


def render(doc: Document, outputs: Mapping[str, list[dict[str, Any]]]) -> Element:
    results = {
        BlockId(b.id): BlockResult(
            BlockId(b.id), "executed", tuple(outputs.get(b.id, ())), 0.0, "new", None
        )
        for b in doc.blocks
    }
    page = render_html(doc, RunSummary(results, 0.0, {}), NoBlobs())  # type: ignore[arg-type]
    return parse_html(page)


def section(page: Element, block_id: str) -> Element:
    found = page.by_id(block_id)
    assert found.tag == "section", f"no section {block_id}"
    return found


def code_text(node: Element) -> str:
    return node.find("code").text


# ------------------------------------------------------------------ echo: fenced


def test_echo_fenced_given_as_an_option_shows_the_fence() -> None:
    page = render(document("figures.qmd", unlabelled={"echo": "fenced"}), {})
    lines = code_text(section(page, "unlabelled")).splitlines()
    assert lines[0] == "```{python}" and lines[-1] == "```"
    assert lines[1:4] == [
        "#| label: unlabelled",
        '#| fig-cap: "Not numbered"',
        '#| fig-alt: "Alt from the option"',
    ]
    assert "```" not in code_text(section(page, "fig-wave"))


def test_echo_fenced_shows_the_fence_and_option_lines_but_not_echo_fenced() -> None:
    page = render(document("fenced.qmd"), {})
    shown = code_text(section(page, "shown-fenced"))
    lines = shown.splitlines()
    assert lines[0] == "```{python}"
    assert lines[-1] == "```"
    assert "#| label: shown-fenced" in lines
    assert '#| fig-cap: "unused"' in lines
    assert not any("echo" in line for line in lines)
    assert "x = 1 + 1" in lines
    assert "```" not in code_text(section(page, "plain-echo"))
    assert "#|" not in code_text(section(page, "plain-echo"))


# ------------------------------------------------------------- code annotations


def test_annotation_markers_replace_comments_and_the_list_follows_the_code() -> None:
    doc = document("annotations.qmd")
    page = render(doc, {"annotated": [value({"text/plain": "12.566"})]})
    block = section(page, "annotated")
    code = code_text(block)
    assert "<1>" not in code and "<2>" not in code and "#" not in code
    markers = block.find_all("a", "nf-annotation-marker")
    assert [m.text for m in markers] == ["1", "2"]
    annotations = block.find("dl", "nf-annotations")
    terms = [dt.text for dt in annotations.find_all("dt")]
    assert terms == ["1", "2"]
    first = annotations.find_all("dd")[0]
    assert first.find_all("em") and first.text == "Take the math module."
    # Each marker links to its item, and each item back to its marker.
    assert page.by_id(markers[0].attrs["href"].lstrip("#")) is annotations.find("dt")
    back = annotations.find("a")
    assert page.by_id(back.attrs["href"].lstrip("#")) is markers[0]
    # The list sits between the code and the outputs, and is shown once.
    children = block.elements
    order = [("nf-annotations" in c.classes, "nf-outputs" in c.classes) for c in children]
    assert order.index((True, False)) < order.index((False, True))
    assert len(page.find_all("dl", "nf-annotations")) == 4
    assert "Take the" not in "".join(n.text for n in page.find_all("ol"))


def test_annotations_of_a_display_fence_and_of_javascript() -> None:
    page = render(document("annotations.qmd"), {})
    display = page.find("div", "nf-display")
    assert "# <1>" not in code_text(display)
    assert len(display.find_all("a", "nf-annotation-marker")) == 2  # two lines, one note
    js = section(page, "js-annotated")
    assert "// <1>" not in code_text(js)
    assert js.find_all("dl", "nf-annotations")
    paragraphs = [p.text for p in page.find_all("p")]
    assert "Prose after the list." in paragraphs


def test_annotations_of_a_pandoc_class_fence_are_highlighted() -> None:
    page = render(document("annotations.qmd"), {})
    fence = page.find_all("div", "nf-display")[-1]
    assert code_text(fence).startswith("total = sum(values)")
    assert fence.find_all("span", "nb")  # `sum` highlighted as Python
    assert [a.text for a in fence.find_all("a", "nf-annotation-marker")] == ["1"]


def test_code_annotations_false_leaves_code_and_list_as_written() -> None:
    page = render(document("annotations_false.qmd"), {})
    assert "x = 1  # <1>" in code_text(section(page, "kept"))
    assert not page.find_all("dl", "nf-annotations")
    items = [li.text for li in page.find_all("li")]
    assert "Shown as a list." in items


def test_code_annotations_none_strips_markers_and_drops_the_list() -> None:
    page = render(document("annotations_none.qmd"), {})
    block = section(page, "stripped")
    assert code_text(block).rstrip() == "x = 1"
    assert not block.find_all("a", "nf-annotation-marker")
    assert not page.find_all("dl", "nf-annotations")
    assert "Dropped." not in page.text


def test_annotation_markers_stay_in_the_code_that_runs() -> None:
    block = next(b for b in document("annotations.qmd").blocks if b.id == "annotated")
    assert "import math  # <1>" in block.code


# ------------------------------------------------------------- folding, tools, toc


def test_code_fold_from_format_html_with_summary() -> None:
    page = render(document("folding.qmd"), {})
    folded = section(page, "folded-by-page").find("details")
    assert "open" not in folded.attrs
    summary = folded.find("summary")
    assert summary.text == "Show the code"
    assert "a = 1" in code_text(folded)


def test_code_fold_show_is_open_and_summary_is_escaped_text() -> None:
    page = render(document("folding.qmd"), {})
    details = section(page, "shown-open").find("details")
    assert "open" in details.attrs
    summary = details.find("summary")
    assert summary.text == "Peek <here>"
    assert not section(page, "not-folded").find_all("details")


def test_code_tools_menu_toggles_code_and_shows_the_source() -> None:
    page = render(document("folding.qmd"), {})
    tools = page.find(cls="nf-code-tools")
    buttons = [b.text for b in tools.find_all("button")]
    assert buttons == ["Show All Code", "Hide All Code"]
    link = next(a for a in tools.find_all("a") if a.text == "View Source")
    source = page.by_id(link.attrs["href"].lstrip("#"))
    assert "#| code-fold: show" in source.text
    assert "code-tools: true" in source.text


def test_toc_true_shows_a_short_contents_and_toc_depth_limits_it() -> None:
    page = render(document("folding.qmd"), {})
    toc = page.find("nav", "nf-toc")
    assert [a.text for a in toc.find_all("a")] == ["Only section"]
    assert toc.find("summary").text == "Contents here"


def test_toc_false_hides_the_contents() -> None:
    doc = document("folding.qmd")
    front = {**doc.front_matter, "format": {"html": {"toc": False}}}
    page = render(dataclasses.replace(doc, front_matter=front), {})
    assert not page.find_all("nav", "nf-toc")


def test_code_tools_absent_by_default() -> None:
    page = render(document("figures.qmd"), {})
    assert not page.find_all(cls="nf-code-tools")


# ------------------------------------------------------------------ MyST-NB tags


def myst_page() -> Element:
    doc = document("myst_tags.md")
    return render(doc, {b.id: [stream(f"out of {b.id}\n")] for b in doc.blocks})


def test_myst_remove_tags() -> None:
    page = myst_page()
    sections = page.find_all("section")
    texts = [s.text for s in sections]
    assert len(sections) == 5  # remove-cell leaves nothing
    assert not any("cell removed" in t for t in texts)
    removed_input = next(s for s in sections if "out of python-1" in s.text)
    assert not removed_input.find_all("code")
    removed_output = next(s for s in sections if "output removed" in s.text)
    assert "out of python-2" not in removed_output.text


def test_myst_hide_tags_fold_what_they_name() -> None:
    page = myst_page()
    hide_input = section(page, "python-4")
    details = hide_input.find("details")
    assert details.find_all("code")
    assert "out of python-4" not in details.text and "out of python-4" in hide_input.text
    hide_output = section(page, "python-5")
    details = hide_output.find("details")
    assert not details.find_all("code")
    assert "out of python-5" in details.text
    assert hide_output.find_all("code")  # the code itself is shown
    hide_cell = section(page, "python-6")
    details = hide_cell.find("details")
    assert details.find_all("code")
    assert "out of python-6" in details.text
    summaries = [s.find("summary").text for s in (hide_input, hide_output, hide_cell)]
    assert summaries == [
        "Show code cell source",
        "Show code cell outputs",
        "Show code cell content",
    ]


# --------------------------------------------------------------------- knitr


def knitr_page(**options: Mapping[str, Any]) -> Element:
    return render(
        document("knitr.Rmd", **options),
        {
            "default-comment": [value({"text/plain": "[1] 2"})],
            "no-comment": [value({"text/plain": "[1] 2"})],
            "own-comment": [stream("a\n\nb\n")],
            "collapsed": [value({"text/plain": "[1] 1 2 3"})],
            "narrow": [image()],
            "kable-asis": [stream("| a|\n|--:|\n|  1|\n")],
        },
    )


def test_rmarkdown_text_output_has_knitr_comment_prefix() -> None:
    page = knitr_page()
    assert section(page, "default-comment").find("pre", "nf-text").text == "## [1] 2"
    assert section(page, "no-comment").find("pre", "nf-text").text == "[1] 2"
    own = section(page, "own-comment").find("pre", "nf-stdout")
    assert own.text == "#> a\n#>\n#> b\n"


def test_quarto_documents_have_no_comment_prefix() -> None:
    page = render(document("figures.qmd"), {"unlabelled": [value({"text/plain": "2"})]})
    assert section(page, "unlabelled").find("pre", "nf-text").text == "2"


def test_collapse_puts_text_output_in_the_code_box() -> None:
    block = section(knitr_page(), "collapsed")
    assert not block.find_all(cls="nf-outputs")
    code = code_text(block)
    assert code.splitlines() == ["x <- 1:3", "x", "## [1] 1 2 3"]
    assert block.find_all(cls="nf-collapsed-output")


def test_out_width_and_caption_of_an_r_figure() -> None:
    block = section(knitr_page(), "narrow")
    img = block.find("img")
    assert "width:50%" in img.attrs["style"]
    caption = block.find("figcaption")
    assert caption.find_all("em")
    assert caption.text == "A small plot"
    assert img.attrs["alt"] == "A small plot"


def test_results_asis_renders_printed_markdown_as_a_table() -> None:
    block = section(knitr_page(), "kable-asis")
    table = block.find("table")
    assert table.find("td").text == "1"
    assert not block.find_all("pre", "nf-stdout")


def test_results_hide_drops_text_but_keeps_figures_and_messages() -> None:
    doc = document("knitr.Rmd", narrow={"results": "hide"})
    outputs = [stream("printed\n"), stream("a message\n", "stderr"), image()]
    block = section(render(doc, {"narrow": outputs}), "narrow")
    assert "printed" not in block.text
    assert "a message" in block.text
    assert block.find_all("img")


def test_results_hold_shows_all_code_then_all_output() -> None:
    doc = document("knitr.Rmd", collapsed={"results": "hold", "collapse": False})
    block = section(render(doc, {"collapsed": [stream("one\n"), stream("two\n")]}), "collapsed")
    children = block.elements
    assert "nf-code" in children[0].classes and "nf-outputs" in children[1].classes
    assert children[1].text == "## one\n## two\n"


def test_out_width_that_is_not_a_length_warns_and_is_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    doc = document("knitr.Rmd", narrow={"out-width": "50%;background:url(x)"})
    block = section(render(doc, {"narrow": [image()]}), "narrow")
    assert "style" not in block.find("img").attrs
    assert "not a length" in caplog.text


# -------------------------------------------------------------------- figures


def figures_page() -> Element:
    return render(
        document("figures.qmd"),
        {
            "fig-wave": [image()],
            "unlabelled": [image()],
            "tbl-sales": [value({"text/html": "<table><tr><td>7</td></tr></table>"})],
            "fig-panel": [stream("before the panel\n"), image(), image()],
            "fig-letters": [image(), image(), image()],
            "fig-retina": [image({"image/png": {"width": 320, "height": 240}})],
        },
    )


def test_labelled_figure_caption_is_numbered_and_author_markdown() -> None:
    page = figures_page()
    caption = section(page, "fig-wave").find("figcaption")
    assert re.fullmatch(r"Figure\s1: A wave bold", caption.text)
    assert caption.find_all("em") and caption.find_all("b")  # as in prose
    img = section(page, "fig-wave").find("img")
    assert img.attrs["alt"] == "A wave bold"


def test_caption_without_fig_label_is_not_numbered() -> None:
    block = section(figures_page(), "unlabelled")
    caption = block.find("figcaption")
    assert caption.text == "Not numbered"
    assert block.find("img").attrs["alt"] == "Alt from the option"


def test_table_caption_is_numbered_and_above_the_table() -> None:
    block = section(figures_page(), "tbl-sales")
    figure = block.find("figure")
    children = figure.elements
    assert children[0].tag == "figcaption"
    assert re.fullmatch(r"Table\s1: Sales by region", children[0].text)
    assert figure.find_all("table")


def test_subfigures_in_a_grid_with_letters_and_the_caption_under_it() -> None:
    page = figures_page()
    block = section(page, "fig-panel")
    grid = block.find(cls="nf-layout")
    assert "repeat(2," in grid.attrs["style"]
    subfigures = grid.find_all("figure", "nf-subfigure")
    captions = [f.find("figcaption").text for f in subfigures]
    assert captions == ["(a) First", "(b) Second"]
    assert [f.attrs.get("id") for f in subfigures] == ["fig-panel-1", "fig-panel-2"]
    assert subfigures[0].find("img").attrs["alt"] == "First"
    panel = block.find("figure", "nf-panel")
    last = panel.elements[-1]
    assert last.tag == "figcaption" and re.fullmatch(r"Figure\s2: Two charts", last.text)
    assert "before the panel" in block.text and "before the panel" not in panel.text


def test_fig_subcap_true_gives_letters_and_layout_nrow_a_row() -> None:
    block = section(figures_page(), "fig-letters")
    grid = block.find(cls="nf-layout")
    assert "repeat(3," in grid.attrs["style"]
    captions = [f.text for f in grid.find_all("figcaption")]
    assert captions == ["(a)", "(b)", "(c)"]


def test_image_metadata_size_is_the_displayed_size() -> None:
    img = section(figures_page(), "fig-retina").find("img")
    assert (img.attrs["width"], img.attrs["height"]) == ("320", "240")


def test_reference_to_a_figure_links_to_its_block() -> None:
    page = figures_page()
    link = next(a for a in page.find_all("a") if a.attrs.get("href") == "#fig-wave")
    assert re.fullmatch(r"Figure\s1", link.text)


def test_listing_caption_is_numbered_above_the_code() -> None:
    block = section(figures_page(), "lst-query")
    listing = block.find("figure", "nf-listing")
    children = listing.elements
    assert children[0].tag == "figcaption" and "nf-code" in children[1].classes
    assert re.fullmatch(r"Listing\s1: The query", children[0].text)
    assert children[0].find_all("em")


def test_fig_cap_location_top_puts_the_caption_first() -> None:
    doc = document("figures.qmd", **{"fig-wave": {"fig-cap-location": "top"}})
    figure = section(render(doc, {"fig-wave": [image()]}), "fig-wave").find("figure")
    assert figure.elements[0].tag == "figcaption"


def test_text_added_around_outputs_is_escaped() -> None:
    doc = document(
        "knitr.Rmd", **{"own-comment": {"comment": "<b>"}, "collapsed": {"comment": "<i>"}}
    )
    outputs = {"own-comment": [stream("x\n")], "collapsed": [stream("<script>\n")]}
    page = render(doc, outputs)
    own = section(page, "own-comment")
    assert not own.find_all("b") and own.find("pre", "nf-stdout").text == "<b> x\n"
    collapsed = section(page, "collapsed")
    assert not collapsed.find_all("i") and not collapsed.find_all("script")
    assert code_text(collapsed).splitlines()[-1] == "<i> <script>"


# ----------------------------------------------------------- inline Markdown


def test_inline_markdown_value_is_rendered_inline_with_raw_html_escaped() -> None:
    doc = document("inline_markdown.qmd")
    outputs = {
        "inline-1": [value({"text/markdown": "**bold** <i>raw</i>", "text/plain": "<Markdown>"})]
    }
    page = render(doc, outputs)
    paragraph = next(p for p in page.find_all("p") if "The value is" in p.text)
    span = paragraph.find("span", "nf-inline")
    assert not span.find_all("p")
    assert span.find_all("strong") and not span.find_all("i")
    assert span.text == "bold <i>raw</i>"


# ------------------------------------------------------------- real kernels


def rendered(tmp_path: Path, fixture: str, kernel: str) -> Element:
    if find_kernelspec(kernel) is None:
        required = os.environ.get("NOTEFLOW_REQUIRE_KERNELS", "").split(",")
        assert kernel not in required, f"kernel {kernel} is required here but not installed"
        pytest.skip(f"kernel {kernel} is not installed")
    doc = tmp_path / fixture
    shutil.copy(FIXTURES / fixture, doc)
    assert main(["render", str(doc), "-q"]) == 0
    return parse_html(doc.with_suffix(".html").read_text())


@pytest.mark.kernel
def test_matplotlib_subfigures_in_a_grid(tmp_path: Path) -> None:
    page = rendered(tmp_path, "kernel_figures.qmd", "python3")
    block = section(page, "fig-two")
    grid = block.find(cls="nf-layout")
    subfigures = grid.find_all("figure", "nf-subfigure")
    assert [f.find("figcaption").text for f in subfigures] == ["(a) Line", "(b) Bars"]
    assert all(f.find("img").attrs["src"].startswith("data:image/") for f in subfigures)
    caption = block.find("figure", "nf-panel").find_all("figcaption")[-1]
    assert re.fullmatch(r"Figure\s1: Two plots", caption.text)
    assert "made two plots" in block.text and "made two plots" not in grid.text


@pytest.mark.kernel
def test_results_hide_keeps_the_figure_with_a_real_kernel(tmp_path: Path) -> None:
    block = section(rendered(tmp_path, "kernel_figures.qmd", "python3"), "hidden-text")
    outputs = block.find("div", "nf-outputs")
    assert outputs.find_all("img")
    assert "printed text" not in outputs.text


@pytest.mark.kernel
def test_r_values_print_as_knitr_shows_them(tmp_path: Path) -> None:
    page = rendered(tmp_path, "kernel_knitr.Rmd", "ir")
    assert section(page, "vector").find("pre", "nf-text").text == "## [1] 1 2 3"
    frame = section(page, "frame").find("pre", "nf-text")
    assert frame.text.splitlines() == ["##   a b", "## 1 1 x", "## 2 2 y"]
    table = section(page, "kable").find("table")
    assert [td.text for td in table.find_all("td")] == ["1", "22"]
    asis = section(page, "kable-asis")
    assert asis.find_all("strong") and asis.find_all("em")
    assert not asis.find_all("pre", "nf-stdout")
    collapsed = section(page, "collapsed")
    assert code_text(collapsed).splitlines() == ["x <- 1:3", "x", "## [1] 1 2 3"]
    assert not collapsed.find_all(cls="nf-outputs")
