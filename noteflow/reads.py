"""Observed reads: the files a block was seen to read, recorded with their content, and
the check that a recorded read still holds (DESIGN §4, "Observed reads").

Kernels report the paths their code opened for reading or listed (Python audit hooks, R
connection tracers, wrapped Deno file functions); on Linux the operating system reports
opens by any process (`OsReadWatcher`), which catches bash, subprocesses and C libraries.
Only paths under the project root count, and never noteflow's own store. A recorded read
is checked with one `stat`: the content is hashed again only when size or mtime changed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .model import FileRead

log = logging.getLogger("noteflow")

_digests: dict[tuple[str, int, int], str] = {}
_digests_lock = threading.Lock()
SKIPPED_PARTS = frozenset({"__pycache__", ".git", ".ipynb_checkpoints"})


def file_digest(path: Path) -> str:
    """sha256 of a file's content, remembered while its size and mtime stay the same."""
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return "missing"
    marker = (str(path), stat.st_mtime_ns, stat.st_size)
    known = _digests.get(marker)
    if known is not None:
        return known
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return "missing"
    with _digests_lock:
        _digests[marker] = digest.hexdigest()
    return _digests[marker]


SOURCE_SUFFIXES = (".md", ".qmd", ".Rmd", ".ipynb")
PAGE_SUFFIXES = (".html", ".ipynb")


def _listing(path: Path) -> tuple[int, str]:
    """How many names a directory holds and the sha256 of its sorted names.

    Hidden names (the store, temp files) and pages rendered from a document beside them
    (`report.html` next to `report.md`) are left out: noteflow writes those itself.
    """
    try:
        names = [n for n in os.listdir(path) if not n.startswith(".")]
    except OSError:
        return 0, "missing"
    stems = {n.rsplit(".", 1)[0] for n in names if n.endswith(SOURCE_SUFFIXES)}
    kept = sorted(
        n
        for n in names
        if not (
            n.endswith(PAGE_SUFFIXES)
            and n.rsplit(".", 1)[0] in stems
            and not n.endswith(SOURCE_SUFFIXES)
        )
    )
    return len(kept), hashlib.sha256("\0".join(kept).encode("utf-8", "replace")).hexdigest()


def in_project(path: str, root: Path, excluded: Iterable[Path]) -> str | None:
    """`path` relative to `root` in POSIX form, or None when outside it or excluded."""
    try:
        relative = Path(os.path.normpath(path)).relative_to(root)
    except ValueError:
        return None
    if SKIPPED_PARTS.intersection(relative.parts):
        return None
    absolute = root / relative
    if any(absolute == e or e in absolute.parents for e in excluded):
        return None
    return relative.as_posix()


def record_reads(
    observed: Iterable[tuple[str, str]], root: Path, excluded: Iterable[Path] = ()
) -> tuple[FileRead, ...]:
    """The reads (`("file" | "dir", absolute path)`) under `root`, with content as it is now."""
    excluded = tuple(excluded)
    seen: dict[tuple[str, str], FileRead] = {}
    for kind, raw in observed:
        relative = in_project(raw, root, excluded)
        if relative is None or (kind, relative) in seen:
            continue
        read = snapshot(kind, relative, root)
        if read is not None:
            seen[(kind, relative)] = read
    return tuple(sorted(seen.values(), key=lambda r: (r.path, r.kind)))


def snapshot(kind: str, relative: str, root: Path) -> FileRead | None:
    """A file's or directory's state now; None for a directory opened as a file and the like."""
    path = root / relative
    try:
        stat = path.stat()
    except OSError:
        return FileRead(relative, "dir" if kind == "dir" else "file", 0, 0, "missing")
    if os.path.isdir(path):
        if kind != "dir":
            return None
        count, digest = _listing(path)
        return FileRead(relative, "dir", count, stat.st_mtime_ns, digest)
    if kind == "dir":
        return None
    return FileRead(relative, "file", stat.st_size, stat.st_mtime_ns, file_digest(path))


def changed_read(reads: Iterable[FileRead], root: Path) -> str:
    """Why a recorded read no longer holds (`file data/d.csv changed`), or '' if all hold."""
    for read in reads:
        path = root / read.path
        try:
            stat = path.stat()
        except OSError:
            if read.digest != "missing":
                return f"file {read.path} deleted (read by the block)"
            continue
        if read.digest == "missing":
            return f"file {read.path} created (read by the block)"
        if read.kind == "file":
            if stat.st_size == read.size and stat.st_mtime_ns == read.mtime_ns:
                continue
            if file_digest(path) != read.digest:
                return f"file {read.path} changed (read by the block)"
        elif stat.st_mtime_ns != read.mtime_ns and _listing(path)[1] != read.digest:
            return f"folder {read.path} changed (listed by the block)"
    return ""


_OPEN_EVENTS = {"opened": "opened", "closed_no_write": "read", "closed": "written"}


class OsReadWatcher:
    """Files under a root opened by any process, attributed to the blocks running then.

    Uses watchdog's inotify observer (Linux only; elsewhere `start` returns False and
    in-language hooks are all there is). An open seen while several blocks run is given to
    each of them: over-attributing costs a re-run, never a stale result. `end` waits for the
    kernel's queue to drain past a marker file, so no event of the block arrives late.
    """

    def __init__(self, root: Path, marker_dir: Path | None) -> None:
        self.root = root
        # The marker must be under the watched root: one inotify instance keeps order.
        inside = marker_dir is not None and root in marker_dir.parents
        self.marker_dir = marker_dir if inside else None
        self._running: dict[str, dict[str, str]] = {}
        """Per running block, path -> `read` (closed without writing) or `opened` or `written`."""
        self._lock = threading.Lock()
        self._markers: dict[str, threading.Event] = {}
        self._observer: Any = None

    def start(self) -> bool:
        try:
            from watchdog.observers.inotify import InotifyObserver
        except ImportError:
            return False
        from watchdog.events import FileSystemEventHandler

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                watcher._event(event)

        # watchdog warns when a folder is made and removed quickly (the store's temp files).
        warnings.filterwarnings("ignore", "Callback with id", RuntimeWarning)
        try:
            if self.marker_dir is not None:
                self.marker_dir.mkdir(parents=True, exist_ok=True)
            observer = InotifyObserver()
            observer.schedule(Handler(), str(self.root), recursive=True)
            observer.start()
        except (OSError, RuntimeError) as err:
            log.warning(
                "cannot watch %s for file reads (%s); only in-language hooks", self.root, err
            )
            return False
        self._observer = observer
        return True

    def _event(self, event: Any) -> None:
        path = os.fsdecode(event.src_path)
        marker = self._markers.get(path)
        if marker is not None:
            marker.set()
            return
        kind = _OPEN_EVENTS.get(event.event_type)
        if kind is None or event.is_directory:
            return
        with self._lock:
            for seen in self._running.values():
                if seen.get(path) != "read":  # once read, it stays read
                    seen[path] = kind

    def begin(self, block: str) -> None:
        with self._lock:
            self._running[block] = {}

    def end(self, block: str) -> list[tuple[str, str]]:
        """The files opened under the root while `block` ran, except those only written (an
        open that was closed after writing): a log a block appends to is not an input."""
        self._drain()
        with self._lock:
            seen = self._running.pop(block, {})
        return [("file", p) for p, kind in sorted(seen.items()) if kind != "written"]

    def _drain(self, timeout: float = 2.0) -> None:
        if self._observer is None:
            return
        if self.marker_dir is None:
            time.sleep(0.05)
            return
        fd_path = self.marker_dir / f"marker-{threading.get_ident()}-{time.monotonic_ns()}"
        event = threading.Event()
        self._markers[str(fd_path)] = event
        try:
            fd_path.write_bytes(b"")
            if not event.wait(timeout):
                log.warning("file-read events were late; a block's reads may be incomplete")
        finally:
            self._markers.pop(str(fd_path), None)
            fd_path.unlink(missing_ok=True)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
