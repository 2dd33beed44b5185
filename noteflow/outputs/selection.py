"""Which of a block's outputs the page shows, and which of them count as text output.

Owns the order and filtering a notebook front end would apply (only what follows the last
`clear_output`, consecutive streams of one name merged, values glued with `display=False`
left out) and knitr's notion of text output, which `results: hide` drops and
`collapse: true` moves into the code box.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .context import RenderContext
from .fragments import output_data, text_value, truncated_bytes
from .mime import IMAGE_TYPES, choose_mime, knitr_data


def shown_outputs(
    outputs: Sequence[Mapping[str, Any]], ctx: RenderContext
) -> list[Mapping[str, Any]]:
    """The outputs the page shows, in order: after the last `clear_output`, streams merged,
    text output dropped under `results: hide`."""
    shown = [o for o in _merge_streams(_after_last_clear(outputs)) if not _is_hidden_glue(o)]
    if ctx.results == "hide":
        shown = [output for output in shown if not is_text_output(output)]
    return shown


def _after_last_clear(outputs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The outputs a notebook would still show: those after the last `clear_output`."""
    shown: list[Mapping[str, Any]] = []
    for output in outputs:
        if isinstance(output, Mapping) and output.get("output_type") == "clear_output":
            shown.clear()
        else:
            shown.append(output)
    return shown


def _merge_streams(outputs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Consecutive stream outputs of the same name joined into one."""
    merged: list[Mapping[str, Any]] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and is_stream(output)
            and is_stream(previous)
            and previous.get("name") == output.get("name")
        ):
            text = text_value(previous.get("text", "")) + text_value(output.get("text", ""))
            merged[-1] = {**previous, "text": text}
        else:
            merged.append(output)
    return merged


def _is_hidden_glue(output: Mapping[str, Any]) -> bool:
    """A value glued with `display=False` (MyST-NB): shown only where `{glue}` pastes it."""
    metadata = output.get("metadata") if isinstance(output, Mapping) else None
    scrapbook = metadata.get("scrapbook") if isinstance(metadata, Mapping) else None
    return isinstance(scrapbook, Mapping) and bool(scrapbook.get("mime_prefix"))


def is_stream(output: Any) -> bool:
    return isinstance(output, Mapping) and output.get("output_type") == "stream"


def is_display(output: Mapping[str, Any]) -> bool:
    """A display output or a block's value (`display_data`, `execute_result`)."""
    return isinstance(output, Mapping) and output.get("output_type") in (
        "display_data",
        "execute_result",
    )


def is_image(output: Mapping[str, Any]) -> bool:
    """A display output whose shown MIME type is an image."""
    if not is_display(output):
        return False
    return choose_mime(output_data(output)) in IMAGE_TYPES


def is_text_output(output: Mapping[str, Any]) -> bool:
    """Printed text or a value shown as text: what knitr's `results` and `collapse` act on.
    Messages and warnings (stderr), errors and images are not text output."""
    if is_stream(output):
        return output.get("name") != "stderr"
    return is_display(output) and truncated_bytes(output) is None and not is_image(output)


def text_of(output: Mapping[str, Any], ctx: RenderContext) -> str | None:
    """The text a stream or a value shown as text shows (for `collapse`), else None."""
    if is_stream(output):
        return text_value(output.get("text", ""))
    if not is_display(output):
        return None
    data = knitr_data(output_data(output)) if ctx.knitr else output_data(output)
    if choose_mime(data) != "text/plain":
        return None
    return text_value(data["text/plain"]).removesuffix("\n") + "\n"
