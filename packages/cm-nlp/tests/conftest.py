"""Fixtures of the cm-nlp tests: a LibreTranslate-protocol server on 127.0.0.1 and settings for it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from libre_server import LibreServer


@pytest.fixture
def libre() -> Iterator[LibreServer]:
    """A running server speaking LibreTranslate's protocol (api key ``libre-test-key-4711``)."""
    server = LibreServer(key="libre-test-key-4711", slow_seconds=2.5).start()
    yield server
    server.stop()


@pytest.fixture
def libre_settings(libre: LibreServer, cm_home: Path) -> LibreServer:
    """CM_HOME's settings point the ``libre`` provider at the local server, with short timeouts."""
    (cm_home / "settings.yaml").write_text(
        f"credentials:\n  libre:\n    api_key: {libre.key}\n"
        "nlp:\n  provider: libre\n  timeout: 1\n  retries: 2\n  backoff: 0.01\n"
        f"  providers:\n    libre:\n      endpoint: {libre.url.rstrip('/')}\n      concurrency: 4\n"
    )
    return libre
