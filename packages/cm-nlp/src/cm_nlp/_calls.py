"""Every provider call goes through here: a concurrency and rate limit, a timeout, retries with backoff."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from ._config import ProviderConfig
from ._errors import ProviderError, ProviderTimeout

T = TypeVar("T")


class Limiter:
    """At most ``concurrency`` calls at once and at most ``rate`` call starts per second."""

    def __init__(self, concurrency: int, rate: float | None) -> None:
        self._slots = threading.BoundedSemaphore(concurrency)
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one call slot, waiting for the rate limit first."""
        with self._slots:
            if self._interval:
                with self._lock:
                    start = max(self._next, time.monotonic())
                    self._next = start + self._interval
                time.sleep(max(0.0, start - time.monotonic()))
            yield


_limiters: dict[tuple[str, int, float | None], Limiter] = {}
_limiters_lock = threading.Lock()


def limiter(provider: str, config: ProviderConfig) -> Limiter:
    """The limiter shared by every call to ``provider`` in this process."""
    key = (provider, config.concurrency, config.rate)
    with _limiters_lock:
        return _limiters.setdefault(key, Limiter(config.concurrency, config.rate))


def with_timeout(call: Callable[[], T], seconds: float, what: str) -> T:
    """Run ``call`` in a daemon thread and give up after ``seconds``.

    The provider libraries set no timeout of their own and offer no way to cancel a call;
    a call given up on ends in the background and its result is dropped.
    """
    outcome: list[tuple[bool, object]] = []
    done = threading.Event()

    def target() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as error:
            outcome.append((False, error))
        finally:
            done.set()

    threading.Thread(target=target, name=f"cm-nlp {what}", daemon=True).start()
    if not done.wait(seconds):
        raise ProviderTimeout(f"{what}: no answer within {seconds:g} s")
    ok, value = outcome[0]
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]


def call_provider(call: Callable[[], T], provider: str, config: ProviderConfig) -> tuple[T, float]:
    """The value of ``call`` and the seconds of the successful attempt alone.

    Transient failures (timeouts, 5xx, 429, connection errors) are retried ``config.retries``
    times, waiting ``backoff * 2**attempt`` seconds (with jitter) in between.
    """
    slots = limiter(provider, config)
    for attempt in range(config.retries + 1):
        with slots.slot():
            started = time.perf_counter()
            try:
                value = with_timeout(call, config.timeout, provider)
                return value, time.perf_counter() - started
            except ProviderError as error:
                if not error.transient or attempt == config.retries:
                    raise
        time.sleep(config.backoff * 2**attempt * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not crypto
    raise AssertionError("unreachable")
