"""The layout gallery itself: bench/gallery/layouts.py renders pages with true ground truth, and
bench/gallery/layout_eval.py scores an output folder against it. (The pipeline is not run here.)"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.gallery import layout_eval, layouts
from bench.gallery.layouts import LAYOUTS, norm

ROOT = Path(__file__).resolve().parents[1]

CASES = ROOT / "tests" / "cases" / "layouts"
TRUTH_KEYS = {
    "layout",
    "title",
    "date",
    "published_at",
    "publication",
    "section",
    "page",
    "authors",
    "original_title",
    "text",
    "boilerplate",
    "encoding",
    "crlf",
}


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """Six pages of every layout, a fifth of them reposts, and the pages' decoded text."""
    out = tmp_path_factory.mktemp("gallery")
    truths = layouts.render_gallery(out, 6, seed=7, copies=0.2)
    pages = {}
    for fact in truths:
        data = (out / "raw" / fact["source_path"]).read_bytes()
        pages[fact["source_path"]] = data.decode(fact["encoding"])
    return out, truths, pages


def paragraphs(fact: dict) -> list[str]:
    return fact["text"].split("\n")


class TextChunks(HTMLParser):
    """The text of an HTML page, one chunk per run of character data between tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skip and data.strip(" \t\r\n\u3000\xa0"):
            self.chunks.append(data.strip(" \t\r\n\u3000\xa0"))


def html_chunks(page: str) -> list[str]:
    parser = TextChunks()
    parser.feed(page)
    return parser.chunks


def test_the_layouts_and_their_suffixes():
    assert len(LAYOUTS) >= 11
    assert {
        "legaldaily_epaper",
        "epaper_header",
        "xinhua_web",
        "portal_repost",
        "wechat_reprint",
        "people_cn",
        "chinanews",
        "thepaper",
        "gov_site",
        "english_wire",
        "html_news",
        "html_epaper",
    } <= set(LAYOUTS)
    for name, layout in LAYOUTS.items():
        assert layout.name == name and layout.suffix in (".txt", ".html", ".htm")
    assert LAYOUTS["html_news"].suffix == ".html" and LAYOUTS["html_epaper"].suffix == ".htm"


def test_every_layout_renders_articles_from_the_pool():
    pool = layouts.load_pool()
    composer = layouts.Composer(pool)
    rng = random.Random(3)
    for layout in LAYOUTS.values():
        for _ in range(10):
            article = composer.article(rng, layout.lang, origin="x")
            assert 3 <= len(article.paragraphs) <= 8
            data, fact = layout.render(article, rng)
            assert isinstance(data, bytes) and TRUTH_KEYS <= set(fact)
            assert fact["layout"] == layout.name
            body = paragraphs(fact)
            assert fact["title"] == article.title and len(body) == len(article.paragraphs)
            assert body[1:] == list(article.paragraphs[1:])
            # Where a site prints a dateline, it opens the first paragraph and is body text.
            assert body[0] == article.paragraphs[0] or (
                layout.name in ("xinhua_web", "people_cn", "chinanews", "english_wire")
                and body[0].endswith(article.paragraphs[0])
            )
            page = data.decode(fact["encoding"])
            assert article.title in html.unescape(page)


def test_rendering_is_deterministic(tmp_path):
    first = layouts.render_gallery(tmp_path / "a", 3, seed=11, copies=0.3)
    second = layouts.render_gallery(tmp_path / "b", 3, seed=11, copies=0.3)
    other = layouts.render_gallery(tmp_path / "c", 3, seed=12, copies=0.3)
    assert first == second and first != other
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert len(files) == 3 * len(LAYOUTS) + 1  # the pages and truth.jsonl


def test_gallery_files_and_truth(gallery):
    out, truths, pages = gallery
    assert len(truths) == 6 * len(LAYOUTS)
    assert [json.loads(line) for line in (out / "truth.jsonl").read_text(encoding="utf-8").splitlines()] == truths
    for fact in truths:
        layout = LAYOUTS[fact["layout"]]
        assert re.fullmatch(rf"{layout.name}/\d{{6}}{re.escape(layout.suffix)}", fact["source_path"])
        assert TRUTH_KEYS | {"source_path", "origin", "kind"} <= set(fact)
        dt.date.fromisoformat(fact["date"])
        if fact["published_at"] is not None:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?", fact["published_at"])
            assert fact["published_at"].startswith(fact["date"])
        assert fact["publication"] and isinstance(fact["authors"], list)
        assert 3 <= len(paragraphs(fact)) <= 8
    encodings = {
        f["encoding"] for f in layouts.render_gallery(out / "more", 30, seed=1, layouts=["gov_site", "html_epaper"])
    }
    assert {"utf-8", "gb18030"} <= encodings


def test_body_paragraphs_are_in_the_page(gallery):
    _, truths, pages = gallery
    for fact in truths:
        page = pages[fact["source_path"]]
        if fact["layout"] == "legaldaily_epaper":
            # ASCII punctuation in the body, and a page-jump marker inside a paragraph.
            flat = page
            for piece in fact["boilerplate"]:
                if piece.startswith(("下转", "上接")):
                    flat = flat.replace(piece, "")
            for p in paragraphs(fact):
                assert norm(p) in norm(flat), (fact["source_path"], p)
        elif LAYOUTS[fact["layout"]].suffix == ".txt":
            lines = [line.strip(" \u3000\r") for line in page.split("\n")]
            for p in paragraphs(fact):
                assert p in lines, (fact["source_path"], p)
        else:
            chunks = html_chunks(page)
            for p in paragraphs(fact):
                assert p in chunks, (fact["source_path"], p)
                assert re.search(
                    r"(<p[^>]*>|<P>|<br/>|<founder-content>)(\u3000|&nbsp;| )*"
                    + re.escape(html.escape(p, quote=False)),
                    page,
                )


def test_boilerplate_is_in_the_page_and_never_in_the_text(gallery):
    _, truths, pages = gallery
    for fact in truths:
        page = html.unescape(pages[fact["source_path"]])
        assert fact["boilerplate"], fact["source_path"]
        text = norm(fact["text"])
        for piece in fact["boilerplate"]:
            assert piece in page, (fact["source_path"], piece)
            if len(norm(piece)) >= 4:
                assert norm(piece) not in text, (fact["source_path"], piece)
        assert fact["title"] in fact["boilerplate"]
        for p in paragraphs(fact):
            assert p not in fact["boilerplate"]


def test_metadata_in_the_truth_is_shown_on_the_page(gallery):
    _, truths, pages = gallery
    for fact in truths:
        page = html.unescape(pages[fact["source_path"]])
        assert fact["title"] in page
        for name in fact["authors"]:
            assert name in page
        if fact["original_title"]:
            assert f"原标题：{fact['original_title']}" in page
        assert fact["publication"] in page
        if fact["page"] is not None and fact["layout"] != "legaldaily_epaper":
            assert re.search(rf"第 ?0?{fact['page']} ?版", page)


def test_the_first_paragraph_holds_the_dateline_where_sites_print_one(gallery):
    _, truths, _ = gallery
    for fact in truths:
        first = paragraphs(fact)[0]
        if fact["layout"] == "chinanews":
            assert re.match(r"中新[网社]\w*\d+月\d+日电", first)
        if fact["layout"] == "english_wire":
            assert re.match(r"[A-Z ]+, \w+ \d+ \(Reuters\) - ", first)


def test_copies_repost_an_earlier_article_in_another_layout(gallery):
    _, truths, _ = gallery
    originals = {f["origin"]: f for f in truths if f["kind"] == "original"}
    copies = [f for f in truths if f["kind"] == "copy"]
    assert len(originals) == len(truths) - len(copies) and copies
    for copy in copies:
        source = originals[copy["origin"]]
        assert copy["layout"] != source["layout"]
        body = {norm(p) for p in paragraphs(source)}
        shared = [p for p in paragraphs(copy) if norm(p) in body]
        assert len(shared) >= len(paragraphs(copy)) - 1  # all but a dateline-prefixed first paragraph
    assert all(f["kind"] == "original" for f in layouts.render_gallery(Path(gallery[0]) / "plain", 2, seed=7))


def test_unrelated_originals_share_little_text():
    pool = layouts.load_pool()
    composer = layouts.Composer(pool)
    rng = random.Random(5)
    for _ in range(600):
        composer.article(rng, "zh")
    assert max(composer.overlaps) <= layouts.Composer.MAX_SHARED


def test_the_committed_pool():
    pool = layouts.load_pool()
    assert 100 <= len(set(pool.paragraphs)) == len(pool.paragraphs) <= 150
    assert all(30 <= len(p) <= 300 for p in pool.paragraphs)
    assert 30 <= len(set(pool.titles)) <= 50
    assert len(pool.en_paragraphs) >= 60 and len(pool.en_titles) >= 10
    assert all(re.fullmatch(r"[\x20-\x7e]+", p) for p in pool.en_paragraphs)


def test_golden_fixtures_are_what_the_renderer_makes(tmp_path):
    truths = layouts.write_golden(tmp_path)
    assert len(truths) == layouts.GOLDEN_PAGES * len(LAYOUTS)
    for fact in truths:
        name = Path(fact["source_path"])
        committed = CASES / name
        assert committed.read_bytes() == (tmp_path / name).read_bytes(), (
            f"{committed} differs from a fresh render: run `python -m bench.gallery.layouts --golden`"
        )
        stored = json.loads((CASES / name.parent / f"{name.stem}.truth.json").read_text(encoding="utf-8"))
        assert stored == fact


def test_the_renderer_cli(tmp_path, capsys):
    layouts.main(
        ["--out", str(tmp_path), "--pages-per-layout", "2", "--layouts", "xinhua_web,html_news", "--seed", "4"]
    )
    assert "4 pages" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "raw" / "html_news").iterdir()) == ["000000.html", "000001.html"]
    with pytest.raises(SystemExit):  # an output that already holds pages is left alone
        layouts.main(["--out", str(tmp_path), "--pages-per-layout", "1"])
    layouts.main(["--out", str(tmp_path), "--pages-per-layout", "1", "--force"])
    assert len((tmp_path / "truth.jsonl").read_text(encoding="utf-8").splitlines()) == len(LAYOUTS)


# ---------------------------------------------------------------------------
# The evaluator, on a hand-made output folder
# ---------------------------------------------------------------------------

DOC_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_path", pa.string()),
        ("source_line", pa.int32()),
        ("title", pa.string()),
        ("date", pa.date32()),
        ("publication", pa.string()),
        ("section", pa.string()),
        ("authors", pa.list_(pa.string())),
        ("text", pa.string()),
    ]
)


def fact(path: str, layout: str, origin: str, **extra) -> dict:
    base = {
        "source_path": path,
        "layout": layout,
        "title": "标题一",
        "date": "2020-01-05",
        "published_at": None,
        "publication": "新华网",
        "section": None,
        "page": None,
        "authors": ["王明"],
        "original_title": None,
        "text": "第一段，很长的正文。\n第二段正文内容。\n第三段正文内容。",
        "origin": origin,
        "boilerplate": ["标题一", "来源：新华网", "[责任编辑: 李华 ]", "【纠错】", "END"],
    }
    base.update(extra)
    return base


def row(doc_id: str, path: str, text: str, **extra) -> dict:
    base = {
        "doc_id": doc_id,
        "source_path": path,
        "source_line": None,
        "title": "标题一",
        "date": dt.date(2020, 1, 5),
        "publication": "新华网",
        "section": None,
        "authors": ["王明"],
        "text": text,
    }
    base.update(extra)
    return base


def write(folder: Path, rows: list[dict], schema: pa.Schema) -> None:
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "part-000001.parquet")


@pytest.fixture
def scored(tmp_path):
    text = "第一段，很长的正文。\n第二段正文内容。\n第三段正文内容。"
    truths = [
        fact("xinhua_web/000000.txt", "xinhua_web", "o1"),
        fact("xinhua_web/000001.txt", "xinhua_web", "o2"),
        fact("gov_site/000000.txt", "gov_site", "o3", publication="杭州市人民政府", authors=[]),
        fact("gov_site/000001.txt", "gov_site", "o1", publication="杭州市人民政府", authors=[]),
        fact("gov_site/000002.txt", "gov_site", "o4", publication="杭州市人民政府", authors=[]),
    ]
    documents = [
        # Exact, whatever the whitespace and width: a full-width comma is NFKC's ASCII one.
        row(
            "a",
            "xinhua_web/000000.txt",
            "第一段, 很长的正文。\n 第二段正文内容。\n第三段正文内容。",
            authors=["王明", " "],
        ),
        # Boilerplate left, a paragraph lost, wrong title and date, authors in another order are fine.
        row(
            "b",
            "xinhua_web/000001.txt",
            "第一段，很长的正文。\n第三段正文内容。\n[责任编辑: 李华 ]\nEND",
            title="来源：新华网",
            date=dt.date(2020, 1, 6),
        ),
    ]
    duplicates = [row("d", "gov_site/000001.txt", text, publication="杭州市人民政府", authors=[], duplicate_of="a")]
    write(tmp_path / "documents", documents, DOC_SCHEMA)
    write(tmp_path / "duplicates", duplicates, DOC_SCHEMA.append(pa.field("duplicate_of", pa.string())))
    write(
        tmp_path / "rejects",
        [{"doc_id": "c", "source_path": "gov_site/000000.txt", "reason": "empty_after_cleaning"}],
        pa.schema([("doc_id", pa.string()), ("source_path", pa.string()), ("reason", pa.string())]),
    )
    return tmp_path, truths


def test_evaluate_gives_the_expected_figures(scored):
    out, truths = scored
    report = layout_eval.evaluate(out, truths)
    xinhua, gov, overall = report["layouts"]["xinhua_web"], report["layouts"]["gov_site"], report["overall"]
    assert xinhua == {
        "pages": 2,
        "text_exact": 0.5,
        "title": 0.5,
        "date": 0.5,
        "publication": 1.0,
        "authors": 1.0,
        "section": 1.0,
        "boilerplate_left": 0.5,
        "body_lines_lost": 1,
        "rejected": 0,
        "missing": 0,
    }
    # gov_site: one duplicate row (correct), one reject, one page in no table.
    assert gov == {
        "pages": 3,
        "text_exact": 0.3333,
        "title": 0.3333,
        "date": 0.3333,
        "publication": 0.3333,
        "authors": 0.3333,
        "section": 0.3333,
        "boilerplate_left": 0.0,
        "body_lines_lost": 6,
        "rejected": 1,
        "missing": 1,
    }
    assert overall["pages"] == 5 and overall["text_exact"] == 0.4 and overall["body_lines_lost"] == 7
    assert overall["rejected"] == 1 and overall["missing"] == 1 and overall["boilerplate_left"] == 0.2
    # Columns the tables lack (published_at, original_title, page) are not scored.
    assert "published_at" not in overall and "published_at" not in report["metrics"]
    failing = {f["source_path"]: f for f in report["failures"]}
    assert set(failing) == {"xinhua_web/000001.txt", "gov_site/000000.txt", "gov_site/000002.txt"}
    assert failing["xinhua_web/000001.txt"]["boilerplate_found"] == ["[责任编辑:李华]"]  # END is under 4 characters
    # Pages xinhua_web/000000 and gov_site/000001 share origin o1, and the output clusters them.
    assert report["dedup"] == {"true_pairs": 1, "predicted_pairs": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_evaluate_scores_optional_columns_and_survives_missing_tables(tmp_path):
    truths = [
        fact("people_cn/000000.txt", "people_cn", "o1", published_at="2020-01-05T05:41", page=4),
        fact("people_cn/000001.txt", "people_cn", "o2", published_at="2020-01-05T05:41:09"),
    ]
    schema = DOC_SCHEMA.append(pa.field("published_at", pa.timestamp("s"))).append(pa.field("page", pa.int16()))
    text = truths[0]["text"]
    write(
        tmp_path / "documents",
        [
            row("a", "people_cn/000000.txt", text, published_at=dt.datetime(2020, 1, 5, 5, 41), page=4),
            row("b", "people_cn/000001.txt", text, published_at=dt.datetime(2020, 1, 5, 5, 41), page=None),
        ],
        schema,
    )
    report = layout_eval.evaluate(tmp_path, truths)  # no duplicates, no rejects folder
    assert report["overall"]["published_at"] == 0.5 and report["overall"]["page"] == 1.0
    assert report["overall"]["text_exact"] == 1.0 and report["dedup"]["true_pairs"] == 0
    empty = layout_eval.evaluate(tmp_path / "nothing", truths)
    assert empty["overall"]["text_exact"] == 0.0 and empty["overall"]["missing"] == 2


def test_the_evaluator_cli(scored, capsys):
    out, truths = scored
    truth_file = out / "truth.jsonl"
    truth_file.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in truths), encoding="utf-8")
    layout_eval.main([str(out), str(truth_file), "--show", "5", "--json", str(out / "report.json")])
    printed = capsys.readouterr().out
    assert "xinhua_web" in printed and "gov_site" in printed and "overall" in printed and "dedup:" in printed
    assert "gov_site/000000.txt: rejected" in printed
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["overall"]["pages"] == 5
