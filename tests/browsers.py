"""The headless Chromium that browser tests drive: required where CI says so
(`NOTEFLOW_REQUIRE_BROWSER`), so a missing browser fails there instead of skipping."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> None:
    """Skip the calling test when Chromium is missing, or fail it where it is required."""
    if CHROMIUM.exists():
        return
    if os.environ.get("NOTEFLOW_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} is required here but not installed")
    pytest.skip("chromium is not installed")


def launch(playwright: Any) -> Any:
    """Headless Chromium through Playwright (which downloads nothing: the system's browser)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
    )
