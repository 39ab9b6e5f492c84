"""Python and notebook configs, read and never executed: module-level assignments of literals.

cloudmesh-ee imports a ``.py`` config (and converts a notebook to one first), so any code in it
runs. Here the file is parsed with :mod:`ast` and only ``name = literal`` statements are taken
(numbers, strings, booleans, None, lists, tuples, dicts, nested); anything else is an error
naming the file, the line and what was found.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from cm_common import InputError, read_text

from ._values import Spelled

_HINT = "a config holds only assignments of literals; convert it to YAML"


def _literal(node: ast.expr, source: str, where: str) -> Any:
    """The value of a literal, numbers and booleans with their spelling in the file."""
    if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float):
        text = ast.get_source_segment(source, node) or repr(node.value)
        return Spelled(node.value, text)
    if isinstance(node, ast.Constant) and isinstance(node.value, str | type(None)):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
        and not isinstance(node.operand.value, bool)
    ):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        return Spelled(sign * node.operand.value, ast.get_source_segment(source, node) or "")
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(item, source, where) for item in node.elts]
    if isinstance(node, ast.Dict):
        result: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str | int)):
                raise _problem(where, key or value, "a dict key that is not a string", _HINT)
            result[str(key.value)] = _literal(value, source, where)
        return result
    raise _problem(where, node, f"{_what(node)}, not a literal", _HINT)


def _what(node: ast.AST) -> str:
    names = {ast.Call: "a call", ast.Name: "a name", ast.BinOp: "an operation", ast.Attribute: "an attribute"}
    return names.get(type(node), f"{type(node).__name__.lower()}")


def _problem(where: str, node: ast.AST, what: str, hint: str) -> InputError:
    return InputError(f"{where}:{getattr(node, 'lineno', 0)}: {what} ({hint})")


def parse_python(source: str, where: str) -> dict[str, Any]:
    """The assignments of a Python text; ``where`` names it in errors (``file.py`` or a notebook cell)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise InputError(f"{where}:{error.lineno}: invalid Python: {error.msg}") from None
    values: dict[str, Any] = {}
    for position, statement in enumerate(tree.body):
        if (
            position == 0
            and isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        ):
            continue  # the module's docstring
        if isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) for t in statement.targets):
            names = [t.id for t in statement.targets if isinstance(t, ast.Name)]
            value = statement.value
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.value is not None
        ):
            names, value = [statement.target.id], statement.value
        else:
            found = type(statement).__name__.lower()
            if isinstance(statement, ast.Expr):
                found = _what(statement.value)
            raise _problem(where, statement, f"{found} is not an assignment of a literal", _HINT)
        literal = _literal(value, source, where)
        for name in names:
            if not name.startswith("__"):  # as cloudmesh-ee: dunder names are not values
                values[name] = literal
    return values


def read_python(path: Path) -> dict[str, Any]:
    """A ``.py`` config's assignments."""
    return parse_python(read_text(path), str(path))


def read_notebook(path: Path) -> dict[str, Any]:
    """An ``.ipynb`` config: its code cells in order, each read as a ``.py`` config."""
    try:
        notebook = json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}: invalid notebook JSON: {error.msg}") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise InputError(f"{path}: not a notebook (no list of cells)")
    values: dict[str, Any] = {}
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        values.update(parse_python(text, f"{path} (cell {number})"))
    return values
