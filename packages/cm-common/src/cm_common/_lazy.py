"""Package names imported on first use, so that a command's start-up loads only what it needs."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each of ``names`` comes from its submodule on first use.

    ``names`` maps a public name to ``"._module"`` (the same name there) or ``"._module:attribute"``.
    Use it as ``__getattr__ = lazy_exports(__name__, {...})``, with the same imports under
    ``TYPE_CHECKING`` for type checkers and editors.
    """

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = names[name].partition(":")
        return getattr(importlib.import_module(module, package), attribute or name)

    return __getattr__
