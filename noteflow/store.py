"""The cache store: content-addressed entries and blobs in a directory (DESIGN §4).

Layout of a store directory (default `.noteflow/` beside the document):

    entries/<k[:2]>/<key>.json     one entry per cache key: outputs, status, exports
    blobs/<h[:2]>/<sha256>         images and saved values, deduplicated by content
    documents/<name>.json          per document: the keys and key components of its
                                   last render (explains misses; `gc` keeps what they name)

Every write is a temp file in the same folder followed by an atomic rename, so a reader
never sees half a file and two renders at once do not corrupt each other. A corrupt or
truncated entry is a miss with a warning, never a crash.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from .model import CacheKey, Entry

log = logging.getLogger("noteflow")

ENTRY_FORMAT = 1
BLOB_MIME_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


class Store(Protocol):
    """What the planner and executor need from a cache store."""

    root: Path

    def get(self, key: CacheKey) -> Entry | None: ...

    def put(self, entry: Entry) -> None: ...

    def blob(self, digest: str) -> bytes | None: ...

    def blob_path(self, digest: str) -> Path: ...

    def put_blob(self, data: bytes) -> str: ...

    @property
    def blob_dir(self) -> Path: ...


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, nothing else."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
            data = json.loads(raw)
            if data.get("format") != ENTRY_FORMAT or data.get("key") != key:
                raise ValueError("wrong format or key")
            return entry_from_json(data)
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            log.warning("corrupt cache entry %s (%s); it will be re-run", path, err)
            return None

    def put(self, entry: Entry) -> None:
        data = entry_to_json(self._externalise(entry))
        atomic_write(self.entry_path(entry.key), json.dumps(data, sort_keys=True).encode())

    def _externalise(self, entry: Entry) -> Entry:
        outputs = tuple(self._externalise_output(o) for o in entry.outputs)
        return dataclasses.replace(entry, outputs=outputs)

    def _externalise_output(self, output: Mapping[str, Any]) -> Mapping[str, Any]:
        data = output.get("data")
        if not data or not any(isinstance(data.get(m), str) for m in BLOB_MIME_TYPES):
            return output
        moved = {
            mime: (
                {"blob": self.put_blob(base64.b64decode(value))}
                if mime in BLOB_MIME_TYPES and isinstance(value, str)
                else value
            )
            for mime, value in data.items()
        }
        return {**output, "data": moved}

    def blob(self, digest: str) -> bytes | None:
        try:
            data = self.blob_path(digest).read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == digest else None

    def put_blob(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.blob_path(digest)
        if not path.exists():
            atomic_write(path, data)
        return digest

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
        try:
            data = json.loads(self.manifest_path(document).read_bytes())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

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


def entry_from_json(data: Mapping[str, Any]) -> Entry:
    status = data["status"]
    if status not in ("ok", "failed") or not isinstance(data["outputs"], list):
        raise ValueError("bad status or outputs")
    return Entry(
        key=CacheKey(data["key"]),
        block=str(data["block"]),
        status=status,
        outputs=tuple(data["outputs"]),
        seconds=float(data["seconds"]),
        exports=dict(data["exports"]),
        language_version=str(data.get("language_version", "")),
        created=float(data.get("created", 0.0)),
        error=str(data.get("error", "")),
    )


def open_store(location: str | Path) -> LocalStore:
    """The store at a local directory path."""
    return LocalStore(Path(location).resolve())
