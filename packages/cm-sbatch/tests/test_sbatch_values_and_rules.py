"""Sweep values in the cloudmesh forms and the safe rule language."""

from __future__ import annotations

import pytest

from cm_common import InputError
from cm_sbatch import compile_rule, expand, parse_scalar, parse_sweep_option


@pytest.mark.parametrize(
    ("raw", "values"),
    [
        ("1,2,3", [1, 2, 3]),
        ("[1-3]", [1, 2, 3]),
        ("a[1-2]", ["a1", "a2"]),
        ("[1,4]", [1, 4]),
        ("n[01-03]", ["n01", "n02", "n03"]),
        ("0.1,0.01", [0.1, 0.01]),
        ("a100, v100", ["a100", "v100"]),
        ("gpu[1-2],cpu", ["gpu1", "gpu2", "cpu"]),
        ("true,false", [True, False]),
        ([1, "x", 2.5], [1, "x", 2.5]),
        (7, [7]),
        ("single", ["single"]),
        ("1e-3", [0.001]),
        (["1-3"], [1, 2, 3]),  # unquoted YAML `epoch: [1-3]`
        (["1-2", 5, "a-b"], [1, 2, 5, "a-b"]),
    ],
)
def test_expand_accepts_every_cloudmesh_form(raw: object, values: list[object]) -> None:
    assert expand(raw) == values


def test_expand_rejects_nested_values_and_backward_ranges() -> None:
    with pytest.raises(InputError, match="values must be scalars"):
        expand([{"a": 1}], "experiment.x")
    with pytest.raises(InputError, match=r"range \[3-1\] runs backwards"):
        expand("[3-1]", "experiment.x")


def test_parse_scalar_keeps_numbers_numbers() -> None:
    assert [parse_scalar(t) for t in ("3", "-2", "0.5", "abc", "00:05:00")] == [3, -2, 0.5, "abc", "00:05:00"]


def test_parse_sweep_option() -> None:
    assert parse_sweep_option("epoch=1,2 x=[1-3] gpu=a100") == {
        "epoch": [1, 2],
        "x": [1, 2, 3],
        "gpu": ["a100"],
    }
    with pytest.raises(InputError, match="expected key=values"):
        parse_sweep_option("epoch")


KEYS = ("gpu", "epoch", "lr")


@pytest.mark.parametrize(
    ("rule", "params", "expected"),
    [
        ('gpu == "k80" and epoch > 100', {"gpu": "k80", "epoch": 200, "lr": 0.1}, True),
        ('gpu == "k80" and epoch > 100', {"gpu": "a100", "epoch": 200, "lr": 0.1}, False),
        ("lr in (0.1, 0.01)", {"gpu": "x", "epoch": 1, "lr": 0.01}, True),
        ("lr not in [0.1]", {"gpu": "x", "epoch": 1, "lr": 0.1}, False),
        ("not (epoch % 2 == 0) or gpu != 'x'", {"gpu": "x", "epoch": 4, "lr": 0}, False),
        ("1 < epoch <= 3", {"gpu": "x", "epoch": 3, "lr": 0}, True),
        ("epoch * lr >= 1", {"gpu": "x", "epoch": 20, "lr": 0.1}, True),
        ({"gpu": "k80", "epoch": 200}, {"gpu": "k80", "epoch": 200, "lr": 0}, True),
    ],
)
def test_rules_evaluate(rule: object, params: dict[str, object], expected: bool) -> None:
    assert compile_rule(rule, KEYS, "exclude rule")(params) is expected


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("foo > 1", "unknown key 'foo'"),
        ("__import__('os').system('true')", "call is not allowed"),
        ("gpu.upper() == 'K80'", "call is not allowed"),
        ("epoch[0] == 1", "subscript is not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("epoch >", "not a valid expression"),
        ("", "expected an expression"),
    ],
)
def test_rules_refuse_anything_but_the_small_language(rule: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        compile_rule(rule, KEYS, "exclude rule")


def test_rule_type_errors_name_the_rule() -> None:
    rule = compile_rule("gpu > 3", KEYS, "exclude rule")
    with pytest.raises(InputError, match="exclude rule 'gpu > 3': cannot be evaluated"):
        rule({"gpu": "k80", "epoch": 1, "lr": 0.1})
