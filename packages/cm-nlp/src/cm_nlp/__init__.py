"""cm-nlp: one API over many NLP providers.

``translate`` and ``translate_many`` go through deep-translator's providers (or argos-translate
offline) with a timeout around every call, retries of transient failures, per-provider
concurrency and rate limits and a SQLite cache; ``sentiment`` runs VADER offline;
``write_wordcloud``, ``word_frequencies`` and ``histogram_png`` draw a text's words;
``benchmark`` and ``cost_table`` compare providers on speed and price.
"""

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
from ._version import __version__
from ._wordcloud import histogram_png, word_frequencies, wordcloud_image, write_wordcloud

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
