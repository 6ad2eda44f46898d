"""Render clean articles into raw scrape-like pages (the layout of the 法治日报 sample).

The People's Daily month in ``../shared/corpus/`` holds clean article texts;
this turns them into what an e-edition scraper leaves behind: ``|`` separator
lines, a section label, a byline, the title and metadata line below the
body, page-jump markers inside the body, paragraphs joined by spaces, ASCII
punctuation between CJK characters, the whole body twice, and assorted
encodings. It is used to build the bundled sample (``data/raw/``) and can
build larger corpora for benchmarks.

    python -m bench.gallery.render_pages --corpus ../shared/corpus/rmrb-2020-01 --out data/raw
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

from bench.gallery.article import Article

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "000_087269b42eb169e9.txt"

# What the scrape does to full-width punctuation between CJK characters.
ASCII_PUNCT = str.maketrans({"，": ",", "；": ";", "：": ":", "（": "(", "）": ")"})
REPORTERS = ("王明", "李华", "张晓东", "刘洋", "陈静", "赵磊", "孙丽")


def read_corpus_article(path: Path) -> Article:
    """An article of the People's Daily corpus: YYYYMMDD-PP-NN.txt, title first."""
    lines = [line.strip(" \u3000\xa0\r") for line in path.read_text(encoding="utf-8").split("\n")]
    lines = [line for line in lines if line]
    day, page, number = path.stem.split("-")
    authors = (REPORTERS[int(number) % len(REPORTERS)], REPORTERS[(int(number) + 3) % len(REPORTERS)])
    return Article(
        title=lines[0],
        paragraphs=tuple(lines[1:]),
        date=dt.date(int(day[:4]), int(day[4:6]), int(day[6:])),
        page=int(page),
        authors=authors,
    )


def chinese_numeral(n: int) -> str:
    """Page numbers as the papers print them: 三, 十二, 二十四."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def scrape_body(
    paragraphs: tuple[str, ...], jump_to: int | None, jump_from: int = 1, verbs: tuple[str, str] = ("下转", "上接")
) -> str:
    """Paragraphs on one line, ASCII punctuation, and a page jump mid-paragraph."""
    body = [p.translate(ASCII_PUNCT) for p in paragraphs]
    if jump_to is not None and len(body) > 1:
        middle = len(body) // 2
        text = body[middle]
        cut = text.find(",", len(text) // 3)
        if cut > 0:
            marker = f" {verbs[0]}第{chinese_numeral(jump_to)}版 {verbs[1]}第{chinese_numeral(jump_from)}版 "
            body[middle] = text[: cut + 1] + marker + text[cut + 1 :]
    return " ".join(body)


def render_page(article: Article, jump_to: int | None = 3, twice: bool = True) -> str:
    """The raw page a 法治日报-style e-edition scraper would save for ``article``."""
    byline = f"□ {article.byline_role} " + " ".join(article.authors) if article.authors else None
    body = scrape_body(article.paragraphs, jump_to, article.page, article.jump_verbs)
    head = ["|", article.section, "|", "|"] + ([byline] if byline else []) + [body]
    meta = [
        "|",
        "|",
        article.title,
        "|",
        "|",
        "|",
        "|",
        f"( {article.date} ) {article.source_label}: {article.publication}{article.section} |",
        "|",
    ]
    tail = ([byline] if byline else []) + [body] if twice else []
    return "\n".join(head + meta + tail + ["|", "|", "|"])


def latin1_mojibake(text: str) -> str:
    """GB18030 bytes that somebody decoded as Latin-1 and saved as UTF-8."""
    return text.encode("gb18030").decode("latin-1")


# A short original article in traditional characters: Big5 cannot encode most
# simplified characters, so the Big5 sample needs a text written in Big5's repertoire.
TRADITIONAL = Article(
    title="臺北市擴大推動社會住宅興建",
    paragraphs=(
        "臺北市政府今天宣布，將擴大推動社會住宅興建計畫，預計未來五年新增兩萬戶，優先照顧青年與弱勢家庭。",
        "市長在記者會上表示，新建社會住宅將結合捷運與公車路網，讓居民通勤更便利，同時設置托育中心、長照據點與社區活動空間。",
        "都市發展局指出，首批基地已完成規劃，明年第一季動工，租金將以市場行情的七成計算，並依家戶所得提供分級補貼。",
    ),
    date=dt.date(2020, 1, 8),
    page=2,
    publication="臺灣日報",
    authors=("林志明", "陳怡君"),
    section_label="要聞",
    byline_role="本報記者",
    source_label="稿件來源",
    jump_verbs=("下轉", "上接"),
)


def build_sample(corpus: Path, out: Path) -> None:
    """The bundled sample: one page per stage the pipeline has to get right."""
    out.mkdir(parents=True, exist_ok=True)
    pick = lambda name: read_corpus_article(corpus / name[:8] / f"{name}.txt")  # noqa: E731

    if SAMPLE.is_file():
        shutil.copyfile(SAMPLE, out / SAMPLE.name)

    pages = out / "rmrb" / "2020-01"
    pages.mkdir(parents=True, exist_ok=True)
    # The month's real duplicate: one article filed under page 1 and page 4.
    first, second = pick("20200104-01-05"), pick("20200104-04-03")
    (pages / "20200104-01-05.txt").write_text(render_page(first, jump_to=2), encoding="utf-8")
    (pages / "20200104-04-03.txt").write_text(render_page(second, jump_to=None, twice=False), encoding="utf-8")
    # Other encodings a scraper saves: GB18030, UTF-8 with BOM, Latin-1 mojibake.
    (pages / "20200102-03-06.gb18030.txt").write_bytes(render_page(pick("20200102-03-06"), jump_to=8).encode("gb18030"))
    (pages / "20200103-03-04.bom.txt").write_bytes(
        b"\xef\xbb\xbf" + render_page(pick("20200103-03-04"), jump_to=5).encode("utf-8")
    )
    (pages / "20200102-14-05.mojibake.txt").write_text(
        latin1_mojibake(render_page(pick("20200102-14-05"), jump_to=None)), encoding="utf-8"
    )
    (out / "tw").mkdir(exist_ok=True)
    (out / "tw" / "20200108-02-01.big5.txt").write_bytes(render_page(TRADITIONAL, jump_to=None).encode("big5"))

    # A feed: a repost of a page above with a lost last paragraph and its own
    # header, a new article, and lines a careless exporter produces.
    repost = pick("20200102-03-06")
    repost = replace(repost, paragraphs=repost.paragraphs[:-1], publication="人民网", date=dt.date(2020, 1, 3))
    other = pick("20200102-11-04")
    feed = [
        json.dumps(
            {
                "title": repost.title,
                "date": repost.date.isoformat(),
                "source": "人民网",
                "url": "https://example.org/a/1",
                "text": "转载自人民日报\n" + repost.text,
            },
            ensure_ascii=False,
        ),
        json.dumps(
            {"title": other.title, "date": other.date.isoformat(), "source": other.publication, "text": other.text},
            ensure_ascii=False,
        ),
        '{"title": "断行", "text": "这一行在导出时被截断',
        json.dumps({"title": "无正文", "date": "2020-01-05"}, ensure_ascii=False),
    ]
    (out / "feeds").mkdir(exist_ok=True)
    (out / "feeds" / "portal-2020-01.jsonl").write_text("\n".join(feed) + "\n", encoding="utf-8")

    # Inputs that are not articles, each with its own reject reason.
    junk = out / "junk"
    junk.mkdir(exist_ok=True)
    (junk / "empty.txt").write_bytes(b"")
    (junk / "separators-only.txt").write_text("|\n|\n|\n", encoding="utf-8")
    (junk / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (junk / "index.html").write_text("<html><body>目录</body></html>\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SAMPLE.parents[1] / "corpus" / "rmrb-2020-01")
    parser.add_argument("--out", type=Path, default=Path("data/raw"))
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"corpus folder {args.corpus} not found; pass --corpus")
    build_sample(args.corpus, args.out)
    print(f"sample pages written under {args.out}")


if __name__ == "__main__":
    main()
