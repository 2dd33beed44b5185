"""MyST syntax on rendered pages: directives, roles, targets, `+++` and `%`, glue, `{eval}`.

Each test parses a fixture under `tests/fixtures/myst/` as the parse stage does, renders
its prose (with hand-made block results where glue needs them), and checks the elements
a reader sees, found in the page by an HTML parser.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from htmltree import Element, parse_html, words
from markdown_it import MarkdownIt
from mdit_py_plugins.colon_fence import colon_fence_plugin

from noteflow.markdown import markdown_parser
from noteflow.model import BlockId, BlockResult, Document
from noteflow.parse import parse_document
from noteflow.render import render_body
from noteflow.store import LocalStore
from noteflow.syntax import myst
from noteflow.syntax.crossref import Target, Xrefs

FIXTURES = Path(__file__).parent / "fixtures" / "myst"


def parse_fixture(name: str) -> Document:
    path = FIXTURES / name
    return parse_document(path, path.read_text(encoding="utf-8"))


def render_fixture(
    name: str, tmp_path: Path, results: Mapping[BlockId, BlockResult] | None = None
) -> Element:
    document = parse_fixture(name)
    return parse_html(render_body(document, results or {}, LocalStore(tmp_path / ".noteflow")))


# -------------------------------------------------------------------------- directives


@pytest.fixture(scope="module")
def directives(tmp_path_factory: pytest.TempPathFactory) -> Element:
    return render_fixture("directives.md", tmp_path_factory.mktemp("directives"))


def test_admonitions_have_their_kind_and_title(directives: Element) -> None:
    titles = {
        " ".join(a.classes): words(a.find("p", "admonition-title"))
        for a in directives.find_all("div", "admonition")
    }
    assert titles["admonition note"] == "Note"
    assert titles["admonition warning"] == "Mind the gap"
    assert titles["admonition tip"] in ("Custom title", "Tip")
    assert titles["admonition seealso"] == "See also"
    assert titles["admonition important"] == "Important"  # written :::{important}
    note = directives.find("div", "note")
    assert note.find("em").text == "emphasis"


def test_an_admonition_inside_an_admonition(directives: Element) -> None:
    outer = next(a for a in directives.find_all("div", "tip") if "Nested:" in a.text)
    inner = outer.find("div", "caution")
    assert words(inner) == "Caution Inside a tip."


def test_a_dropdown_admonition_is_a_closed_details(directives: Element) -> None:
    details = directives.find("details", "hint")
    assert "dropdown" in details.classes and "open" not in details.attrs
    assert details.find("summary").text == "Hint"
    assert "Folded hint." in details.text


def test_figure_with_number_caption_size_and_inlined_image(directives: Element) -> None:
    figure = directives.by_id("fig-picture")
    assert figure.tag == "figure" and "align-center" in figure.classes
    image = figure.find("img")
    assert image.attrs["alt"] == "A small picture"
    assert image.attrs["style"] == "width: 240px"
    caption = figure.find("figcaption")
    assert words(caption).startswith("Figure 1: The picture's caption.")
    assert "A legend paragraph." in caption.text


def render_in_folder(name: str) -> Element:
    """The fixture's prose rendered with the env the parse stage gives a document file
    (its path and folder), which relative paths start from."""
    path = FIXTURES / name
    env: dict[str, Any] = {"nf_document_path": str(path), "nf_document_dir": str(FIXTURES)}
    md = markdown_parser()
    tokens = md.parse(path.read_text(encoding="utf-8"), env)
    return parse_html(md.renderer.render(tokens, md.options, env))


def test_figure_image_is_inlined_like_any_markdown_image() -> None:
    html = render_in_folder("directives.md")
    source = html.by_id("fig-picture").find("img").attrs["src"]
    assert source == "data:image/png;base64," + PIXEL


def test_quoted_option_values_lose_their_quotes(directives: Element) -> None:
    figure = directives.by_id("fig-quoted")
    assert figure.find("img").attrs["alt"] == "Quoted: alt"
    assert words(figure.find("figcaption")) == "Figure 2: Quoted options."


def test_version_notes(directives: Element) -> None:
    added = directives.find("div", "versionadded")
    [paragraph] = added.find_all("p")  # as Sphinx writes it: the title leads the paragraph
    assert paragraph.find("span", "versionmodified").text == "Added in version 1.2: "
    assert words(paragraph) == "Added in version 1.2: The quoted options below."
    deprecated = directives.find("div", "deprecated")
    assert words(deprecated) == "Deprecated since version 2.0: Use something else."


def test_image_directive(directives: Element) -> None:
    image = directives.find("div", "nf-image").find("img")
    assert image.attrs["alt"] == "Just an image" and image.attrs["style"] == "width: 50%"


def test_math_with_label_is_numbered(directives: Element) -> None:
    equation = directives.by_id("eq-energy")
    assert equation.find("math").attrs["display"] == "block"
    assert equation.find("span", "nf-equation-number").text == "(1)"


def test_code_block_with_caption_line_numbers_and_emphasis(directives: Element) -> None:
    listing = directives.by_id("code-hello")
    assert words(listing.find("figcaption")) == "Listing 1: A listing"
    assert [s.text for s in listing.find_all("span", "linenos")] == ["1", "2"]
    assert "print" in listing.find("span", "hll").text
    plain = next(d for d in directives.find_all("div", "nf-display") if "let" in d.text)
    assert plain.find("span", "kd").text == "let"  # highlighted as JavaScript


def table_rows(table: Element) -> list[list[str]]:
    return [
        [words(c) for c in row.descendants() if c.tag in ("th", "td")]
        for row in table.find_all("tr")
    ]


def test_list_table(directives: Element) -> None:
    table = directives.by_id("tbl-planets")
    assert words(table.find("caption")) == "Table 1: Planets"
    assert table_rows(table) == [["Planet", "Moons"], ["Earth", "1"], ["Mars", "2"]]
    assert [h.text for h in table.find("thead").find_all("th")] == ["Planet", "Moons"]
    assert [c.attrs["style"] for c in table.find_all("col")] == ["width: 40%", "width: 60%"]
    assert table.find("strong").text == "2"


def test_table_directive_captions_a_markdown_table(directives: Element) -> None:
    table = directives.by_id("tbl-markdown")
    assert words(table.find("caption")) == "Table 2: A Markdown table"
    assert table_rows(table) == [["a", "b"], ["1", "2"]]


def test_csv_table(directives: Element) -> None:
    table = next(t for t in directives.find_all("table") if "Scores" in t.text)
    assert table_rows(table) == [["Name", "Score"], ["Ada", "10"], ["Grace", "9"]]
    assert table.find("thead").find("th").text == "Name"


def test_option_written_over_several_lines(directives: Element) -> None:
    table = next(t for t in directives.find_all("table") if "Folded header" in t.text)
    assert table_rows(table) == [["Treat", "Quantity"], ["Albatross", "2.99"]]
    assert [c.attrs["style"] for c in table.find_all("col")] == ["width: 60%", "width: 40%"]


def test_asides_and_quotes(directives: Element) -> None:
    assert words(directives.find("blockquote", "epigraph")).startswith("Simplicity")
    assert directives.find("aside", "topic").find("p", "topic-title").text == "A topic"
    assert directives.find("aside", "sidebar").find("p", "sidebar-title").text == "Aside"
    assert words(directives.find("aside", "margin")) == "Margin note."


def test_dropdown_directive_is_open_when_asked(directives: Element) -> None:
    details = directives.find("details", "nf-dropdown")
    assert "open" in details.attrs
    assert details.find("summary").text == "Click me"


def test_tabs_are_radio_buttons_in_one_group(directives: Element) -> None:
    tabset = directives.find("div", "nf-tabset")
    inputs = tabset.find_all("input")
    assert len({i.attrs["name"] for i in inputs}) == 1
    assert ["checked" in i.attrs for i in inputs] == [True, False]
    labels = tabset.find_all("label")
    assert [label.text for label in labels] == ["Python", "R"]
    assert [label.attrs["for"] for label in labels] == [i.attrs["id"] for i in inputs]
    assert [words(p) for p in tabset.find_all("div", "nf-tab-panel")] == [
        "Python tab.",
        "R tab.",
    ]


def test_grid_and_cards(directives: Element) -> None:
    grid = directives.find("div", "nf-grid")
    cards = grid.find_all("div", "nf-card")
    assert [words(c.find("div", "nf-card-title")) for c in cards] == [
        "Card one",
        "Card two",
    ]
    assert cards[1].find("a").attrs["href"] == "other.html"
    lone = next(c for c in directives.find_all("div", "nf-card") if "Card body." in c.text)
    assert lone.find("div", "nf-card-footer").text == "Card footer"


def test_toctree_lists_links_and_hidden_one_shows_nothing(directives: Element) -> None:
    navs = directives.find_all("nav", "nf-toctree")
    assert len(navs) == 1
    links = [(a.attrs["href"], a.text) for a in navs[0].find_all("a")]
    assert [href for href, _ in links] == ["intro.html", "setup.html"]
    assert links[1][1] == "Setting up"
    assert navs[0].find("p", "caption").text == "Contents"


def test_glossary_terms_have_anchors(directives: Element) -> None:
    glossary = directives.find("dl", "glossary")
    terms = [(dt.attrs["id"], dt.text) for dt in glossary.find_all("dt")]
    assert terms == [
        ("term-myst", "MyST"),
        ("term-kernel", "Kernel"),
        ("term-jupyter-kernel", "Jupyter kernel"),
    ]
    assert [words(dd) for dd in glossary.find_all("dd")] == [
        "Markedly Structured Text.",
        "What runs code.",
    ]


def test_raw_html_is_inserted_and_other_formats_dropped(directives: Element) -> None:
    assert directives.find("span", "raw-span").text == "raw HTML"
    assert "newpage" not in directives.text


def test_unknown_directives_are_marked_boxes_with_their_body(directives: Element) -> None:
    boxes = directives.find_all("div", "nf-unknown")
    assert [b.attrs["data-directive"] for b in boxes] == ["bibliography", "exercise", "exercise"]
    assert boxes[1].find("pre").text == "Body text *as is*.\n"
    assert "{exercise} An exercise" in boxes[1].find("div", "nf-directive-label").text


def test_unknown_directive_warns_once_per_name(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        parse_fixture("directives.md")
    unknown = [r.getMessage() for r in caplog.records if "unknown directive" in r.getMessage()]
    assert len(unknown) == 2
    assert unknown[0].startswith("unknown directive bibliography at ")
    lines = (FIXTURES / "directives.md").read_text().split("\n")
    line = lines.index("```{bibliography}") + 1
    assert unknown[0].endswith(f":{line}; its body is shown as is")
    assert "unknown directive exercise" in unknown[1]


def test_code_cell_inside_a_directive_is_a_block_at_its_line() -> None:
    document = parse_fixture("directives.md")
    [block] = document.blocks
    lines = (FIXTURES / "directives.md").read_text().split("\n")
    assert lines[block.line - 1] == "```{code-cell} ipython3"
    assert block.code == "inside = 42\n"


def test_code_cell_inside_a_directive_renders_inside_it(directives: Element) -> None:
    note = next(a for a in directives.find_all("div", "note") if "still runs" in a.text)
    assert note.find("section", "nf-block").find("code").text == "inside = 42\n"


def test_colon_fence_directive_with_mdit_colon_fences() -> None:
    md = MarkdownIt("commonmark").use(colon_fence_plugin).use(myst.plugin)
    html = parse_html(md.render(":::{note}\nWith *colons*.\n:::\n"))
    assert words(html.find("div", "note")) == "Note With colons."


def test_directive_options_in_a_yaml_block() -> None:
    html = parse_html(
        markdown_parser().render("```{figure} x.png\n---\nname: fig-y\nalt: Y\n---\nCap.\n```\n")
    )
    figure = html.find("figure")
    assert figure.attrs["id"] == "fig-y" and figure.find("img").attrs["alt"] == "Y"


# ------------------------------------------------------------------------------ roles


@pytest.fixture(scope="module")
def roles(tmp_path_factory: pytest.TempPathFactory) -> Element:
    return render_fixture("roles.md", tmp_path_factory.mktemp("roles"))


def role_items(roles: Element) -> dict[str, Element]:
    items = {}
    for item in roles.find_all("li"):
        name, _, _ = item.text.partition(":")
        items[name] = item
    return items


def link(item: Element) -> tuple[str, str]:
    anchor = item.find("a")
    return anchor.attrs["href"], words(anchor)


def test_reference_roles_link_to_numbered_targets(roles: Element) -> None:
    items = role_items(roles)
    assert link(items["ref"]) == ("#intro", "Introduction")
    assert link(items["ref with text"]) == ("#intro", "the start")
    assert link(items["ref to a figure"]) == ("#fig-one", "First figure.")
    assert link(items["ref to a paragraph"]) == ("#para-target", "a paragraph")
    assert link(items["numref"]) == ("#fig-two", "Figure 2")
    assert link(items["numref template"]) == ("#fig-one", "Fig. 1")
    assert link(items["numref braces"]) == ("#tbl-one", "Table 1: Numbers")
    assert link(items["eq"]) == ("#eq-one", "(1)")


def test_targets_give_their_element_an_id(roles: Element) -> None:
    assert roles.by_id("intro").tag == "h1"
    assert roles.by_id("para-target").text == "A paragraph with a target."
    figure = roles.by_id("fig-two")
    assert words(figure.find("figcaption")).startswith("Figure 2:")


def test_page_and_file_roles(roles: Element) -> None:
    items = role_items(roles)
    assert link(items["doc"])[0] == "chapters/setup.html"
    assert link(items["doc with text"]) == ("setup.html", "the setup")
    download = items["download"].find("a")
    assert download.attrs["href"] == "data/values.csv" and "download" in download.attrs
    assert link(items["term"]) == ("#term-myst", "MyST")


def test_links_to_other_pages_show_their_titles() -> None:
    roles = render_in_folder("roles.md")
    assert link(role_items(roles)["doc"]) == ("chapters/setup.html", "Setting things up")
    toctree = render_in_folder("directives.md").find("nav", "nf-toctree")
    assert [a.text for a in toctree.find_all("a")] == ["The introduction", "Setting up"]


def test_text_roles(roles: Element) -> None:
    items = role_items(roles)
    assert items["math"].find("math").attrs["display"] == "inline"
    assert items["sub"].find("sub").text == "2"
    assert items["sup"].find("sup").text == "2"
    abbr = items["abbr"].find("abbr")
    assert (abbr.text, abbr.attrs["title"]) == ("MyST", "Markedly Structured Text")
    assert items["kbd"].find("kbd").text == "Ctrl+C"
    assert items["code"].find("code").text == "a = 1"


def test_unknown_roles_and_labels(
    roles: Element, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    items = role_items(roles)
    code = items["unknown role"].find("code")
    assert code.text == "knuth1984" and code.attrs["data-role"] == "cite"
    assert items["missing label"].find("span", "nf-xref-missing").text == "?nowhere"
    assert items["missing numref"].find("span", "nf-xref-missing").text == "?fig-nowhere"
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        render_fixture("roles.md", tmp_path)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("unknown role {cite}" in m for m in messages) == 1
    assert any(m.endswith(":59: unknown reference 'nowhere'") for m in messages)


def test_breaks_and_comments_are_not_shown(roles: Element) -> None:
    assert "slide_type" not in roles.text and "+++" not in roles.text
    assert "comment" not in roles.text and "Neither" not in roles.text
    assert not roles.find_all("hr")


def test_references_use_the_numbering_in_env() -> None:
    env: dict[str, Any] = {}
    md = markdown_parser()
    tokens = md.parse("See {numref}`fig-z` and {eq}`e`.\n", env)
    env["nf_xrefs"] = Xrefs(
        {
            "fig-z": Target("fig-z", "fig", "7", "fig-z", "Z", prefix="Figure"),
            "e": Target("e", "eq", "3", "equation-e"),
        }
    )
    html = parse_html(md.renderer.render(tokens, md.options, env))
    assert [(a.attrs["href"], words(a)) for a in html.find_all("a")] == [
        ("#fig-z", "Figure 7"),
        ("#equation-e", "(3)"),
    ]


# ---------------------------------------------------------------------------- include


def test_include_parses_the_file_into_the_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(FIXTURES)
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        html = render_fixture("include.md", tmp_path)
        document = parse_fixture("include.md")
    assert html.find("p").find("strong").text == "bold"
    assert "the included part" not in html.text  # its front matter is dropped
    assert [b.code for b in document.blocks] == ["from_include = 1\n"]
    assert str(FIXTURES / "parts" / "included.md") in document.env["nf_assets"]
    assert html.find("div", "nf-missing").text == "include: parts/missing.md not found"
    assert any("cannot include parts/missing.md" in r.getMessage() for r in caplog.records)
    literal = html.find_all("div", "nf-display")[-1]
    assert "**bold**" in literal.text


# ------------------------------------------------------------------------------- eval


def test_eval_role_is_an_inline_expression() -> None:
    document = parse_fixture("eval.md")
    [block] = document.blocks
    assert (block.kind, block.language, block.code) == ("inline", "python", "2 + 2")


def test_eval_role_runs_in_the_kernelspec_language() -> None:
    document = parse_fixture("eval-r.md")
    [block] = document.blocks
    assert (block.language, block.code) == ("r", "nrow(mtcars)")


def test_eval_result_is_shown_inline(tmp_path: Path) -> None:
    document = parse_fixture("eval.md")
    [block] = document.blocks
    result = executed(block.id, [display({"text/plain": "4"}, {}, "execute_result")])
    html = parse_html(render_body(document, {block.id: result}, LocalStore(tmp_path)))
    assert html.find("span", "nf-inline").text == "4"


# ------------------------------------------------------------------------------- glue

PIXEL = base64.b64encode((FIXTURES / "picture.png").read_bytes()).decode("ascii")
RECORD = "application/papermill.record/"


def display(
    data: dict[str, Any], metadata: dict[str, Any], kind: str = "display_data"
) -> dict[str, Any]:
    output: dict[str, Any] = {"output_type": kind, "data": data, "metadata": metadata}
    if kind == "execute_result":
        output["execution_count"] = 1
    return output


def glued(name: str, data: dict[str, Any], *, hidden: bool = True) -> dict[str, Any]:
    prefix = RECORD if hidden else ""
    scrapbook = {"scrapbook": {"name": name, "mime_prefix": prefix}}
    return display({prefix + k: v for k, v in data.items()}, scrapbook)


def executed(block_id: str, outputs: list[dict[str, Any]]) -> BlockResult:
    return BlockResult(
        block_id=BlockId(block_id),
        status="executed",
        outputs=tuple(outputs),
        seconds=0.0,
        reason="new",
        key=None,
    )


GLUE_OUTPUTS = [
    glued("mean", {"text/plain": "3.14159"}),
    glued("word", {"text/plain": "'hello'"}, hidden=False),
    glued("note", {"text/markdown": "**marked** <b>raw</b>", "text/plain": "note"}),
    glued("plot", {"image/png": PIXEL, "text/plain": "<Figure>"}),
    glued("formula", {"text/latex": "$$\\frac{a}{b}$$", "text/plain": "a/b"}),
]


@pytest.fixture(scope="module")
def glue_page(tmp_path_factory: pytest.TempPathFactory) -> Element:
    results = {BlockId("compute"): executed("compute", GLUE_OUTPUTS)}
    return render_fixture("glue.md", tmp_path_factory.mktemp("glue"), results)


def test_glue_roles(glue_page: Element) -> None:
    paragraph = next(p for p in glue_page.find_all("p") if p.text.startswith("The mean"))
    spans = paragraph.find_all("span", "nf-glue")
    assert [words(s) for s in spans[:3]] == ["3.14159", "3.14", "'hello'"]
    markdown = spans[3]
    assert markdown.find("strong").text == "marked"
    assert not markdown.find_all("b")  # raw HTML in glued Markdown is escaped
    assert paragraph.find("span", "nf-glue-missing").text == "?nothing"


def test_glue_figure_is_numbered_with_the_glued_image(glue_page: Element) -> None:
    figure = glue_page.by_id("fig-glued")
    assert figure.attrs["style"] == "width: 300px"
    image = figure.find("img")
    assert image.attrs["src"].startswith("data:image/png;base64,")
    assert image.attrs["alt"] == "A glued plot"
    assert words(figure.find("figcaption")) == "Figure 1: A glued figure."
    refs = [(a.attrs["href"], words(a)) for a in glue_page.find_all("a", "nf-xref")]
    assert refs == [("#fig-glued", "Figure 1"), ("#eq-glued", "(1)")]


def test_glue_math_and_glue_directive(glue_page: Element) -> None:
    equation = glue_page.by_id("eq-glued")
    assert equation.find("mfrac") is not None
    assert equation.find("span", "nf-equation-number").text == "(1)"
    blocks = glue_page.find_all("div", "nf-glue")
    assert any(words(b) == "'hello'" for b in blocks)


def test_glue_name_missing_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        render_fixture("glue.md", tmp_path)
    missing = [r.getMessage() for r in caplog.records if "glued under the name" in r.getMessage()]
    assert sorted(missing) == sorted(set(missing))
    assert any("'nothing'" in m for m in missing)
