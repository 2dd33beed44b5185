"""`noteflow graph`: the dataflow as Mermaid or Graphviz DOT text.

Edges carry the names a block reads from its upstream; order-only edges are dashed.
"""

from __future__ import annotations

from collections import defaultdict

from .model import BlockId, Graph


def _edges(graph: Graph) -> list[tuple[BlockId, BlockId, str, bool]]:
    """(upstream, downstream, label, order_only) for every edge, in execution order."""
    edges = []
    for node in graph.nodes:
        names: dict[BlockId, list[str]] = defaultdict(list)
        for item in node.inputs:
            if item.producer is not None:
                names[item.producer].append(item.name)
        for producer, read in names.items():
            edges.append((producer, node.id, ", ".join(read), False))
        edges += [(up, node.id, "", True) for up in node.after if up not in names]
    return edges


def _params(graph: Graph) -> list[tuple[str, BlockId]]:
    return [(i.name, n.id) for n in graph.nodes for i in n.inputs if i.param]


def to_mermaid(graph: Graph) -> str:
    lines = ["flowchart TD"]
    ids = {n.id: f"n{i}" for i, n in enumerate(graph.nodes)}
    for node in graph.nodes:
        lines.append(f'  {ids[node.id]}["{node.id}"]')
    for name, target in _params(graph):
        lines.append(f'  p_{name}(["param {name}"]) --> {ids[target]}')
    for up, down, label, order_only in _edges(graph):
        arrow = "-.->" if order_only else "-->"
        text = f"|{label}|" if label else ""
        lines.append(f"  {ids[up]} {arrow}{text} {ids[down]}")
    return "\n".join(lines) + "\n"


def to_dot(graph: Graph) -> str:
    lines = ["digraph noteflow {", "  rankdir=TB;", "  node [shape=box, fontname=monospace];"]
    for node in graph.nodes:
        lines.append(f'  "{node.id}";')
    for name, target in _params(graph):
        lines.append(f'  "param {name}" [shape=ellipse]; "param {name}" -> "{target}";')
    for up, down, label, order_only in _edges(graph):
        attrs = [f'label="{label}"'] if label else []
        if order_only:
            attrs.append("style=dashed")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f'  "{up}" -> "{down}"{suffix};')
    lines.append("}")
    return "\n".join(lines) + "\n"
