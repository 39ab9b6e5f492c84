"""Fixtures of the cm-vm tests: a real moto EC2 server on 127.0.0.1, and clouds in the test's settings."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from vm_helpers import MotoServer, write_settings


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """A moto server (EC2 API over HTTP) on a free 127.0.0.1 port, for the whole session."""
    server = MotoServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws(moto_server: MotoServer, cm_home: Path) -> str:
    """A cloud ``aws`` whose libcloud EC2 driver talks to the moto server (reset for each test)."""
    moto_server.reset()
    write_settings(
        cm_home,
        {
            "clouds": {
                "aws": {
                    "kind": "aws",
                    "endpoint": moto_server.url,
                    "region": "us-east-1",
                    "credentials": {"key": "testing", "secret": "testing-secret"},
                    "defaults": {"image": moto_server.image, "size": "t2.micro", "username": "ubuntu"},
                }
            }
        },
    )
    return "aws"
