"""The check of each option's value, and the canonical value it gives.

Owns `_CHECKS` (option name -> check) and the checks themselves (booleans, knitr's selections
and condition numbers, labels, names, paths, kernels, byte sizes, ...), which raise
`OptionError` with a hint; the path and kernel name tests the front matter shares
(`is_possible_path`, `valid_kernel_name`); and `_show`, a value as a message shows it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from noteflow.errors import OptionError
from noteflow.knitr import r_int_vector
from noteflow.yamlio import plain_data_problem

from .names import _BLOCK_NAME

_KERNEL_NAME = re.compile(r"[A-Za-z0-9._-]+")


_LABEL = re.compile(r"[A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*")


_BYTE_SIZE = re.compile(r"(\d+(?:\.\d*)?)\s*([kmg]i?b|b)?", re.IGNORECASE)


_BYTE_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
}


def is_possible_path(name: str) -> bool:
    """False for a path no file system could hold: a NUL character, a part over 255 bytes,
    over 4096 bytes in all."""
    size = len(name.encode(errors="replace"))
    parts = re.split(r"[/\\]", name)
    short = size <= 4096 and all(len(part.encode(errors="replace")) <= 255 for part in parts)
    return short and "\0" not in name


def valid_kernel_name(name: Any) -> bool:
    """A kernelspec name as Jupyter allows it: ASCII letters, digits, `-`, `_` and `.`."""
    return isinstance(name, str) and _KERNEL_NAME.fullmatch(name) is not None


def _check_bool(key: str, value: Any, *, path: str, line: int) -> bool:
    if not isinstance(value, bool):
        raise OptionError(
            f"option {key!r} must be true or false, got {_show(value)}",
            path=path,
            line=line,
            hint="write true/false (TRUE/FALSE in an R Markdown chunk header)",
        )
    return value


def _check_cache(key: str, value: Any, *, path: str, line: int) -> bool:
    """true/false, or knitr's cache levels 0-3 (0 is off; 1-3 say what knitr caches
    beyond the results, which noteflow always keeps whole)."""
    if _is_int(value) and 0 <= value <= 3:
        return bool(value)
    return _check_bool(key, value, path=path, line=line)


def _check_conditions(key: str, value: Any, *, path: str, line: int) -> bool | list[int]:
    """knitr's `warning` / `message`: true/false; NA (read as null), which keeps them out of
    the page like false; or the numbers of the ones to keep (`2`, `c(1, 3)`, `2:3`, `-1`
    for all but the first), counted from the block's first."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    numbers = r_int_vector(value) if isinstance(value, str) else value
    if _is_int(numbers):
        numbers = [numbers]
    if isinstance(numbers, list) and numbers and all(_is_int(n) for n in numbers):
        return list(numbers)
    raise OptionError(
        f"option {key!r} must be true or false (or knitr's NA or numbers), got {_show(value)}",
        path=path,
        line=line,
        hint=f"e.g. `{key}: false`, or in an R Markdown header `{key} = NA` or `{key} = 2:3`",
    )


def _check_output(key: str, value: Any, *, path: str, line: int) -> bool | str:
    if not isinstance(value, bool) and value != "asis":
        raise OptionError(
            f'option {key!r} must be true, false or "asis", got {_show(value)}',
            path=path,
            line=line,
        )
    return value


def _check_timeout(key: str, value: Any, *, path: str, line: int) -> float | int:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value <= 0:
        raise OptionError(
            f"option {key!r} must be a positive number of seconds, got {_show(value)}",
            path=path,
            line=line,
        )
    return value


def _check_label(key: str, value: Any, *, path: str, line: int) -> str:
    if not isinstance(value, str) or not _LABEL.fullmatch(value.strip()):
        raise OptionError(
            f"option {key!r} must be a name of letters, digits, '-', '_', '.' and spaces, "
            f"got {_show(value)}",
            path=path,
            line=line,
            hint="e.g. `#| label: load-data` (quote a label that is all digits)",
        )
    return value.strip()


def _check_names(key: str, value: Any, *, path: str, line: int) -> list[str]:
    """A list of non-empty strings; a string is split on commas."""
    if isinstance(value, str):
        names = [part.strip() for part in value.split(",") if part.strip()]
        valid = bool(names)
    else:
        names = value
        valid = isinstance(value, list) and all(isinstance(name, str) and name for name in value)
    if not valid:
        raise OptionError(
            f"option {key!r} must be a name or a list of names, got {_show(value)}",
            path=path,
            line=line,
            hint=f"e.g. `#| {key}: [sales, prices]`",
        )
    return list(names)


def _check_classes(key: str, value: Any, *, path: str, line: int) -> list[str]:
    classes = value.split() if isinstance(value, str) else value
    if not isinstance(classes, list) or not all(isinstance(c, str) and c for c in classes):
        raise OptionError(
            f"option {key!r} must be class names, got {_show(value)}",
            path=path,
            line=line,
            hint='e.g. `.wide .small` or `classes="wide small"`',
        )
    return list(classes)


def _check_output_limit(key: str, value: Any, *, path: str, line: int) -> int:
    """A positive number of bytes: `200000`, or text with a unit: `200 kB`, `5 MB`, `1 MiB`."""
    size = _byte_size(value)
    if size is None or size <= 0:
        raise OptionError(
            f"option {key!r} must be a positive number of bytes, got {_show(value)}",
            path=path,
            line=line,
            hint="e.g. `#| output-limit: 10 MB` (kB, MB, GB; KiB, MiB, GiB)",
        )
    return size


def _byte_size(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _BYTE_SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    size = float(match.group(1)) * _BYTE_UNITS[(match.group(2) or "b").lower()]
    return int(size) if math.isfinite(size) else None


def _check_files(key: str, value: Any, *, path: str, line: int) -> list[str]:
    """Names, each a path no file system could refuse to look up."""
    names = _check_names(key, value, path=path, line=line)
    for name in names:
        if not is_possible_path(name):
            raise OptionError(
                f"option {key!r} names an impossible path {_show(name)}",
                path=path,
                line=line,
                hint="a path has no NUL character and no part longer than 255 bytes",
            )
    return names


def _check_kernel(key: str, value: Any, *, path: str, line: int) -> str:
    if not valid_kernel_name(value):
        raise OptionError(
            f"option {key!r} must be a kernelspec name, got {_show(value)}",
            path=path,
            line=line,
            hint="names are letters, digits, '-', '_' and '.': see `jupyter kernelspec list`",
        )
    return str(value)


def _check_tags(key: str, value: Any, *, path: str, line: int) -> list[str]:
    tags = [value] if isinstance(value, str) else value
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise OptionError(
            f"option {key!r} must be a list of tag names, got {_show(value)}",
            path=path,
            line=line,
            hint="e.g. `:tags: [remove-input]`",
        )
    return list(tags)


def _check_selection(key: str, value: Any, *, path: str, line: int) -> bool | str | list[int]:
    """true/false, or knitr's expression numbers: `c(1, 3)` runs the first and third
    top-level expressions, `-2` all but the second (kept as a list of ints); `echo` may also
    be Quarto's `fenced` (the code is shown with its fence and option lines)."""
    if isinstance(value, bool) or (key == "echo" and value == "fenced"):
        return value
    numbers = r_int_vector(value) if isinstance(value, str) else value
    if isinstance(numbers, int) and not isinstance(numbers, bool):
        numbers = [numbers]
    if isinstance(numbers, list) and numbers and all(_is_int(n) for n in numbers):
        return list(numbers)
    raise OptionError(
        f"option {key!r} must be true or false (or knitr's expression numbers), got {_show(value)}",
        path=path,
        line=line,
        hint=f"e.g. `{key}: false`, or in an R Markdown header `{key} = c(1, 3)` or `{key} = -2`",
    )


def _check_fig_dim(key: str, value: Any, *, path: str, line: int) -> list[float | int]:
    if isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value):
        return value
    raise OptionError(
        f"option {key!r} must be two numbers (width, height in inches), got {_show(value)}",
        path=path,
        line=line,
        hint="e.g. `fig.dim = c(6, 4)`",
    )


def _check_dependson(key: str, value: Any, *, path: str, line: int) -> list[str | int]:
    """Block labels, or knitr's block numbers (negative: counted back from this block)."""
    items = value if isinstance(value, list) else [value]
    if items and all(_is_int(item) or (isinstance(item, str) and item) for item in items):
        return [item.strip() if isinstance(item, str) else item for item in items]
    raise OptionError(
        f"option {key!r} must be block labels, got {_show(value)}",
        path=path,
        line=line,
        hint="e.g. `dependson = 'load'` or `dependson = c('load', 'clean')`",
    )


def _check_engine(key: str, value: Any, *, path: str, line: int) -> str:
    if not isinstance(value, str) or not _BLOCK_NAME.fullmatch(value):
        raise OptionError(
            f"option {key!r} must be a language name, got {_show(value)}",
            path=path,
            line=line,
            hint="e.g. `engine = 'bash'`",
        )
    return value.lower()


def _check_with(key: str, value: Any, *, path: str, line: int) -> dict[str, Any]:
    """A component's parameters: a mapping of plain YAML data with text keys."""
    problem = plain_data_problem(value) if isinstance(value, dict) else "is not a mapping"
    if problem:
        raise OptionError(f"option {key!r} {problem}", path=path, line=line)
    return dict(value)


_CHECKS: dict[str, Callable[..., Any]] = {
    "label": _check_label,
    "classes": _check_classes,
    "uses": _check_names,
    "exports": _check_names,
    "files": _check_files,
    "timeout": _check_timeout,
    "cache": _check_cache,
    "eval": _check_selection,
    "echo": _check_selection,
    "warning": _check_conditions,
    "message": _check_conditions,
    "tags": _check_tags,
    "fig-dim": _check_fig_dim,
    "dependson": _check_dependson,
    "engine": _check_engine,
    "ref-label": _check_names,
    "include": _check_bool,
    "error": _check_bool,
    "output": _check_output,
    "kernel": _check_kernel,
    "output-limit": _check_output_limit,
    "with": _check_with,
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value: Any) -> str:
    """A value as a user would write it in YAML/JSON: `true`, `"text"`, `[1, 2]` (shortened)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
