"""noteflow: literate, reproducible Markdown documents executed in Jupyter kernels.

The pipeline (DESIGN §1), one module per stage: `parse` → `graph` → `plan` → `execute`
→ `render`. `pipeline` runs them in order; `cli` is the only place that prints or exits.
"""

__version__ = "0.1.0"
