"""``PATH.py[:name,...]``: import a user's module by path and pick the functions and classes to serve."""

from __future__ import annotations

import dataclasses
import enum
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from cm_common import InputError


@dataclasses.dataclass(frozen=True)
class Source:
    """What ``PATH.py[:a,b]`` names: the file, its module and the chosen functions and classes."""

    path: Path
    module: ModuleType
    names: tuple[str, ...]
    targets: tuple[Any, ...]

    @property
    def module_name(self) -> str:
        """The module's import name (the file's stem)."""
        return self.module.__name__


def split_target(text: str) -> tuple[Path, list[str]]:
    """``calc.py:add,sub`` -> (Path("calc.py"), ["add", "sub"])."""
    path, sep, names = text.rpartition(":")
    if not sep or not path.endswith(".py"):
        path, names = text, ""
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    for name in chosen:
        if not name.isidentifier():
            raise InputError(f"{text}: {name!r} is not a Python name")
    return Path(path), chosen


def import_file(path: Path) -> ModuleType:
    """Import ``path`` as the module named by its stem (its folder first on sys.path, for its imports)."""
    file = path.resolve()
    if file.suffix != ".py" or not file.is_file():
        raise InputError(f"{path}: no such Python file")
    name = file.stem
    if not name.isidentifier():
        raise InputError(f"{path}: {name!r} is not a module name (rename the file)")
    known = sys.modules.get(name)
    if known is not None and Path(getattr(known, "__file__", "") or "").resolve() == file:
        return known
    folder = str(file.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise InputError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[name]
        raise InputError(f"{path}:{error.lineno}: SyntaxError: {error.msg}") from None
    except Exception as error:
        del sys.modules[name]
        raise InputError(
            f"{_where(error, file, path)}: import failed: {type(error).__name__}: {error}"
        ) from None
    return module


def _where(error: Exception, file: Path, shown: Path) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve() == file]
    return f"{shown}:{frames[-1].lineno}" if frames else str(shown)


def _servable_class(obj: type) -> bool:
    """Classes used as types (dataclasses, models, enums, exceptions, typed dicts) are not services."""
    if dataclasses.is_dataclass(obj) or issubclass(obj, enum.Enum | BaseException | tuple | dict):
        return False
    if hasattr(obj, "model_fields") or getattr(obj, "_is_protocol", False):
        return False
    return any(not name.startswith("_") and callable(value) for name, value in vars(obj).items()) or any(
        isinstance(value, staticmethod | classmethod) for value in vars(obj).values()
    )


def candidates(module: ModuleType) -> list[str]:
    """The public functions and service classes defined in ``module``, in source order."""
    found = []
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value) or (inspect.isclass(value) and _servable_class(value)):
            found.append(name)
    return found


def load(text: str, *, every: bool = False) -> Source:
    """Import ``PATH.py[:name,...]`` and pick what it names (or, with ``every``, all candidates)."""
    path, names = split_target(text)
    module = import_file(path)
    available = candidates(module)
    if not names:
        if not every and len(available) != 1:
            listed = ", ".join(available) or "none"
            raise InputError(f"{path}: name what to serve ({path}:NAME) or pass --all; it defines {listed}")
        names = available
    if not names:
        raise InputError(f"{path}: defines no public function or class to serve")
    targets = []
    for name in names:
        value = getattr(module, name, None)
        if value is None or not (inspect.isfunction(value) or inspect.isclass(value)):
            raise InputError(f"{path}: no function or class {name!r} (it defines {', '.join(available)})")
        targets.append(value)
    return Source(path, module, tuple(names), tuple(targets))
