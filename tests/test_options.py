"""Tests for noteflow.options: info strings, option lines, MyST options, normalising, merging."""

from __future__ import annotations

from typing import Any

import pytest

from noteflow.errors import OptionError
from noteflow.options import (
    ALL_OPTIONS,
    DISPLAY_ONLY_OPTIONS,
    EXECUTION_OPTIONS,
    KNOWN_OPTIONS,
    FenceHeader,
    key_options,
    merge_options,
    normalise,
    parse_fence_info,
    split_myst_options,
    split_option_lines,
    unknown_option_message,
)

PATH = "doc.md"
LINE = 10

# The same options in Pandoc attributes and in an R Markdown chunk header.
LOAD_OPTIONS = {
    "label": "load",
    "classes": ["wide"],
    "timeout": 30,
    "echo": False,
    "fig-cap": "A caption, with a comma",
}


def typed(value: Any) -> Any:
    """`value` with the type of every scalar made visible, so `7` never equals `7.0` or `True`."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


def header(
    name: str, options: dict[str, Any] | None = None, argument: str | None = None
) -> FenceHeader:
    return FenceHeader(name, argument, options or {}, escaped=False)


INFO_STRINGS: list[tuple[str, FenceHeader | None]] = [
    # not braced, or braces holding only Pandoc attributes / a raw format: display only
    ("python", None),
    ("", None),
    ("  python {x=1}", None),
    ("{.python}", None),
    ("{#snippet .python}", None),
    ("{=html}", None),
    # plain and spaced names
    ("{python}", header("python")),
    ("  { python }  ", header("python")),
    ("{R}", header("R")),
    ("{ojs}", header("ojs")),
    # Pandoc attributes
    (
        '{python #load .wide .small timeout=30 echo=false fig-cap="A caption with spaces"'
        " key='single'}",
        header(
            "python",
            {
                "label": "load",
                "classes": ["wide", "small"],
                "timeout": 30,
                "echo": False,
                "fig-cap": "A caption with spaces",
                "key": "single",
            },
        ),
    ),
    (
        "{python echo=true x=null ratio=0.5}",
        header("python", {"echo": True, "x": None, "ratio": 0.5}),
    ),
    ('{python fig-cap="say \\"hi\\""}', header("python", {"fig-cap": 'say "hi"'})),
    ("{python fig-cap='it\\'s'}", header("python", {"fig-cap": "it's"})),
    ('{python fig-cap="30"}', header("python", {"fig-cap": "30"})),
    ("{python uses=[a, b] exports=c}", header("python", {"uses": ["a", "b"], "exports": ["c"]})),
    (
        "{python color=#fff day=2024-01-01}",
        header("python", {"color": "#fff", "day": "2024-01-01"}),
    ),
    ('{python x="{braces}"}', header("python", {"x": "{braces}"})),
    ("{python load}", header("python", {"label": "load"})),
    ("{python #a label=a}", header("python", {"label": "a"})),
    ("{python name=load}", header("python", {"label": "load"})),
    ("{python id=load}", header("python", {"label": "load"})),
    ('{python fig_cap="x" FIG.ALT="y"}', header("python", {"fig-cap": "x", "fig-alt": "y"})),
    (
        "{r .wide #load echo=false}",
        header("r", {"label": "load", "echo": False, "classes": ["wide"]}),
    ),
    # R Markdown chunk headers
    (
        "{r load, echo=FALSE, fig.cap=\"Sales by month\", fig.width=7, results='asis',"
        ' message=F, tags=c("a", "b"), eval=TRUE}',
        header(
            "r",
            {
                "label": "load",
                "echo": False,
                "fig-cap": "Sales by month",
                "fig-width": 7,
                "results": "asis",
                "message": False,
                "tags": ["a", "b"],
                "eval": True,
            },
        ),
    ),
    ("{r, echo=FALSE}", header("r", {"echo": False})),
    ("{r load}", header("r", {"label": "load"})),
    ("{R load}", header("R", {"label": "load"})),
    ("{r setup, include=FALSE}", header("r", {"label": "setup", "include": False})),
    ("{r echo = T , cache=F}", header("r", {"echo": True, "cache": False})),
    ("{r fig.dim=c(4,3)}", header("r", {"fig-width": 4, "fig-height": 3})),
    ("{r x=x+1, y=c(1)+c(2)}", header("r", {"x": "x+1", "y": "c(1)+c(2)"})),
    ("{r z=NA, w=NULL, v=c()}", header("r", {"z": None, "w": None, "v": []})),
    ("{r n=-1.5e2, k=5L, f=.5}", header("r", {"n": -150.0, "k": 5, "f": 0.5})),
    ("{r results='hide'}", header("r", {"results": "hide"})),
    ('{r results="markup"}', header("r", {"results": "markup"})),
    ("{r results='hold'}", header("r", {"results": "hold"})),
    ("{r results=FALSE}", header("r", {"results": False})),
    ('{r cap="a, b", v=c("x, y", \'z\')}', header("r", {"cap": "a, b", "v": ["x, y", "z"]})),
    (
        '{python, label="load", class="wide small"}',
        header("python", {"label": "load", "classes": ["wide", "small"]}),
    ),
    ('{r "quoted-label"}', header("r", {"label": "quoted-label"})),
    # the same options spelled as Pandoc attributes and as R Markdown chunk headers
    (
        '{python #load .wide timeout=30 echo=false fig-cap="A caption, with a comma"}',
        header("python", LOAD_OPTIONS),
    ),
    (
        '{python load, class="wide", timeout=30, echo=FALSE, fig.cap="A caption, with a comma"}',
        header("python", LOAD_OPTIONS),
    ),
    (
        "{r load, class='wide', timeout=30L, echo=F, fig_cap='A caption, with a comma'}",
        header("r", LOAD_OPTIONS),
    ),
    # escapes
    ("{{python}}", FenceHeader("python", None, {}, escaped=True)),
    ("{{ r }}", FenceHeader("r", None, {}, escaped=True)),
    ("{{python echo=false}}", FenceHeader("python", None, {}, escaped=True)),
    # MyST
    ("{code-cell} ipython3", header("code-cell", argument="ipython3")),
    ("{code-cell}", header("code-cell")),
    ("{code-cell}   python3  ", header("code-cell", argument="python3")),
    # components look like languages
    (
        "{data #sales path=data/sales.csv}",
        header("data", {"label": "sales", "path": "data/sales.csv"}),
    ),
]


@pytest.mark.parametrize(("info", "expected"), INFO_STRINGS, ids=[row[0] for row in INFO_STRINGS])
def test_parse_fence_info(info: str, expected: FenceHeader | None) -> None:
    parsed = parse_fence_info(info, path=PATH, line=LINE)
    assert parsed == expected
    if parsed is not None and expected is not None:
        assert typed(parsed.options) == typed(expected.options)


def test_info_table_covers_equivalent_spellings() -> None:
    spellings = [
        info for info, expected in INFO_STRINGS if expected and expected.options == LOAD_OPTIONS
    ]
    assert len(spellings) == 3
    assert any("," in info for info in spellings)
    assert any("#load" in info for info in spellings)


OPTION_LINES: list[tuple[str, tuple[str, ...], dict[str, Any], str, int]] = [
    ("#| label: load\nx = 1\n", ("#|",), {"label": "load"}, "x = 1\n", 1),
    ("#|label: load\nx", ("#|",), {"label": "load"}, "x", 1),
    ("    #| echo: false\n    x\n", ("#|",), {"echo": False}, "    x\n", 1),
    (
        '#| uses: [a, b]\n#| fig-cap: "x: y"\nx',
        ("#|",),
        {"uses": ["a", "b"], "fig-cap": "x: y"},
        "x",
        2,
    ),
    ("#| uses:\n#|   - a\n#|   - b\nx = a + b", ("#|",), {"uses": ["a", "b"]}, "x = a + b", 3),
    ("#|   label: a\n#|   echo: false\nx", ("#|",), {"label": "a", "echo": False}, "x", 2),
    ("#|label: a\n#| echo: false\nx", ("#|",), {"label": "a", "echo": False}, "x", 2),
    ("//| echo: false\nconsole.log(1)", ("//|",), {"echo": False}, "console.log(1)", 1),
    ("--| echo: false\nselect 1", ("#|", "--|"), {"echo": False}, "select 1", 1),
    ("// echo: false\nx", ("//|",), {}, "// echo: false\nx", 0),
    ("# | echo: false\nx", ("#|",), {}, "# | echo: false\nx", 0),
    ("x = 1\n#| echo: false\n", ("#|",), {}, "x = 1\n#| echo: false\n", 0),
    ("\n#| echo: false\nx", ("#|",), {}, "\n#| echo: false\nx", 0),
    ("#| echo: false\r\nx\r\n", ("#|",), {"echo": False}, "x\r\n", 1),
    ("#|\n#| echo: false\nx", ("#|",), {"echo": False}, "x", 2),
    ("#|\nx", ("#|",), {}, "x", 1),
    ("#| echo: false", ("#|",), {"echo": False}, "", 1),
    ("", ("#|",), {}, "", 0),
    ("#| fig.cap: A\n#| name: b\nx", ("#|",), {"fig-cap": "A", "label": "b"}, "x", 2),
    ("#| echo: FALSE\n#| results: asis\nx", ("#|",), {"echo": False, "results": "asis"}, "x", 2),
    (
        "#| timeout: 2.5\n#| files: data.csv\nx",
        ("#|",),
        {"timeout": 2.5, "files": ["data.csv"]},
        "x",
        2,
    ),
]


@pytest.mark.parametrize(
    ("body", "prefixes", "options", "code", "removed"),
    OPTION_LINES,
    ids=[repr(row[0]) for row in OPTION_LINES],
)
def test_split_option_lines(
    body: str, prefixes: tuple[str, ...], options: dict[str, Any], code: str, removed: int
) -> None:
    parsed, rest, count = split_option_lines(body, prefixes, path=PATH, line=LINE)
    assert (typed(parsed), rest, count) == (typed(options), code, removed)


MYST_BODIES: list[tuple[str, dict[str, Any], str, int]] = [
    ("print(1)", {}, "print(1)", 0),
    (":tags: [remove-input]\nprint(1)", {"tags": ["remove-input"], "echo": False}, "print(1)", 1),
    (":tags: [remove-output]\nx", {"tags": ["remove-output"], "output": False}, "x", 1),
    (":tags: [remove-cell]\nx", {"tags": ["remove-cell"], "include": False}, "x", 1),
    (":tags: [hide-input]\nx", {"tags": ["hide-input"], "code-fold": True}, "x", 1),
    (
        ":tags: [hide-input, hide-output]\nx",
        {"tags": ["hide-input", "hide-output"], "code-fold": True},
        "x",
        1,
    ),
    (":tags: [raises-exception]\nx", {"tags": ["raises-exception"], "error": True}, "x", 1),
    (":tags: [skip-execution]\nx", {"tags": ["skip-execution"], "eval": False}, "x", 1),
    (":tags: [my-own-tag]\nx", {"tags": ["my-own-tag"]}, "x", 1),
    (":tags: remove-input\nx", {"tags": ["remove-input"], "echo": False}, "x", 1),
    (":tags: [remove-input]\n:echo: false\nx", {"tags": ["remove-input"], "echo": False}, "x", 2),
    (":label: load\n:timeout: 5\n\nx", {"label": "load", "timeout": 5}, "\nx", 2),
    (
        "---\ntags: [remove-cell]\nlabel: x\n---\nprint(1)",
        {"tags": ["remove-cell"], "include": False, "label": "x"},
        "print(1)",
        4,
    ),
    ("---\n---\nx", {}, "x", 2),
    ("---\nuses:\n  - a\n---\n", {"uses": ["a"]}, "", 4),
]


@pytest.mark.parametrize(
    ("body", "options", "code", "removed"), MYST_BODIES, ids=[repr(row[0]) for row in MYST_BODIES]
)
def test_split_myst_options(body: str, options: dict[str, Any], code: str, removed: int) -> None:
    parsed, rest, count = split_myst_options(body, path=PATH, line=LINE)
    assert (typed(parsed), rest, count) == (typed(options), code, removed)


NORMALISE: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"fig.cap": "x"}, {"fig-cap": "x"}),
    ({"fig_cap": "x"}, {"fig-cap": "x"}),
    ({"FIG-CAP": "x"}, {"fig-cap": "x"}),
    ({"fig.cap": "x", "fig-cap": "x"}, {"fig-cap": "x"}),
    ({"name": "a"}, {"label": "a"}),
    ({"id": "a"}, {"label": "a"}),
    ({"label": "a.b-c_D1"}, {"label": "a.b-c_D1"}),
    ({"class": "wide small"}, {"classes": ["wide", "small"]}),
    ({"classes": ["wide"]}, {"classes": ["wide"]}),
    ({"uses": "a"}, {"uses": ["a"]}),
    ({"uses": "a, b ,c,"}, {"uses": ["a", "b", "c"]}),
    ({"exports": ["x", "y"]}, {"exports": ["x", "y"]}),
    ({"files": "data/sales.csv"}, {"files": ["data/sales.csv"]}),
    ({"timeout": 30}, {"timeout": 30}),
    ({"timeout": 0.5}, {"timeout": 0.5}),
    (
        {"cache": False, "eval": True, "echo": False, "include": True, "error": True},
        {"cache": False, "eval": True, "echo": False, "include": True, "error": True},
    ),
    ({"output": "asis"}, {"output": "asis"}),
    ({"output": False}, {"output": False}),
    ({"results": "asis"}, {"results": "asis"}),
    ({"results": "hide"}, {"results": "hide"}),
    ({"results": False}, {"results": False}),
    ({"results": "hold"}, {"results": "hold"}),
    ({"results": "hide", "output": False}, {"results": "hide", "output": False}),
    ({"kernel": "python3"}, {"kernel": "python3"}),
    ({"output-limit": 1000}, {"output-limit": 1000}),
    ({"output_limit": "5 MB"}, {"output-limit": 5_000_000}),
    ({"output-limit": "2kB"}, {"output-limit": 2000}),
    ({"output-limit": "1 MiB"}, {"output-limit": 1_048_576}),
    ({"output-limit": "1.5GB"}, {"output-limit": 1_500_000_000}),
    ({"output-limit": "300"}, {"output-limit": 300}),
    (
        {"code-fold": True, "R.options": {"width": 80}},
        {"code-fold": True, "r-options": {"width": 80}},
    ),
    ({}, {}),
]


@pytest.mark.parametrize(("options", "expected"), NORMALISE, ids=[repr(r[0]) for r in NORMALISE])
def test_normalise(options: dict[str, Any], expected: dict[str, Any]) -> None:
    assert typed(normalise(options, path=PATH, line=LINE)) == typed(expected)


@pytest.mark.parametrize(("options", "expected"), NORMALISE, ids=[repr(r[0]) for r in NORMALISE])
def test_normalise_is_idempotent(options: dict[str, Any], expected: dict[str, Any]) -> None:
    assert normalise(expected, path=PATH, line=LINE) == expected


MERGES: list[tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]] = [
    ([], {}),
    (
        [("fence header", {"label": "a"}), ("option lines", {"echo": False})],
        {"label": "a", "echo": False},
    ),
    ([("fence header", {"echo": False}), ("option lines", {"echo": False})], {"echo": False}),
    ([("fence header", {"timeout": 30}), ("option lines", {"timeout": 30.0})], {"timeout": 30}),
    (
        [("a", {"uses": ["x"]}), ("b", {}), ("c", {"uses": ["x"], "eval": True})],
        {"uses": ["x"], "eval": True},
    ),
]


@pytest.mark.parametrize(("sources", "expected"), MERGES, ids=[repr(r[0]) for r in MERGES])
def test_merge_options(sources: list[tuple[str, dict[str, Any]]], expected: dict[str, Any]) -> None:
    assert merge_options(sources, path=PATH, line=LINE) == expected


def _call(kind: str, given: Any) -> object:
    if kind == "info":
        return parse_fence_info(given, path=PATH, line=LINE)
    if kind == "lines":
        return split_option_lines(given, ("#|",), path=PATH, line=LINE)
    if kind == "myst":
        return split_myst_options(given, path=PATH, line=LINE)
    if kind == "normalise":
        return normalise(given, path=PATH, line=LINE)
    return merge_options(given, path=PATH, line=LINE)


# (what is called, its input, the expected error line, fragments the message must contain)
ERRORS: list[tuple[str, Any, int, list[str]]] = [
    ("info", "{python", 10, ["unterminated", "`{`"]),
    ("info", '{python fig-cap="abc}', 10, ["unterminated", '"', "quote"]),
    ("info", "{python x='abc}", 10, ["unterminated", "'", "quote"]),
    ("info", "{python x=(1", 10, ["unclosed bracket"]),
    ("info", "{{python}", 10, ["unterminated", "`{{`"]),
    ("info", "{}", 10, ["no block name"]),
    ("info", "{{ }}", 10, ["no block name"]),
    ("info", "{python#load}", 10, ["bad block name", "'python#load'"]),
    ("info", "{r load echo=FALSE}", 10, ["bad option name", "'load echo'"]),
    ("info", "{python echo=}", 10, ["'echo'", "no value"]),
    ("info", '{python x="a"b}', 10, ["after the closing quote", '"a"b']),
    ("info", "{python a b}", 10, ["'label'", '"a"', '"b"']),
    ("info", "{python #a name=b}", 10, ["'label'", '"a"', '"b"', "`#a`", "`name=b`"]),
    ("info", "{python echo=false echo=true}", 10, ["'echo'", "false", "true"]),
    ("info", "{python echo=F}", 10, ["'echo'", "true or false", '"F"']),
    ("info", "{python timeout=-1}", 10, ["'timeout'", "positive", "-1"]),
    ("info", "{r timeout=0}", 10, ["'timeout'", "positive", "0"]),
    ("info", '{r "my/label"}', 10, ["'label'", '"my/label"']),
    ("info", "{code-cell} ipython3 extra", 10, ["code-cell", "one argument", "ipython3 extra"]),
    (
        "lines",
        "#| label: a\n#| fig-cap: x: y\nx",
        11,
        ["bad YAML", "mapping values are not allowed"],
    ),
    ("lines", "#| a: [1\n#| b: 2", 11, ["bad YAML"]),
    ("lines", "#| just text\n", 10, ["key: value", '"just text"']),
    ("lines", "#| - a\n#| - b\n", 10, ["key: value", '["a", "b"]']),
    ("lines", "#| label: a\n#| echo: maybe", 11, ["'echo'", "true or false", '"maybe"']),
    ("lines", "#| label: two/words", 10, ["'label'", '"two/words"']),
    ("lines", "#| label: 2024", 10, ["'label'", "2024"]),
    ("lines", "#| echo: false\n#| uses: [1, 2]", 11, ["'uses'", "[1, 2]"]),
    ("lines", "#| exports: {a: 1}", 10, ["'exports'", '{"a": 1}']),
    (
        "lines",
        "#| fig.cap: a\n#| fig-cap: b",
        11,
        ["'fig-cap'", '"a"', '"b"', "`fig.cap`", "`fig-cap`"],
    ),
    ("lines", "#| output: sometimes", 10, ["'output'", "asis", '"sometimes"']),
    ("lines", "#| timeout: true", 10, ["'timeout'", "true"]),
    ("lines", "#| eval: 1.5", 10, ["'eval'", "true or false", "1.5"]),
    ("lines", "#| 1: x", 10, ["option name", "1"]),
    ("lines", "#| classes: [1]", 10, ["'classes'", "[1]"]),
    ("lines", "#| kernel: ''", 10, ["'kernel'", '""']),
    (
        "myst",
        ":tags: [remove-input]\n:echo: true\nx",
        11,
        ["'echo'", "true", "false", "remove-input"],
    ),
    ("myst", ":echo: sure\nx", 10, ["'echo'", '"sure"']),
    ("myst", ":label: a\n:timeout: [\nx", 11, ["bad YAML"]),
    ("myst", ":tags: {a: 1}\nx", 10, ["'tags'", "list of tag names"]),
    ("myst", "---\ntags: [a]\nx", 10, ["`---`", "not closed"]),
    ("myst", "---\nlabel: [a\n---\n", 11, ["bad YAML"]),
    ("myst", "---\nlabel: a\ntimeout: -5\n---\nx", 12, ["'timeout'", "-5"]),
    ("myst", "---\n- a\n---\n", 11, ["key: value"]),
    ("normalise", {"echo": "yes"}, 10, ["'echo'", '"yes"']),
    ("normalise", {"output-limit": 0}, 10, ["'output-limit'", "positive number of bytes", "0"]),
    ("normalise", {"output-limit": "5 TB"}, 10, ["'output-limit'", '"5 TB"']),
    ("normalise", {"output-limit": True}, 10, ["'output-limit'", "true"]),
    ("normalise", {"output-limit": "1e999 GB"}, 10, ["'output-limit'"]),
    ("normalise", {"kernel": "../python3"}, 10, ["'kernel'", "kernelspec name"]),
    ("normalise", {"files": ["ok.csv", "a\0b"]}, 10, ["'files'", "impossible path"]),
    ("normalise", {"files": "d/" + "x" * 256}, 10, ["'files'", "impossible path", "..."]),
    ("normalise", {"with": {"a": {2: 1}}}, 10, ["'with'", "key 2", "not text"]),
    ("lines", "#| echo: false\n#| x: !!int x", 11, ["bad YAML", "'x' is not an integer"]),
    ("lines", "#| a: &a [*a]", 10, ["bad YAML", "alias refers to a value that contains it"]),
    ("lines", "#| a: {[1]: 2}", 10, ["bad YAML", "unhashable key"]),
    ("myst", ":tags: [a]\n:when: 2026-13-45\nx", 11, ["bad YAML", "'2026-13-45' is not a date"]),
    ("myst", "---\nlabel: a\nx: !!float x\n---\n", 12, ["bad YAML", "'x' is not a number"]),
    ("normalise", {"timeout": float("inf")}, 10, ["'timeout'", "Infinity"]),
    ("normalise", {"label": ""}, 10, ["'label'", '""']),
    ("normalise", {"class": ["a", ""]}, 10, ["'classes'", '["a", ""]']),
    ("normalise", {"files": " , "}, 10, ["'files'", '" , "']),
    ("normalise", {"uses": None}, 10, ["'uses'", "null"]),
    ("normalise", {"name": "a", "label": "b"}, 10, ["'label'", '"a"', '"b"', "`name`", "`label`"]),
    (
        "merge",
        [("fence header", {"echo": False}), ("option lines", {"echo": True})],
        10,
        ["'echo'", "false", "true", "fence header", "option lines"],
    ),
    (
        "merge",
        [("fence header", {"x": 1}), ("option lines", {"x": True})],
        10,
        ["'x'", "1", "true", "fence header", "option lines"],
    ),
]


@pytest.mark.parametrize(
    ("kind", "given", "line", "fragments"),
    ERRORS,
    ids=[f"{row[0]}:{row[1]!r}" for row in ERRORS],
)
def test_errors(kind: str, given: Any, line: int, fragments: list[str]) -> None:
    with pytest.raises(OptionError) as caught:
        _call(kind, given)
    err = caught.value
    assert (err.path, err.line) == (PATH, line)
    for fragment in fragments:
        assert fragment in err.message


def test_display_only_options_never_change_execution() -> None:
    execution = {"uses", "exports", "files", "cache", "eval", "error", "timeout", "kernel"}
    assert execution | {"output-limit"} <= KNOWN_OPTIONS
    assert not execution & DISPLAY_ONLY_OPTIONS
    assert {"echo", "output", "include", "fig-cap", "code-fold"} <= DISPLAY_ONLY_OPTIONS


def test_key_options_keep_what_changes_execution_and_drop_the_rest() -> None:
    options = {
        "timeout": 30,
        "eval": True,
        "cache": False,
        "error": True,
        "kernel": "python3",
        "output-limit": 1000,
        "with": {"path": "d.csv"},
        "echo": False,
        "fig-cap": "A figure",
        "label": "load",
        "classes": ["wide"],
        "uses": ["x"],
        "files": ["d.csv"],
        "eco": False,
        "fig-width": 5,
        "tags": ["remove-input"],
    }
    assert key_options(options) == {
        "cache": False,
        "error": True,
        "eval": True,
        "fig-width": 5,
        "kernel": "python3",
        "output-limit": 1000,
        "timeout": 30,
        "with": {"path": "d.csv"},
    }
    assert list(key_options(options)) == sorted(key_options(options))
    assert key_options({"eco": False, "echo": True}) == {}


def test_every_option_name_noteflow_knows_is_in_all_options() -> None:
    assert KNOWN_OPTIONS | DISPLAY_ONLY_OPTIONS | EXECUTION_OPTIONS <= ALL_OPTIONS
    assert {"output-limit", "tags", "results", "message", "fig-width"} <= ALL_OPTIONS
    assert "eco" not in ALL_OPTIONS


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("eco", "unknown option 'eco'; did you mean 'echo'?"),
        ("timout", "unknown option 'timout'; did you mean 'timeout'?"),
        ("output-limt", "unknown option 'output-limt'; did you mean 'output-limit'?"),
        ("zzzz", "unknown option 'zzzz'; it is ignored"),
    ],
)
def test_unknown_option_message(name: str, message: str) -> None:
    assert unknown_option_message(name) == message


def test_option_lines_warn_of_an_unknown_name_at_its_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="noteflow"):
        options, _, _ = split_option_lines(
            "#| echo: false\n#| eco: true\nx", ("#|",), path=PATH, line=LINE
        )
    assert options == {"echo": False, "eco": True}
    assert [r.getMessage() for r in caplog.records] == [
        "doc.md:11: unknown option 'eco'; did you mean 'echo'?"
    ]


def test_an_absurdly_long_number_in_a_chunk_header_warns_and_is_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    header = parse_fence_info("{r, timeout=" + "9" * 5000 + "}", path="d.Rmd", line=4)
    assert header is not None and "timeout" not in header.options
    assert any(r.getMessage().startswith("d.Rmd:4:") for r in caplog.records)
