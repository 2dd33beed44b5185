"""Which braced fence names are programming languages, as opposed to directives.

A braced fence (```` ```{julia} ````) whose name is a language but has no adapter, or whose
kernel is not installed, is an executable block that is skipped with a reason. A braced
fence whose name is neither a language, an adapter's fence nor a component is a directive
(MyST's `{note}`, `{figure}`, or one noteflow does not know), rendered by `syntax.myst`.
"""

from __future__ import annotations

from .adapters import adapter_for_fence

KNOWN_LANGUAGES: frozenset[str] = frozenset(
    {
        "julia", "ojs", "sql", "stata", "matlab", "octave", "scala", "ruby", "perl",
        "haskell", "rust", "go", "c", "cpp", "c++", "java", "kotlin", "sas", "lua", "php",
        "powershell", "fortran", "scheme", "clojure", "elixir", "erlang", "fsharp", "csharp",
        "typescript", "ts", "node", "zsh", "sh", "shell", "mermaid", "dot", "observable",
        "rcpp", "stan", "sass", "scss", "css", "html", "tikz", "asy",
    }
)  # fmt: skip
"""Language names seen in Quarto, knitr and MyST documents that may lack a kernel here."""


def is_language(name: str) -> bool:
    """True for a fence name that selects code to run (with or without a kernel here)."""
    lowered = name.lower()
    return adapter_for_fence(lowered) is not None or lowered in KNOWN_LANGUAGES
