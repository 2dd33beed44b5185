"""Shared fixtures: a scratch folder with documents, renders with the in-process fake
kernel, a second Python kernelspec, and the guards of the test tiers.

Tests marked `kernel` run a real Jupyter kernel. In CI (`NOTEFLOW_REQUIRE_KERNELS` set by
`.ci/run`) a missing kernel is a failure, never a skip. Every other test is in the fast
tier (`-m "not kernel and not browser and not slow"`): it fails if it launches a kernel
process, so the fast tier cannot slowly fill with kernel tests nobody marked.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakekernel import FakeKernel
from fakerender import render_with_fake_kernel

from noteflow.adapters import find_kernelspec
from noteflow.pipeline import RenderOutcome

FIXTURES = Path(__file__).parent / "fixtures"

RenderFake = Callable[..., RenderOutcome]
"""render_fake(path, on_event=None, **RenderOptions fields) -> RenderOutcome."""


@pytest.fixture
def write_doc(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a document (dedented) into a scratch folder and return its path."""

    def write(text: str, name: str = "doc.md") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def render_fake() -> Iterator[RenderFake]:
    """Render a document through the whole pipeline with fresh `FakeKernel`s.

    Each call is one render (a new executor, the document's own cache, as `noteflow
    render` does); `FakeKernel.instances` holds the kernels this test started.
    """
    FakeKernel.instances.clear()
    yield render_with_fake_kernel
    FakeKernel.instances.clear()


@pytest.fixture
def second_python_kernelspec(tmp_path: Path) -> Iterator[str]:
    """A second Python kernelspec, `python-two`, on Jupyter's path for this test only."""
    folder = tmp_path / "jupyter" / "kernels" / "python-two"
    folder.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (folder / "kernel.json").write_text(json.dumps({"argv": argv, "language": "python"}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
        _forget_kernelspecs()
        yield "python-two"
    _forget_kernelspecs()


def _forget_kernelspecs() -> None:
    from noteflow import adapters

    for cached in (adapters.find_kernelspec, adapters._kernel_dirs):
        cached.cache_clear()


@pytest.fixture(autouse=True)
def no_kernel_without_the_mark(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A test without the `kernel` mark fails if it launches a kernel process in-process."""
    if request.node.get_closest_marker("kernel") is not None:
        yield
        return
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    launched: list[str] = []

    async def refuse(self: Any, cmd: list[str], **kwargs: Any) -> Any:
        launched.append(" ".join(cmd))
        raise RuntimeError("a test without @pytest.mark.kernel tried to start a kernel")

    monkeypatch.setattr(LocalProvisioner, "launch_kernel", refuse)
    yield
    if launched:
        pytest.fail(
            "this test starts a real kernel: mark it @pytest.mark.kernel "
            f"(or use the fake kernel); it launched {launched[0]!r}",
            pytrace=False,
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    required = [k for k in os.environ.get("NOTEFLOW_REQUIRE_KERNELS", "").split(",") if k]
    missing = [k for k in required if find_kernelspec(k) is None]
    if missing:
        raise pytest.UsageError(f"kernels required in CI are not installed: {', '.join(missing)}")
