"""Translation providers through deep-translator, imported only when a provider is used.

deep-translator's translators read API keys from environment defaults at import and set no
timeout on their HTTP calls; here every key is passed explicitly and the caller
(:mod:`cm_nlp._calls`) puts a timeout around the whole call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._config import ProviderConfig
from .._errors import MissingSetting, ProviderError, UnknownLanguage
from .._provider import Setting, Translator

_API_KEY = Setting("api_key", "an API key")


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _endpoint(value: str) -> str:
    return value if value.endswith("/") else value + "/"  # deep-translator appends paths to it


@dataclass(frozen=True, kw_only=True)
class DeepTranslator(Translator):
    """One translator class of deep-translator, with the settings its constructor takes."""

    class_name: str
    languages_name: str | None = None
    codes_first: bool = False
    arguments: Mapping[str, str] = field(default_factory=dict)
    converters: Mapping[str, Callable[[str], Any]] = field(default_factory=dict)

    def languages(self) -> Mapping[str, str] | None:
        if self.languages_name is None:
            return None
        from deep_translator import constants

        table: dict[str, str] = getattr(constants, self.languages_name)
        return {name: code for code, name in table.items()} if self.codes_first else table

    def _kwargs(self, config: ProviderConfig) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        secret = {setting.key for setting in self.settings if setting.secret}
        for key, argument in self.arguments.items():
            if key in config.values:
                kwargs[argument] = self.converters.get(key, str)(config.values[key])
            elif key in secret:
                kwargs[argument] = None  # never the environment default deep-translator read at import
        return kwargs

    def translate(self, text: str, source: str, target: str, config: ProviderConfig) -> str:
        import deep_translator

        cls = getattr(deep_translator, self.class_name)
        try:
            client = cls(source=source, target=target, **self._kwargs(config))
            output = client.translate(text)
        except Exception as error:
            raise _translate_error(self.name, error) from None
        if isinstance(output, list):
            output = output[0] if output else None
        if not isinstance(output, str):
            raise ProviderError(f"{self.name}: no translation in the answer")
        return output


def _status_of(error: Exception) -> int | None:
    from deep_translator.exceptions import ServerException

    codes = {message: code for code, message in ServerException.errors.items()}
    return codes.get(str(error))


def _translate_error(name: str, error: Exception) -> Exception:
    """deep-translator's (and requests') exceptions as cm-nlp errors."""
    import requests
    from deep_translator import exceptions as dt

    if isinstance(error, dt.LanguageNotSupportedException | dt.InvalidSourceOrTargetLanguage):
        return UnknownLanguage(name, str(error.val), [])
    if isinstance(error, dt.NotValidPayload | dt.NotValidLength):
        return ProviderError(f"{name}: {error.message}")
    if isinstance(error, dt.ApiKeyException):
        return MissingSetting(f"{name} needs an API key")
    if isinstance(error, dt.AuthorizationException):
        return ProviderError(f"{name}: the provider refused the credentials")
    if isinstance(error, dt.TooManyRequests):
        return ProviderError(f"{name}: too many requests", transient=True)
    if isinstance(error, dt.ServerException):
        status = _status_of(error)
        transient = status is None or status >= 500 or status == 429
        shown = f"HTTP {status} " if status else ""
        return ProviderError(f"{name}: server error {shown}({error})", transient=transient)
    if isinstance(error, dt.RequestError | requests.ConnectionError | requests.Timeout):
        return ProviderError(f"{name}: cannot reach the provider ({type(error).__name__})", transient=True)
    if isinstance(error, dt.TranslationNotFound | dt.ElementNotFoundInGetRequest):
        return ProviderError(f"{name}: no translation found")
    if isinstance(error, ProviderError | MissingSetting):
        return error
    return ProviderError(f"{name}: {type(error).__name__}: {error}")


google = DeepTranslator(
    name="google",
    description="Google Translate (the free web endpoint)",
    class_name="GoogleTranslator",
    languages_name="GOOGLE_LANGUAGES_TO_CODES",
)
microsoft = DeepTranslator(
    name="microsoft",
    description="Microsoft Azure Translator",
    class_name="MicrosoftTranslator",
    settings=(_API_KEY, Setting("region", "an Azure region", secret=False, required=False)),
    arguments={"api_key": "api_key", "region": "region"},
)
deepl = DeepTranslator(
    name="deepl",
    description="DeepL API (free or pro, setting 'free')",
    class_name="DeeplTranslator",
    languages_name="DEEPL_LANGUAGE_TO_CODE",
    auto_source=False,
    settings=(_API_KEY, Setting("free", "true for the free API", secret=False, required=False)),
    arguments={"api_key": "api_key", "free": "use_free_api"},
    converters={"free": _flag},
)
libre = DeepTranslator(
    name="libre",
    description="LibreTranslate, a public or self-hosted server (setting 'endpoint')",
    class_name="LibreTranslator",
    languages_name="LIBRE_LANGUAGES_TO_CODES",
    settings=(
        _API_KEY,
        Setting("endpoint", "the server's URL", secret=False, required=False),
    ),
    arguments={"api_key": "api_key", "endpoint": "custom_url"},
    converters={"endpoint": _endpoint},
)
mymemory = DeepTranslator(
    name="mymemory",
    description="MyMemory translation memory",
    class_name="MyMemoryTranslator",
    languages_name="MY_MEMORY_LANGUAGES_TO_CODES",
    auto_source=False,
)
yandex = DeepTranslator(
    name="yandex",
    description="Yandex Translate",
    class_name="YandexTranslator",
    settings=(_API_KEY,),
    arguments={"api_key": "api_key"},
)
papago = DeepTranslator(
    name="papago",
    description="Naver Papago",
    class_name="PapagoTranslator",
    languages_name="PAPAGO_LANGUAGE_TO_CODE",
    settings=(Setting("client_id", "a client id"), Setting("secret_key", "a secret key")),
    arguments={"client_id": "client_id", "secret_key": "secret_key"},
)
qcri = DeepTranslator(
    name="qcri",
    description="QCRI machine translation (Arabic, English, Spanish)",
    class_name="QcriTranslator",
    languages_name="QCRI_LANGUAGE_TO_CODE",
    auto_source=False,
    settings=(_API_KEY,),
    arguments={"api_key": "api_key"},
)
baidu = DeepTranslator(
    name="baidu",
    description="Baidu Translate",
    class_name="BaiduTranslator",
    languages_name="BAIDU_LANGUAGE_TO_CODE",
    settings=(Setting("appid", "an app id"), Setting("appkey", "an app key")),
    arguments={"appid": "appid", "appkey": "appkey"},
)
linguee = DeepTranslator(
    name="linguee",
    description="Linguee dictionary (single words)",
    class_name="LingueeTranslator",
    languages_name="LINGUEE_LANGUAGES_TO_CODES",
    auto_source=False,
)
pons = DeepTranslator(
    name="pons",
    description="PONS dictionary (single words)",
    class_name="PonsTranslator",
    languages_name="PONS_CODES_TO_LANGUAGES",
    codes_first=True,
    auto_source=False,
)
chatgpt = DeepTranslator(
    name="chatgpt",
    description="OpenAI chat model (needs the openai package; setting 'model')",
    class_name="ChatGptTranslator",
    settings=(_API_KEY, Setting("model", "a model name", secret=False, required=False)),
    arguments={"api_key": "api_key", "model": "model"},
)
