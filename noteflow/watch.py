"""`noteflow watch`: a live preview that re-runs only what a save changed.

A `Preview` owns one warm `Executor` for its whole life. A watchdog observer sees saves
of the document, the files its blocks read (`files:`, `data`, `include`), the lock files
and the theme; saves are debounced, and a save that arrives while blocks run cancels that
run (the interrupted block is not cached) and starts again. Every version of the page is
pushed to the open tabs over Server-Sent Events as a patch; `live.py` builds the patches
and serves them. The server binds 127.0.0.1 unless told otherwise.

A preview runs for hours: whatever a save or a connection takes (threads, sockets, the
executor's event loops) must be given back, so that the process holds as many file
descriptors and threads after a thousand saves as after the first. `tests/test_watch.py`
checks 300 saves; `bench/watch.py --soak N` prints the figures.
"""

from __future__ import annotations

import contextlib
import queue
import secrets
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .errors import NoteflowError
from .execute import Executor
from .live import (
    LiveServer,
    LiveView,
    Subscriber,
    error_message,
    live_view,
    start_server,
    update_message,
)
from .model import BlockId, BlockResult, Plan, PlannedBlock, RunSummary
from .pipeline import RenderOptions, prepare, store_for
from .plan import manifest_for
from .store import Store
from .theme import forget_themes, load_theme

__all__ = ["Preview", "serve", "start_server"]

DEBOUNCE_SECONDS = 0.03
PUBLISH_EVERY_SECONDS = 0.05


class Preview:
    """The document being previewed: its latest page, its kernels, its open tabs."""

    def __init__(self, path: Path, options: RenderOptions, log: Any = None) -> None:
        self.path = path.resolve()
        self.options = options
        self.server_id = secrets.token_hex(6)
        self.store = store_for(self.path, options.cache_dir)
        self.executor = Executor(self.store, self.path.parent, jobs=options.jobs)
        self.log = log or sys.stderr
        self.version = 0
        self.view: LiveView | None = None
        self.error = ""
        self.known: set[str] = set()
        self.watched: set[Path] = {self.path}
        self.last_results: dict[BlockId, BlockResult] = {}
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._dirty = threading.Event()
        self._changed_at = 0.0
        self._stopping = threading.Event()

    # -- changes ---------------------------------------------------------------------------

    def touch(self, path: Path | None = None) -> None:
        """A watched file changed: rebuild soon (and cancel a build under way)."""
        if path is not None and path.suffix in (".j2", ".css"):
            forget_themes()
        self._changed_at = time.monotonic()
        self._dirty.set()

    def run_worker(self) -> None:
        """Rebuild after each burst of changes until `close()`."""
        while not self._stopping.is_set():
            if not self._dirty.wait(timeout=0.2) or self._stopping.is_set():
                continue
            while time.monotonic() - self._changed_at < DEBOUNCE_SECONDS:
                time.sleep(DEBOUNCE_SECONDS / 3)
            self._dirty.clear()
            self.rebuild()

    # -- building --------------------------------------------------------------------------

    def rebuild(self) -> None:
        started = time.monotonic()
        try:
            document, plan, _ = prepare(self.path, self.options)
        except NoteflowError as err:
            self._publish_error(str(err))
            return
        self.watched = watched_paths(plan)
        results = self._provisional(plan)
        running = {
            b.id for b in plan.blocks if b.stale and b.node.block.option("eval") is not False
        }
        self._publish(plan, results, running)
        last = [time.monotonic()]

        def progress(kind: str, planned: PlannedBlock, result: BlockResult | None) -> None:
            if kind in ("cached", "running") or result is None:
                return
            results[planned.id] = result
            running.discard(planned.id)
            if time.monotonic() - last[0] >= PUBLISH_EVERY_SECONDS:
                last[0] = time.monotonic()
                self._publish(plan, results, running)

        summary = self.executor.run(plan, on_event=progress, cancel=self._dirty.is_set)
        if self._dirty.is_set():
            return  # superseded by a newer save; its build publishes next
        self.store.write_manifest(document.path, manifest_for(plan))
        self.watched = watched_paths(plan, self.store)
        self.last_results = dict(summary.results)
        self._publish(plan, dict(summary.results), set(), summary)
        self._report(summary, time.monotonic() - started)

    def _provisional(self, plan: Plan) -> dict[BlockId, BlockResult]:
        """What to show while stale blocks run: their previous output, else a note."""
        results: dict[BlockId, BlockResult] = {}
        for planned in plan.blocks:
            if planned.node.block.option("eval") is False:
                results[planned.id] = BlockResult(planned.id, "skipped", (), 0.0, "", planned.key)
            elif not planned.stale and planned.entry is not None:
                entry = planned.entry
                results[planned.id] = BlockResult(
                    planned.id, "cached", entry.outputs, entry.seconds, "", planned.key, entry.error
                )
            else:
                previous = self.last_results.get(planned.id)
                results[planned.id] = previous or BlockResult(
                    planned.id, "not-run", (), 0.0, "running…", planned.key
                )
        return results

    def _publish(
        self,
        plan: Plan,
        results: Mapping[BlockId, BlockResult],
        running: set[BlockId],
        summary: RunSummary | None = None,
    ) -> None:
        versions = summary.kernel_versions if summary else self.executor.versions(plan)
        view = live_view(
            plan.graph.document, RunSummary(dict(results), 0.0, versions), self.store, set(running)
        )
        with self._lock:
            self.version += 1
            message = update_message(self.server_id, self.version, view, self.known)
            self.known = {key for key, _ in view.segments}
            self.view, self.error = view, ""
            self._broadcast(message)

    def _publish_error(self, text: str) -> None:
        with self._lock:
            self.version += 1
            self.error = text
            self._broadcast(error_message(self.server_id, self.version, text))
        print(f"noteflow: {text}", file=self.log, flush=True)

    def _broadcast(self, message: dict[str, Any]) -> None:
        for subscriber in self._subscribers:
            subscriber.put(message)

    def _report(self, summary: RunSummary, seconds: float) -> None:
        executed = summary.count("executed")
        failed = len(summary.failed)
        note = f", {failed} failed" if failed else ""
        cached = summary.count("cached")
        print(
            f"noteflow: updated in {seconds:.2f} s ({executed} executed, {cached} cached{note})",
            file=self.log,
            flush=True,
        )

    # -- tabs ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything a tab needs to show the current version."""
        with self._lock:
            if self.view is None:
                return error_message(self.server_id, self.version, self.error or "rendering…")
            return update_message(self.server_id, self.version, self.view, None, self.error)

    def subscribe(self) -> Subscriber:
        subscriber: Subscriber = queue.Queue()
        with self._lock:
            self._subscribers.append(subscriber)
        subscriber.put(self.state())
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def page(self) -> str:
        with self._lock:
            if self.view is not None:
                return self.view.page
        return STARTING_PAGE

    def close(self) -> None:
        self._stopping.set()
        self._dirty.set()
        with self._lock:
            for subscriber in self._subscribers:
                subscriber.put(None)
        self.executor.close()


STARTING_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="1">'
    "<title>noteflow</title></head><body><p>Rendering… (this page reloads when it is ready)</p>"
    "</body></html>"
)


def watched_paths(plan: Plan, store: Store | None = None) -> set[Path]:
    """The document, the files it includes and inlines, the files its blocks read (declared,
    and once a run has recorded them, seen), its lock files and its theme's files."""
    document = plan.graph.document
    base = document.path.parent
    paths = {document.path, *document.included}
    # Images the page inlines and files MyST includes (the syntax plugins list them).
    paths.update(Path(p).resolve() for p in document.env.get("nf_assets", ()))
    for node in plan.graph.nodes:
        paths.update((base / f).resolve() for f in node.files)
    for planned in plan.blocks:
        entry = planned.entry or (store.get(planned.key) if store is not None else None)
        if entry is not None:
            paths.update((base / r.path).resolve() for r in entry.reads)
    for name in document.front_matter.get("environment") or []:
        paths.add((base / str(name)).resolve())
    try:
        theme = load_theme(str(document.front_matter.get("theme") or "default"))
        paths.update(p.resolve() for p in theme.directory.iterdir() if p.is_file())
    except NoteflowError:
        pass
    return paths


class _Changes(FileSystemEventHandler):
    """Turns filesystem events on watched paths into `Preview.touch()`."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw and Path(str(raw)).resolve() in self.preview.watched:
                self.preview.touch(Path(str(raw)))
                return


class Watcher:
    """A watchdog observer on the folders of the watched paths, kept up to date."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        self.observer = Observer()
        self.handler = _Changes(preview)
        self.folders: set[Path] = set()

    def start(self) -> None:
        self.refresh()
        self.observer.start()

    def refresh(self) -> None:
        folders = {p.parent for p in self.preview.watched if p.parent.is_dir()}
        if folders == self.folders:
            return
        self.observer.unschedule_all()
        for folder in folders:
            self.observer.schedule(self.handler, str(folder), recursive=False)
        self.folders = folders

    def stop(self) -> None:
        self.observer.stop()
        if self.observer.is_alive():
            self.observer.join(timeout=5)


def serve(preview: Preview, server: LiveServer) -> None:
    """Build once, then serve and watch until Ctrl-C; everything is stopped on the way out."""
    watcher = Watcher(preview)
    worker = threading.Thread(target=preview.run_worker, name="noteflow-preview", daemon=True)
    http = threading.Thread(target=server.serve_forever, name="noteflow-http", daemon=True)
    try:
        http.start()
        watcher.start()  # before the first build, so a save made during it is not missed
        preview.rebuild()
        worker.start()
        while True:
            time.sleep(0.2)
            watcher.refresh()
    finally:
        # Ctrl-C may arrive at any point above: every step below must still run.
        for step in (watcher.stop, preview.close, server.shutdown, server.server_close):
            with contextlib.suppress(Exception):
                step()
