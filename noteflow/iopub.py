"""iopub messages of one execution turned into nbformat v4 outputs, within a size cap.

`OutputCollector` is fed the messages a kernel publishes for one request (stream,
display, update, clear, error) and gives the outputs a notebook would show, keeping at
most a given number of bytes of them (issue: a block printing 200 MB must not become a
200 MB page, nor hold 200 MB in memory) and saying with one notice output what it
dropped. It knows nothing of kernels or blocks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

DEFAULT_OUTPUT_LIMIT = 5 * 1024 * 1024
"""Bytes of output kept per run when the caller gives no limit (the `output-limit` option)."""


class OutputCollector:
    """Turns iopub messages of one execution into nbformat v4 outputs, in order.

    Keeps at most `limit` bytes of output (stream text, MIME data; an error's traceback is
    always kept). Once something did not fit, everything after it is dropped as it
    arrives, so memory stays bounded however much a block prints; `finish` appends a
    notice saying how many bytes were dropped. Stream text is held as a list of pieces
    until `finish` joins it, so a long stream is not copied once per message.
    """

    def __init__(self, limit: int = DEFAULT_OUTPUT_LIMIT) -> None:
        self.error: dict[str, Any] = {}
        self._outputs: list[dict[str, Any]] = []
        self._clear_on_next = False
        self._displays: dict[str, list[int]] = {}
        self._limit = limit
        self._kept = 0
        self._dropped = 0

    def add(self, msg: Mapping[str, Any]) -> bool:
        """Record one message; True when the kernel reports idle."""
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status":
            return bool(content.get("execution_state") == "idle")
        if kind == "clear_output":
            self._clear(bool(content.get("wait")))
        elif kind == "update_display_data":
            self._update_display(content)
        elif kind in ("stream", "display_data", "execute_result", "error"):
            self._append(kind, content)
        return False

    def finish(self) -> list[dict[str, Any]]:
        """The outputs collected so far, with the truncation notice if anything was dropped."""
        outputs = [_joined(output) for output in self._outputs]
        if self._dropped:
            outputs.append(_truncation_notice(self._dropped))
        return outputs

    def _clear(self, wait: bool) -> None:
        if wait:
            self._clear_on_next = True
        else:
            self._outputs.clear()
            self._displays.clear()
            self._kept = self._dropped = 0

    def _append(self, kind: str, content: Mapping[str, Any]) -> None:
        if self._clear_on_next:
            self._clear(False)
            self._clear_on_next = False
        if kind == "stream":
            self._append_stream(content["name"], content.get("text", ""))
        elif kind == "error":
            self._append_error(content)
        else:
            self._append_data(kind, content)

    def _append_error(self, content: Mapping[str, Any]) -> None:
        self.error = dict(content)
        self._outputs.append(
            {
                "output_type": "error",
                "ename": content.get("ename", ""),
                "evalue": content.get("evalue", ""),
                "traceback": list(content.get("traceback", [])),
            }
        )

    def _append_data(self, kind: str, content: Mapping[str, Any]) -> None:
        data = dict(content.get("data", {}))
        if not self._fits(_data_size(data)):
            return
        output: dict[str, Any] = {
            "output_type": kind,
            "data": data,
            "metadata": dict(content.get("metadata", {})),
        }
        if kind == "execute_result":
            output["execution_count"] = None
        display_id = (content.get("transient") or {}).get("display_id")
        if display_id:
            self._displays.setdefault(display_id, []).append(len(self._outputs))
        self._outputs.append(output)

    def _append_stream(self, name: str, text: str) -> None:
        text = self._fit_text(text)
        if not text:
            return
        last = self._outputs[-1] if self._outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"].append(text)
        else:
            self._outputs.append({"output_type": "stream", "name": name, "text": [text]})

    def _update_display(self, content: Mapping[str, Any]) -> None:
        display_id = (content.get("transient") or {}).get("display_id")
        data = dict(content.get("data", {}))
        for index in self._displays.get(display_id or "", []):
            output = self._outputs[index]
            self._kept -= _data_size(output["data"])
            if self._fits(_data_size(data)):
                output["data"] = data
                output["metadata"] = dict(content.get("metadata", {}))
            else:
                self._kept += _data_size(output["data"])

    def _fits(self, size: int) -> bool:
        """Count `size` bytes as kept if they fit (and nothing was dropped yet), else dropped."""
        if self._dropped or self._kept + size > self._limit:
            self._dropped += size
            return False
        self._kept += size
        return True

    def _fit_text(self, text: str) -> str:
        """As much of `text` as fits, cut at a character boundary; the rest counted dropped."""
        size = _utf8_size(text)
        if self._dropped or self._kept + size <= self._limit:
            return text if self._fits(size) else ""
        kept = text.encode("utf-8")[: self._limit - self._kept].decode("utf-8", errors="ignore")
        kept_size = _utf8_size(kept)
        self._kept += kept_size
        self._dropped += size - kept_size
        return kept


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", errors="replace"))


def _data_size(data: Mapping[str, Any]) -> int:
    """Bytes a MIME bundle takes as text (base64 images count as their encoded length)."""
    return sum(
        _utf8_size(value) if isinstance(value, str) else _utf8_size(json.dumps(value))
        for value in data.values()
    )


def _joined(output: dict[str, Any]) -> dict[str, Any]:
    if output["output_type"] != "stream":
        return output
    return {**output, "text": "".join(output["text"])}


def _truncation_notice(dropped: int) -> dict[str, Any]:
    return {
        "output_type": "display_data",
        "data": {
            "text/plain": (
                f"[output truncated: {dropped} bytes more were not kept; "
                "raise output-limit to keep more]"
            )
        },
        "metadata": {"noteflow": {"truncated": dropped}},
    }
