"""HTML corpus with hostile pages: does 1% of them slow the whole run? (issue 22, item 1)

Renders N saved article pages (real People's Daily paragraphs in a portal's
markup: navigation, the article, related links, a footer), then the same
corpus with 1% of its pages replaced by pages measured stalling trafilatura
(thousands of <td> or <div> blocks, a 20,000-cell table, unclosed tags
thousands deep, an article nested 300 deep). Both are run with
``docclean run --full`` in turn; the figures printed are wall seconds, pages
per second and the ratio of the hostile run to the clean one (the target:
under 2), with the reasons the hostile pages got.

    python -m bench.hostile_html --pages 10000 [--work /tmp/hostile]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.render_corpus import CORPUS, original, paragraph_pool

ROOT = Path(__file__).resolve().parents[1]

HOSTILE_SHARE = 0.01
NAV = "<nav>" + "".join(f"<a href='/c{i}'>栏目{i}</a>" for i in range(12)) + "</nav>"
FOOTER = "<footer><p>版权所有 人民网</p><p>京ICP证000000号</p></footer>"


def article_page(index: int, paragraphs: list[str], titles: list[str]) -> str:
    article = original(index, paragraphs, titles)
    body = "".join(f"<p>{p}</p>" for p in article.paragraphs)
    related = "".join(f"<li><a href='/a{index + k}'>{titles[(index + k) % len(titles)]}</a></li>" for k in range(8))
    return (
        f"<html><head><meta charset='utf-8'><title>{article.title}</title></head><body>{NAV}"
        f"<article><h1>{article.title}</h1><p class='meta'>{article.date} 来源：人民日报</p>{body}</article>"
        f"<ul class='related'>{related}</ul>{FOOTER}</body></html>"
    )


def hostile_page(index: int, paragraphs: list[str], titles: list[str]) -> str:
    article = article_page(index, paragraphs, titles)
    kind = index % 5
    if kind == 0:  # an article beside 10,000 table cells (8 s in the full extraction)
        cells = "".join(f"<td>{i}</td>" for i in range(10_000))
        return article.replace("</article>", f"</article><table><tr>{cells}</tr></table>")
    if kind == 1:  # 20,000 <div>s (340 KB: 90 s through the CLI)
        return "<html><body>" + "".join(f"<div>第{i}条</div>" for i in range(20_000)) + "</body></html>"
    if kind == 2:  # a 20,000-cell table page (1.2 MB: past 300 s)
        rows = "".join(f"<tr><td>{i}</td><td>数据{i}</td><td>{i * 7}</td><td>备注</td></tr>" for i in range(5_000))
        return f"<html><body><table>{rows}</table></body></html>"
    if kind == 3:  # an unclosed <font> per paragraph
        body = "".join(f"<font><p>{p}" for p in original(index, paragraphs, titles).paragraphs * 200)
        return f"<html><body>{body}</body></html>"
    return article.replace("<article>", "<div>" * 300 + "<article>").replace(
        "</article>", "</article>" + "</div>" * 300
    )


def render(folder: Path, pages: int, hostile: bool) -> int:
    paragraphs, titles = paragraph_pool(CORPUS)
    rng = random.Random(7)
    bad = set(rng.sample(range(pages), int(pages * HOSTILE_SHARE))) if hostile else set()
    for page in range(pages):
        html = hostile_page(page, paragraphs, titles) if page in bad else article_page(page, paragraphs, titles)
        path = folder / f"{page // 1000:03d}" / f"{page:06d}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    return len(bad)


def timed_run(raw: Path, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--raw", str(raw), "--out", str(out), "--full"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/docclean-hostile-html"))
    args = parser.parse_args()
    clean_raw, hostile_raw = args.work / f"clean-{args.pages}", args.work / f"hostile-{args.pages}"
    if not clean_raw.exists():
        render(clean_raw, args.pages, hostile=False)
    if not hostile_raw.exists():
        render(hostile_raw, args.pages, hostile=True)
    clean = timed_run(clean_raw, args.work / "out-clean")
    hostile = timed_run(hostile_raw, args.work / "out-hostile")
    from pipeline import store

    rejects = store.read_table(args.work / "out-hostile", "rejects")
    reasons = Counter(rejects.column("reason").to_pylist()) if rejects.num_rows else Counter()
    print(f"{args.pages:,} HTML pages, {int(args.pages * HOSTILE_SHARE):,} of them hostile in the second corpus")
    print(f"{'corpus':<10} {'wall s':>8} {'pages/s':>9}")
    print(f"{'clean':<10} {clean:>8.1f} {args.pages / clean:>9.0f}")
    print(f"{'hostile':<10} {hostile:>8.1f} {args.pages / hostile:>9.0f}")
    print(f"hostile / clean: {hostile / clean:.2f} (target: under 2)")
    print("rejects of the hostile run:", dict(sorted(reasons.items())))


if __name__ == "__main__":
    main()
