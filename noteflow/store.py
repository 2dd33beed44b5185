"""The cache store: content-addressed entries and blobs in a directory (DESIGN §4).

Layout of a store directory (default `.noteflow/` beside the document):

    entries/<k[:2]>/<key>.json     one entry per cache key: outputs, status, exports
    blobs/<h[:2]>/<sha256>         images and saved values, deduplicated by content
    documents/<name>.json          per document: the keys and key components of its
                                   last render (explains misses; `gc` keeps what they name)

Every write is a temp file in the same folder followed by an atomic rename, so a reader
never sees half a file and two renders at once do not corrupt each other; files get the
modes the umask allows. Every blob is verified against its hash when read. A corrupt,
truncated or wrong-shaped entry is a miss with a warning, never a crash. Kernels never
write here: they write values into a staging folder and `adopt_blob` verifies and moves
them in; a kernel reads a value from a verified copy that `stage_blob` puts in its folder.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import errno
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from .errors import WriteError
from .model import CacheKey, Entry, FileRead
from .tempdirs import owner_alive, process_start

log = logging.getLogger("noteflow")

ENTRY_FORMAT = 2
CHECKSUM = b',"checksum":"'
BLOB_MIME_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


class Store(Protocol):
    """What the planner and executor need from a cache store: bytes in, bytes out."""

    root: Path

    def get(self, key: CacheKey) -> Entry | None: ...

    def put(self, entry: Entry) -> None: ...

    def blob(self, digest: str) -> bytes | None: ...

    def has_blob(self, digest: str) -> bool: ...

    def put_blob(self, data: bytes) -> str: ...

    def adopt_blob(self, staged: Path, digest: str | None = None) -> str | None: ...

    def stage_blob(self, digest: str, folder: Path) -> Path | None: ...


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_current_umask()


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, nothing else.

    The file gets the mode the umask allows (0644 under umask 022). A failure (disk full,
    no permission) raises `WriteError` and leaves no temp file; the old file stays whole.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except OSError as err:
        raise _write_error(path, err) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise _write_error(path, err) from None
        raise


def _write_error(path: Path, err: OSError) -> WriteError:
    reason = "no space left on device" if err.errno == errno.ENOSPC else err.strerror or str(err)
    return WriteError(f"cannot write {path}: {reason.lower()}")


def _touch(path: Path) -> bool:
    """Mark an existing file as just used (so `gc` spares it); False when it is not there."""
    try:
        os.utime(path)
    except OSError:
        return False
    return True


def _move_in(staged: Path, target: Path) -> None:
    """Put a verified staged file at `target` atomically (a copy when across file systems)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(staged, FILE_MODE)
        os.replace(staged, target)
    except OSError as err:
        if err.errno != errno.EXDEV:
            raise _write_error(target, err) from None
        atomic_write(target, staged.read_bytes())
        staged.unlink(missing_ok=True)


class LocalStore:
    """A store in a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def blob_dir(self) -> Path:
        return self.root / "blobs"

    def entry_path(self, key: str) -> Path:
        return self.root / "entries" / key[:2] / f"{key}.json"

    def blob_path(self, digest: str) -> Path:
        return self.blob_dir / digest[:2] / digest

    def get(self, key: CacheKey) -> Entry | None:
        path = self.entry_path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            log.warning("cannot read cache entry %s (%s); treating it as a miss", path, err)
            return None
        return self._decode(key, raw, path)

    def _decode(self, key: CacheKey, raw: bytes, path: Path) -> Entry | None:
        try:
            data = json.loads(checked_body(raw))
            if data.get("format") != ENTRY_FORMAT or data.get("key") != key:
                raise ValueError("wrong format or key")
            return entry_from_json(data)
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            log.warning("corrupt cache entry %s (%s); it will be re-run", path, err)
            return None

    def put(self, entry: Entry) -> None:
        data = entry_to_json(self._externalise(entry))
        atomic_write(self.entry_path(entry.key), with_checksum(json.dumps(data, sort_keys=True)))

    def _externalise(self, entry: Entry) -> Entry:
        outputs = tuple(self._externalise_output(o) for o in entry.outputs)
        return dataclasses.replace(entry, outputs=outputs)

    def _externalise_output(self, output: Mapping[str, Any]) -> Mapping[str, Any]:
        data = output.get("data")
        if not data or not any(isinstance(data.get(m), str) for m in BLOB_MIME_TYPES):
            return output
        moved = {
            mime: self._externalise_image(value)
            if mime in BLOB_MIME_TYPES and isinstance(value, str)
            else value
            for mime, value in data.items()
        }
        return {**output, "data": moved}

    def _externalise_image(self, value: str) -> Any:
        """A base64 image as a blob reference; text that is not base64 stays as it is (the
        page shows a notice for it)."""
        try:
            decoded = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            return value
        return {"blob": self.put_blob(decoded)}

    def blob(self, digest: str) -> bytes | None:
        """The blob's bytes, or None when it is missing or does not match its hash."""
        try:
            data = self.blob_path(digest).read_bytes()
        except (OSError, ValueError):
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            log.warning("cache blob %s does not match its hash; it is not used", digest[:12])
            return None
        return data

    def has_blob(self, digest: str) -> bool:
        return _is_digest(digest) and self.blob_path(digest).is_file()

    def put_blob(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.blob_path(digest)
        if not _touch(path) or self.blob(digest) is None:  # missing or damaged: write it
            atomic_write(path, data)
        return digest

    def adopt_blob(self, staged: Path, digest: str | None = None) -> str | None:
        """Move a file a kernel staged into the store, after checking its hash.

        Returns the digest, or None when the file is missing or is not what `digest` says.
        """
        try:
            data = staged.read_bytes()
        except OSError:
            return None
        actual = hashlib.sha256(data).hexdigest()
        if digest is not None and actual != digest:
            staged.unlink(missing_ok=True)
            return None
        target = self.blob_path(actual)
        if _touch(target) and self.blob(actual) is not None:
            staged.unlink(missing_ok=True)
        else:
            _move_in(staged, target)
        return actual

    def stage_blob(self, digest: str, folder: Path) -> Path | None:
        """A verified copy of a blob in `folder` for a kernel to read; None if unusable."""
        data = self.blob(digest) if _is_digest(digest) else None
        if data is None:
            return None
        path = folder / f"blob-{digest}"
        if not path.exists():
            tmp = folder / f".tmp-{digest}"
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return path

    @contextlib.contextmanager
    def hold(self, keys: Iterable[str]) -> Iterator[None]:
        """While a render runs, `cache gc` keeps its keys (and their blobs) whatever their age."""
        lease = self.root / "leases" / f"{os.getpid()}-{threading.get_ident()}.json"
        body = {"pid": os.getpid(), "start": process_start(os.getpid()), "keys": sorted(keys)}
        atomic_write(lease, json.dumps(body).encode())
        try:
            yield
        finally:
            lease.unlink(missing_ok=True)

    def held_keys(self) -> set[str]:
        """Keys of renders in progress (leases whose process is alive); stale leases go."""
        keys: set[str] = set()
        for path in (self.root / "leases").glob("*.json"):
            try:
                body = json.loads(path.read_bytes())
                alive = owner_alive(int(body["pid"]), int(body["start"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if alive:
                keys.update(str(k) for k in body.get("keys", []))
            else:
                path.unlink(missing_ok=True)
        return keys

    def delete(self, key: str) -> bool:
        try:
            self.entry_path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def keys(self) -> Iterator[str]:
        for path in (self.root / "entries").glob("*/*.json"):
            yield path.stem

    def blobs(self) -> Iterator[Path]:
        yield from self.blob_dir.glob("*/*")

    def manifest_path(self, document: Path) -> Path:
        name = hashlib.sha256(str(document.resolve()).encode()).hexdigest()[:16]
        return self.root / "documents" / f"{document.stem}-{name}.json"

    def read_manifest(self, document: Path) -> dict[str, Any]:
        """The document's last render (keys and key components per block), or {} when there
        is none or it does not have that shape (a warning: only "why" reasons are lost)."""
        path = self.manifest_path(document)
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            log.warning("cannot read %s (%s); reasons for re-runs are not known", path, err)
            return {}
        blocks = data.get("blocks") if isinstance(data, dict) else None
        if not isinstance(blocks, dict) or not all(
            isinstance(b, dict) and isinstance(b.get("components", {}), dict)
            for b in blocks.values()
        ):
            log.warning("%s has the wrong shape; reasons for re-runs are not known", path)
            return {}
        return data

    def write_manifest(self, document: Path, blocks: Mapping[str, Any]) -> None:
        data = {"document": str(document.resolve()), "written": time.time(), "blocks": dict(blocks)}
        atomic_write(self.manifest_path(document), json.dumps(data, sort_keys=True).encode())

    def manifests(self) -> Iterator[dict[str, Any]]:
        for path in (self.root / "documents").glob("*.json"):
            try:
                data = json.loads(path.read_bytes())
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                data["_path"] = str(path)
                yield data


def entry_to_json(entry: Entry) -> dict[str, Any]:
    data = asdict(entry)
    data["format"] = ENTRY_FORMAT
    data["outputs"] = [dict(o) for o in entry.outputs]
    return data


def with_checksum(body: str) -> bytes:
    """A JSON object's text with its own sha256 appended as a last member, `checksum`."""
    encoded = body.encode()
    digest = hashlib.sha256(encoded).hexdigest().encode()
    return encoded[:-1] + CHECKSUM + digest + b'"}'


def checked_body(raw: bytes) -> bytes:
    """The JSON an entry file holds, once its checksum matches; ValueError if it does not."""
    head, separator, tail = raw.rpartition(CHECKSUM)
    body = head + b"}"
    if (
        not separator
        or tail[64:] != b'"}'
        or hashlib.sha256(body).hexdigest() != tail[:64].decode("ascii", "replace")
    ):
        raise ValueError("the entry does not match its checksum")
    return body


def entry_from_json(data: Mapping[str, Any]) -> Entry:
    """An `Entry` from its JSON; ValueError (or TypeError, KeyError) for any wrong shape."""
    status = data["status"]
    if status not in ("ok", "failed"):
        raise ValueError("bad status")
    return Entry(
        key=CacheKey(data["key"]),
        block=str(data["block"]),
        status=status,
        outputs=tuple(_checked_output(o) for o in _list(data["outputs"])),
        seconds=float(data["seconds"]),
        exports=_checked_exports(data["exports"]),
        language_version=str(data.get("language_version", "")),
        created=float(data.get("created", 0.0)),
        error=str(data.get("error", "")),
        reads=tuple(_checked_read(r) for r in _list(data.get("reads", []))),
    )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def _checked_output(output: Any) -> Mapping[str, Any]:
    if not isinstance(output, dict) or not isinstance(output.get("output_type"), str):
        raise ValueError("an output is not an nbformat output")
    data = output.get("data", {})
    if not isinstance(data, dict):
        raise ValueError("an output's data is not a mapping")
    for value in data.values():
        if isinstance(value, dict) and not _is_digest(value.get("blob")):
            raise ValueError("an output names a blob badly")
    return output


def _checked_exports(exports: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(exports, dict):
        raise ValueError("exports are not a mapping")
    for spec in exports.values():
        if not isinstance(spec, dict):
            raise ValueError("an export is not a mapping")
        for field in ("blob", "json"):
            if field in spec and not _is_digest(spec[field]):
                raise ValueError(f"an export's {field} is not a digest")
    return dict(exports)


def _checked_read(item: Any) -> FileRead:
    if not isinstance(item, dict) or item.get("kind") not in ("file", "dir"):
        raise ValueError("a recorded read has the wrong shape")
    path = str(item["path"])
    if path.startswith("/") or ".." in path.split("/"):
        raise ValueError("a recorded read leaves the project")
    return FileRead(
        path, item["kind"], int(item["size"]), int(item["mtime_ns"]), str(item["digest"])
    )


def _is_digest(value: Any) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def open_store(location: str | Path) -> LocalStore:
    """The store at a local directory path."""
    return LocalStore(Path(location).resolve())
