"""cm-gas: typed Python functions as secure, documented REST services.

from cm_gas import service

def add(x: float, y: float = 0.0) -> float:
    return x + y

app = service(add)  # POST /add {"x": 1, "y": 2} -> 3.0; the OpenAPI 3.1 spec at /openapi.json
"""

from ._app import service
from ._bench import bench
from ._client import Client, Operation, ServiceError
from ._generate import Generated, generate
from ._introspect import Function, Param, describe, describe_all
from ._loader import Source, load
from ._upload import Upload, safe_filename
from ._version import __version__

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
