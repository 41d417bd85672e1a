"""`ModelAnalysis` follows a graph and keeps its shape inference current after every change."""

from __future__ import annotations

from studio.document.events import Event
from studio.document.graph import Graph
from studio.document.inference import Analysis, ShapeInference


class ModelAnalysis:
    """Re-infers the graph when it changes and emits `updated(analysis)`."""

    def __init__(self, graph: Graph, inference: ShapeInference | None = None) -> None:
        self.updated = Event()
        self._inference = inference or ShapeInference()
        self.graph = graph
        self.current: Analysis = self._inference.infer(graph)
        graph.changed.connect(self.refresh)

    def detach(self) -> None:
        self.graph.changed.disconnect(self.refresh)

    def refresh(self) -> Analysis:
        self.current = self._inference.infer(self.graph)
        self.updated.emit(self.current)
        return self.current
