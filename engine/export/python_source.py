"""Writing tidy Python source: expressions laid out as black lays them out, literals, import blocks ordered
as isort orders them, unique variable names, and user code blocks split from their imports.

Nothing here knows about models; `engine.export.python_script` builds its script from these pieces.
"""

from __future__ import annotations

import ast
import builtins
import json
import keyword
import math
import re
import sys
import textwrap
from dataclasses import dataclass, field

import numpy as np

WIDTH = 88  # the generated lines stay within black's/ruff's default line length
INDENT = 4


class PythonExportError(ValueError):
    """A model, layer, value or code block that cannot be written as Python source (nothing is written)."""


# -- expressions laid out within WIDTH ------------------------------------------------------------------------


@dataclass
class Call:
    """`func(items)`; each item is (prefix, expression), the prefix "" or "keyword="."""

    func: object  # a string or another expression (a layer object called on tensors)
    items: list = field(default_factory=list)


@dataclass
class Seq:
    """A list, tuple or dict display; dict items have the prefix `"key": `."""

    opener: str
    closer: str
    items: list = field(default_factory=list)


def flat(expr) -> str:
    """`expr` on one line."""
    if isinstance(expr, str):
        return expr
    inner = ", ".join(prefix + flat(e) for prefix, e in expr.items)
    if isinstance(expr, Call):
        return f"{flat(expr.func)}({inner})"
    if expr.opener == "(" and len(expr.items) == 1:
        inner += ","
    return f"{expr.opener}{inner}{expr.closer}"


def layout(expr, indent: int, used: int, tail: int = 0) -> str:
    """`expr` starting at column `used` of a line indented by `indent`, followed by `tail` characters: one
    line when it fits, otherwise one item per line (black's "magic trailing comma" style)."""
    text = flat(expr)
    if isinstance(expr, str) or used + len(text) + tail <= WIDTH:
        return text
    if isinstance(expr, Call):
        head = layout(expr.func, indent, used, 1)
        last = len(head.rsplit("\n", 1)[-1]) + (used if "\n" not in head else 0)
        args = ", ".join(prefix + flat(e) for prefix, e in expr.items)
        if last + len(args) + 2 + tail <= WIDTH:
            return f"{head}({args})"
        return head + _items_block("(", ")", expr.items, indent)
    return _items_block(expr.opener, expr.closer, expr.items, indent)


def _items_block(opener: str, closer: str, items: list, indent: int) -> str:
    inner = indent + INDENT
    lines = [opener]
    for prefix, e in items:
        lines.append(" " * inner + prefix + layout(e, inner, inner + len(prefix), 1) + ",")
    lines.append(" " * indent + closer)
    return "\n".join(lines)


def statement(target: str, expr) -> str:
    """`target = expr` (or `expr` alone if `target` is empty) at the top level of a module."""
    prefix = f"{target} = " if target else ""
    return prefix + layout(expr, 0, len(prefix))


# -- Python literals ---------------------------------------------------------------------------------------


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return f'float("{value}")'
    text = repr(value)
    single = np.float32(value)
    if float(single) == value:  # a float32 value (a learning rate...): its short form casts back to it
        short = repr(float(str(single)))
        if len(short) < len(text):
            return short
    return text


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def literal(value, where: str, special=None):
    """A Python expression for `value` (None, bools, numbers, strings, NumPy values, tuples, lists, dicts).

    `special(v)`, if given, is asked first about `value` and every value inside it, and may return that
    value's expression (a constructor call, a variable...) instead of None. `where` names `value` in errors.
    """
    if special is not None and (expr := special(value)) is not None:
        return expr
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, tuple):
        return Seq("(", ")", [("", literal(v, where, special)) for v in value])
    if isinstance(value, list):
        return Seq("[", "]", [("", literal(v, where, special)) for v in value])
    if isinstance(value, dict):
        return Seq("{", "}", [(f"{_string(str(k))}: ", literal(v, where, special)) for k, v in value.items()])
    raise PythonExportError(f"{where}: cannot write the value {value!r:.80} as Python")


# -- names ---------------------------------------------------------------------------------------------------


class Names:
    """Unique Python identifiers made from hints (layer names...): never a builtin, a keyword, a reserved
    name or one given before."""

    def __init__(self, reserved=()):
        self.taken = set(reserved) | set(dir(builtins)) | set(keyword.kwlist)

    def new(self, hint: str) -> str:
        base = re.sub(r"\W+", "_", str(hint)).strip("_").lower() or "x"
        if base[0].isdigit():
            base = f"x_{base}"
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        return name


# -- code blocks and imports ---------------------------------------------------------------------------------


@dataclass
class Block:
    """A user code block without its top-level imports (which join the script's import block), and the
    names it uses or defines (not to be reused)."""

    code: str
    imports: list[ast.stmt]
    names: set[str]


def parse_block(code: str | None, label: str) -> Block | None:
    """`code` split from its top-level imports (None for no code); `label` names it in errors."""
    if code is None or not code.strip():
        return None
    code = textwrap.dedent(code).strip("\n")
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        raise PythonExportError(f"{label} is not valid Python: line {err.lineno}: {err.msg}") from None
    lines = code.splitlines()
    imports = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
    drop = {i for s in imports for i in range(s.lineno - 1, s.end_lineno)}
    kept = "\n".join(line for i, line in enumerate(lines) if i not in drop).strip("\n")
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    names |= {(a.asname or a.name).split(".")[0] for s in imports for a in s.names}
    return Block(re.sub(r"\n{4,}", "\n\n\n", kept), imports, names)


def import_block(statements: list[ast.stmt]) -> str:
    """Import statements merged and ordered as isort/ruff order them (future, stdlib, third party; plain
    `import x` before `from x import y` within a section)."""
    plain: set[tuple[str, str | None]] = set()
    members: dict[str, set[tuple[str, str | None]]] = {}
    for s in statements:
        if isinstance(s, ast.Import):
            plain.update((a.name, a.asname) for a in s.names)
        else:
            module = "." * s.level + (s.module or "")
            members.setdefault(module, set()).update((a.name, a.asname) for a in s.names)

    def section(module: str) -> int:
        top = module.lstrip(".").split(".")[0]
        if top == "__future__":
            return 0
        if module.startswith("."):
            return 3
        return 1 if top in sys.stdlib_module_names else 2

    def alias(name: str, asname: str | None) -> str:
        return name if asname is None or asname == name else f"{name} as {asname}"

    def member_key(item):
        name = item[0]
        kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
        return kind, name.lower(), item[1] or ""

    sections: dict[int, list[str]] = {}
    for name, asname in sorted(plain, key=lambda a: (a[0].lower(), a[1] or "")):
        sections.setdefault(section(name), []).append(f"import {alias(name, asname)}")
    for module in sorted(members, key=str.lower):
        names = [alias(*m) for m in sorted(members[module], key=member_key)]
        line = f"from {module} import {', '.join(names)}"
        if len(line) > WIDTH:
            line = f"from {module} import (\n" + "".join(f"{' ' * INDENT}{n},\n" for n in names) + ")"
        sections.setdefault(section(module), []).append(line)
    return "\n\n".join("\n".join(sections[k]) for k in sorted(sections))
