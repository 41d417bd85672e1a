"""`model.summary()`: the table Keras 3 prints (layer, output shape, parameters, connections)."""

from __future__ import annotations

import shutil
import textwrap


def _format_shape(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_format_shape(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"


def _table(headers: list[str], rows: list[list[str]], widths: list[int], right: set[int]) -> list[str]:
    def line(left, mid, rightc, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + rightc

    def cells(values, bar):
        wrapped = [textwrap.wrap(v, w) or [""] for v, w in zip(values, widths)]
        height = max(len(w) for w in wrapped)
        out = []
        for i in range(height):
            parts = []
            for j, (w, lines) in enumerate(zip(widths, wrapped)):
                text = lines[i] if i < len(lines) else ""
                parts.append(" " + (text.rjust(w) if j in right else text.ljust(w)) + " ")
            out.append(bar + bar.join(parts) + bar)
        return out

    lines = [line("┏", "┳", "┓", "━"), *cells(headers, "┃"), line("┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        if i:
            lines.append(line("├", "┼", "┤", "─"))
        lines.extend(cells(row, "│"))
    lines.append(line("└", "┴", "┘", "─"))
    return lines


def print_summary(model, line_length: int | None = None, positions=None, print_fn=None,
                  show_trainable: bool = False) -> None:
    print_fn = print_fn or print
    shapes = model.layer_output_shapes() if model.built else {}
    connected = hasattr(model, "parent_layers")
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else [])
    rows = []
    for layer in model.layers:
        shape = shapes.get(layer.name)
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [f"{layer.name} ({type(layer).__name__})", _format_shape(shape), params]
        if connected:
            parents = model.parent_layers(layer)
            row.append(", ".join(f"{p}[0][0]" for p in parents) or "-")
        rows.append(row)
    total_width = line_length or min(shutil.get_terminal_size((98, 20)).columns, 98 if connected else 80)
    fractions = [0.26, 0.22, 0.14, 0.38] if connected else [0.42, 0.32, 0.26]
    widths = [max(int(total_width * f) - 3, 8) for f in fractions]
    print_fn(f'Model: "{model.name}"')
    for text in _table(headers, rows, widths, right={2}):
        print_fn(text)
    trainable = sum(w.size for w in model.trainable_weights)
    non_trainable = sum(w.size for w in model.non_trainable_weights)
    total_bytes = sum(w.size * w.dtype.itemsize for w in model.weights)
    trainable_bytes = sum(w.size * w.dtype.itemsize for w in model.trainable_weights)
    print_fn(f" Total params: {trainable + non_trainable:,} ({_format_bytes(total_bytes)})")
    print_fn(f" Trainable params: {trainable:,} ({_format_bytes(trainable_bytes)})")
    print_fn(f" Non-trainable params: {non_trainable:,} ({_format_bytes(total_bytes - trainable_bytes)})")
