"""How long shape inference takes on a 200-node graph after an edit (run: python tests/benchmarks/...).

Prints milliseconds for: a cold run (nothing cached: every layer built, the worst case after any edit),
a re-run with nothing changed, and an edit of one layer in the middle (only that layer is rebuilt).
"Instant" means well under the ~100 ms a person notices.
"""

from __future__ import annotations

import statistics
import time

from studio.document import Graph, ShapeInference, Wire, new_node, normalize_config


def residual_graph(blocks: int = 49, width: int = 64) -> Graph:
    """Input -> `blocks` x (Dense relu -> Dense -> Add(skip) -> LayerNormalization) -> Dense head."""
    graph = Graph()
    last = graph.add_node(new_node(graph, "Input", config={"shape": [width]})).id
    for _ in range(blocks):
        a = graph.add_node(new_node(graph, "Dense", config={"units": width, "activation": "relu"})).id
        b = graph.add_node(new_node(graph, "Dense", config={"units": width})).id
        add = graph.add_node(new_node(graph, "Add")).id
        norm_type = "LayerNormalization"
        norm = graph.add_node(new_node(graph, norm_type)).id
        for wire in (Wire(last, a), Wire(a, b), Wire(b, add, 0), Wire(last, add, 1), Wire(add, norm)):
            graph.add_wire(wire)
        last = norm
    for units in (32, 16, 10):
        head = graph.add_node(new_node(graph, "Dense", config={"units": units})).id
        graph.add_wire(Wire(last, head))
        last = head
    return graph


def timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    graph = residual_graph()
    assert len(graph.nodes) == 200, len(graph.nodes)
    ShapeInference().infer(graph)  # warm-up: imports and first-call costs
    cold = timed(lambda: ShapeInference().infer(graph), repeat=5)
    inference = ShapeInference()
    analysis = inference.infer(graph)
    assert analysis.ok, analysis.errors
    unchanged = timed(lambda: inference.infer(graph))
    middle = [n for n in graph.nodes.values() if n.type == "Dense"][40]
    configs = [normalize_config("Dense", {**middle.config, "activation": act}) for act in ("tanh", "relu")]
    state = {"i": 0}

    def edit_one() -> None:
        state["i"] += 1
        graph.set_config(middle.id, configs[state["i"] % 2])
        inference.infer(graph)

    one_edit = timed(edit_one)
    print(f"shape inference, {len(graph.nodes)} nodes, {len(graph.wires)} wires "
          f"({analysis.total_params:,} params):")
    print(f"  cold (every layer built)       {cold:8.1f} ms")
    print(f"  re-run, nothing changed        {unchanged:8.1f} ms")
    print(f"  after editing one layer        {one_edit:8.1f} ms")
    huge = Graph()
    source = huge.add_node(new_node(huge, "Input", config={"shape": [4]})).id
    dense = huge.add_node(new_node(huge, "Dense", config={"units": 10**8})).id
    huge.add_wire(Wire(source, dense))
    huge_ms = timed(lambda: ShapeInference().infer(huge))
    warning = ShapeInference().infer(huge).reports[dense].warning
    print(f"  a Dense of 10^8 units, cold    {huge_ms:8.1f} ms  ({warning}; no weight arrays are made)")


def gui_edit_time() -> float:
    """Milliseconds from pushing a property change to the canvas, summary and totals being redrawn."""
    import os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from studio.app import create_application
    from studio.document import Project
    from studio.document.layout import layered_positions
    from studio.ui.commands import SetConfigCommand
    from studio.ui.main_window import MainWindow

    app = create_application()
    graph = residual_graph()
    graph.move_nodes(layered_positions(graph))
    window = MainWindow(project=Project(graph))
    window.show()
    app.processEvents()
    middle = [n for n in graph.nodes.values() if n.type == "Dense"][40]
    configs = [normalize_config("Dense", {**middle.config, "activation": act}) for act in ("tanh", "relu")]
    state = {"i": 0}

    def edit() -> None:
        state["i"] += 1
        window.undo_stack.push(SetConfigCommand(graph, middle.id, configs[state["i"] % 2]))
        app.processEvents()

    result = timed(edit)
    window.undo_stack.setClean()
    window.close()
    return result


def test_bench_shape_inference():
    main()


if __name__ == "__main__":
    main()
    print(f"  one edit in the window, redrawn {gui_edit_time():7.1f} ms  (offscreen: canvas, summary, totals)")
