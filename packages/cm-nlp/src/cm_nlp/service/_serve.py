"""``cm-nlp serve``: the app under uvicorn, on loopback by default, with a token unless told not to."""

from __future__ import annotations

from collections.abc import Sequence

from cm_common import InputError, is_loopback, load_or_create_token, say

from ._app import create_app, token_path


def serve(
    host: str = "127.0.0.1", port: int = 8010, no_auth: bool = False, extra_hosts: Sequence[str] = ()
) -> None:
    """Serve until interrupted; ``no_auth`` only on a loopback address."""
    import uvicorn

    if no_auth and not is_loopback(host):
        raise InputError(f"--no-auth is allowed only on a loopback address, not {host!r}")
    token = None if no_auth else load_or_create_token(token_path())
    shown = f"[{host}]" if ":" in host else host
    where = "no token (--no-auth)" if no_auth else f"token in {token_path()}"
    say(f"cm-nlp service on http://{shown}:{port}/ ({where})")
    uvicorn.run(
        create_app(token, host=host, extra_hosts=extra_hosts),
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,
    )
