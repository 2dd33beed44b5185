"""R Markdown documents as knitr renders them: the cases real documents (knitr's own
examples) showed noteflow getting wrong, each reproduced by a small fixture under
`tests/fixtures/rmarkdown/`.

Fast tests read the parse stage (options, ids, languages, tokens); the tests marked
`kernel` render the fixtures with the real R and Python kernels and read the page.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
from pathlib import Path

import pytest

from noteflow.adapters import find_kernelspec
from noteflow.cli import main
from noteflow.knitr import echo_code, shown_code
from noteflow.model import Block, Document
from noteflow.parse import parse_document
from noteflow.sources import read_document

FIXTURES = Path(__file__).parent / "fixtures" / "rmarkdown"
DEMO = "x <- 1\n# the answer\n\nprint(x)\nfor (i in 1:2) {\n  cat(i)\n}\n"


def parse_fixture(name: str) -> Document:
    path = FIXTURES / name
    return parse_document(path, path.read_text(encoding="utf-8"))


def blocks_of(document: Document) -> dict[str, Block]:
    return {block.id: block for block in document.blocks}


# --------------------------------------------------------------------------- parse stage


def test_option_values_knitr_accepts_are_read_as_knitr_means_them() -> None:
    blocks = blocks_of(parse_fixture("knitr-values.Rmd"))
    # warning = -1 keeps all but the first warning; message = NA keeps none (knitr: not in
    # the document); cache = 2 is a cache level, so the block is cached
    assert blocks["conditions"].option("warning") == [-1]
    assert blocks["conditions"].option("message") is False
    assert blocks["levels"].option("cache") is True
    assert blocks["levels"].option("warning") is False


def test_an_option_value_noteflow_cannot_read_warns_with_file_and_line_and_is_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        odd = blocks_of(parse_fixture("knitr-values.Rmd"))["odd"]
    assert odd.option("echo") is None and odd.option("eval") is None
    where = f"{FIXTURES / 'knitr-values.Rmd'}:38:"
    messages = [r.getMessage() for r in caplog.records if r.getMessage().startswith(where)]
    assert any("'echo'" in m and "some_variable" in m and "ignored" in m for m in messages)
    assert any("'eval'" in m and "ignored" in m for m in messages)


def test_noteflows_own_options_stay_errors_in_a_chunk_header() -> None:
    from noteflow.errors import OptionError

    with pytest.raises(OptionError, match="'timeout'"):
        parse_document(Path("/nowhere/doc.Rmd"), "```{r timeout=0}\n1\n```\n")


def test_an_empty_chunk_repeating_a_label_runs_that_code_under_its_own_id() -> None:
    document = parse_fixture("knitr-values.Rmd")
    blocks = blocks_of(document)
    assert [b.id for b in document.blocks if b.id.startswith("demo")] == [
        "demo",
        "demo-2",
        "demo-3",
    ]
    assert blocks["demo-2"].code == blocks["demo"].code
    assert blocks["demo-2"].option("results") == "hide"
    assert blocks["demo-3"].option("echo") == [-2]
    fences = [t.meta.get("nf_block") for t in document.tokens if t.type == "fence"]
    assert fences[1:4] == ["demo", "demo-2", "demo-3"]


def test_a_default_engine_makes_later_r_chunks_run_in_that_language() -> None:
    blocks = blocks_of(parse_fixture("engine-default.Rmd"))
    assert blocks["first-r"].language == "r"
    assert blocks["by-default"].language == "python"
    assert blocks["back-to-r"].language == "r"


def test_an_empty_inline_r_is_removed_also_inside_code_blocks() -> None:
    document = parse_fixture("knitr-values.Rmd")
    code = [t.content for t in document.tokens if t.type == "code_block"]
    assert code == ["```{r}\nplot(cars)\n```\n"]
    assert "`r ''`" not in "".join(t.content for t in document.tokens)


ECHO: list[tuple[list[int], str]] = [
    ([1], "x <- 1\n"),
    ([2], "# the answer\nprint(x)\n"),
    ([-2], "x <- 1\nfor (i in 1:2) {\n  cat(i)\n}\n"),
    ([1, 3], "x <- 1\nfor (i in 1:2) {\n  cat(i)\n}\n"),
    ([4], ""),
]


@pytest.mark.parametrize(("selection", "shown"), ECHO, ids=[str(row[0]) for row in ECHO])
def test_echo_vectors_show_the_selected_expressions(selection: list[int], shown: str) -> None:
    assert echo_code(DEMO, selection) == shown


def test_shown_code_is_the_whole_code_unless_an_r_block_selects_expressions() -> None:
    assert shown_code("r", DEMO, {"echo": [1]}) == "x <- 1\n"
    assert shown_code("r", DEMO, {"echo": True}) == DEMO
    assert shown_code("python", "a = 1\nb = 2\n", {"echo": [1]}) == "a = 1\nb = 2\n"
    assert shown_code("r", "a <- 1; b <- 2\n", {"echo": [1]}) == "a <- 1; b <- 2\n"  # one line


def test_prompt_shows_the_code_as_rs_console_does() -> None:
    shown = shown_code("r", DEMO, {"prompt": True})
    assert shown == (
        "> x <- 1\n> # the answer\n> \n> print(x)\n> for (i in 1:2) {\n+   cat(i)\n+ }\n"
    )
    assert shown_code("r", DEMO, {"prompt": True, "echo": [3]}) == (
        "> for (i in 1:2) {\n+   cat(i)\n+ }\n"
    )


# --------------------------------------------------------------------------- pages


def sections(page: str) -> dict[str, str]:
    found = re.finditer(r'<section class="[^"]*" id="([^"]+)".*?</section>', page, re.S)
    return {match.group(1): match.group(0) for match in found}


def text_of(fragment: str, element: str) -> str:
    pattern = rf'<(div|pre) class="{element}[^"]*">(.*?)</\1>'
    parts = [m.group(2) for m in re.finditer(pattern, fragment, re.S)]
    return html.unescape(re.sub(r"<[^>]+>", "", "".join(parts)))


def render(tmp_path: Path, name: str, kernels: tuple[str, ...] = ("ir",)) -> str:
    for kernel in kernels:
        if find_kernelspec(kernel) is None:
            pytest.skip(f"kernel {kernel} is not installed")
    shutil.copy(FIXTURES / name, tmp_path / name)
    assert main(["render", str(tmp_path / name), "-q"]) == 0
    return (tmp_path / name).with_suffix(".html").read_text(encoding="utf-8")


@pytest.mark.kernel
def test_knitr_values_page(tmp_path: Path) -> None:
    page = render(tmp_path, "knitr-values.Rmd")
    blocks = sections(page)
    assert text_of(blocks["demo"], "nf-output").strip() == '## [1] 2## [1] "two"'
    assert "print(x)" in text_of(blocks["demo-2"], "nf-code")
    assert text_of(blocks["demo-2"], "nf-output") == ""  # results='hide'
    assert text_of(blocks["demo-3"], "nf-output").strip() == '## [1] 2## [1] "two"'
    conditions = text_of(blocks["conditions"], "nf-output")
    assert "after the conditions" in conditions and "a quiet message" not in conditions
    # knitr's wording, not IRkernel's "Warning message in eval(expr, envir, enclos):"
    assert "## Warning: second warning" in conditions and "eval(" not in conditions
    assert "first warning" not in conditions  # warning = -1: all but the first
    assert "cache level two" in text_of(blocks["levels"], "nf-output")
    assert "odd options ignored" in text_of(blocks["odd"], "nf-output")


@pytest.mark.kernel
def test_inline_r_is_formatted_as_knitr_formats_it(tmp_path: Path) -> None:
    page = render(tmp_path, "knitr-values.Rmd")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    times = "\N{MULTIPLICATION SIGN}"
    assert f"pi is 3.1416, a big number is 1.2346 {times} 10⁸, a vector is 1, 2, 3." in text
    shown = re.search(r"<pre><code>(.*?)</code></pre>", page, re.S)
    assert shown is not None and html.unescape(shown.group(1)) == "```{r}\nplot(cars)\n```\n"


@pytest.mark.kernel
def test_a_default_engine_runs_later_r_chunks_in_python(tmp_path: Path) -> None:
    page = render(tmp_path, "engine-default.Rmd", ("ir", "python3"))
    blocks = sections(page)
    assert text_of(blocks["by-default"], "nf-output").strip() == "## from python"
    assert text_of(blocks["back-to-r"], "nf-output").strip() == "## R again"


@pytest.mark.kernel
def test_a_plot_that_needs_room_is_drawn_at_the_blocks_size(tmp_path: Path) -> None:
    blocks = sections(render(tmp_path, "big-figure.Rmd"))
    assert "nf-status-executed" in blocks["many-panels"]
    assert "figure margins too large" not in blocks["many-panels"]
    assert re.search(r'<img src="data:image/png;base64,', blocks["many-panels"])


def test_ref_label_as_is_borrows_the_chunks_options_too() -> None:
    blocks = parse_fixture("knitr-chunks.Rmd").blocks
    as_is, plain = blocks[1], blocks[2]
    assert as_is.code == plain.code == "1 + 1\n"
    assert as_is.option("echo") is False and as_is.option("comment") == "#>"
    assert plain.option("echo") is None and plain.option("comment") is None


def test_css_chunks_style_the_page_and_are_no_blocks() -> None:
    document = parse_fixture("knitr-chunks.Rmd")
    assert [b.language for b in document.blocks if b.kind == "code"] == ["r"] * 6
    styles = [t.content for t in document.tokens if t.content.startswith("<style>")]
    assert styles == [
        "<style>\n.from-css { color: teal; }\n</style>\n",
        "<style>\n.shown-css { color: olive; }\n</style>\n",
    ]
    shown = [t.content for t in document.tokens if t.type == "fence" and t.info == "css"]
    assert shown == [".shown-css { color: olive; }\n"]


def test_a_chunk_under_raw_html_is_a_chunk_at_its_own_line() -> None:
    document = parse_fixture("knitr-chunks.Rmd")
    block = blocks_of(document)["in-html"]
    assert block.line == 41 and block.code == 'cat("inside a div\\n")\n'
    html_blocks = [t.content for t in document.tokens if t.type == "html_block"]
    assert '<div class="columns">\n' in html_blocks and "</div>\n" in html_blocks
    assert all("in-html" not in content for content in html_blocks)


@pytest.mark.kernel
def test_knitr_chunks_page(tmp_path: Path) -> None:
    page = render(tmp_path, "knitr-chunks.Rmd")
    blocks = list(sections(page).values())
    assert text_of(blocks[1], "nf-code") == "" and text_of(blocks[1], "nf-output") == "#> [1] 2"
    assert "1 + 1" in text_of(blocks[2], "nf-code")
    assert text_of(blocks[3], "nf-output") == "## Hello\n## World!\n"
    assert "<style>\n.from-css { color: teal; }\n</style>" in page
    assert ".left-out" not in page
    assert text_of(sections(page)["in-html"], "nf-output") == "## inside a div\n"
    tables = sections(page)["tables"]
    assert re.search(r"<table>.*<th[^>]*>name</th>.*<td[^>]*>b</td>", tables, re.S)
    assert "<em>as is</em> text" in tables and "|" not in text_of(tables, "nf-output")


def test_a_pandoc_title_block_is_the_front_matter() -> None:
    document = parse_fixture("title-block.Rmd")
    assert document.front_matter == {
        "title": "A title from a title block",
        "author": ["Ann Author", "Bo Author"],
        "date": "2024-01-02",
    }
    assert all("%" not in t.content for t in document.tokens if t.type == "inline")


def test_backticks_in_a_chunk_header_keep_it_a_chunk() -> None:
    blocks = parse_fixture("title-block.Rmd").blocks
    assert [b.id for b in blocks] == ["plot-cap", "after"]
    assert blocks[0].option("fig-cap") == "A plot of `cars`"
    assert blocks[1].code == 'cat("after the plot\\n")\n'


@pytest.mark.kernel
def test_title_block_page(tmp_path: Path) -> None:
    page = render(tmp_path, "title-block.Rmd")
    assert "<title>A title from a title block</title>" in page
    assert "% A title" not in page
    assert re.search(r"<figcaption>.*A plot of <code>cars</code>", page)
    assert text_of(sections(page)["after"], "nf-output") == "## after the plot\n"


def test_a_child_chunk_is_replaced_by_the_child_document(
    caplog: pytest.LogCaptureFixture,
) -> None:
    main_path = FIXTURES / "children.Rmd"
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        document = read_document(main_path)
    code = [b.code for b in document.blocks if b.kind == "code"]
    assert code == ["x <- 20\n", 'cat("child sees", x, "\\n")\n', 'cat("child sees", x, "\\n")\n']
    assert [b.code for b in document.blocks if b.kind == "inline"] == ["x", "x"]
    assert FIXTURES / "child-part.Rmd" in document.included
    assert "A child's own header" not in document.source
    messages = [r.getMessage() for r in caplog.records]
    assert f"{main_path}:15: a chunk with `child` runs the child document" in "".join(messages)
    assert any("no-such-child.Rmd not found" in m for m in messages)


@pytest.mark.kernel
def test_children_page(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "child-part.Rmd", tmp_path / "child-part.Rmd")
    page = render(tmp_path, "children.Rmd")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert text.count("Child text with x = 20.") == 2
    assert text.count("## child sees 20") == 2 and "never runs" not in text


def test_display_engines_show_their_text_and_run_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        document = parse_fixture("engines.Rmd")
    assert document.blocks == ()
    fences = [(t.info, t.content) for t in document.tokens if t.type == "fence"]
    assert fences == [
        ("markdown", "```{r}\n1 + 1\n```\n"),
        ("sql", "SELECT 1\n"),
        ("css", ".embedded { color: navy; }\n"),
    ]
    assert "unknown block" not in caplog.text
    assert f"{FIXTURES / 'engines.Rmd'}:18: `embed` cannot read no-such-file.css" in caplog.text


def test_display_engines_page(tmp_path: Path) -> None:
    for name in ("engines.Rmd", "embedded.css"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    assert main(["render", str(tmp_path / "engines.Rmd"), "-q"]) == 0
    page = (tmp_path / "engines.html").read_text(encoding="utf-8")
    shown = [
        html.unescape(re.sub(r"<[^>]+>", "", m)) for m in re.findall(r"<pre.*?</pre>", page, re.S)
    ]
    assert shown == ["```{r}\n1 + 1\n```\n", "SELECT 1\n", ".embedded { color: navy; }\n"]
    assert "left out" not in page and "{embed" not in page


def test_an_r_expression_noteflow_would_show_as_text_warns_and_is_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        cap = blocks_of(parse_fixture("r-expressions.Rmd"))["cap"]
    assert dict(cap.options) == {"label": "cap", "fig-height": 4}
    where = f"{FIXTURES / 'r-expressions.Rmd'}:9: the chunk option"
    warned = [r.getMessage() for r in caplog.records if r.getMessage().startswith(where)]
    assert len(warned) == 3 and all("R expression" in m for m in warned)


def test_all_labels_gives_a_code_appendix() -> None:
    appendix = blocks_of(parse_fixture("r-expressions.Rmd"))["appendix"]
    assert appendix.code == "x <- 1\n\nplot(x)\n"
    assert appendix.option("eval") is False and appendix.option("echo") is True


FIGURE_SIZES: list[tuple[str, tuple[int, int] | tuple[None, None]]] = [
    ("output: html_document", (7, 5)),
    ("output:\n  html_document: default", (7, 5)),
    ("output:\n  bookdown::html_document2:\n    fig_width: 6", (6, 5)),
    ("output: rmarkdown::html_vignette", (3, 3)),
    ("output: pdf_document", (None, None)),
]


@pytest.mark.parametrize(("header", "size"), FIGURE_SIZES, ids=[r[0] for r in FIGURE_SIZES])
def test_r_markdown_formats_draw_figures_at_their_own_size(
    header: str, size: tuple[int, int] | tuple[None, None]
) -> None:
    text = f"---\n{header}\n---\n\n```{{r}}\nplot(1)\n```\n"
    (block,) = parse_document(Path("/nowhere/doc.Rmd"), text).blocks
    assert (block.option("fig-width"), block.option("fig-height")) == size


def test_opts_label_takes_a_template_then_the_chunks_options(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        blocks = blocks_of(parse_fixture("templates.Rmd"))
    assert blocks["uses-template"].option("echo") is False
    assert blocks["uses-template"].option("message") is False
    both = blocks["template-then-chunk"]
    assert (both.option("echo"), both.option("results"), both.option("fig-width")) == (
        False,
        "hide",
        10,
    )
    assert both.code == "1 + 1\n"
    assert "block 'nowhere': `opts.label` names no block or template 'missing'" in caplog.text


def test_the_page_shows_the_expressions_echo_selects_with_prompts(tmp_path: Path) -> None:
    from noteflow.render import render_body
    from noteflow.store import LocalStore

    text = "```{r shown, echo=c(1, 3), prompt=TRUE}\nx <- 1\ny <- 2\nf(x,\n  y)\n```\n"
    document = parse_document(tmp_path / "echo.Rmd", text)
    body = render_body(document, {}, LocalStore(tmp_path / ".noteflow"))
    code = html.unescape(re.sub(r"<[^>]+>", "", body))
    assert "> x <- 1" in code and "> f(x,\n+   y)" in code and "y <- 2" not in code


@pytest.mark.kernel
def test_inline_expressions_in_the_front_matter_fill_the_header(tmp_path: Path) -> None:
    doc = tmp_path / "header.Rmd"
    doc.write_text(
        '---\ntitle: "Report on `r nrow(cars)` cars"\n'
        "date: \"`r format(as.Date('2026-11-29'), '%d %B %Y')`\"\n"
        'subtitle: "Python says `{python} 1 + 2`"\n---\n\n```{r}\nx <- 1\n```\n',
        encoding="utf-8",
    )
    assert main(["render", str(doc), "-q"]) == 0
    page = doc.with_suffix(".html").read_text(encoding="utf-8")
    assert "<title>Report on 50 cars</title>" in page
    assert '<h1 class="nf-title">Report on 50 cars</h1>' in page
    assert "29 November 2026" in page and "Python says 3" in page and "`r" not in page
