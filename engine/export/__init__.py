"""`engine.export`: models in other formats. `export_onnx(model, path)` writes an ONNX file."""

from engine.export.onnx_export import GraphAdapter, export_onnx, to_onnx_model
from engine.export.python_source import PythonExportError
from engine.export.registry import ONNXExportError
from engine.export.script_text import export_python_script, python_script

__all__ = ["GraphAdapter", "ONNXExportError", "export_onnx", "to_onnx_model"]
__all__ += ["PythonExportError", "export_python_script", "python_script"]
