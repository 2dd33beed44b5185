"""`--to ipynb`: a document and its results as a Jupyter notebook (nbformat v4).

Prose between executable blocks becomes Markdown cells (inline expressions replaced by
their values), each code block a code cell with its outputs; images stored as blobs in
the cache are put back inline as base64, as nbformat expects. An image whose blob is
missing or corrupt is left out with a warning (never written as empty base64); if nothing
else is left of that output, a `text/plain` note says so.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .adapters import load_adapters
from .model import BlockResult, Document, RunSummary
from .store import Store

log = logging.getLogger("noteflow")


def to_notebook(document: Document, summary: RunSummary, store: Store) -> nbformat.NotebookNode:
    # markdown-it counts lines by "\n" only; str.splitlines would also split on \x0c, \u2028...
    lines = document.source.replace("\r\n", "\n").split("\n")
    lines = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    start = _body_start(document)
    cells = []
    for block in (b for b in document.blocks if b.kind == "code"):
        token = document.tokens[block.token_index]
        first, last = token.map or (start, start)
        cells += _markdown_cells(document, summary, "".join(lines[start:first]))
        result = summary.results.get(block.id)
        cell = new_code_cell(source=block.code.rstrip("\n"), outputs=_outputs(result, store))
        cell.metadata["noteflow"] = {
            "id": block.id,
            "status": result.status if result else "not-run",
        }
        cells.append(cell)
        start = last
    cells += _markdown_cells(document, summary, "".join(lines[start:]))
    notebook = new_notebook(cells=cells, metadata=_metadata(document, summary))
    return notebook


def _body_start(document: Document) -> int:
    first = document.tokens[0] if document.tokens else None
    return first.map[1] if first is not None and first.type == "front_matter" and first.map else 0


def _markdown_cells(
    document: Document, summary: RunSummary, text: str
) -> list[nbformat.NotebookNode]:
    for block in (b for b in document.blocks if b.kind == "inline"):
        result = summary.results.get(block.id)
        value = _inline_value(result)
        if value is not None:
            text = text.replace(f"`{{{block.language}}} {block.code}`", value, 1)
    text = text.strip("\n")
    return [new_markdown_cell(text)] if text.strip() else []


def _inline_value(result: BlockResult | None) -> str | None:
    if result is None or result.status not in ("executed", "cached"):
        return None
    for output in result.outputs:
        data = output.get("data") or {}
        if "text/plain" in data:
            return str(data["text/plain"])
    return None


def _outputs(result: BlockResult | None, store: Store) -> list[nbformat.NotebookNode]:
    if result is None or result.status not in ("executed", "cached", "failed"):
        return []
    return [nbformat.from_dict(_inline_blobs(o, store, result.block_id)) for o in result.outputs]


def _inline_blobs(output: Mapping[str, Any], store: Store, block: str) -> dict[str, Any]:
    data = output.get("data")
    if not isinstance(data, Mapping) or not data:
        return dict(output)
    restored = {}
    for mime, value in data.items():
        if isinstance(value, Mapping) and "blob" in value:
            blob = store.blob(str(value["blob"]))
            if blob is None:
                log.warning(
                    "block %s: %s output left out: its data is missing from the cache", block, mime
                )
                continue
            value = base64.b64encode(blob).decode()
        restored[mime] = value
    if not restored:
        restored["text/plain"] = "output could not be shown: its data is missing from the cache"
    return {**output, "data": restored}


def _metadata(document: Document, summary: RunSummary) -> dict[str, Any]:
    languages = [b.language for b in document.blocks if b.kind == "code"]
    language = languages[0] if languages else "python"
    adapter = load_adapters()[language]
    return {
        "kernelspec": {
            "name": adapter.kernelspecs[0],
            "display_name": adapter.display_name,
            "language": language,
        },
        "language_info": {"name": language, "version": summary.kernel_versions.get(language, "")},
        "title": document.title,
    }


def write_notebook(notebook: nbformat.NotebookNode) -> str:
    return str(nbformat.writes(notebook))
