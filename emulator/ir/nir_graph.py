"""Reading NIR files and flattening nested NIR graphs into one graph of leaf nodes.

A NIR graph may contain NIRGraph nodes (subgraphs) with their own Input and
Output nodes. ``flatten`` inlines them: an inner node ``x`` of subgraph ``G``
becomes ``G.x``; an edge to ``G`` goes to G's (single) Input node, an edge from
``G`` leaves from its (single) Output node, and edges may also name inner
nodes directly (``G.x``). The inner Input/Output nodes are then removed by
joining their predecessors to their successors. The top-level Input and Output
nodes stay: they are the graph's interface.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import NeuroemuError


class GraphError(NeuroemuError):
    """A graph (NIR or ONNX) that cannot be imported: names the node and the reason."""


@dataclass(frozen=True)
class FlatGraph:
    """Leaf nodes (no subgraphs) and the edges between them, by name."""
    nodes: dict                          #: name -> nir node
    edges: tuple[tuple[str, str], ...]
    inputs: tuple[str, ...]              #: names of the top-level Input nodes
    outputs: tuple[str, ...]             #: names of the top-level Output nodes

    def preds(self, name: str) -> list[str]:
        return [a for a, b in self.edges if b == name]

    def succs(self, name: str) -> list[str]:
        return [b for a, b in self.edges if a == name]

    def kind(self, name: str) -> str:
        return type(self.nodes[name]).__name__


def read_nir(path: str | Path):
    """``nir.read`` with a GraphError naming the file instead of a library traceback.

    Type checking is tried first; graphs that only load without it (e.g. the
    NIR paper's Rockpool export) are read with ``type_check=False``, since the
    importer infers every shape itself.
    """
    try:
        import nir
    except ImportError:    # pragma: no cover - the nir extra is not installed
        raise GraphError("reading .nir files needs the 'nir' package: pip install 'neuroemu[nir]'") from None
    path = Path(path)
    if not path.is_file():
        raise GraphError(f"{path}: no such file")
    errors = []
    for check in (True, False):
        try:
            return nir.read(str(path), type_check=check)
        except Exception as exc:  # noqa: BLE001 - nir raises anything from h5py, KeyError to AssertionError
            errors.append(f"{type(exc).__name__}: {exc}")
    raise GraphError(f"{path}: not a readable NIR graph ({errors[-1]})")


def flatten(graph) -> FlatGraph:
    """Inline every nested NIRGraph of ``graph``; see the module docstring."""
    nodes, edges, passthrough = {}, [], set()
    _inline(graph, "", nodes, edges, passthrough, top=True)
    for name in sorted(passthrough):
        ins = [a for a, b in edges if b == name]
        outs = [b for a, b in edges if a == name]
        edges = [e for e in edges if name not in e] + [(a, b) for a in ins for b in outs]
        del nodes[name]
    inputs = tuple(n for n, v in nodes.items() if type(v).__name__ == "Input")
    outputs = tuple(n for n, v in nodes.items() if type(v).__name__ == "Output")
    seen, unique = set(), []
    for e in edges:
        if e not in seen:
            seen.add(e)
            unique.append(e)
    return FlatGraph(nodes, tuple(unique), inputs, outputs)


def _inline(graph, prefix: str, nodes: dict, edges: list, passthrough: set, top: bool) -> None:
    subgraphs = {}
    for name, node in graph.nodes.items():
        full = prefix + name
        if type(node).__name__ == "NIRGraph":
            subgraphs[name] = node
            _inline(node, full + ".", nodes, edges, passthrough, top=False)
        else:
            nodes[full] = node
            if not top and type(node).__name__ in ("Input", "Output"):
                passthrough.add(full)
    for src, dst in graph.edges:
        edges.append((_endpoint(graph, prefix, src, subgraphs, "Output"),
                      _endpoint(graph, prefix, dst, subgraphs, "Input")))


def _endpoint(graph, prefix: str, name: str, subgraphs: dict, port_kind: str) -> str:
    """Full name of an edge end: a node, a subgraph (its single Input/Output), or ``sub.inner``."""
    if name in graph.nodes and name not in subgraphs:
        return prefix + name
    if name in subgraphs:
        sub = subgraphs[name]
        ports = [n for n, v in sub.nodes.items() if type(v).__name__ == port_kind]
        if len(ports) != 1:
            raise GraphError(f"edge to subgraph '{prefix + name}': it has {len(ports)} {port_kind} nodes "
                             f"({', '.join(ports) or 'none'}); name one as '{name}.<node>'")
        return _endpoint(sub, prefix + name + ".", ports[0], {}, port_kind)
    head, _, rest = name.partition(".")
    if rest and head in subgraphs:
        sub = subgraphs[head]
        inner = {n: v for n, v in sub.nodes.items() if type(v).__name__ == "NIRGraph"}
        return _endpoint(sub, prefix + head + ".", rest, inner, port_kind)
    raise GraphError(f"edge endpoint '{prefix + name}' is not a node of the graph "
                     f"(nodes: {', '.join(prefix + n for n in graph.nodes)})")


def evaluation_order(g: FlatGraph) -> tuple[list[str], set]:
    """(nodes in evaluation order, set of back edges) by depth-first search from the inputs.

    An edge to a node still on the search stack closes a cycle: it is a back (recurrent) edge.
    """
    order, state, back = [], {}, set()
    succ = {n: [] for n in g.nodes}
    for a, b in g.edges:
        succ[a].append(b)

    def visit(n):
        state[n] = 1
        for m in succ[n]:
            if state.get(m) == 1:
                back.add((n, m))
            elif m not in state:
                visit(m)
        state[n] = 2
        order.append(n)

    for n in (*g.inputs, *g.nodes):
        if n not in state:
            visit(n)
    return order[::-1], back


__all__ = ["GraphError", "FlatGraph", "read_nir", "flatten", "evaluation_order"]
