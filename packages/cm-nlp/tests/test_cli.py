"""The cm-nlp command: output formats, one-line errors with exit codes, files, images."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from libre_server import LibreServer
from PIL import Image

from cm_common import run
from cm_nlp.cli import app


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``cm-nlp ARGS`` here; its exit code, stdout and stderr."""
    with pytest.raises(SystemExit) as ended:
        run(app, list(args), prog_name="cm-nlp")
    captured = capsys.readouterr()
    return int(ended.value.code or 0), captured.out, captured.err


def test_translate_json(libre_settings: LibreServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "translate", "--from", "en", "--to", "de", "hello", "-o", "json")
    assert code == 0
    [record] = json.loads(out)
    assert record["output"] == "de:HELLO" and record["provider"] == "libre" and record["cached"] is False


def test_translate_a_file_with_failures(
    libre_settings: LibreServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("first\n\n!500 second\nthird\n")
    code, out, err = cli(capsys, "translate", "--file", str(texts), "--to", "fr", "-o", "yaml")
    assert code == 1
    assert [r["output"] for r in yaml.safe_load(out)] == ["fr:FIRST", "fr:THIRD"]
    assert "failed: line 2: libre: server error HTTP 500" in err
    assert "translated 2 of 3 (0 cached, 1 failed)" in err
    assert err.strip().splitlines()[-1].startswith("error: 1 of 3 texts failed")
    code, _, err = cli(capsys, "translate", "--file", str(texts), "--to", "fr", "-o", "json")
    assert "(2 cached, 1 failed)" in err


def test_table_of_a_large_batch_is_cut_with_a_summary(
    libre_settings: LibreServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = tmp_path / "many.txt"
    texts.write_text("".join(f"text number {i}\n" for i in range(40)))
    code, out, err = cli(capsys, "translate", "--file", str(texts), "--to", "de", "-o", "table")
    assert code == 0
    assert "first 20 of 40" in out and "text number 39" not in out
    assert "translated 40 of 40" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["translate", "--provider", "watson", "hi"], "unknown translation provider 'watson'; valid: baidu"),
        (
            ["translate", "--provider", "google", "--to", "klingon", "hi"],
            "unknown language 'klingon'; valid: af",
        ),
        (["translate", "--provider", "deepl", "--to", "de", "hi"], "set credentials.deepl.api_key in"),
        (["translate", "--to", "de"], "no text: give one or more texts, or --file FILE"),
        (["translate", "--file", "/nonexistent/texts.txt"], "/nonexistent/texts.txt"),
        (["sentiment", "--provider", "libre", "x"], "unknown sentiment provider 'libre'; valid: vader"),
        (["cost", "--chars", "10", "--per", "week"], "--per: expected day or month, got 'week'"),
        (["wordcloud", "/nonexistent.txt"], "/nonexistent.txt"),
        (["benchmark", "--providers", "google,nope"], "unknown translation provider 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and expected in err and "Traceback" not in err


def test_provider_down_exit_1(libre_settings: LibreServer, capsys: pytest.CaptureFixture[str]) -> None:
    libre_settings.stop()
    code, _, err = cli(capsys, "translate", "--to", "de", "hello")
    assert code == 1 and "cannot reach the provider" in err and "Traceback" not in err


def test_sentiment_of_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = tmp_path / "reviews.txt"
    texts.write_text("I love it\nI hate it\nIt is a chair\n")
    code, out, err = cli(capsys, "sentiment", "--file", str(texts), "-o", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("input,provider,label,compound") and len(lines) == 4
    assert "3 texts: 1 positive, 1 neutral, 1 negative" in err


def test_wordcloud_image_table_and_histogram(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "text.txt"
    text.write_text("python cloud python words python cloud analysis " * 20)
    image, histogram = tmp_path / "cloud.png", tmp_path / "hist.png"
    code, out, _ = cli(
        capsys,
        "wordcloud",
        str(text),
        "-O",
        str(image),
        "--histogram",
        str(histogram),
        "--top",
        "3",
        "-o",
        "json",
    )
    assert code == 0
    assert json.loads(out)[0] == {"word": "python", "count": 60}
    with Image.open(image) as png:
        assert png.size == (800, 400)
    with Image.open(histogram) as png:
        assert png.format == "PNG"


def test_providers_listing(libre_settings: LibreServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "providers", "-o", "json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert code == 0
    assert rows["libre"]["configured"] is True and rows["libre"]["needs_key"] is True
    assert rows["deepl"]["configured"] is False and "credentials.deepl.api_key" in rows["deepl"]["settings"]
    assert rows["google"]["needs_key"] is False and rows["vader"]["kind"] == "sentiment"
    assert rows["local"]["configured"] is False and "argostranslate" in rows["local"]["description"]
    assert libre_settings.key not in out  # the key's value is never shown


def test_benchmark_table_and_plot(
    libre_settings: LibreServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plot = tmp_path / "latency.png"
    code, out, _ = cli(
        capsys,
        "benchmark",
        "--providers",
        "libre",
        "--from",
        "en",
        "--repeat",
        "4",
        "--plot",
        str(plot),
        "-o",
        "json",
    )
    assert code == 0
    [row] = json.loads(out)
    assert (row["provider"], row["calls"], row["failed"]) == ("libre", 4, 0)
    assert 0 < row["min"] <= row["median"] <= row["max"]
    assert libre_settings.calls["Hello, world."] == 4  # every call timed, none from the cache
    with Image.open(plot) as png:
        assert png.format == "PNG"


def test_version_and_umbrella() -> None:
    version = subprocess.run([sys.executable, "-m", "cm_nlp", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("cm-nlp 0.")
    umbrella = subprocess.run(
        [
            sys.executable,
            "-c",
            "from cm_common._cli import main; main()",
            "nlp",
            "cost",
            "--chars",
            "1",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert umbrella.returncode == 0, umbrella.stderr
    assert json.loads(umbrella.stdout)[0]["provider"] == "deepl"
