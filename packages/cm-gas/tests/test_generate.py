"""cm-gas generate: a valid OpenAPI 3.1 spec, a server that runs on its own, requirements, a Dockerfile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from helpers import EXAMPLES, bearer, cm_gas, free_port, wait_for
from openapi_spec_validator import validate

from cm_common import InputError
from cm_gas import generate


def test_generate_writes_a_valid_spec_and_a_server(tmp_path: Path) -> None:
    out = tmp_path / "calc"
    made = generate(f"{EXAMPLES / 'calculator.py'}", out, every=True, title="Calculator", version="2.0.1")
    assert made.operations == 4
    assert sorted(made.files) == ["calculator.py", "openapi.yaml", "requirements.txt", "server.py"]
    spec = yaml.safe_load((out / "openapi.yaml").read_text())
    validate(spec)
    assert spec["openapi"].startswith("3.1") and spec["info"] == {"title": "Calculator", "version": "2.0.1"}
    add = spec["paths"]["/add"]["post"]
    assert add["summary"] == "Add two numbers." and add["operationId"] == "add"
    body = spec["components"]["schemas"]["AddRequest"]
    assert body["required"] == ["x"] and body["additionalProperties"] is False
    assert body["properties"]["y"] == {
        "type": "number",
        "title": "y",
        "description": "the second number",
        "default": 0.0,
    }
    assert "204" in spec["paths"]["/noop"]["post"]["responses"]
    assert set(add["responses"]) == {"200", "400", "401", "403", "413", "415", "422", "500"}
    assert spec["components"]["schemas"]["Error"]["required"] == ["detail"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    server = (out / "server.py").read_text()
    assert "import calculator" in server and "calculator.add," in server and 'auth="token"' in server
    assert (out / "requirements.txt").read_text().startswith("cm-gas>=")
    assert not (out / "Dockerfile").exists()


def test_the_generated_server_runs_with_uvicorn(tmp_path: Path, cm_home: Path) -> None:
    out = tmp_path / "svc"
    generate(f"{EXAMPLES / 'shapes.py'}:bounding_box,paint", out, get=True)
    port = free_port()
    log = open(tmp_path / "uvicorn.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "server:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=out,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": ""},
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url + "health", process)
        token = (cm_home / "gas" / "token").read_text().strip()
        served = httpx.get(url + "openapi.json").json()
        assert served == json.loads(json.dumps(yaml.safe_load((out / "openapi.yaml").read_text())))
        box = httpx.post(url + "bounding_box", json={"points": [{"x": 1, "y": 2}]}, headers=bearer(token))
        assert box.json() == {"low": {"x": 1.0, "y": 2.0}, "high": {"x": 1.0, "y": 2.0}, "label": ""}
        paint = httpx.get(url + "paint", params={"color": "green"}, headers=bearer(token))
        assert paint.json() == "light green"
        assert httpx.get(url + "paint", params={"color": "green"}).status_code == 401
    finally:
        process.terminate()
        process.wait(20)
        log.close()


def test_docker_and_requirements(tmp_path: Path) -> None:
    module = tmp_path / "needs.py"
    module.write_text(
        "import yaml\nimport json\n\n\ndef dump(x: int) -> str:\n    return yaml.safe_dump(x)\n"
    )
    generate(f"{module}:dump", tmp_path / "out", docker=True, auth="basic")
    docker = (tmp_path / "out" / "Dockerfile").read_text()
    assert docker.startswith("FROM python:3.11-slim\n")
    assert "RUN pip install --no-cache-dir -r requirements.txt" in docker and "USER gas" in docker
    assert 'CMD ["uvicorn", "server:app", "--host", "0.0.0.0", "--port", "8000"]' in docker
    requirements = (tmp_path / "out" / "requirements.txt").read_text().splitlines()
    assert requirements[0].startswith("cm-gas>=") and any(
        line.startswith("PyYAML==") for line in requirements
    )
    assert not any(line.startswith("json") for line in requirements)
    spec = yaml.safe_load((tmp_path / "out" / "openapi.yaml").read_text())
    assert spec["components"]["securitySchemes"] == {"basicAuth": {"type": "http", "scheme": "basic"}}


def test_an_error_writes_nothing(tmp_path: Path) -> None:
    module = tmp_path / "loose.py"
    module.write_text("def f(x: int, y) -> int:\n    return x\n")
    with pytest.raises(InputError, match=r"parameter 'y' has no type annotation"):
        generate(f"{module}:f", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_generate_and_its_errors(tmp_path: Path) -> None:
    done = cm_gas("generate", f"{EXAMPLES / 'model.py'}:Model", "--out", str(tmp_path / "m"), "--docker")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("generated 6 operations in ")
    paths = yaml.safe_load((tmp_path / "m" / "openapi.yaml").read_text())["paths"]
    assert "/Model/predict" in paths and "/Model/sigmoid" in paths
    loose = tmp_path / "loose.py"
    loose.write_text("def scale(x: float, factor) -> float:\n    return x * factor\n")
    failed = cm_gas("generate", f"{loose}:scale", "--out", str(tmp_path / "x"))
    assert failed.returncode == 2
    assert failed.stderr == f"error: {loose}:1: scale: parameter 'factor' has no type annotation\n"
    assert failed.stdout == ""
    bad_auth = cm_gas("generate", f"{loose}:scale", "--auth", "plain")
    assert bad_auth.returncode == 2 and bad_auth.stderr.count("\n") == 1
    missing = cm_gas("generate", str(tmp_path / "nope.py"))
    assert (missing.returncode, missing.stderr) == (
        2,
        f"error: {tmp_path / 'nope.py'}: no such Python file\n",
    )
    version = cm_gas("--version")
    assert version.stdout.strip().startswith("cm-gas 0.")


def test_validate_names_where_a_spec_is_wrong() -> None:
    from cm_gas._spec import validate as check

    with pytest.raises(InputError, match=r"not valid OpenAPI 3.1 at /info: .*version"):
        check({"openapi": "3.1.0", "info": {"title": "t"}, "paths": {}})
    bad_schema = {"type": "object", "properties": {"x": {"type": "integr"}}}
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "components": {"schemas": {"X": bad_schema}},
    }
    with pytest.raises(InputError, match=r"invalid schema at /components/schemas/X"):
        check(spec)
