"""The FastAPI app: translate, sentiment, word clouds and the provider list over REST, errors in JSON.

Every answer to bad input is a 4xx, a provider that fails is a 502 and one that times out a 504.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cm_common import CmError, RequestGuard, allowed_hosts, cm_home, token_matches

from .. import _catalog, _sentiment, _translate, _wordcloud
from .._errors import MissingSetting, ProviderError, ProviderTimeout
from .._models import Failure, TranslationResult
from .._version import __version__
from ._schemas import MAX_TEXT, SentimentRequest, TranslateRequest, WordcloudRequest

MAX_BODY = 4 * 1024 * 1024
OPEN_PATHS = frozenset({"/health"})


def token_path() -> Path:
    """Where the service's token lives: ``$CM_HOME/nlp/token`` (mode 0600)."""
    return cm_home() / "nlp" / "token"


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _status(error: CmError) -> int:
    if isinstance(error, ProviderTimeout):
        return 504
    if isinstance(error, ProviderError):
        return 502
    if isinstance(error, MissingSetting):
        return 503  # the service's own settings lack a key: not the caller's fault
    return 400 if error.exit_code == 2 else 502


router = APIRouter()


@router.get("/health")
def health() -> dict[str, str]:
    """Whether the service answers (no token needed)."""
    return {"status": "ok", "version": __version__}


@router.get("/providers")
def providers(kind: Annotated[str | None, Query(max_length=20)] = None) -> list[dict[str, Any]]:
    """The installed providers: kind, whether a key is needed, whether it is configured."""
    return _catalog.provider_records(kind)


def _translated(body: TranslateRequest) -> Any:
    texts = [body.text] if isinstance(body.text, str) else body.text
    results = _translate.translate_many(
        texts, target=body.target, source=body.source, provider=body.provider, cache=body.cache
    )
    if isinstance(body.text, str):
        first = results[0]
        if isinstance(first, Failure):
            first.raise_error()
        return first.record()
    failures = [item.record() for item in results if isinstance(item, Failure)]
    if len(failures) == len(results):
        first_failure = results[0]
        assert isinstance(first_failure, Failure)
        first_failure.raise_error()  # the whole batch failed: the provider is down
    done = [item.record() for item in results if isinstance(item, TranslationResult)]
    return {"results": done, "failures": failures}


@router.post("/translate")
def translate_post(body: TranslateRequest) -> Any:
    """Translate one text (a result) or a batch (``results`` and per-item ``failures``)."""
    return _translated(body)


@router.get("/translate")
def translate_get(
    text: Annotated[str, Query(min_length=1, max_length=MAX_TEXT)],
    target: Annotated[str, Query(max_length=40)] = "en",
    source: Annotated[str, Query(max_length=40)] = "auto",
    provider: Annotated[str | None, Query(max_length=40)] = None,
) -> Any:
    """Translate one text given in the query."""
    return _translated(TranslateRequest(text=text, target=target, source=source, provider=provider))


def _scored(body: SentimentRequest) -> Any:
    texts = [body.text] if isinstance(body.text, str) else body.text
    results = [result.record() for result in _sentiment.sentiment_many(texts, provider=body.provider)]
    return results[0] if isinstance(body.text, str) else results


@router.post("/sentiment")
def sentiment_post(body: SentimentRequest) -> Any:
    """The sentiment of one text or of a batch."""
    return _scored(body)


@router.get("/sentiment")
def sentiment_get(
    text: Annotated[str, Query(min_length=1, max_length=MAX_TEXT)],
    provider: Annotated[str | None, Query(max_length=40)] = None,
) -> Any:
    """The sentiment of one text given in the query."""
    return _scored(SentimentRequest(text=text, provider=provider))


def _cloud(body: WordcloudRequest) -> Response:
    image = _wordcloud.wordcloud_image(
        body.text, image_format=body.format, width=body.width, height=body.height, max_words=body.max_words
    )
    return Response(image, media_type="image/svg+xml" if body.format == "svg" else "image/png")


@router.post("/wordcloud", response_class=Response)
def wordcloud_post(body: WordcloudRequest) -> Response:
    """A word cloud of the text, as image/png (or image/svg+xml with ``format: svg``)."""
    return _cloud(body)


@router.get("/wordcloud", response_class=Response)
def wordcloud_get(
    text: Annotated[str, Query(min_length=1, max_length=MAX_TEXT)],
    width: Annotated[int, Query(ge=16, le=2000)] = 800,
    height: Annotated[int, Query(ge=16, le=2000)] = 400,
) -> Response:
    """A word cloud (image/png) of a text given in the query."""
    return _cloud(WordcloudRequest(text=text, width=width, height=height))


class TokenGate:
    """ASGI middleware answering 401 to every request but the health check without the token,
    before routing or body parsing."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        if token_matches(self.token, header):
            await self.app(scope, receive, send)
            return
        answer = _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
        await answer(scope, receive, send)


async def _cm_error(request: Request, error: CmError) -> Response:
    return _error(_status(error), error.message)


async def _invalid(request: Request, error: RequestValidationError) -> Response:
    first = error.errors()[0] if error.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return _error(422, f"{where}: {first.get('msg', 'invalid')}")


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    return _error(error.status_code, str(error.detail), dict(error.headers or {}))


async def _crash(request: Request, error: Exception) -> Response:
    return _error(500, f"internal error: {type(error).__name__}")


def create_app(
    token: str | None, *, host: str = "127.0.0.1", extra_hosts: Sequence[str] = (), max_body: int = MAX_BODY
) -> FastAPI:
    """The service's app; ``token`` None turns authentication off (``serve`` allows that on loopback only).

    It answers to the Host names of ``host`` (its loopback names for a loopback address) and ``extra_hosts``.
    """
    app = FastAPI(
        title="cm-nlp service",
        version=__version__,
        description="Translation, sentiment and word clouds over many providers. Every endpoint but "
        "/health needs `Authorization: Bearer TOKEN` (the token is in $CM_HOME/nlp/token).",
        docs_url=None,
        redoc_url=None,
    )
    app.include_router(router)
    app.add_exception_handler(CmError, _cm_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _crash)
    app.add_middleware(TokenGate, token=token)
    app.add_middleware(
        RequestGuard,
        hosts=allowed_hosts(host, extra=extra_hosts),
        max_body=max_body,
        write_types=frozenset({"application/json"}),
    )
    return app
