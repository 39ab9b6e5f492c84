"""The child process the service runs one engine in: ``python -m cm_cc.service._runner RUN``.

Each engine Event goes to stdout as one JSON line; the service reads them to feed its SSE streams.
SIGTERM cancels the run (as for ``cm-cc run``), so ``cm-cc cancel RUN`` works on it too.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import signal
import sys
from types import FrameType

from .._models import Event
from .._scheduler import Engine
from .._store import Store


class _EventPrinter:
    """An ``on_event`` hook writing JSON lines; a closed pipe (the service went away) stops the printing."""

    def __init__(self) -> None:
        self.open = True

    def __call__(self, event: Event) -> None:
        if not self.open:
            return
        try:
            sys.stdout.write(json.dumps(dataclasses.asdict(event)) + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.open = False


def main(argv: list[str] | None = None) -> int:
    """Run (or resume) one recorded run to its end; exit 0 when it is done, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="cm_cc.service._runner")
    parser.add_argument("run")
    parser.add_argument("--parallel", type=int, default=None)
    parser.add_argument("--fail-fast", action="store_true")
    args = parser.parse_args(argv)
    engine = Engine(args.run, store=Store(), parallel=args.parallel, fail_fast=args.fail_fast)
    engine.hooks.append(_EventPrinter())

    def stop(signum: int, frame: FrameType | None) -> None:
        engine.cancel()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    result = asyncio.run(engine.run())
    return 0 if result.state == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
