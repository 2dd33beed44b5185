"""Shared fixtures: a scratch folder with documents, and a check that real kernels exist.

Tests marked `kernel` run a real ipykernel. In CI (`NOTEFLOW_REQUIRE_KERNELS` set by
`.ci/run`) a missing kernel is a failure, never a skip.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from noteflow.adapters import find_kernelspec

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def write_doc(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a document (dedented) into a scratch folder and return its path."""

    def write(text: str, name: str = "doc.md") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    required = [k for k in os.environ.get("NOTEFLOW_REQUIRE_KERNELS", "").split(",") if k]
    missing = [k for k in required if find_kernelspec(k) is None]
    if missing:
        raise pytest.UsageError(f"kernels required in CI are not installed: {', '.join(missing)}")
