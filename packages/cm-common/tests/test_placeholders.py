import pytest
from hypothesis import given
from hypothesis import strategies as st

from cm_common import InputError, PlaceholderError, Template, resolve_references


def test_names_dotted_and_environment() -> None:
    template = Template("a={name} b={a.b.c} u={os.CM_TEST_USER}\n", "t.sh")
    text = template.render(lambda p: {"name": "x", "a.b.c": 3, "os.CM_TEST_USER": "me"}[p])
    assert text == "a=x b=3 u=me\n"


def test_nested_mapping_lookup_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CM_TEST_USER", "alice")
    template = Template("{a.b.c}-{os.CM_TEST_USER}-{flag}")
    assert template.render({"a": {"b": {"c": 1}}, "flag": True}) == "1-alice-true"


def test_shell_syntax_is_untouched() -> None:
    text = "echo ${SLURM_JOB_ID} $HOME {1..3} awk '{ print $1 }' {a,b}\n"
    assert Template(text).render({}) == text


def test_literal_braces() -> None:
    assert Template("{{name}} and }}{{").render({"name": "x"}) == "{name} and }{"


def test_every_unresolved_placeholder_is_named_with_its_line() -> None:
    template = Template("#!/bin/bash\necho {one}\n\necho {two} {ok}\n", "slurm.in.sh")
    with pytest.raises(PlaceholderError) as info:
        template.render({"ok": 1})
    assert info.value.missing == ["one", "two"]
    assert "slurm.in.sh:2: {one}" in str(info.value)
    assert "slurm.in.sh:4: {two}" in str(info.value)
    assert info.value.exit_code == 2


def test_references_between_values_keep_types() -> None:
    data = {
        "data": {"scratch": "/scratch/{os.CM_T_USER}", "training": "{data.scratch}/one-day"},
        "epochs": 10,
        "copy": "{epochs}",
        "label": "run-{epochs}",
    }
    resolved = resolve_references(data, env={"CM_T_USER": "bob"})
    assert resolved["data"]["training"] == "/scratch/bob/one-day"
    assert resolved["copy"] == 10
    assert resolved["label"] == "run-10"


def test_cycle_is_detected_and_named() -> None:
    with pytest.raises(InputError, match=r"cyclic reference: a -> b -> a"):
        resolve_references({"a": "{b}", "b": "x{a}"}, source="c.yaml")


def test_unresolved_references_are_all_named() -> None:
    with pytest.raises(PlaceholderError) as info:
        resolve_references({"a": "{nope}", "b": {"c": "{os.CM_SURELY_UNSET_VAR}"}}, env={})
    assert set(info.value.missing) == {"nope", "os.CM_SURELY_UNSET_VAR"}
    assert "(in b.c)" in str(info.value)


names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
values = st.dictionaries(names, st.integers() | st.text(alphabet="abc $/-", max_size=6), max_size=6)


@given(values, st.lists(names, max_size=6))
def test_every_placeholder_is_resolved_or_reported(context: dict[str, object], used: list[str]) -> None:
    template = Template(" ".join(f"{{{name}}}" for name in used))
    missing = [name for name in used if name not in context]
    if missing:
        with pytest.raises(PlaceholderError) as info:
            template.render(context)
        assert info.value.missing == missing
    else:
        assert template.render(context) == " ".join(str(context[name]) for name in used)


def test_quoting_form_quotes_for_a_shell() -> None:
    template = Template("echo {msg!q} {n!q} {plain} {flag!q}\n", "t.sh")
    values = {"msg": "it's $HOME; rm -rf /", "n": 3, "plain": "a b", "flag": True}
    assert template.render(values) == "echo 'it'\"'\"'s $HOME; rm -rf /' 3 a b true\n"
    assert [str(p) for p in template.placeholders] == ["{msg!q}", "{n!q}", "{plain}", "{flag!q}"]


def test_quoting_form_in_references_and_errors() -> None:
    data = {"cmd": "echo {word!q}", "word": "a b", "alone": "{word!q}"}
    assert resolve_references(data) == {"cmd": "echo 'a b'", "word": "a b", "alone": "'a b'"}
    with pytest.raises(PlaceholderError, match=r"t.sh:1: \{gone!q\}"):
        Template("{gone!q}", "t.sh").render({})
