"""The web GUI: Jinja2 pages (autoescaped) with small plain JavaScript; every URL is relative."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cm_common import InputError

from ._service import COOKIE, Service

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_templates.filters["clock"] = lambda t: "" if t is None else datetime.fromtimestamp(t).strftime("%H:%M:%S")
_templates.filters["stamp"] = lambda t: datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")

gui_router = APIRouter(include_in_schema=False)


def _page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(name).render(**values), status_code=status)


def _service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


def _login(root: str, status: int = 401, error: str = "") -> HTMLResponse:
    return _page("login.html", status, root=root, error=error, title="Log in")


@gui_router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> Response:
    """Workflows (with run buttons), runs and the upload form."""
    svc = _service(request)
    if not svc.authorized(request):
        return _login("./")
    workflows = []
    for name in await asyncio.to_thread(svc.library.names):
        with contextlib.suppress(InputError):  # one that no longer loads must not hide the others
            stored = await asyncio.to_thread(svc.library.get, name)
            workflows.append({"name": name, "jobs": len(stored.jobs), "uploaded": stored.uploaded})
    runs = await asyncio.to_thread(svc.runs_list)
    return _page("index.html", root="./", page="index", workflows=workflows, runs=runs, title="cm-cc")


@gui_router.get("/runs/{run}", response_class=HTMLResponse)
async def run_page(request: Request, run: str) -> Response:
    """One run: live graph, job table, counts, log viewer, cancel and resume."""
    svc = _service(request)
    if not svc.authorized(request):
        return _login("../")
    try:
        detail = await asyncio.to_thread(svc.detail, run)
    except InputError:
        return _page("missing.html", 404, root="../", what=f"run {run}", title="Not found")
    return _page("run.html", root="../", page="run", run=detail, title=f"run {run}")


@gui_router.get("/login", response_class=HTMLResponse)
def login_form() -> Response:
    """Ask for the token."""
    return _login("./", 200)


@gui_router.post("/login")
async def login(request: Request) -> Response:
    """Check the token; keep it in an HttpOnly, SameSite=Strict cookie for the GUI."""
    svc = _service(request)
    body = (await request.body())[:4096].decode("latin-1")
    given = parse_qs(body).get("token", [""])[0].strip()
    if svc.token is not None and not secrets.compare_digest(given.encode(), svc.token.encode()):
        return _login("./", 401, "wrong token")
    response = RedirectResponse("./", status_code=303)
    if svc.token is not None:
        response.set_cookie(COOKIE, svc.token, httponly=True, samesite="strict", path=None)
    return response


@gui_router.post("/logout")
def logout() -> Response:
    """Forget the login cookie."""
    response = RedirectResponse("login", status_code=303)
    response.set_cookie(COOKIE, "", max_age=0, httponly=True, samesite="strict", path=None)
    return response
