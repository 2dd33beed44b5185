"""The `noteflow` command: the only place that prints, reads arguments, or exits.

Exit status: 0 all went well; 1 a block failed (unless it has `error: true`), `--frozen`
found stale blocks, or `--strict` stopped; 2 bad input or usage; 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .errors import NoteflowError
from .model import BlockResult, PlannedBlock, RunSummary, Status
from .pipeline import RenderOptions, prepare, render_document, report_json, store_for
from .yamlio import value_or_text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="noteflow",
        description="Render Markdown documents whose code blocks run in Jupyter kernels, "
        "re-running only what changed.",
    )
    parser.add_argument("--version", action="version", version=f"noteflow {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _render_parser(commands)
    _cache_parser(commands)
    watch = commands.add_parser(
        "watch", help="live preview: re-run what a save changed, patch the page"
    )
    watch.add_argument("document", type=Path, metavar="DOC")
    watch.add_argument(
        "--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)"
    )
    watch.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1 only)"
    )
    watch.add_argument("--open", action="store_true", help="open the page in a browser")
    watch.add_argument("-P", "--param", action="append", default=[], metavar="NAME=VALUE")
    watch.add_argument("--cache-dir", type=Path, metavar="DIR")
    watch.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N")
    commands.add_parser(
        "kernels", help="list each language's kernel, its version, or how to install it"
    )
    graph = commands.add_parser("graph", help="print the dataflow graph as Mermaid or DOT")
    graph.add_argument("document", type=Path, metavar="DOC")
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    graph.add_argument("-P", "--param", action="append", default=[], metavar="NAME=VALUE")
    return parser


def _render_parser(commands: Any) -> None:
    render = commands.add_parser("render", help="execute stale blocks and write the page")
    render.add_argument("document", type=Path, nargs="?", metavar="DOC")
    render.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT",
        help="output file (default: DOC with .html/.ipynb/.md; DOC.out.md when DOC is .md)",
    )
    render.add_argument(
        "--to",
        choices=("html", "ipynb", "md"),
        default="html",
        help="output format: a self-contained page, a notebook with outputs, or "
        "GitHub-flavoured Markdown with images beside it (default html)",
    )
    render.add_argument(
        "-P",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a front-matter parameter (value read as YAML)",
    )
    render.add_argument(
        "--force",
        nargs="?",
        const="*",
        action="append",
        metavar="LABEL",
        help="re-run every block, or LABEL and what depends on it",
    )
    render.add_argument(
        "--strict", action="store_true", help="stop at the first failing block, write no page"
    )
    render.add_argument(
        "--frozen", action="store_true", help="execute nothing; exit 1 if any block is stale"
    )
    render.add_argument(
        "--cache-dir", type=Path, metavar="DIR", help="cache store (default: .noteflow beside DOC)"
    )
    render.add_argument(
        "--report", type=Path, metavar="FILE.json", help="write a JSON report of every block"
    )
    render.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="run blocks of different kernels at the same time (default: the number of cores)",
    )
    render.add_argument("-q", "--quiet", action="store_true", help="no per-block progress lines")


def _cache_parser(commands: Any) -> None:
    cache = commands.add_parser("cache", help="inspect or prune the cache")
    actions = cache.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("ls", help="block, key, size and status of each block of DOC")
    listing.add_argument("document", type=Path, metavar="DOC")
    clear = actions.add_parser("clear", help="forget cached results of DOC, or of DOC#label")
    clear.add_argument("document", metavar="DOC[#LABEL]")
    gc = actions.add_parser("gc", help="drop entries and blobs no rendered document references")
    gc.add_argument(
        "document",
        type=Path,
        nargs="?",
        metavar="DOC_OR_DIR",
        help="a document or a cache directory (default ./.noteflow)",
    )
    for sub in (listing, clear, gc):
        sub.add_argument("--cache-dir", type=Path, metavar="DIR")
        if sub is not gc:
            sub.add_argument("-P", "--param", action="append", default=[], metavar="NAME=VALUE")


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise NoteflowError(f"-P expects NAME=VALUE, got '{pair}'")
        params[name.strip()] = value_or_text(value) if value.strip() else ""
    return params


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        format="noteflow: warning: %(message)s", level=logging.WARNING, stream=sys.stderr
    )
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return _dispatch(args)
    except NoteflowError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(
            "\nnoteflow: interrupted; kernels stopped, nothing partial was written", file=sys.stderr
        )
        return 130


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "render":
        return _render(args)
    if args.command == "graph":
        return _graph(args)
    if args.command == "watch":
        return _watch(args)
    if args.command == "kernels":
        from .kernelscmd import format_rows, survey

        print(format_rows(survey()))
        return 0
    return _cache(args)


def _render(args: argparse.Namespace) -> int:
    document = _document_argument(args)
    force: bool | set[str] = False
    if args.force:
        force = True if "*" in args.force else set(args.force)
    options = RenderOptions(
        output=args.output,
        to=args.to,
        params=parse_params(args.param),
        force=force,
        strict=args.strict,
        frozen=args.frozen,
        cache_dir=args.cache_dir,
        jobs=max(1, args.jobs),
    )
    progress = Progress(sys.stderr, quiet=args.quiet)
    outcome = render_document(document, options, on_event=progress.event)
    if args.report:
        args.report.write_text(report_json(outcome), encoding="utf-8")
    progress.summary(outcome.summary, outcome.output)
    for problem in outcome.problems:
        print(f"error: {problem}", file=sys.stderr)
    if outcome.problems:
        return max(problem.exit_code for problem in outcome.problems)
    return 1 if outcome.summary.failed else 0


def _document_argument(args: argparse.Namespace) -> Path:
    """The DOC argument; `--force doc.md` (a file given where a label may stand) is read as DOC."""
    if args.document is not None:
        return Path(args.document)
    if args.force and Path(args.force[-1]).is_file():
        document = Path(args.force.pop())
        args.force.append("*")
        return document
    raise NoteflowError("render needs a document: noteflow render DOC")


def _watch(args: argparse.Namespace) -> int:
    from .watch import Preview, serve, start_server

    if not args.document.is_file():
        raise NoteflowError("document not found", path=str(args.document))
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"noteflow: warning: serving on {args.host}: anyone who can reach this machine can "
            "read the page",
            file=sys.stderr,
        )
    options = RenderOptions(
        params=parse_params(args.param), cache_dir=args.cache_dir, jobs=max(1, args.jobs)
    )
    preview = Preview(args.document, options)
    server = start_server(preview, args.host, args.port)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    try:  # from here on, Ctrl-C is the normal way to stop
        print(
            f"noteflow: previewing {args.document} at {url} (Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        if args.open:
            import webbrowser

            webbrowser.open(url)
        serve(preview, server)
    except KeyboardInterrupt:
        print("noteflow: preview stopped; kernels shut down", file=sys.stderr)
    finally:
        preview.close()
        server.server_close()
    return 0


def _graph(args: argparse.Namespace) -> int:
    from .diagram import to_dot, to_mermaid

    _, plan, _ = prepare(args.document, RenderOptions(params=parse_params(args.param)))
    print(to_mermaid(plan.graph) if args.format == "mermaid" else to_dot(plan.graph), end="")
    return 0


def _cache(args: argparse.Namespace) -> int:
    from . import cachecmd

    if args.action == "gc":
        store = _gc_store(args)
        print(cachecmd.gc_summary(cachecmd.collect_garbage(store)))
        return 0
    text, _, label = str(args.document).partition("#")
    _, plan, store = prepare(
        Path(text), RenderOptions(params=parse_params(args.param), cache_dir=args.cache_dir)
    )
    if args.action == "ls":
        print(cachecmd.format_rows(cachecmd.list_cache(plan, store)))
    else:
        removed = cachecmd.clear_cache(plan, store, label or None)
        print(f"removed {removed} cache entr{'y' if removed == 1 else 'ies'}")
    return 0


def _gc_store(args: argparse.Namespace) -> Any:
    from .store import open_store

    if args.cache_dir:
        return open_store(args.cache_dir)
    target = args.document or Path(".noteflow")
    if target.is_file():
        return store_for(target, None)
    if not target.is_dir():
        raise NoteflowError(f"no cache directory at {target}")
    return open_store(target)


class Progress:
    """One stderr line per block as it goes, then a summary."""

    def __init__(self, stream: TextIO, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet

    def event(self, kind: str, planned: PlannedBlock, result: BlockResult | None) -> None:
        if self.quiet:
            return
        name = planned.id
        if kind == "cached":
            self._line(f"  {name}: cached")
        elif kind == "running":
            self._line(f"  {name}: running ({planned.reason})")
        elif result is not None:
            self._line(f"  {name}: {_finished(result)}")

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def summary(self, summary: RunSummary, output: Path | None) -> None:
        total = len(summary.results)
        parts = [f"{summary.count('cached')} cached"]
        executed = summary.count("executed")
        seconds = sum(r.seconds for r in summary.results.values() if r.status == "executed")
        parts.append(f"{executed} executed in {seconds:.1f} s")
        statuses: tuple[Status, ...] = ("failed", "not-run", "skipped")
        for status in statuses:
            if summary.count(status):
                parts.append(f"{summary.count(status)} {status}")
        self._line(f"{total} blocks: {', '.join(parts)}")
        if output is not None:
            self._line(f"wrote {output}")


def _finished(result: BlockResult) -> str:
    if result.status == "executed":
        note = " (expected error)" if result.expected_error else ""
        return f"done in {result.seconds:.1f} s{note}"
    if result.status == "failed":
        return f"failed: {result.error}"
    return result.reason or result.status


if __name__ == "__main__":
    raise SystemExit(main())
