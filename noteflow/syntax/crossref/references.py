"""The reference syntax as text: labels, `Reference`, and bracketed groups.

`@fig-x`, `@Fig-x`, `[-@fig-x]` and `[see @fig-x; @fig-y]` are read here into
`Reference`s; the markdown-it rules that find them in prose are in `syntax`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .targets import is_reference_type

LABEL = r"(?P<label>(?P<type>[A-Za-z]+)-\w+(?:[-.:]\w+)*)"
BARE_REFERENCE = re.compile("@" + LABEL)
LABEL_AND_SUFFIX = re.compile(LABEL + r"(?P<suffix>[^@]*)$", re.DOTALL)
MAX_GROUP_LENGTH = 2000
"""Longest `[see @fig-x; …]` group looked for, so a paragraph of `[`s stays linear."""
NOT_BEFORE_REFERENCE = "_@/.:-+=&%~#\\"
"""Characters that make an `@` part of something else (an e-mail address, a URL)."""


@dataclass(frozen=True, slots=True)
class Reference:
    """One `@label` as written, in prose or in a bracketed group."""

    label: str
    """The label looked up (first letter lowered: `@Fig-x` looks up `fig-x`)."""
    upper: bool = False
    """Written `@Fig-x`: the prefix starts with a capital."""
    prefix: str | None = None
    """Text before `@` in a bracketed group (`[Fig @fig-x]`): replaces the kind's prefix."""
    number_only: bool = False
    """Written `[-@fig-x]`."""
    suffix: str = ""
    """Text after the label in a bracketed group."""


def make_reference(label: str, **fields: Any) -> Reference:
    """The `Reference` for a label as written (`Fig-x` looks up `fig-x`, capitalised)."""
    upper = label[:1].isupper()
    return Reference(label=label[:1].lower() + label[1:], upper=upper, **fields)


def is_joined(previous: str) -> bool:
    """True when an `@` after `previous` is part of something else, not a reference."""
    return previous.isalnum() or previous in NOT_BEFORE_REFERENCE


def parse_group(inside: str) -> list[Reference]:
    """The references of `[see @fig-x; @fig-y]`, or [] when it is not all cross-references."""
    references = [_group_item(item) for item in inside.split(";")]
    return [r for r in references if r is not None] if all(references) else []


def _group_item(item: str) -> Reference | None:
    """`see @fig-x`, `-@fig-x`, `@fig-x, p. 3` as a reference; None for anything else."""
    before, at, after = item.partition("@")
    found = LABEL_AND_SUFFIX.match(after)
    if not at or found is None or not is_reference_type(found["type"]):
        return None
    number_only = before.endswith("-")  # `-@fig-x`: the minus touches the `@`
    prefix = before.removesuffix("-")
    if prefix.strip() and not prefix[-1].isspace():  # `x@fig-y` is not a reference
        return None
    return make_reference(
        found["label"],
        prefix=prefix.strip() or None,
        number_only=number_only,
        suffix=found["suffix"].rstrip(),
    )
