"""The project document: plain Python (no Qt widgets), observed by the views, edited by undo commands."""

from studio.document.analysis import ModelAnalysis
from studio.document.build import ModelBuildError, build_model, chain_order
from studio.document.catalog import CatalogError, LayerType, layer_type, layer_types, normalize_config
from studio.document.graph import Graph, GraphError, LayerNode, Wire
from studio.document.inference import Analysis, NodeReport, ShapeInference, format_shape
from studio.document.project import FORMAT_VERSION, Project, ProjectFileError, load_project, save_project

__all__ = [
    "FORMAT_VERSION", "Analysis", "CatalogError", "Graph", "GraphError", "LayerNode", "LayerType", "ModelAnalysis",
    "ModelBuildError", "NodeReport", "Project", "ProjectFileError", "ShapeInference", "Wire", "build_model",
    "chain_order", "format_shape", "layer_type", "layer_types", "load_project", "new_node", "normalize_config",
    "save_project",
]


def new_node(graph: Graph, type_name: str, position: tuple[float, float] = (0.0, 0.0),
             config: dict | None = None, name: str | None = None) -> LayerNode:
    """A node of `type_name` with the type's starting config (updated by `config`), a free id and name.
    Not yet added to the graph."""
    from engine.backend import to_snake_case
    ltype = layer_type(type_name)
    full = ltype.default_config()
    if config:
        full = normalize_config(type_name, {**full, **config})
    base = name or ("input" if ltype.is_input else to_snake_case(type_name))
    return LayerNode(graph.new_id(), type_name, graph.unique_name(base), full, position)
