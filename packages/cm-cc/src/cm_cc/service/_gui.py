"""The web GUI: Jinja2 pages (autoescaped) with small plain JavaScript; every URL is relative."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, HTTPException, Request
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
FORM_PATHS = frozenset({"/login", "/logout"})  # the only form posts; each checks the page's CSRF token
MAX_FORM = 4096


def _page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(name).render(**values), status_code=status)


async def _form(request: Request) -> dict[str, str]:
    """A small urlencoded form, read no further than MAX_FORM bytes."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise HTTPException(413, f"form larger than {MAX_FORM} bytes")
    return {key: values[0] for key, values in parse_qs(body.decode("latin-1")).items()}


def _service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


def _login(svc: Service, root: str, status: int = 401, error: str = "") -> HTMLResponse:
    return _page("login.html", status, root=root, error=error, title="Log in", csrf=svc.csrf)


@gui_router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> Response:
    """Workflows (with run buttons), runs and the upload form."""
    svc = _service(request)
    if not svc.authorized(request):
        return _login(svc, "./")
    workflows = await asyncio.to_thread(svc.workflows)
    runs = await asyncio.to_thread(svc.runs_list)
    return _page(
        "index.html", root="./", page="index", workflows=workflows, runs=runs, title="cm-cc", csrf=svc.csrf
    )


@gui_router.get("/runs/{run}", response_class=HTMLResponse)
async def run_page(request: Request, run: str) -> Response:
    """One run: live graph, job table, counts, log viewer, cancel and resume."""
    svc = _service(request)
    if not svc.authorized(request):
        return _login(svc, "../")
    try:
        detail = await asyncio.to_thread(svc.detail, run)
    except InputError:
        return _page("missing.html", 404, root="../", what=f"run {run}", title="Not found", csrf=svc.csrf)
    return _page("run.html", root="../", page="run", run=detail, title=f"run {run}", csrf=svc.csrf)


@gui_router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """Ask for the token."""
    return _login(_service(request), "./", 200)


@gui_router.post("/login")
async def login(request: Request) -> Response:
    """Check the token; keep it in an HttpOnly, SameSite=Strict cookie for the GUI."""
    svc = _service(request)
    form = await _form(request)
    if not svc.csrf_matches(form.get("csrf")):
        return _login(svc, "./", 403, "the page is out of date: log in again")
    given = form.get("token", "").strip()
    if svc.token is not None and not secrets.compare_digest(given.encode(), svc.token.encode()):
        return _login(svc, "./", 401, "wrong token")
    response = RedirectResponse("./", status_code=303)
    if svc.token is not None:
        response.set_cookie(COOKIE, svc.token, httponly=True, samesite="strict", path=None)
    return response


@gui_router.post("/logout")
async def logout(request: Request) -> Response:
    """Forget the login cookie."""
    if not _service(request).csrf_matches((await _form(request)).get("csrf")):
        raise HTTPException(403, "missing or wrong CSRF token")
    response = RedirectResponse("login", status_code=303)
    response.set_cookie(COOKIE, "", max_age=0, httponly=True, samesite="strict", path=None)
    return response
