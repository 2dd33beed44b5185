"""Blocks behave as they do in Jupyter and knitr: a trailing `;` hides the value,
`warning`/`message: false` hide warnings and messages, figure options reach matplotlib and
R's devices (HiDPI by default), R blocks read `params$n`, and `from myst_nb import glue`
works without MyST-NB.

Fast tests: the options each adapter's `begin` code receives, and the Python adapter's
set-up code in an IPython shell of its own (a subprocess, no kernel). Kernel tests render
the fixture documents in `fixtures/jupyter/` with real Python and R kernels.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from noteflow.adapters import block_settings, find_kernelspec, load_adapters
from noteflow.pipeline import RenderOptions, RenderOutcome, render_document

FIXTURES = Path(__file__).parent / "fixtures" / "jupyter"


# -- options to settings (fast) --------------------------------------------------------------

SETTINGS_CASES = [
    ({}, {}),
    ({"echo": False, "warning": True, "message": True}, {}),
    ({"warning": False}, {"warning": False}),
    ({"message": False}, {"message": False}),
    ({"fig-width": 4, "fig-height": 3.5}, {"fig_width": 4, "fig_height": 3.5}),
    ({"fig-dpi": 150}, {"fig_dpi": 150}),
    ({"fig-width": "4", "fig-height": "2.5"}, {"fig_width": 4, "fig_height": 2.5}),
    ({"dpi": 72}, {"fig_dpi": 72}),
    ({"dpi": 72, "fig-dpi": 96}, {"fig_dpi": 96}),
    ({"fig-format": "SVG"}, {"fig_format": "svg"}),
    ({"fig-format": "jpg"}, {"fig_format": "jpeg"}),
    ({"dev": "svglite"}, {"fig_format": "svg"}),
    ({"fig-format": "retina", "dev": "png"}, {"fig_format": "retina"}),
    ({"fig-retina": 1}, {"fig_format": "png"}),
    ({"fig-retina": 2, "dev": "svg"}, {"fig_format": "svg"}),
]


@pytest.mark.parametrize(("options", "expected"), SETTINGS_CASES)
def test_block_settings(options: dict[str, Any], expected: dict[str, Any]) -> None:
    assert block_settings(options) == expected


@pytest.mark.parametrize(
    ("options", "warning"),
    [
        ({"fig-width": "7in"}, "fig-width must be a positive number, not '7in'"),
        ({"fig-dpi": 0}, "fig-dpi must be a positive number, not 0"),
        ({"fig-height": True}, "fig-height must be a positive number, not True"),
        ({"fig-format": "tiff"}, "fig-format 'tiff' is not one of"),
    ],
)
def test_unusable_figure_options_warn_and_are_ignored(
    options: dict[str, Any], warning: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        assert block_settings(options, where="doc.md:3: block `a`: ") == {}
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and messages[0].startswith(f"doc.md:3: block `a`: {warning}")


@pytest.mark.parametrize("language", ["python", "r"])
def test_begin_code_passes_the_settings_as_a_json_string(language: str) -> None:
    adapter = load_adapters()[language]
    code = adapter.begin_code({"warning": False, "fig_width": 4})
    literal = re.search(r'\((".*")\)', code)
    assert literal, code
    assert json.loads(json.loads(literal.group(1))) == {"fig_width": 4, "warning": False}
    assert adapter.begin_code({}) == ""


def test_only_python_drops_stderr_with_warning_false() -> None:
    adapters = load_adapters()
    assert adapters["python"].warning_hides_stderr and not adapters["r"].warning_hides_stderr


# -- the Python adapter's set-up in an IPython shell (fast: no kernel process) ---------------

SHELL_SCRIPT = """
import json, sys, warnings, yaml
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
setup = yaml.safe_load(open(sys.argv[1]))["setup"]
shell.run_cell(setup, silent=True)
shown = {}
for name, cell in json.loads(sys.argv[2]).items():
    result = shell.run_cell(cell, store_history=False)
    shown[name] = None if result.result is None else repr(result.result)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    shell.run_cell('__nf.begin(\\'{"warning": false}\\')', silent=True)
    shell.run_cell("import warnings; warnings.warn('during')", store_history=False)
    shell.run_cell("__nf.end()", silent=True)
    shell.run_cell("warnings.warn('after')", store_history=False)
shown["warnings"] = [str(w.message) for w in caught]
print(json.dumps(shown))
"""

CELLS = {
    "semicolon": "x = 41\nx + 1;",
    "semicolon-comment": "x + 1;  # a comment",
    "semicolon-then-blank-lines": "x + 1;\n\n",
    "string": '"a;"',
    "no-semicolon": "x + 2",
    "semicolon-inside": "[x, 1];[x, 2]",
    "glue-module": "import myst_nb\nmyst_nb.__doc__",
}


@pytest.fixture(scope="module")
def shell_results() -> dict[str, Any]:
    adapter_file = Path(__file__).parent.parent / "kernels" / "python.yaml"
    cells = json.dumps(CELLS)
    done = subprocess.run(
        [sys.executable, "-c", SHELL_SCRIPT, str(adapter_file), cells],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("semicolon", None),
        ("semicolon-comment", None),
        ("semicolon-then-blank-lines", None),
        ("string", "'a;'"),
        ("no-semicolon", "43"),
        ("semicolon-inside", "[41, 2]"),
    ],
)
def test_a_trailing_semicolon_hides_the_value(
    shell_results: dict[str, Any], cell: str, value: str | None
) -> None:
    assert shell_results[cell] == value


def test_myst_nb_is_a_stand_in_where_it_is_not_installed(shell_results: dict[str, Any]) -> None:
    try:
        import myst_nb  # noqa: F401
    except ImportError:
        assert "noteflow's stand-in" in shell_results["glue-module"]
    else:
        assert "noteflow" not in (shell_results["glue-module"] or "")


def test_warning_false_ignores_warnings_until_the_block_ends(
    shell_results: dict[str, Any],
) -> None:
    assert shell_results["warnings"] == ["after"]


# -- real kernels ----------------------------------------------------------------------------


def render_fixture(tmp_path: Path, name: str, **options: Any) -> tuple[RenderOutcome, str]:
    doc = tmp_path / name
    shutil.copy(FIXTURES / name, doc)
    outcome = render_document(doc, RenderOptions(**options))
    return outcome, doc.with_suffix(".html").read_text(encoding="utf-8")


def section(page: str, block_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{re.escape(block_id)}".*?</section>', page, re.S)
    assert match, f"no section for {block_id}"
    return match.group(0)


def outputs_of(page: str, block_id: str) -> str:
    """The HTML of a block's outputs ('' when it shows none)."""
    match = re.search(r'<div class="nf-outputs">.*', section(page, block_id), re.S)
    return match.group(0) if match else ""


def shown_text(html: str) -> str:
    """The text a block shows, without tags or R's `[1]` index."""
    return re.sub(r"^\[1\]\s*", "", re.sub(r"<[^>]+>", "", html).strip())


def images(html: str, mime: str) -> list[bytes]:
    return [
        base64.b64decode(data)
        for data in re.findall(rf"data:{re.escape(mime)};base64,([A-Za-z0-9+/=]+)", html)
    ]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def shown_size(outcome: RenderOutcome, block_id: str, mime: str) -> tuple[int, int]:
    """The width and height an image output asks to be shown at (its metadata)."""
    for output in outcome.summary.results[block_id].outputs:  # type: ignore[index]
        meta = (output.get("metadata") or {}).get(mime)
        if meta:
            return meta["width"], meta["height"]
    raise AssertionError(f"no {mime} metadata in {block_id}")


@pytest.fixture(scope="module")
def python_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[RenderOutcome, str]:
    return render_fixture(tmp_path_factory.mktemp("py"), "python-behaviour.md")


@pytest.mark.kernel
def test_kernel_start_does_not_import_matplotlib(python_page) -> None:
    _, page = python_page
    assert "False" in outputs_of(page, "fresh")


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("block", "shown"),
    [
        ("semicolon", None),
        ("semicolon-comment", None),
        ("assignment-semicolon", None),
        ("string-semicolon", "&#x27;a;&#x27;"),
        ("no-semicolon", "44"),
    ],
)
def test_semicolon_in_a_kernel(python_page, block: str, shown: str | None) -> None:
    _, page = python_page
    outputs = outputs_of(page, block)
    if shown is None:
        assert outputs == "" and "42" not in section(page, block).split("</code>")[-1]
    else:
        assert shown in outputs or shown.replace("&#x27;", "'") in outputs


@pytest.mark.kernel
def test_warning_false_hides_warnings_and_stderr(python_page) -> None:
    _, page = python_page
    hidden = outputs_of(page, "warning-off")
    assert "stdout-kept" in hidden
    assert "hidden-warning" not in hidden and "printed-after" not in hidden
    assert "shown-warning" in outputs_of(page, "warning-on")  # restored after the block


@pytest.mark.kernel
def test_message_false_hides_log_records(python_page) -> None:
    _, page = python_page
    assert "hidden-log" not in outputs_of(page, "message-off")
    assert "shown-log" in outputs_of(page, "message-on")


@pytest.mark.kernel
def test_figure_size_and_dpi_reach_matplotlib_at_twice_the_resolution(python_page) -> None:
    outcome, page = python_page
    (small,) = images(outputs_of(page, "fig-small"), "image/png")
    width, height = shown_size(outcome, "fig-small", "image/png")
    # 4 x 3 inches at 50 dpi is 200 x 150 before the tight bounding box trims the margins.
    assert 150 <= width <= 210 and 110 <= height <= 160
    assert tuple(n // 2 for n in png_size(small)) == (width, height)
    (default,) = images(outputs_of(page, "fig-default"), "image/png")
    default_width, _ = shown_size(outcome, "fig-default", "image/png")
    assert default_width > 2 * width  # the block's size did not stay for the next one
    assert png_size(default)[0] // 2 == default_width  # HiDPI by default


@pytest.mark.kernel
def test_fig_format_png_is_one_pixel_per_dot(python_page) -> None:
    outcome, page = python_page
    (png,) = images(outputs_of(page, "fig-png"), "image/png")
    assert 250 <= png_size(png)[0] <= 330  # 6.4 in at 50 dpi, trimmed
    assert not any(
        (o.get("metadata") or {}).get("image/png")
        for o in outcome.summary.results["fig-png"].outputs
    )


@pytest.mark.kernel
def test_fig_format_svg_gives_svg_and_is_restored_after(python_page) -> None:
    outcome, page = python_page
    mimes = {m for o in outcome.summary.results["fig-svg"].outputs for m in o.get("data") or {}}
    assert "image/svg+xml" in mimes and "image/png" not in mimes
    after = outputs_of(page, "fig-after")
    assert "([6.4, 4.8], 100.0)" in after


@pytest.mark.kernel
def test_glue_without_myst_nb_displays_as_myst_nb_does(python_page) -> None:
    outcome, _ = python_page
    glued = [o for o in outcome.summary.results["glue"].outputs if o.get("output_type")]
    shown, hidden = glued
    assert shown["data"] == {"text/plain": "42"}
    assert shown["metadata"]["scrapbook"] == {"name": "answer", "mime_prefix": ""}
    prefix = "application/papermill.record/"
    assert hidden["data"] == {prefix + "text/plain": "'secret'"}
    assert hidden["metadata"]["scrapbook"] == {"name": "hidden", "mime_prefix": prefix}


needs_r = pytest.mark.skipif(find_kernelspec("ir") is None, reason="IRkernel is not installed")


@pytest.fixture(scope="module")
def r_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[RenderOutcome, str]:
    return render_fixture(tmp_path_factory.mktemp("r"), "r-behaviour.md")


@pytest.mark.kernel
@needs_r
def test_r_params_hold_the_front_matter_default(r_page) -> None:
    _, page = r_page
    assert shown_text(outputs_of(page, "p")) == "6"


@pytest.mark.kernel
@needs_r
def test_an_r_parameter_named_in_uses_is_a_variable(r_page) -> None:
    _, page = r_page
    assert shown_text(outputs_of(page, "p-uses")) == "4"


@pytest.mark.kernel
@needs_r
def test_r_params_take_the_override(tmp_path: Path) -> None:
    _, page = render_fixture(tmp_path, "r-behaviour.md", params={"n": 5})
    assert shown_text(outputs_of(page, "p")) == "10"
    assert shown_text(outputs_of(page, "p-uses")) == "6"


@pytest.mark.kernel
@needs_r
def test_r_warning_and_message_false(r_page) -> None:
    _, page = r_page
    quiet = outputs_of(page, "wm")
    assert "out" in quiet and "hidden-message" not in quiet and "hidden-warning" not in quiet
    loud = outputs_of(page, "wm-on")
    assert "shown-message" in loud and "shown-warning" in loud


@pytest.mark.kernel
@needs_r
def test_r_figures_take_size_dpi_and_format(r_page) -> None:
    outcome, page = r_page
    (small,) = images(outputs_of(page, "fig"), "image/png")
    assert shown_size(outcome, "fig", "image/png") == (200, 150)  # 4 x 3 in at 50 dpi
    assert png_size(small) == (400, 300)  # drawn at twice that
    (default,) = images(outputs_of(page, "fig-default"), "image/png")
    assert png_size(default) == tuple(
        2 * n for n in shown_size(outcome, "fig-default", "image/png")
    )
    mimes = {m for o in outcome.summary.results["fig-svg"].outputs for m in o.get("data") or {}}
    assert "image/svg+xml" in mimes and "image/png" not in mimes
    (after,) = images(outputs_of(page, "fig-after"), "image/png")
    assert png_size(after) == png_size(default)  # restored after the svg block


@pytest.mark.kernel
def test_a_julia_block_is_skipped_and_the_page_written(tmp_path: Path) -> None:
    from noteflow.cli import main

    doc = tmp_path / "julia.md"
    shutil.copy(FIXTURES / "julia.md", doc)
    report = tmp_path / "report.json"
    assert main(["render", str(doc), "--report", str(report)]) == 0
    statuses = {
        b["id"]: (b["status"], b["reason"]) for b in json.loads(report.read_text())["blocks"]
    }
    assert statuses["jl"][0] == "skipped"
    assert statuses["jl"][1].startswith("no kernel for julia: install IJulia")
    assert statuses["before"][0] == statuses["after"][0] == "executed"
    page = doc.with_suffix(".html").read_text(encoding="utf-8")
    assert "println" in section(page, "jl") and "40" in outputs_of(page, "after")


def _section_html(page: str, block_id: str) -> str:
    start = page.index(f'id="{block_id}"')
    return page[start : page.index("</section>", start)]


@pytest.mark.kernel
def test_a_cached_figure_value_shows_as_an_image_in_a_fresh_kernel(tmp_path: Path) -> None:
    doc = tmp_path / "figure.qmd"
    made = "```{python}\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
    made += "ax.plot([1, 2])\nplt.close(fig)\n```\n\n"
    doc.write_text(made + "```{python}\n#| label: shown\nfig\n```\n", encoding="utf-8")
    render_document(doc, RenderOptions())
    # Only the block that shows the figure runs again: the figure comes from the cache.
    doc.write_text(made + "```{python}\n#| label: shown\nfig  # again\n```\n", encoding="utf-8")
    outcome = render_document(doc, RenderOptions())
    assert outcome.summary.count("executed") == 1
    shown = _section_html(doc.with_suffix(".html").read_text(encoding="utf-8"), "shown")
    assert "<img" in shown and "Figure size" not in shown


@pytest.mark.kernel
def test_an_inline_markdown_value_renders_as_markdown(tmp_path: Path) -> None:
    doc = tmp_path / "inline.qmd"
    doc.write_text(
        "```{python}\nfrom IPython.display import Markdown\n```\n\n"
        'Said `{python} Markdown("**loudly** <b>x</b>")` and `{python} 1 + 1`.\n',
        encoding="utf-8",
    )
    render_document(doc, RenderOptions())
    page = doc.with_suffix(".html").read_text(encoding="utf-8")
    assert "<strong>loudly</strong>" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert '<span class="nf-inline">2</span>' in page
