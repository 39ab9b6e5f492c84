"""Word clouds (PNG or SVG through the ``wordcloud`` package), word frequencies and their histogram."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from cm_common import InputError, atomic_write_bytes

ImageFormat = Literal["png", "svg"]


def _cloud(width: int, height: int, max_words: int, stopwords: Iterable[str] | None, seed: int) -> Any:
    if not (16 <= width <= 8000 and 16 <= height <= 8000):
        raise InputError(f"size {width}x{height}: width and height must be within 16..8000")
    from wordcloud import STOPWORDS, WordCloud

    words = set(STOPWORDS) | {word.lower() for word in stopwords or ()}
    return WordCloud(
        width=width,
        height=height,
        max_words=max_words,
        stopwords=words,
        background_color="white",
        collocations=False,
        random_state=seed,
    )


def word_frequencies(
    text: str, *, stopwords: Iterable[str] | None = None, top: int | None = None
) -> list[tuple[str, int]]:
    """Words of ``text`` (English stop words left out) with their counts, most frequent first."""
    counts = _cloud(400, 200, 200, stopwords, 0).process_text(text)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(word, int(count)) for word, count in ranked[:top]]


def wordcloud_image(
    text: str,
    *,
    image_format: ImageFormat = "png",
    width: int = 800,
    height: int = 400,
    max_words: int = 200,
    stopwords: Iterable[str] | None = None,
    seed: int = 0,
) -> bytes:
    """A word cloud of ``text`` as PNG or SVG bytes; InputError when no word is left to draw."""
    cloud = _cloud(width, height, max_words, stopwords, seed)
    counts = cloud.process_text(text)
    if not counts:
        raise InputError("the text has no words to draw (only stop words, numbers or punctuation)")
    cloud.generate_from_frequencies(counts)
    if image_format == "svg":
        return str(cloud.to_svg()).encode()
    buffer = io.BytesIO()
    cloud.to_image().save(buffer, format="PNG")
    return buffer.getvalue()


def image_format_of(path: Path) -> ImageFormat:
    """png or svg from a file name; InputError for anything else."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "png":
        return "png"
    if suffix == "svg":
        return "svg"
    raise InputError(f"{path}: the image must end in .png or .svg")


def write_wordcloud(text: str, path: Path, **options: Any) -> Path:
    """Write a word cloud of ``text`` to ``path`` (.png or .svg) atomically."""
    atomic_write_bytes(path, wordcloud_image(text, image_format=image_format_of(path), **options))
    return path


def histogram_png(frequencies: list[tuple[str, int]], *, title: str = "word frequencies") -> bytes:
    """A bar chart (PNG) of word counts, most frequent on top."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not frequencies:
        raise InputError("no words to plot")
    words = [word for word, _ in reversed(frequencies)]
    counts = [count for _, count in reversed(frequencies)]
    figure = Figure(figsize=(8, max(3.0, 0.3 * len(words) + 1)), layout="tight")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.barh(words, counts, color="#4c72b0")
    axes.set_xlabel("count")
    axes.set_title(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
