"""cm-nlp: sentiment of up to 10,000 sentences, and a cached repeat of a translation batch against the
first pass, beside the reference cloudmesh-nlp where it installs.

    python benchmarks/bench_nlp.py [--full]

Sentiment: ``cm-nlp sentiment --file F -o json`` as a whole command on 100, 1,000 and 10,000
sentences (100,000 with ``--full``); the floor is a bare Python process that loads VADER and
scores the same lines, with nothing else to do.

Translation: a batch of 1,000 distinct texts through deep-translator's real LibreTranslator to a
LibreTranslate-protocol server on 127.0.0.1 (answers at once: the first pass pays local HTTP only,
the worst case for the ratio; a cloud provider's round trip makes the first pass far slower). The
first pass starts from an empty cache; the repeat answers from the SQLite cache. Both are timed
in one process (``translate_many``) and as whole commands (``cm-nlp translate --file F``).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from _suite import (
    BIN,
    FULL,
    REPEAT,
    Run,
    Series,
    measure,
    python_floor,
    reference_venv,
    say,
    sizes,
    write_result,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "packages" / "cm-nlp" / "tests"))
from libre_server import LibreServer

BATCH = 10_000 if FULL else 1_000
WORDS = ["good", "bad", "great", "terrible", "fine", "awful", "lovely", "boring", "happy", "sad"]
FLOOR = """
import sys
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
analyzer = SentimentIntensityAnalyzer()
for line in open(sys.argv[1]):
    if line.strip():
        analyzer.polarity_scores(line.strip())
"""


def sentences(count: int) -> str:
    """``count`` distinct review-like sentences, one a line."""
    return "".join(
        f"Review {i}: the {WORDS[i % 10]} film was {WORDS[(i * 7) % 10]}, not {WORDS[(i * 3) % 10]} at all!\n"
        for i in range(count)
    )


def bench_sentiment(started: float, reference_note: str) -> None:
    ours = Series("cm-nlp sentiment (command)", "ours")
    floor = Series("VADER alone (python -c)", "floor")
    with tempfile.TemporaryDirectory(prefix="bench-nlp-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        env = {**os.environ, "CM_HOME": str(home)}
        for index, count in enumerate(sizes()):
            say(f"sentiment of {count} sentences")
            texts = Path(tmp) / f"sentences-{count}.txt"
            texts.write_text(sentences(count))
            argv = [str(BIN / "cm-nlp"), "sentiment", "--file", str(texts), "-o", "json"]
            runs = [
                (ours, Run(argv, Path(tmp), env=env)),
                (floor, Run([*python_floor(FLOOR), str(texts)], Path(tmp))),
            ]
            measure(count, runs, warm=index == 0)
    notes = [
        "Whole commands, output as JSON to /dev/null; the floor loads VADER and scores the same lines.",
        reference_note + " cloudmesh-nlp has no sentiment analysis in any case.",
    ]
    write_result("nlp_sentiment", "cm-nlp sentiment", "sentences", [ours, floor], notes, started)


def _settings(home: Path, server: LibreServer) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.yaml").write_text(
        f"credentials:\n  libre:\n    api_key: {server.key}\n"
        "nlp:\n  provider: libre\n  providers:\n    libre:\n"
        f"      endpoint: {server.url}\n      concurrency: 8\n"
    )
    return {**os.environ, "CM_HOME": str(home)}


def _clear_cache(home: Path) -> None:
    shutil.rmtree(home / "nlp", ignore_errors=True)


def _in_process(texts: list[str], home: Path) -> tuple[list[float], list[float]]:
    """Seconds of REPEAT first passes (each from an empty cache) and of REPEAT cached repeats."""
    import cm_nlp

    os.environ["CM_HOME"] = str(home)
    first: list[float] = []
    cached: list[float] = []
    for _ in range(REPEAT):
        _clear_cache(home)
        start = time.perf_counter()
        results = cm_nlp.translate_many(texts, source="en", target="de")
        first.append(time.perf_counter() - start)
        assert all(isinstance(r, cm_nlp.TranslationResult) and not r.cached for r in results)
        start = time.perf_counter()
        again = cm_nlp.translate_many(texts, source="en", target="de")
        cached.append(time.perf_counter() - start)
        assert all(isinstance(r, cm_nlp.TranslationResult) and r.cached for r in again)
    return first, cached


def bench_cache(started: float, reference_note: str) -> None:
    server = LibreServer(key="bench-key").start()
    texts = [f"sentence number {i} to translate" for i in range(BATCH)]
    first = Series("cm-nlp translate, first pass (command)", "ours")
    cached = Series("cm-nlp translate, cached repeat (command)", "ours")
    in_first = Series("translate_many, first pass (in process)", "ours")
    in_cached = Series("translate_many, cached repeat (in process)", "ours")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-nlp-") as tmp:
            home = Path(tmp) / "home"
            env = _settings(home, server)
            say(f"translation batch of {BATCH} texts, in process")
            seconds_first, seconds_cached = _in_process(texts, home)
            rss = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]  # this process, server included
            in_first.add(BATCH, seconds_first, rss)
            in_cached.add(BATCH, seconds_cached, rss)
            ratio = statistics.median(seconds_first) / statistics.median(seconds_cached)
            say(
                f"  first pass median {statistics.median(seconds_first):.3f} s, cached repeat median "
                f"{statistics.median(seconds_cached):.4f} s: {ratio:.0f}x"
            )
            file = Path(tmp) / "texts.txt"
            file.write_text("\n".join(texts) + "\n")
            argv = [
                str(BIN / "cm-nlp"),
                "translate",
                "--file",
                str(file),
                "--from",
                "en",
                "--to",
                "de",
                "-o",
                "json",
            ]
            say(f"translation batch of {BATCH} texts, as commands")
            measure(
                BATCH,
                [(first, Run(argv, Path(tmp), env=env, before=partial(_clear_cache, home)))],
            )
            measure(BATCH, [(cached, Run(argv, Path(tmp), env=env))], warm=True)
    finally:
        server.stop()
    command_ratio = first.points[0]["median"] / cached.points[0]["median"]
    say(f"  as commands: {command_ratio:.1f}x (each command's start-up included)")
    notes = [
        f"{BATCH} distinct texts to a LibreTranslate-protocol server on 127.0.0.1 that answers at once.",
        f"In process: the cached repeat is {ratio:.0f}x faster than the first pass (medians of {REPEAT}).",
        f"As whole commands: {command_ratio:.1f}x (start-up and JSON output of {BATCH} records included).",
        reference_note,
    ]
    write_result(
        "nlp_cache", "cm-nlp translation cache", "texts", [in_first, in_cached, first, cached], notes, started
    )


def main() -> None:
    started = time.perf_counter()
    reference = reference_venv("nlp-ref", ["cloudmesh-nlp"])
    if reference is None:
        note = "cloudmesh-nlp could not be installed from PyPI here (no such distribution): ours alone."
    else:
        note = "cloudmesh-nlp installed, but its providers are hard-wired to cloud endpoints: ours alone."
    say(note)
    bench_sentiment(started, note)
    bench_cache(started, note)


if __name__ == "__main__":
    main()
