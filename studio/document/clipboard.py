"""Copy and paste of a selection: nodes with the wires between them, as plain JSON-able data."""

from __future__ import annotations

import copy

from studio.document.graph import Graph, GraphError, LayerNode, Wire

MIME_TYPE = "application/x-layerstudio-nodes"


def copy_selection(graph: Graph, node_ids: list[str]) -> dict:
    """The selected nodes (in graph order) and the wires that join two of them."""
    chosen = [nid for nid in graph.nodes if nid in set(node_ids)]
    return {
        "nodes": [{"id": nid, "type": graph.nodes[nid].type, "name": graph.nodes[nid].name,
                   "config": copy.deepcopy(graph.nodes[nid].config),
                   "position": list(graph.nodes[nid].position)} for nid in chosen],
        "wires": [{"source": w.source, "target": w.target, "port": w.port} for w in graph.wires
                  if w.source in chosen and w.target in chosen],
    }


def paste_plan(graph: Graph, data: dict, offset: tuple[float, float] = (40.0, 40.0)
               ) -> tuple[list[LayerNode], list[Wire]]:
    """New nodes (fresh ids and names, shifted by `offset`) and wires for pasting `data` into `graph`."""
    try:
        items, wire_items = data["nodes"], data["wires"]
        new_ids, taken_names, nodes = {}, [], []
        for item in items:
            nid = graph.new_id()  # ids come from a counter: never repeated
            new_ids[item["id"]] = nid
            name = graph.unique_name(item["name"], taken_names)
            taken_names.append(name)
            x, y = item["position"]
            nodes.append(LayerNode(nid, item["type"], name, copy.deepcopy(item["config"]),
                                   (float(x) + offset[0], float(y) + offset[1])))
        wires = [Wire(new_ids[w["source"]], new_ids[w["target"]], int(w["port"])) for w in wire_items]
    except (KeyError, TypeError, ValueError) as err:
        raise GraphError(f"The clipboard does not hold LayerStudio layers ({err}).") from None
    return nodes, wires
