"""Render a reproducible benchmark corpus of N raw pages, with its ground truth.

    python -m bench.render_corpus --pages 10000 --out bench/corpora/10k

The 2,194 People's Daily articles in ``../shared/corpus/`` give a pool of
distinct paragraphs (30 to 400 characters, so every original has several). Each *original* article is a title plus paragraphs drawn
from that pool until the body holds about 1,500 characters (seeded per
article, so article k is the same whatever N is). Every page is then rendered
in the scrape layout of the bundled sample (``bench/gallery/render_pages.py``:
separators, section, byline, title and metadata line, a page jump, ASCII
punctuation, the body twice) and saved in one of several encodings.

A known share of pages are copies of an earlier original (``COPY_SHARE``):
the same article on another page, a repost with its own header line, a copy
that lost its last paragraph, or one with a few characters edited. The ground
truth (``truth.parquet``: source_path, origin, kind, encoding) says which page
renders which original; pages of one origin are one duplicate cluster.

Output: OUT/raw/NNN/NNNNNN.txt (1,000 pages per folder), OUT/truth.parquet,
OUT/corpus.json (parameters and sizes). Rendering is split over processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.gallery.article import Article
from bench.gallery.render_pages import latin1_mojibake, read_corpus_article, render_page

ROOT = Path(__file__).resolve().parents[1]

CORPUS = Path(os.environ.get("DOCCLEAN_BENCH_CORPUS", ROOT.parent / "shared" / "corpus" / "rmrb-2020-01"))
PAGES_PER_FOLDER = 1000
BODY_CHARS = 1500
MAX_PARAGRAPH_CHARS = 400
COPY_SHARE = 0.2
COPY_KINDS = ("same", "repost", "truncated", "edited")
# Encodings of the saved pages, with their shares.
ENCODINGS = (("utf-8", 0.80), ("gb18030", 0.08), ("utf-8-sig", 0.04), ("gbk-as-latin1", 0.04), ("utf-8-crlf", 0.04))
SEED = 20200101


def paragraph_pool(corpus: Path) -> tuple[list[str], list[str]]:
    """Distinct body paragraphs and titles of the real corpus, in a stable order."""
    paragraphs: dict[str, None] = {}
    titles: dict[str, None] = {}
    for path in sorted(corpus.rglob("*.txt")):
        article = read_corpus_article(path)
        titles.setdefault(article.title)
        for paragraph in article.paragraphs:
            # A few corpus "paragraphs" are whole articles on one line; one of
            # them alone would fill an original, and two originals drawing it
            # would be the same text under two origins.
            if 30 <= len(paragraph) <= MAX_PARAGRAPH_CHARS:
                paragraphs.setdefault(paragraph)
    return list(paragraphs), list(titles)


def original(index: int, paragraphs: list[str], titles: list[str]) -> Article:
    """Original article ``index``: the same for every corpus size."""
    rng = random.Random(SEED * 1_000_003 + index)
    body: list[str] = []
    while sum(len(p) for p in body) < BODY_CHARS:
        body.append(paragraphs[rng.randrange(len(paragraphs))])
    day = 1 + index % 31
    return Article(
        title=titles[rng.randrange(len(titles))],
        paragraphs=tuple(body),
        date=dt.date(2020, 1, day),
        page=1 + rng.randrange(12),
        authors=(("王明", "李华", "张晓东", "刘洋", "陈静", "赵磊", "孙丽")[index % 7],),
    )


def copy_of(article: Article, kind: str, rng: random.Random) -> Article:
    if kind == "same":
        return replace(article, page=article.page % 12 + 1)
    if kind == "repost":
        return replace(article, paragraphs=(f"转载自人民网 编辑：{rng.choice('张李王赵')}某", *article.paragraphs))
    if kind == "truncated":
        return replace(article, paragraphs=article.paragraphs[:-1])
    # A few characters edited in a few paragraphs, as a copy editor would.
    edited = list(article.paragraphs)
    for _ in range(3):
        i = rng.randrange(len(edited))
        text = edited[i]
        at = rng.randrange(max(1, len(text) - 2))
        edited[i] = text[:at] + rng.choice("的了在和是") + text[at + 1 :]
    return replace(article, paragraphs=tuple(edited))


def plan(pages: int) -> list[tuple[int, int, str]]:
    """(page number, origin, kind) for every page: originals and copies of earlier originals."""
    rng = random.Random(SEED)
    out: list[tuple[int, int, str]] = []
    originals = 0
    for page in range(pages):
        if originals and rng.random() < COPY_SHARE:
            out.append((page, rng.randrange(originals), rng.choice(COPY_KINDS)))
        else:
            out.append((page, originals, "original"))
            originals += 1
    return out


def encode(text: str, encoding: str) -> bytes:
    if encoding == "gbk-as-latin1":
        return latin1_mojibake(text).encode("utf-8")
    if encoding == "utf-8-crlf":
        return text.replace("\n", "\r\n").encode("utf-8")
    return text.encode(encoding)


def pick_encoding(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for name, share in ENCODINGS:
        total += share
        if roll < total:
            return name
    return ENCODINGS[0][0]


def render_range(args: tuple[Path, list[tuple[int, int, str]]]) -> tuple[list[dict], int]:
    out, work = args
    paragraphs, titles = paragraph_pool(CORPUS)
    rows, size = [], 0
    for page, origin, kind in work:
        rng = random.Random(SEED * 7 + page)
        article = original(origin, paragraphs, titles)
        if kind != "original":
            article = copy_of(article, kind, rng)
        encoding = pick_encoding(rng)
        data = encode(render_page(article, jump_to=article.page + 1), encoding)
        name = f"{page // PAGES_PER_FOLDER:04d}/{page:07d}.txt"
        path = out / "raw" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        size += len(data)
        rows.append({"source_path": name, "origin": origin, "kind": kind, "encoding": encoding})
    return rows, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if (args.out / "corpus.json").exists():
        print(f"{args.out} exists; remove it to render again", file=sys.stderr)
        return
    if not CORPUS.is_dir() or not any(CORPUS.rglob("*.txt")):
        sys.exit(
            f"no corpus articles in {CORPUS}: point DOCCLEAN_BENCH_CORPUS at a folder of YYYYMMDD-PP-NN.txt articles"
        )
    started = time.perf_counter()
    work = plan(args.pages)
    chunk = max(1, min(5000, len(work) // (args.workers * 4) or 1))
    pieces = [(args.out, work[i : i + chunk]) for i in range(0, len(work), chunk)]
    rows, size = [], 0
    with ProcessPoolExecutor(args.workers) as pool:
        for piece_rows, piece_size in pool.map(render_range, pieces):
            rows.extend(piece_rows)
            size += piece_size
    pq.write_table(pa.Table.from_pylist(rows), args.out / "truth.parquet")
    facts = {
        "pages": args.pages,
        "bytes": size,
        "originals": sum(1 for _, _, kind in work if kind == "original"),
        "copies": sum(1 for _, _, kind in work if kind != "original"),
        "seed": SEED,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (args.out / "corpus.json").write_text(json.dumps(facts, indent=2) + "\n")
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
