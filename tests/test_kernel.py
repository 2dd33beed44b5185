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


def truncation(outputs: list[dict]) -> int:
    """Bytes the notice at the end says were dropped; 0 if there is none."""
    last = outputs[-1] if outputs else {}
    return int(last.get("metadata", {}).get("noteflow", {}).get("truncated", 0))


def test_output_limit_keeps_the_first_bytes_and_counts_the_rest(session: KernelSession) -> None:
    result = session.execute("for i in range(1000):\n    print('x' * 99)", output_limit=10_000)
    assert result.status == "ok"
    assert result.outputs[0]["text"] == ("x" * 99 + "\n") * 100
    assert truncation(result.outputs) == 90_000
    assert "raise output-limit" in result.outputs[-1]["data"]["text/plain"]


def test_default_output_limit_is_5_mb(session: KernelSession) -> None:
    result = session.execute("import sys\nfor i in range(6):\n    sys.stdout.write('y' * 2**20)")
    assert len(result.outputs[0]["text"]) == 5 * 2**20
    assert truncation(result.outputs) == 2**20


def test_images_count_against_the_output_limit(session: KernelSession) -> None:
    code = (
        "from IPython.display import Image, display\n"
        "png = bytes.fromhex('89504e470d0a1a0a') + bytes(3000)\n"
        "for i in range(2000):\n    display(Image(data=png, format='png'))"
    )
    result = session.execute(code, output_limit=100_000)
    images = [o for o in result.outputs if "image/png" in o.get("data", {})]
    each = len(images[0]["data"]["image/png"]) + len(images[0]["data"]["text/plain"])
    assert len(images) == 100_000 // each
    assert truncation(result.outputs) == (2000 - len(images)) * each
