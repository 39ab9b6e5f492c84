import subprocess
import sys

import pytest

import cm_common
from cm_common import lazy_exports


def test_names_come_from_their_module_on_first_use_under_their_own_name_or_an_alias() -> None:
    getattr_ = lazy_exports("cm_common", {"paused": "._gc:paused_gc", "cm_home": "._home"})
    assert getattr_("paused") is cm_common.paused_gc
    assert getattr_("cm_home") is cm_common.cm_home
    with pytest.raises(AttributeError, match="module 'cm_common' has no attribute 'nothing'"):
        getattr_("nothing")


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("load_settings", "cm_common._settings"),
        ("sbatch", "cm_common._slurm"),
        ("StopWatch", "cm_common._timer"),
    ],
)
def test_heavier_modules_are_imported_only_when_asked_for(name: str, module: str) -> None:
    code = (
        f"import sys, cm_common; before = {module!r} in sys.modules; "
        f"cm_common.{name}; print(before, {module!r} in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
