"""Build the report from every ``results/*.json``: one Markdown file with a table per benchmark and one
PNG plot (time against size) per benchmark that has more than one size.

    python benchmarks/report.py                # results/report.md and results/*.png
    python benchmarks/report.py --docs         # also docs/benchmarks.md and docs/img/bench-*.png

``--docs`` keeps the page's text above its marker line and rewrites what follows it.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from _suite import RESULTS

DOCS = Path(__file__).resolve().parent.parent / "docs"
MARKER = "<!-- Everything below is written by `python benchmarks/report.py --docs`. -->"
LINE_STYLES = {"ours": "o-", "reference": "s--", "floor": "^:"}


def _seconds(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def table(result: dict[str, Any]) -> list[str]:
    """The Markdown table of one result: a row per size and series, with the ratios of medians."""
    unit = result["size_unit"]
    head = f"| {unit} | tool | median | min - max | peak RSS | reference / cm | cm / floor |"
    lines = [head, "|---:|---|---:|---:|---:|---:|---:|"]
    sizes = sorted({p["size"] for s in result["series"] for p in s["points"]})
    for size in sizes:
        at = [(s, next((p for p in s["points"] if p["size"] == size), None)) for s in result["series"]]
        medians = {s["role"]: p["median"] for s, p in at if p is not None and s["role"] != "ours"}
        for s, p in at:
            if p is None:
                continue
            theirs, floor = medians.get("reference"), medians.get("floor")
            ours = s["role"] == "ours"
            cells = [
                f"{size:,}",
                s["label"] if ours else f"*{s['label']}*",
                f"{_seconds(p['median'])} s",
                f"{_seconds(p['min'])} - {_seconds(p['max'])} s",
                f"{p['peak_rss_mib']:.0f} MiB",
                f"{theirs / p['median']:.1f}x" if ours and theirs else "",
                f"{p['median'] / floor:.2f}x" if ours and floor else "",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def plot(result: dict[str, Any], target: Path) -> bool:
    """Median seconds against size, log-log, one line per series; False when there is one size only."""
    if all(len(s["points"]) < 2 for s in result["series"]):
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    for s in result["series"]:
        sizes = [p["size"] for p in s["points"]]
        medians = [p["median"] for p in s["points"]]
        axes.plot(sizes, medians, LINE_STYLES.get(s["role"], "o-"), label=s["label"])
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel(result["size_unit"])
    axes.set_ylabel("seconds (median, whole command)")
    axes.set_title(result["title"])
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(target)
    plt.close(figure)
    return True


def build(results: list[dict[str, Any]], image_prefix: str, image_dir: Path) -> str:
    """The whole report as Markdown, writing the plots into ``image_dir``."""
    lines: list[str] = []
    for result in results:
        m = result["machine"]
        script = result.get("script", f"bench_{result['name']}.py")
        lines += ["", f"## {result['title']}", ""]
        lines += [
            f"`python benchmarks/{script}{' --full' if result['full'] else ''}`: {m['date']},"
            f" {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']},"
            f" load average {m['load_average_start'][0]} at the start,"
            f" {m['load_average_end'][0]} at the end; median (min-max) of {result['repeat']} runs each,"
            " peak RSS.",
            "",
        ]
        lines += table(result)
        lines += [""] + [f"- {note}" for note in result["notes"]]
        image = f"bench-{result['name']}.png"
        if plot(result, image_dir / image):
            lines += ["", f"![{result['title']}]({image_prefix}{image})"]
    return "\n".join(lines) + "\n"


def load() -> list[dict[str, Any]]:
    """Every result file in the common shape (others in the folder are left alone)."""
    found = []
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and {"name", "title", "series", "machine"} <= set(data):
            found.append(data)
    return found


def main() -> None:
    results = load()
    if not results:
        raise SystemExit(f"no results in {RESULTS}: run the bench_*.py scripts first")
    report = RESULTS / "report.md"
    report.write_text("# Benchmark results\n" + build(results, "", RESULTS))
    print(f"wrote {report}")
    if "--docs" in sys.argv[1:]:
        images = DOCS / "img"
        images.mkdir(parents=True, exist_ok=True)
        page = DOCS / "benchmarks.md"
        intro = page.read_text().partition(MARKER)[0] if page.exists() else "# Benchmarks\n\n"
        page.write_text(intro + MARKER + "\n" + build(results, "img/", images))
        print(f"wrote {DOCS / 'benchmarks.md'}")
    shutil.rmtree(RESULTS / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()
