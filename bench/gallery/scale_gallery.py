"""A layout gallery at corpus scale: real_articles' articles over all 17 layout families.

layouts.render_gallery composes bodies from "usable" paragraphs only; this renders
the articles of bench/gallery/real_articles.py (printed whole, with labels, credits,
bylines, subheads, events and daily reports) into the 12 gallery families and the 5
of more_layouts, pages/17 pages per family, 10% reposts of an earlier article in
another family, so that "no article line lost" can be measured at 1,000, 10,000
and 100,000 pages. Deterministic per seed; pages and truths are written as they are
rendered (10,000 pages in 9-12 s on the 2-core dev machine, flat per page: 100,000
should take about two minutes; not run here).

    python -m bench.gallery.scale_gallery --out build/scale-1000 --pages 1000 [--seed 0] [--copies 0.1] [--force]

Output: OUT/raw/<layout>/NNNNNN<suffix>, OUT/truth.jsonl (layouts' truth dicts, plus
``extras``: what the article carries, see real_articles), OUT/gallery.json (counts).
Score a docclean run with ``python -m bench.gallery.layout_eval OUT/out OUT/truth.jsonl --losses``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import shutil
import time
from collections import Counter
from pathlib import Path

from bench.gallery import layouts, more_layouts
from bench.gallery.article import Article
from bench.gallery.layouts import chance
from bench.gallery.real_articles import CORPUS, DATELINE, RealComposer

HERE = Path(__file__).resolve().parent


def scale_layouts() -> dict[str, layouts.Layout]:
    """The 17 families: the gallery's 12 and more_layouts' 5."""
    return {**layouts.LAYOUTS, **more_layouts.UNSEEN}


# Layouts that may open the first paragraph with the site's own dateline (新华社…电, 央视网消息：).
SITE_DATELINES = ("xinhua_web", "people_cn", "chinanews", "provincial_epaper", "cctv_web")


def render_page(layout: layouts.Layout, article: Article, rng: random.Random) -> tuple[bytes, dict]:
    """layouts.render_one; where the site prints its own dateline, it replaces the paper's (本报北京…电),
    as a site does: two datelines in one paragraph would be a page no site prints."""
    head = DATELINE.match(article.paragraphs[0]) if layout.name in SITE_DATELINES else None
    if head and head.end() < len(article.paragraphs[0]):
        state = rng.getstate()
        bare = dataclasses.replace(article, paragraphs=(article.paragraphs[0][head.end() :], *article.paragraphs[1:]))
        data, fact = layouts.render_one(layout, bare, rng)
        if fact["text"].split("\n")[0] != bare.paragraphs[0]:
            return data, fact
        rng.setstate(state)
    return layouts.render_one(layout, article, rng)


def unscorable(fact: dict) -> bool:
    """Furniture pieces that the body also prints (a related title that is a phrase of this article)
    cannot be scored by substring: moved from boilerplate to boilerplate_in_text. Whether any were."""
    text = layouts.norm(fact["text"])
    inside = [b for b in fact["boilerplate"] if len(layouts.norm(b)) >= 4 and layouts.norm(b) in text]
    if inside:
        fact["boilerplate"] = [b for b in fact["boilerplate"] if b not in inside]
        fact["boilerplate_in_text"] = inside
    return bool(inside)


def repost_source(originals: list[tuple], layout: str, rng: random.Random) -> tuple:
    """An earlier original of another layout, uniformly: redrawn while it is this layout's (a filtered
    copy of the list per page, as layouts.render_gallery makes, would be quadratic at 100,000 pages)."""
    while True:
        source = originals[rng.randrange(len(originals))]
        if source[1] != layout:
            return source


def render_scale_gallery(out: Path, pages: int, seed: int = 0, copies: float = 0.1, corpus: Path = CORPUS) -> dict:
    """Write out/raw/<layout>/NNNNNN<suffix> and out/truth.jsonl (pages/17 pages per layout); return the facts.

    As layouts.render_gallery, but with these articles, all 17 families, and page by page
    (each page is written as it is rendered, the truths line by line; truth.jsonl appears
    only when complete, so a cached folder is never half a gallery). ``copies``: share of
    pages that repost an earlier article in another layout (same origin, up to two days later).
    """
    started = time.perf_counter()
    out, raw = Path(out), Path(out) / "raw"
    chosen = list(scale_layouts().values())
    for layout in chosen:
        (raw / layout.name).mkdir(parents=True, exist_ok=True)
    composer = RealComposer(corpus, seed)
    english = layouts.Composer(layouts.load_pool())
    master = random.Random(seed)
    originals: dict[str, list[tuple[Article, str, list[str]]]] = {"zh": [], "en": []}
    counts: Counter = Counter()  # also originals per layout, to know whether another layout has one
    written = 0
    part = out / "truth.jsonl.part"
    with part.open("w", encoding="utf-8") as handle:
        for i in range(-(-pages // len(chosen))):
            for layout in chosen:
                if written == pages:
                    break
                rng = random.Random(master.getrandbits(64))
                others = len(originals[layout.lang]) - counts[layout.name]
                if copies and others and chance(rng, copies):
                    article, _, tags = repost_source(originals[layout.lang], layout.name, rng)
                    article = Article(
                        article.title,
                        article.paragraphs,
                        article.date + dt.timedelta(days=rng.randint(0, 2)),
                        article.lang,
                        article.origin,
                        article.others,
                        article.subtitle,
                    )
                    kind = "copy"
                else:
                    origin = f"o{written:06d}"
                    if layout.lang == "zh":
                        article, tags = composer.article(rng, origin)
                    else:
                        article, tags = english.article(rng, "en", origin=origin), ["english"]
                    originals[layout.lang].append((article, layout.name, tags))
                    counts[layout.name] += 1
                    kind = "original"
                data, fact = render_page(layout, article, rng)
                counts["inconsistent"] += unscorable(fact)
                relative = f"{layout.name}/{i:06d}{layout.suffix}"
                (raw / relative).write_bytes(data)
                handle.write(
                    json.dumps({"source_path": relative, **fact, "kind": kind, "extras": tags}, ensure_ascii=False)
                    + "\n"
                )
                counts[kind] += 1
                written += 1
    part.replace(out / "truth.jsonl")
    facts = {
        "pages": written,
        "seed": seed,
        "copies": copies,
        "originals": counts["original"],
        "reposts": counts["copy"],
        "furniture_in_text_pages": counts["inconsistent"],
        "printed_skipped": composer.skipped,
        "zh_articles": composer.count,
        "events": composer.events.count,
        "extras": dict(sorted(composer.tags.items())),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "gallery.json").write_text(json.dumps(facts, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return facts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (raw/, truth.jsonl, gallery.json)")
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--copies", type=float, default=0.1, help="share of pages that repost an earlier article")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--force", action="store_true", help="replace OUT/raw and OUT/truth.jsonl if they exist")
    args = parser.parse_args(argv)
    raw = args.out / "raw"
    if raw.exists() and any(raw.iterdir()):
        if not args.force:
            parser.error(f"{raw} is not empty; pass --force to replace it")
        shutil.rmtree(raw)
    facts = render_scale_gallery(args.out, args.pages, seed=args.seed, copies=args.copies, corpus=args.corpus)
    print(json.dumps(facts, ensure_ascii=False))


if __name__ == "__main__":
    main()
