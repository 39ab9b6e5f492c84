"""A local HTTP server speaking LibreTranslate's protocol, for tests and the benchmark.

deep-translator's real LibreTranslator talks to it: ``POST /translate`` with ``q``, ``source``,
``target``, ``format`` and ``api_key`` as query parameters, answered with
``{"translatedText": ...}``. What it answers is steered by the text:

- ``!500 ...``: HTTP 500, every time;
- ``!flaky ...``: HTTP 503 the first time this text comes, then a translation;
- ``!slow ...``: the answer comes after ``slow_seconds``;
- anything else: ``"<target>:" + text.upper()`` after ``delay`` seconds.

A wrong ``api_key`` gets 403.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class LibreServer(ThreadingHTTPServer):
    """The server; ``calls`` counts translation requests by text, ``most_in_flight`` the most at once."""

    daemon_threads = True

    def __init__(self, key: str = "secret", delay: float = 0.0, slow_seconds: float = 2.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.key = key
        self.delay = delay
        self.slow_seconds = slow_seconds
        self.calls: Counter[str] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """The base URL, with the trailing slash deep-translator needs."""
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def start(self) -> LibreServer:
        """Serve in a daemon thread."""
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: LibreServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        params = {key: values[0] for key, values in {**form, **parse_qs(url.query)}.items()}
        if url.path != "/translate":
            self._answer(404, {"error": "not found"})
            return
        text = params.get("q", "")
        with self.server.lock:
            self.server.calls[text] += 1
            seen = self.server.calls[text]
            self.server.in_flight += 1
            self.server.most_in_flight = max(self.server.most_in_flight, self.server.in_flight)
        try:
            if params.get("api_key") != self.server.key:
                self._answer(403, {"error": "Invalid API key"})
            else:
                self._translate(text, seen, params.get("target", ""))
        finally:
            with self.server.lock:
                self.server.in_flight -= 1

    def _translate(self, text: str, seen: int, target: str) -> None:
        if text.startswith("!500"):
            self._answer(500, {"error": "internal"})
        elif text.startswith("!flaky") and seen == 1:
            self._answer(503, {"error": "busy"})
        else:
            time.sleep(self.server.slow_seconds if text.startswith("!slow") else self.server.delay)
            self._answer(200, {"translatedText": f"{target}:{text.upper()}"})
