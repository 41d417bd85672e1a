"""Auto-arrange: a layered top-to-bottom layout (inputs on top, each layer below the ones feeding it)."""

from __future__ import annotations

from studio.document.graph import Graph, Position

NODE_WIDTH, NODE_HEIGHT = 220.0, 84.0
H_GAP, V_GAP = 50.0, 60.0


def layered_positions(graph: Graph) -> dict[str, Position]:
    """New top-left positions for every node; rows by longest path from an input, ordered to keep wires
    short (each node placed under the mean position of its parents)."""
    order = graph.topological_order()
    depth: dict[str, int] = {}
    for nid in order:
        parents = [w.source for w in graph.inputs_of(nid)]
        depth[nid] = 1 + max((depth[p] for p in parents), default=-1)
    rows: dict[int, list[str]] = {}
    for nid in order:
        rows.setdefault(depth[nid], []).append(nid)
    x_of: dict[str, float] = {}
    positions: dict[str, Position] = {}
    for row in sorted(rows):
        ids = rows[row]
        if row > 0:
            def barycenter(nid: str) -> float:
                parents = [x_of[w.source] + w.port * 0.01 for w in graph.inputs_of(nid)]
                return sum(parents) / len(parents) if parents else 0.0
            ids.sort(key=barycenter)
        width = len(ids) * NODE_WIDTH + (len(ids) - 1) * H_GAP
        for i, nid in enumerate(ids):
            x = -width / 2 + i * (NODE_WIDTH + H_GAP)
            x_of[nid] = x
            positions[nid] = (x, row * (NODE_HEIGHT + V_GAP))
    return positions
