"""A class served as /Model/method: the model loads once, when the service starts."""

from __future__ import annotations

import asyncio
import math
import time

LOADS: list[float] = []


class Model:
    """A tiny logistic model with fixed weights (pure Python, loaded once)."""

    def __init__(self) -> None:
        LOADS.append(time.time())
        self.weights = [0.5, -0.25, 1.0]
        self.bias = 0.1
        self.calls = 0

    def predict(self, features: list[float]) -> float:
        """The probability of the positive class.

        Args:
            features: three numbers
        """
        if len(features) != len(self.weights):
            raise ValueError(f"expected {len(self.weights)} features, got {len(features)}")
        self.calls += 1
        score = sum(w * x for w, x in zip(self.weights, features, strict=True)) + self.bias
        return 1 / (1 + math.exp(-score))

    def loads(self) -> int:
        """How many times the model was loaded in this process."""
        return len(LOADS)

    async def slow_async(self, seconds: float = 0.2) -> float:
        """Wait (awaited on the event loop), then answer."""
        await asyncio.sleep(min(seconds, 2.0))
        return seconds

    def slow(self, seconds: float = 0.2) -> float:
        """Block this call's thread (the thread pool keeps other calls going)."""
        time.sleep(min(max(seconds, 0.0), 2.0))
        return seconds

    @classmethod
    def version(cls) -> str:
        """The model's version."""
        return "tiny-1"

    @staticmethod
    def sigmoid(x: float) -> float:
        """The logistic function."""
        return 1 / (1 + math.exp(-max(min(x, 700.0), -700.0)))
