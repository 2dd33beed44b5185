"""Reading an nbformat output, and the small HTML pieces every output renderer uses.

Owns how an output's parts are read (a text value in any of its forms, a binary value,
the `data` bundle, noteflow's own metadata, the `output-limit` marker) and the escaped
attribute and visible notices that stand in for an output that cannot be shown.
"""

from __future__ import annotations

import base64
import binascii
import html
from collections.abc import Mapping
from typing import Any


def text_value(value: Any) -> str:
    """A text value: a str, a list of str (nbformat's multiline form), or bytes (a blob)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return str(value)


def binary_value(value: Any) -> bytes | None:
    """A binary value's bytes: a blob's as they are, nbformat's base64 decoded; None if the
    base64 is invalid."""
    if isinstance(value, bytes):
        return value
    try:
        return base64.b64decode("".join(text_value(value).split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def output_data(output: Mapping[str, Any]) -> Mapping[str, Any]:
    """A display output's `data` bundle (MIME type -> value); {} when it has none."""
    data = output.get("data")
    return data if isinstance(data, Mapping) else {}


def noteflow_metadata(output: Mapping[str, Any]) -> Mapping[str, Any]:
    """What noteflow itself says about an output: its metadata's `noteflow` mapping."""
    metadata = output.get("metadata")
    noteflow = metadata.get("noteflow") if isinstance(metadata, Mapping) else None
    return noteflow if isinstance(noteflow, Mapping) else {}


def attr(value: Any) -> str:
    """`value` escaped for an HTML attribute."""
    return html.escape(str(value), quote=True)


def notice(kind: str, message: str) -> str:
    """A visible note in place of an output (`kind` is a CSS class suffix)."""
    return f'<div class="nf-output nf-notice nf-{kind}" role="note">{html.escape(message)}</div>'


def not_shown(kind: str) -> str:
    """The note for an output (or a bundle of MIME types) noteflow cannot show."""
    return f'<div class="nf-output nf-unknown">output of type {html.escape(kind)} not shown</div>'


_SIZE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def format_size(size: int) -> str:
    """A byte count for people, in binary units as `output-limit` is: `512 B`, `4.2 KiB`,
    `5 MiB`."""
    amount, step = float(size), 0
    while amount >= 1023.95 and step < len(_SIZE_UNITS) - 1:
        amount, step = amount / 1024, step + 1
    number = f"{size}" if step == 0 else f"{amount:.1f}".removesuffix(".0")
    return f"{number} {_SIZE_UNITS[step]}"


def truncated_bytes(output: Mapping[str, Any]) -> int | None:
    """The bytes the kernel layer dropped, if `output` is its `output-limit` marker.

    The marker is a display output whose metadata holds `{"noteflow": {"truncated": N}}`
    (and, optionally, `"limit"`: the limit in bytes, or as the user wrote it).
    """
    dropped = noteflow_metadata(output).get("truncated")
    if isinstance(dropped, bool) or not isinstance(dropped, int):
        return None
    return dropped


def truncation_notice(output: Mapping[str, Any], dropped: int) -> str:
    """The notice that stands for the text past `output-limit`."""
    limit = noteflow_metadata(output).get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool):
        limit = format_size(limit)
    setting = f"output-limit is {limit}" if limit else "see the output-limit option"
    return notice(
        "truncated",
        f"Output truncated: {format_size(dropped)} more were not kept ({setting}).",
    )
