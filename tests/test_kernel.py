"""The kernel wrapper on a real ipykernel: transport, output messages, restart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from noteflow.adapters import load_adapters
from noteflow.cli import main
from noteflow.kernel import KernelSession

pytestmark = pytest.mark.kernel


@pytest.fixture
def session(tmp_path: Path):
    kernel = KernelSession("python3", load_adapters()["python"], tmp_path)
    kernel.start()
    yield kernel
    kernel.shutdown()


def test_kernel_uses_ipc_transport_not_tcp(session: KernelSession) -> None:
    result = session.execute(
        "from ipykernel import get_connection_info\nprint(get_connection_info(unpack=True)['transport'])"
    )
    assert result.status == "ok"
    assert result.outputs[0]["text"].strip() == "ipc"


def test_update_display_and_clear_output(session: KernelSession) -> None:
    code = (
        "from IPython.display import display, clear_output\n"
        "handle = display('first', display_id=True)\n"
        "handle.update('updated')\n"
        "print('gone')\n"
        "clear_output(wait=True)\n"
        "print('kept')\n"
    )
    result = session.execute(code)
    texts = [o.get("text") or o.get("data", {}).get("text/plain") for o in result.outputs]
    assert texts == ["kept\n"]
    result = session.execute("h = display('a', display_id=True)\nh.update('b')")
    assert [o["data"]["text/plain"] for o in result.outputs] == ["'b'"]


def test_restart_gives_a_working_kernel(session: KernelSession) -> None:
    session.execute("x = 1")
    session.restart()
    result = session.execute("print('x' in globals(), __nf is not None)")
    assert result.outputs[0]["text"] == "False True\n"


def test_shutdown_leaves_no_files(tmp_path: Path) -> None:
    kernel = KernelSession("python3", load_adapters()["python"], tmp_path)
    kernel.start()
    folder = Path(kernel._tmp or "")
    assert folder.is_dir()
    kernel.shutdown()
    assert not folder.exists() and not kernel.is_alive()


def test_page_is_self_contained(write_doc) -> None:
    doc = write_doc(
        "# Plot\n\n$x^2$\n\n```{python}\n#| fig-cap: A line\nimport matplotlib.pyplot as plt\n"
        "plt.plot([1, 2, 3])\nplt.show()\n```\n"
    )
    assert main(["render", str(doc), "-q"]) == 0
    page = doc.with_suffix(".html").read_text()
    assert "data:image/png;base64," in page and "<figcaption>A line</figcaption>" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?https?:", page)
    assert "<math" in page
