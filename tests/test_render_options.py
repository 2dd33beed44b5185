"""Display options through the whole pipeline with the in-process fake kernel.

`echo`, `output`, `include` and `eval` decide which parts of a block the page shows and
whether it runs: a table of combinations, each checked on the written page the way a
reader sees it (is the code there, is the output there, is the block there at all) and
on what the kernel ran.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fakekernel import FakeKernel

BLOCK = """\
```{{python}}
#| label: subject
{options}print("the-output")
```

```{{python}}
#| label: reader
print("reader sees", flag)
```
"""
CODE_SHOWN = '"the-output"</span>'
OUTPUT_SHOWN = 'nf-stdout">the-output'

# (case id, option lines, code shown, output shown, block on the page, block ran)
CASES = [
    ("defaults", "", True, True, True, True),
    ("echo false", "echo: false", False, True, True, True),
    ("output false", "output: false", True, False, True, True),
    ("echo and output false", "echo: false\noutput: false", False, False, True, True),
    ("include false", "include: false", False, False, False, True),
    ("eval false", "eval: false", True, False, True, False),
    ("eval and echo false", "eval: false\necho: false", False, False, True, False),
    ("eval false, include false", "eval: false\ninclude: false", False, False, False, False),
    ("echo true spelled in R style", "echo: TRUE", True, True, True, True),
]


def section(page: str, block_id: str) -> str | None:
    """The HTML of one block's section on the page, or None when it is not there."""
    found = re.search(rf'<section [^>]*id="{block_id}"[^>]*>(.*?)</section>', page, re.S)
    return found.group(1) if found else None


def subject_document(options: str) -> str:
    lines = "".join(f"#| {line}\n" for line in options.splitlines())
    code = BLOCK.format(options=lines)
    return code.replace('print("the-output")', 'flag = "set"\nprint("the-output")')


@pytest.mark.parametrize(
    ("options", "code_shown", "output_shown", "on_page", "ran"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_display_option_combinations(
    write_doc,
    render_fake,
    options: str,
    code_shown: bool,
    output_shown: bool,
    on_page: bool,
    ran: bool,
) -> None:
    doc = write_doc(subject_document(options))
    outcome = render_fake(doc)
    page = Path(outcome.output).read_text()
    subject = section(page, "subject")
    assert (subject is not None) == on_page
    assert (CODE_SHOWN in page) == code_shown
    assert (OUTPUT_SHOWN in page) == output_shown
    [kernel] = FakeKernel.instances
    assert any("the-output" in code for code in kernel.ran) == ran
    assert outcome.summary.results["subject"].status == ("executed" if ran else "skipped")
    reader = section(page, "reader")
    assert reader is not None
    if ran:  # what a hidden block defines is still there for the blocks after it
        assert "reader sees set" in reader
    else:
        assert "NameError" in reader


def test_front_matter_execute_defaults_and_a_block_override(write_doc, render_fake) -> None:
    doc = write_doc(
        "---\nexecute:\n  echo: false\n---\n\n"
        '```{python}\n#| label: quiet\nprint("quiet-output")\n```\n\n'
        '```{python}\n#| label: loud\n#| echo: true\nprint("loud-output")\n```\n'
    )
    page = Path(render_fake(doc).output).read_text()
    quiet, loud = section(page, "quiet"), section(page, "loud")
    assert quiet is not None and loud is not None
    assert '"quiet-output"</span>' not in quiet and 'nf-stdout">quiet-output' in quiet
    assert '"loud-output"</span>' in loud and 'nf-stdout">loud-output' in loud


def test_output_asis_renders_printed_markdown(write_doc, render_fake) -> None:
    doc = write_doc(
        '```{python}\n#| label: md\n#| output: asis\nprint("**bold** and <i>raw</i>")\n```\n'
    )
    shown = section(Path(render_fake(doc).output).read_text(), "md")
    assert shown is not None
    assert "<strong>bold</strong>" in shown and 'nf-stdout">**bold**' not in shown


def test_code_fold_wraps_the_code_in_details(write_doc, render_fake) -> None:
    doc = write_doc(
        "```{python}\n#| label: folded\n#| code-fold: true\n#| code-summary: Show it\n"
        'print("folded-output")\n```\n'
    )
    shown = section(Path(render_fake(doc).output).read_text(), "folded")
    assert shown is not None
    assert re.search(r"<details[^>]*><summary>Show it</summary>.*folded-output", shown, re.S)
    assert 'nf-stdout">folded-output' in shown.split("</details>")[1]


def test_display_options_change_no_key(write_doc, render_fake) -> None:
    doc = write_doc(subject_document(""))
    render_fake(doc)
    for options in ("echo: false", "output: false", "include: false", "code-fold: true"):
        doc.write_text(subject_document(options))
        outcome = render_fake(doc)
        assert outcome.summary.count("cached") == 2, options


@pytest.mark.parametrize(
    ("date", "style", "shown"),
    [
        ("2005-03-07", None, "2005-03-07"),
        ("2005-03-07", "long", "March 7, 2005"),
        ("2005-03-07", "full", "Monday, March 7, 2005"),
        ("2005-03-07", "medium", "Mar 7, 2005"),
        ("2005-03-07", "short", "3/7/05"),
        ("March 2005", "long", "March 2005"),
    ],
)
def test_quarto_date_formats(date: str, style: str | None, shown: str) -> None:
    from noteflow.render.pageoptions import date_text

    assert date_text(date, style, Path("doc.qmd")) == shown


def test_quarto_date_keywords(tmp_path: Path) -> None:
    import datetime
    import os

    from noteflow.render.pageoptions import date_text

    doc = tmp_path / "doc.qmd"
    doc.write_text("x", encoding="utf-8")
    os.utime(doc, (0, datetime.datetime(2024, 2, 9, 12).timestamp()))
    assert date_text("last-modified", None, doc) == "February 9, 2024"
    assert date_text("last-modified", "iso", doc) == "2024-02-09"
    today = datetime.date.today()
    assert date_text("today", "iso", doc) == today.isoformat()
