"""A line model served as a REST service by cm-gas: cm-gas serve model.py --all --background.

Each public function is one POST operation; its type hints are the request and response
schema, its docstring the operation's description.
"""

from __future__ import annotations


def predict(x: float, slope: float, intercept: float) -> float:
    """The model's answer at ``x``: slope*x + intercept.

    Args:
        x: where to evaluate the line
        slope: the fitted slope
        intercept: the fitted intercept
    """
    return slope * x + intercept
