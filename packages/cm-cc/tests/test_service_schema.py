"""schemathesis over the app's OpenAPI spec, against the real server: no 5xx, answers as documented,
and every operation but the health check refuses a request without the token."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from service_fixtures import Server, server_fixture  # noqa: F401

from cm_cc import Store
from cm_cc.service import create_app
from cm_cc.service._workflows import WorkflowLibrary

EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


def _spec() -> dict[str, Any]:
    """The app's OpenAPI spec, made without a server (schemathesis' lazy fixtures do not work on pytest 9)."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "state.db")
        try:
            spec: dict[str, Any] = create_app(
                "x", store=store, library=WorkflowLibrary(Path(folder))
            ).openapi()
            return spec
        finally:
            store.close()


SPEC = _spec()
schema = schemathesis.openapi.from_dict(SPEC)


def test_the_server_serves_this_spec(server: Server) -> None:
    with server.client() as client:
        assert client.get("api/openapi.json").json() == SPEC


# The stream of every run's changes never ends by itself (a browser keeps it open): test_service_api
# follows it; here it is only checked for its token.
@schema.exclude(path="/api/events").parametrize()
@EXAMPLES
def test_no_server_errors_and_answers_as_documented(case: schemathesis.Case, server: Server) -> None:
    headers = {"Authorization": f"Bearer {server.token}", "X-CM-Request": "test"}
    # A workflow's validity (a DAG, files that exist) is more than a schema can say: a schema-valid
    # upload may well get a 422, so that one check is left out.
    response = case.call_and_validate(
        base_url=server.url.rstrip("/"),
        headers=headers,
        timeout=30,
        excluded_checks=[positive_data_acceptance],
    )
    assert response.status_code < 500


@schema.parametrize()
@EXAMPLES
def test_the_token_is_required_but_for_health(case: schemathesis.Case, server: Server) -> None:
    case.headers = {
        key: value for key, value in (case.headers or {}).items() if key.lower() != "authorization"
    }
    case.headers["X-CM-Request"] = "test"  # past the request guard's CSRF check
    response = case.call(base_url=server.url.rstrip("/"), timeout=30)
    if response.status_code == 415:  # the request guard refuses a body type no endpoint takes first
        assert "not accepted here" in response.json()["detail"]
    elif case.path == "/api/health":
        assert response.status_code == (200 if case.method.upper() == "GET" else 405)
    else:
        assert response.status_code == 401, (case.method, case.path, response.text)
        assert response.json() == {"detail": "missing or wrong bearer token"}
