"""The numbering state: counters per kind, section numbers, open (parent) targets.

`Numbering` turns a label found in the document into a `Target` with its number (or a
sub-target's letter) and stores it in the document's `Xrefs`; the token walk that feeds
it is in `numbering`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from .settings import Settings
from .targets import KIND_ALIASES, UNNUMBERED_KINDS, Target, Xrefs, format_number, sub_target

log = logging.getLogger("noteflow")


@dataclass(slots=True)
class Open:
    """A target whose tokens are still open (a figure div): later targets of its kind are
    its sub-targets."""

    depth: int
    """How many tokens were open outside it (counted by nesting, not by `token.level`)."""
    target: Target
    children: int = 0


@dataclass(slots=True)
class Numbering:
    """Walks the tokens once, numbering each kind of target in document order."""

    settings: Settings
    path: str
    xrefs: Xrefs
    counters: dict[str, int] = field(default_factory=dict)
    sections: list[int] = field(default_factory=list)
    base_level: int = 1
    open_targets: list[Open] = field(default_factory=list)
    depth: int = 0
    """Tokens open at the current token (the sum of `nesting` so far)."""
    chapter: int = 0

    def add(self, label: str, kind: str, anchor: str, title: str, line: int) -> Target | None:
        kind = KIND_ALIASES.get(kind, kind)
        parent = self._parent_for(kind)
        if parent is not None:
            parent.children += 1
            sub = format_number(parent.children, self.xrefs.subref_scheme)
            return self.store(sub_target(parent.target, label, sub, title, anchor), line)
        number = "" if kind in UNNUMBERED_KINDS else self._next(kind)
        return self.store(self.make_target(label, kind, number, anchor, title), line)

    def _parent_for(self, kind: str) -> Open | None:
        if self.open_targets and self.open_targets[-1].target.kind == kind:
            return self.open_targets[-1]
        return None

    def _next(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        number = format_number(self.counters[kind], self.settings.scheme(kind))
        return f"{self.chapter}.{number}" if self.chapter else number

    def start_chapter(self) -> None:
        """`crossref: chapters: true`: each `#` heading restarts numbering as `<chapter>.n`."""
        if self.settings.crossref.get("chapters") is True:
            self.chapter += 1
            self.counters.clear()

    def make_target(self, label: str, kind: str, number: str, anchor: str, title: str) -> Target:
        return Target(
            label=label,
            kind=kind,
            number=number,
            anchor=anchor,
            title=title,
            prefix=self.settings.prefix(kind),
            caption_title=self.settings.caption_title(kind),
            title_delim=str(self.settings.crossref.get("title-delim", ":")),
        )

    def store(self, target: Target, line: int) -> Target | None:
        if target.label in self.xrefs.targets:
            log.warning(
                "%s:%d: the label '%s' is used twice; references go to the first",
                self.path,
                line,
                target.label,
            )
            return None
        self.xrefs.targets[target.label] = target
        return target

    def add_subtargets(self, parent: Target, subcaps: Any) -> None:
        if subcaps is True:
            self.xrefs.open_subrefs[parent.label] = parent
            return
        if not isinstance(subcaps, list):
            return
        for index, subcap in enumerate(subcaps, start=1):
            label = f"{parent.label}-{index}"
            sub = format_number(index, self.xrefs.subref_scheme)
            self.xrefs.targets.setdefault(label, sub_target(parent, label, sub, str(subcap)))

    def section_number(self, level: int) -> str:
        depth = level - self.base_level + 1
        if depth < 1:
            return ""
        del self.sections[depth:]
        self.sections.extend([0] * (depth - len(self.sections)))
        self.sections[depth - 1] += 1
        if depth > self.settings.number_depth:
            return ""
        return ".".join(str(n) for n in self.sections)
