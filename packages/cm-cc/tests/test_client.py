"""cm_cc.client.Client against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_fixtures import Server, server_fixture, workflow_yaml  # noqa: F401

from cm_cc.client import Client, ServiceError


def test_client_drives_a_run_end_to_end(server: Server, tmp_path: Path) -> None:
    file = tmp_path / "demo.yaml"
    file.write_text(workflow_yaml("demo"))
    with Client(server.url) as client:  # the token comes from $CM_HOME/cc/token
        assert client.health()["status"] == "ok"
        assert client.upload(file)["name"] == "demo"
        assert [w["name"] for w in client.workflows()] == ["demo"]
        run = client.start("demo", parallel=2)["id"]
        events = [event for event, _ in client.events(run)]
        assert events[0] == "snapshot" and events[-1] == "end"
        status = client.wait(run)
        assert status["state"] == "done" and status["counts"] == {"done": 4}
        assert client.log(run, "a", tail=1)["text"] == "hello from a\n"
        assert client.graph(run).startswith(b"<?xml")
        assert [r["id"] for r in client.runs()] == [run]
        client.delete(run)
        client.delete_workflow("demo")
        assert client.runs() == [] and client.workflows() == []


def test_client_errors_carry_status_and_exit_code(server: Server) -> None:
    with Client(server.url) as client:
        with pytest.raises(ServiceError) as missing:
            client.status("nope")
        assert missing.value.status == 404 and missing.value.exit_code == 2
        assert "no run 'nope'" in str(missing.value)
        with pytest.raises(ServiceError) as bad:
            client.upload(b"jobs: [{name: a}]")
        assert bad.value.status == 422
    with Client(server.url, token="wrong") as client, pytest.raises(ServiceError) as refused:
        client.runs()
    assert refused.value.status == 401
    with Client("http://127.0.0.1:9/") as client, pytest.raises(ServiceError) as unreachable:
        client.health()
    assert unreachable.value.status is None and unreachable.value.exit_code == 1
