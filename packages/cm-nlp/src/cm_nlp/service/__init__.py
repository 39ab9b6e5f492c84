"""The REST service of cm-nlp (``pip install 'cm-nlp[service]'``, ``cm-nlp serve``)."""

from ._app import create_app, token_path
from ._serve import serve

__all__ = ["create_app", "serve", "token_path"]
