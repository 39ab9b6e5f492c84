"""The child process the service runs one engine in: ``python -m cm_cc.service._runner RUN``.

Each engine Event goes to stdout as one JSON line; the service reads them to feed its SSE streams.
SIGTERM cancels the run (as for ``cm-cc run``), so ``cm-cc cancel RUN`` works on it too.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import signal
import sys
from pathlib import Path
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cm_cc.service._runner")
    parser.add_argument("run", nargs="?")
    parser.add_argument("--parallel", type=int, default=None)
    parser.add_argument("--fail-fast", action="store_true")
    parser.add_argument("--spare", action="store_true", help="wait for the arguments as a JSON line on stdin")
    return parser


def _when_asked(parser: argparse.ArgumentParser, store: Store) -> argparse.Namespace | None:
    """A spare's arguments, read from stdin (None at end of file); stderr goes to the run's engine.log."""
    line = sys.stdin.readline()
    if not line:
        return None
    args = parser.parse_args(json.loads(line))
    with (Path(store.run(args.run).directory) / "engine.log").open("ab") as log:
        os.dup2(log.fileno(), sys.stderr.fileno())
    return args


def main(argv: list[str] | None = None) -> int:
    """Run (or resume) one recorded run to its end; exit 0 when it is done, 1 otherwise.

    ``--spare``: imported and waiting, take the run and its options from stdin (exit 0 at its end)."""
    parser = _parser()
    args = parser.parse_args(argv)
    store = Store()
    if args.spare:
        asked = _when_asked(parser, store)
        if asked is None:
            return 0
        args = asked
    if not args.run:
        parser.error("the run is required")
    engine = Engine(args.run, store=store, parallel=args.parallel, fail_fast=args.fail_fast)
    engine.hooks.append(_EventPrinter())

    def stop(signum: int, frame: FrameType | None) -> None:
        engine.cancel()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    result = asyncio.run(engine.run())
    return 0 if result.state == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
