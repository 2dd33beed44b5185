"""Values across languages on real kernels: Python, R, JavaScript (Deno) and bash.

Each pair is checked in both directions where the issue asks for it, tables included
(column names, order, types, missing values). In CI every kernel must be installed
(`NOTEFLOW_REQUIRE_KERNELS`); on a developer machine a test whose kernel is missing skips.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from noteflow.adapters import find_kernelspec
from noteflow.cli import main
from noteflow.pipeline import RenderOptions, render_document

pytestmark = pytest.mark.kernel

KERNELS = {"python": "python3", "r": "ir", "js": "deno", "bash": "bash"}
PREFIX = {"python": "#|", "r": "#|", "js": "//|", "bash": "#|"}

PY_TABLE = (
    "import pandas as pd\n"
    't = pd.DataFrame({"name": ["a", None, "c"], "n": [1, 2, 3], "x": [1.5, None, 3.0], "ok": [True, False, True]})'
)
R_TABLE = (
    't <- data.frame(name = c("a", NA, "c"), n = c(1L, 2L, 3L), x = c(1.5, NA, 3), '
    "ok = c(TRUE, FALSE, NA), stringsAsFactors = FALSE)"
)
JS_TABLE = (
    'const t = [{name: "a", n: 1, x: 1.5, ok: true}, {name: null, n: 2, x: null, ok: false}, '
    '{name: "c", n: 3, x: 3.25, ok: true}];'
)
READ = {
    "python": 'print(t.dtypes.astype(str).to_dict()); print(t.to_dict("list"))',
    "r": "str(t)",
    "js": 'console.log(JSON.stringify(t)); console.log(Array.isArray(t), Object.keys(t[0]).join(","))',
}
R_STR = (
    "'data.frame':\t3 obs. of  4 variables:\n"
    ' $ name: chr  "a" NA "c"\n $ n   : int  1 2 3\n $ x   : num  1.5 NA {x3}\n $ ok  : logi  TRUE FALSE {ok3}\n'
)
PY_DTYPES = "{{'name': 'object', 'n': 'int64', 'x': 'float64', 'ok': '{ok}'}}\n"

PAIRS = [
    ("python", PY_TABLE, "r", READ["r"], "t", R_STR.format(x3="3", ok3="TRUE")),
    (
        "r",
        R_TABLE,
        "python",
        READ["python"],
        "t",
        PY_DTYPES.format(ok="boolean")
        + "{'name': ['a', nan, 'c'], 'n': [1, 2, 3], 'x': [1.5, nan, 3.0], 'ok': [True, False, None]}\n",
    ),
    (
        "python",
        PY_TABLE,
        "js",
        READ["js"],
        "t",
        '[{"name":"a","n":1,"x":1.5,"ok":true},{"name":null,"n":2,"x":null,"ok":false},{"name":"c","n":3,"x":3,"ok":true}]\ntrue name,n,x,ok\n',
    ),
    (
        "js",
        JS_TABLE,
        "python",
        READ["python"],
        "t",
        PY_DTYPES.format(ok="bool")
        + "{'name': ['a', nan, 'c'], 'n': [1, 2, 3], 'x': [1.5, nan, 3.25], 'ok': [True, False, True]}\n",
    ),
    (
        "r",
        R_TABLE,
        "js",
        READ["js"],
        "t",
        '[{"name":"a","n":1,"x":1.5,"ok":true},{"name":null,"n":2,"x":null,"ok":false},{"name":"c","n":3,"x":3,"ok":null}]\ntrue name,n,x,ok\n',
    ),
    ("js", JS_TABLE, "r", READ["r"], "t", R_STR.format(x3="3.25", ok3="TRUE")),
    (
        "python",
        'v = {"a": 1, "b": [1, 2.5], "s": "hi", "f": False, "none": None}',
        "r",
        "str(v)",
        "v",
        'List of 5\n $ a   : int 1\n $ b   : num [1:2] 1 2.5\n $ s   : chr "hi"\n $ f   : logi FALSE\n $ none: NULL\n',
    ),
    (
        "r",
        'v <- list(a = 1L, b = c(1, 2.5), s = "hi", f = FALSE)',
        "python",
        "print(v)",
        "v",
        "{'a': 1, 'b': [1, 2.5], 's': 'hi', 'f': False}\n",
    ),
    (
        "js",
        'const v = {a: 1, b: [1, 2.5], s: "hi", f: false, none: null};',
        "python",
        "print(v)",
        "v",
        "{'a': 1, 'b': [1, 2.5], 's': 'hi', 'f': False, 'none': None}\n",
    ),
    (
        "python",
        'v = [1, "two", None, True]',
        "js",
        "console.log(JSON.stringify(v))",
        "v",
        '[1,"two",null,true]\n',
    ),
    ("r", "v <- c(2.5, 3.5)", "js", "console.log(JSON.stringify(v))", "v", "[2.5,3.5]\n"),
    ("js", "const v = [1, 2, 3];", "r", "print(sum(v))", "v", "[1] 6\n"),
    ("python", 's = "hello world"', "bash", 'echo "got: $s"', "s", "got: hello world\n"),
    ("python", "l = [1, 2, 3]", "bash", 'echo "got: $l"', "l", "got: [1, 2, 3]\n"),
    ("bash", 'msg="from bash"', "python", "print(repr(msg))", "msg", "'from bash'\n"),
]


def need(*languages: str) -> None:
    required = os.environ.get("NOTEFLOW_REQUIRE_KERNELS", "").split(",")
    for language in languages:
        kernel = KERNELS[language]
        if find_kernelspec(kernel) is None:
            assert kernel not in required, f"kernel {kernel} is required here but not installed"
            pytest.skip(f"kernel {kernel} is not installed")


def block(language: str, label: str, code: str, **options: object) -> str:
    lines = [f"{PREFIX[language]} label: {label}"]
    lines += [f"{PREFIX[language]} {k}: {v}" for k, v in options.items()]
    return f"```{{{language}}}\n" + "\n".join(lines) + f"\n{code}\n```\n\n"


def shown(page: Path, block_id: str) -> str:
    """The text of a block's outputs in the rendered page."""
    section = re.search(rf'id="{re.escape(block_id)}".*?</section>', page.read_text(), re.S)
    assert section, block_id
    outputs = re.findall(r'<pre class="nf-output[^"]*">(.*?)</pre>', section.group(0), re.S)
    return "".join(html.unescape(re.sub("<[^>]+>", "", o)) for o in outputs)


@pytest.mark.parametrize(
    ("producer", "made", "consumer", "read", "name", "expected"),
    PAIRS,
    ids=[f"{p[0]}-to-{p[2]}-{p[4]}{i}" for i, p in enumerate(PAIRS)],
)
def test_value_crosses_languages(write_doc, producer, made, consumer, read, name, expected) -> None:
    need(producer, consumer)
    doc = write_doc(
        block(producer, "make", made, exports=f"[{name}]")
        + block(consumer, "use", read, uses=f"[{name}]")
    )
    assert main(["render", str(doc), "-q"]) == 0
    assert shown(doc.with_suffix(".html"), "use") == expected


def test_value_that_cannot_convert_fails_only_its_reader(write_doc, capsys) -> None:
    need("r", "python")
    doc = write_doc(
        block("r", "make", "f <- function(x) x + 1", exports="[f]")
        + block("python", "use", "print(f)", uses="[f]")
        + block("python", "other", "print('still rendered')")
    )
    assert main(["render", str(doc)]) == 1
    page = doc.with_suffix(".html")
    assert (
        "cannot pass `f` from block `make` (r) to block `use`: cannot convert an R function to JSON"
        in shown(page, "use")
    )
    assert shown(page, "other") == "still rendered\n"


POLY = (
    block(
        "python",
        "prep",
        "import pandas as pd\nsales = pd.DataFrame({'r': ['a', 'b'], 'u': [1, 2]})",
    )
    + block(
        "r", "summary", "total <- sum(sales$u)\nprint(total)", uses="[sales]", exports="[total]"
    )
    + block(
        "js",
        "fmt",
        "const label = `total=${total}`;\nconsole.log(label);",
        uses="[total]",
        exports="[label]",
    )
    + block("python", "independent", "print('py only')")
)


def test_edit_in_one_language_reruns_only_its_dependents(write_doc) -> None:
    need("python", "r", "js")
    doc = write_doc(POLY)
    first = render_document(doc, RenderOptions())
    assert first.summary.count("executed") == 4
    doc.write_text(doc.read_text().replace("total <- sum(sales$u)", "total <- sum(sales$u) * 10"))
    second = render_document(doc, RenderOptions())
    ran = {b for b, r in second.summary.results.items() if r.status == "executed"}
    assert ran == {"summary", "fmt"}
    assert second.summary.results["fmt"].reason == "upstream summary changed"
    assert shown(doc.with_suffix(".html"), "fmt") == "total=30\n"


def test_cached_python_value_gets_json_for_a_new_reader(write_doc) -> None:
    """A reader added later: the cached value is converted in its own kernel, not re-run."""
    need("python", "r")
    doc = write_doc(
        block("python", "prep", "import pandas as pd\nsales = pd.DataFrame({'u': [1, 2, 3]})")
    )
    render_document(doc, RenderOptions())
    doc.write_text(doc.read_text() + block("r", "use", "print(sum(sales$u))", uses="[sales]"))
    outcome = render_document(doc, RenderOptions())
    assert outcome.summary.results["prep"].status == "cached"
    assert shown(doc.with_suffix(".html"), "use") == "[1] 6\n"


@pytest.mark.parametrize(
    ("language", "first", "second", "expected"),
    [
        ("r", "x <- 5", "print(x * 2)", "[1] 10\n"),
        ("bash", "X=5", "echo $((X * 2))", "10\n"),
        ("js", "let x = 5;", "console.log(x * 2)", "10\n"),
    ],
)
def test_chained_block_replays_its_cached_predecessor(
    write_doc, language, first, second, expected
) -> None:
    need(language)
    doc = write_doc(block(language, "one", first) + block(language, "two", second))
    render_document(doc, RenderOptions())
    doc.write_text(
        doc.read_text().replace(second, second + ("\n" if language != "r" else "\ninvisible(1)"))
    )
    outcome = render_document(doc, RenderOptions())
    assert outcome.summary.results["one"].status == "cached"
    assert outcome.summary.results["two"].status == "executed"
    assert shown(doc.with_suffix(".html"), "two") == expected


def test_independent_kernels_run_at_the_same_time(write_doc) -> None:
    need("python", "r")
    doc = write_doc(
        block(
            "python",
            "py",
            "import time\nstart = time.time()\ntime.sleep(3)\nprint(start, time.time())",
        )
        + block(
            "r",
            "r",
            "start <- as.numeric(Sys.time())\nSys.sleep(3)\ncat(start, as.numeric(Sys.time()))",
        )
    )
    outcome = render_document(doc, RenderOptions(jobs=2))
    spans = [tuple(map(float, shown(doc.with_suffix(".html"), b).split())) for b in ("py", "r")]
    (a_start, a_end), (b_start, b_end) = spans
    assert a_start < b_end and b_start < a_end, spans  # the two runs overlapped
    page = doc.with_suffix(".html").read_text()
    assert page.index('id="py"') < page.index('id="r"')
    assert outcome.summary.results["r"].seconds > 2.5


def test_missing_kernel_skips_and_names_the_install_command(write_doc, capsys) -> None:
    doc = write_doc("---\nkernels:\n  r: no-such-r\n---\n\n" + block("r", "one", "x <- 1"))
    assert main(["render", str(doc)]) == 0
    err = capsys.readouterr().err
    assert "no kernel for r: kernelspec 'no-such-r' is not installed" in err
    assert "r-cran-irkernel" in err


FAILURES = {
    "r": ("stop('boom')", "Sys.sleep(60)", "tools::pskill(Sys.getpid(), tools::SIGKILL)", "boom"),
    "js": (
        "throw new Error('boom');",
        "await new Promise((r) => setTimeout(r, 60000));",
        "Deno.kill(Deno.pid, 'SIGKILL');",
        "boom",
    ),
    "bash": ("false", "sleep 60", "kill -9 $PPID", ""),
}


@pytest.mark.parametrize("language", sorted(FAILURES))
def test_failures_behave_as_in_python(write_doc, language: str) -> None:
    """An error marks the chained block not-run; a timeout interrupts; a death restarts."""
    need(language, "python")
    fail, slow, die, message = FAILURES[language]
    doc = write_doc(
        block(language, "bad", fail)
        + block(language, "next", "echo next" if language == "bash" else "1")
        + block(language, "slow", slow, timeout=2)
        + block(language, "die", die)
        + block(
            language,
            "after",
            {"r": "cat('alive')", "js": "console.log('alive')", "bash": "echo alive"}[language],
        )
        + block("python", "independent", "print('python ran')")
    )
    outcome = render_document(doc, RenderOptions())
    results = outcome.summary.results
    assert results["bad"].status == "failed" and message in shown(doc.with_suffix(".html"), "bad")
    assert (
        results["next"].status == "not-run"
        and results["next"].reason == "not run: upstream `bad` failed"
    )
    assert results["slow"].status == "not-run"  # chained after a failure
    assert results["independent"].status == "executed"


@pytest.mark.parametrize("language", sorted(FAILURES))
def test_timeout_and_death_in_other_languages(write_doc, language: str) -> None:
    need(language)
    _, slow, die, _ = FAILURES[language]
    alive = {"r": "cat('alive')", "js": "console.log('alive')", "bash": "echo alive"}[language]
    doc = write_doc(
        block(language, "slow", slow, timeout=2)
        + block(language, "die", die, uses="[slow]")
        + block(language, "after", alive, uses="[slow]")
    )
    outcome = render_document(doc, RenderOptions())
    results = outcome.summary.results
    assert results["slow"].status == "failed" and "timed out after 2 s" in results["slow"].error
    assert results["die"].status == "not-run"
    doc.write_text(
        block(language, "die", die)
        + block(language, "after", alive, uses="[die]")
        + block(language, "other", alive, uses="[]")
    )
    outcome = render_document(doc, RenderOptions())
    results = outcome.summary.results
    assert results["die"].status == "failed" and "the kernel died" in results["die"].error
    assert results["after"].status == "not-run"
    assert shown(doc.with_suffix(".html"), "other").strip() == "alive"


EXAMPLE = Path(__file__).parent.parent / "examples" / "polyglot.md"


def test_polyglot_example_edit_in_r_reruns_r_and_its_dependents(tmp_path: Path) -> None:
    need("python", "r", "js", "bash")
    doc = tmp_path / "polyglot.md"
    doc.write_text(EXAMPLE.read_text())
    first = render_document(doc, RenderOptions(jobs=2))
    assert first.summary.count("executed") == len(first.plan.blocks)
    doc.write_text(doc.read_text().replace("FUN = sum)", "FUN = max)"))
    second = render_document(doc, RenderOptions(jobs=2))
    ran = {b for b, r in second.summary.results.items() if r.status == "executed"}
    assert ran == {"summarise", "format", "files", "back-in-python"}
    assert second.summary.results["prepare"].status == "cached"


def test_kernels_command_lists_every_language(capsys) -> None:
    assert main(["kernels"]) == 0
    table = capsys.readouterr().out
    assert re.search(r"python\s+python3\s+3\.\d+\.\d+\s+ok", table)
    for language, kernel in (("r", "ir"), ("javascript", "deno"), ("bash", "bash")):
        if find_kernelspec(kernel) is not None:
            assert re.search(rf"^{language}\s+{kernel}\s+\S.*\s+ok$", table, re.M), table
        else:
            assert re.search(rf"{language}\s+-\s+-\s+missing: ", table), table
