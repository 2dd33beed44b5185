"""Language adapters (the files in `kernels/`) and kernelspec lookup.

An adapter says which fence names select a language, which kernelspecs run it, how its
option comments start, how its dependencies are found, and the code that saves, loads and
deletes named values inside its kernel. Kernelspecs are found on Jupyter's data path
without importing jupyter_client, so a fully cached render stays fast.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import DocumentError

log = logging.getLogger("noteflow")


@dataclass(frozen=True, slots=True)
class Adapter:
    """One language's adapter, read from `kernels/<language>.yaml`."""

    language: str
    display_name: str
    fences: tuple[str, ...]
    kernelspecs: tuple[str, ...]
    install_hint: str
    pygments_lexer: str
    comment_prefixes: tuple[str, ...]
    analysis: str
    """`python` (static analysis) or `chain` (each block follows the previous one)."""
    transport: str
    late_output_grace: float
    templates: Mapping[str, str]
    """setup, save, load, load_json, convert, delete, inline: code in the kernel's language."""
    save_in_request: bool
    """True: `save` is a user expression of the block's own request that returns the specs."""
    env: Mapping[str, str]
    """Environment variables the kernel process gets."""
    literal: str
    """How strings are written: `json` (a JSON string) or `shell` (single-quoted)."""
    native_is_text: bool = False
    """Saved values are plain text (bash): the interchange JSON is made by noteflow."""
    native_is_json: bool = False
    """Saved values are the interchange JSON already (JavaScript)."""
    version_source: str = "language"
    """Where the kernel states its version: `language`, `implementation` or `banner`."""
    warning_hides_stderr: bool = False
    """`warning: false` also drops the block's stderr text (Quarto's Jupyter engine does)."""

    def template(self, which: str, /, **values: str) -> str:
        return self.templates[which].format(**values)

    def begin_code(self, settings: Mapping[str, Any]) -> str:
        """The code run before a block with these `block_settings`; '' when there is none."""
        if not settings or "begin" not in self.templates:
            return ""
        text = json.dumps(dict(settings), sort_keys=True)
        return self.template("begin", settings=self.string(text))

    def string(self, text: str) -> str:
        """`text` as a string literal of this language."""
        if self.literal == "shell":
            return "'" + text.replace("'", "'\\''") + "'"
        return json.dumps(text)

    def strings(self, items: Iterable[str]) -> str:
        """A list literal of strings in this language."""
        separator = self.templates.get("list_separator", ", ")
        joined = separator.join(self.string(i) for i in items)
        return self.templates.get("list", "[{items}]").format(items=joined)


FIGURE_FORMATS = frozenset({"retina", "png", "svg", "jpeg", "jpg", "pdf"})
"""`fig-format` values the adapters know (`retina`: PNG at twice the resolution)."""
FIGURE_OPTIONS = {"fig-width": "fig_width", "fig-height": "fig_height", "fig-dpi": "fig_dpi"}
DEVICE_FORMATS = {"svglite": "svg", "ragg_png": "png", "cairo_png": "png", "cairopng": "png"}
"""knitr `dev` devices that give one of `FIGURE_FORMATS`."""


def block_settings(options: Mapping[str, Any], *, where: str = "") -> dict[str, Any]:
    """What an adapter's `begin` template sets up for a block, from its options.

    `warning`/`message: false`, `fig-width`/`fig-height` (inches), `fig-dpi` (knitr's `dpi`
    too), `fig-format` (knitr's `dev`, or `fig.retina` 1 for plain PNG). Options left at
    their default give no entry, so a block without them runs without a `begin` request.
    A value that cannot be used warns (`where` names the block) and is ignored.
    """
    settings: dict[str, Any] = {}
    for name in ("warning", "message"):
        value = options.get(name)
        if value is False or (isinstance(value, list) and value):  # knitr: which ones to keep
            settings[name] = value
    if "dpi" in options and "fig-dpi" not in options:
        options = {**options, "fig-dpi": options["dpi"]}
    for option, key in FIGURE_OPTIONS.items():
        value = options.get(option)
        if value is None:
            continue
        number = _positive_number(value)
        if number is None:
            log.warning("%s%s must be a positive number, not %r; ignored", where, option, value)
            continue
        settings[key] = number
    figure_format = options.get("fig-format", options.get("dev"))
    if figure_format is None and options.get("fig-retina") in (1, 2):
        figure_format = "png" if options["fig-retina"] == 1 else "retina"  # knitr's fig.retina
    if figure_format is not None:
        lowered = str(figure_format).lower()
        lowered = DEVICE_FORMATS.get(lowered, lowered)
        if lowered in FIGURE_FORMATS:
            settings["fig_format"] = "jpeg" if lowered == "jpg" else lowered
        else:
            known = ", ".join(sorted(FIGURE_FORMATS))
            log.warning("%sfig-format %r is not one of %s; ignored", where, figure_format, known)
    return settings


def _positive_number(value: Any) -> int | float | None:
    """`value` as a positive number (`4`, `3.5`, or the text `"4"` of a Pandoc attribute)."""
    if isinstance(value, str):
        try:
            value = float(value) if "." in value else int(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return None
    return value


@dataclass(frozen=True, slots=True)
class KernelSpec:
    """An installed kernelspec: what the cache key records about the environment."""

    name: str
    argv: tuple[str, ...]
    language: str
    directory: Path | None


def kernels_root() -> Path:
    """`noteflow/kernels` in a wheel install, else the repository's top-level `kernels/`."""
    installed = Path(__file__).parent / "kernels"
    return installed if installed.is_dir() else Path(__file__).parent.parent / "kernels"


@functools.cache
def load_adapters() -> dict[str, Adapter]:
    """Every adapter by language name."""
    adapters = {}
    for path in sorted(kernels_root().glob("*.yaml")):
        adapter = _read_adapter(path)
        adapters[adapter.language] = adapter
    return adapters


TEMPLATE_KEYS = (
    "setup",
    "save",
    "load",
    "load_json",
    "convert",
    "delete",
    "keep_only",
    "inline",
    "list",
    "list_separator",
    "track",
    "reads",
    "begin",
    "end",
    "load_param",
)


def _read_adapter(path: Path) -> Adapter:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    templates = {k: str(data[k]) for k in TEMPLATE_KEYS if k in data}
    return Adapter(
        language=data["language"],
        display_name=data.get("display_name", data["language"]),
        fences=tuple(data["fences"]),
        kernelspecs=tuple(data["kernelspecs"]),
        install_hint=data.get("install_hint", ""),
        pygments_lexer=data.get("pygments_lexer", data["language"]),
        comment_prefixes=tuple(data.get("comment_prefixes", ["#|"])),
        analysis=data.get("analysis", "chain"),
        transport=data.get("transport", "ipc"),
        late_output_grace=float(data.get("late_output_grace", 0)),
        templates=templates,
        save_in_request=bool(data.get("save_in_request", False)),
        env={str(k): str(v) for k, v in (data.get("env") or {}).items()},
        literal=data.get("literal", "json"),
        native_is_text=bool(data.get("native_is_text", False)),
        native_is_json=bool(data.get("native_is_json", False)),
        version_source=data.get("version_source", "language"),
        warning_hides_stderr=bool(data.get("warning_hides_stderr", False)),
    )


@functools.cache
def fence_languages() -> dict[str, str]:
    """Fence name (lowercase) -> language."""
    return {fence.lower(): a.language for a in load_adapters().values() for fence in a.fences}


def adapter_for_fence(name: str) -> Adapter | None:
    language = fence_languages().get(name.lower())
    return load_adapters()[language] if language else None


@functools.cache
def _kernel_dirs() -> tuple[Path, ...]:
    from jupyter_core.paths import jupyter_path

    return tuple(Path(p) for p in jupyter_path("kernels"))


@functools.cache
def find_kernelspec(name: str) -> KernelSpec | None:
    """The kernelspec called `name` on Jupyter's path, or None."""
    for folder in _kernel_dirs():
        spec = _read_kernelspec(folder / name / "kernel.json", name)
        if spec is not None:
            return spec
    if name == "python3":
        return _native_python_spec()
    return None


def _read_kernelspec(spec_file: Path, name: str) -> KernelSpec | None:
    """The spec in `spec_file`; None when it is missing, unreadable or not a spec."""
    try:
        data = json.loads(spec_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    argv = data.get("argv") if isinstance(data, dict) else None
    if not isinstance(argv, list) or not all(isinstance(arg, str) for arg in argv):
        return None
    language = data.get("language")
    return KernelSpec(name, tuple(argv), str(language or ""), spec_file.parent)


def _native_python_spec() -> KernelSpec | None:
    """ipykernel's built-in spec, which jupyter_client offers even when none is installed."""
    try:
        from ipykernel.kernelspec import get_kernel_dict
    except ImportError:
        return None
    data = get_kernel_dict()
    return KernelSpec("python3", tuple(data["argv"]), "python", None)


def resolve_kernelspec(
    adapter: Adapter, requested: str | None, *, path: str, line: int
) -> KernelSpec:
    """The kernelspec a block of this language runs in.

    When none is installed, a spec with no argv named after the kernel wanted (the requested
    one, else the adapter's first): the graph still places the block, and the plan skips it
    with the reason `languages.missing_kernel_reason` gives. `path` and `line` are kept for
    callers that name the block.
    """
    candidates = (requested,) if requested else adapter.kernelspecs
    for name in candidates:
        spec = find_kernelspec(name)
        if spec is not None:
            return spec
    return KernelSpec(candidates[0] if candidates else adapter.language, (), adapter.language, None)


def kernel_installed(name: str) -> bool:
    """True when a kernelspec called `name` is on Jupyter's path."""
    return find_kernelspec(name) is not None


def language_for(name: str, *, path: str, line: int) -> Adapter:
    adapter = adapter_for_fence(name)
    if adapter is None:
        known = ", ".join(sorted(fence_languages()))
        raise DocumentError(
            f"unknown language or component '{name}'", path=path, line=line, hint=f"known: {known}"
        )
    return adapter
