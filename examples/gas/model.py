"""A Gutenberg-Richter forecast model, served as a REST service by cm-gas.

    cm-gas serve model.py --all --background --name quake-model

Each public function is one POST operation; its type hints are the request and response
schema, its docstring the operation's description.
"""

from __future__ import annotations

import math


def rate(magnitude: float, a: float = 4.0, b: float = 1.0) -> float:
    """Expected events a year of this magnitude or more: 10^(a - b*magnitude).

    Args:
        magnitude: the smallest magnitude counted
        a: log10 of the yearly events of magnitude 0 or more
        b: the Gutenberg-Richter b-value
    """
    return 10 ** (a - b * magnitude)


def probability(magnitude: float, years: float = 1.0, a: float = 4.0, b: float = 1.0) -> float:
    """Chance of at least one event of this magnitude or more within ``years`` (a Poisson process).

    Args:
        magnitude: the smallest magnitude counted
        years: the time window
        a: log10 of the yearly events of magnitude 0 or more
        b: the Gutenberg-Richter b-value
    """
    if years < 0:
        raise ValueError(f"years must not be negative, got {years}")
    return 1 - math.exp(-rate(magnitude, a, b) * years)
