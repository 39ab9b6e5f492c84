"""cm-nlp: one API over many NLP providers.

``translate`` and ``translate_many`` go through deep-translator's providers (or argos-translate
offline) with a timeout around every call, retries of transient failures, per-provider
concurrency and rate limits and a SQLite cache; ``sentiment`` runs VADER offline;
``write_wordcloud``, ``word_frequencies`` and ``histogram_png`` draw a text's words;
``benchmark`` and ``cost_table`` compare providers on speed and price.
"""

from typing import TYPE_CHECKING

from cm_common import lazy_exports

from ._version import __version__

if TYPE_CHECKING:
    from ._bench import Latency, benchmark, latency_png
    from ._cache import Cache, cache_path
    from ._config import NlpSettings, ProviderConfig, ProviderSettings
    from ._cost import Price, PriceTable, cost_table, load_prices
    from ._errors import (
        MissingSetting,
        NotInstalled,
        ProviderError,
        ProviderTimeout,
        UnknownLanguage,
        UnknownProvider,
    )
    from ._models import Failure, Scores, SentimentResult, TranslationResult
    from ._provider import Provider, SentimentAnalyzer, Setting, Translator
    from ._registry import all_providers, get_provider, provider_names
    from ._sentiment import sentiment, sentiment_many
    from ._translate import translate, translate_many
    from ._wordcloud import histogram_png, word_frequencies, wordcloud_image, write_wordcloud

# Imported when first used, so that `--help` and each command load only what they need.
_LATER = {
    "Latency": "._bench",
    "benchmark": "._bench",
    "latency_png": "._bench",
    "Cache": "._cache",
    "cache_path": "._cache",
    "NlpSettings": "._config",
    "ProviderConfig": "._config",
    "ProviderSettings": "._config",
    "Price": "._cost",
    "PriceTable": "._cost",
    "cost_table": "._cost",
    "load_prices": "._cost",
    "MissingSetting": "._errors",
    "NotInstalled": "._errors",
    "ProviderError": "._errors",
    "ProviderTimeout": "._errors",
    "UnknownLanguage": "._errors",
    "UnknownProvider": "._errors",
    "Failure": "._models",
    "Scores": "._models",
    "SentimentResult": "._models",
    "TranslationResult": "._models",
    "Provider": "._provider",
    "SentimentAnalyzer": "._provider",
    "Setting": "._provider",
    "Translator": "._provider",
    "all_providers": "._registry",
    "get_provider": "._registry",
    "provider_names": "._registry",
    "sentiment": "._sentiment",
    "sentiment_many": "._sentiment",
    "translate": "._translate",
    "translate_many": "._translate",
    "histogram_png": "._wordcloud",
    "word_frequencies": "._wordcloud",
    "wordcloud_image": "._wordcloud",
    "write_wordcloud": "._wordcloud",
}
__getattr__ = lazy_exports(__name__, _LATER)


__all__ = [
    "Cache",
    "Failure",
    "Latency",
    "MissingSetting",
    "NlpSettings",
    "NotInstalled",
    "Price",
    "PriceTable",
    "Provider",
    "ProviderConfig",
    "ProviderError",
    "ProviderSettings",
    "ProviderTimeout",
    "Scores",
    "SentimentAnalyzer",
    "SentimentResult",
    "Setting",
    "TranslationResult",
    "Translator",
    "UnknownLanguage",
    "UnknownProvider",
    "__version__",
    "all_providers",
    "benchmark",
    "cache_path",
    "cost_table",
    "get_provider",
    "histogram_png",
    "latency_png",
    "load_prices",
    "provider_names",
    "sentiment",
    "sentiment_many",
    "translate",
    "translate_many",
    "word_frequencies",
    "wordcloud_image",
    "write_wordcloud",
]
