"""The clouds section: config check, config import from a cloudmesh.yaml, choosing the cloud, secrets."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from vm_helpers import cli, records, write_settings

from cm_common import Variables

CLOUDMESH = """
cloudmesh:
  cloud:
    aws:
      cm: {active: true, heading: AWS, label: aws, kind: aws, version: TBD, service: compute}
      default: {image: ami-0f65671a86f061fcd, size: t2.micro, username: ubuntu}
      credentials:
        region: us-west-2
        EC2_SECURITY_GROUP: group1
        EC2_ACCESS_ID: AKIAEXAMPLEKEY123
        EC2_SECRET_KEY: s3cr3t-value-never-shown
        EC2_PRIVATE_KEY_FILE_PATH: ~/.cloudmesh/aws_cert.pem
        EC2_PRIVATE_KEY_FILE_NAME: aws_cert
    azure:
      cm: {active: false, label: az, kind: azure}
      default: {image: 'Canonical:UbuntuServer:16.04-LTS:latest', size: Basic_A0, resource_group: cloudmesh}
      credentials:
        AZURE_TENANT_ID: tenant-1
        AZURE_SUBSCRIPTION_ID: sub-1
        AZURE_APPLICATION_ID: app-1
        AZURE_SECRET_KEY: TBD
        AZURE_REGION: northcentralus
    google:
      cm: {kind: google}
      default: {image: ubuntu-1604, size: n1-standard-1, zone: us-west1-a}
      credentials:
        path_to_json_file: ~/.cloudmesh/google.json
        project_id: proj-7
        client_email: me@proj.iam
    chameleon:
      cm: {kind: openstack}
      default: {image: CC-Ubuntu20.04, size: m1.medium, username: cc}
      credentials:
        auth:
          auth_url: https://kvm.tacc.chameleoncloud.org:5000/v3
          username: alice
          password: chameleon-password
          project_name: CH-123
          user_domain_name: Default
        region_name: KVM@TACC
        key_path: ~/.ssh/id_rsa.pub
"""


def test_import_reads_every_kind_keeps_secrets_0600_and_masked(tmp_path: Path, cm_home: Path) -> None:
    source = tmp_path / "cloudmesh.yaml"
    source.write_text(CLOUDMESH)
    result = cli("config", "import", str(source), "--output", "json")
    assert result.returncode == 0, result.stderr
    for secret in ("s3cr3t-value-never-shown", "chameleon-password", "AKIAEXAMPLEKEY123"):
        assert secret not in result.stdout + result.stderr
    assert "********" in result.stdout
    settings = cm_home / "settings.yaml"
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    clouds = yaml.safe_load(settings.read_text())["clouds"]
    assert clouds["aws"]["credentials"] == {"key": "AKIAEXAMPLEKEY123", "secret": "s3cr3t-value-never-shown"}
    assert clouds["aws"]["region"] == "us-west-2"
    assert clouds["aws"]["defaults"] == {
        "image": "ami-0f65671a86f061fcd",
        "size": "t2.micro",
        "username": "ubuntu",
        "security_group": "group1",
        "key_file": "~/.cloudmesh/aws_cert.pem",
        "key": "aws_cert",
    }
    assert clouds["azure"]["credentials"] == {
        "tenant_id": "tenant-1",
        "subscription_id": "sub-1",
        "key": "app-1",
    }
    assert clouds["azure"]["active"] is False
    assert clouds["google"]["options"] == {"project": "proj-7"} and clouds["google"]["region"] == "us-west1-a"
    assert clouds["chameleon"]["endpoint"].startswith("https://kvm.tacc")
    assert clouds["chameleon"]["options"] == {"ex_tenant_name": "CH-123", "ex_domain_name": "Default"}
    assert clouds["chameleon"]["defaults"]["key_file"] == "~/.ssh/id_rsa"


def test_check_says_exactly_what_is_missing(tmp_path: Path) -> None:
    source = tmp_path / "cloudmesh.yaml"
    source.write_text(CLOUDMESH)
    cli("config", "import", str(source), check=True)
    result = cli("config", "check", "--output", "json")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: 1 cloud(s) incomplete: azure"
    rows = {row["cloud"]: row for row in yaml.safe_load(result.stdout)}
    assert rows["azure"]["status"] == "missing: credential secret (set credentials.secret)"
    assert rows["aws"]["status"] == "ok"
    assert rows["aws"]["credentials"] == "key=********, secret=********"
    assert "s3cr3t" not in result.stdout


def test_credentials_from_environment_variables(cm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cloud = {"kind": "aws", "region": "us-east-1", "env": {"key": "MY_KEY", "secret": "MY_SECRET"}}
    write_settings(cm_home, {"clouds": {"aws": cloud}})
    monkeypatch.setenv("MY_KEY", "k")
    monkeypatch.delenv("MY_SECRET", raising=False)
    result = cli("config", "check", "--output", "json")
    row = next(r for r in yaml.safe_load(result.stdout) if r["cloud"] == "aws")
    assert row["status"] == "missing: credential secret (environment variable MY_SECRET is unset)"
    assert row["credentials"] == "key=$MY_KEY, secret=$MY_SECRET"
    monkeypatch.setenv("MY_SECRET", "s")
    assert cli("config", "check").returncode == 0


def test_missing_credentials_stop_a_boot_before_anything(cm_home: Path) -> None:
    write_settings(
        cm_home,
        {"clouds": {"aws": {"kind": "aws", "region": "us-east-1", "defaults": {"image": "a", "size": "b"}}}},
    )
    result = cli("boot", "--cloud", "aws")
    assert result.returncode == 2
    assert result.stderr.startswith("error: cloud 'aws': missing credential key (set credentials.key)")
    assert records("list", "--cloud", "aws") == []


def test_the_cloud_comes_from_cm_set(cm_home: Path) -> None:
    result = cli("list")
    assert result.returncode == 2 and "no cloud chosen" in result.stderr
    Variables()["cloud"] = "nowhere"
    result = cli("list")
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "error: unknown cloud 'nowhere' (configured: dummy; see cm-vm config check)"
    )
    Variables()["cloud"] = "dummy"
    records("boot", "--name", "via-set")
    assert [vm["cloud"] for vm in records("list")] == ["dummy"]


def test_a_bad_settings_entry_names_the_field(cm_home: Path) -> None:
    write_settings(cm_home, {"clouds": {"x": {"kind": "aws", "regoin": "typo"}}})
    result = cli("config", "check")
    assert result.returncode == 2
    assert "field clouds.x.regoin: Extra inputs are not permitted" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_of_a_file_without_clouds(tmp_path: Path) -> None:
    source = tmp_path / "cloudmesh.yaml"
    source.write_text("cloudmesh: {profile: {user: me}}\n")
    result = cli("config", "import", str(source))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {source}: no cloudmesh.cloud section with clouds"
    missing = cli("config", "import", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_a_new_libcloud_cloud_is_a_settings_entry(cm_home: Path) -> None:
    write_settings(
        cm_home, {"clouds": {"do": {"kind": "digitalocean", "provider": "digital_ocean", "args": ["key"]}}}
    )
    result = cli("config", "check", "--output", "json")
    rows = {r["cloud"]: r for r in yaml.safe_load(result.stdout)}
    assert rows["do"]["provider"] == "digital_ocean"
    assert rows["do"]["status"] == "missing: credential key (set credentials.key)"


def test_import_of_a_malformed_entry_names_it(tmp_path: Path, cm_home: Path) -> None:
    source = tmp_path / "cloudmesh.yaml"
    source.write_text("cloudmesh:\n  cloud:\n    aws:\n      cm: {kind: aws}\n      credentials: oops\n")
    result = cli("config", "import", str(source))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {source}: cloudmesh.cloud.aws.credentials: expected a mapping"
    assert not (cm_home / "settings.yaml").exists()


def test_help_starts_without_the_models_or_libcloud() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.argv = ['cm-vm', '--help']\n"
        "from cm_vm.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('pydantic', 'libcloud', 'cm_vm._models') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage: cm-vm" in done.stdout and done.stdout.strip().endswith("[]")
