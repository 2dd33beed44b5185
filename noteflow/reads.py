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
import importlib.util
import logging
import os
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .model import FileRead

log = logging.getLogger("noteflow")

_digests: dict[str, tuple[int, int, str]] = {}
"""path -> (mtime_ns, size, sha256) of the last version hashed (one per file, not per version)."""
_digests_lock = threading.Lock()
SKIPPED_PARTS = frozenset({"__pycache__", ".git", ".ipynb_checkpoints"})


def file_digest(path: Path) -> str:
    """sha256 of a file's content, remembered while its size and mtime stay the same."""
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return "missing"
    known = _digests.get(str(path))
    if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
        return known[2]
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return "missing"
    with _digests_lock:
        _digests[str(path)] = (stat.st_mtime_ns, stat.st_size, digest.hexdigest())
    return digest.hexdigest()


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


UNSURE = "unsure"
UNSURE_PATH = ".noteflow-unsure"
"""The digest of a read that cannot be trusted: it never holds, so the block runs again."""


def record_reads(
    observed: Iterable[tuple[str, str]],
    root: Path,
    excluded: Iterable[Path] = (),
    since_ns: int | None = None,
) -> tuple[FileRead, ...]:
    """The reads under `root`, with their content as it is now.

    `observed` holds `("file" | "dir", absolute path)`, plus `("written", path)` for files
    written while the block ran (not inputs unless also read) and `("unsure", path)` where
    the record may be incomplete. A file read and modified since `since_ns` (while the
    block ran, by it or anyone) is recorded as unsure: what the block read may not be
    what is there now, so it runs again next time.
    """
    excluded = tuple(excluded)
    seen: dict[tuple[str, str], FileRead] = {}
    for kind, raw in observed:
        relative = in_project(_source_of_bytecode(raw), root, excluded)
        if kind == "written" or relative is None or (kind, relative) in seen:
            continue
        read = snapshot(kind, relative, root) if kind != UNSURE else None
        racy = read is not None and since_ns is not None and read.mtime_ns >= since_ns
        if kind == UNSURE or racy:
            read = FileRead(relative, "file", 0, 0, UNSURE)
        if read is not None:
            seen[(kind, relative)] = read
    return tuple(sorted(seen.values(), key=lambda r: (r.path, r.kind)))


def _source_of_bytecode(path: str) -> str:
    """A cached `__pycache__/m.cpython-311.pyc` stands for the `m.py` it was compiled from:
    an import that found fresh bytecode read the source's content all the same."""
    if "__pycache__" not in path or not path.endswith(".pyc"):
        return path
    try:
        return importlib.util.source_from_cache(path)
    except ValueError:
        return path


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
        if read.digest == UNSURE and read.path == UNSURE_PATH:
            return "its file reads could not all be seen"
        if read.digest == UNSURE:
            return f"file {read.path} changed while the block read it"
        path = root / read.path
        try:
            stat = path.stat()
        except (OSError, ValueError):
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


_OPEN_EVENTS = {
    "opened": "opened",
    "closed_no_write": "read",
    "closed": "closed_writable",
    "modified": "modified",
}
MARKER_PREFIX = ".noteflow-sync-"


class OsReadWatcher:
    """Files under a root opened by any process, attributed to the blocks running then.

    Uses watchdog's inotify observer (Linux only; elsewhere `start` returns False and
    in-language hooks are all there is). Events arrive late, on another thread, so a
    block's window is marked in the event stream itself: `begin` creates a marker file
    and `end` another, and the events between the two markers are the block's. `end`
    waits for its marker to come through, so no event of the block is missed and none
    from before it (the document being read, say) is counted. An open seen while several
    blocks run is given to each of them: over-attributing costs a re-run, never a stale
    result.
    """

    def __init__(self, root: Path, marker_dir: Path | None) -> None:
        self.root = root
        # Markers must be under the watched root (one inotify instance keeps the order):
        # the store's temp folder when it is inside the project, else the root itself.
        inside = marker_dir is not None and root in marker_dir.parents
        self.marker_dir = marker_dir if inside and marker_dir is not None else root
        self._running: dict[str, dict[str, set[str]]] = {}
        """Per open window, path -> what was seen of it (`opened`, `read`, `modified`, ...)."""
        self._lock = threading.Lock()
        self._markers: dict[str, tuple[str, str, threading.Event]] = {}
        """Marker path -> ("begin" | "end", block, event set when it came through)."""
        self._serial = 0
        self._unwatched: set[str] = set()
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
            self.marker_dir.mkdir(parents=True, exist_ok=True)
            observer = InotifyObserver()
            observer.schedule(Handler(), str(self.root), recursive=True)
            observer.start()
        except (OSError, RuntimeError) as err:
            log.warning("cannot watch %s for file reads (%s)", self.root, err)
            return False
        self._observer = observer
        return True

    def _event(self, event: Any) -> None:
        path = os.fsdecode(event.src_path)
        if os.path.basename(path).startswith(MARKER_PREFIX):
            with self._lock:
                marker = self._markers.pop(path, None)
                if marker is not None and marker[0] == "begin":
                    self._running[marker[1]] = {}
            if marker is not None:
                marker[2].set()
            return
        kind = _OPEN_EVENTS.get(event.event_type)
        if kind is None or event.is_directory:
            return
        with self._lock:
            for seen in self._running.values():
                seen.setdefault(path, set()).add(kind)

    def _mark(self, which: str, block: str) -> threading.Event:
        with self._lock:
            self._serial += 1
            path = self.marker_dir / f"{MARKER_PREFIX}{os.getpid()}-{self._serial}"
            done = threading.Event()
            self._markers[str(path)] = (which, block, done)
        self.marker_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        path.unlink(missing_ok=True)
        return done

    def begin(self, block: str) -> None:
        if self._observer is not None:
            try:
                self._mark("begin", block)
            except OSError:
                self._unwatched.add(block)  # no window: `end` says the record is unsure

    def end(self, block: str) -> list[tuple[str, str]]:
        """The files opened under the root while `block` ran, as `("file", path)`, and those
        it wrote, as `("written", path)`: a file only written (a log the block appends to)
        is not an input. When the record may be incomplete, `("unsure", root)`."""
        if self._observer is None:
            return []
        try:
            on_time = self._mark("end", block).wait(2.0)
        except OSError:
            on_time = False
        with self._lock:
            seen = self._running.pop(block, {})
        complete = on_time and block not in self._unwatched
        self._unwatched.discard(block)
        found = [] if complete else [(UNSURE, str(self.root / UNSURE_PATH))]
        for path, kinds in sorted(seen.items()):
            wrote = "modified" in kinds and "closed_writable" in kinds
            if "read" in kinds or not wrote:
                found.append(("file", path))
            if wrote:
                found.append(("written", path))
        return found

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
