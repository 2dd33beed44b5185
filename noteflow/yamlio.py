"""Reading YAML a user wrote: front matter, option lines, MyST cell options, parameters.

Owns the one safe way noteflow loads YAML. Whatever goes wrong becomes a `DocumentError`
(or the subclass the caller names) at the document line of the node at fault: bad syntax,
a tag that does not construct (`!!int x`, `2026-13-45`), an unhashable key, a recursive
alias (`&a [*a]`), aliases that expand to a huge value, nesting too deep to read. No
other exception escapes, and the value returned is a finite tree (no shared cycles).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from .errors import DocumentError

MAX_EXPANDED_NODES = 100_000
"""Most values a YAML text may stand for once its aliases are expanded."""

_FAILURES = (ValueError, TypeError, ArithmeticError, LookupError, AttributeError)
"""What PyYAML raises besides its own errors (dates, ints, keys), outside constructors."""


@dataclass(frozen=True, slots=True)
class LoadedYaml:
    """A YAML text's value, with the lines its mapping keys were written on."""

    value: Any
    """The loaded value (None for an empty text)."""
    root: yaml.Node | None
    """The composed node tree, for `line_of`."""
    first_line: int
    """Document line (1-based) of the text's first line."""

    def line_of(self, *keys: str) -> int:
        """Document line of the key at `keys` (a path into nested mappings).

        Falls back to the deepest key found on the way, else to the text's first line.
        """
        line = self.first_line
        node = self.root
        for key in keys:
            found = _key_node(node, key)
            if found is None:
                break
            key_node, node = found
            line = self.first_line + key_node.start_mark.line
        return line


def load_yaml(
    text: str,
    *,
    what: str,
    path: str | None,
    line: int,
    error: type[DocumentError] = DocumentError,
    hint: str | None = None,
) -> LoadedYaml:
    """Load `text`, whose first line is document line `line`; every failure is an `error`.

    `what` names the text in messages: `bad YAML in {what}: ...`.
    """
    last_line = line + text.count("\n")

    def fail(problem: str, offset: int = 0, advice: str | None = hint) -> DocumentError:
        where = min(line + offset, last_line)
        return error(f"bad YAML in {what}: {problem}", path=path, line=where, hint=advice)

    try:
        root, value = _compose_and_construct(text)
    except _UnreadableValue as err:
        raise fail(_problem(err), _mark_line(err), err.hint) from None
    except yaml.MarkedYAMLError as err:
        raise fail(_problem(err), _mark_line(err)) from None
    except yaml.reader.ReaderError as err:
        problem = f"character {err.character:#x} is not allowed in YAML"
        raise fail(problem, text.count("\n", 0, err.position)) from None
    except yaml.YAMLError as err:
        raise fail(str(err)) from None
    except RecursionError:
        raise fail("nested too deeply to read") from None
    except _FAILURES as err:
        raise fail(str(err)) from None
    return LoadedYaml(value=value, root=root, first_line=line)


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(text)  # checks the characters first
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_aliases(root)
        return root, loader.construct_document(root)
    finally:
        loader.dispose()


def _mark_line(err: yaml.MarkedYAMLError) -> int:
    mark = err.problem_mark or err.context_mark
    return mark.line if mark is not None else 0


def value_or_text(text: str) -> Any:
    """YAML's reading of `text` when it is plain data (as for `-P n=5`), else `text` itself."""
    try:
        value = load_yaml(text, what="a value", path=None, line=1).value
    except DocumentError:
        return text
    return text if plain_data_problem(value) else value


def plain_data_problem(value: Any) -> str | None:
    """What keeps `value` from being plain data (every mapping key text), or None.

    Cache keys and interchange values are JSON with sorted keys: a key like `1` beside
    `a`, or a date as a key, cannot be written there.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"has a mapping key {key!r} that is not text (quote it)"
            problem = plain_data_problem(item)
            if problem:
                return problem
    if isinstance(value, list):
        return next(filter(None, map(plain_data_problem, value)), None)
    return None


class _UnreadableValue(ConstructorError):
    """A scalar its tag cannot construct: `!!int x`, `2026-13-45`."""

    def __init__(self, node: yaml.Node, err: Exception) -> None:
        super().__init__(None, None, _unreadable(node, err), node.start_mark)
        text = node.value if isinstance(node, yaml.ScalarNode) else None
        quoted = f": {json.dumps(text, ensure_ascii=False)}" if text and len(text) <= 40 else ""
        self.hint = f"give a valid value, or quote it (with no `!!` tag) to keep it as text{quoted}"


class _Loader(yaml.SafeLoader):
    """SafeLoader whose constructors report every failure as a marked YAML error."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception as err:  # any constructor failure on user data
            raise _UnreadableValue(node, err) from err


def _unreadable(node: yaml.Node, err: Exception) -> str:
    """`'2026-13-45' is not a date (month must be in 1..12)`."""
    reason = str(err)
    python_jargon = reason.startswith(("invalid literal", "could not convert"))
    detail = "" if python_jargon or not reason else f" ({reason})"
    return f"{_show_node(node)} is not {_tag_name(node)}{detail}"


def _check_aliases(root: yaml.Node) -> None:
    """Reject an alias to a node that contains it, and aliases that expand too far."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, open_nodes: set[int]) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            raise ConstructorError(
                None, None, "an alias refers to a value that contains it", node.start_mark
            )
        open_nodes.add(id(node))
        total = 1 + sum(size(child, open_nodes) for child in _children(node))
        open_nodes.discard(id(node))
        if total > MAX_EXPANDED_NODES:
            raise ConstructorError(
                None,
                None,
                f"aliases expand to more than {MAX_EXPANDED_NODES} values",
                node.start_mark,
            )
        sizes[id(node)] = total
        return total

    size(root, set())


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value


def _key_node(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of `key` in a mapping node, else None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _problem(err: yaml.MarkedYAMLError) -> str:
    problem = err.problem or err.context or "unreadable YAML"
    return problem.replace("\n", " ")


def _show_node(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        text = str(node.value)
        return repr(text if len(text) <= 40 else text[:37] + "...")
    return "the value"


_TAG_NAMES = {"timestamp": "a date", "int": "an integer", "float": "a number", "bool": "a boolean"}


def _tag_name(node: yaml.Node) -> str:
    tag = str(node.tag)
    if not tag.startswith("tag:yaml.org,2002:"):
        return tag
    short = tag.rsplit(":", 1)[-1]
    return _TAG_NAMES.get(short, "!!" + short)
