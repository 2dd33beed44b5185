"""Survey of real public documents: how whole `noteflow render` runs do on them.

    python bench/realdocs.py --docs DIR [--only NAME[,NAME]] [--check] [--timeout S]
    python bench/realdocs.py --docs DIR --from-git OWNER/NAME=GITDIR [...]

The documents are listed in bench/realdocs.yaml (Quarto, knitr / R Markdown, MyST-NB,
mystmd, jupytext and numpy-tutorial files, each pinned to a commit). They are never copied
into this repository: DIR is a cache folder outside it.

- `--from-git OWNER/NAME=GITDIR` fills the cache from a clone of that repository (bare or
  not): every listed file is read at its pinned commit with `git show` and written to
  `DIR/src/OWNER/NAME/PATH`. For example:
  `git clone --bare https://github.com/yihui/knitr-examples /tmp/ke.git` then
  `--from-git yihui/knitr-examples=/tmp/ke.git`.
- A survey run copies each document and its extra files from the cache into a fresh
  folder `DIR/runs/NAME/` (same relative positions), runs `python -m noteflow render` on
  it as a whole process (own cache folder, `--report`, a timeout per document) and prints
  one table: exit code, page written, blocks by status (from the report), warnings and
  the first error line. It also writes `DIR/runs/summary.json`.
- `--check` then reads each written page and checks the features the YAML lists for the
  document (see CHECKS), printing which pass and why the others fail. `--no-render`
  checks the pages of the previous run without rendering again.
- `--noteflow-src TREE` runs another noteflow source tree (for instance a commit exported
  with `git archive`), so two versions can be surveyed the same way; `--compare OLD.json`
  prints, per document, what changed since an earlier summary; `--markdown FILE` writes
  the table for a closing note (document and upstream path, cells run, features checked,
  differences left).

Plain measurement of behaviour, no timing claims. Exit status 0 when the survey ran, 2 when
the survey itself is broken (a missing cache file, a bad YAML entry).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
LIST_FILE = HERE / "realdocs.yaml"


class SurveyError(Exception):
    """The survey itself cannot go on (missing cache file, bad list entry)."""


# --------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class Doc:
    """One listed document: where it comes from and what to look at."""

    name: str
    repo: str  # owner/name
    commit: str
    path: str  # the document inside the repository
    extras: tuple[str, ...]  # other files it needs, repository paths
    dialect: str
    args: tuple[str, ...]  # extra `noteflow render` arguments
    features: tuple[str, ...]
    upstream: str


def load_docs(list_file: Path) -> list[Doc]:
    """The documents of realdocs.yaml, each resolved against its source."""
    data = yaml.safe_load(list_file.read_text(encoding="utf-8"))
    sources = data["sources"]
    docs = []
    for entry in data["documents"]:
        source = sources[entry["source"]]
        docs.append(
            Doc(
                name=entry["name"],
                repo=source["repo"],
                commit=source["commit"],
                path=entry["path"],
                extras=tuple(entry.get("extras") or ()),
                dialect=entry["dialect"],
                args=tuple(str(a) for a in entry.get("args") or ()),
                features=tuple(str(f) for f in entry.get("features") or ()),
                upstream=str(entry.get("upstream", "")),
            )
        )
    return docs


def cached_file(docs_dir: Path, repo: str, path: str) -> Path:
    """Where a repository file lives in the cache folder."""
    return docs_dir / "src" / repo / path


def fill_from_git(docs: list[Doc], docs_dir: Path, repo: str, git_dir: Path) -> int:
    """Write every listed file of `repo` from `git_dir` at its pinned commit into the cache."""
    if (git_dir / ".git").is_dir():
        git_dir = git_dir / ".git"
    written = 0
    for doc in docs:
        if doc.repo != repo:
            continue
        for path in (doc.path, *doc.extras):
            target = cached_file(docs_dir, repo, path)
            spec = f"{doc.commit}:{path}"
            proc = subprocess.run(
                ["git", f"--git-dir={git_dir}", "show", spec], capture_output=True
            )
            if proc.returncode != 0:
                raise SurveyError(f"{repo}: git show {spec}: {proc.stderr.decode().strip()}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(proc.stdout)
            written += 1
    return written


def materialise(doc: Doc, docs_dir: Path, run_dir: Path) -> Path:
    """Copy the document and its extras into a fresh `run_dir`; return the document's copy."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    files = (doc.path, *doc.extras)
    root = os.path.commonpath([os.path.dirname(p) or "." for p in files])
    for path in files:
        source = cached_file(docs_dir, doc.repo, path)
        if not source.is_file():
            raise SurveyError(
                f"{doc.name}: {source} is missing; fill the cache with --from-git {doc.repo}=GITDIR"
            )
        target = run_dir / os.path.relpath(path, root or ".")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return run_dir / os.path.relpath(doc.path, root or ".")


# --------------------------------------------------------------------------- rendering


@dataclass
class RunResult:
    """What one whole `noteflow render` process did on one document."""

    name: str
    dialect: str
    exit_code: int | None  # None: timed out
    page: Path
    page_written: bool
    statuses: dict[str, int] = field(default_factory=dict)
    warnings: int = 0
    first_error: str = ""
    stdout: str = ""
    stderr: str = ""
    report: dict = field(default_factory=dict)


def render(doc: Doc, document: Path, timeout: float, src: Path | None = None) -> RunResult:
    """Run `noteflow render` on the materialised document, as a user would.

    `src`: a noteflow source tree to run instead of the installed one (PYTHONPATH).
    """
    run_dir = document.parent
    page = run_dir / (document.stem + ".html")
    report_file = run_dir / "noteflow-report.json"
    command = [
        sys.executable, "-m", "noteflow", "render", str(document),
        "-o", str(page), "--report", str(report_file),
        "--cache-dir", str(run_dir / ".noteflow-cache"), *doc.args,
    ]  # fmt: skip
    try:
        proc = subprocess.run(
            command, cwd=run_dir, capture_output=True, text=True, timeout=timeout,
            env=_environment(src),
        )  # fmt: skip
        exit_code: int | None = proc.returncode
        stdout, stderr = proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as err:
        exit_code = None
        stdout = _text(err.stdout)
        stderr = _text(err.stderr) + f"\n(timed out after {timeout:.0f} s)"
    (run_dir / "noteflow-stdout.txt").write_text(stdout, encoding="utf-8")
    (run_dir / "noteflow-stderr.txt").write_text(stderr, encoding="utf-8")
    (run_dir / "noteflow-exit.txt").write_text(f"{exit_code}\n", encoding="utf-8")
    report = _read_report(report_file)
    return RunResult(
        name=doc.name,
        dialect=doc.dialect,
        exit_code=exit_code,
        page=page,
        page_written=page.is_file(),
        statuses=dict(Counter(b.get("status", "?") for b in report.get("blocks", []))),
        warnings=sum(1 for line in stderr.splitlines() if "warning:" in line),
        first_error=first_error_line(stdout, stderr),
        stdout=stdout,
        stderr=stderr,
        report=report,
    )


def _environment(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    return env


def _text(data: bytes | str | None) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data or ""


def _read_report(report_file: Path) -> dict:
    try:
        return json.loads(report_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


PROGRESS = re.compile(
    r"^(?:\S.*?: (?:running|done in|cached|not run|skipped)\b|\d+ blocks?:|wrote )"
)


def first_error_line(stdout: str, stderr: str) -> str:
    """The first line that says something went wrong: not a warning, not a progress line
    (a failed block's progress line counts)."""
    for line in (stderr + "\n" + stdout).splitlines():
        text = line.strip()
        if text and "warning:" not in text and not PROGRESS.match(text):
            return text
    return ""


# --------------------------------------------------------------------------- the page, parsed

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}  # fmt: skip
NOT_PROSE = {"pre", "code", "script", "style", "math", "svg", "template", "textarea"}


@dataclass
class Node:
    """An element of the written page (a minimal DOM: enough for the checks)."""

    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def elements(self) -> Iterator[Node]:
        """This element and every element below it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.elements()

    def text(self, skip: frozenset[str] | set[str] = frozenset()) -> str:
        """The text below this element, leaving out elements whose tag is in `skip`."""
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag not in skip:
                parts.append(child.text(skip))
        return "".join(parts)

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse_page(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


# --------------------------------------------------------------------------- feature checks


@dataclass
class Page:
    """What a check can look at: the page, the run and the document entry."""

    doc: Doc
    run: RunResult
    root: Node

    @property
    def body(self) -> Node:
        return next((e for e in self.root.elements() if e.tag == "body"), self.root)

    def all_text(self) -> str:
        return self.body.text({"script", "style"})

    def prose(self) -> str:
        """Visible text outside code, math and scripts: where syntax must not show."""
        return self.body.text(NOT_PROSE | {"annotation"})

    def find(self, predicate: Callable[[Node], bool]) -> list[Node]:
        return [e for e in self.body.elements() if predicate(e)]

    def source_code(self) -> list[str]:
        """Texts of the executed blocks' source (`.nf-code` in a `.nf-block`), else every <pre>."""
        code = self.find(
            lambda e: "nf-code" in e.classes and any("nf-block" in a.classes for a in e.ancestors())
        )
        return [e.text() for e in (code or self.find(lambda e: e.tag == "pre"))]

    def outputs(self) -> str:
        """Text of the blocks' outputs (elements whose class starts with nf-output)."""
        outs = self.find(lambda e: any(c.startswith("nf-output") for c in e.classes))
        tops = [e for e in outs if not any(a in outs for a in e.ancestors())]
        return "\n".join(e.text() for e in tops)


CheckResult = tuple[bool, str]
BOX_KINDS = ("note", "tip", "warning", "important", "caution", "attention", "danger",
             "error", "hint", "seealso")  # fmt: skip


def is_box(node: Node) -> bool:
    """A callout / admonition box (its parts like `callout-title` are not boxes)."""
    classes = node.classes
    if classes & {"callout", "admonition"}:
        return True
    return any(f"{p}-{k}" in classes for p in ("callout", "admonition") for k in BOX_KINDS)


def _norm_id(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def check_page(page: Page, arg: str) -> CheckResult:
    return page.run.page_written, "" if page.run.page_written else "no page written"


def check_exit0(page: Page, arg: str) -> CheckResult:
    return page.run.exit_code == 0, f"exit {page.run.exit_code}"


def check_runs(page: Page, arg: str) -> CheckResult:
    statuses = page.run.statuses
    done = statuses.get("executed", 0) + statuses.get("cached", 0)
    return done >= int(arg), f"{done} blocks ran (want >= {arg}); statuses {statuses}"


SYMPTOMS: list[tuple[str, str]] = [
    ("fenced-div ':::'", r":::"),
    ("attribute braces", r"\{[#.][\w-]"),
    ("shortcode", r"\{\{<"),
    ("unresolved ref '?@'", r"\?@[\w-]+"),
    ("at-ref @fig-x", r"(?<![\w?@.])@(?:fig|tbl|sec|eq|lst|tip|nte|wrn|imp|cau)-[\w-]+"),
    ("directive/role name", r"(?<![\w\\}^_])\{(?:[a-z][\w-]*:)?[a-z][\w-]*\}"),
    ("tex-source", r"\\(?:text|frac|cdot|mathrm|mathbf|begin|sum|alpha|partial)\b"),
    ("notebook JSON", r'"cell_type"'),
    ("percent cell marker '# %%'", r"(?m)^\s*(?:# )?%%"),
    ("noweb <<label>>", r"<<[\w.-]+>>"),
    ("cell break '+++'", r"(?m)^\s*\+\+\+"),
    ("jupytext comment", r"#\s*(?:end)?region\b|#raw\b"),
]


def check_clean(page: Page, arg: str) -> CheckResult:
    """No leftover syntax in the visible prose, no unexpected traceback, no `r ` leftovers."""
    prose = page.prose()
    allowed = {f.split(":", 1)[1] for f in page.doc.features if f.startswith("allow:")}
    found = []
    for name, pattern in SYMPTOMS:
        hits = re.findall(pattern, prose)
        if hits and name.split()[0] not in allowed:
            found.append(f"{name} x{len(hits)} (e.g. {hits[0]!r})")
    inline = [c.text() for c in page.find(lambda e: e.tag == "code" and e.parent is not None
                                         and e.parent.tag != "pre")]  # fmt: skip
    left = [t for t in inline if re.match(r"^(?:r|\{r\}|\{python\}|\{eval\}) \S", t)]
    if left:
        found.append(f"inline code left unevaluated x{len(left)} (e.g. {left[0]!r})")
    tracebacks = page.all_text().count("Traceback (most recent call last)")
    if tracebacks and "traceback" not in allowed:
        found.append(f"traceback x{tracebacks}")
    return not found, "; ".join(found)


def check_contains(page: Page, arg: str) -> CheckResult:
    return arg in page.all_text(), f"{arg!r} {'found' if arg in page.all_text() else 'missing'}"


def check_prose(page: Page, arg: str) -> CheckResult:
    """TEXT is in the prose (outside code): a value pasted into the text, not just the source."""
    found = arg in page.prose()
    return found, f"{arg!r} {'in' if found else 'not in'} the prose"


def check_absent(page: Page, arg: str) -> CheckResult:
    return arg not in page.all_text(), f"{arg!r} {'shown' if arg in page.all_text() else 'absent'}"


def check_absent_code(page: Page, arg: str) -> CheckResult:
    shown = any(arg in code for code in page.source_code())
    return not shown, f"{arg!r} {'shown in code' if shown else 'not shown'}"


def check_output_contains(page: Page, arg: str) -> CheckResult:
    outputs = page.outputs()
    return arg in outputs, f"{arg!r} {'in' if arg in outputs else 'not in'} block outputs"


def check_absent_output(page: Page, arg: str) -> CheckResult:
    shown = arg in page.outputs()
    return not shown, f"{arg!r} {'in' if shown else 'not in'} block outputs"


def check_callout(page: Page, arg: str) -> CheckResult:
    boxes = page.find(is_box)
    want = int(arg or 1)
    return len(boxes) >= want, f"{len(boxes)} callout/admonition boxes (want >= {want})"


check_admonition = check_callout


def check_callout_collapse(page: Page, arg: str) -> CheckResult:
    def collapsible(e: Node) -> bool:
        if e.tag != "details":
            return False
        return (
            is_box(e)
            or any(is_box(a) for a in e.ancestors())
            or any(is_box(d) for d in e.elements())
        )

    found = page.find(collapsible)
    return bool(found), f"{len(found)} collapsible callouts (<details>)"


def check_callout_title(page: Page, arg: str) -> CheckResult:
    boxes = [b for b in page.find(is_box) if arg in b.text()]
    heads = page.find(lambda e: e.tag in {"h2", "h3"} and arg in e.text() and
                      not any(is_box(a) for a in e.ancestors()))  # fmt: skip
    return bool(boxes), f"title in a callout: {bool(boxes)}; as a page heading: {bool(heads)}"


def check_id(page: Page, arg: str) -> CheckResult:
    found = page.find(lambda e: e.attrs.get("id") == arg)
    return bool(found), f"element id={arg!r} {'present' if found else 'missing'}"


def check_xref(page: Page, arg: str) -> CheckResult:
    """A link to the target whose text is its number, and the target exists."""
    wanted = {arg, _norm_id(arg)}
    links = page.find(
        lambda e: e.tag == "a" and e.attrs.get("href", "").startswith("#")
        and (e.attrs["href"][1:] in wanted or _norm_id(e.attrs["href"][1:]) in wanted)
    )  # fmt: skip
    targets = page.find(lambda e: e.attrs.get("id") in wanted or
                        _norm_id(e.attrs.get("id", "")) in wanted)  # fmt: skip
    texts = [" ".join(a.text().split()) for a in links]
    ok = bool(targets) and any(re.search(r"\d|\w", t) for t in texts)
    return ok, f"links {texts[:2] or 'none'}; target {'found' if targets else 'missing'}"


def check_unresolved(page: Page, arg: str) -> CheckResult:
    shown = f"?@{arg}" in page.prose()
    warned = any(arg in line for line in page.run.stderr.splitlines() if "warning" in line)
    return shown and warned, f"'?@{arg}' shown: {shown}; warned: {warned}"


def _captions(page: Page) -> list[str]:
    nodes = page.find(lambda e: e.tag in {"figcaption", "caption"} or
                      any("caption" in c for c in e.classes))  # fmt: skip
    return [" ".join(n.text().split()) for n in nodes]


def check_figure_caption(page: Page, arg: str) -> CheckResult:
    captions = _captions(page)
    ok = any(arg in c for c in captions)
    return ok, f"captions {captions[:3] or 'none'}"


check_table_caption = check_figure_caption


def check_subfigures(page: Page, arg: str) -> CheckResult:
    want = int(arg or 2)

    def grid(e: Node) -> bool:
        images = [d for d in e.elements() if d.tag in {"img", "svg"}]
        return e.tag == "figure" and len(images) >= want

    figures = page.find(grid)
    lettered = [f for f in figures if "(a)" in f.text() and "(b)" in f.text()]
    detail = f"{len(figures)} figures with >= {want} images, {len(lettered)} lettered (a)/(b)"
    return bool(lettered), detail


def check_math(page: Page, arg: str) -> CheckResult:
    maths = page.find(lambda e: e.tag == "math" or "math" in e.classes)
    dollars = "$$" in page.prose()
    return bool(maths) and not dollars, f"{len(maths)} math elements; '$$' in prose: {dollars}"


def check_number_sections(page: Page, arg: str) -> CheckResult:
    heads = page.find(lambda e: e.tag in {"h2", "h3", "h4"})
    texts = [" ".join(h.text().split()) for h in heads]
    ok = any(re.match(r"^\d+(\.\d+)*\s", t) for t in texts)
    return ok, f"headings {texts[:3]}"


def check_echo_fenced(page: Page, arg: str) -> CheckResult:
    fenced = [c for c in page.find(lambda e: e.tag == "pre") if "```{" in c.text()]
    return bool(fenced), f"{len(fenced)} code blocks shown with their fence line"


def check_annotations(page: Page, arg: str) -> CheckResult:
    markers = [c for c in page.source_code() if re.search(r"#\s*<\d+>\s*$", c, re.M)]
    annotated = page.find(lambda e: any("annot" in c for c in e.classes))
    detail = f"{len(markers)} code blocks still show '# <n>'; {len(annotated)} annotation elements"
    return not markers and bool(annotated), detail


def check_tabset(page: Page, arg: str) -> CheckResult:
    def tabset(e: Node) -> bool:
        return any("tabset" in c or "tab-set" in c for c in e.classes) or (
            e.attrs.get("role") == "tablist"
        )

    def tabs(e: Node) -> int:
        return sum(
            1 for d in e.elements()
            if d.attrs.get("role") == "tab" or (d.tag == "input" and d.attrs.get("type") == "radio")
        )  # fmt: skip

    sets = page.find(tabset)
    counts = [tabs(s) for s in sets if not any(tabset(a) for a in s.ancestors())]
    return any(n >= 2 for n in counts), f"tabsets with tab counts {counts or 'none'}"


def check_html_table(page: Page, arg: str) -> CheckResult:
    tables = page.find(lambda e: e.tag == "table")
    as_text = [c for c in page.find(lambda e: e.tag == "pre") if re.search(r"\|:?-{3}", c.text())]
    ok = len(tables) >= int(arg or 1) and not as_text
    return ok, f"{len(tables)} tables; {len(as_text)} Markdown tables shown as text"


check_list_table = check_html_table


def check_inline_values(page: Page, arg: str) -> CheckResult:
    _, detail = check_clean(page, arg)
    left = "inline code left" in detail
    return not left, "no unevaluated inline code" if not left else detail


def check_asis_markdown(page: Page, arg: str) -> CheckResult:
    styled = page.find(lambda e: e.tag in {"em", "strong"} and arg in e.text())
    as_text = any(f"**{arg}" in p.text() or f"_{arg}" in p.text()
                  for p in page.find(lambda e: e.tag == "pre"))  # fmt: skip
    return bool(styled), f"rendered as Markdown: {bool(styled)}; shown as raw text: {as_text}"


def _upstream_output_lines(path: Path) -> list[str]:
    """Lines of the untagged fenced blocks of knitr's own .md output (its results)."""
    lines, inside, untagged = [], False, False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if not inside:
                inside, untagged = True, line.strip() == "```"
            else:
                inside = False
            continue
        if inside and untagged and line.strip():
            lines.append(" ".join(line.split()))
    return lines


def check_knitr_outputs(page: Page, arg: str) -> CheckResult:
    """How many of knitr's own result lines the page shows, with and without its `## `."""
    upstream = page.run.page.parent / arg
    if not upstream.is_file():
        return False, f"{arg} not in the run folder"
    lines = _upstream_output_lines(upstream)
    shown = " ".join(page.all_text().split())
    exact = sum(1 for line in lines if line in shown)
    stripped = [re.sub(r"^(##|\S+>)\s?", "", line) for line in lines]
    content = sum(1 for line in stripped if line and line in shown)
    ok = bool(lines) and content >= 0.75 * len(lines)
    return ok, f"{content}/{len(lines)} result lines shown ({exact} with knitr's comment prefix)"


def _details_with(page: Page, predicate: Callable[[Node], bool]) -> list[Node]:
    return page.find(lambda e: e.tag == "details" and any(predicate(d) for d in e.elements()))


def check_hide_input(page: Page, arg: str) -> CheckResult:
    folded = _details_with(page, lambda d: "nf-code" in d.classes or d.tag == "pre")
    return bool(folded), f"{len(folded)} folded code blocks"


check_code_fold = check_hide_input


def check_hide_output(page: Page, arg: str) -> CheckResult:
    folded = _details_with(page, lambda d: any(c.startswith("nf-output") for c in d.classes))
    return bool(folded), f"{len(folded)} folded outputs"


def check_no_cell_options_in_code(page: Page, arg: str) -> CheckResult:
    pattern = re.compile(r"^\s*(?::(?:tags?|mystnb|[a-z_-]+):|tags:\s*\[)", re.M)
    left = [c for c in page.source_code() if pattern.search(c)]
    return not left, f"{len(left)} executed blocks show cell options in their code"


def check_glue(page: Page, arg: str) -> CheckResult:
    left = re.findall(r"\{glue(?::\w+)?\}", page.prose())
    return not left, f"{len(left)} glue roles/directives left as text"


def check_no_region_comments(page: Page, arg: str) -> CheckResult:
    left = re.findall(r"#\s*(?:end)?region\b|#\s*(?:end)?raw\b", page.prose())
    return not left, f"{len(left)} jupytext markers shown"


def check_image(page: Page, arg: str) -> CheckResult:
    images = page.find(lambda e: e.tag == "img" and e.attrs.get("src", "").startswith("data:"))
    return bool(images), f"{len(images)} embedded images"


def check_images_inline(page: Page, arg: str) -> CheckResult:
    srcs = [e.attrs.get("src", "") for e in page.find(lambda e: e.tag == "img")]
    local = [s for s in srcs if not s.startswith(("data:", "http://", "https://"))]
    return bool(srcs) and not local, f"{len(srcs)} images; not inlined: {local[:2] or 'none'}"


def check_no_cell_breaks(page: Page, arg: str) -> CheckResult:
    left = re.findall(r"(?m)^\s*\+\+\+", page.prose())
    return not left, f"{len(left)} '+++' lines shown"


def check_footnote(page: Page, arg: str) -> CheckResult:
    notes = page.find(lambda e: any("footnote" in c for c in e.classes)
                      or e.attrs.get("href", "").startswith("#fn"))  # fmt: skip
    left = "^[" in page.prose()
    return bool(notes) and not left, f"{len(notes)} footnote elements; '^[' shown: {left}"


def check_title(page: Page, arg: str) -> CheckResult:
    titles = page.find(lambda e: e.tag in {"h1", "title"} and arg in e.text())
    return bool(titles), f"title {arg!r} {'shown' if titles else 'missing'}"


def check_skipped_warned(page: Page, arg: str) -> CheckResult:
    skipped = page.run.statuses.get("skipped", 0)
    warned = any("kernel" in line for line in page.run.stderr.splitlines() if "warning" in line)
    return bool(skipped) and warned, f"{skipped} skipped blocks; kernel warning: {warned}"


def check_allow(page: Page, arg: str) -> CheckResult:
    return True, "(relaxes `clean`)"


CHECKS: dict[str, Callable[[Page, str], CheckResult]] = {
    name[len("check_") :].replace("_", "-"): fn
    for name, fn in dict(globals()).items()
    if name.startswith("check_") and callable(fn)
}


def run_checks(doc: Doc, run: RunResult) -> list[tuple[str, bool, str]]:
    """Each listed feature of the document: (feature, passed, detail)."""
    if not run.page_written:
        return [(f, False, "no page") for f in doc.features if not f.startswith("allow:")]
    page = Page(doc, run, parse_page(run.page.read_text(encoding="utf-8")))
    results = []
    for feature in doc.features:
        name, _, arg = feature.partition(":")
        check = CHECKS.get(name)
        if check is None:
            raise SurveyError(f"{doc.name}: unknown feature {name!r} (known: {sorted(CHECKS)})")
        if name != "allow":
            results.append((feature, *check(page, arg)))
    return results


# --------------------------------------------------------------------------- output


def status_cell(statuses: dict[str, int]) -> str:
    order = ["executed", "cached", "failed", "skipped"]
    main = "/".join(str(statuses.get(s, 0)) for s in order)
    other = {k: v for k, v in statuses.items() if k not in order}
    return main + (" +" + ",".join(f"{k}={v}" for k, v in other.items()) if other else "")


def print_run_table(runs: list[RunResult]) -> None:
    header = f"{'document':<22} {'dialect':<16} {'exit':>4} {'page':>4} " \
             f"{'run/cached/failed/skipped':<26} {'warn':>4}  first error"  # fmt: skip
    print(header)
    print("-" * len(header))
    for r in runs:
        code = "T/O" if r.exit_code is None else str(r.exit_code)
        print(
            f"{r.name:<22} {r.dialect:<16} {code:>4} {'y' if r.page_written else 'n':>4} "
            f"{status_cell(r.statuses):<26} {r.warnings:>4}  {r.first_error[:110]}"
        )


def print_checks(doc: Doc, results: list[tuple[str, bool, str]]) -> None:
    passed = sum(1 for _, ok, _ in results if ok)
    print(f"\n{doc.name} ({doc.repo}:{doc.path}): {passed}/{len(results)} features pass")
    for feature, ok, detail in results:
        print(f"  {'PASS' if ok else 'FAIL'} {feature:<34} {detail}")


def print_comparison(earlier: list[dict], now: list[dict]) -> None:
    """Per document: exit code, blocks run and features passing, an earlier summary -> now."""
    before = {e["name"]: e for e in earlier}
    print(
        f"\n{'document':<22} {'exit':>9} {'ran':>9} {'features':>11}  newly passing / newly failing"
    )
    for entry in now:
        old = before.get(entry["name"])
        if old is None:
            continue
        print(
            f"{entry['name']:<22} {_pair(old['exit'], entry['exit']):>9} "
            f"{_pair(_ran(old), _ran(entry)):>9} "
            f"{_pair(_passed(old), _passed(entry)):>11}  {_changed(old, entry)}"
        )


def _pair(old: object, new: object) -> str:
    return f"{old}->{new}"


def _ran(entry: dict) -> int:
    return int(entry["statuses"].get("executed", 0) + entry["statuses"].get("cached", 0))


def _passed(entry: dict) -> str:
    return f"{sum(c['pass'] for c in entry['checks'])}/{len(entry['checks'])}"


def _changed(old: dict, new: dict) -> str:
    was = {c["feature"]: c["pass"] for c in old["checks"]}
    gained = [c["feature"] for c in new["checks"] if c["pass"] and not was.get(c["feature"])]
    lost = [c["feature"] for c in new["checks"] if not c["pass"] and was.get(c["feature"])]
    return ", ".join(gained) + (" / " + ", ".join(lost) if lost else "")


def markdown_table(entries: list[dict]) -> str:
    """The closing-note table: document and upstream path, cells run, features, differences."""
    rows = [
        "| document (upstream path) | cells run | features checked | differences left |",
        "|---|---|---|---|",
    ]
    for entry in entries:
        statuses = entry["statuses"]
        total = sum(statuses.values())
        cells = f"{_ran(entry)}/{total}" + ("" if entry["page"] else ", no page")
        passed = [c["feature"] for c in entry["checks"] if c["pass"]]
        failed = [f"{c['feature']} ({c['detail']})" for c in entry["checks"] if not c["pass"]]
        rows.append(
            f"| {entry['name']} (`{entry['source']}`) | {cells} | "
            f"{len(passed)}/{len(entry['checks'])}: {', '.join(passed) or '-'} | "
            f"{_cell('; '.join(failed) or entry['first_error'] or '-')} |"
        )
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_entry(doc: Doc, run: RunResult, checks: list[tuple[str, bool, str]]) -> dict:
    return {
        "name": doc.name,
        "source": f"{doc.repo}@{doc.commit[:7]}:{doc.path}",
        "dialect": doc.dialect,
        "exit": run.exit_code,
        "page": run.page_written,
        "statuses": run.statuses,
        "warnings": run.warnings,
        "first_error": run.first_error,
        "checks": [{"feature": f, "pass": ok, "detail": d} for f, ok, d in checks],
    }


# --------------------------------------------------------------------------- main


def previous_run(doc: Doc, run_dir: Path) -> RunResult:
    """The result of the last survey run of `doc`, read back from its run folder."""
    stderr_file = run_dir / "noteflow-stderr.txt"
    stdout_file = run_dir / "noteflow-stdout.txt"
    stderr = stderr_file.read_text(encoding="utf-8") if stderr_file.is_file() else ""
    stdout = stdout_file.read_text(encoding="utf-8") if stdout_file.is_file() else ""
    report = _read_report(run_dir / "noteflow-report.json")
    exit_file = run_dir / "noteflow-exit.txt"
    exit_text = exit_file.read_text(encoding="utf-8").strip() if exit_file.is_file() else ""
    pages = sorted(run_dir.rglob("*.html"))
    page = pages[0] if pages else run_dir / "missing.html"
    return RunResult(
        name=doc.name, dialect=doc.dialect, page=page,
        exit_code=int(exit_text) if exit_text.lstrip("-").isdigit() else None,
        page_written=page.is_file(),
        statuses=dict(Counter(b.get("status", "?") for b in report.get("blocks", []))),
        warnings=sum(1 for line in stderr.splitlines() if "warning:" in line),
        first_error=first_error_line(stdout, stderr), stdout=stdout, stderr=stderr,
        report=report,
    )  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, required=True, help="cache folder outside the repo")
    parser.add_argument("--list", type=Path, default=LIST_FILE, help="the document list")
    parser.add_argument("--only", default="", help="comma-separated document names")
    parser.add_argument("--check", action="store_true", help="check the listed features")
    parser.add_argument("--no-render", action="store_true", help="check the last run's pages")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per document")
    parser.add_argument("--from-git", action="append", default=[], metavar="OWNER/NAME=GITDIR")
    parser.add_argument(
        "--noteflow-src", type=Path, help="run this noteflow source tree (e.g. an exported commit)"
    )
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    parser.add_argument("--compare", type=Path, help="an earlier summary JSON to compare with")
    parser.add_argument(
        "--summary", type=Path, help="summary JSON (default DOCS/runs/summary.json)"
    )
    return parser.parse_args(argv)


def selected(docs: list[Doc], only: str) -> list[Doc]:
    if not only:
        return docs
    names = {n.strip() for n in only.split(",") if n.strip()}
    unknown = names - {d.name for d in docs}
    if unknown:
        raise SurveyError(f"unknown document(s): {', '.join(sorted(unknown))}")
    return [d for d in docs if d.name in names]


def survey(args: argparse.Namespace) -> int:
    docs = load_docs(args.list)
    for spec in args.from_git:
        repo, _, git_dir = spec.partition("=")
        count = fill_from_git(docs, args.docs, repo, Path(git_dir))
        print(f"{repo}: {count} files written to {args.docs / 'src' / repo}")
    if args.from_git and not (args.only or args.check):
        return 0
    chosen = selected(docs, args.only)
    runs, entries = [], []
    for doc in chosen:
        run_dir = args.docs / "runs" / doc.name
        if args.no_render:
            run = previous_run(doc, run_dir)
        else:
            print(f"rendering {doc.name} ...", file=sys.stderr, flush=True)
            document = materialise(doc, args.docs, run_dir)
            run = render(doc, document, args.timeout, args.noteflow_src)
        runs.append(run)
        checks = run_checks(doc, run) if args.check else []
        entries.append(summary_entry(doc, run, checks))
    print_run_table(runs)
    if args.check:
        for doc, entry in zip(chosen, entries, strict=True):
            print_checks(doc, [(c["feature"], c["pass"], c["detail"]) for c in entry["checks"]])
    if args.markdown:
        args.markdown.write_text(markdown_table(entries), encoding="utf-8")
    if args.compare:
        print_comparison(json.loads(args.compare.read_text(encoding="utf-8")), entries)
    summary = args.summary or args.docs / "runs" / "summary.json"
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text(json.dumps(entries, indent=2), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return survey(args)
    except SurveyError as err:
        print(f"realdocs: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
