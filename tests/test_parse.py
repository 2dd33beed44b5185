"""Tests for noteflow.parse: documents in, blocks and front matter out.

Fixture documents live in `tests/fixtures/parse/NAME.md`, each with its hand-checked
expectation in `NAME.json`: the front matter, the executable blocks, and the fences that
are only displayed. To rewrite the expectations after an intended change, run

    NOTEFLOW_UPDATE_FIXTURES=1 python -m pytest tests/test_parse.py

and review the diff of the `.json` files before committing them.

Errors are a table: document text -> error type, line, and a piece of the message.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

import pytest

from noteflow.errors import DocumentError, NoteflowError, OptionError
from noteflow.model import Document
from noteflow.parse import parse_document
from noteflow.sources import read_document

FIXTURES = Path(__file__).parent / "fixtures" / "parse"
UPDATE = os.environ.get("NOTEFLOW_UPDATE_FIXTURES") == "1"


def _jsonable(value: Any) -> Any:
    """Front matter and options as JSON: YAML dates become ISO strings."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def summary(document: Document) -> dict[str, Any]:
    """What a fixture's `.json` holds."""
    blocks = [
        {
            "id": block.id,
            "kind": block.kind,
            "language": block.language,
            "code": block.code,
            "options": _jsonable(dict(block.options)),
            "line": block.line,
            "labelled": block.labelled,
        }
        for block in document.blocks
    ]
    displayed = [
        {
            "line": (token.map[0] if token.map else 0) + 1,
            "info": token.info,
            "verbatim": token.meta.get("nf_verbatim"),
        }
        for token in document.tokens
        if token.type in ("fence", "code_block") and "nf_block" not in token.meta
    ]
    return {
        "front_matter": _jsonable(dict(document.front_matter)),
        "blocks": blocks,
        "displayed": displayed,
    }


def canonical(data: Any) -> str:
    """JSON text: compared as text, so `30` differs from `30.0` and `true` from `1`."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


FIXTURE_DOCUMENTS = sorted(FIXTURES.glob("*.md"))


def test_fixture_folder_is_complete() -> None:
    assert len(FIXTURE_DOCUMENTS) >= 8
    if not UPDATE:
        missing = [p.name for p in FIXTURE_DOCUMENTS if not p.with_suffix(".json").is_file()]
        assert not missing, f"no expected .json for {missing}"
    orphans = [p.name for p in FIXTURES.glob("*.json") if not p.with_suffix(".md").is_file()]
    assert not orphans


@pytest.mark.parametrize("source", FIXTURE_DOCUMENTS, ids=lambda p: p.stem)
def test_fixture(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    actual = canonical(summary(parse_document(source, text)))
    expected_path = source.with_suffix(".json")
    if UPDATE:
        expected_path.write_text(actual, encoding="utf-8")
    expected = expected_path.read_text(encoding="utf-8")
    assert actual == canonical(json.loads(expected))


def test_read_document_matches_parse_document() -> None:
    source = FIXTURES / "options.md"
    read = read_document(source)
    parsed = parse_document(source, source.read_text(encoding="utf-8"))
    assert read == parsed
    assert read.path.is_absolute()


def test_read_document_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="document not found"):
        read_document(tmp_path / "absent.md")


def test_escaped_fence_keeps_its_fence_text() -> None:
    text = "```{{python}}\nx = 1\n```\n"
    document = parse_document(Path("doc.md"), text)
    assert document.blocks == ()
    (fence,) = (t for t in document.tokens if t.type == "fence")
    assert fence.meta["nf_verbatim"] == "{python}"
    assert fence.content == "x = 1\n"


def test_blocks_are_marked_on_their_tokens() -> None:
    text = "```{python}\n#| label: a\nx = 1\n```\n\nSee `{python} x`.\n"
    document = parse_document(Path("doc.md"), text)
    code, inline = document.blocks
    assert document.tokens[code.token_index].meta["nf_block"] == "a"
    assert [b.index for b in document.blocks] == [0, 1]
    assert inline.token_index == -1
    (paragraph,) = (t for t in document.tokens if t.type == "inline" and t.children)
    marked = [c.meta.get("nf_block") for c in paragraph.children or () if c.type == "code_inline"]
    assert marked == ["inline-1"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "---\r\ntitle: T\r\n---\r\n\r\n```{python}\r\n#| label: a\r\nx = 1\r\n```\r\n",
            id="crlf",
        ),
        pytest.param(
            "\ufeff---\ntitle: T\n---\n\n```{python}\n#| label: a\nx = 1\n```\n", id="bom"
        ),
    ],
)
def test_line_endings_and_byte_order_mark(text: str) -> None:
    document = parse_document(Path("doc.md"), text)
    assert document.front_matter == {"title": "T"}
    (block,) = document.blocks
    assert (block.id, block.code, block.line) == ("a", "x = 1\n", 5)


def test_unclosed_fence_runs_to_the_end() -> None:
    document = parse_document(Path("doc.md"), "text\n\n```{python}\nx = 1\n")
    (block,) = document.blocks
    assert (block.code, block.line) == ("x = 1\n", 3)


# --------------------------------------------------------------------------- errors

ERRORS: list[Any] = [
    # front matter
    pytest.param(
        "---\ntitle: T\nparams: [a\nb: 1\n---\n\ntext\n",
        DocumentError,
        4,
        "bad YAML in front matter",
        id="front-matter-bad-yaml",
    ),
    pytest.param(
        "---\ntitle: T\nauthor: Ada\nsubtitle: x: y\n---\n",
        DocumentError,
        4,
        "bad YAML in front matter: mapping values are not allowed here",
        id="front-matter-bad-yaml-line",
    ),
    pytest.param(
        "---\n- a\n- b\n---\n",
        DocumentError,
        2,
        "front matter must be a YAML mapping",
        id="front-matter-not-a-mapping",
    ),
    # YAML that parses but does not construct: the line of the key, never a traceback
    pytest.param(
        "---\ntitle: T\nx: !!int x\n---\n",
        DocumentError,
        3,
        "bad YAML in front matter: 'x' is not an integer",
        id="front-matter-tag-that-fails",
    ),
    pytest.param(
        "---\ntitle: T\nauthor: Ada\ndate: 2026-13-45\n---\n",
        DocumentError,
        4,
        "'2026-13-45' is not a date (month must be in 1..12)",
        id="front-matter-impossible-date",
    ),
    pytest.param(
        "---\ntitle: T\nparams:\n  a: 1\n  b: &x [*x]\n---\n",
        DocumentError,
        5,
        "an alias refers to a value that contains it",
        id="front-matter-recursive-alias",
    ),
    pytest.param(
        "---\ntitle: T\nx: {[1]: 2}\n---\n",
        DocumentError,
        3,
        "found unhashable key",
        id="front-matter-unhashable-key",
    ),
    pytest.param(
        "---\ntitle: T\nx: !!python/name:os.system\n---\n",
        DocumentError,
        3,
        "could not determine a constructor",
        id="front-matter-python-tag",
    ),
    pytest.param(
        "---\ntitle: T\nx: " + "[" * 500 + "\n---\n",
        DocumentError,
        2,
        "nested too deeply",
        id="front-matter-nested-too-deeply",
    ),
    pytest.param(
        "---\ntitle: T\nx: \x01\n---\n",
        DocumentError,
        3,
        "character 0x1 is not allowed in YAML",
        id="front-matter-control-character",
    ),
    # front matter keys noteflow reads, with the wrong shape
    pytest.param(
        "---\ntitle: T\nkernels: 5\n---\n",
        DocumentError,
        3,
        "front matter `kernels` must be a mapping of language: kernelspec",
        id="front-matter-kernels-not-a-mapping",
    ),
    pytest.param(
        "---\nkernels:\n  r: ir\n  python: 5\n---\n",
        DocumentError,
        4,
        "front matter `kernels` must map a language to a kernelspec name, got 'python': 5",
        id="front-matter-kernel-not-a-name",
    ),
    pytest.param(
        "---\ntitle: [a, b]\n---\n",
        DocumentError,
        2,
        "front matter `title` must be text",
        id="front-matter-title-a-list",
    ),
    pytest.param(
        "---\ntitle: T\nparams:\n  n: 1\n  m: {1: a, b: c}\n---\n",
        DocumentError,
        5,
        "front matter `params` parameter 'm' has a mapping key 1 that is not text",
        id="front-matter-param-with-a-number-key",
    ),
    pytest.param(
        "---\nenvironment: [requirements.txt, 5]\n---\n",
        DocumentError,
        2,
        "front matter `environment` must be the path of a lock file",
        id="front-matter-environment-not-paths",
    ),
    pytest.param(
        "---\ntheme: {a: 1}\n---\n",
        DocumentError,
        2,
        "front matter `theme` must be a theme name",
        id="front-matter-theme-a-mapping",
    ),
    pytest.param(
        "---\ntitle: T\nexecute:\n  echo: false\n  timeout: never\n---\n",
        OptionError,
        5,
        "option 'timeout' must be a positive number of seconds",
        id="front-matter-execute-bad-option-at-its-line",
    ),
    # option lines and MyST options whose YAML does not construct
    pytest.param(
        "```{python}\n#| echo: false\n#| x: !!int x\nx = 1\n```\n",
        OptionError,
        3,
        "bad YAML in option lines: 'x' is not an integer",
        id="option-lines-tag-that-fails",
    ),
    pytest.param(
        "```{python}\n#| when: 2026-13-45\nx = 1\n```\n",
        OptionError,
        2,
        "'2026-13-45' is not a date",
        id="option-lines-impossible-date",
    ),
    pytest.param(
        "```{python}\n#| a: 1\n#| uses: &x [*x]\nx = 1\n```\n",
        OptionError,
        3,
        "an alias refers to a value that contains it",
        id="option-lines-recursive-alias",
    ),
    pytest.param(
        "```{code-cell} ipython3\n:tags: [a]\n:x: !!int x\nx = 1\n```\n",
        OptionError,
        3,
        "bad YAML in a cell option: 'x' is not an integer",
        id="myst-option-tag-that-fails",
    ),
    pytest.param(
        "```{code-cell} ipython3\n---\necho: false\nx: 2026-13-45\n---\nx = 1\n```\n",
        OptionError,
        4,
        "bad YAML in the options block: '2026-13-45' is not a date",
        id="myst-header-impossible-date",
    ),
    pytest.param(
        "```{python}\n#| files: [data.csv, '" + "a" * 300 + "']\nx = 1\n```\n",
        OptionError,
        2,
        "option 'files' names an impossible path",
        id="files-path-longer-than-a-file-name",
    ),
    pytest.param(
        "```{python}\n#| kernel: " + "k" * 10 + "/x\nx = 1\n```\n",
        OptionError,
        2,
        "option 'kernel' must be a kernelspec name",
        id="kernel-not-a-kernelspec-name",
    ),
    pytest.param(
        "```{data #d path=d.csv}\n1: x\n```\n",
        OptionError,
        1,
        "option 'with' has a mapping key 1 that is not text",
        id="component-parameter-key-a-number",
    ),
    pytest.param(
        "```{data #d}\npath: !!int x\n```\n",
        DocumentError,
        2,
        "bad YAML in {data} parameters: 'x' is not an integer",
        id="component-parameters-tag-that-fails",
    ),
    # option comments
    pytest.param(
        "# T\n\n```{python}\n#| echo: false\n#| fig-cap: a: b\nx = 1\n```\n",
        OptionError,
        5,
        "bad YAML in option lines",
        id="option-lines-bad-yaml",
    ),
    pytest.param(
        "# T\n\n```{python}\n#| label: [\nx = 1\n```\n",
        OptionError,
        4,
        "bad YAML in option lines",
        id="option-lines-unclosed-list",
    ),
    pytest.param(
        "text\n\n> ```{python}\n> #| echo: true\n> #| timeout: [\n> x = 1\n> ```\n",
        OptionError,
        5,
        "bad YAML in option lines",
        id="option-lines-bad-yaml-in-blockquote",
    ),
    pytest.param(
        "- item\n\n  ```{python}\n  #| echo: maybe\n  x = 1\n  ```\n",
        OptionError,
        4,
        "option 'echo' must be true or false",
        id="option-bad-bool-in-list-item",
    ),
    pytest.param(
        "```{python}\n#| just words\nx = 1\n```\n",
        OptionError,
        2,
        "option lines must be `key: value` pairs",
        id="option-lines-not-a-mapping",
    ),
    pytest.param(
        "```{python}\n#| echo: false\n#| timeout: -1\nx = 1\n```\n",
        OptionError,
        3,
        "must be a positive number of seconds",
        id="option-bad-timeout",
    ),
    pytest.param(
        "```{python}\n#| label: two/words\nx = 1\n```\n",
        OptionError,
        2,
        "option 'label' must be a name",
        id="option-bad-label",
    ),
    # conflicting spellings
    pytest.param(
        "```{python #a}\n#| label: b\nx = 1\n```\n",
        OptionError,
        1,
        "option 'label' has two different values",
        id="conflict-pandoc-and-comment",
    ),
    pytest.param(
        "text\n\n```{python load, echo=FALSE}\n#| echo: true\nx = 1\n```\n",
        OptionError,
        3,
        "option 'echo' has two different values: false (fence attributes) and true",
        id="conflict-rmarkdown-and-comment",
    ),
    pytest.param(
        "```{python}\n#| fig.cap: one\n#| fig-cap: two\nx = 1\n```\n",
        OptionError,
        3,
        "option 'fig-cap' has two different values",
        id="conflict-two-spellings-of-a-key",
    ),
    pytest.param(
        "```{python timeout=30 timeout=40}\nx = 1\n```\n",
        OptionError,
        1,
        "option 'timeout' has two different values",
        id="conflict-within-attributes",
    ),
    pytest.param(
        "```{code-cell} ipython3\n:tags: [remove-input]\n:echo: true\nx = 1\n```\n",
        OptionError,
        3,
        "option 'echo' has two different values",
        id="conflict-myst-tag-and-option",
    ),
    # ids
    pytest.param(
        "```{python #a}\nx = 1\n```\n\n```{python}\n#| label: a\ny = 1\n```\n",
        DocumentError,
        5,
        "block id 'a' is used twice (first at line 1)",
        id="duplicate-label",
    ),
    pytest.param(
        "```{python}\nx = 1\n```\n\n```{python}\n#| label: python-1\ny = 1\n```\n",
        DocumentError,
        5,
        "block id 'python-1' is used twice",
        id="label-equal-to-an-automatic-id",
    ),
    pytest.param(
        "```{r my chunk}\nx\n```\n\n```{r my-chunk}\ny\n```\n",
        DocumentError,
        5,
        "block id 'my-chunk' is used twice (first at line 1): labels 'my chunk' and 'my-chunk'",
        id="labels-with-spaces-give-one-id",
    ),
    # fence names (a language without an adapter is a block: tests/test_dialect_parse.py)
    pytest.param(
        "```{code-cell} ipython3 extra\nx = 1\n```\n",
        OptionError,
        1,
        "{code-cell} takes one argument",
        id="code-cell-two-arguments",
    ),
    pytest.param(
        "```{code-cell} ipython3\n---\ntags: [remove-input]\nx = 1\n```\n",
        OptionError,
        2,
        "the `---` options block at the top of the cell is not closed",
        id="code-cell-yaml-header-not-closed",
    ),
    pytest.param(
        "```{code-cell} ipython3\n---\ntags: [a\n---\nx = 1\n```\n",
        OptionError,
        3,
        "bad YAML in the options block",
        id="code-cell-yaml-header-bad-yaml",
    ),
    pytest.param(
        "```{code-cell} ipython3\n:tags: 3\nx = 1\n```\n",
        OptionError,
        2,
        "option 'tags' must be a list of tag names",
        id="code-cell-bad-tags",
    ),
    # info string syntax
    pytest.param(
        "text\n\n```{python echo=false\nx = 1\n```\n",
        OptionError,
        3,
        "unterminated `{` in the fence info string",
        id="unterminated-brace",
    ),
    pytest.param(
        "```{{python}\nx = 1\n```\n",
        OptionError,
        1,
        "unterminated `{{` in the fence info string",
        id="unterminated-escape",
    ),
    pytest.param(
        '```{python fig-cap="open}\nx = 1\n```\n',
        OptionError,
        1,
        'unterminated " quote',
        id="unterminated-quote",
    ),
    pytest.param(
        "```{python uses=[a, b}\nx = 1\n```\n",
        OptionError,
        1,
        "unterminated `{` in the fence info string",
        id="unclosed-bracket-takes-the-brace",
    ),
    pytest.param(
        "```{python echo=}\nx = 1\n```\n",
        OptionError,
        1,
        "option 'echo' has no value",
        id="attribute-without-value",
    ),
    pytest.param(
        "```{py!thon}\nx = 1\n```\n",
        OptionError,
        1,
        "bad block name",
        id="bad-block-name",
    ),
]


@pytest.mark.parametrize(("text", "error", "line", "message"), ERRORS)
def test_error(text: str, error: type[NoteflowError], line: int, message: str) -> None:
    with pytest.raises(error) as raised:
        parse_document(Path("doc.md"), text)
    err = raised.value
    assert type(err) is error
    assert message in err.message
    assert err.line == line
    assert err.exit_code == 2
    assert err.path == str(Path("doc.md").resolve())
    assert str(err).startswith(f"{err.path}:{line}: ")


def test_execute_defaults_apply_to_every_code_block(tmp_path: Path) -> None:
    text = (
        "---\nexecute:\n  timeout: 30\n  echo: false\n  label: ignored\n---\n\n"
        "```{python}\nx = 1\n```\n\n```{python}\n#| timeout: 5\ny = 2\n```\n"
    )
    document = parse_document(tmp_path / "d.md", text)
    first, second = document.blocks
    assert first.options == {"timeout": 30, "echo": False}
    assert second.options["timeout"] == 5 and second.options["echo"] is False
    assert first.id == "python-1"


def test_execute_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as info:
        parse_document(tmp_path / "d.md", "---\nexecute: fast\n---\n\ntext\n")
    assert info.value.line == 2 and "execute" in info.value.message


def test_a_document_that_is_not_utf8_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "d.md"
    path.write_bytes(b"# Title\n\ncaf\xe9\n")
    with pytest.raises(DocumentError) as info:
        read_document(path)
    assert (info.value.line, info.value.message) == (3, "byte 0xe9 is not UTF-8")


# --------------------------------------------------------------------------- unknown options

UNKNOWN_OPTIONS = [
    pytest.param("```{python}\n#| echo: true\n#| eco: false\nx = 1\n```\n", 3, "eco", id="lines"),
    pytest.param("```{python #a tmeout=3}\nx = 1\n```\n", 1, "tmeout", id="attributes"),
    pytest.param("```{r a, eval=TRUE, ecko=FALSE}\nx <- 1\n```\n", 1, "ecko", id="r-header"),
    pytest.param("```{code-cell} ipython3\n:tags: [a]\n:evl: false\nx\n```\n", 3, "evl", id="myst"),
    pytest.param("---\nexecute:\n  echo: false\n  cahce: false\n---\n", 4, "cahce", id="execute"),
]


@pytest.mark.parametrize(("text", "line", "name"), UNKNOWN_OPTIONS)
def test_unknown_option_warns_with_a_did_you_mean(
    text: str, line: int, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="noteflow"):
        parse_document(Path("doc.md"), text)
    path = Path("doc.md").resolve()
    suggestion = {"eco": "echo", "tmeout": "timeout", "ecko": "echo", "evl": "eval"}.get(
        name, "cache"
    )
    expected = f"{path}:{line}: unknown option '{name}'; did you mean '{suggestion}'?"
    assert [r.getMessage() for r in caplog.records] == [expected]


def test_options_of_quarto_knitr_and_myst_do_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    text = (
        "```{r a, message=FALSE, fig.width=5, results='hold'}\nx <- 1\n```\n\n"
        "```{python}\n#| warning: false\n#| code-fold: true\nx = 1\n```\n\n"
        "```{code-cell} ipython3\n:tags: [remove-input]\ny = 1\n```\n\n"
        "```{data #d path=d.csv preview=3}\n```\n"
    )
    with caplog.at_level("WARNING", logger="noteflow"):
        parse_document(Path("doc.md"), text)
    assert caplog.records == []


def test_an_unknown_option_far_from_every_name_says_it_is_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="noteflow"):
        document = parse_document(Path("doc.md"), "```{python}\n#| zzzz: 1\nx = 1\n```\n")
    assert caplog.records[0].getMessage().endswith(":2: unknown option 'zzzz'; it is ignored")
    assert document.blocks[0].options == {"zzzz": 1}


# --------------------------------------------------------------------------- the command line


def test_bad_front_matter_exits_2_with_one_line_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from noteflow.cli import main

    path = tmp_path / "doc.md"
    path.write_text("---\ntitle: T\ndate: 2026-13-45\n---\n\n```{python}\nx = 1\n```\n")
    assert main(["render", str(path)]) == 2
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first == (
        f"error: {path.resolve()}:3: bad YAML in front matter: "
        "'2026-13-45' is not a date (month must be in 1..12)"
    )
    assert "Traceback" not in err and not (tmp_path / "doc.html").exists()


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("---\ntitle: From YAML\n---\n\n# A heading\n", "From YAML"),
        ("Intro.\n\n# First `code` heading {#top}\n\n# Second\n", "First code heading"),
        ("## Only a section\n", "page"),
    ],
)
def test_the_page_title_comes_from_the_front_matter_or_the_first_h1(
    tmp_path: Path, text: str, title: str
) -> None:
    assert parse_document(tmp_path / "page.md", text).title == title
