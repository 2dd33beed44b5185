"""The live page: a rendered document as patchable segments, the script that patches, and
the server that delivers both to the open tabs.

The body is cut into its top-level pieces (a paragraph, a heading, a block's section...),
each keyed by a hash of its HTML. An update names every segment of the new version in
order and carries HTML only for segments the browser does not have yet; the browser
keeps the DOM nodes of unchanged segments, so nothing reloads and the scroll position
stays. The header, table of contents and footer are swapped when they change. Every
message carries the server's id and a version number, so a tab never goes back to an
older version and resynchronises after the server restarts.

`LiveServer` serves exactly three routes: the page (`/`), its update stream (`/events`,
Server-Sent Events) and its current state (`/state`). No file is ever read from disk to
answer a request, so no path can reach outside the document. Every connection has a
thread, and every thread ends: a connection that has not sent a whole request head within
`IDLE_TIMEOUT_SECONDS` (silent, half-sent, trickled, or keep-alive and idle) is closed; a
client that stops taking a response is dropped after `WRITE_TIMEOUT_SECONDS`; an event
stream ends within `PEER_CHECK_SECONDS` of its tab closing.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import math
import queue
import re
import select
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from .errors import NoteflowError
from .markdown import markdown_parser
from .model import BlockId, BlockResult, Document, RunSummary
from .render import Hooks, render_html
from .store import Store
from .theme import themes_root

IDLE_TIMEOUT_SECONDS = 10.0
"""Time a connection has to send a whole request head, counted from when it may start one."""
WRITE_TIMEOUT_SECONDS = 30.0
"""Time a client has to take one response or event before it is dropped."""
HEARTBEAT_SECONDS = 10.0
"""An event stream with nothing to say sends a comment this often (proxies keep it open)."""
PEER_CHECK_SECONDS = 0.5
"""How often an event stream looks whether its tab has gone."""
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

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


# -- serving ------------------------------------------------------------------------------

Subscriber = queue.Queue[dict[str, Any] | None]
"""One tab's pending messages; `None` ends its stream."""


class LiveSource(Protocol):
    """What the server serves: the preview's page, state and messages."""

    def page(self) -> str: ...

    def state(self) -> dict[str, Any]: ...

    def subscribe(self) -> Subscriber: ...

    def unsubscribe(self, subscriber: Subscriber) -> None: ...


class LiveServer(ThreadingHTTPServer):
    """One preview's HTTP server: a daemon thread per connection, quiet about lost clients."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], source: LiveSource) -> None:
        self.source = source
        self.allowed_hosts = LOOPBACK_HOSTS if address[0] in LOOPBACK_HOSTS else set()
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, LiveHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-request is routine for a preview, not a traceback.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _DeadlineReader(io.RawIOBase):
    """A socket's bytes, read against one deadline for a whole request head (not per read),
    so a client that trickles a byte now and then cannot hold its thread for ever."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.deadline = math.inf

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no complete request in time")
        self.connection.settimeout(remaining)
        return self.connection.recv_into(buffer)


class LiveHandler(BaseHTTPRequestHandler):
    """Answers `/`, `/state` and `/events`; 404 for any other path, 403 for a foreign Host."""

    server: LiveServer
    server_version = "noteflow"
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # replaced by a reader with a per-request deadline
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        # The clock starts when the server is ready for a request: this is the idle timeout
        # of a keep-alive connection as well as the limit for sending a request head.
        self._reader.deadline = time.monotonic() + IDLE_TIMEOUT_SECONDS
        super().handle_one_request()

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        self.connection.settimeout(WRITE_TIMEOUT_SECONDS)  # the head is in: now only writes
        return parsed

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        allowed = self.server.allowed_hosts
        if allowed and host not in allowed:
            self._send(403, "text/plain", b"forbidden host\n")
            return
        route = urlsplit(self.path).path
        source = self.server.source
        if route in ("/", "/index.html"):
            self._send(200, "text/html; charset=utf-8", source.page().encode())
        elif route == "/state":
            self._send(200, "application/json", json.dumps(source.state()).encode())
        elif route == "/events":
            self._events(source)
        else:
            self._send(404, "text/plain", b"not found\n")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self, source: LiveSource) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        subscriber = source.subscribe()
        try:
            self.wfile.write(b"retry: 500\n\n")
            self._stream(subscriber)
        except OSError:
            pass  # the tab went away during a write, or stopped reading for too long
        finally:
            source.unsubscribe(subscriber)

    def _stream(self, subscriber: Subscriber) -> None:
        """Forward messages until the preview stops (`None`) or the tab goes away."""
        quiet_since = time.monotonic()
        while not peer_closed(self.connection):
            try:
                message = subscriber.get(timeout=PEER_CHECK_SECONDS)
            except queue.Empty:
                if time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
                    self.wfile.write(b": heartbeat\n\n")
                    quiet_since = time.monotonic()
                continue
            if message is None:
                return
            self.wfile.write(b"data: " + json.dumps(message).encode() + b"\n\n")
            quiet_since = time.monotonic()

    def log_message(self, format: str, *args: Any) -> None:
        return


def peer_closed(connection: socket.socket) -> bool:
    """Whether the client closed its end: the socket reads as ready with nothing to read."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()  # unlike select(), no limit on the descriptor's number
            poller.register(connection, select.POLLIN)
            ready = bool(poller.poll(0))
        else:
            ready = bool(select.select([connection], [], [], 0)[0])
        return ready and not connection.recv(1, socket.MSG_PEEK)
    except OSError:
        return True


def start_server(source: LiveSource, host: str, port: int) -> LiveServer:
    """A server bound to host:port (not yet serving), or a NoteflowError saying why not."""
    try:
        return LiveServer((host, port), source)
    except OSError as err:
        raise NoteflowError(
            f"cannot listen on {host}:{port}: {err.strerror or err}",
            hint="choose another port with --port",
        ) from None
