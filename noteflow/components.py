"""Component blocks: reusable, parameterised blocks that anyone can install.

A component is a Python class registered in the entry-point group `noteflow.components`
(the built-ins below are registered in noteflow's own `pyproject.toml`). A fence whose
first word names one, ```` ```{data #sales path=data/sales.csv} ````, is a component
block: its body is YAML parameters. It reads and defines named values like a code block
and is cached the same way; it runs in noteflow's own process, not in a kernel. Values
cross as interchange bodies (see README, "Values across languages"), so a table a
component makes arrives in Python as a DataFrame, in R as a data.frame.
"""

from __future__ import annotations

import base64
import csv
import functools
import html
import json
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

Value = dict[str, Any]
"""An interchange body: {"kind": "value", "value": ...} or {"kind": "table", ...}."""


@dataclass(frozen=True)
class ComponentContext:
    """What a component may know about where it runs."""

    document_dir: Path
    block_id: str


@dataclass
class ComponentResult:
    outputs: list[dict[str, Any]] = field(default_factory=list)
    """nbformat v4 outputs to show in the page."""
    values: dict[str, Value] = field(default_factory=dict)
    """Named values it defines, as interchange bodies."""


class ComponentError(Exception):
    """A component's own failure, shown in the page like a block's error."""


class Component:
    """Base class of components. Subclasses set `name` and override what they need."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    """Part of every cache key: bump it when the same parameters would give new results."""

    def __init__(self, params: Mapping[str, Any], label: str | None) -> None:
        self.params = dict(params)
        self.label = label

    def reads(self) -> list[str]:
        """Names of the values it needs."""
        return []

    def defines(self) -> list[str]:
        """Names of the values it makes."""
        return []

    def files(self) -> list[str]:
        """Files (relative to the document) whose content is part of its cache key."""
        return []

    def run(self, inputs: Mapping[str, Value], context: ComponentContext) -> ComponentResult:
        raise NotImplementedError


def make_component(name: str, options: Mapping[str, Any], label: str | None) -> Component:
    """An instance for a component block; its parameters are in the `with` option."""
    return registry()[name](options.get("with") or {}, label)


@functools.cache
def registry() -> dict[str, type[Component]]:
    """Every installed component class by name."""
    found: dict[str, type[Component]] = {}
    for point in entry_points(group="noteflow.components"):
        try:
            cls = point.load()
        except Exception:  # a broken third-party package must not break every document
            continue
        if isinstance(cls, type) and issubclass(cls, Component):
            found[point.name] = cls
    return found


def table(
    columns: Sequence[str], data: Mapping[str, list[Any]], types: Mapping[str, str] | None = None
) -> Value:
    """An interchange table; column types are inferred where not given."""
    kinds = {c: (types or {}).get(c) or _infer(data[c]) for c in columns}
    return {
        "noteflow": 1,
        "kind": "table",
        "columns": list(columns),
        "types": kinds,
        "data": dict(data),
    }


def value(content: Any) -> Value:
    return {"noteflow": 1, "kind": "value", "value": content}


def row_count(body: Value) -> int:
    """The number of rows of an interchange table."""
    columns = body["columns"]
    return len(body["data"][columns[0]]) if columns else 0


def _infer(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present) and present:
        return "integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "number"
    return "string"


def _parse_cell(text: str) -> Any:
    if text == "":
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def _column_of(values: list[Any]) -> list[Any]:
    """CSV cells of one column, typed together (a column with a float is all floats)."""
    kind = _infer(values)
    if kind == "number":
        return [None if v is None else float(v) for v in values]
    if kind == "string":
        return [None if v is None else str(v) for v in values]
    return values


class Data(Component):
    """`{data #name path=file}`: a CSV, JSON or Parquet file read into a named table."""

    name = "data"

    def defines(self) -> list[str]:
        return [str(self.params.get("name") or self.label or "data")]

    def files(self) -> list[str]:
        if not self.params.get("path"):
            raise ComponentError("the data component needs `path:` (a CSV, JSON or Parquet file)")
        return [str(self.params["path"])]

    def run(self, inputs: Mapping[str, Value], context: ComponentContext) -> ComponentResult:
        path = context.document_dir / str(self.params["path"])
        body = self._read(path)
        rows = row_count(body)
        shape = f"{rows} rows, {len(body['columns'])} columns"
        note = f"{self.defines()[0]}: {shape} from {self.params['path']}"
        outputs = [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {
                    "text/html": html_table(body, limit=int(self.params.get("preview", 5))),
                    "text/plain": note,
                },
            }
        ]
        if self.params.get("preview") == 0:
            outputs = [{"output_type": "stream", "name": "stdout", "text": note + "\n"}]
        return ComponentResult(outputs, {self.defines()[0]: body})

    def _read(self, path: Path) -> Value:
        suffix = path.suffix.lower()
        if suffix in (".csv", ".tsv"):
            return self._csv(path, "\t" if suffix == ".tsv" else ",")
        if suffix == ".json":
            return _json_table(json.loads(path.read_text(encoding="utf-8")))
        if suffix == ".parquet":
            return _parquet(path)
        raise ComponentError(f"cannot read '{path.name}': use a .csv, .tsv, .json or .parquet file")

    @staticmethod
    def _csv(path: Path, delimiter: str) -> Value:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, [])
            cells: dict[str, list[Any]] = {c: [] for c in header}
            for row in reader:
                for i, column in enumerate(header):  # a short row is missing values
                    cells[column].append(_parse_cell(row[i]) if i < len(row) else None)
        return table(header, {c: _column_of(v) for c, v in cells.items()})


def _json_table(data: Any) -> Value:
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        columns = list(dict.fromkeys(k for row in data for k in row))
        return table(columns, {c: [row.get(c) for row in data] for c in columns})
    if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        return table(list(data), {c: list(v) for c, v in data.items()})
    raise ComponentError("a JSON data file must be a list of records or a mapping of columns")


def _parquet(path: Path) -> Value:
    try:
        import pandas
    except ImportError:
        raise ComponentError(
            "reading Parquet needs pandas and pyarrow: pip install pandas pyarrow"
        ) from None
    try:
        frame = pandas.read_parquet(path)
    except ImportError as err:
        raise ComponentError(
            f"reading Parquet needs pyarrow: pip install pyarrow ({err})"
        ) from None
    columns = [str(c) for c in frame.columns]
    data = {
        str(c): [None if v != v else v for v in frame[c].astype(object).tolist()]
        for c in frame.columns
    }
    return table(columns, data)


def html_table(body: Value, limit: int = 50) -> str:
    """An escaped HTML table of the first `limit` rows of an interchange table."""
    columns = body["columns"]
    rows = row_count(body)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    lines = []
    for i in range(min(rows, limit)):
        cells = "".join(f"<td>{_cell_html(body['data'][c][i])}</td>" for c in columns)
        lines.append(f"<tr>{cells}</tr>")
    more = f'<p class="nf-more">{rows - limit} more rows</p>' if rows > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>{more}"


def _cell_html(cell: Any) -> str:
    return '<span class="nf-missing">NA</span>' if cell is None else html.escape(str(cell))


class Include(Component):
    """`{include path=chapter.md}`: another Markdown file's text, re-rendered when it changes.

    Its prose is rendered in place; braced fences in it are shown, not run.
    """

    name = "include"

    def files(self) -> list[str]:
        if not self.params.get("path"):
            raise ComponentError("the include component needs `path:` (a Markdown file)")
        return [str(self.params["path"])]

    def run(self, inputs: Mapping[str, Value], context: ComponentContext) -> ComponentResult:
        text = (context.document_dir / str(self.params["path"])).read_text(encoding="utf-8")
        if text.startswith("---\n"):
            end = text.find("\n---", 4)
            text = text[end + 4 :] if end != -1 else text
        output = {
            "output_type": "display_data",
            "metadata": {"noteflow": {"document_markdown": True}},
            "data": {"text/markdown": text},
        }
        return ComponentResult([output])


class Show(Component):
    """`{show value=sales}`: a named value as a table, a JSON tree, or an image."""

    name = "show"

    def reads(self) -> list[str]:
        target = self.params.get("value")
        if not target:
            raise ComponentError("the show component needs `value:` (the name of a value)")
        return [str(target)]

    def run(self, inputs: Mapping[str, Value], context: ComponentContext) -> ComponentResult:
        body = inputs[self.reads()[0]]
        if body.get("kind") == "table":
            data = {"text/html": html_table(body, int(self.params.get("rows", 50)))}
            return ComponentResult([{"output_type": "display_data", "metadata": {}, "data": data}])
        content = body.get("value")
        image = _image(content, context.document_dir) if isinstance(content, str) else None
        if image is not None:
            return ComponentResult([{"output_type": "display_data", "metadata": {}, "data": image}])
        tree = {"application/json": content, "text/plain": json.dumps(content, indent=2)}
        return ComponentResult([{"output_type": "display_data", "metadata": {}, "data": tree}])


def _image(content: str, folder: Path) -> dict[str, Any] | None:
    mime, _ = mimetypes.guess_type(content)
    path = folder / content
    if mime not in ("image/png", "image/jpeg", "image/svg+xml", "image/gif") or not path.is_file():
        return None
    if mime == "image/svg+xml":
        return {mime: path.read_text(encoding="utf-8")}
    return {mime: base64.b64encode(path.read_bytes()).decode()}


def encode_value(body: Value) -> bytes:
    return json.dumps(body, default=str).encode()


def decode_value(data: bytes) -> Value:
    body = json.loads(data)
    if not isinstance(body, dict):
        raise ComponentError("not an interchange value")
    return body
