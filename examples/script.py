# %% [markdown]
# # A Python script, rendered
#
# A jupytext "percent" script: `# %%` starts a code cell, `# %% [markdown]` a text
# cell. `noteflow render script.py` runs it as a document, cached cell by cell; the
# script itself still runs with `python script.py`.

# %%
import statistics

data = [3, 1, 4, 1, 5, 9, 2, 6]
mean = statistics.mean(data)
mean

# %% [markdown]
# The median is computed from the same list:

# %%
statistics.median(data)
