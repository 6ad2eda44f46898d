"""``python -m bench.run --scale N [N ...]``: does the cleaning lose article lines as the corpus grows?

A cleaner that learns page furniture from lines recurring at the edges of many
articles sees more recurring lines the bigger the corpus: labels (核心阅读), credits
(版式设计：X), an event's closing sentence, a daily report's formulaic lead. The
realistic gallery of bench/gallery/scale_gallery.py prints articles whole, with those
lines, over all 17 layout families; this renders it at each size N (cached under
--corpora as scale-N, like the other corpora), runs ``docclean run --full`` on it,
scores it with bench/gallery/layout_eval.py (losses included) and prints per layout
text_exact, title, date, boilerplate_left, lines lost, pages losing text and the
share of article characters lost (and runs of 20 or more lost characters); then
one table by corpus size, and the lines lost most often at each size.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench.gallery.tables import text_table

ROOT = Path(__file__).resolve().parents[1]
SEED = 2024

LAYOUT_COLUMNS = (
    ("text", "text_exact"),
    ("title", "title"),
    ("date", "date"),
    ("boiler", "boilerplate_left"),
    ("lines lost", "lines_lost"),
    ("pages losing", "pages_losing_text"),
    ("chars lost", "chars_lost_share"),
    ("runs>=20", "lost_runs_20"),
)
SIZE_COLUMNS = (
    ("pages", "pages"),
    ("text", "text_exact"),
    ("title", "title"),
    ("boiler", "boilerplate_left"),
    ("lines lost", "lines_lost"),
    ("pages losing", "pages_losing_text"),
    ("chars lost", "chars_lost_share"),
    ("dedup F1", "f1"),
    ("pages/s", "pages_per_s"),
)


def cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if value < 0.01 and value else f"{value:.3f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(head: list[str], rows: list[list]) -> str:
    return text_table(head, rows, cell=cell, indent="  ")


def merged(report: dict, name: str | None) -> dict:
    """The layout_eval figures of one layout (or overall) with its loss figures."""
    scores = report["overall"] if name is None else report["layouts"][name]
    losses = report["losses"]["overall"] if name is None else report["losses"]["layouts"][name]
    return {**scores, **losses}


def one_size(pages: int, corpora: Path, batch_size: int, run_docclean: Callable) -> dict:
    from bench.gallery import layout_eval, scale_gallery

    folder = corpora / f"scale-{pages}"
    if not (folder / "truth.jsonl").exists():
        scale_gallery.render_scale_gallery(folder, pages, seed=SEED, copies=0.1)
    truths = layout_eval.read_truth(folder / "truth.jsonl")
    out = folder.with_name(folder.name + "-out")
    summary, _, peak, _ = run_docclean(folder / "raw", out, batch_size)
    report = layout_eval.evaluate(out, truths, losses=True)
    seconds = summary["seconds"]
    print(f"\n== realistic articles: {len(truths):,} pages, 17 layouts, docclean run --full")
    print(f"  end to end   {len(truths) / seconds:>8,.0f} pages/s  {seconds:8.1f} s  peak RSS {peak / 2**20:,.0f} MiB")
    rows = [[name, *(merged(report, name).get(key, "-") for _, key in LAYOUT_COLUMNS)] for name in report["layouts"]]
    rows.append(["overall", *(merged(report, None).get(key, "-") for _, key in LAYOUT_COLUMNS)])
    print(table(["layout", *(h for h, _ in LAYOUT_COLUMNS)], rows))
    kinds = report["losses"]["extras"]
    if kinds:
        print("  by kind of article (an article may be several):")
        print(
            table(
                ["kind", "pages", "pages losing", "chars lost", "lines lost"],
                [
                    [k, s["pages"], s["pages_losing_text"], s["chars_lost_share"], s["lines_lost"]]
                    for k, s in kinds.items()
                ],
            )
        )
    dedup = report.get("dedup") or {}
    return {
        "pages": len(truths),
        "seconds": seconds,
        "pages_per_s": round(len(truths) / seconds),
        "peak_rss_mib": round(peak / 2**20),
        "overall": merged(report, None),
        "per_layout": {name: merged(report, name) for name in report["layouts"]},
        "by_kind": kinds,
        "lost_where": report["losses"]["lost_where"],
        "lost_lines": report["losses"]["lost_lines"],
        "dedup": dedup,
        "f1": dedup.get("f1", "-"),
    }


def scale_bench(sizes: list[int], corpora: Path, batch_size: int, run_docclean: Callable, top: int = 20) -> dict:
    """Each size in turn, then the table by size and the lines lost most often; the figures for --json."""
    rows = [one_size(pages, corpora, batch_size, run_docclean) for pages in sizes]
    print(
        "\n== realistic articles by corpus size (lines lost: count; pages losing: share; chars lost: share of article characters)"
    )
    print(
        table(
            [h for h, _ in SIZE_COLUMNS],
            [
                [
                    row["overall"].get(key, row.get(key, "-")) if key != "pages_per_s" else row[key]
                    for _, key in SIZE_COLUMNS
                ]
                for row in rows
            ],
        )
    )
    for row in rows:
        print(
            f"\n  lines lost most often at {row['pages']:,} pages (where: "
            + ", ".join(f"{k} {v}" for k, v in sorted(row["lost_where"].items()))
            + ")"
        )
        for text, count in row["lost_lines"][:top]:
            print(f"  {count:6}  {text[:90]}")
    return {"scale": rows}
