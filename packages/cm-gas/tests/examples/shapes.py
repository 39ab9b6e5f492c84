"""Structured types in and out: dataclasses, pydantic models, enums, literals, optionals, dates."""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel


@dataclass
class Point:
    """A point in the plane."""

    x: float
    y: float


@dataclass
class Box:
    """A box given by two corners."""

    low: Point
    high: Point
    label: str = ""


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Reading(BaseModel):
    """A sensor reading."""

    sensor: str
    value: float
    at: datetime.datetime


def bounding_box(points: list[Point], label: str = "") -> Box:
    """The smallest box holding every point.

    Args:
        points: at least one point
        label: a name for the box
    """
    if not points:
        raise ValueError("give at least one point")
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    return Box(Point(min(xs), min(ys)), Point(max(xs), max(ys)), label)


def paint(color: Color, shade: Literal["light", "dark"] = "light", alpha: float | None = None) -> str:
    """Describe a paint.

    Args:
        color: the base color
        shade: light or dark
        alpha: opacity from 0 to 1, if any
    """
    opacity = "" if alpha is None else f" at {alpha:.2f}"
    return f"{shade} {color.value}{opacity}"


def days_between(start: datetime.date, end: datetime.date) -> int:
    """Days from start to end (negative when end comes first)."""
    return (end - start).days


def stats(values: dict[str, float]) -> tuple[str, float]:
    """The name and value of the largest entry."""
    if not values:
        raise ValueError("no values")
    name = max(values, key=lambda key: values[key])
    return name, values[name]


def latest(readings: list[Reading]) -> Reading | None:
    """The newest reading, or null when there are none."""
    return max(readings, key=lambda reading: reading.at) if readings else None
