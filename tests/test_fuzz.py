"""Fuzz of the parse and graph stages: bad input is a NoteflowError with a place, never a crash.

Documents are drawn to hit edge cases: front matter of random YAML (tags that do not
construct, impossible dates, anchors and recursive aliases, unhashable keys, nested
values, wrong types for the keys noteflow reads), fences with every option spelling
(`{python #id key=val .cls}`, `{r name, opt=...}`, `{code-cell} ipython3` with `:key:`
lines or a `---` header, `#|` lines of random YAML), components, inline expressions,
unicode, fences in block quotes and lists, unterminated fences and braces.

The property: `read_document` either gives a Document, whose graph then builds or fails
with a NoteflowError, or it raises a NoteflowError naming the file and a line. Any other
exception is a bug. No kernel runs. CI draws a few thousand documents (about 10 s);
`NOTEFLOW_FUZZ_EXAMPLES=100000` draws that many in total, split across the properties.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noteflow.errors import NoteflowError
from noteflow.graph import build_graph
from noteflow.model import Document
from noteflow.options import normalise, parse_fence_info, split_myst_options, split_option_lines
from noteflow.sources import read_document

PROPERTIES = 4
EXAMPLES = max(1, -(-int(os.environ.get("NOTEFLOW_FUZZ_EXAMPLES", "3000")) // PROPERTIES))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------- YAML pieces

SCALARS = [
    *("x", "1", "-1", "0", "1.5", ".nan", "-.inf", "1.0e400", "0x1F", "0o17", "1_000"),
    *("true", "FALSE", "yes", "off", "null", "~", "''", '""', "'it''s'", '"a\\tb"'),
    *("2026-01-02", "2026-13-45", "2026-02-30", "2026-01-01 25:61:00", "2026-1-1T1:00Z"),
    *("!!int x", "!!int 12", "!!float x", "!!bool maybe", "!!timestamp x", "!!null x"),
    *("!!binary ===", "!!binary aGk=", "!!str 1", "!!set {a, b}", "!!omap [a: 1]", "!!omap [1]"),
    *("!!pairs [1]", "!foo x", "!!python/name:os.system", "!<tag:x> y", "!!map [1]"),
    *("&a x", "*a", "*nope", "&a [*a]", "&b {k: *b}", "&a [1, &b [*a]]", "[*a, *a]"),
    *("[a, b]", "[1, [2, [3]]]", "{a: 1}", "{[1]: 2}", "{{a: 1}: 2}", "{1: a, b: c}", "[]"),
    *("{}", "[", "]", "{", "}", "'open", '"open', '"\\uD800"', '"\\x"', "|", ">-", "@x"),
    *("`x", "%x", "- a", "? a", ": a", "a: b: c", "#c", "a #c", "é", "日本", "\U0001f600"),
    *("\t", "\x00", "\x85", "\u2028", "\ufeff", "x" * 300, "9" * 5000, "[" * 400),
    *("<<: *a", "<<: 5", "? [1]\n: 2", "a\n  b", "|\n  text", "[a,\n b]", "'a\n\n b'"),
    *("python3", "ir", "bash", "no-such-kernel", "python3/../x", "a b"),
]
OPTION_NAMES = [
    *("label", "name", "id", "uses", "exports", "files", "cache", "eval", "echo", "output"),
    *("include", "error", "timeout", "kernel", "fig-cap", "fig.cap", "fig_cap", "classes"),
    *("class", "output-limit", "results", "tags", "code-fold", "with", "eco", "tmeout"),
    *("warning", "message", "fig-width", "x", "1", "true", "null", "'a b'", "日本", ""),
]
FRONT_KEYS = [
    *("title", "subtitle", "author", "date", "abstract", "theme", "params", "kernels"),
    *("execute", "environment", "lang", "x", "<<", "? [1]", "1", "null", "'a b'", "é"),
]
PATHS = [
    *("data.csv", "missing.csv", "sub/x.txt", "../x", "/nonexistent/x", "a" * 300),
    *("sub/" + "b" * 256, "a\x00b", "*.csv", "sub/*", "", " ", "日本.csv", "./"),
]
TYPED_VALUES = {
    "uses": ["x", "[x, y]", "5", "[{a: 1}]", "''", "[1]", "null", "data", "python-1"],
    "exports": ["x", "[x, y]", "5", "{a: 1}"],
    "files": [json.dumps(p) for p in PATHS] + ["[data.csv]", "5", "[{a: 1}]", "[sub]"],
    "timeout": ["30", "0", "-1", "1.5", ".inf", "1e999", "99999999999999999999", "x"],
    "output-limit": ["1000", "5 MB", "1 GiB", "0", "-5", "1e999 GB", "x", "true"],
    "kernel": ["python3", "ir", "a" * 300, "x/y", "''", "5"],
    "label": ["a", "load-data", "1", "a b", "python-1", "''", "x" * 300],
    "with": ["{path: data.csv}", "{1: a}", "5", "{a: [1, {b: 2}]}"],
    "path": [json.dumps(p) for p in PATHS] + ["5", "[data.csv]", "{a: 1}"],
    "value": ["d", "x", "5", "[d]", "''"],
    "title": ["Report", "2026-13-45", "[a, b]", "{a: 1}", "!!binary aGk=", "null", "5"],
    "author": ["Ada", "[Ada, Bob]", "[{name: Ada}, {x: 1}]", "{name: Ada}", "[[a]]"],
    "date": ["2026-01-02", "2026-13-45", "today", "[2026]", "2026-01-02 10:00:00"],
    "theme": ["default", "nope", "{a: 1}", "../x", "''", json.dumps("t" * 300), "5"],
    "params": ["{n: 1}", "{n: &a [*a]}", "{1: x}", "[1]", "{n: {1: a, b: c}}", "{x: 2026-01-01}"],
    "kernels": ["{python: python3}", "5", "{python: 5}", "{python: nope}", "{r: ir, 1: x}"],
    "execute": ["{echo: false}", "{timeout: -1}", "{eco: false}", "5", "{uses: x}", "{x: [1]}"],
    "environment": ["requirements.txt", "[missing.lock]", "5", json.dumps(["a\x00b"]), "[]"],
}


def _flow_list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _flow_map(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"


def _flow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        inner,
        st.lists(inner, max_size=3).map(_flow_list),
        st.lists(st.tuples(st.sampled_from(OPTION_NAMES), inner), max_size=3).map(_flow_map),
    )


PRINTABLE = st.characters(exclude_categories=("Cs", "Cc"))
"""Characters YAML accepts (control characters come from SCALARS, now and then)."""
LEAF = st.one_of(st.sampled_from(SCALARS), st.text(PRINTABLE, max_size=12))
VALUE = _flow(_flow(LEAF))
"""A YAML value in flow style: a scalar, or lists and mappings two levels deep."""
ITEM = _flow(LEAF)


KINDS = st.sampled_from(["scalar", "typed", "map", "list", "raw"])
ANCHORS = st.sampled_from(["", "", "&a ", "&b ", "!!map ", "!!seq "])
TYPED = {key: st.sampled_from(values) for key, values in TYPED_VALUES.items()}
RAW_LINE = st.text(PRINTABLE, max_size=20)


@functools.cache
def yaml_mapping(keys: tuple[str, ...], depth: int = 0) -> st.SearchStrategy[list[str]]:
    """Lines of a block-style YAML mapping: scalars, nested mappings and lists, anchors."""
    indent = "  " * depth
    key_strategy = st.one_of(st.sampled_from(keys), st.text(PRINTABLE, max_size=6))

    @st.composite
    def entry(draw: st.DrawFn) -> list[str]:
        key, kind, anchor = draw(key_strategy), draw(KINDS), draw(ANCHORS)
        if kind == "typed" and key in TYPED:
            return [f"{indent}{key}: {draw(TYPED[key])}"]
        if kind == "map" and depth < 3:
            return [f"{indent}{key}: {anchor}", *draw(yaml_mapping(keys, depth + 1))]
        if kind == "list" and depth < 3:
            items = draw(st.lists(ITEM, max_size=3))
            return [f"{indent}{key}: {anchor}", *(f"{indent}  - {item}" for item in items)]
        if kind == "raw":
            return [draw(RAW_LINE)]
        return [f"{indent}{key}: {anchor}{draw(VALUE)}"]

    return st.lists(entry(), max_size=4).map(lambda entries: [*itertools.chain(*entries)])


# --------------------------------------------------------------------------- documents

BLOCK_NAMES = [
    *("python", "py", "ipython3", "r", "R", "bash", "sh", "js", "javascript", "ts"),
    *("code-cell", "data", "include", "show", "cobol", "", "python!", "日本", "#id", ".cls"),
]
ATTRIBUTES = [
    *("#id", "#", "#a b", ".cls", ".", "label=x", "echo=false", "echo=FALSE", "eval=F"),
    *("timeout=30", "timeout=-1", 'fig-cap="a b"', "fig.cap='x'", "uses=[a, b]", "uses=x"),
    *("files=data.csv", "files=" + "f" * 300, "x=2026-13-45", "x=!!int", "x=&a", "x=*a"),
    *("x=(1", 'x="', "x='", "=", "x=", "a,b", "c(1, 2)", "y=c(1, 'a', TRUE)", "{", "}"),
    *("path=data.csv", "path=missing.csv", "value=x", "output-limit=5MB", "name=n", "eco=1"),
    *("kernel=ir", "kernel=" + "k" * 300, "with=1", "1=2", "é=ü", "a=[", "a=]"),
]
CODE_LINES = [
    *("x = 1", "print(x)", "y = x + 1", "import os", "os.environ['A'] = '1'", "del x"),
    *("exec('z = 1')", "def f(:", "%matplotlib inline", "!ls", "items.append(1)"),
    *("from m import *", "global g", "lambda: x", "cat data.csv", "x <- 1", "let a = 1;"),
    *("", "```", "~~~", "#| echo: false", ":tags: [remove-input]", "---", "\t", "日本 = 1"),
]


OPTION_MAPPING = yaml_mapping(tuple(OPTION_NAMES))
OPTION_LINES = st.builds(
    lambda prefix, lines: [prefix + line for line in lines],
    st.sampled_from(["#| ", "#|", "//| ", "#|  ", "-- | "]),
    OPTION_MAPPING,
)
MYST_HEADER = st.one_of(
    st.lists(st.tuples(st.sampled_from(OPTION_NAMES), VALUE), max_size=3).map(
        lambda pairs: [f":{key}: {value}" for key, value in pairs]
    ),
    st.builds(
        lambda lines, closing: ["---", *lines, closing],
        OPTION_MAPPING,
        st.sampled_from(["---", "---", ""]),
    ),
)
MARKERS = st.sampled_from(["```", "~~~", "````"])
SEPARATOR = st.sampled_from([" ", ", ", ","])
ATTRIBUTE_LISTS = st.lists(st.one_of(st.sampled_from(ATTRIBUTES), st.text(max_size=8)))
BRACES = st.sampled_from([("{", "}"), ("{", "}"), ("{{", "}}"), ("{", ""), ("", "")])
ARGUMENTS = st.sampled_from(["", "", " ipython3", " python3", " ir", " julia", " a b"])
BODIES = st.lists(st.one_of(st.sampled_from(CODE_LINES), st.text(max_size=15)), max_size=4)


@st.composite
def fence(draw: st.DrawFn) -> str:
    marker, name = draw(MARKERS), draw(st.sampled_from(BLOCK_NAMES))
    opening, closing = draw(BRACES)
    inner = draw(SEPARATOR).join([name, *draw(ATTRIBUTE_LISTS)])
    header = [f"{marker}{opening}{inner}{closing}{draw(ARGUMENTS)}"]
    if name == "code-cell":
        header += draw(MYST_HEADER)
    elif draw(st.booleans()):
        header += draw(OPTION_LINES)
    end = draw(st.sampled_from([marker, marker, marker + "`", "", "```"]))
    return "\n".join([*header, *draw(BODIES), end])


TAME_NAMES = ["python", "python", "r", "bash", "js", "data", "include", "show", "code-cell"]
TAME_OPTION_NAMES = sorted({*TYPED_VALUES.keys() & set(OPTION_NAMES), "echo", "eval", "eco"})
COMPONENT_PARAMETERS = ["path", "path", "value", "label", "uses", "name", "preview", "x"]
TAME_OPTIONS = st.lists(
    st.sampled_from(TAME_OPTION_NAMES).flatmap(
        lambda key: st.tuples(st.just(key), TYPED.get(key, st.sampled_from(["false", "true"])))
    ),
    max_size=3,
)
TAME_PARAMETERS = st.lists(
    st.sampled_from(COMPONENT_PARAMETERS).flatmap(
        lambda key: st.tuples(st.just(key), TYPED.get(key, st.sampled_from(["x", "5", "[1]"])))
    ),
    max_size=3,
)
TAME_CODE = st.lists(st.sampled_from(CODE_LINES[:16]), max_size=3)


@st.composite
def tame_fence(draw: st.DrawFn) -> str:
    """A fence noteflow reads without trouble, but with odd option values."""
    name, options = draw(st.sampled_from(TAME_NAMES)), draw(TAME_OPTIONS)
    if name == "code-cell":
        header = ["```{code-cell} ipython3", *(f":{key}: {value}" for key, value in options)]
    elif name in ("data", "include", "show"):
        parameters = draw(TAME_PARAMETERS)
        lines = [f"{key}: {value}" for key, value in parameters]
        label = f"#{name}-{draw(st.integers(1, 5))}"
        return "\n".join([f"```{{{name} {label}}}", *lines, "```"])
    else:
        header = [f"```{{{name}}}", *(f"#| {key}: {value}" for key, value in options)]
    return "\n".join([*header, *draw(TAME_CODE), "```"])


TAME_FRONT_MATTER = st.lists(
    st.sampled_from([k for k in FRONT_KEYS if k in TYPED]).flatmap(
        lambda key: st.tuples(st.just(key), TYPED[key])
    ),
    max_size=4,
    unique_by=lambda pair: pair[0],
).map(lambda pairs: "\n".join(["---", *(f"{key}: {value}" for key, value in pairs), "---"]))
FRONT_MATTER_TEXT = st.builds(
    lambda lines, closing: "\n".join(["---", *lines, closing]),
    yaml_mapping(tuple(FRONT_KEYS)),
    st.sampled_from(["---", "---", "...", ""]),
)


def contained(piece: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A piece as is, in a block quote, or in a list item."""

    def wrap(text: str, style: str) -> str:
        if not style:
            return text
        return "\n".join(style + line for line in text.split("\n"))

    return st.builds(wrap, piece, st.sampled_from(["", "", "> ", "- ", "   ", "1. "]))


PROSE = st.one_of(
    st.sampled_from(["Some text.", "# Title", "`{python} x`", "`{r} 1 + 1`", "`{cobol} x`"]),
    st.sampled_from(["`{python}`", "$x$", "| a |\n|---|", "[^1]\n\n[^1]: note", "{#x .y}"]),
    st.text(max_size=30),
)


PIECES = st.lists(st.one_of(contained(fence()), tame_fence(), PROSE), max_size=5)
FRONT_MATTER = st.one_of(st.just(""), FRONT_MATTER_TEXT)
SEPARATORS = st.sampled_from(["\n\n", "\n", "\r\n"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts = [draw(FRONT_MATTER), *draw(PIECES)]
    return draw(SEPARATORS).join(part for part in parts if part)


# --------------------------------------------------------------------------- the property


class _FormatOnly(logging.Handler):
    """Formats each warning (so a bad format fails the test) and keeps nothing."""

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


@contextlib.contextmanager
def warnings_formatted_only() -> Iterator[None]:
    """Warnings are formatted and dropped: 100,000 documents would fill pytest's log capture."""
    logger = logging.getLogger("noteflow")
    saved = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [_FormatOnly()], False
    try:
        yield
    finally:
        logger.handlers, logger.propagate = saved


# A few thousand examples take about 15 s: the full suite (and CI) runs them, the fast
# tier does not.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A document folder with a few real files for `files:` and components to find."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "sub").mkdir()
    (root / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (root / "sub" / "x.txt").write_text("x\n", encoding="utf-8")
    return root


def assert_placed(err: NoteflowError, path: Path) -> None:
    assert err.path == str(path.resolve()), f"{type(err).__name__} without the path: {err}"
    assert err.line is not None and err.line >= 1, f"{type(err).__name__} without a line: {err}"


def check_document(folder: Path, text: str) -> None:
    path = folder / "doc.md"
    path.write_text(text, encoding="utf-8")
    with warnings_formatted_only():
        try:
            document = read_document(path)
        except NoteflowError as err:
            assert_placed(err, path)
            return
        if _reaches_outside(document, folder):
            return
        try:
            build_graph(document)
        except NoteflowError as err:
            assert_placed(err, path)


def _reaches_outside(document: Document, folder: Path) -> bool:
    """True when a `files:` or component `path:` names a place outside the document folder.

    The graph stage walks such folders (`files: [/]` hashes the whole disk), which a fuzz
    on a shared machine must not do; inside the folder every odd name is tried.
    """
    for block in document.blocks:
        names = [*(block.option("files") or ()), (block.option("with") or {}).get("path")]
        for name in names:
            place = os.path.normpath(folder / str(name))
            inside = place == str(folder) or place.startswith(str(folder) + os.sep)
            if name is not None and not inside:
                return True
    return False


@FUZZ
@given(text=documents())
def test_documents_parse_or_fail_with_a_place(folder: Path, text: str) -> None:
    check_document(folder, text)


@FUZZ
@given(
    front=st.one_of(st.just(""), TAME_FRONT_MATTER),
    fences=st.lists(tame_fence(), min_size=1, max_size=4),
)
def test_tame_documents_build_a_graph_or_fail_with_a_place(
    folder: Path, front: str, fences: list[str]
) -> None:
    check_document(folder, "\n\n".join([front, *fences]))


@FUZZ
@given(
    start=st.sampled_from(["", "---\n", "```{python}\n"]),
    text=st.text(alphabet=st.sampled_from("-{}#|:`~>\n =.,'\"[]&*!x1 pyr\t"), max_size=200),
)
def test_markdown_noise_parses_or_fails_with_a_place(folder: Path, start: str, text: str) -> None:
    check_document(folder, start + text)


@FUZZ
@given(
    info=st.one_of(st.sampled_from(ATTRIBUTES), st.text(max_size=40)).map(
        lambda s: "{python " + s + "}"
    ),
    lines=OPTION_LINES,
    myst=MYST_HEADER,
    pairs=st.dictionaries(st.sampled_from(OPTION_NAMES), st.sampled_from(SCALARS), max_size=4),
)
def test_option_parsers_fail_only_with_a_place(
    info: str, lines: list[str], myst: list[str], pairs: dict[str, str]
) -> None:
    calls = [
        lambda: parse_fence_info(info, path="d.md", line=3),
        lambda: split_option_lines("\n".join(lines), ("#|", "//|"), path="d.md", line=3),
        lambda: split_myst_options("\n".join(myst), path="d.md", line=3),
        lambda: normalise(pairs, path="d.md", line=3),
    ]
    for call in calls:
        try:
            with warnings_formatted_only():
                call()
        except NoteflowError as err:
            assert err.path == "d.md" and err.line is not None and err.line >= 3
