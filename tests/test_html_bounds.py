"""HTML pages that would stall a run or lose their article: each bounded, each with a result or its own reason.

trafilatura's full extraction falls back to justext, which is quadratic in a
page's blocks; libxml2 reads only 256 levels deep by default. These pages
were measured stalling a run for minutes or coming out as ``no_main_text``.
"""

import json
import time

from conftest import run_pipeline

from pipeline import store
from pipeline.core.config import Config
from pipeline.core.document import Document
from pipeline.read.html import FAST_ELEMENTS, MAX_ELEMENTS, extract_html, read_page

PARAGRAPHS = [
    "国务院新闻办公室今天举行发布会，介绍今年以来经济运行情况。",
    "数据显示，前三季度全国居民人均可支配收入实际增长百分之五点二。",
    "发言人表示，下一步将继续加大对中小企业的支持力度，稳定就业。",
    "多地出台措施，推动消费回暖，服务业生产指数持续回升。",
]
ARTICLE = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


def page(body: str, title: str = "前三季度经济运行总体平稳") -> str:
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"


def extracted(html: str) -> Document:
    return extract_html(Document("id", "page.html", text=html), Config())


def test_a_page_of_thousands_of_blocks_is_extracted_in_linear_time():
    filler = "".join(f"<div class='related'>相关链接{i}</div>" for i in range(8_000))
    html = page(f"<article><h1>前三季度经济运行总体平稳</h1>{ARTICLE}</article>{filler}")
    assert read_page(html).fast and read_page(html).elements > FAST_ELEMENTS
    started = time.perf_counter()
    doc = extracted(html)
    # Not a timing assertion: a guard against the minutes the full extraction takes on such a page.
    assert time.perf_counter() - started < 60
    assert not doc.rejected
    assert all(p in doc.text for p in PARAGRAPHS)


def test_a_page_of_more_elements_than_an_article_has_is_rejected_with_its_own_reason():
    rows = "".join(f"<tr><td>{i}</td><td>数据{i}</td></tr>" for i in range(MAX_ELEMENTS // 2))
    doc = extracted(page(f"<table>{rows}</table>"))
    assert doc.reject == "too_large"
    assert "elements" in doc.reject_detail and f"{MAX_ELEMENTS:,}" in doc.reject_detail


def test_an_ordinary_page_keeps_the_full_extraction():
    html = page(
        f"<nav><a href='/'>首页</a><a href='/n'>新闻</a></nav><article>{ARTICLE}</article><footer>版权所有</footer>"
    )
    assert not read_page(html).fast
    doc = extracted(html)
    assert all(p in doc.text for p in PARAGRAPHS) and "版权所有" not in doc.text


def test_an_article_nested_300_deep_is_read():
    # libxml2's default limit (256) cut this to nothing: no_main_text "0 characters".
    doc = extracted(page("<div>" * 300 + ARTICLE + "</div>" * 300))
    assert not doc.rejected, doc.reject_detail
    assert all(p in doc.text for p in PARAGRAPHS)


def test_an_unclosed_tag_per_paragraph_thousands_deep_is_read():
    # A <font> opened per paragraph and never closed: deeper than libxml2 reads at all.
    paragraphs = [f"第{i}段：" + PARAGRAPHS[i % len(PARAGRAPHS)] for i in range(2_500)]
    html = page("".join(f"<font color='black'><p>{p}" for p in paragraphs))
    found = read_page(html)
    assert "font" in found.flattened and not found.too_deep
    doc = extracted(html)
    assert not doc.rejected, doc.reject_detail
    assert paragraphs[0] in doc.text and paragraphs[-1] in doc.text


def test_a_nul_before_the_html_of_a_jsonl_record_is_taken_out(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    records = [
        {"id": "a", "html": "\x00" + page(f"<article>{ARTICLE}</article>")},
        {"id": "b", "html": page("<article>" + "".join(f"<p>{p}另外报道。</p>" for p in PARAGRAPHS) + "</article>")},
    ]
    (raw / "feed.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    run_pipeline(raw, out)
    documents = store.read_table(out, "documents").to_pylist()
    first = next(d for d in documents if d["source_id"] == "a")
    assert PARAGRAPHS[0] in first["text"] and "nul_removed" in first["flags"]
    assert store.read_table(out, "rejects").num_rows == 0


def test_a_page_declaring_a_charset_outside_encodings_is_read_in_it(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    russian = [
        "Президент России провёл совещание с членами правительства.",
        "Обсуждались вопросы экономического развития регионов страны.",
    ]
    html = (
        "<html><head><meta charset='windows-1251'><title>Совещание</title></head><body><article>"
        + "".join(f"<p>{line}</p>" for line in russian)
        + "</article></body></html>"
    )
    (raw / "news.html").write_bytes(html.encode("cp1251"))
    out = tmp_path / "out"
    run_pipeline(raw, out)
    (doc,) = store.read_table(out, "documents").to_pylist()
    assert doc["encoding"] == "cp1251" and russian[0] in doc["text"]


def test_hostile_html_pages_beside_articles_all_end_somewhere(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(6):
        body = "".join(f"<p>第{i}篇：{p}</p>" for p in PARAGRAPHS)
        (raw / f"article{i}.html").write_text(page(f"<article>{body}</article>", title=f"报道{i}"), encoding="utf-8")
    (raw / "blocks.html").write_text(
        page("".join(f"<div>{i}</div>" for i in range(MAX_ELEMENTS + 10))), encoding="utf-8"
    )
    (raw / "deep.html").write_text(page("<div>" * 3_000 + "<p>很深</p>"), encoding="utf-8")
    out = tmp_path / "out"
    summary = run_pipeline(raw, out)
    tables = {t: store.read_table(out, t).to_pylist() for t in ("documents", "duplicates", "rejects")}
    # (The six articles share most of their text: kept or duplicate, each is there.)
    assert sorted(r["source_path"] for r in tables["documents"] + tables["duplicates"]) == [
        f"article{i}.html" for i in range(6)
    ]
    reasons = {r["source_path"]: r["reason"] for r in tables["rejects"]}
    # The deep page is read to its end (its nesting <div>s taken out) and holds two characters of text.
    assert reasons == {"blocks.html": "too_large", "deep.html": "no_main_text"}
    assert summary["counts_add_up"]


def test_the_header_of_a_page_under_an_xml_declaration_or_300_deep_gives_its_metadata():
    # lxml refuses a string that declares its encoding, and reads only 256 levels
    # by default: the lines around the main text came out empty, and with them the
    # page's dateline. They are now read from the tree trafilatura read.
    header = "<div class='info'>2021-03-04 09:30 来源：法治日报 作者：王明</div>"
    for html in (
        '<?xml version="1.0" encoding="utf-8"?>\n' + page(header + f"<article>{ARTICLE}</article>"),
        page("<div>" * 300 + header + f"<article>{ARTICLE}</article>" + "</div>" * 300),
    ):
        doc = extracted(html)
        assert not doc.rejected, doc.reject_detail
        assert all(p in doc.text for p in PARAGRAPHS)
        assert (doc.publication, str(doc.date), doc.authors) == ("法治日报", "2021-03-04", ("王明",))


def test_trafilatura_leaves_the_parsed_tree_as_it_was_for_the_context_lines():
    # The lines around the main text are read from the tree trafilatura was given.
    import lxml.html
    import trafilatura

    from pipeline.read.html import _extractor

    parsed = read_page(page("<div class='info'>2021-03-04 来源：法治日报</div><nav>首页</nav>" + ARTICLE)).tree
    before = lxml.html.tostring(parsed)
    assert trafilatura.bare_extraction(parsed, options=_extractor(False)).text
    assert lxml.html.tostring(parsed) == before
