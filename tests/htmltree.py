"""The rendered page as a small tree, for tests that check what a reader sees.

Tests parse a page with `parse_html` and look at its elements as a reader would: their
tags, classes, attributes and text. The tree is built with the standard library's
html.parser, so tests depend on no HTML library. Searches run in document order over all
descendants; `find` and `by_id` fail the test with a message saying what was missing, and
`find_all` returns a list (empty when nothing matches), so "there is no such element" is
written `assert not page.find_all(...)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements that never have content or an end tag, so they are never open.
VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)


@dataclass
class Element:
    """One element of the page: its tag, its attributes (a valueless one maps to ""), and
    its children, elements and text in page order."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All the text inside the element, as written (whitespace kept)."""
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def classes(self) -> list[str]:
        """The class attribute's classes, in order."""
        return self.attrs.get("class", "").split()

    @property
    def elements(self) -> list[Element]:
        """The child elements (not the text between them), in order."""
        return [c for c in self.children if isinstance(c, Element)]

    def descendants(self) -> Iterator[Element]:
        """Every element inside this one, in document order."""
        for child in self.elements:
            yield child
            yield from child.descendants()

    def find_all(
        self, tag: str | None = None, cls: str | None = None, id: str | None = None
    ) -> list[Element]:
        """The elements inside this one with that tag, class and id (None: any)."""
        return [
            e
            for e in self.descendants()
            if (tag is None or e.tag == tag)
            and (cls is None or cls in e.classes)
            and (id is None or e.attrs.get("id") == id)
        ]

    def find(
        self, tag: str | None = None, cls: str | None = None, id: str | None = None
    ) -> Element:
        """The first element `find_all` gives; fails the test when there is none."""
        found = self.find_all(tag, cls, id)
        assert found, f"no <{tag or '*'}> with class={cls!r} id={id!r} in <{self.tag}>"
        return found[0]

    def by_id(self, ident: str) -> Element:
        """The one element with that id; fails the test when there is none or several."""
        found = self.find_all(id=ident)
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]


def words(element: Element) -> str:
    """The element's text with its whitespace (no-break spaces too) made single spaces."""
    return " ".join(element.text.split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root")
        self.open_elements = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.open_elements[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.open_elements.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.open_elements[-1].children.append(element)

    def handle_endtag(self, tag: str) -> None:
        """Close the innermost open element with that tag (and any left open inside it);
        a stray end tag is ignored."""
        for depth in range(len(self.open_elements) - 1, 0, -1):
            if self.open_elements[depth].tag == tag:
                del self.open_elements[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.open_elements[-1].children.append(data)


def parse_html(html: str) -> Element:
    """The page (or a fragment of one) as a tree under a root element tagged "#root"."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root
