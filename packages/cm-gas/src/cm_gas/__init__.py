"""cm-gas: typed Python functions as secure, documented REST services.

from cm_gas import service

def add(x: float, y: float = 0.0) -> float:
    return x + y

app = service(add)  # POST /add {"x": 1, "y": 2} -> 3.0; the OpenAPI 3.1 spec at /openapi.json
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cm_common import lazy_exports

from ._introspect import Function, Param, describe, describe_all
from ._loader import Source, load
from ._upload import Upload, safe_filename
from ._version import __version__

if TYPE_CHECKING:
    from ._app import service
    from ._bench import bench
    from ._client import Client, Operation, ServiceError
    from ._generate import Generated, generate

# Imported when first used: FastAPI and httpx take half a second, which `cm-gas --help` need not pay.
_LATER = {
    "service": "._app",
    "bench": "._bench",
    "Client": "._client",
    "Operation": "._client",
    "ServiceError": "._client",
    "Generated": "._generate",
    "generate": "._generate",
}

__all__ = [
    "Client",
    "Function",
    "Generated",
    "Operation",
    "Param",
    "ServiceError",
    "Source",
    "Upload",
    "__version__",
    "bench",
    "describe",
    "describe_all",
    "generate",
    "load",
    "safe_filename",
    "service",
]


__getattr__ = lazy_exports(__name__, _LATER)
