"""Component blocks: the built-ins, and a third-party package installed with pip.

The package is installed from its folder without the package index (`--no-index`, and
`--no-build-isolation` so pip builds it with the hatchling of the test environment):
the test passes offline. Documents of component blocks alone start no kernel and are in
the fast tier; those with Python blocks are marked `kernel`.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

import pytest

from noteflow.cli import main
from noteflow.pipeline import RenderOptions, render_document

PACKAGE = Path(__file__).parent / "components" / "noteflow-upper"

SALES = (
    "month,region,units,price\n2026-01,north,120,9.5\n2026-01,south,,9.5\n2026-02,north,135,9.9\n"
)


def page_text(path: Path) -> str:
    return path.with_suffix(".html").read_text()


@pytest.mark.kernel
def test_data_show_and_python_reader(write_doc) -> None:
    doc = write_doc(
        "```{data #sales path=sales.csv}\n```\n\n"
        "```{python}\n#| label: use\nprint(sales.dtypes.astype(str).to_dict(), sales.units.isna().sum())\n"
        "best = {'region': sales.region[0], 'units': int(sales.units.max())}\n```\n\n"
        "```{show}\nvalue: best\n```\n"
    )
    (doc.parent / "sales.csv").write_text(SALES)
    first = render_document(doc, RenderOptions())
    assert first.summary.count("executed") == 3
    page = page_text(doc)
    assert (
        "{'month': 'object', 'region': 'object', 'units': 'Int64', 'price': 'float64'} 1"
        in page.replace("&#x27;", "'")
    )
    shown = html.unescape(page.split('id="show-1"')[1].split("</section>")[0])
    assert '"region": "north"' in shown and '"units": 135' in shown
    assert "<td>2026-01</td><td>north</td><td>120</td>" in page
    (doc.parent / "sales.csv").write_text(SALES.replace("135", "300"))
    second = render_document(doc, RenderOptions())
    assert second.summary.results["sales"].reason == "file sales.csv changed"
    assert {b for b, r in second.summary.results.items() if r.status == "executed"} == {
        "sales",
        "use",
        "show-1",
    }


def test_include_tracks_the_file(write_doc) -> None:
    doc = write_doc("```{include path=part.md}\n```\n")
    part = doc.parent / "part.md"
    part.write_text("---\ntitle: ignored\n---\nIncluded *words*.\n")
    render_document(doc, RenderOptions())
    assert "Included <em>words</em>." in page_text(doc) and "ignored" not in page_text(doc)
    part.write_text("Changed words.\n")
    outcome = render_document(doc, RenderOptions())
    assert outcome.summary.results["include-1"].reason == "file part.md changed"
    assert "Changed words." in page_text(doc)


def test_component_errors_name_the_block(write_doc, capsys) -> None:
    doc = write_doc("```{show}\nvalue: missing\n```\n")
    assert main(["render", str(doc)]) == 2
    assert "uses 'missing', which no block defines" in capsys.readouterr().err
    doc.write_text("```{data #d path=nope.csv}\n```\n")
    assert main(["render", str(doc)]) == 2
    assert "nope.csv" in capsys.readouterr().err


def pip_install_offline(package: Path, target: Path) -> None:
    """Install a package folder into `target` with pip, from nothing but this environment.

    No index, no pip configuration (which may name mirrors or wheel folders), no
    `PIP_*` settings of the machine: what it needs must already be installed.
    """
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
    command += ["--no-build-isolation", "--target", str(target), str(package)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, f"pip could not install {package.name} offline:\n{done.stderr}"


@pytest.mark.kernel
def test_third_party_component_installed_with_pip(write_doc, tmp_path: Path) -> None:
    target = tmp_path / "site"
    pip_install_offline(PACKAGE, target)
    assert (target / "noteflow_upper" / "__init__.py").is_file()
    doc = write_doc(
        "```{python}\ngreeting = 'hello from python'\n```\n\n"
        "```{upper #shout value=greeting}\n```\n\n"
        "```{python}\n#| label: after\nprint(shout + '!')\n```\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-m", "noteflow", "render", str(doc)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    page = page_text(doc)
    assert "HELLO FROM PYTHON\n" in page and "HELLO FROM PYTHON!\n" in page
    without = subprocess.run(
        [sys.executable, "-m", "noteflow", "render", str(doc)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Not installed, `{upper}` is an unknown directive: shown, warned about; the block
    # reading its value fails, and the page is still written.
    assert without.returncode == 1 and "unknown directive upper" in without.stderr
