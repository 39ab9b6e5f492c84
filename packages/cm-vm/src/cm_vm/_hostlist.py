"""Hostlists such as ``vm[1-3,7]`` or ``node[01-10]``, as Slurm and cloudmesh write them.

Hand-written because the expansion is a few lines and the packages that do it pull in
more than they add.
"""

from __future__ import annotations

import re

from cm_common import InputError

_RANGE = re.compile(r"\[([^\[\]]*)\]")
LIMIT = 10_000


def _numbers(spec: str, text: str) -> list[str]:
    out: list[str] = []
    for part in spec.split(","):
        low, sep, high = part.partition("-")
        if not low.isdigit() or (sep and not high.isdigit()):
            raise InputError(f"hostlist {text!r}: bad range {part!r} (expected N or N-M)")
        width = len(low) if low.startswith("0") else 0
        start, stop = int(low), int(high) if sep else int(low)
        if stop < start or stop - start >= LIMIT:
            raise InputError(f"hostlist {text!r}: range {part!r} is reversed or too long")
        out += [str(n).zfill(width) for n in range(start, stop + 1)]
    return out


def expand(text: str) -> list[str]:
    """The names a hostlist stands for, in order (a comma outside brackets separates hostlists)."""
    names: list[str] = []
    for item in re.split(r",(?![^\[]*\])", text):
        if not item:
            continue
        match = _RANGE.search(item)
        if match is None:
            names.append(item)
            continue
        head, tail = item[: match.start()], item[match.end() :]
        names += [name for number in _numbers(match.group(1), text) for name in expand(head + number + tail)]
        if len(names) > LIMIT:
            raise InputError(f"hostlist {text!r}: more than {LIMIT} names")
    return names
