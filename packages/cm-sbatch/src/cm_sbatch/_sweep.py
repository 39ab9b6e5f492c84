"""The sweep itself: the cartesian product of value lists, zip groups, rules and repeats, streamed.

Experiments are produced as tuples of value indices, one per key, in a fixed order: the
last key varies fastest. Nothing is materialised; without rules the count is a product.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

from cm_common import InputError

from ._config import SweepSpec
from ._rules import Rule, compile_rule
from ._values import Value, config_value


class Sweep:
    """Keys and their values, iterated as index tuples (see :meth:`indices`)."""

    def __init__(self, spec: SweepSpec) -> None:
        values = dict(spec.values)
        if spec.repeat > 1:
            values["repeat"] = [config_value(number) for number in range(1, spec.repeat + 1)]
        self.keys: list[str] = list(values)
        self.values: list[list[Value]] = [values[key] for key in self.keys]
        position = {key: index for index, key in enumerate(self.keys)}
        for group in spec.zip:
            sizes = {key: len(values[key]) for key in group}
            if len(set(sizes.values())) > 1:
                raise InputError(f"sweep.zip: keys vary together but have different counts: {sizes}")
        # Each dimension is a list of key positions that share one index.
        self.dimensions: list[list[int]] = []
        for key in self.keys:
            group = next((g for g in spec.zip if key in g), [])
            if not group:
                self.dimensions.append([position[key]])
            elif key == group[0]:
                self.dimensions.append([position[k] for k in group])
        names = [key for key in self.keys if key != "repeat"] + (["repeat"] if spec.repeat > 1 else [])
        self.exclude: list[Rule] = [compile_rule(rule, names, "exclude rule") for rule in spec.exclude]
        self.include: list[Rule] = [compile_rule(rule, names, "include rule") for rule in spec.include]
        empty = [key for key, items in zip(self.keys, self.values, strict=True) if not items]
        if empty:
            raise InputError(f"the sweep yields zero experiments: experiment.{empty[0]} has no values")

    @property
    def filtered(self) -> bool:
        """True when include/exclude rules decide which combinations stay."""
        return bool(self.exclude or self.include)

    def combinations(self) -> int:
        """How many combinations before the rules: the product of the dimension sizes."""
        return math.prod(len(self.values[dim[0]]) for dim in self.dimensions)

    def parameters(self, index: tuple[int, ...]) -> dict[str, Value]:
        """The ``{key: value}`` of one index tuple."""
        return {key: values[i] for key, values, i in zip(self.keys, self.values, index, strict=True)}

    def keep(self, parameters: dict[str, Value]) -> bool:
        """Whether the rules keep this combination."""
        if self.include and not any(rule(parameters) for rule in self.include):
            return False
        return not any(rule(parameters) for rule in self.exclude)

    def _raw(self) -> Iterator[tuple[int, ...]]:
        ranges = [range(len(self.values[dim[0]])) for dim in self.dimensions]
        if all(len(dim) == 1 for dim in self.dimensions):
            order = [dim[0] for dim in self.dimensions]
            if order == list(range(len(self.keys))):
                yield from itertools.product(*ranges)
                return
        slots = [0] * len(self.keys)
        for combo in itertools.product(*ranges):
            for dim, i in zip(self.dimensions, combo, strict=True):
                for key in dim:
                    slots[key] = i
            yield tuple(slots)

    def indices(self) -> Iterator[tuple[int, ...]]:
        """Every kept combination as value indices, one per key, in a fixed order."""
        if not self.filtered:
            yield from self._raw()
            return
        for index in self._raw():
            if self.keep(self.parameters(index)):
                yield index

    def __len__(self) -> int:
        if not self.filtered:
            return self.combinations()
        return sum(1 for _ in self.indices())
