"""Tests for noteflow.outputs: each MIME type, preference, escaping, ANSI, figures."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from noteflow.outputs import (
    MIME_PREFERENCE,
    RENDERERS,
    RenderContext,
    ansi_to_html,
    render_output,
    render_outputs,
)

PNG_BYTES = b"\x89PNG\r\n\x1a\nfake-png-bytes"
PNG_SHA = hashlib.sha256(PNG_BYTES).hexdigest()
PNG_B64 = base64.b64encode(PNG_BYTES).decode()
BLOBS = {PNG_SHA: PNG_BYTES}


def fake_markdown(text: str) -> str:
    return f"<md>{text}</md>"


def fake_math(latex: str, display: bool) -> str:
    return f"<math display={'block' if display else 'inline'}>{latex}</math>"


CTX = RenderContext(markdown=fake_markdown, math=fake_math, blob=BLOBS.__getitem__)


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
        "svg inline without prologue",
        display({"image/svg+xml": SVG}),
        ['<div class="nf-output nf-image"><svg width="10" height="10"><rect/></svg></div>'],
        ["<?xml", "DOCTYPE"],
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
        ["<svg></svg>"],
        ["<img"],
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
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.__getitem__, fig_cap="Cap <1>")
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
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.__getitem__, fig_cap="S")
    html = render_outputs([display({"image/svg+xml": "<svg></svg>"})], ctx)
    assert html.startswith('<figure class="nf-figure"><div class="nf-output nf-image"><svg>')


def test_fig_cap_without_image_wraps_group() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.__getitem__, fig_cap="Table 1")
    html = render_outputs([display({"text/html": "<table></table>"}), stream("x")], ctx)
    assert html.startswith('<figure class="nf-figure"><div class="nf-output nf-html">')
    assert html.endswith("<figcaption>Table 1</figcaption></figure>")


def test_fig_cap_with_no_outputs_is_empty() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.__getitem__, fig_cap="C")
    assert render_outputs([], ctx) == ""


def test_fig_alt_sets_alt_text_escaped() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.__getitem__, fig_alt='a "wave"')
    html = render_outputs([display({"image/png": PNG_B64})], ctx)
    assert 'alt="a &quot;wave&quot;"' in html


def test_asis_renders_stdout_as_markdown() -> None:
    ctx = RenderContext(fake_markdown, fake_math, BLOBS.__getitem__, asis=True)
    html = render_outputs([stream("# Title\n"), stream("| a |\n"), stream("err", "stderr")], ctx)
    assert "<md># Title\n| a |\n</md>" in html
    assert '<pre class="nf-output nf-stream nf-stdout">' not in html
    assert '<pre class="nf-output nf-stream nf-stderr">err</pre>' in html


def test_without_asis_markdown_in_stdout_is_escaped() -> None:
    html = render_outputs([stream("<b>x</b>")], CTX)
    assert "<md>" not in html and "&lt;b&gt;" in html
