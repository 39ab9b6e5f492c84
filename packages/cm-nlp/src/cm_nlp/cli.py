"""The ``cm-nlp`` command (also ``cm nlp``): translate, sentiment, word clouds, providers, benchmark, cost."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from cm_common import (
    InputError,
    OutputOption,
    RuntimeFailure,
    atomic_write_bytes,
    command_app,
    output_format,
    print_records,
    progress_bar,
    read_text,
    say,
)
from cm_common import run as run_app

from ._version import __version__

app = command_app(
    "nlp",
    help="NLP providers behind one interface: translate, sentiment, word clouds, benchmark, cost, serve.",
)

TRANSLATE_COLUMNS = ["input", "output", "provider", "input_language", "output_language", "time", "cached"]
SENTIMENT_COLUMNS = ["input", "label", "compound", "positive", "negative", "neutral"]
PROVIDER_COLUMNS = ["name", "kind", "needs_key", "configured", "description", "settings"]
LATENCY_COLUMNS = ["provider", "calls", "failed", "min", "median", "max", "error"]
COST_COLUMNS = ["provider", "chars", "per", "free", "billable", "cost", "currency", "note", "prices_of"]
_SHOWN_FAILURES = 10

TextsArgument = Annotated[list[str] | None, typer.Argument(help="texts (or --file)", show_default=False)]
FileOption = Annotated[
    Path | None, typer.Option("--file", "-f", help="one text a line ('-': stdin)", show_default=False)
]
ProviderOption = Annotated[
    str | None, typer.Option("--provider", "-p", help="default from the settings", show_default=False)
]
LimitOption = Annotated[int, typer.Option("--limit", help="rows shown in a table (0: all)")]


def _texts(texts: Sequence[str] | None, file: Path | None) -> list[str]:
    """The texts of the arguments, or of the file (one a line, blank lines skipped)."""
    if texts and file:
        raise InputError("give texts or --file, not both")
    if file is not None:
        content = sys.stdin.read() if str(file) == "-" else read_text(file)
        found = [line.strip() for line in content.splitlines() if line.strip()]
        if not found:
            raise InputError(f"{file}: no text in it (one text a line)")
        return found
    if not texts:
        raise InputError("no text: give one or more texts, or --file FILE")
    return list(texts)


def _show(records: list[dict[str, Any]], output: OutputOption, columns: list[str], limit: int) -> None:
    fmt = output_format(output)
    if fmt == "table" and limit and len(records) > limit:
        print_records(records[:limit], fmt, columns=columns, title=f"first {limit} of {len(records)}")
    elif records:
        print_records(records, fmt, columns=None if fmt != "table" else columns)


@app.command()
def translate(
    texts: TextsArgument = None,
    file: FileOption = None,
    provider: ProviderOption = None,
    source: Annotated[str, typer.Option("--from", help="source language, code or name")] = "auto",
    target: Annotated[str, typer.Option("--to", help="target language, code or name")] = "en",
    no_cache: Annotated[bool, typer.Option("--no-cache", help="ask the provider even when cached")] = False,
    limit: LimitOption = 20,
    output: OutputOption = None,
) -> None:
    """Translate texts, e.g. cm-nlp translate --provider google --from en --to de hello."""
    from ._models import Failure, TranslationResult
    from ._translate import translate_many

    items = _texts(texts, file)
    started = time.perf_counter()
    with progress_bar(len(items), "translating") as progress:
        results = translate_many(
            items, target=target, source=source, provider=provider, cache=not no_cache, progress=progress
        )
    seconds = time.perf_counter() - started
    done = [result for result in results if isinstance(result, TranslationResult)]
    failed = [result for result in results if isinstance(result, Failure)]
    _show([result.record() for result in done], output, TRANSLATE_COLUMNS, limit)
    for failure in failed[:_SHOWN_FAILURES]:
        say(f"failed: line {failure.index + 1}: {failure.error}")
    if len(failed) > _SHOWN_FAILURES:
        say(f"... and {len(failed) - _SHOWN_FAILURES} more failures")
    cached = sum(1 for result in done if result.cached)
    if len(items) > 1:
        say(
            f"translated {len(done)} of {len(items)} ({cached} cached, {len(failed)} failed)"
            f" in {seconds:.2f} s"
        )
    if failed:
        raise RuntimeFailure(f"{len(failed)} of {len(items)} texts failed (first: {failed[0].error})")


@app.command()
def sentiment(
    texts: TextsArgument = None,
    file: FileOption = None,
    provider: ProviderOption = None,
    limit: LimitOption = 20,
    output: OutputOption = None,
) -> None:
    """Sentiment of texts (VADER offline by default): label and scores."""
    from ._sentiment import sentiment_many

    items = _texts(texts, file)
    started = time.perf_counter()
    with progress_bar(len(items), "sentiment") as progress:
        results = sentiment_many(items, provider=provider, progress=progress)
    _show([result.record() for result in results], output, SENTIMENT_COLUMNS, limit)
    if len(items) > 1:
        labels = {
            label: sum(1 for r in results if r.label == label)
            for label in ("positive", "neutral", "negative")
        }
        mean = sum(r.compound for r in results) / len(results)
        counts = ", ".join(f"{count} {label}" for label, count in labels.items())
        say(
            f"{len(results)} texts: {counts}; mean compound {mean:.3f}"
            f" ({time.perf_counter() - started:.2f} s)"
        )


@app.command()
def wordcloud(
    file: Annotated[Path, typer.Argument(help="a text file ('-': stdin)")],
    out: Annotated[Path, typer.Option("--out", "-O", help="the image, .png or .svg")] = Path("wordcloud.png"),
    width: Annotated[int, typer.Option(help="pixels")] = 800,
    height: Annotated[int, typer.Option(help="pixels")] = 400,
    max_words: Annotated[int, typer.Option("--max-words", min=1, help="words drawn at most")] = 200,
    stopwords: Annotated[
        str, typer.Option("--stopwords", help="more words to leave out, comma-separated")
    ] = "",
    top: Annotated[int, typer.Option("--top", min=1, help="words in the frequency table")] = 20,
    histogram: Annotated[
        Path | None, typer.Option("--histogram", help="also a bar chart of the top words (.png)")
    ] = None,
    output: OutputOption = None,
) -> None:
    """Draw a word cloud of a text (PNG or SVG) and print its most frequent words."""
    from ._wordcloud import histogram_png, image_format_of, word_frequencies, write_wordcloud

    image_format_of(out)
    if histogram is not None and histogram.suffix.lower() != ".png":
        raise InputError(f"--histogram {histogram}: the histogram is a .png")
    text = sys.stdin.read() if str(file) == "-" else read_text(file)
    extra = [word.strip() for word in stopwords.split(",") if word.strip()]
    write_wordcloud(text, out, width=width, height=height, max_words=max_words, stopwords=extra)
    frequencies = word_frequencies(text, stopwords=extra, top=top)
    if histogram is not None:
        atomic_write_bytes(
            histogram, histogram_png(frequencies, title=f"top {len(frequencies)} words of {file}")
        )
    print_records(
        [{"word": word, "count": count} for word, count in frequencies],
        output_format(output),
        ["word", "count"],
    )
    say(f"wrote {out}" + (f" and {histogram}" if histogram else ""))


@app.command()
def providers(
    kind: Annotated[str | None, typer.Option(help="translation or sentiment")] = None,
    output: OutputOption = None,
) -> None:
    """The installed providers: kind, whether they need a key and whether it is configured."""
    from ._catalog import provider_records

    rows = provider_records(kind)
    print_records(rows, output_format(output), PROVIDER_COLUMNS)


@app.command()
def benchmark(
    provider_list: Annotated[str, typer.Option("--providers", help="comma-separated, e.g. google,libre")],
    text: Annotated[str, typer.Option("--text", help="the text each call translates")] = "Hello, world.",
    source: Annotated[str, typer.Option("--from", help="source language")] = "auto",
    target: Annotated[str, typer.Option("--to", help="target language")] = "de",
    repeat: Annotated[int, typer.Option("--repeat", "-n", min=1, help="calls per provider")] = 5,
    plot: Annotated[Path | None, typer.Option("--plot", help="a box plot of the latencies (.png)")] = None,
    output: OutputOption = None,
) -> None:
    """Latency of translation providers side by side (min, median, max seconds per call; no cache)."""
    from ._bench import benchmark as run_benchmark
    from ._bench import latency_png

    names = [name.strip() for name in provider_list.split(",") if name.strip()]
    if not names:
        raise InputError("--providers: name at least one provider")
    if plot is not None and plot.suffix.lower() != ".png":
        raise InputError(f"--plot {plot}: the plot is a .png")
    with progress_bar(len(names) * repeat, "calls") as progress:
        results = run_benchmark(names, text, target=target, source=source, repeat=repeat, progress=progress)
    print_records([result.record() for result in results], output_format(output), LATENCY_COLUMNS)
    if plot is not None:
        atomic_write_bytes(plot, latency_png(results, title=f"latency of {repeat} calls per provider"))
        say(f"wrote {plot}")


@app.command()
def cost(
    chars: Annotated[int, typer.Option("--chars", min=0, help="characters translated per period")],
    per: Annotated[str, typer.Option("--per", help="day or month")] = "month",
    prices: Annotated[Path | None, typer.Option("--prices", help="your own price table (YAML)")] = None,
    output: OutputOption = None,
) -> None:
    """What translating N characters per day or month costs with each provider."""
    from ._cost import cost_table, load_prices

    if per not in ("day", "month"):
        raise InputError(f"--per: expected day or month, got {per!r}")
    table = load_prices(prices)
    print_records(
        cost_table(chars, "day" if per == "day" else "month", table), output_format(output), COST_COLUMNS
    )
    say(f"prices of {table.date} ({table.currency}); check the providers' pages before relying on them")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8010,
    no_auth: Annotated[bool, typer.Option("--no-auth", help="no token (only on a loopback address)")] = False,
    allow_host: Annotated[
        list[str] | None, typer.Option("--allow-host", help="another Host name the service answers to")
    ] = None,
) -> None:
    """Serve the REST API (token in $CM_HOME/nlp/token, made on first start)."""
    try:
        from .service import serve as run_service
    except ImportError:
        raise InputError("the service needs its extra packages: pip install 'cm-nlp[service]'") from None
    run_service(host=host, port=port, no_auth=no_auth, extra_hosts=allow_host or [])


def main() -> NoReturn:
    """Entry point of the ``cm-nlp`` command."""
    run_app(app, prog_name="cm-nlp", version=__version__)
