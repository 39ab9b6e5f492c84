import gc
from collections.abc import Iterator

import pytest

from cm_common import InputError, parse_yaml, paused_gc


@pytest.fixture
def gc_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_gc_pauses_the_block_and_turns_the_collector_back_on(gc_on: None) -> None:
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), paused_gc():
        raise ValueError("inside")
    assert gc.isenabled()


def test_paused_gc_leaves_a_collector_that_was_off_off(gc_on: None) -> None:
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_parse_yaml_keeps_values_and_the_collector(gc_on: None) -> None:
    assert parse_yaml("a: 1\nb: [x, 2.5, null]\n", "f.yaml") == {"a": 1, "b": ["x", 2.5, None]}
    assert gc.isenabled()


def test_parse_yaml_error_names_file_and_line(gc_on: None) -> None:
    with pytest.raises(InputError, match=r"^f\.yaml:3: invalid YAML: mapping values are not allowed here$"):
        parse_yaml("a: 1\nb: 2\nc: d: e\n", "f.yaml")
    assert gc.isenabled()
