"""A calculator: the first thing anyone serves."""

from __future__ import annotations


def add(x: float, y: float = 0.0) -> float:
    """Add two numbers.

    Args:
        x: the first number
        y: the second number
    """
    return x + y


def divide(x: float, y: float) -> float:
    """Divide x by y.

    Parameters
    ----------
    x : float
        the dividend
    y : float
        the divisor, not zero
    """
    if y == 0:
        raise ValueError("y must not be zero")
    return x / y


async def total(values: list[int]) -> int:
    """Sum a list of integers (awaited: an ``async def``).

    :param values: the numbers to sum
    """
    return sum(values)


def noop(x: int) -> None:
    """Do nothing (answers 204)."""
