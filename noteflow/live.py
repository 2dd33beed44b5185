"""The live page: a rendered document as patchable segments, and the script that patches.

The body is cut into its top-level pieces (a paragraph, a heading, a block's section...),
each keyed by a hash of its HTML. An update names every segment of the new version in
order and carries HTML only for segments the browser does not have yet; the browser
keeps the DOM nodes of unchanged segments, so nothing reloads and the scroll position
stays. The header, table of contents and footer are swapped when they change. Every
message carries the server's id and a version number, so a tab never goes back to an
older version and resynchronises after the server restarts.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .markdown import markdown_parser
from .model import BlockId, BlockResult, Document, RunSummary
from .render import Hooks, render_html
from .store import Store
from .theme import themes_root

Segment = tuple[str, str]
"""(key, html) of one top-level piece of the body."""

CHROME = {
    "header": re.compile(r'<header class="nf-header">.*?</header>', re.S),
    "nav": re.compile(r'<nav class="nf-toc".*?</nav>', re.S),
    "footer": re.compile(r'<footer class="nf-footer">.*?</footer>', re.S),
}


@dataclass
class LiveView:
    """One version of the page as the live preview shows it."""

    page: str
    segments: list[Segment]
    chrome: dict[str, str]
    css: str
    running: set[BlockId] = field(default_factory=set)


def render_segments(
    document: Document, results: Mapping[BlockId, BlockResult], store: Store, running: set[BlockId]
) -> list[Segment]:
    """The body as keyed top-level segments (running blocks marked as such)."""
    md = markdown_parser()
    # Executed and cached look the same here, so a block that did not change keeps its node.
    shown = {str(k): _settled(v) for k, v in results.items()}
    hooks = Hooks(document, shown, store, running={str(r) for r in running})
    env = {**document.env, "nf": hooks}
    tokens = list(document.tokens)
    segments: list[Segment] = []
    seen: dict[str, int] = {}
    for start, end in _top_level_groups(tokens):
        piece = md.renderer.render(tokens[start:end], md.options, env)
        if not piece.strip():
            continue
        digest = hashlib.sha1(piece.encode()).hexdigest()[:16]
        seen[digest] = seen.get(digest, 0) + 1
        segments.append((f"{digest}-{seen[digest]}", piece))
    return segments


def _settled(result: BlockResult) -> BlockResult:
    return dataclasses.replace(result, status="cached") if result.status == "executed" else result


def _top_level_groups(tokens: list) -> list[tuple[int, int]]:
    groups, start, depth = [], 0, 0
    for index, token in enumerate(tokens):
        depth += token.nesting
        if depth == 0:
            groups.append((start, index + 1))
            start = index + 1
    return groups


def wrap(segments: list[Segment]) -> str:
    return "".join(f'<div class="nf-seg" data-seg="{key}">{piece}</div>' for key, piece in segments)


def live_view(
    document: Document, summary: RunSummary, store: Store, running: set[BlockId]
) -> LiveView:
    segments = render_segments(document, summary.results, store, running)
    page = render_html(document, summary, store, body_html=wrap(segments), extra_head=client())
    chrome = {
        name: (match.group(0) if (match := pattern.search(page)) else "")
        for name, pattern in CHROME.items()
    }
    css_match = re.search(r"<style>(.*?)</style>", page, re.S)
    return LiveView(page, segments, chrome, css_match.group(1) if css_match else "", running)


def update_message(
    server: str, version: int, view: LiveView, known: set[str] | None, error: str = ""
) -> dict[str, object]:
    """What the browser needs to go to `version`: HTML only for segments it lacks."""
    segments = [
        [key, None if known is not None and key in known else piece] for key, piece in view.segments
    ]
    return {
        "server": server,
        "version": version,
        "segments": segments,
        "chrome": view.chrome,
        "css": view.css,
        "error": error,
        "running": sorted(view.running),
    }


def error_message(server: str, version: int, error: str) -> dict[str, object]:
    """A parse error: shown over the last good page, which stays underneath."""
    return {"server": server, "version": version, "error": error}


@functools.cache
def client() -> str:
    """The style and script the live page adds to the theme (from themes/_live)."""
    folder = themes_root() / "_live"
    css = (folder / "client.css").read_text(encoding="utf-8")
    script = (folder / "client.js").read_text(encoding="utf-8")
    return f"<style>\n{css}</style>\n<script>\n{script}</script>\n"
