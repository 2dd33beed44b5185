"""Front matter: the YAML header of a document, read and checked key by key.

Owns the keys DESIGN §2 gives a meaning: `title`, `subtitle`, `author`, `date`,
`abstract`, `theme`, `params`, `kernels`, `execute`, `environment`. Each has a shape, and
a value of the wrong shape is a `DocumentError` at the line of its key, so no later stage
meets a surprise. Other keys are kept as written, for themes. `execute:` becomes the
default options of every code block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from markdown_it.token import Token

from .errors import DocumentError
from .options import is_possible_path, normalise_written, valid_kernel_name
from .yamlio import LoadedYaml, load_yaml, plain_data_problem

PER_BLOCK_OPTIONS = frozenset({"label", "uses", "exports", "files"})
"""Options that make no sense as a default for every block; `execute:` ignores them."""

_TEXT = (str, int, float, date)


def read_front_matter(tokens: list[Token], path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(front matter, default block options from its `execute:`); both empty without one."""
    if not tokens or tokens[0].type != "front_matter":
        return {}, {}
    first_line = (tokens[0].map[0] if tokens[0].map else 0) + 2
    loaded = load_yaml(tokens[0].content, what="front matter", path=path, line=first_line)
    if loaded.value is None:
        return {}, {}
    if not isinstance(loaded.value, dict):
        raise DocumentError(
            "front matter must be a YAML mapping (key: value lines)", path=path, line=first_line
        )
    for key, check in _CHECKS.items():
        if loaded.value.get(key) is not None:
            check(loaded.value[key], _Where(loaded, key, path))
    return loaded.value, _execute_defaults(loaded, path)


class _Where:
    """Where one front matter key was written, to raise an error at its line."""

    def __init__(self, loaded: LoadedYaml, key: str, path: str) -> None:
        self.loaded, self.key, self.path = loaded, key, path

    def error(self, message: str, *inner: str, hint: str | None = None) -> DocumentError:
        line = self.loaded.line_of(self.key, *inner)
        return DocumentError(
            f"front matter `{self.key}` {message}", path=self.path, line=line, hint=hint
        )


def _check_text(value: Any, where: _Where) -> None:
    if not isinstance(value, _TEXT):
        raise where.error("must be text", hint=f"e.g. `{where.key}: My report`")


def _check_author(value: Any, where: _Where) -> None:
    authors = value if isinstance(value, list) else [value]
    for author in authors:
        if not isinstance(author, _TEXT) and not (isinstance(author, Mapping) and "name" in author):
            raise where.error(
                "must be a name, or a list of names (or of mappings with a `name`)",
                hint="e.g. `author: [Ada Lovelace, Charles Babbage]`",
            )


def _check_theme(value: Any, where: _Where) -> None:
    if not isinstance(value, str) or not value.strip() or not is_possible_path(value):
        raise where.error("must be a theme name or the path of a theme folder")


def _check_params(value: Any, where: _Where) -> None:
    if not isinstance(value, dict):
        raise where.error(
            "must be a mapping of name: default", hint="e.g. `params: {region: all, n: 10}`"
        )
    for name, default in value.items():
        if not isinstance(name, str) or not name:
            raise where.error(f"has a parameter whose name {name!r} is not a word")
        problem = plain_data_problem(default)
        if problem:
            raise where.error(f"parameter {name!r} {problem}", name)


def _check_kernels(value: Any, where: _Where) -> None:
    if not isinstance(value, dict):
        raise where.error(
            "must be a mapping of language: kernelspec", hint="e.g. `kernels: {python: python3}`"
        )
    for language, kernel in value.items():
        if not isinstance(language, str) or not valid_kernel_name(kernel):
            raise where.error(
                f"must map a language to a kernelspec name, got {language!r}: {kernel!r}",
                str(language),
                hint="e.g. `kernels: {python: python3}`; `jupyter kernelspec list` shows names",
            )


def _check_environment(value: Any, where: _Where) -> None:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(
        isinstance(name, str) and name and is_possible_path(name) for name in names
    ):
        raise where.error(
            "must be the path of a lock file, or a list of them",
            hint="e.g. `environment: [requirements.txt]`",
        )


def _check_execute(value: Any, where: _Where) -> None:
    if not isinstance(value, dict):
        raise where.error(
            "must be a mapping of block options", hint="e.g. `execute: {echo: false}`"
        )


_CHECKS: dict[str, Callable[[Any, _Where], None]] = {
    "title": _check_text,
    "subtitle": _check_text,
    "date": _check_text,
    "abstract": _check_text,
    "author": _check_author,
    "theme": _check_theme,
    "params": _check_params,
    "kernels": _check_kernels,
    "environment": _check_environment,
    "execute": _check_execute,
}


def _execute_defaults(loaded: LoadedYaml, path: str) -> dict[str, Any]:
    """Front matter `execute:` options, to apply to every code block that does not set them."""
    execute = loaded.value.get("execute") or {}
    lines = {key: loaded.line_of("execute", str(key)) for key in execute}
    options = normalise_written(execute, lines, path=path)
    return {k: v for k, v in options.items() if k not in PER_BLOCK_OPTIONS}
