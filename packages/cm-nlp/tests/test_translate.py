"""Translation through deep-translator's real LibreTranslator, against a LibreTranslate-protocol
server on 127.0.0.1: records, cache, retries, timeouts, failures per item, limits, settings."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from libre_server import LibreServer

import cm_nlp
from cm_nlp import (
    Failure,
    MissingSetting,
    ProviderError,
    ProviderTimeout,
    TranslationResult,
    UnknownLanguage,
    UnknownProvider,
)
from cm_nlp._calls import Limiter

REFERENCE_KEYS = {
    "input",
    "input_language",
    "output",
    "output_language",
    "provider",
    "date",
    "time",
    "characters",
}


def test_translate_record_has_the_reference_keys(libre_settings: LibreServer) -> None:
    result = cm_nlp.translate("hello world", source="en", target="de")
    record = result.record()
    assert set(record) >= REFERENCE_KEYS
    assert record["output"] == "de:HELLO WORLD"
    assert (record["input_language"], record["output_language"], record["provider"]) == ("en", "de", "libre")
    assert record["characters"] == 11
    assert datetime.fromisoformat(record["date"]).utcoffset() is not None  # ISO 8601 with a time zone
    assert 0 < record["time"] < 5
    assert libre_settings.calls["hello world"] == 1


def test_language_names_become_codes(libre_settings: LibreServer) -> None:
    result = cm_nlp.translate("hi", source="English", target="german")
    assert (result.input_language, result.output_language, result.output) == ("en", "de", "de:HI")


def test_cached_repeat_is_not_paid_twice(libre_settings: LibreServer, cm_home: Path) -> None:
    first = cm_nlp.translate("cache me", target="fr")
    again = cm_nlp.translate("cache me", target="fr")
    assert libre_settings.calls["cache me"] == 1
    assert (first.cached, again.cached) == (False, True)
    assert again.output == first.output and again.time == first.time and again.date == first.date
    assert (cm_home / "nlp" / "cache.sqlite").exists()
    cm_nlp.translate("cache me", target="fr", cache=False)
    assert libre_settings.calls["cache me"] == 2
    cm_nlp.translate("cache me", target="es")  # another target is another entry
    assert libre_settings.calls["cache me"] == 3


def test_batch_goes_on_past_failures_and_reports_each(libre_settings: LibreServer) -> None:
    texts = ["one", "!500 broken", "two", "!slow late", "one", "!flaky then fine"]
    done: list[int] = []
    results = cm_nlp.translate_many(texts, source="en", target="de", progress=done.append)
    assert [type(r).__name__ for r in results] == [
        "TranslationResult",
        "Failure",
        "TranslationResult",
        "Failure",
        "TranslationResult",
        "TranslationResult",
    ]
    broken, late = results[1], results[3]
    assert isinstance(broken, Failure) and isinstance(late, Failure)
    assert (broken.index, broken.timeout, "HTTP 500" in broken.error) == (1, False, True)
    assert (late.index, late.timeout, "within 1 s" in late.error) == (3, True, True)
    assert libre_settings.calls["!500 broken"] == 3  # 1 + 2 retries of a transient 5xx
    assert libre_settings.calls["!flaky then fine"] == 2  # a 503, retried once
    assert libre_settings.calls["one"] == 1  # a text twice in a batch is sent once
    assert done[-1] == len(texts)


def test_timeout_and_server_error_raise_for_one_text(libre_settings: LibreServer) -> None:
    started = time.perf_counter()
    with pytest.raises(ProviderTimeout, match=r"no answer within 1 s"):
        cm_nlp.translate("!slow one", target="de")
    assert time.perf_counter() - started < 2.5 * 3  # three attempts of 1 s, not the server's 2.5 s each
    with pytest.raises(ProviderError, match="HTTP 500"):
        cm_nlp.translate("!500 one", target="de")


def test_wrong_key_is_not_retried(libre_settings: LibreServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CM_NLP_LIBRE_API_KEY", "wrong")  # the environment wins over the settings file
    with pytest.raises(ProviderError, match="refused the credentials"):
        cm_nlp.translate("keyed", target="de")
    assert libre_settings.calls["keyed"] == 1


def test_provider_down_is_a_clear_error(libre_settings: LibreServer) -> None:
    libre_settings.stop()
    with pytest.raises(ProviderError, match="cannot reach the provider"):
        cm_nlp.translate("anyone there", target="de")


def test_unknown_provider_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownProvider) as caught:
        cm_nlp.translate("x", target="de", provider="watson")
    assert "watson" in str(caught.value)
    assert "google" in str(caught.value) and "libre" in str(caught.value)
    assert "vader" not in str(caught.value)  # a sentiment provider does not translate


def test_unknown_language_lists_the_valid_ones(libre_settings: LibreServer) -> None:
    with pytest.raises(UnknownLanguage) as caught:
        cm_nlp.translate("x", target="klingon")
    assert "'klingon'" in str(caught.value) and "de" in str(caught.value).split("valid:")[1]
    assert sum(libre_settings.calls.values()) == 0


def test_missing_key_names_the_setting(libre: LibreServer, cm_home: Path) -> None:
    with pytest.raises(MissingSetting) as caught:
        cm_nlp.translate("x", target="de", provider="libre")
    message = str(caught.value)
    assert "credentials.libre.api_key" in message and "CM_NLP_LIBRE_API_KEY" in message


def test_key_and_endpoint_from_the_environment(libre: LibreServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CM_NLP_LIBRE_API_KEY", libre.key)
    monkeypatch.setenv("CM_NLP_LIBRE_ENDPOINT", libre.url)
    assert cm_nlp.translate("env", target="it", provider="libre").output == "it:ENV"


def test_concurrency_limit_per_provider(libre_settings: LibreServer, cm_home: Path) -> None:
    libre_settings.delay = 0.05
    settings = cm_home / "settings.yaml"
    settings.write_text(settings.read_text().replace("concurrency: 4", "concurrency: 2"))
    results = cm_nlp.translate_many([f"text {i}" for i in range(10)], target="de")
    assert all(isinstance(r, TranslationResult) for r in results)
    assert libre_settings.most_in_flight == 2


def test_rate_limit_spaces_the_call_starts() -> None:
    limiter = Limiter(concurrency=4, rate=20.0)
    starts: list[float] = []
    began = time.monotonic()

    def call() -> None:
        with limiter.slot():
            starts.append(time.monotonic())

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(starts) == 5
    assert max(starts) - began >= 4 * 0.05 - 0.005  # the fifth start waits for four intervals of 1 / 20 s


def test_local_provider_says_how_to_install() -> None:
    with pytest.raises(cm_nlp.NotInstalled, match="pip install argostranslate"):
        cm_nlp.translate("hello", source="en", target="de", provider="local")


def test_listing_providers_imports_none_of_their_libraries(cm_home: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, cm_nlp, cm_nlp.cli; names = cm_nlp.provider_names(); "
        "heavy = ['deep_translator', 'vaderSentiment', 'wordcloud', 'matplotlib', 'fastapi', 'requests']; "
        "print(len(names), [m for m in heavy if m in sys.modules])"
    )
    env = {"CM_HOME": str(cm_home), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    count, loaded = done.stdout.split(" ", 1)
    assert int(count) >= 14 and loaded.strip() == "[]"


def test_help_starts_without_the_models() -> None:
    import subprocess
    import sys

    argv = [sys.executable, "-X", "importtime", "-m", "cm_nlp", "--help"]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "Usage: cm-nlp" in done.stdout and "cm_nlp.cli" in imported
    assert not imported & {"pydantic", "rich.markdown", "cm_nlp._models"}
