"""A damaged cache entry is a miss with a warning, never a crash and never a wrong result.

`LocalStore.get` is checked against a table of damaged entry files (truncated, not JSON,
the wrong shape, another key's entry, another format); then, through the pipeline with
the in-process fake kernel, the block whose entry was damaged runs again and the page
shows what a render from an empty cache shows.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from noteflow.model import CacheKey, Entry
from noteflow.store import LocalStore

KEY = CacheKey("ab" + "1" * 62)
OTHER_KEY = CacheKey("cd" + "2" * 62)


def good_entry(key: CacheKey = KEY) -> Entry:
    stream = {"output_type": "stream", "name": "stdout", "text": "hello\n"}
    return Entry(key, "block", "ok", (stream,), 0.5, {}, "3.11", 1.0, "")


def reshaped(change: Callable[[dict[str, Any]], Any]) -> Callable[[bytes], bytes]:
    """A damage that decodes the entry's JSON, changes it, and writes it back."""

    def damage(raw: bytes) -> bytes:
        data = json.loads(raw)
        return json.dumps(change(data)).encode()

    return damage


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: {**data, field: value}


def _without(field: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: {k: v for k, v in data.items() if k != field}


DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda raw: raw[: len(raw) // 2],
    "empty": lambda raw: b"",
    "not utf-8": lambda raw: b"\xff\xfe" + raw,
    "a list, not an object": reshaped(lambda data: [data]),
    "outputs not a list": reshaped(_set("outputs", {"text": "hello"})),
    "unknown status": reshaped(_set("status", "finished")),
    "no status": reshaped(_without("status")),
    "no outputs": reshaped(_without("outputs")),
    "exports not a mapping": reshaped(_set("exports", 5)),
    "seconds not a number": reshaped(_set("seconds", "fast")),
    "another key's entry": reshaped(_set("key", OTHER_KEY)),
    "another entry format": reshaped(_set("format", 999)),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_entry_is_a_miss_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    store = LocalStore(tmp_path / "cache")
    store.put(good_entry())
    assert store.get(KEY) == good_entry()
    path = store.entry_path(KEY)
    path.write_bytes(DAMAGES[damage](path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        assert store.get(KEY) is None
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert KEY[:12] in warning and "\n" not in warning


def test_an_entry_copied_over_another_key_is_not_served(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "cache")
    store.put(good_entry(OTHER_KEY))
    store.entry_path(KEY).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(store.entry_path(OTHER_KEY), store.entry_path(KEY))
    assert store.get(KEY) is None
    assert store.get(OTHER_KEY) == good_entry(OTHER_KEY)


def test_missing_entry_is_a_quiet_miss(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        assert LocalStore(tmp_path / "cache").get(KEY) is None
    assert not caplog.records


DOCUMENT = """\
```{python}
#| label: make
numbers = [3, 4, 5]
print("made", len(numbers))
```

```{python}
#| label: use
print("sum", sum(numbers))
```
"""


def block_outputs(outcome: Any) -> dict[str, list[str]]:
    return {
        block: [str(o.get("text", "")) for o in result.outputs]
        for block, result in outcome.summary.results.items()
    }


@pytest.mark.parametrize("damage", ["truncated", "outputs not a list", "another key's entry"])
def test_damaged_entry_reruns_its_block_and_the_page_is_right(
    write_doc, render_fake, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    doc = write_doc(DOCUMENT)
    first = render_fake(doc)
    store = LocalStore(doc.parent / ".noteflow")
    key = first.plan.by_id()["make"].key
    path = store.entry_path(key)
    path.write_bytes(DAMAGES[damage](path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        again = render_fake(doc)
    assert again.summary.results["make"].status == "executed"
    assert any(key[:12] in r.getMessage() for r in caplog.records)
    repaired = store.get(key)
    assert repaired is not None and repaired.status == "ok"
    fresh_folder = tmp_path / "fresh"
    fresh_folder.mkdir()
    fresh = render_fake(Path(shutil.copy(doc, fresh_folder / "doc.md")))
    assert block_outputs(fresh) == {"make": ["made 3\n"], "use": ["sum 12\n"]}
    assert block_outputs(again) == block_outputs(fresh)
