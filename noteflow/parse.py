"""Parse stage: source text to a `Document` of executable blocks.

Owns the document format of DESIGN §2: front matter, which fences execute (braced info
strings; MyST `{code-cell}`), the three option spellings merged, inline expressions in
prose, block ids. Fence recognition itself is markdown-it's (CommonMark), so longer
fences, tildes and fences inside blockquotes and lists behave as in any Markdown tool.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from markdown_it.token import Token

from .adapters import Adapter, adapter_for_fence, language_for
from .components import registry
from .errors import DocumentError
from .frontmatter import read_front_matter
from .markdown import markdown_parser
from .model import Block, BlockId, Document
from .options import (
    KNOWN_OPTIONS,
    merge_options,
    normalise,
    parse_fence_info,
    split_myst_options,
    split_option_lines,
    warn_unknown_options,
)
from .syntax.crossref import number_document
from .yamlio import load_yaml

INLINE_EXPRESSION = re.compile(r"^\{(?P<lang>[A-Za-z][\w+-]*)\}\s+(?P<code>\S.*)$", re.DOTALL)
MYST_KERNELS = {"ipython3": "python", "ipython": "python", "python3": "python", "python": "python"}


def parse_document(path: Path, text: str) -> Document:
    path = path.resolve()
    text = text.removeprefix("\ufeff")  # a byte order mark would hide the front matter
    env: dict[str, Any] = {}
    tokens = markdown_parser().parse(text, env)
    front, defaults = read_front_matter(tokens, str(path))
    blocks = tuple(_with_defaults(b, defaults) for b in _blocks(tokens, str(path)))
    _check_unique_ids(blocks, str(path))
    number_document(tokens, blocks, env, str(path))
    return Document(
        path=path, source=text, front_matter=front, blocks=blocks, tokens=tuple(tokens), env=env
    )


def _with_defaults(block: Block, defaults: Mapping[str, Any]) -> Block:
    if block.kind != "code" or not defaults:
        return block
    return dataclasses.replace(block, options={**defaults, **block.options})


def _blocks(tokens: list[Token], path: str) -> Iterator[Block]:
    counters: dict[str, int] = {}
    index = 0
    for token_index, token in enumerate(tokens):
        if token.type == "fence":
            block = _fence_block(token, token_index, index, counters, path)
            if block is not None:
                token.meta["nf_block"] = block.id
                index += 1
                yield block
        elif token.type == "inline":
            for child in token.children or ():
                block = _inline_block(child, token, index, counters, path)
                if block is not None:
                    child.meta["nf_block"] = block.id
                    index += 1
                    yield block


def _fence_block(
    token: Token, token_index: int, index: int, counters: dict[str, int], path: str
) -> Block | None:
    line = (token.map[0] if token.map else 0) + 1
    header = parse_fence_info(token.info, path=path, line=line)
    if header is None:
        return None
    if header.escaped:
        token.meta["nf_verbatim"] = "{" + token.info.strip()[2:-2].strip() + "}"
        return None
    if adapter_for_fence(header.name) is None and header.name in registry():
        return _component_block(
            header.name, header.options, token, token_index, index, counters, path, line
        )
    adapter, comment_options, code = _language_and_body(
        header.name, header.argument, token.content, path, line
    )
    warn_unknown_options(((name, line) for name in header.options), path=path)
    options = merge_options(
        [
            ("fence attributes", normalise(header.options, path=path, line=line)),
            ("option comments", comment_options),
        ],
        path=path,
        line=line,
    )
    block_id, labelled = _block_id(options, adapter.language, counters)
    return Block(
        id=block_id,
        index=index,
        kind="code",
        language=adapter.language,
        code=code,
        options=options,
        line=line,
        token_index=token_index,
        labelled=labelled,
    )


def _component_block(
    name: str,
    attributes: Mapping[str, Any],
    token: Token,
    token_index: int,
    index: int,
    counters: dict[str, int],
    path: str,
    line: int,
) -> Block:
    """A component block: its options are block options, its parameters the rest."""
    what = f"{{{name}}} parameters"
    body = load_yaml(token.content, what=what, path=path, line=line + 1).value
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise DocumentError(
            f"the body of a {{{name}}} block must be YAML key: value lines",
            path=path,
            line=line + 1,
        )
    parameters = {**{k: v for k, v in attributes.items() if k not in KNOWN_OPTIONS}, **body}
    known = {k: v for k, v in attributes.items() if k in KNOWN_OPTIONS}
    options = normalise({**known, "with": parameters}, path=path, line=line)
    block_id, labelled = _block_id(options, name, counters)
    return Block(
        id=block_id,
        index=index,
        kind="component",
        language=name,
        code=token.content,
        options=options,
        line=line,
        token_index=token_index,
        labelled=labelled,
    )


def _language_and_body(
    name: str, argument: str | None, body: str, path: str, line: int
) -> tuple[Adapter, dict[str, Any], str]:
    if name == "code-cell":
        kernel = (argument or "python3").lower()
        adapter = adapter_for_fence(MYST_KERNELS.get(kernel, kernel))
        if adapter is None:
            raise DocumentError(
                f"unknown kernel '{kernel}' in a {{code-cell}}", path=path, line=line
            )
        options, code, _ = split_myst_options(body, path=path, line=line + 1)
    else:
        adapter = language_for(name, path=path, line=line)
        options, code, _ = split_option_lines(
            body, adapter.comment_prefixes, path=path, line=line + 1
        )
    return adapter, normalise(options, path=path, line=line + 1), code


def _block_id(
    options: Mapping[str, Any], language: str, counters: dict[str, int]
) -> tuple[BlockId, bool]:
    counters[language] = counters.get(language, 0) + 1
    label = options.get("label")
    if label:
        return BlockId(str(label)), True
    return BlockId(f"{language}-{counters[language]}"), False


def _inline_block(
    child: Token, parent: Token, index: int, counters: dict[str, int], path: str
) -> Block | None:
    if child.type != "code_inline":
        return None
    match = INLINE_EXPRESSION.match(child.content)
    if match is None:
        return None
    line = (parent.map[0] if parent.map else 0) + 1
    adapter = adapter_for_fence(match["lang"])
    if adapter is None:
        return None
    counters["inline"] = counters.get("inline", 0) + 1
    return Block(
        id=BlockId(f"inline-{counters['inline']}"),
        index=index,
        kind="inline",
        language=adapter.language,
        code=match["code"].strip(),
        options={},
        line=line,
        token_index=-1,
    )


def _check_unique_ids(blocks: tuple[Block, ...], path: str) -> None:
    seen: dict[str, Block] = {}
    for block in blocks:
        if block.id in seen:
            first = seen[block.id]
            raise DocumentError(
                f"block id '{block.id}' is used twice (first at line {first.line})",
                path=path,
                line=block.line,
                block=block.id,
                hint="labels must be unique; rename one of them",
            )
        seen[block.id] = block
