import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

import cm_common
from cm_common import InputError, Variables, load_settings


def test_cm_home_follows_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CM_HOME", str(tmp_path / "elsewhere"))
    assert cm_common.cm_home() == tmp_path / "elsewhere"
    assert cm_common.settings_path() == tmp_path / "elsewhere" / "settings.yaml"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CM_HOME")
    assert cm_common.cm_home() == tmp_path / "home" / ".cm"


def test_defaults_then_file_then_environment(cm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().output == "table"
    (cm_home / "settings.yaml").write_text("output: json\ncredentials:\n  aws: {secret: s3cr3t}\n")
    settings = load_settings()
    assert settings.output == "json"
    assert settings.credential("aws", "secret") == "s3cr3t"
    assert "s3cr3t" not in repr(settings)
    monkeypatch.setenv("CM_OUTPUT", "csv")
    assert load_settings().output == "csv"


def test_missing_credential_is_named(cm_home: Path) -> None:
    with pytest.raises(InputError, match=r"no credential aws\.key"):
        load_settings().credential("aws", "key")


def test_package_section_validated(cm_home: Path) -> None:
    class Section(BaseModel):
        parallel: int = 1

    (cm_home / "settings.yaml").write_text("cc:\n  parallel: many\n")
    with pytest.raises(InputError, match=r"settings.yaml: field cc.parallel"):
        load_settings().section("cc", Section)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("output: [\n", r"settings.yaml:2: invalid YAML"),
        ("output: xml\n", r"settings.yaml: field output: .*'xml'"),
        ("- a\n- b\n", r"settings.yaml: expected a mapping"),
    ],
)
def test_malformed_settings(cm_home: Path, text: str, pattern: str) -> None:
    (cm_home / "settings.yaml").write_text(text)
    with pytest.raises(InputError, match=pattern):
        load_settings()


def test_variables_roundtrip(cm_home: Path) -> None:
    variables = Variables()
    variables["cloud"] = "aws"
    assert Variables()["cloud"] == "aws"
    del variables["cloud"]
    assert "cloud" not in Variables()
    assert (cm_home / "variables.yaml").stat().st_mode & 0o777 == 0o600


def test_twenty_concurrent_processes_lose_nothing(cm_home: Path) -> None:
    code = "import sys; from cm_common import Variables; Variables()[sys.argv[1]] = sys.argv[2]"
    procs = [subprocess.Popen([sys.executable, "-c", code, f"k{i}", f"v{i}"]) for i in range(20)]
    assert [p.wait() for p in procs] == [0] * 20
    assert dict(Variables()) == {f"k{i}": f"v{i}" for i in range(20)}
