"""The web GUI in a real headless Chromium (Debian's, driven by playwright): log in, upload, run, watch."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from service_fixtures import Server, open_server_fixture, server_fixture, workflow_yaml  # noqa: F401

pytestmark = pytest.mark.browser
DOCS_IMAGE = Path(__file__).resolve().parents[3] / "docs" / "img" / "cc-gui.png"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
NODE_FILL = """name => {
  for (const node of document.querySelectorAll('#graph g.node')) {
    if (node.querySelector('title').textContent === name) {
      return node.querySelector('polygon, path').getAttribute('fill');
    }
  }
  return null;
}"""


@pytest.fixture
def page(chromium: str, server: Server) -> Iterator[object]:
    """A fresh page of a headless Chromium; console errors (CSP included) fail the test.

    It takes ``server`` so the browser closes before the server stops: a server going away
    under an open event stream is a console error of its own.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
    assert [e for e in errors if "401" not in e] == []  # the login page itself answers 401


def test_gui_upload_run_and_watch_it_turn_green(page, server: Server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    step = "echo '# cloudmesh status=running progress=50'; sleep {}; echo hello from $CM_CC_JOB"
    jobs = [
        {"name": "fetch", "exec": step.format(2)},
        {"name": "train", "exec": step.format(1), "needs": ["fetch"]},
        {"name": "plot", "exec": step.format(1), "needs": ["fetch"]},
        {"name": "report", "exec": step.format(0.5), "needs": ["train", "plot"]},
    ]
    file = tmp_path / "pipeline.yaml"
    file.write_text(yaml.safe_dump({"name": "pipeline", "jobs": jobs}, sort_keys=False))

    page.goto(server.url)
    page.fill("#token", server.token)
    page.click("form.login button")
    page.wait_for_selector("#upload")
    page.set_input_files("#upload-file", str(file))
    page.click("#upload button[type=submit]")
    page.wait_for_selector('tr[data-workflow="pipeline"]')
    page.click('button.run[data-workflow="pipeline"]')
    page.wait_for_url("**/runs/*")

    page.wait_for_selector("#graph svg g.node")
    assert page.inner_text('tr[data-job="report"] .state') == "ready"  # the row is there, waiting
    assert page.evaluate(NODE_FILL, "report") == "white"
    page.wait_for_function(f"() => ({NODE_FILL})('fetch') === 'palegreen'", timeout=60_000)
    page.wait_for_selector('tr[data-job="fetch"][data-state="done"]', timeout=60_000)
    page.wait_for_selector('tr[data-job="report"][data-state="done"]', timeout=60_000)
    page.wait_for_function(f"() => ({NODE_FILL})('report') === 'palegreen'", timeout=60_000)
    page.wait_for_selector("#run-state.state-done")
    assert page.inner_text("#counts").strip() == "done 4"
    assert page.inner_text('tr[data-job="train"] .pct') == "100%"
    assert page.inner_text('tr[data-job="train"] .end') != ""
    assert page.inner_text("#live") == "finished"

    page.click('tr[data-job="train"]')
    page.wait_for_function("() => document.querySelector('#log').textContent.includes('hello from train')")
    assert page.is_disabled("#cancel") and page.is_disabled("#resume")

    assert [page.evaluate(NODE_FILL, name) for name in ("fetch", "train", "plot", "report")] == [
        "palegreen"
    ] * 4
    shot = tmp_path / "cc-gui.png"
    page.screenshot(path=str(shot), full_page=True)
    head = shot.read_bytes()[:24]  # a PNG of the whole page: signature, then IHDR's width and height
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and width == 1400 and height >= 1000
    if os.environ.get("CM_UPDATE_DOCS_IMAGES"):  # refresh the docs picture only when asked
        shutil.copy(shot, DOCS_IMAGE)


def test_gui_cancel_button_stops_a_run(page, server: Server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "slow.yaml"
    file.write_text(yaml.safe_dump({"name": "slow", "jobs": [{"name": "wait", "exec": "sleep 60"}]}))
    page.goto(server.url + "login")
    page.fill("#token", server.token)
    page.click("form.login button")
    page.set_input_files("#upload-file", str(file))
    page.click("#upload button[type=submit]")
    page.click('button.run[data-workflow="slow"]')
    page.wait_for_selector('tr[data-job="wait"][data-state="running"]', timeout=30_000)
    page.click("#cancel")
    page.wait_for_selector('tr[data-job="wait"][data-state="cancelled"]', timeout=30_000)
    page.wait_for_selector("#run-state.state-cancelled")
    page.wait_for_function(f"() => ({NODE_FILL})('wait') === 'grey'", timeout=30_000)
    page.wait_for_selector("#resume:enabled", timeout=10_000)


def test_gui_run_list_follows_new_runs(page, server: Server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "login")
    page.fill("#token", server.token)
    page.click("form.login button")
    page.wait_for_selector("#runs")
    with server.client() as api:  # a run started elsewhere shows up on the open page, then turns done
        api.post(
            "api/workflows",
            content=yaml.safe_dump({"name": "other", "jobs": [{"name": "x", "exec": "sleep 1"}]}),
        )
        run = api.post("api/workflows/other/runs").json()["id"]
    page.wait_for_selector(f'tr[data-run="{run}"] .state-running', timeout=30_000)
    page.wait_for_selector(f'tr[data-run="{run}"] .state-done', timeout=30_000)
    assert page.inner_text(f'tr[data-run="{run}"] a') == run


ATTACK = """async ([target, text]) => {
  // what any page may send without a CORS preflight: a no-cors text/plain write, then a body-less one
  await fetch(target + "api/workflows?name=evil", {method: "POST", mode: "no-cors",
                                                   headers: {"Content-Type": "text/plain"}, body: text});
  await fetch(target + "api/workflows/mine/runs", {method: "POST", mode: "no-cors"});
  await fetch(target + "api/workflows/mine", {method: "DELETE", mode: "no-cors"}).catch(() => null);
  return "sent";
}"""


def test_a_page_of_another_origin_cannot_write(chromium: str, open_server: Server, tmp_path: Path) -> None:
    """The attack of the issue: a page on another loopback port writes to a --no-auth server."""
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    with open_server.client() as api:
        assert api.post("api/workflows", content=workflow_yaml("mine")).status_code == 201
    (tmp_path / "index.html").write_text("<!doctype html><title>elsewhere</title><p>hello</p>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    evil = yaml.safe_dump({"name": "evil", "jobs": [{"name": "x", "exec": f"touch {tmp_path}/pwned"}]})
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{other.server_address[1]}/index.html")
            assert page.evaluate(ATTACK, [open_server.url, evil]) == "sent"
            # a form of that page (text/plain, as a no-cors fetch can do no more) posts across too
            with page.expect_navigation():
                page.evaluate(
                    """([target, text]) => { const form = document.createElement("form");
                    form.method = "post"; form.enctype = "text/plain"; form.action = target + "api/workflows";
                    const field = document.createElement("input"); field.name = text; field.value = "";
                    form.appendChild(field); document.body.appendChild(form); form.submit(); }""",
                    [open_server.url, evil],
                )
            assert "cross-origin write" in page.content()  # the refusal, shown instead of a result
            browser.close()
    finally:
        other.shutdown()
    with open_server.client() as api:
        assert [w["name"] for w in api.get("api/workflows").json()] == ["mine"]
        assert api.get("api/runs").json() == []
    assert not (tmp_path / "pwned").exists()
