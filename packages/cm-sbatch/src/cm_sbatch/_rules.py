"""Include/exclude rules: a small safe expression language over sweep keys, never ``eval``.

``gpu == "k80" and epoch > 100``, ``lr in (0.1, 0.01)``, ``not (x % 2 == 0)``: comparisons,
``and``/``or``/``not``, ``in``/``not in`` with tuples or lists, ``+ - * / %`` and constants.
A mapping ``{gpu: k80, epoch: 200}`` means every key equals its value.

Sweep values are text; a rule reads one as a number only where it compares it with a number
or computes with it (``lr == 0.1`` holds for the text ``0.10``), and as a boolean only where it
compares it with ``True`` or ``False``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Collection, Mapping
from typing import Any

from cm_common import InputError

from ._values import as_bool, as_number

Params = Mapping[str, Any]
Node = Callable[[Params], Any]


def _as(value: Any, other: Any) -> Any:
    """``value`` read as ``other`` is: a number or a boolean where ``other`` is one, else as it is."""
    if not isinstance(value, str) or isinstance(other, str):
        return value
    if isinstance(other, bool):
        flag = as_bool(value)
        return value if flag is None else flag
    if isinstance(other, int | float):
        number = as_number(value)
        return value if number is None else number
    return value


def _pair(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda a, b: fn(_as(a, b), _as(b, a))


def _member(a: Any, b: Any) -> bool:
    if isinstance(b, str):
        return bool(str(a) in b)
    return any(_as(a, item) == _as(item, a) for item in b)


def _numeric(value: Any) -> Any:
    """A text that reads as a number, as that number (for arithmetic)."""
    if isinstance(value, str):
        number = as_number(value)
        return value if number is None else number
    return value


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: _pair(operator.eq),
    ast.NotEq: _pair(operator.ne),
    ast.Lt: _pair(operator.lt),
    ast.LtE: _pair(operator.le),
    ast.Gt: _pair(operator.gt),
    ast.GtE: _pair(operator.ge),
    ast.In: _member,
    ast.NotIn: lambda a, b: not _member(a, b),
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}


class Rule:
    """One compiled rule; calling it with an experiment's parameters says whether it matches."""

    def __init__(self, text: str, keys: Collection[str], kind: str = "rule") -> None:
        self.text = text
        self.kind = kind
        self._keys = keys
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as error:
            raise InputError(f"{kind} {text!r}: not a valid expression ({error.msg})") from None
        self._node = self._compile(tree.body)

    def _fail(self, why: str) -> InputError:
        return InputError(f"{self.kind} {self.text!r}: {why}")

    def _compile(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool | type(None)):
            value = node.value
            return lambda _: value
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Tuple | ast.List):
            items = [self._compile(item) for item in node.elts]
            return lambda p: tuple(item(p) for item in items)
        if isinstance(node, ast.BoolOp):
            parts = [self._compile(value) for value in node.values]
            if isinstance(node.op, ast.And):
                return lambda p: all(part(p) for part in parts)
            return lambda p: any(part(p) for part in parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
            inner = self._compile(node.operand)
            if isinstance(node.op, ast.Not):
                return lambda p: not inner(p)
            return lambda p: -_numeric(inner(p))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right, fn = self._compile(node.left), self._compile(node.right), _BINARY[type(node.op)]
            return lambda p: fn(_numeric(left(p)), _numeric(right(p)))
        if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
            return self._compare(node)
        raise self._fail(f"{type(node).__name__.lower()} is not allowed here")

    def _name(self, name: str) -> Node:
        if name not in self._keys:
            known = ", ".join(sorted(self._keys)) or "none"
            raise self._fail(f"unknown key {name!r} (sweep keys: {known})")
        return lambda p: p[name]

    def _compare(self, node: ast.Compare) -> Node:
        first = self._compile(node.left)
        steps = [
            (_COMPARE[type(op)], self._compile(right))
            for op, right in zip(node.ops, node.comparators, strict=True)
        ]

        def compare(p: Params) -> bool:
            left = first(p)
            for fn, right_node in steps:
                right = right_node(p)
                if not fn(left, right):
                    return False
                left = right
            return True

        return compare

    def __call__(self, params: Params) -> bool:
        try:
            return bool(self._node(params))
        except (TypeError, ZeroDivisionError) as error:
            raise self._fail(f"cannot be evaluated for {dict(params)}: {error}") from None


def compile_rule(rule: Any, keys: Collection[str], kind: str) -> Rule:
    """A Rule from an expression string or a ``{key: value}`` mapping (all must be equal)."""
    if isinstance(rule, Mapping):
        if not rule:
            raise InputError(f"{kind}: an empty mapping matches nothing")
        text = " and ".join(f"{key} == {value!r}" for key, value in rule.items())
        for key in rule:
            if not str(key).isidentifier():
                raise InputError(f"{kind} {dict(rule)}: unknown key {key!r}")
        return Rule(text, keys, kind)
    if isinstance(rule, str) and rule.strip():
        return Rule(rule, keys, kind)
    raise InputError(f"{kind}: expected an expression or a mapping, got {rule!r}")
