"""Sweep values in the cloudmesh forms and the safe rule language."""

from __future__ import annotations

import pytest

from cm_common import InputError
from cm_sbatch import compile_rule, expand, parse_sweep_option


@pytest.mark.parametrize(
    ("raw", "values"),
    [
        ("1,2,3", ["1", "2", "3"]),
        ("[1-3]", ["1", "2", "3"]),
        ("a[1-2]", ["a1", "a2"]),
        ("[1,4]", ["1", "4"]),
        ("n[01-03]", ["n01", "n02", "n03"]),
        ("0.1,0.01", ["0.1", "0.01"]),
        ("3.10,3.9", ["3.10", "3.9"]),
        ("007,0.00005,1e3,True", ["007", "0.00005", "1e3", "True"]),
        ("a100, v100", ["a100", "v100"]),
        ("gpu[1-2],cpu", ["gpu1", "gpu2", "cpu"]),
        ("a[1-2]b[3-4]", ["a1b3", "a1b4", "a2b3", "a2b4"]),
        ("true,false", ["true", "false"]),
        ([1, "x", 2.5], ["1", "x", "2.5"]),
        (7, ["7"]),
        ("single", ["single"]),
        ("1e-3", ["1e-3"]),
        (["1-3"], ["1", "2", "3"]),  # unquoted YAML `epoch: [1-3]`
        (["1-2", 5, "a-b"], ["1", "2", "5", "a-b"]),
    ],
)
def test_expand_accepts_every_cloudmesh_form_and_keeps_the_text(raw: object, values: list[str]) -> None:
    assert [str(value) for value in expand(raw)] == values


def test_expand_rejects_nested_values_and_backward_ranges() -> None:
    with pytest.raises(InputError, match="values must be scalars"):
        expand([{"a": 1}], "experiment.x")
    with pytest.raises(InputError, match=r"range \[3-1\] runs backwards"):
        expand("[3-1]", "experiment.x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1-", r"experiment.x: '\[1-': unbalanced brackets"),
        ("1]", r"experiment.x: '1\]': unbalanced brackets"),
        ("[a-c]", r"experiment.x: '\[a-c\]': \[a-c\] is not a range of whole numbers"),
        ("[3-1]", r"experiment.x: '\[3-1\]': range \[3-1\] runs backwards"),
        ("1,,2", r"experiment.x: '1,,2': an empty item between commas"),
        ("1,2,", r"experiment.x: '1,2,': an empty item between commas"),
        ("[1,,2]", r"experiment.x: '\[1,,2\]': an empty item in \[1,,2\]"),
        ("[[1-2]]", "brackets inside brackets"),
    ],
)
def test_malformed_ranges_and_lists_name_the_key_and_the_text(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        expand(text, "experiment.x")


def test_manifest_values_of_a_config_number_keep_its_spelling() -> None:
    from cm_sbatch._values import Spelled

    values = expand([Spelled(0.1, "0.10"), Spelled(7, "007"), Spelled(True, "True"), "0.10", None])
    assert [str(v) for v in values] == ["0.10", "007", "True", "0.10", ""]
    assert [v.json for v in values] == ["0.10", '"007"', "true", '"0.10"', "null"]


def test_parse_sweep_option() -> None:
    assert parse_sweep_option("epoch=1,2 x=[1-3] gpu=a100") == {
        "epoch": ["1", "2"],
        "x": ["1", "2", "3"],
        "gpu": ["a100"],
    }
    with pytest.raises(InputError, match="expected key=values"):
        parse_sweep_option("epoch")


def test_sweep_option_values_hold_spaces_and_quotes() -> None:
    assert parse_sweep_option("cmd=echo a b") == {"cmd": ["echo a b"]}
    assert parse_sweep_option("cmd='echo a  b' x=1,2") == {"cmd": ["echo a  b"], "x": ["1", "2"]}
    assert parse_sweep_option(['cmd="ls; rm -rf /tmp/x"', "y=[1-2]"]) == {
        "cmd": ["ls; rm -rf /tmp/x"],
        "y": ["1", "2"],
    }
    with pytest.raises(InputError, match="a quote is not closed"):
        parse_sweep_option("cmd='echo")


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


@pytest.mark.parametrize(
    ("rule", "params", "expected"),
    [
        ("lr == 0.1", {"lr": "0.10"}, True),  # a number in the rule: compared as numbers
        ("lr == '0.1'", {"lr": "0.10"}, False),  # text in the rule: compared as text
        ("lr in (0.1, 0.01)", {"lr": "0.010"}, True),
        ("epoch > 100", {"epoch": "007"}, False),
        ("epoch % 2 == 1", {"epoch": "007"}, True),
        ("flag == True", {"flag": "True"}, True),
        ("gpu == 1", {"gpu": "k80"}, False),
        ("lr * 10 >= 1", {"lr": "1e-1"}, True),
    ],
)
def test_rules_read_text_as_numbers_only_against_numbers(
    rule: str, params: dict[str, object], expected: bool
) -> None:
    assert compile_rule(rule, list(params), "include rule")(params) is expected


def test_rule_type_errors_name_the_rule() -> None:
    rule = compile_rule("gpu > 3", KEYS, "exclude rule")
    with pytest.raises(InputError, match="exclude rule 'gpu > 3': cannot be evaluated"):
        rule({"gpu": "k80", "epoch": 1, "lr": 0.1})
