"""Which braced fence names are programming languages, and what to do when one cannot run.

A braced fence (```` ```{julia} ````) whose name is a language but has no adapter, or whose
kernel is not installed, is an executable block that is skipped with a reason
(`missing_kernel_reason`: the language and how to install a kernel for it). A braced fence
whose name is neither a language, an adapter's fence nor a component is a directive
(MyST's `{note}`, `{figure}`, or one noteflow does not know), rendered by `syntax.myst`.
"""

from __future__ import annotations

from .adapters import adapter_for_fence, find_kernelspec, load_adapters

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

INSTALL_HINTS: dict[str, str] = {
    "julia": 'install IJulia (in Julia: using Pkg; Pkg.add("IJulia"))',
    "ojs": "ojs runs in the browser in Quarto; noteflow does not run ojs",
    "observable": "Observable JS runs in the browser in Quarto; noteflow does not run it",
    "mermaid": "Quarto draws mermaid diagrams in the browser; noteflow does not run them",
    "dot": "Quarto draws Graphviz diagrams itself; noteflow does not run them",
    "sql": "install a SQL kernel (pip install xeus-sql, or jupysql in a Python block)",
    "stata": "install stata_kernel (pip install stata_kernel)",
    "matlab": "install the MATLAB kernel (pip install jupyter-matlab-proxy)",
    "octave": "install octave_kernel (pip install octave_kernel)",
    "scala": "install Almond (https://almond.sh)",
    "ruby": "install IRuby (gem install iruby && iruby register)",
    "perl": "install IPerl (cpanm Devel::IPerl)",
    "haskell": "install IHaskell",
    "rust": "install evcxr_jupyter (cargo install evcxr_jupyter && evcxr_jupyter --install)",
    "go": "install gonb (go install github.com/janpfeifer/gonb@latest && gonb --install)",
    "c": "install xeus-cling (conda install -c conda-forge xeus-cling)",
    "cpp": "install xeus-cling (conda install -c conda-forge xeus-cling)",
    "c++": "install xeus-cling (conda install -c conda-forge xeus-cling)",
    "java": "install IJava",
    "kotlin": "install the Kotlin kernel (pip install kotlin-jupyter-kernel)",
    "sas": "install saspy's sas_kernel (pip install sas_kernel)",
    "lua": "install a Lua kernel (xeus-lua: conda install -c conda-forge xeus-lua)",
    "php": "install jupyter-php",
    "powershell": "install PowerShell_kernel (pip install powershell_kernel)",
    "fortran": "install LFortran's kernel (conda install -c conda-forge lfortran)",
    "scheme": "install Calysto Scheme (pip install calysto_scheme)",
    "clojure": "install Clojupyter",
    "elixir": "install IElixir",
    "erlang": "install ierl",
    "fsharp": "install .NET Interactive (dotnet tool install -g Microsoft.dotnet-interactive)",
    "csharp": "install .NET Interactive (dotnet tool install -g Microsoft.dotnet-interactive)",
    "zsh": "install zsh-jupyter-kernel (pip install zsh_jupyter_kernel), or use {bash}",
    "rcpp": "Rcpp blocks are compiled by knitr; use an {r} block with Rcpp::sourceCpp",
    "stan": "Stan blocks are compiled by knitr; use cmdstanr or cmdstanpy in a block",
}
"""How to get a kernel for a language noteflow has no adapter for (or what to do instead)."""


def is_language(name: str) -> bool:
    """True for a fence name that selects code to run (with or without a kernel here)."""
    lowered = name.lower()
    return adapter_for_fence(lowered) is not None or lowered in KNOWN_LANGUAGES


def install_hint(language: str) -> str:
    """What a user can do to run blocks of `language` here."""
    adapter = load_adapters().get(language) or adapter_for_fence(language)
    if adapter is not None and adapter.install_hint:
        return f"install it with: {adapter.install_hint}"
    return INSTALL_HINTS.get(language.lower(), f"install a Jupyter kernel for {language}")


def missing_kernel_reason(language: str, kernel: str) -> str:
    """Why blocks of `language` meant for kernelspec `kernel` cannot run here, or ''.

    '' when the language has an adapter and the kernelspec is installed. Otherwise
    `no kernel for julia: install IJulia (...)`; a kernelspec the document asks for by name
    (`kernels: {r: mine}`) is named in the reason.
    """
    adapter = load_adapters().get(language)
    if adapter is not None and find_kernelspec(kernel) is not None:
        return ""
    hint = install_hint(language)
    if adapter is not None and kernel not in adapter.kernelspecs:
        return f"no kernel for {language}: kernelspec '{kernel}' is not installed ({hint})"
    return f"no kernel for {language}: {hint}"
