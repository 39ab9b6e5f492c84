"""Word clouds drawn for real and opened again; frequencies; the histogram; the price table."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

import cm_nlp
from cm_common import InputError

TEXT = (
    "Clouds of words show the words of a text. The more often a word comes, the larger it is drawn. "
    "Words, words, words: analysts compare providers, providers compare prices, prices change."
)


def _ink(image: Image.Image) -> float:
    """The share of pixels that are not the white background."""
    rgb = image.convert("RGB")
    counts = rgb.getcolors(maxcolors=rgb.width * rgb.height) or []
    white = sum(count for count, colour in counts if colour == (255, 255, 255))
    return 1 - white / (rgb.width * rgb.height)


def test_png_has_the_size_and_is_not_blank(tmp_path: Path) -> None:
    out = cm_nlp.write_wordcloud(TEXT, tmp_path / "cloud.png", width=640, height=320)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (640, 320)
        assert 0.02 < _ink(image) < 0.9
        assert len(image.convert("RGB").getcolors(maxcolors=640 * 320) or []) > 10


def test_svg(tmp_path: Path) -> None:
    out = cm_nlp.write_wordcloud(TEXT, tmp_path / "cloud.svg", width=300, height=200)
    svg = out.read_text()
    assert svg.startswith("<svg") and ">word<" in svg and 'width="300"' in svg


def test_frequencies_leave_out_stop_words() -> None:
    ranked = cm_nlp.word_frequencies(TEXT, top=3)
    assert ranked[0][0].lower() == "word" and ranked[0][1] >= 5  # plurals counted with the singular
    everything = dict(cm_nlp.word_frequencies(TEXT))
    assert "the" not in everything and "of" not in everything
    assert "providers" not in dict(cm_nlp.word_frequencies(TEXT, stopwords=["providers"]))


def test_histogram_png() -> None:
    data = cm_nlp.histogram_png(cm_nlp.word_frequencies(TEXT, top=5))
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.width > 300 and _ink(image) > 0.01


def test_no_words_and_bad_names_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no words"):
        cm_nlp.wordcloud_image("the and of 123 !!!")
    with pytest.raises(InputError, match=r"\.png or \.svg"):
        cm_nlp.write_wordcloud(TEXT, tmp_path / "cloud.jpg")
    assert not (tmp_path / "cloud.jpg").exists()


def test_cost_per_month_and_day() -> None:
    month = {row["provider"]: row for row in cm_nlp.cost_table(3_000_000, "month")}
    assert month["google"]["billable"] == 2_500_000 and month["google"]["cost"] == 50.0
    assert month["microsoft"]["cost"] == 10.0
    assert month["libre"]["cost"] == 0.0 and month["libre"]["free"] == "unlimited"
    assert month["mymemory"]["cost"] is None and "free tier" in month["mymemory"]["note"]
    day = {row["provider"]: row for row in cm_nlp.cost_table(100_000, "day")}
    assert day["google"]["free"] == round(500_000 / 30)
    assert all(row["prices_of"] == cm_nlp.load_prices().date for row in day.values())


def test_own_price_table(tmp_path: Path) -> None:
    table = tmp_path / "prices.yaml"
    table.write_text("date: '2026-01-01'\nproviders:\n  acme: {per_million: 2.0, free_chars: 0}\n")
    rows = cm_nlp.cost_table(5_000_000, table=cm_nlp.load_prices(table))
    assert rows == [
        {
            "provider": "acme",
            "chars": 5_000_000,
            "per": "month",
            "free": 0,
            "billable": 5_000_000,
            "cost": 10.0,
            "currency": "USD",
            "note": "",
            "prices_of": "2026-01-01",
        }
    ]
    table.write_text("date: x\nproviders:\n  acme: {per_million: -1}\n")
    with pytest.raises(InputError, match=r"providers\.acme\.per_million"):
        cm_nlp.load_prices(table)
