"""Parse stage: source text to a `Document` of executable blocks.

Owns the document format of DESIGN §2: front matter, which fences execute (braced info
strings; MyST `{code-cell}`), the three option spellings merged, inline expressions in
prose, block ids. Fence recognition itself is markdown-it's (CommonMark), so longer
fences, tildes and fences inside blockquotes and lists behave as in any Markdown tool.

A braced fence naming a language noteflow has no adapter for (`{julia}`, `{ojs}`) is a
code block of that language (the executor skips it with a reason); a name that is neither
a language nor a component is a directive, which the syntax plugins render.

knitr documents (`.Rmd`, or a document with R blocks) are first read as knitr reads the
text (`knitr_text.py`), then get knitr's semantics, applied once every block is known:
inline `` `r expr` ``, `engine = 'bash'`, noweb `<<label>>` lines, `ref.label` (also
`I(...)` and `knitr::all_labels()`), an empty chunk repeating a label, `opts.label` and
`opts_template$set(...)` templates, `knitr::opts_chunk$set(...)` defaults for the blocks
after it (a default `engine` too), and `eval = c(1, 3)` (the other top-level expressions
are shown commented out, as knitr does).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from markdown_it.token import Token

from .adapters import adapter_for_fence, load_adapters
from .components import registry
from .errors import DocumentError
from .frontmatter import PER_BLOCK_OPTIONS, read_front_matter
from .knitr import (
    NowebCycle,
    engine_language,
    expand_noweb,
    opts_chunk_arguments,
    select_expressions,
)
from .knitr_text import engine_chunks, knitr_tokens
from .languages import is_language
from .markdown import markdown_parser
from .model import Block, BlockId, Document
from .options import (
    ALL_LABELS,
    KNOWN_OPTIONS,
    label_id,
    merge_options,
    normalise,
    parse_fence_info,
    r_call_options,
    r_template_options,
    split_myst_options,
    split_option_lines,
    warn_unknown_options,
)
from .syntax.crossref import number_document
from .syntax.myst.dialect import is_myst_source
from .yamlio import load_yaml

log = logging.getLogger("noteflow")

INLINE_EXPRESSION = re.compile(r"^\{(?P<lang>[A-Za-z][\w+-]*)\}\s+(?P<code>\S.*)$", re.DOTALL)
INLINE_R = re.compile(r"^r\s+(?P<code>\S.*)$", re.DOTALL)
"""knitr's inline code: `` `r nrow(df)` ``."""
MYST_KERNELS = {"ipython3": "python", "ipython": "python", "python3": "python", "python": "python"}
GENERIC_OPTION_PREFIXES = ("#|", "//|", "--|", "%|")
"""Option comment prefixes of a language without an adapter (Quarto's, by comment syntax)."""
KNITR_SUFFIXES = frozenset({".rmd", ".rmarkdown"})
NOT_INHERITED = frozenset({"label", "ref-label", "opts-label"})
"""Options a block does not take from the chunk its `opts.label` names."""
NOT_DEFAULTS = PER_BLOCK_OPTIONS | {"engine", "ref-label", "dependson"}
"""Options `opts_chunk$set` cannot give every later block."""


def parse_document(path: Path, text: str) -> Document:
    path = path.resolve()
    text = text.removeprefix("\ufeff")  # a byte order mark would hide the front matter
    # Plugins resolve images, includes and `{doc}` links from the document's folder.
    env: dict[str, Any] = {"nf_document_path": str(path), "nf_document_dir": str(path.parent)}
    tokens = markdown_parser(myst=is_myst_source(path, text)).parse(text, env)
    front, defaults = read_front_matter(tokens, str(path))
    knitr = _is_knitr(path, tokens, front)
    if knitr:
        text, env, as_knitr_reads = knitr_tokens(path, text, env, tokens)
        if as_knitr_reads is not tokens:
            front, defaults = read_front_matter(as_knitr_reads, str(path))
        tokens = engine_chunks(as_knitr_reads, str(path))
    blocks = list(_blocks(tokens, str(path), inline_r=knitr))
    if knitr:
        blocks = _expand_references(blocks, str(path))
        _mark_fences(tokens, blocks)
    blocks = _with_defaults(blocks, defaults, str(path))
    blocks = [_select_expressions(block, str(path)) for block in blocks]
    blocks += front_matter_blocks(front, len(blocks), inline_r=knitr)
    env["nf_knitr"] = knitr  # the render stage finds `r expr` in the header as parse did
    _check_unique_ids(blocks, str(path))
    number_document(tokens, blocks, env, str(path))
    return Document(
        path=path,
        source=text,
        front_matter=front,
        blocks=tuple(blocks),
        tokens=tuple(tokens),
        env=env,
    )


def _is_knitr(path: Path, tokens: Sequence[Token], front: Mapping[str, Any]) -> bool:
    """knitr reads the document: R Markdown, `engine: knitr`, or a document with R blocks
    (as Quarto picks knitr for a `.qmd` with `{r}` blocks)."""
    if path.suffix.lower() in KNITR_SUFFIXES or front.get("engine") == "knitr":
        return True
    return any(
        token.type == "fence" and re.match(r"\{[rR][\s,}]", token.info.strip()) is not None
        for token in tokens
    )


def _blocks(tokens: list[Token], path: str, *, inline_r: bool) -> Iterator[Block]:
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
                block = _inline_block(child, token, index, counters, path, inline_r=inline_r)
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
    if header.name != "code-cell" and not is_language(header.name):
        log.warning(
            "%s:%d: unknown block `{%s}`: neither a language nor a component; shown as is",
            path,
            line,
            header.name,
        )
        return None
    language, comment_options, code = _language_and_body(
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
    if options.get("engine"):
        language = engine_language(str(options["engine"]))
    block_id, labelled = _block_id(options, language, counters)
    return Block(
        id=block_id,
        index=index,
        kind="code",
        language=language,
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
) -> tuple[str, dict[str, Any], str]:
    """(language, options written in the body, code) of a code fence."""
    if name == "code-cell":
        language = _kernel_language((argument or "python3").lower())
        options, code, _ = split_myst_options(body, path=path, line=line + 1)
    else:
        adapter = adapter_for_fence(name)
        language = adapter.language if adapter else name.lower()
        prefixes = adapter.comment_prefixes if adapter else GENERIC_OPTION_PREFIXES
        options, code, _ = split_option_lines(body, prefixes, path=path, line=line + 1)
    return language, normalise(options, path=path, line=line + 1), code


def _kernel_language(kernel: str) -> str:
    """The language of a MyST `{code-cell}` kernel: `ipython3` and `python3` are Python, an
    adapter's kernelspec (`ir`) its language, else the name without a version (`julia-1.10`
    is `julia`, a language without a kernel here)."""
    named = MYST_KERNELS.get(kernel) or kernel
    adapter = adapter_for_fence(named)
    if adapter is not None:
        return adapter.language
    for candidate in load_adapters().values():
        if kernel in candidate.kernelspecs:
            return candidate.language
    return re.sub(r"-[\d.]+$", "", kernel)


def _block_id(
    options: Mapping[str, Any], language: str, counters: dict[str, int]
) -> tuple[BlockId, bool]:
    counters[language] = counters.get(language, 0) + 1
    label = options.get("label")
    if label:
        return BlockId(label_id(str(label))), True
    return BlockId(f"{language}-{counters[language]}"), False


def _inline_block(
    child: Token,
    parent: Token,
    index: int,
    counters: dict[str, int],
    path: str,
    *,
    inline_r: bool,
) -> Block | None:
    if child.type != "code_inline":
        return None
    match = INLINE_EXPRESSION.match(child.content)
    knitr_match = INLINE_R.match(child.content) if inline_r and match is None else None
    if knitr_match is not None:
        match, name = knitr_match, "r"
    elif match is not None:
        name = match["lang"]
    else:
        return None
    line = (parent.map[0] if parent.map else 0) + 1
    adapter = adapter_for_fence(name)
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


FRONT_MATTER_FIELDS = ("title", "subtitle", "author", "date", "abstract")
"""Front matter fields whose inline expressions run (`date: "`r Sys.Date()`"`)."""
FRONT_MATTER_INLINE = re.compile(r"`(?P<expression>(?:\{[A-Za-z][\w+-]*\}|r)\s+[^`]+)`")
"""An inline expression written in a front matter field's text."""


def front_matter_inline(text: str, *, inline_r: bool) -> list[tuple[re.Match[str], str, str]]:
    """Each inline expression in a field's text, with its language and code."""
    found = []
    for match in FRONT_MATTER_INLINE.finditer(text):
        written = match["expression"]
        braced = INLINE_EXPRESSION.match(written)
        adapter = adapter_for_fence(braced["lang"]) if braced is not None else None
        if braced is not None and adapter is not None:
            found.append((match, adapter.language, braced["code"].strip()))
        elif braced is None and inline_r:
            found.append((match, "r", written[1:].strip()))
    return found


def front_matter_blocks(front: Mapping[str, Any], start: int, *, inline_r: bool) -> list[Block]:
    """Inline blocks for the expressions in the title, author, date …: `front-date-1`.
    They run after the document's blocks (so they may read what those define); the
    render stage puts their values into the page's header."""
    blocks: list[Block] = []
    for field in FRONT_MATTER_FIELDS:
        value = front.get(field)
        if not isinstance(value, str):
            continue
        for number, (_, language, code) in enumerate(
            front_matter_inline(value, inline_r=inline_r), start=1
        ):
            blocks.append(
                Block(
                    id=BlockId(f"front-{field}-{number}"),
                    index=start + len(blocks),
                    kind="inline",
                    language=language,
                    code=code,
                    options={},
                    line=1,
                    token_index=-1,
                )
            )
    return blocks


def _check_unique_ids(blocks: Sequence[Block], path: str) -> None:
    seen: dict[str, Block] = {}
    for block in blocks:
        if block.id in seen:
            first = seen[block.id]
            raise DocumentError(
                f"block id '{block.id}' is used twice (first at line {first.line})"
                + _spelled(block, first),
                path=path,
                line=block.line,
                block=block.id,
                hint="labels must be unique; rename one of them",
            )
        seen[block.id] = block


def _spelled(block: Block, first: Block) -> str:
    """How the labels behind one id were written, when they differ (`my chunk`, `my-chunk`)."""
    labels = [str(b.option("label")) for b in (first, block) if b.labelled]
    if len(labels) == 2 and labels[0] != labels[1]:
        return f": labels '{labels[0]}' and '{labels[1]}' give the same id"
    return ""


# --------------------------------------------------------------------------- knitr


def _expand_references(blocks: list[Block], path: str) -> list[Block]:
    """knitr's references to other blocks' code: `<<label>>` lines, and `ref.label` on a
    block with no code of its own. Labels are looked up as written and as ids."""
    blocks = _inherited_options(_all_labels(_reused_labels(blocks)), path)
    by_label = _blocks_by_label(blocks)

    def code_of(label: str) -> str | None:
        found = by_label.get(label)
        return None if found is None else _own_code(found, by_label)

    for block in blocks:
        for missing in (r for r in block.option("ref-label") or () if r not in by_label):
            log.warning(
                "%s:%d: block '%s': `ref.label` names no block '%s'",
                path,
                block.line,
                block.id,
                missing,
            )
    return [_expanded(block, _own_code(block, by_label), code_of, path) for block in blocks]


def _mark_fences(tokens: Sequence[Token], blocks: Sequence[Block]) -> None:
    """Each fence token names its block's id (a re-used knitr label gets a new one)."""
    for block in blocks:
        if block.kind == "code" and block.token_index >= 0:
            tokens[block.token_index].meta["nf_block"] = block.id


def _reused_labels(blocks: list[Block]) -> list[Block]:
    """knitr's empty chunk that repeats an earlier label (`{r demo, results='hide'}` with no
    code) runs that chunk's code again with its own options: it becomes a `ref.label` block
    with an id of its own (`demo-2`)."""
    seen: dict[str, int] = {}
    result = []
    for block in blocks:
        label = str(block.option("label")) if block.labelled else None
        if block.kind == "code" and label in seen and not block.code.strip():
            seen[label] += 1
            options = {"ref-label": [label], **block.options}
            block_id = BlockId(f"{block.id}-{seen[label]}")
            block = dataclasses.replace(block, id=block_id, options=options)
        elif block.kind == "code" and label is not None:
            seen.setdefault(label, 1)
        result.append(block)
    return result


def _all_labels(blocks: list[Block]) -> list[Block]:
    """`ref.label = knitr::all_labels()` (a code appendix): the code of every other code
    block, in document order."""
    result = []
    for block in blocks:
        references: list[str] = list(block.option("ref-label") or ())
        if len(references) == 1 and ALL_LABELS.fullmatch(references[0]):
            others = [b.id for b in blocks if b.kind == "code" and b.id != block.id]
            block = dataclasses.replace(block, options={**block.options, "ref-label": others})
        result.append(block)
    return result


def _inherited_options(blocks: list[Block], path: str) -> list[Block]:
    """knitr's `opts.label`: `TRUE` (or `ref.label = I(...)`) takes the options of the
    `ref.label` chunks; a name takes the `opts_template$set(name = list(...))` template
    set by an earlier R block, then the options of the chunk of that label. The block's
    own options win."""
    by_label = _blocks_by_label(blocks)
    templates: dict[str, dict[str, Any]] = {}
    result = []
    for block in blocks:
        source = block.option("opts-label")
        if block.kind == "code" and source is not None and source is not False:
            block = _with_borrowed(block, source, templates, by_label, path)
        if block.kind == "code" and block.language == "r" and block.option("eval") is not False:
            for arguments in opts_chunk_arguments(block.code, "opts_template"):
                templates.update(r_template_options(arguments, path=path, line=block.line))
        result.append(block)
    return result


def _with_borrowed(
    block: Block,
    source: Any,
    templates: Mapping[str, Mapping[str, Any]],
    by_label: Mapping[str, Block],
    path: str,
) -> Block:
    labels = block.option("ref-label") or () if source is True else [str(source)]
    inherited: dict[str, Any] = {}
    for label in labels:
        found = by_label.get(label)
        template = templates.get(label) if source is not True else None
        if template is None and found is None:
            _warn_block(block, path, f"`opts.label` names no block or template '{label}'")
        inherited.update(template or {})
        if found is not None:
            inherited.update((k, v) for k, v in found.options.items() if k not in NOT_INHERITED)
    return dataclasses.replace(block, options={**inherited, **block.options})


def _warn_block(block: Block, path: str, message: str) -> None:
    log.warning("%s:%d: block '%s': %s", path, block.line, block.id, message)


def _blocks_by_label(blocks: Sequence[Block]) -> dict[str, Block]:
    """Code blocks by label as written and by id (an unlabelled block by its id, which
    `knitr::all_labels()` names too)."""
    found: dict[str, Block] = {}
    for block in blocks:
        if block.kind == "code" and block.labelled:
            found.setdefault(str(block.option("label")), block)
        if block.kind == "code":
            found.setdefault(block.id, block)
    return found


def _own_code(block: Block, by_label: Mapping[str, Block]) -> str:
    """A block's code, or for an empty block with `ref.label`, the code of those blocks."""
    references = block.option("ref-label") or ()
    if block.code.strip() or not references:
        return block.code
    return "\n".join(by_label[r].code for r in references if r in by_label)


def _expanded(block: Block, code: str, code_of: Callable[[str], str | None], path: str) -> Block:
    """`block` with its `<<label>>` lines replaced by the named blocks' code."""
    if block.kind != "code":
        return block

    def missing(label: str) -> None:
        log.warning(
            "%s:%d: block '%s': `<<%s>>` names no block; the line is kept as written",
            path,
            block.line,
            block.id,
            label,
        )

    seen = (str(block.option("label")),) if block.labelled else ()
    try:
        expanded = expand_noweb(code, code_of, seen=seen, on_missing=missing)
    except NowebCycle as cycle:
        raise DocumentError(
            f"block '{block.id}': `<<label>>` references form a cycle: {cycle}",
            path=path,
            line=block.line,
            block=block.id,
        ) from None
    return block if expanded == block.code else dataclasses.replace(block, code=expanded)


def _with_defaults(blocks: list[Block], defaults: Mapping[str, Any], path: str) -> list[Block]:
    """Front matter defaults, then `knitr::opts_chunk$set(...)` defaults from R blocks that
    run, each for the blocks after it; a block's own options win. A default `engine`
    changes the language of the `{r}` blocks after it that name no engine of their own
    (knitr's `{python}` fence sets its engine itself)."""
    chunk_defaults: dict[str, Any] = {}
    result = []
    for block in blocks:
        if block.kind == "code" and (defaults or chunk_defaults):
            block = _defaulted(block, {**defaults, **chunk_defaults})
        if block.kind == "code" and block.language == "r" and block.option("eval") is not False:
            chunk_defaults.update(_opts_chunk_defaults(block, path))
        result.append(block)
    return result


def _defaulted(block: Block, defaults: Mapping[str, Any]) -> Block:
    engine = defaults.get("engine")
    options = {**{k: v for k, v in defaults.items() if k != "engine"}, **block.options}
    if engine is None or block.language != "r" or "engine" in block.options:
        return dataclasses.replace(block, options=options)
    language = engine_language(str(engine))
    return dataclasses.replace(block, options={**options, "engine": engine}, language=language)


def _opts_chunk_defaults(block: Block, path: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for arguments in opts_chunk_arguments(block.code):
        options = r_call_options(arguments, path=path, line=block.line)
        found.update({k: v for k, v in options.items() if k not in NOT_DEFAULTS - {"engine"}})
    return found


def _select_expressions(block: Block, path: str) -> Block:
    """`eval = c(1, 3)`: the block's code with the other top-level expressions commented
    out (`## `), which is both what runs and what is shown, as in knitr."""
    selection = block.option("eval")
    if not isinstance(selection, list) or block.kind != "code":
        return block
    selected = select_expressions(block.code, selection) if block.language == "r" else None
    if selected is None:
        log.warning(
            "%s:%d: block '%s': cannot pick expressions %s out of its code; the whole block runs",
            path,
            block.line,
            block.id,
            selection,
        )
        return block
    return dataclasses.replace(block, code=selected)
