"""knitr and R Markdown: R code read statically (`noteflow.knitr`), knitr's chunk options
as noteflow options, and what they do to blocks, the graph and the page.

Fast tests parse `tests/fixtures/knitr/options.Rmd`; the tests marked `kernel` render
`tests/fixtures/knitr/render.Rmd` with the real R (and bash) kernels.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from noteflow.adapters import find_kernelspec
from noteflow.cli import main
from noteflow.errors import DocumentError
from noteflow.graph import build_graph
from noteflow.knitr import (
    NowebCycle,
    expand_noweb,
    opts_chunk_arguments,
    params_read,
    r_int_vector,
    select_expressions,
    top_level_expressions,
)
from noteflow.model import Block, Document
from noteflow.options import parse_fence_info, r_call_options
from noteflow.parse import parse_document

FIXTURES = Path(__file__).parent / "fixtures" / "knitr"


def parse_fixture(name: str) -> Document:
    path = FIXTURES / name
    return parse_document(path, path.read_text(encoding="utf-8"))


def parse_text(text: str, name: str = "doc.Rmd") -> Document:
    return parse_document(Path("/nowhere") / name, text)


def blocks_of(document: Document) -> dict[str, Block]:
    return {block.id: block for block in document.blocks}


# --------------------------------------------------------------------------- R code


EXPRESSIONS: list[tuple[str, list[tuple[int, int]] | None]] = [
    ("x <- 1\ny <- 2\n", [(0, 0), (1, 1)]),
    ("# a comment\n\nx <- 1\n", [(2, 2)]),
    ("x <- c(1,\n  2)\n", [(0, 1)]),
    ("x <-\n  1\n", [(0, 1)]),
    ("df %>%\n  head()\n", [(0, 1)]),
    ("df |>\n  head()\n", [(0, 1)]),
    ("f <- function(a)\n  a + 1\nf(1)\n", [(0, 1), (2, 2)]),
    ("if (a) {\n  1\n} else {\n  2\n}\nb\n", [(0, 4), (5, 5)]),
    ("for (i in 1:3)\n  print(i)\n", [(0, 1)]),
    ('s <- "a # not a comment\nb"\nx\n', [(0, 1), (2, 2)]),
    ("s <- 'it''s'\n", [(0, 0)]),
    ('r <- r"(raw " string)"\nx\n', [(0, 0), (1, 1)]),
    ("`my var` <- 1\n", [(0, 0)]),
    ("x <- 1 # trailing ( comment\ny\n", [(0, 0), (1, 1)]),
    ("a; b\n", None),
    ('s <- "unclosed\n', None),
    ("", []),
]


@pytest.mark.parametrize(("code", "spans"), EXPRESSIONS, ids=[repr(c[0]) for c in EXPRESSIONS])
def test_top_level_expressions(code: str, spans: list[tuple[int, int]] | None) -> None:
    assert top_level_expressions(code) == spans


def test_select_expressions_comments_out_the_others_as_knitr_shows_them() -> None:
    code = "a <- 1\nb <- stop()\nc <- a +\n  1\n"
    assert select_expressions(code, [1, 3]) == "a <- 1\n## b <- stop()\nc <- a +\n  1\n"
    assert select_expressions(code, [-1]) == "## a <- 1\nb <- stop()\nc <- a +\n  1\n"
    assert select_expressions(code, [1, -2]) is None
    assert select_expressions("a; b\n", [1]) is None


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("2", [2]),
        ("-2", [-2]),
        ("c(1, 3)", [1, 3]),
        ("1:3", [1, 2, 3]),
        ("-c(1, 2)", [-1, -2]),
        ("-(1:2)", [-1, -2]),
        ("c(1:2, 5)", [1, 2, 5]),
        ("3L", [3]),
        ("x", None),
        ("c(a)", None),
    ],
)
def test_r_int_vector(text: str, numbers: list[int] | None) -> None:
    assert r_int_vector(text) == numbers


def test_opts_chunk_arguments_are_found_with_or_without_the_package() -> None:
    code = (
        "library(knitr)\n"
        "knitr::opts_chunk$set(echo = FALSE, # a comment\n  fig.dim = c(6, 4))\n"
        "opts_chunk$set(message = FALSE)\n"
        "other$opts_chunk$set(eval = FALSE)\n"
        '"knitr::opts_chunk$set(error = TRUE)"\n'
    )
    assert opts_chunk_arguments(code) == ["echo = FALSE, fig.dim = c(6, 4)", "message = FALSE"]


def test_r_call_options_read_literals_and_skip_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    arguments = 'echo = FALSE, fig.dim = c(6, 4), comment = NA, fig.cap = cap, dpi = 96, "x"'
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        options = r_call_options(arguments, path="doc.Rmd", line=3)
    assert options == {
        "echo": False,
        "fig-width": 6,
        "fig-height": 4,
        "comment": None,
        "fig-dpi": 96,
    }
    assert [r.getMessage() for r in caplog.records] == [
        "doc.Rmd:3: the chunk option `fig.cap = cap` is not a literal value; it is ignored",
        'doc.Rmd:3: the chunk option `"x"` is not a literal value; it is ignored',
    ]


def test_params_read() -> None:
    code = (
        'n <- params$n; m <- params[["m"]]\n'
        "k <- x$params$k\n"
        '"params$in_a_string" # params$in_a_comment\n'
        "n2 <- params$n\n"
    )
    assert params_read(code) == ["n", "m"]


def test_expand_noweb_indents_recurses_and_keeps_unknown_labels() -> None:
    code_of = {"a": "x <- 1\n<<b>>\n", "b": "y <- 2", "self": "<<self>>"}.get
    missing: list[str] = []
    expanded = expand_noweb("  <<a>>\n<<nope>>\nz", code_of, on_missing=missing.append)
    assert expanded == "  x <- 1\n  y <- 2\n<<nope>>\nz"
    assert missing == ["nope"]
    with pytest.raises(NowebCycle):
        expand_noweb("<<self>>", code_of)


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("info", "options"),
    [
        ("{r a, fig.cap='A'}", {"label": "a", "fig-cap": "A"}),
        ("{r fig.width=7, fig.height=5}", {"fig-width": 7, "fig-height": 5}),
        ("{r fig.dim=c(4, 3)}", {"fig-width": 4, "fig-height": 3}),
        ("{r out.width='50%', dpi=200}", {"out-width": "50%", "fig-dpi": 200}),
        ("{r results='hide'}", {"results": "hide"}),
        ("{r results='asis'}", {"results": "asis"}),
        ("{r results='markup'}", {"results": "markup"}),
        ("{r results='hold'}", {"results": "hold"}),
        ("{r message=FALSE, warning=F}", {"message": False, "warning": False}),
        ("{r comment=NA, collapse=TRUE}", {"comment": None, "collapse": True}),
        ("{r include=FALSE}", {"include": False}),
        ("{r eval=c(1, 3)}", {"eval": [1, 3]}),
        ("{r eval=-2}", {"eval": [-2]}),
        ("{r eval=-(1:2)}", {"eval": [-1, -2]}),
        ("{r echo=-1}", {"echo": [-1]}),
        ("{r engine='bash'}", {"engine": "bash"}),
        ("{r dependson='load'}", {"dependson": ["load"]}),
        ("{r dependson=c('a', 'b')}", {"dependson": ["a", "b"]}),
        ("{r dependson=-1}", {"dependson": [-1]}),
        ("{r ref.label='a'}", {"ref-label": ["a"]}),
        ("{r my chunk}", {"label": "my chunk"}),
    ],
)
def test_knitr_chunk_options(info: str, options: dict[str, Any]) -> None:
    header = parse_fence_info(info, path="doc.Rmd", line=1)
    assert header is not None and header.options == options


# --------------------------------------------------------------------------- documents


def test_opts_chunk_defaults_apply_to_the_blocks_after_it() -> None:
    blocks = blocks_of(parse_fixture("options.Rmd"))
    setup, chunk, quiet = blocks["setup"], blocks["my-chunk"], blocks["quiet"]
    # the setup block itself keeps the front matter's defaults only
    assert "echo" not in setup.options and setup.option("fig-width") == 6
    assert (quiet.option("echo"), quiet.option("comment"), quiet.option("fig-width")) == (
        False,
        None,
        5,
    )
    # a block's own options win over the defaults
    assert (chunk.option("fig-width"), chunk.option("fig-height")) == (4, 3)
    assert blocks["skip-second"].option("echo") is True


def test_opts_chunk_in_a_block_that_does_not_run_sets_nothing() -> None:
    text = "```{r, eval=FALSE}\nknitr::opts_chunk$set(echo = FALSE)\n```\n\n```{r}\n1\n```\n"
    assert "echo" not in parse_text(text).blocks[1].options


def test_knitr_options_in_the_fixture() -> None:
    blocks = blocks_of(parse_fixture("options.Rmd"))
    chunk = blocks["my-chunk"]
    assert (chunk.option("label"), chunk.option("fig-cap")) == ("my chunk", "A plot")
    assert (chunk.option("fig-dpi"), chunk.option("out-width")) == (96, "50%")
    quiet = blocks["quiet"]
    assert (quiet.option("message"), quiet.option("warning"), quiet.option("results")) == (
        False,
        False,
        "hide",
    )
    assert quiet.option("collapse") is True


def test_eval_vectors_run_only_the_selected_expressions() -> None:
    blocks = blocks_of(parse_fixture("options.Rmd"))
    assert blocks["pick"].code == 'a <- 1\n## b <- stop("never")\nc <- a +\n  1\n'
    assert blocks["skip-second"].code == 'first <- 1\n## second <- stop("never")\n'


def test_eval_vector_on_code_that_cannot_be_split_warns_and_runs_whole(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        (block,) = parse_text("```{r, eval=2}\na; b\n```\n").blocks
    assert block.code == "a; b\n"
    assert "cannot pick expressions [2]" in caplog.text


def test_engine_runs_the_block_in_that_language() -> None:
    blocks = blocks_of(parse_fixture("options.Rmd"))
    assert (blocks["bash-1"].language, blocks["bash-1"].code) == ("bash", 'echo "from bash"\n')
    for engine, language in [("python", "python"), ("node", "javascript"), ("sh", "bash")]:
        (block,) = parse_text(f"```{{r, engine='{engine}'}}\nx\n```\n").blocks
        assert block.language == language


def test_noweb_reference_expands_to_the_named_blocks_code() -> None:
    blocks = blocks_of(parse_fixture("options.Rmd"))
    assert blocks["whole"].code == "  twice <- function(v) v * 2\ntwice(21)\n"
    assert blocks["helper"].option("eval") is False


def test_noweb_by_a_label_with_spaces_and_ref_label() -> None:
    text = (
        "```{r the setup, eval=FALSE}\nx <- 1\n```\n\n"
        "```{r}\n<<the setup>>\ny <- x\n```\n\n"
        "```{r again, ref.label='the setup'}\n```\n"
    )
    blocks = parse_text(text).blocks
    assert blocks[1].code == "x <- 1\ny <- x\n"
    assert blocks[2].code == "x <- 1\n"


def test_ref_label_naming_no_block_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        (block,) = parse_text("```{r again, ref.label='nope'}\n```\n").blocks
    assert block.code == ""
    assert "`ref.label` names no block 'nope'" in caplog.text


def test_noweb_cycle_is_an_error() -> None:
    text = "```{r a}\n<<b>>\n```\n\n```{r b}\n<<a>>\n```\n"
    with pytest.raises(DocumentError, match="form a cycle: a -> b -> a"):
        parse_text(text)


def test_noweb_in_a_python_document_is_left_alone() -> None:
    (block,) = parse_text("```{python}\n<<a>>\n```\n", name="doc.md").blocks
    assert block.code == "<<a>>\n"


def test_inline_r_in_r_markdown_and_in_a_qmd_with_r_blocks() -> None:
    inline = [b for b in parse_fixture("options.Rmd").blocks if b.kind == "inline"]
    assert [(b.language, b.code) for b in inline] == [("r", "params$n"), ("r", "1 + 1")]
    qmd = parse_text("```{r}\n1\n```\n\nValue `r 1 + 1`.\n", name="doc.qmd")
    assert [b.code for b in qmd.blocks if b.kind == "inline"] == ["1 + 1"]


def test_inline_r_is_only_code_in_a_document_knitr_does_not_read() -> None:
    document = parse_text("```{python}\n1\n```\n\nThe `r x` code.\n", name="doc.md")
    assert [b.kind for b in document.blocks] == ["code"]


# --------------------------------------------------------------------------- graph


def test_graph_edges_of_the_knitr_fixture() -> None:
    graph = build_graph(parse_fixture("options.Rmd"))
    params = {n.id: sorted(i.name for i in n.inputs if i.param) for n in graph.nodes}
    assert params["my-chunk"] == ["n"]
    assert params["quiet"] == ["region"]
    assert params["inline-1"] == ["n"]
    assert params["pick"] == []
    # dependson: order edges, by the label as written (`my chunk`) and by id
    assert graph.node("later").after == ("skip-second", "my-chunk", "quiet")
    # engine='bash' runs in the bash kernel, with no chain to the R blocks
    assert graph.node("bash-1").kernel != graph.node("setup").kernel


def test_params_in_the_key_change_with_an_override() -> None:
    document = parse_fixture("options.Rmd")
    assert build_graph(document, {"n": 5}).params["n"] == 5
    node = build_graph(document).node("my-chunk")
    assert [(i.name, i.producer, i.param) for i in node.inputs] == [("n", None, True)]


@pytest.mark.parametrize(
    ("dependson", "after"),
    [
        ("'a'", ["b", "a"]),
        ("-2", ["b", "a"]),
        ("1", ["b", "a"]),
        ("c('a', 'b')", ["b", "a"]),
    ],
)
def test_dependson(dependson: str, after: list[str]) -> None:
    text = (
        "```{r a}\n1\n```\n\n```{r b, uses=c()}\n2\n```\n\n"
        f"```{{r c, dependson={dependson}}}\n3\n```\n"
    )
    node = build_graph(parse_text(text)).node("c")
    assert sorted(node.after) == sorted(after)


def test_dependson_an_unknown_label_warns(caplog: pytest.LogCaptureFixture) -> None:
    text = "```{r a}\n1\n```\n\n```{r b, dependson='nope'}\n2\n```\n"
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        node = build_graph(parse_text(text)).node("b")
    assert node.after == ("a",)
    assert "`dependson` names no block 'nope'" in caplog.text


# --------------------------------------------------------------------------- pages


def need_kernels() -> None:
    for kernel in ("ir", "bash"):
        if find_kernelspec(kernel) is None:
            pytest.skip(f"kernel {kernel} is not installed")


def sections(page: str) -> dict[str, str]:
    """Each block's `<section>` in the page, by id."""
    found = re.finditer(r'<section class="[^"]*" id="([^"]+)".*?</section>', page, re.S)
    return {match.group(1): match.group(0) for match in found}


def text_of(fragment: str, element: str) -> str:
    """The text of every element of class `element` (`nf-code`, `nf-output`) in a section."""
    pattern = rf'<(div|pre) class="{element}[^"]*">(.*?)</\1>'
    parts = [m.group(2) for m in re.finditer(pattern, fragment, re.S)]
    return html.unescape(re.sub(r"<[^>]+>", "", "".join(parts)))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_kernels()
    folder = tmp_path_factory.mktemp("knitr")
    shutil.copy(FIXTURES / "render.Rmd", folder / "render.Rmd")
    assert main(["render", str(folder / "render.Rmd"), "-q"]) == 0
    return folder / "render.html"


@pytest.mark.kernel
def test_opts_chunk_hides_code_that_a_block_shows_again(rendered: Path) -> None:
    page = sections(rendered.read_text(encoding="utf-8"))
    assert "setup" not in page  # include=FALSE
    assert text_of(page["hidden-code"], "nf-code") == ""
    assert "shown output" in text_of(page["hidden-code"], "nf-output")
    assert 'cat("with code\\n")' in text_of(page["shown-code"], "nf-code")


@pytest.mark.kernel
def test_engine_bash_runs_in_bash(rendered: Path) -> None:
    page = sections(rendered.read_text(encoding="utf-8"))
    # knitr's `comment` (default `##`) marks every output line
    assert text_of(page["bash-1"], "nf-output").strip() == "## bash says 42"


@pytest.mark.kernel
def test_noweb_runs_and_shows_the_expanded_code(rendered: Path) -> None:
    page = sections(rendered.read_text(encoding="utf-8"))
    code = text_of(page["use-helper"], "nf-code")
    assert "twice <- function(v) v * 2" in code and "<<helper>>" not in code
    assert text_of(page["use-helper"], "nf-output").strip() == "## 8"


@pytest.mark.kernel
def test_eval_vector_runs_the_selected_expressions(rendered: Path) -> None:
    page = sections(rendered.read_text(encoding="utf-8"))
    assert "nf-status-failed" not in page["pick"]
    assert '## stop("never runs")' in text_of(page["pick"], "nf-code")
    assert text_of(page["pick"], "nf-output") == "## one\n## three\n"


@pytest.mark.kernel
def test_inline_r_and_params(rendered: Path) -> None:
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered.read_text(encoding="utf-8")))
    assert "Inline: 40 and ABC." in text


@pytest.mark.kernel
def test_a_param_override_reruns_the_blocks_that_read_it(rendered: Path) -> None:
    document = rendered.with_suffix(".Rmd")
    assert main(["render", str(document), "-q", "-P", "n=5"]) == 0
    page = rendered.read_text(encoding="utf-8")
    blocks = sections(page)
    assert text_of(blocks["use-helper"], "nf-output").strip() == "## 10"
    assert "nf-status-executed" in blocks["use-helper"]
    assert "nf-status-cached" in blocks["hidden-code"]
    assert "Inline: 50 and ABC." in html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("text", ["9" * 5000, "1:999999999", "-1:-500000", "12345678901"])
def test_an_r_number_vector_too_large_to_be_a_selection_is_not_read(text: str) -> None:
    from noteflow.knitr import r_int_vector

    assert r_int_vector(text) is None


def test_r_number_vectors_read_as_knitr_selects_expressions() -> None:
    from noteflow.knitr import r_int_vector

    assert r_int_vector("c(1, 3)") == [1, 3] and r_int_vector("2:4") == [2, 3, 4]
    assert r_int_vector("-2") == [-2]
