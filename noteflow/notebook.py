"""`--to ipynb`: a document and its results as a Jupyter notebook (nbformat v4).

Prose between executable blocks becomes Markdown cells (inline expressions replaced by
their values), each code block a code cell with its outputs. The notebook runs top to
bottom as it stands: the title opens it (metadata `title`, and a `# Title` cell unless the
prose starts with a heading), and the parameters in force are assigned in a first code
cell tagged `parameters` (papermill's convention, which `noteflow render nb.ipynb` reads
back as `params`). A cell keeps its block's options as Quarto option lines (`#| label`,
`#| fig-cap`), so captions and labels survive a round trip. Images stored as blobs in the
cache are put back inline as base64, as nbformat expects. An image whose blob is missing
or corrupt is left out with a warning (never written as empty base64); if nothing else is
left of that output, a `text/plain` note says so.
"""

from __future__ import annotations

import base64
import json
import logging
import shlex
from collections.abc import Mapping
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .adapters import Adapter, load_adapters
from .gfm import body_start, prose_text
from .model import Block, BlockResult, Document, RunSummary
from .options import parse_fence_info
from .store import Store

log = logging.getLogger("noteflow")


def to_notebook(
    document: Document,
    summary: RunSummary,
    store: Store,
    params: Mapping[str, Any] | None = None,
) -> nbformat.NotebookNode:
    """`params`: the values in force (`-P` applied); default the front matter's."""
    # markdown-it counts lines by "\n" only; str.splitlines would also split on \x0c, \u2028...
    lines = document.source.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    start = body_start(document)
    language = _language(document)
    cells = []
    for block in (b for b in document.blocks if b.kind == "code"):
        token = document.tokens[block.token_index]
        first, last = token.map or (start, start)
        cells += _markdown_cells(document, summary, "".join(lines[start:first]))
        cells.append(_code_cell(document, block, summary.results.get(block.id), store))
        start = last
    cells += _markdown_cells(document, summary, "".join(lines[start:]))
    values = document.front_matter.get("params") or {} if params is None else params
    opening = _title_cells(document, cells) + _parameters_cells(values, language)
    return new_notebook(cells=opening + cells, metadata=_metadata(document, summary, language))


def _markdown_cells(
    document: Document, summary: RunSummary, text: str
) -> list[nbformat.NotebookNode]:
    text = prose_text(document, summary, text).strip("\n")
    return [new_markdown_cell(text)] if text.strip() else []


def _code_cell(
    document: Document, block: Block, result: BlockResult | None, store: Store
) -> nbformat.NotebookNode:
    cell = new_code_cell(source=_cell_source(document, block), outputs=_outputs(result, store))
    cell.metadata["noteflow"] = {"id": block.id, "status": result.status if result else "not-run"}
    tags = block.option("tags")
    tags = [str(tag) for tag in tags] if isinstance(tags, list) else []
    if block.option("error") is True and "raises-exception" not in tags:
        tags.append("raises-exception")  # nbclient and papermill run on past its error
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _cell_source(document: Document, block: Block) -> str:
    """The code with the block's options as option lines: those of the fence's braces
    (`{r load, echo=FALSE}`) written out, then the comment lines as the author wrote them."""
    token = document.tokens[block.token_index]
    header = parse_fence_info(token.info, path=str(document.path), line=block.line)
    adapter = load_adapters().get(block.language)
    if header is None or header.name == "code-cell" or adapter is None:
        return block.code.rstrip("\n")
    prefix = adapter.comment_prefixes[0] if adapter.comment_prefixes else None
    if prefix is None:
        return block.code.rstrip("\n")
    written = [f"{prefix} {key}: {json.dumps(value)}" for key, value in header.options.items()]
    return "\n".join([*written, token.content.rstrip("\n")])


def _title_cells(document: Document, cells: list[nbformat.NotebookNode]) -> list[Any]:
    title = document.front_matter.get("title")
    first = cells[0] if cells else None
    if not title or (
        first is not None and first.cell_type == "markdown" and first.source[:2] == "# "
    ):
        return []
    return [new_markdown_cell(f"# {title}")]


def _parameters_cells(values: Mapping[str, Any], language: str) -> list[Any]:
    if not values:
        return []
    plain = json.loads(json.dumps(dict(values), default=str))
    cell = new_code_cell(source=parameters_code(plain, language))
    cell.metadata["tags"] = ["parameters"]
    return [cell]


def parameters_code(values: Mapping[str, Any], language: str) -> str:
    """Code that assigns each parameter in `language` (JSON-shaped values)."""
    if language == "r":
        assigned = [
            f"{name} <- jsonlite::fromJSON({_r_string(json.dumps(value))})"
            for name, value in values.items()
        ]
        listed = ", ".join(f"{name} = {name}" for name in values)
        return "\n".join([*assigned, f"params <- list({listed})"])
    if language == "bash":
        return "\n".join(
            f"{name}={shlex.quote(_shell_text(value))}" for name, value in values.items()
        )
    if language in ("javascript", "typescript"):
        return "\n".join(f"var {name} = {json.dumps(value)};" for name, value in values.items())
    return "\n".join(f"{name} = {value!r}" for name, value in values.items())


def _r_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _shell_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


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


def _language(document: Document) -> str:
    languages = [b.language for b in document.blocks if b.kind == "code"]
    return languages[0] if languages else "python"


def _metadata(document: Document, summary: RunSummary, language: str) -> dict[str, Any]:
    adapter: Adapter = load_adapters()[language]
    kernels = document.front_matter.get("kernels") or {}
    return {
        "kernelspec": {
            "name": str(kernels.get(language) or adapter.kernelspecs[0]),
            "display_name": adapter.display_name,
            "language": language,
        },
        "language_info": {"name": language, "version": summary.kernel_versions.get(language, "")},
        "title": document.title,
    }


def write_notebook(notebook: nbformat.NotebookNode) -> str:
    return str(nbformat.writes(notebook))
