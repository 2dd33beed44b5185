"""Tests for noteflow.outputs: each MIME type, preference, escaping, ANSI, figures.

And, through the render stage, what a page lets run: only `text/html` stays raw; Markdown,
SVG, text and tracebacks cannot put a script in the page; images that cannot be shown and
output past `output-limit` become visible notices.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from noteflow.cli import main
from noteflow.model import BlockId, BlockResult, RunSummary
from noteflow.notebook import to_notebook
from noteflow.outputs import (
    MIME_PREFERENCE,
    RENDERERS,
    RenderContext,
    ansi_to_html,
    format_size,
    render_output,
    render_outputs,
)
from noteflow.parse import parse_document
from noteflow.render import render_html
from noteflow.store import LocalStore

PNG_BYTES = b"\x89PNG\r\n\x1a\nfake-png-bytes"
PNG_SHA = hashlib.sha256(PNG_BYTES).hexdigest()
PNG_B64 = base64.b64encode(PNG_BYTES).decode()
BLOBS = {PNG_SHA: PNG_BYTES}


def fake_markdown(text: str) -> str:
    return f"<md>{text}</md>"


def fake_math(latex: str, display: bool) -> str:
    return f"<math display={'block' if display else 'inline'}>{latex}</math>"


CTX = RenderContext(markdown=fake_markdown, math=fake_math, blob=BLOBS.get)


def display(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": metadata or {}}


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


SVG = (
    '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n'
    '  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    '<svg width="10" height="10"><rect/></svg>'
)

# (case id, output, substrings expected, substrings forbidden)
CASES: list[tuple[str, dict[str, Any], list[str], list[str]]] = [
    (
        "stdout",
        stream("hello\n"),
        ['<pre class="nf-output nf-stream nf-stdout">hello\n</pre>'],
        ["nf-stderr"],
    ),
    (
        "stderr",
        stream("warn\n", "stderr"),
        ['<pre class="nf-output nf-stream nf-stderr">warn'],
        ["nf-stdout"],
    ),
    (
        "stream list text",
        {"output_type": "stream", "name": "stdout", "text": ["a\n", "b\n"]},
        ["a\nb\n"],
        ["['a"],
    ),
    (
        "stream escapes script",
        stream("<script>alert(1)</script>&"),
        ["&lt;script&gt;alert(1)&lt;/script&gt;&amp;"],
        ["<script>"],
    ),
    (
        "text/plain escapes script",
        display({"text/plain": "<script>x</script>"}),
        ['<pre class="nf-output nf-text">&lt;script&gt;x&lt;/script&gt;</pre>'],
        ["<script>"],
    ),
    (
        "text/plain list",
        display({"text/plain": ["line 1\n", "line 2"]}),
        ["line 1\nline 2"],
        [],
    ),
    (
        "error escapes and joins",
        {
            "output_type": "error",
            "ename": "ValueError",
            "evalue": "<script>",
            "traceback": ["\x1b[0;31mValueError\x1b[0m", "bad <script>"],
        },
        [
            '<pre class="nf-output nf-error">',
            '<span class="ansi-red">ValueError</span>\nbad &lt;script&gt;',
        ],
        ["<script>", "\x1b"],
    ),
    (
        "error without traceback",
        {"output_type": "error", "ename": "KeyError", "evalue": "'k'", "traceback": []},
        ["KeyError: 'k'"],
        [],
    ),
    (
        "text/html raw",
        display({"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "df"}),
        ['<div class="nf-output nf-html"><table><tr><td>1</td></tr></table></div>'],
        ["df</pre>"],
    ),
    (
        "svg as an img data URI, never inline",
        display({"image/svg+xml": SVG}, {"image/svg+xml": {"width": 10}}),
        [
            '<div class="nf-output nf-image"><img src="data:image/svg+xml;base64,'
            + base64.b64encode(SVG.encode()).decode()
            + '" alt="" width="10"></div>'
        ],
        ["<svg", "<?xml", "DOCTYPE"],
    ),
    (
        "png base64 with size",
        display({"image/png": PNG_B64 + "\n"}, {"image/png": {"width": 320, "height": 200}}),
        [f'<img src="data:image/png;base64,{PNG_B64}" alt=""', 'width="320"', 'height="200"'],
        ["\n"],
    ),
    (
        "png blob reference",
        display({"image/png": {"blob": PNG_SHA}}),
        [f"data:image/png;base64,{PNG_B64}"],
        [PNG_SHA],
    ),
    (
        "jpeg",
        display({"image/jpeg": "AAAA"}),
        ['src="data:image/jpeg;base64,AAAA"'],
        ["width="],
    ),
    (
        "markdown",
        display({"text/markdown": ["**a**", " b"], "text/plain": "x"}),
        ['<div class="nf-output nf-markdown"><md>**a** b</md></div>'],
        ["<pre"],
    ),
    (
        "latex strips $$",
        display({"text/latex": "$$x^2$$"}),
        ['<div class="nf-output nf-math"><math display=block>x^2</math></div>'],
        ["$"],
    ),
    (
        "latex strips $",
        display({"text/latex": " $a < b$ "}),
        ["<math display=block>a < b</math>"],
        ["$"],
    ),
    (
        "json pretty and escaped",
        display({"application/json": {"a": [1], "b": "<i>"}}),
        ['<pre class="nf-output nf-json">{\n  "a": [\n    1\n  ],\n  "b": "&lt;i&gt;"\n}</pre>'],
        ["<i>"],
    ),
    (
        "preference html over png over plain",
        display({"text/plain": "P", "image/png": PNG_B64, "text/html": "<b>H</b>"}),
        ["<b>H</b>"],
        ["<img", ">P<"],
    ),
    (
        "preference svg over png",
        display({"image/png": PNG_B64, "image/svg+xml": "<svg></svg>"}),
        ["data:image/svg+xml;base64,"],
        ["data:image/png"],
    ),
    (
        "preference png over markdown",
        display({"text/markdown": "m", "image/png": PNG_B64}),
        ["<img"],
        ["<md>"],
    ),
    (
        "preference latex over json",
        display({"application/json": {}, "text/latex": "$y$"}),
        ["<math"],
        ["nf-json"],
    ),
    (
        "unknown type falls back to plain",
        display({"application/vnd.custom+json": {}, "text/plain": "fallback"}),
        ["fallback"],
        ["not shown"],
    ),
    (
        "unknown type only",
        display({"application/vnd.custom+json": {}}),
        ['<div class="nf-output nf-unknown">output of type application/vnd.custom+json'],
        [],
    ),
    (
        "unknown output_type",
        {"output_type": "<weird>"},
        ["nf-unknown", "&lt;weird&gt;"],
        ["<weird>"],
    ),
]


@pytest.mark.parametrize(
    ("output", "expected", "forbidden"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_render_output_table(
    output: dict[str, Any], expected: list[str], forbidden: list[str]
) -> None:
    html = render_output(output, CTX)
    for fragment in expected:
        assert fragment in html
    for fragment in forbidden:
        assert fragment not in html


def test_every_preferred_type_has_a_renderer() -> None:
    assert set(MIME_PREFERENCE) <= set(RENDERERS)
    assert MIME_PREFERENCE[0] == "text/html"
    assert MIME_PREFERENCE[-1] == "text/plain"


def test_plugin_renderer_entry_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RENDERERS, "application/x-demo", lambda value, meta, ctx: f"<demo>{value}")
    html = render_output(display({"application/x-demo": "v", "text/plain": "p"}), CTX)
    assert html == "<demo>v"


# ------------------------------------------------------------------------ ANSI

ANSI_CASES: list[tuple[str, str, str]] = [
    ("plain", "a < b & c", "a &lt; b &amp; c"),
    ("red", "\x1b[31mred\x1b[0m", '<span class="ansi-red">red</span>'),
    ("bold green", "\x1b[1;32mok\x1b[0m", '<span class="ansi-green ansi-bold">ok</span>'),
    ("bright", "\x1b[91mx\x1b[0m", '<span class="ansi-bright-red">x</span>'),
    ("background", "\x1b[44mx\x1b[49my", '<span class="ansi-bg-blue">x</span>y'),
    ("bright background", "\x1b[103mx", '<span class="ansi-bg-bright-yellow">x</span>'),
    (
        "italic underline",
        "\x1b[3;4mx\x1b[23my\x1b[24mz",
        '<span class="ansi-italic ansi-underline">x</span><span class="ansi-underline">y</span>z',
    ),
    ("reset fg 39", "\x1b[35ma\x1b[39mb", '<span class="ansi-magenta">a</span>b'),
    ("unbold 22", "\x1b[1ma\x1b[22mb", '<span class="ansi-bold">a</span>b'),
    ("empty reset", "\x1b[36ma\x1b[mb", '<span class="ansi-cyan">a</span>b'),
    ("256 palette low", "\x1b[38;5;1mx", '<span class="ansi-red">x</span>'),
    ("256 palette bright", "\x1b[38;5;12mx", '<span class="ansi-bright-blue">x</span>'),
    ("256 cube", "\x1b[38;5;208mx", '<span style="color:#ff8700">x</span>'),
    ("256 grey", "\x1b[38;5;241mx", '<span style="color:#626262">x</span>'),
    ("256 background", "\x1b[48;5;196mx", '<span style="background-color:#ff0000">x</span>'),
    ("truecolour", "\x1b[38;2;10;20;255mx", '<span style="color:#0a14ff">x</span>'),
    (
        "truecolour bg with class fg",
        "\x1b[31;48;2;0;0;0mx",
        '<span class="ansi-red" style="background-color:#000000">x</span>',
    ),
    ("cursor moves dropped", "a\x1b[2K\x1b[1A\x1b[10Gb", "ab"),
    ("osc title dropped", "\x1b]0;title\x07text", "text"),
    ("stray escape dropped", "a\x1bb\x1b", "ab"),
    ("carriage return keeps last", "10%\r50%\r100%\nnext", "100%\nnext"),
    ("crlf keeps line", "line\r\nnext\r\n", "line\nnext\n"),
    ("control chars dropped", "a\x07b\x08c", "abc"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in ANSI_CASES], ids=[c[0] for c in ANSI_CASES]
)
def test_ansi_to_html(text: str, expected: str) -> None:
    assert ansi_to_html(text) == expected


def test_ansi_spans_never_nest() -> None:
    html = ansi_to_html("\x1b[31ma\x1b[1mb\x1b[44mc\x1b[0md")
    assert html == (
        '<span class="ansi-red">a</span>'
        '<span class="ansi-red ansi-bold">b</span>'
        '<span class="ansi-red ansi-bg-blue ansi-bold">c</span>d'
    )
    assert "<span><span" not in html


def test_carriage_return_keeps_colour_set_in_overwritten_part() -> None:
    assert ansi_to_html("\x1b[32mold\rnew") == '<span class="ansi-green">new</span>'


# -------------------------------------------------------------------- groups


def test_consecutive_streams_of_same_name_merge() -> None:
    html = render_outputs([stream("a"), stream("b"), stream("c", "stderr"), stream("d")], CTX)
    assert html.count("<pre") == 3
    assert '<pre class="nf-output nf-stream nf-stdout">ab</pre>' in html


def test_carriage_return_across_stream_outputs() -> None:
    html = render_outputs([stream("\r 10%"), stream("\r 90%"), stream("\r100%\n")], CTX)
    assert "100%" in html
    assert "10%<" not in html and " 90%" not in html


def test_clear_output_drops_earlier_outputs() -> None:
    outputs = [stream("old"), {"output_type": "clear_output", "wait": False}, stream("new")]
    html = render_outputs(outputs, CTX)
    assert "new" in html and "old" not in html


def test_fig_cap_wraps_first_image_only() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.get, fig_cap="Cap <1>")
    outputs = [
        stream("before"),
        display({"image/png": PNG_B64}),
        display({"image/png": PNG_B64}),
    ]
    html = render_outputs(outputs, ctx)
    assert html.count("<figure") == 1
    assert html.count("<img") == 2
    assert '<figure class="nf-figure"><div class="nf-output nf-image"><img' in html
    assert "<figcaption>Cap &lt;1&gt;</figcaption></figure>" in html
    assert html.index("before") < html.index("<figure")


def test_fig_cap_svg_counts_as_image() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.get, fig_cap="S")
    html = render_outputs([display({"image/svg+xml": "<svg></svg>"})], ctx)
    assert html.startswith(
        '<figure class="nf-figure"><div class="nf-output nf-image"><img src="data:image/svg+xml;'
    )


def test_fig_cap_without_image_wraps_group() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.get, fig_cap="Table 1")
    html = render_outputs([display({"text/html": "<table></table>"}), stream("x")], ctx)
    assert html.startswith('<figure class="nf-figure"><div class="nf-output nf-html">')
    assert html.endswith("<figcaption>Table 1</figcaption></figure>")


def test_fig_cap_with_no_outputs_is_empty() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.get, fig_cap="C")
    assert render_outputs([], ctx) == ""


def test_fig_alt_sets_alt_text_escaped() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.get, fig_alt='a "wave"')
    html = render_outputs([display({"image/png": PNG_B64})], ctx)
    assert 'alt="a &quot;wave&quot;"' in html


def test_asis_renders_stdout_as_markdown() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.get, asis=True)
    html = render_outputs([stream("# Title\n"), stream("| a |\n"), stream("err", "stderr")], ctx)
    assert "<md># Title\n| a |\n</md>" in html
    assert '<pre class="nf-output nf-stream nf-stdout">' not in html
    assert '<pre class="nf-output nf-stream nf-stderr">err</pre>' in html


def test_without_asis_markdown_in_stdout_is_escaped() -> None:
    html = render_outputs([stream("<b>x</b>")], CTX)
    assert "<md>" not in html and "&lt;b&gt;" in html


def raw_markdown(text: str) -> str:
    return f"<doc>{text}</doc>"


def test_document_markdown_renders_asis_stdout() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.get, document_markdown=raw_markdown)
    asis = RenderContext(
        fake_markdown, fake_math, BLOBS.get, document_markdown=raw_markdown, asis=True
    )
    assert render_outputs([stream("<b>x</b>")], asis) == "<doc><b>x</b></doc>"
    assert "&lt;b&gt;" in render_outputs([stream("<b>x</b>")], ctx)


def test_document_markdown_only_for_marked_markdown_outputs() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.get, document_markdown=raw_markdown)
    marked = display({"text/markdown": "<i>x</i>"}, {"noteflow": {"document_markdown": True}})
    plain = display({"text/markdown": "<i>x</i>"})
    assert (
        render_output(marked, ctx) == '<div class="nf-output nf-markdown"><doc><i>x</i></doc></div>'
    )
    assert render_output(plain, ctx) == '<div class="nf-output nf-markdown"><md><i>x</i></md></div>'


# ------------------------------------------------ outputs that cannot be shown


MIB = 1024 * 1024


def truncation_marker(dropped: int, limit: int | None = 5 * MIB) -> dict[str, Any]:
    noteflow: dict[str, Any] = {"truncated": dropped}
    if limit is not None:
        noteflow["limit"] = limit
    return {
        "output_type": "display_data",
        "data": {"text/plain": "[output truncated]"},
        "metadata": {"noteflow": noteflow},
    }


NOTICE_CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "invalid base64 png",
        display({"image/png": "not base64!!"}),
        "The image could not be shown: invalid base64 data.",
    ),
    (
        "invalid base64 jpeg",
        display({"image/jpeg": "QUJD=x"}),
        "The image could not be shown: invalid base64 data.",
    ),
    ("empty png", display({"image/png": ""}), "The image could not be shown: the image is empty."),
    (
        "empty svg",
        display({"image/svg+xml": " "}),
        "The image could not be shown: the image is empty.",
    ),
    (
        "missing image blob",
        display({"image/png": {"blob": "0" * 64}}),
        "The image could not be shown: its data is missing from the cache or corrupt.",
    ),
    (
        "missing text blob",
        display({"text/plain": {"blob": "1" * 64}}),
        "The text/plain output could not be shown: its data is missing from the cache or corrupt.",
    ),
    (
        "truncated with limit",
        truncation_marker(int(212.4 * MIB)),
        "Output truncated: 212.4 MiB more were not kept (output-limit is 5 MiB).",
    ),
    (
        "truncated without limit",
        truncation_marker(1536, limit=None),
        "Output truncated: 1.5 KiB more were not kept (see the output-limit option).",
    ),
]


@pytest.mark.parametrize(
    ("output", "message"), [c[1:] for c in NOTICE_CASES], ids=[c[0] for c in NOTICE_CASES]
)
def test_unshowable_output_becomes_a_notice(output: dict[str, Any], message: str) -> None:
    html = render_output(output, CTX)
    assert html.startswith('<div class="nf-output nf-notice')
    assert message in html
    assert "<img" not in html
    assert "[output truncated]" not in html


def test_bad_image_logs_a_warning_naming_the_block(caplog: pytest.LogCaptureFixture) -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.get, block_id="plot")
    with caplog.at_level("WARNING", logger="noteflow"):
        render_output(display({"image/png": "@@@"}), ctx)
    assert [r.getMessage() for r in caplog.records] == [
        "block plot: image/png output could not be shown: invalid base64 data"
    ]


def test_bad_image_leaves_other_outputs_whole() -> None:
    outputs = [stream("before\n"), display({"image/png": "%%%"}), display({"image/png": PNG_B64})]
    html = render_outputs(outputs, CTX)
    assert "before" in html
    assert "invalid base64 data" in html
    assert html.count("<img") == 1 and f"base64,{PNG_B64}" in html


@pytest.mark.parametrize("mime", ["image/gif", "image/webp"])
def test_gif_and_webp_are_shown(mime: str) -> None:
    html = render_output(display({mime: PNG_B64, "text/plain": "x"}), CTX)
    assert f'<img src="data:{mime};base64,{PNG_B64}"' in html


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KiB"),
        (5 * MIB, "5 MiB"),
        (5_000_000, "4.8 MiB"),
        (200 * 1024 * MIB, "200 GiB"),
    ],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


def test_malformed_output_records_do_not_raise() -> None:
    outputs: list[Any] = [
        "not a mapping",
        {"output_type": "display_data", "data": ["text/plain"]},
        {"output_type": "error", "traceback": None, "ename": "E", "evalue": "<v>"},
        stream("still here"),
    ]
    html = render_outputs(outputs, CTX)
    assert "output of type str not shown" in html
    assert "E: &lt;v&gt;" in html
    assert "still here" in html


# ------------------------------------- the page: what is raw and what is escaped


class _Elements(HTMLParser):
    """Every element and attribute inside the block's `<section>`, as a browser parses them."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if self.depth or attributes.get("id") == "show":
            self.depth += 1
            self.tags.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1


def block_elements(page: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(page)
    return parser.tags


def assert_nothing_runs(page: str) -> None:
    """No script element, event handler or javascript: URL in the block's outputs."""
    for tag, attributes in block_elements(page):
        assert tag not in ("script", "svg", "iframe", "object", "embed"), tag
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name)
            assert not value.strip().lower().startswith("javascript:"), (tag, name)


def render_block_page(tmp_path: Path, outputs: list[dict[str, Any]], store: Any = None) -> str:
    """The page the render stage writes for one block `show` that gave `outputs`."""
    source = "# Doc\n\n```{python}\n#| label: show\nx\n```\n\nAfter the block.\n"
    document = parse_document(tmp_path / "doc.md", source)
    result = BlockResult(
        block_id=BlockId("show"),
        status="executed",
        outputs=tuple(outputs),
        seconds=0.0,
        reason="new",
        key=None,
    )
    summary = RunSummary(results={result.block_id: result}, seconds=0.0, kernel_versions={})
    return render_html(document, summary, store or LocalStore(tmp_path / ".noteflow"))


TABLE_WITH_SCRIPT = (
    "|    | name                      |   n |\n"
    "|---:|:--------------------------|----:|\n"
    "|  0 | <script>alert(1)</script> |   1 |\n"
    "|  1 | <img src=x onerror=alert(2)> |   2 |\n"
)


def test_page_markdown_output_escapes_raw_html(tmp_path: Path) -> None:
    page = render_block_page(
        tmp_path,
        [
            display({"text/markdown": "<script>alert(1)</script> **b** *i* [site](https://a.b)"}),
            display({"text/markdown": TABLE_WITH_SCRIPT, "text/plain": "table"}),
        ],
    )
    assert_nothing_runs(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <strong>b</strong> <em>i</em>" in page
    assert '<a href="https://a.b">site</a>' in page
    assert '<td style="text-align:left">&lt;img src=x onerror=alert(2)&gt;</td>' in page
    assert ("table", {}) in block_elements(page)


def test_page_keeps_raw_html_of_the_authors_own_markdown(tmp_path: Path) -> None:
    included = display(
        {"text/markdown": "<kbd>Ctrl</kbd> **b**"}, {"noteflow": {"document_markdown": True}}
    )
    page = render_block_page(tmp_path, [included])
    assert "<kbd>Ctrl</kbd> <strong>b</strong>" in page


def test_page_markdown_output_javascript_links_are_not_live(tmp_path: Path) -> None:
    links = "[a](javascript:alert(1)) [b](JAVASCRIPT:x) <javascript:alert(3)> ![c](javascript:y)"
    page = render_block_page(tmp_path, [display({"text/markdown": links})])
    assert_nothing_runs(page)
    assert not [tag for tag, _ in block_elements(page) if tag in ("a", "img")]


def test_page_svg_output_is_an_img(tmp_path: Path) -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect/></svg>'
    page = render_block_page(tmp_path, [display({"image/svg+xml": svg})])
    assert_nothing_runs(page)
    images = [attrs for tag, attrs in block_elements(page) if tag == "img"]
    assert len(images) == 1
    prefix = "data:image/svg+xml;base64,"
    assert images[0]["src"].startswith(prefix)
    assert base64.b64decode(images[0]["src"].removeprefix(prefix)).decode() == svg


def test_page_text_outputs_are_escaped(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>&amp;"
    page = render_block_page(
        tmp_path,
        [
            stream(hostile),
            stream(hostile, "stderr"),
            {"output_type": "execute_result", "data": {"text/plain": hostile}, "metadata": {}},
            display({"application/json": {"k": hostile}}),
            {
                "output_type": "error",
                "ename": "ValueError",
                "evalue": hostile,
                "traceback": [f"\x1b[31mValueError\x1b[0m: {hostile}"],
            },
        ],
    )
    assert_nothing_runs(page)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;"
    assert page.count(escaped) == 5  # stdout, stderr, text/plain, JSON, traceback


def test_page_html_output_stays_raw_as_in_jupyter(tmp_path: Path) -> None:
    frame = '<table class="dataframe"><tr><td>1</td></tr></table>'
    page = render_block_page(
        tmp_path,
        [{"output_type": "execute_result", "data": {"text/html": frame}, "metadata": {}}],
    )
    assert f'<div class="nf-output nf-html">{frame}</div>' in page


def test_page_with_bad_and_missing_images_renders_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = LocalStore(tmp_path / ".noteflow")
    corrupt = store.put_blob(PNG_BYTES + b"another image")
    store.blob_path(corrupt).write_bytes(b"flipped")
    outputs = [
        display({"image/png": "not base64!!"}),
        display({"image/png": {"blob": "f" * 64}}),
        display({"image/png": {"blob": corrupt}}),
        display({"image/png": {"blob": store.put_blob(PNG_BYTES)}}),
    ]
    with caplog.at_level("WARNING", logger="noteflow"):
        page = render_block_page(tmp_path, outputs, store)
    assert "After the block." in page
    assert page.count("The image could not be shown: invalid base64 data.") == 1
    assert page.count("its data is missing from the cache or corrupt.") == 2
    assert 'base64,"' not in page
    assert page.count("<img") == 1 and f"base64,{PNG_B64}" in page
    assert len([r for r in caplog.records if "block show:" in r.getMessage()]) == 3


def test_page_shows_truncation_notice(tmp_path: Path) -> None:
    page = render_block_page(tmp_path, [stream("kept\n"), truncation_marker(200 * MIB)])
    assert "kept" in page
    assert "Output truncated: 200 MiB more were not kept (output-limit is 5 MiB)." in page


def test_notebook_leaves_out_images_whose_blob_is_missing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / ".noteflow")
    document = parse_document(tmp_path / "doc.md", "```{python}\n#| label: show\nx\n```\n")
    kept = display({"image/png": {"blob": store.put_blob(PNG_BYTES)}, "text/plain": "fig"})
    lost = display({"image/png": {"blob": "e" * 64}})
    result = BlockResult(BlockId("show"), "executed", (kept, lost), 0.0, "new", None)
    summary = RunSummary({result.block_id: result}, 0.0, {})
    notebook = to_notebook(document, summary, store)
    first, second = notebook.cells[0].outputs
    assert first.data == {"image/png": PNG_B64, "text/plain": "fig"}
    assert second.data == {
        "text/plain": "output could not be shown: its data is missing from the cache"
    }


# ----------------------------------------------- end to end, in a real kernel

KERNEL_DOC = """\
---
title: Hostile output
---

```{python}
#| label: show
#| error: true
from IPython.display import HTML, Markdown, SVG, display
display(Markdown("<script>alert(1)</script> **b**"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(2)</script></svg>'))
display(HTML("<b id='raw'>raw</b>"))
print("<script>alert(3)</script>")
raise ValueError("<script>alert(4)</script>")
```
"""


@pytest.mark.kernel
def test_rendered_page_runs_no_script_from_outputs(write_doc: Any) -> None:
    doc = write_doc(KERNEL_DOC)
    assert main(["render", str(doc), "-q"]) == 0
    page = doc.with_suffix(".html").read_text(encoding="utf-8")
    assert_nothing_runs(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <strong>b</strong>" in page
    assert "data:image/svg+xml;base64," in page
    assert "<b id='raw'>raw</b>" in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in page


def test_markdown_output_with_a_pandoc_caption_is_a_captioned_table() -> None:
    from noteflow.markdown import render_output_markdown

    kable = "Table: Cars <b>fast</b>\n\n| speed| dist|\n|-----:|----:|\n|     4|    2|\n"
    rendered = render_output_markdown(kable)
    assert "<caption>Cars &lt;b&gt;fast&lt;/b&gt;</caption>" in rendered
    assert "Table:" not in rendered
