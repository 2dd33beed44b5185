"""`--to md`: a document and its results as GitHub-flavoured Markdown, for READMEs.

The prose is kept as written (the front matter becomes a `# Title` heading unless the body
starts with one; inline expressions are replaced by their values). Each executable block
becomes a plain fence in its language without its option lines, followed by its outputs:
text in plain fences, images as files in a `<name>_files/` folder beside the Markdown
(named by their content hash, so a re-render rewrites nothing that did not change), HTML
as HTML, Markdown inline, LaTeX as `$$` math. `echo`, `output`, `include` and `fig-cap`
apply as on the page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .model import Block, BlockResult, Document, RunSummary
from .outputs import (
    RenderContext,
    choose_mime,
    collapse_carriage_returns,
    shown_outputs,
    strip_ansi,
)
from .store import Store, atomic_write
from .syntax.crossref import caption_prefix, reference_text

log = logging.getLogger("noteflow")

IMAGE_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}
SVG = "image/svg+xml"
INLINE_EXPRESSION = re.compile(r"`\{[A-Za-z][\w+-]*\}\s+(?P<code>[^`]+?)\s*`")
REFERENCE = re.compile(r"(?<![\w@])@(?P<label>(?:fig|tbl|sec|eq|lst)-[\w-]*\w)")


def default_output(source: Path, to: str) -> Path:
    """Where `render --to FORMAT` writes by default: beside the source with the format's
    suffix, or `<name>.out.<suffix>` when that would be the source itself (`notes.md`)."""
    suffix = "." + to
    target = source.with_suffix(suffix)
    return source.with_suffix(".out" + suffix) if target == source else target


@dataclass
class MarkdownExport:
    """The Markdown text of one document and the image files it refers to."""

    text: str
    files: dict[str, bytes] = field(default_factory=dict)
    """File name (in the `<name>_files/` folder) -> content."""


def write_markdown(document: Document, summary: RunSummary, store: Store, target: Path) -> Path:
    """Write `target` and its images beside it; returns `target`."""
    folder = files_folder(target)
    export = to_markdown(document, summary, store, folder.name)
    for name, data in export.files.items():
        path = folder / name
        if not (path.is_file() and path.read_bytes() == data):
            atomic_write(path, data)
    atomic_write(target, export.text.encode("utf-8"))
    return target


def files_folder(target: Path) -> Path:
    return target.parent / f"{target.stem}_files"


def to_markdown(
    document: Document, summary: RunSummary, store: Store, folder: str = "files"
) -> MarkdownExport:
    """The document as GFM; images are named `folder/<hash>.<ext>` in the text."""
    lines = document.source.split("\n")
    writer = _Writer(document, summary, store, folder)
    start = body_start(document)
    pieces = [_title(document)]
    for block in (b for b in document.blocks if b.kind != "inline"):
        token = document.tokens[block.token_index]
        first, last = token.map or (start, start)
        pieces.append(writer.prose("\n".join(lines[start:first])))
        pieces.append(writer.block(block, summary.results.get(block.id)))
        start = last
    pieces.append(writer.prose("\n".join(lines[start:])))
    text = "\n\n".join(piece.strip("\n") for piece in pieces if piece.strip())
    return MarkdownExport(text + "\n", writer.files)


def body_start(document: Document) -> int:
    """The 0-based line the body starts on (after the front matter)."""
    first = document.tokens[0] if document.tokens else None
    return first.map[1] if first is not None and first.type == "front_matter" and first.map else 0


def _title(document: Document) -> str:
    title = document.front_matter.get("title")
    if not title or any(t.type == "heading_open" and t.tag == "h1" for t in document.tokens[:3]):
        return ""
    return f"# {title}"


def inline_values(document: Document, summary: RunSummary, text: str) -> str:
    """Prose with each inline expression (`` `{python} x` ``) replaced by its value's text,
    in document order; an expression without a value is left as written."""
    pending = [b for b in document.blocks if b.kind == "inline"]

    def replace(match: re.Match[str]) -> str:
        for index, block in enumerate(pending):
            if block.code == match["code"].strip():
                del pending[index]
                value = inline_text(summary.results.get(block.id))
                # A value is data: no HTML of it may come alive where the Markdown is read.
                return match.group(0) if value is None else html.escape(value, quote=False)
        return match.group(0)

    return INLINE_EXPRESSION.sub(replace, text)


def prose_text(document: Document, summary: RunSummary, text: str) -> str:
    """Prose as Markdown outside noteflow shows it: inline values in, `@fig-x` numbered."""
    return numbered_references(document, inline_values(document, summary, text))


def numbered_references(document: Document, text: str) -> str:
    """`@fig-x` replaced by `Figure 1` (a label noteflow does not know is left as written)."""
    xrefs = document.env.get("nf_xrefs")
    if xrefs is None:
        return text

    def replace(match: re.Match[str]) -> str:
        target = xrefs.lookup(match["label"])
        if target is None:
            return match.group(0)
        return reference_text(target).replace("\u00a0", " ")

    return REFERENCE.sub(replace, text)


def inline_text(result: BlockResult | None) -> str | None:
    if result is None or result.status not in ("executed", "cached"):
        return None
    for output in result.outputs:
        data = output.get("data") or {}
        if "text/plain" in data:
            value = data["text/plain"]
            return "".join(value) if isinstance(value, list) else str(value)
    return None


def fenced(text: str, language: str = "") -> str:
    """`text` in a backtick fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip(chr(10))}\n{fence}"


class _Writer:
    """Turns prose and blocks into GFM pieces, collecting image files on the way."""

    def __init__(self, document: Document, summary: RunSummary, store: Store, folder: str):
        self.document = document
        self.summary = summary
        self.store = store
        self.folder = folder
        self.files: dict[str, bytes] = {}
        self.defaults = document.front_matter.get("execute") or {}

    def prose(self, text: str) -> str:
        return prose_text(self.document, self.summary, text)

    def option(self, block: Block, name: str, default: Any) -> Any:
        return block.options.get(name, self.defaults.get(name, default))

    def block(self, block: Block, result: BlockResult | None) -> str:
        if self.option(block, "include", True) is False:
            return ""
        pieces = []
        if self.option(block, "echo", block.kind != "component") is not False:
            pieces.append(fenced(block.code, _fence_language(block)))
        if self.option(block, "output", True) is not False and result is not None:
            pieces.append(self.outputs(block, result))
        return "\n\n".join(p for p in pieces if p)

    def outputs(self, block: Block, result: BlockResult) -> str:
        if result.status == "not-run":
            return f"> not run: {result.reason or 'an upstream block failed'}"
        if result.status == "skipped":
            return f"> not run: {result.reason}" if result.reason else ""
        results = self.option(block, "results", None)
        context = RenderContext(
            markdown=str,
            math=lambda s, d: s,
            blob=self.store.blob,
            results=results if isinstance(results, str) else None,
        )
        asis = self.option(block, "output", True) == "asis" or results == "asis"
        pieces = [self.output(o, block, asis) for o in shown_outputs(result.outputs, context)]
        pieces = [p for p in pieces if p]
        caption = self.caption(block)
        if caption and pieces:
            pieces.append(f"*{caption}*")
        return "\n\n".join(pieces)

    def caption(self, block: Block) -> str:
        text = str(block.option("fig-cap") or block.option("tbl-cap") or "")
        xrefs = self.document.env.get("nf_xrefs")
        target = xrefs.lookup(str(block.option("label"))) if xrefs and block.labelled else None
        if target is None or not target.number:
            return text
        prefix = caption_prefix(target).replace("\u00a0", " ")
        return f"{prefix}{target.title_delim} {text}" if text else prefix

    def output(self, output: Mapping[str, Any], block: Block, asis: bool) -> str:
        kind = output.get("output_type")
        if kind == "stream":
            text = collapse_carriage_returns(strip_ansi(_text(output.get("text", ""))))
            return text.strip("\n") if asis else fenced(text)
        if kind == "error":
            return fenced(strip_ansi("\n".join(output.get("traceback") or ())))
        data = output.get("data") or {}
        mime = choose_mime(data) if isinstance(data, Mapping) else None
        return self.display(mime, data[mime], block) if mime else ""

    def display(self, mime: str, value: Any, block: Block) -> str:
        if mime in IMAGE_SUFFIXES or mime == SVG:
            return self.image(mime, value, block)
        if mime == "text/html":
            return _text(value).strip("\n")
        if mime == "text/markdown":  # data: its raw HTML must not come alive (as in the page)
            return _text(value).strip("\n").replace("<", "&lt;")
        if mime == "text/latex":
            latex = _text(value).strip().strip("$").strip()
            return f"$$\n{latex}\n$$"
        if mime == "application/json":
            return fenced(json.dumps(value, indent=2, ensure_ascii=False), "json")
        return fenced(strip_ansi(_text(value)))

    def image(self, mime: str, value: Any, block: Block) -> str:
        data = self.image_bytes(mime, value)
        if data is None:
            log.warning("block %s: an image output is missing from the cache", block.id)
            return ""
        name = hashlib.sha256(data).hexdigest()[:16] + IMAGE_SUFFIXES.get(mime, ".svg")
        self.files[name] = data
        alt = str(block.option("fig-alt") or block.option("fig-cap") or "")
        return f"![{_escape_alt(alt)}]({quote(self.folder)}/{name})"

    def image_bytes(self, mime: str, value: Any) -> bytes | None:
        if isinstance(value, Mapping) and "blob" in value:
            return self.store.blob(str(value["blob"]))
        if mime == SVG:
            return _text(value).encode("utf-8")
        try:
            return base64.b64decode(_text(value), validate=False)
        except (binascii.Error, ValueError):
            return None


def _fence_language(block: Block) -> str:
    from .adapters import load_adapters

    adapter = load_adapters().get(block.language)
    if adapter is not None:
        return adapter.pygments_lexer
    return block.language if block.kind == "code" else ""


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _escape_alt(text: str) -> str:
    return re.sub(r"([\[\]\\])", r"\\\1", " ".join(text.split()))
