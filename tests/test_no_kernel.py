"""A language that cannot run here (no adapter, or its kernel is not installed) skips its
blocks with a reason and never fails the render; `--strict` makes it an error.

Fast tests: the R blocks' kernelspec does not exist, so no kernel process is started, and
Python blocks run in the in-process fake kernel. A `{julia}` block is built by hand (its
language has no adapter) to check the plan and the executor without the parse stage.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from fakekernel import FakeKernel

from noteflow.cli import main
from noteflow.errors import StrictError
from noteflow.execute import Executor
from noteflow.model import Block, BlockId, Document, Graph, Input, Node
from noteflow.pipeline import store_for
from noteflow.plan import plan_render

FIXTURES = Path(__file__).parent / "fixtures" / "jupyter"


@pytest.fixture
def fixture_doc(tmp_path: Path):
    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copy(FIXTURES / name, target)
        return target

    return copy


def section(page: str, block_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{re.escape(block_id)}".*?</section>', page, re.S)
    assert match, f"no section for {block_id}"
    return match.group(0)


@pytest.mark.parametrize(
    ("language", "kernel", "expected"),
    [
        ("julia", "julia-1.10", "no kernel for julia: install IJulia"),
        ("ojs", "ojs", "no kernel for ojs: ojs runs in the browser in Quarto; noteflow does not"),
        ("sql", "sql", "no kernel for sql: install a SQL kernel"),
        ("fortran77", "x", "no kernel for fortran77: install a Jupyter kernel for fortran77"),
        ("r", "nosuchkernel", "no kernel for r: kernelspec 'nosuchkernel' is not installed"),
        ("python", "python3", ""),
    ],
)
def test_missing_kernel_reasons(language: str, kernel: str, expected: str) -> None:
    from noteflow.languages import missing_kernel_reason

    reason = missing_kernel_reason(language, kernel)
    assert reason.startswith(expected) if expected else reason == ""


def test_a_missing_r_kernel_names_the_install_command() -> None:
    from noteflow.languages import missing_kernel_reason

    assert "r-cran-irkernel" in missing_kernel_reason("r", "nosuchkernel")


def test_blocks_without_a_kernel_are_skipped_and_the_rest_runs(
    fixture_doc, render_fake, caplog
) -> None:
    doc = fixture_doc("missing-kernel.md")
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        outcome = render_fake(doc)
    results = outcome.summary.results
    assert {b: r.status for b, r in results.items()} == {
        "first": "executed",
        "from-r": "skipped",
        "reads-x": "skipped",
        "reads-y": "skipped",
        "independent": "executed",
        "shown-x": "skipped",
    }
    assert results["from-r"].reason.startswith(
        "no kernel for r: kernelspec 'nosuchkernel' is not installed"
    )
    assert results["reads-x"].reason == "needs x from from-r, which was skipped"
    assert results["reads-y"].reason == "needs y from reads-x, which was skipped"
    assert results["shown-x"].reason == "needs x from from-r, which was skipped"
    # One warning for the language, naming the file and the first block's line.
    warnings = [r.getMessage() for r in caplog.records if "no kernel for r" in r.getMessage()]
    assert len(warnings) == 1 and "missing-kernel.md:13:" in warnings[0]
    # Only Python's (fake) kernel started; the skipped Python blocks did not run in it.
    assert [k.adapter.language for k in FakeKernel.instances] == ["python"]
    ran = "\n".join(FakeKernel.instances[0].ran)
    assert "x + 1" not in ran and "y * 2" not in ran
    # Nothing is stored for skipped blocks.
    store = store_for(doc, None)
    keys = {p.id: p.key for p in outcome.plan.blocks}
    assert store.get(keys["from-r"]) is None and store.get(keys["reads-x"]) is None
    assert store.get(keys["first"]) is not None


def test_the_page_shows_the_code_of_skipped_blocks(fixture_doc, render_fake) -> None:
    doc = fixture_doc("missing-kernel.md")
    render_fake(doc)
    page = doc.with_suffix(".html").read_text()
    skipped = section(page, "from-r")
    assert "nf-status-skipped" in skipped and "41" in skipped


def test_a_second_render_skips_again_and_runs_nothing(fixture_doc, render_fake) -> None:
    doc = fixture_doc("missing-kernel.md")
    render_fake(doc)
    FakeKernel.instances.clear()
    outcome = render_fake(doc)
    statuses = {b: r.status for b, r in outcome.summary.results.items()}
    assert statuses["from-r"] == "skipped" and statuses["first"] == "cached"
    assert FakeKernel.instances == []


def test_the_cli_exits_0_and_writes_the_page(fixture_doc, capsys) -> None:
    doc = fixture_doc("r-only-missing.md")
    assert main(["render", str(doc)]) == 0
    err = capsys.readouterr().err
    assert "no kernel for r: kernelspec 'nosuchkernel' is not installed" in err
    assert "plot: no kernel for r" in err  # the block's progress line says why
    page = doc.with_suffix(".html").read_text()
    assert "summary" in section(page, "plot")


def test_strict_makes_a_missing_kernel_an_error(fixture_doc, capsys) -> None:
    doc = fixture_doc("r-only-missing.md")
    assert main(["render", "--strict", str(doc)]) == 1
    err = capsys.readouterr().err
    assert "r-only-missing.md:8:" in err and "block 'plot' cannot run: no kernel for r" in err
    assert not doc.with_suffix(".html").exists()


def test_strict_raises_before_anything_runs(fixture_doc, render_fake) -> None:
    doc = fixture_doc("missing-kernel.md")
    with pytest.raises(StrictError, match="block 'from-r' cannot run"):
        render_fake(doc, strict=True)
    assert FakeKernel.instances == []


def julia_graph(tmp_path: Path) -> Graph:
    """`{julia}` defining x, a Python block reading it, and one that reads nothing."""
    path = tmp_path / "doc.md"
    path.write_text("(built by hand)\n")

    def block(index: int, block_id: str, language: str, code: str) -> Block:
        return Block(BlockId(block_id), index, "code", language, code, {}, index * 4 + 1, -1)

    julia = block(0, "julia-1", "julia", "x = 1 + 1")
    reader = block(1, "python-1", "python", "x * 2")
    other = block(2, "python-2", "python", "3 * 3")
    document = Document(path, "", {}, (julia, reader, other), ())
    nodes = (
        Node(julia, "julia", (), frozenset({"x"}), (), frozenset()),
        Node(reader, "python3", (Input("x", julia.id),), frozenset(), (), frozenset()),
        Node(other, "python3", (), frozenset(), (), frozenset()),
    )
    return Graph(document, nodes, {})


def test_a_language_without_an_adapter_is_skipped(tmp_path: Path, caplog) -> None:
    graph = julia_graph(tmp_path)
    store = store_for(graph.document.path, None)
    FakeKernel.instances.clear()
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        plan = plan_render(graph, store)
    with Executor(store, tmp_path, FakeKernel) as executor:
        summary = executor.run(plan)
    julia, reader, other = (
        summary.results[BlockId(b)] for b in ("julia-1", "python-1", "python-2")
    )
    assert (julia.status, reader.status, other.status) == ("skipped", "skipped", "executed")
    assert julia.reason.startswith("no kernel for julia: install IJulia")
    assert reader.reason == "needs x from julia-1, which was skipped"
    assert [r.getMessage() for r in caplog.records if "julia" in r.getMessage()] == [
        f"{graph.document.path}:1: {julia.reason}; 1 block(s) skipped"
    ]
    assert [k.adapter.language for k in FakeKernel.instances] == ["python"]
    FakeKernel.instances.clear()
