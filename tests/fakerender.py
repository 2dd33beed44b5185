"""One render through the whole pipeline with in-process `FakeKernel`s (no kernel process).

Used by the `render_fake` fixture and by module-scoped fixtures that render once for
many tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakekernel import FakeKernel

from noteflow.execute import EventHandler, Executor
from noteflow.pipeline import RenderOptions, RenderOutcome, render_document, store_for


def render_with_fake_kernel(
    path: Path, on_event: EventHandler | None = None, **fields: Any
) -> RenderOutcome:
    """Render `path` as `noteflow render` does (a new executor, the document's own cache)."""
    options = RenderOptions(**fields)
    store = store_for(path, options.cache_dir)
    with Executor(store, path.parent, FakeKernel, jobs=options.jobs) as executor:
        return render_document(path, options, executor=executor, on_event=on_event)
