"""Translation: one text or a batch, through the cache, the call policy and the provider."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from cm_common import CmError

from ._cache import Cache
from ._calls import call_provider, with_timeout
from ._config import ProviderConfig, nlp_settings, resolve
from ._errors import ProviderTimeout
from ._models import Failure, TranslationResult, now
from ._provider import Translator
from ._registry import translator

Progress = Callable[[int], None]


def call_once(chosen: Translator, text: str, src: str, tgt: str, config: ProviderConfig) -> TranslationResult:
    """One provider call (no cache), timed; raises what the provider raised after its retries."""

    def work() -> str:
        return chosen.translate(text, src, tgt, config)

    if chosen.offline:  # runs here: no rate limit, no retries, but still a timeout
        started = time.perf_counter()
        output = with_timeout(work, config.timeout, chosen.name)
        seconds = time.perf_counter() - started
    else:
        output, seconds = call_provider(work, chosen.name, config)
    return TranslationResult(
        input=text,
        input_language=src,
        output=output,
        output_language=tgt,
        provider=chosen.name,
        date=now(),
        time=seconds,
        characters=len(text),
    )


def translate(
    text: str,
    *,
    target: str,
    source: str = "auto",
    provider: str | None = None,
    cache: bool | None = None,
) -> TranslationResult:
    """Translate one text.

    Raises UnknownProvider, UnknownLanguage or MissingSetting for bad input, ProviderTimeout or
    ProviderError when the provider fails after its retries. ``provider`` defaults to
    ``nlp.provider`` in the settings (google), ``cache`` to ``nlp.cache`` (on).
    """
    result = translate_many([text], target=target, source=source, provider=provider, cache=cache)[0]
    if isinstance(result, Failure):
        result.raise_error()
    assert isinstance(result, TranslationResult)
    return result


def translate_many(
    texts: Sequence[str],
    *,
    target: str,
    source: str = "auto",
    provider: str | None = None,
    cache: bool | None = None,
    progress: Progress | None = None,
) -> list[TranslationResult | Failure]:
    """Translate many texts, in their order; a failed item is a Failure and the rest goes on.

    Cached texts come from the cache, a text repeated in ``texts`` is sent once, the others go
    to the provider within its concurrency and rate limits. ``progress`` is called with the
    number of texts done so far. Bad input (provider, language, settings) fails the whole batch.
    """
    settings = nlp_settings()
    chosen = translator(provider or settings.provider)
    config = resolve(chosen, settings)
    src, tgt = chosen.code(source, source=True), chosen.code(target, source=False)
    store = Cache() if (settings.cache if cache is None else cache) else None
    try:
        done: dict[str, TranslationResult | Failure] = {}
        if store:
            done.update(store.get_many(chosen.name, src, tgt, texts))
        wanted = Counter(texts)
        count = sum(wanted[text] for text in done)
        if progress:
            progress(count)
        missing = [text for text in wanted if text not in done]
        if missing:
            workers = 1 if chosen.offline else min(config.concurrency, len(missing))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cm-nlp") as pool:
                futures = {pool.submit(call_once, chosen, text, src, tgt, config): text for text in missing}
                for future in as_completed(futures):
                    text = futures[future]
                    done[text] = outcome = _outcome(future, text, chosen.name)
                    if store and isinstance(outcome, TranslationResult):
                        store.put_many(src, [outcome])
                    count += wanted[text]
                    if progress:
                        progress(count)
    finally:
        if store:
            store.close()
    return [_indexed(done[text], index) for index, text in enumerate(texts)]


def _outcome(future: Future[TranslationResult], text: str, provider: str) -> TranslationResult | Failure:
    try:
        return future.result()
    except CmError as error:
        failure = Failure(
            index=0,
            input=text,
            provider=provider,
            error=error.message,
            timeout=isinstance(error, ProviderTimeout),
        )
        failure._cause = error
        return failure


def _indexed(item: TranslationResult | Failure, index: int) -> TranslationResult | Failure:
    if isinstance(item, Failure):
        copy = item.model_copy(update={"index": index})
        copy._cause = item._cause
        return copy
    return item
