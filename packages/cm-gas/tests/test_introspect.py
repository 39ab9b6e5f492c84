"""Signatures, type hints and docstrings into Function records; module loading and its errors."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import shapes
from model import Model

from cm_common import InputError
from cm_gas import describe, describe_all, load
from cm_gas._introspect import is_scalar


def _module(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return path


def test_google_docstring_and_defaults() -> None:
    import calculator

    add = describe(calculator.add)
    assert (add.name, add.path, add.summary) == ("add", "/add", "Add two numbers.")
    assert [(p.name, p.annotation, p.required, p.description) for p in add.params] == [
        ("x", float, True, "the first number"),
        ("y", float, False, "the second number"),
    ]
    assert add.returns is float and not add.is_async


def test_numpy_and_rest_docstrings_and_async() -> None:
    import calculator

    divide = describe(calculator.divide)
    assert [p.description for p in divide.params] == ["the dividend", "the divisor, not zero"]
    total = describe(calculator.total)
    assert total.is_async and total.params[0].description == "the numbers to sum"
    assert total.params[0].annotation == list[int]
    assert describe(calculator.noop).returns is None


def test_classes_give_instance_class_and_static_methods() -> None:
    found = {f.name: f for f in describe_all([Model])}
    assert found["Model.predict"].kind == "method" and found["Model.predict"].path == "/Model/predict"
    assert [p.name for p in found["Model.predict"].params] == ["features"]
    assert found["Model.version"].kind == "classmethod" and found["Model.version"].params == ()
    assert found["Model.sigmoid"].kind == "staticmethod"
    assert found["Model.slow_async"].is_async


def test_scalars() -> None:
    assert all(is_scalar(t) for t in (int, float, str, bool, datetime.date, shapes.Color, int | None))
    assert not any(is_scalar(t) for t in (list[int], dict[str, int], shapes.Point, bytes))


def test_an_unannotated_parameter_is_an_error_naming_it(tmp_path: Path) -> None:
    path = _module(tmp_path, "loose", "def scale(x: float, factor) -> float:\n    return x * factor\n")
    with pytest.raises(InputError, match=r"loose\.py:1: scale: parameter 'factor' has no type annotation"):
        describe_all(list(load(f"{path}:scale").targets))


def test_args_kwargs_and_missing_return_are_errors(tmp_path: Path) -> None:
    path = _module(
        tmp_path,
        "odd",
        "def many(*values: int) -> int:\n    return 0\n\n\ndef quiet(x: int):\n    return x\n",
    )
    with pytest.raises(InputError, match=r"many: parameter 'values': \*args and \*\*kwargs cannot be served"):
        describe_all(list(load(f"{path}:many").targets))
    with pytest.raises(InputError, match=r"quiet: no return annotation"):
        describe_all(list(load(f"{path}:quiet").targets))


def test_a_class_needing_arguments_is_an_error(tmp_path: Path) -> None:
    text = "class Needy:\n    def __init__(self, path: str) -> None:\n        self.path = path\n\n"
    text += "    def get(self) -> str:\n        return self.path\n"
    path = _module(tmp_path, "needy", text)
    with pytest.raises(InputError, match=r"class Needy: __init__ needs path"):
        describe_all(list(load(f"{path}:Needy").targets))


def test_reserved_names_and_clashes(tmp_path: Path) -> None:
    path = _module(tmp_path, "clash", "def health() -> str:\n    return 'x'\n")
    with pytest.raises(InputError, match=r"the name 'health' is reserved"):
        describe_all(list(load(f"{path}:health").targets))


def test_load_picks_names_or_everything(tmp_path: Path) -> None:
    import calculator

    source = load(f"{calculator.__file__}:add,divide")
    assert source.names == ("add", "divide") and source.module_name == "calculator"
    assert load(calculator.__file__, every=True).names == ("add", "divide", "total", "noop")
    # dataclasses, enums and models are types, not services
    assert load(shapes.__file__, every=True).names == (
        "bounding_box",
        "paint",
        "days_between",
        "stats",
        "latest",
    )
    with pytest.raises(InputError, match=r"name what to serve .* or pass --all; it defines add, divide"):
        load(calculator.__file__)
    with pytest.raises(InputError, match=r"no function or class 'nothing' \(it defines add"):
        load(f"{calculator.__file__}:nothing")


def test_load_errors_name_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.py: no such Python file"):
        load(str(tmp_path / "missing.py"))
    broken = _module(tmp_path, "broken", "def f(:\n")
    with pytest.raises(InputError, match=r"broken\.py:1: SyntaxError"):
        load(str(broken))
    failing = _module(tmp_path, "failing", "x = 1\nimport no_such_module_here\n")
    with pytest.raises(InputError, match=r"failing\.py:2: import failed: ModuleNotFoundError"):
        load(str(failing))
    dashed = _module(tmp_path, "my-funcs", "def f() -> int:\n    return 1\n")
    with pytest.raises(InputError, match=r"'my-funcs' is not a module name"):
        load(str(dashed))
