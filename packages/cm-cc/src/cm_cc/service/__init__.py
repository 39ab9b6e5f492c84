"""The cm-cc service: a REST API and web GUI over the engine (``cm-cc serve``; needs ``cm-cc[service]``).

from cm_cc.service import create_app

app = create_app(token="secret")  # an ASGI app, e.g. for uvicorn
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """Import the app lazily, so ``cm-cc`` runs without the service's extra packages."""
    if name == "create_app":
        from ._app import create_app

        return create_app
    raise AttributeError(name)
