"""A Python client of the cm-cc service (needs ``cm-cc[service]`` for httpx).

from cm_cc.client import Client

with Client("http://127.0.0.1:8000/") as service:  # the token: $CM_CC_TOKEN or $CM_HOME/cc/token
    service.upload("wf.yaml")
    run = service.start("wf")["id"]
    print(service.wait(run)["state"])
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

import httpx
from httpx_sse import SSEError, connect_sse

from cm_common import CmError

from .service._auth import token_path

Record = dict[str, Any]
FINAL = ("done", "failed", "cancelled", "interrupted")


class ServiceError(CmError):
    """The service refused a request (exit 2 for a 4xx answer) or could not be reached (exit 1)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message, exit_code=2 if status and 400 <= status < 500 else 1)
        self.status = status


def default_token() -> str | None:
    """``$CM_CC_TOKEN``, else the token file of this CM_HOME (when readable), else None."""
    if os.environ.get("CM_CC_TOKEN"):
        return os.environ["CM_CC_TOKEN"]
    try:
        return token_path().read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _upload_type(data: bytes) -> str:
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "application/zip"
    return "application/gzip" if data.startswith(b"\x1f\x8b") else "application/yaml"


class Client:
    """Drives a cm-cc service over HTTP: upload workflows, start, watch, cancel and delete runs."""

    def __init__(self, url: str = "http://127.0.0.1:8000/", token: str | None = None, timeout: float = 30.0):
        self.url = url if url.endswith("/") else url + "/"
        token = token or default_token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers["X-CM-Request"] = "cm-cc"  # body-less writes need it (a browser page cannot set it)
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, "api/" + path, **kwargs)
        except httpx.HTTPError as error:
            raise ServiceError(f"{self.url}: {error.__class__.__name__}: {error}") from None
        if response.is_error:
            self._raise(response)
        return response

    def health(self) -> Record:
        """The service's health (no token needed)."""
        return dict(self._call("GET", "health").json())

    def upload(self, source: str | Path | bytes, name: str | None = None, replace: bool = False) -> Record:
        """Upload a workflow YAML or a .zip / .tar.gz (a path or its bytes)."""
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        params: dict[str, str] = {"replace": "true"} if replace else {}
        if name:
            params["name"] = name
        headers = {"Content-Type": _upload_type(data)}
        return dict(self._call("POST", "workflows", content=data, params=params, headers=headers).json())

    def workflows(self) -> list[Record]:
        """The uploaded workflows."""
        return list(self._call("GET", "workflows").json())

    def delete_workflow(self, name: str) -> None:
        """Remove an uploaded workflow."""
        self._call("DELETE", f"workflows/{name}")

    def start(self, workflow: str, parallel: int | None = None, fail_fast: bool = False) -> Record:
        """Start a run of an uploaded workflow; return the run."""
        body = {"parallel": parallel, "fail_fast": fail_fast}
        return dict(self._call("POST", f"workflows/{workflow}/runs", json=body).json())

    def runs(self) -> list[Record]:
        """All runs, newest first."""
        return list(self._call("GET", "runs").json())

    def status(self, run: str) -> Record:
        """A run with its jobs (state, progress, host, times)."""
        return dict(self._call("GET", f"runs/{run}").json())

    def log(
        self, run: str, job: str, stream: str = "stdout", tail: int | None = None, offset: int | None = None
    ) -> Record:
        """A job's output: the last ``tail`` lines, or the bytes from ``offset``."""
        params: dict[str, Any] = {"stream": stream}
        params.update({k: v for k, v in (("tail", tail), ("offset", offset)) if v is not None})
        return dict(self._call("GET", f"runs/{run}/jobs/{job}/log", params=params).json())

    def cancel(self, run: str) -> str:
        """Cancel a run; return what the service did."""
        return str(self._call("POST", f"runs/{run}/cancel").json()["message"])

    def resume(self, run: str, parallel: int | None = None) -> Record:
        """Run again what is not done in ``run``."""
        return dict(self._call("POST", f"runs/{run}/resume", json={"parallel": parallel}).json())

    def delete(self, run: str) -> None:
        """Forget a finished run and its folder."""
        self._call("DELETE", f"runs/{run}")

    def graph(self, run: str) -> bytes:
        """The run's graph as SVG."""
        return self._call("GET", f"runs/{run}/graph.svg").content

    def events(self, run: str) -> Iterator[tuple[str, Any]]:
        """The run's Server-Sent Events as (event, data) pairs, until its end."""
        try:
            with connect_sse(self._http, "GET", f"api/runs/{run}/events", timeout=None) as source:
                if source.response.is_error:
                    source.response.read()
                    self._raise(source.response)
                for message in source.iter_sse():
                    if message.data:
                        yield message.event, json.loads(message.data)
        except (httpx.HTTPError, SSEError) as error:
            raise ServiceError(f"{self.url}: {error.__class__.__name__}: {error}") from error

    def _raise(self, response: httpx.Response) -> NoReturn:
        try:
            detail = response.json()["detail"]
        except (ValueError, KeyError, TypeError):
            detail = response.reason_phrase
        raise ServiceError(f"{self.url}: {response.status_code}: {detail}", response.status_code)

    def wait(self, run: str) -> Record:
        """Follow the run's events to its end; return its final status."""
        for event, _ in self.events(run):
            if event == "end":
                break
        return self.status(run)
