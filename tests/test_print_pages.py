"""Pages copied out of a PDF or print layout, and pages in Japanese encodings.

A PDF dump breaks every line at a fixed width and puts page numbers between
the lines; a print page is still one article. These pages are built from the
committed article pool, so the truth is known, and none of them is in the
layout gallery the cleaning was tuned on.
"""

from __future__ import annotations

import random
import textwrap

from conftest import ROOT

from bench.gallery import layouts
from pipeline.chain import clean_files
from pipeline.clean.reflow import columns, reflow
from pipeline.core.config import Config
from pipeline.core.document import FLAG_REFLOWED

POOL = layouts.load_pool()


def wrap_cjk(paragraph: str, width: int) -> list[str]:
    """Break ``paragraph`` at ``width`` display columns, the way pdftotext does."""
    lines, line = [], ""
    for ch in paragraph:
        if columns(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    return lines + [line] if line else lines


def pdf_page(paragraphs: list[str], width: int, indent: str) -> str:
    lines: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        lines += wrap_cjk(indent + paragraph, width)
        if i == 1:
            lines.append("- 2 -")
    return "\n".join(lines)


def test_a_hard_wrapped_page_gets_its_paragraphs_back(tmp_path):
    rng = random.Random(7)
    for n, (width, indent) in enumerate([(36, "　　"), (44, ""), (60, "  ")]):
        paragraphs = [p for p in rng.sample(POOL.paragraphs, 12) if len(p) > 60][:4]
        title = rng.choice(POOL.titles)
        page = tmp_path / f"{n}.txt"
        page.write_text(f"{title}\n本报记者　王静\n" + pdf_page(paragraphs, width, indent) + "\n", encoding="utf-8")
        (doc,) = clean_files([page], tmp_path, Config())
        assert doc.text.split("\n") == paragraphs, width
        assert doc.title == title
        assert FLAG_REFLOWED in doc.flags
        assert ("strip", "page_number", "- 2 -") in [(r.stage, r.kind, r.text) for r in doc.removals]


def test_scraped_web_text_is_never_reflowed(tmp_path):
    sample = next((ROOT / "data" / "raw").glob("*.txt")).read_text(encoding="utf-8")
    assert reflow(sample) == (sample, 0)
    # Ragged lines of one short paragraph each, as most scrapers write them.
    paragraphs = list(POOL.paragraphs[:30])
    text = "\n".join(paragraphs)
    assert reflow(text)[1] == 0
    page = tmp_path / "web.txt"
    page.write_text(POOL.titles[0] + "\n" + text, encoding="utf-8")
    (doc,) = clean_files([page], tmp_path, Config())
    assert FLAG_REFLOWED not in doc.flags


def test_english_wrapped_at_word_boundaries_is_left_as_written():
    # Word wrap leaves ragged ends (a word does not fit, and goes down whole), so no
    # width is shared by most lines: reflow cannot tell such text from a list of short
    # paragraphs, and keeping the lines is the safe side.
    paragraphs = [p for p in POOL.en_paragraphs if len(p) > 200][:3]
    wrapped = "\n".join(line for p in paragraphs for line in textwrap.wrap(p, 72) + [""])
    assert reflow(wrapped) == (wrapped, 0)


def test_header_lines_at_the_wrap_width_stay_lines_of_their_own():
    paragraph = POOL.paragraphs[3] * 3
    header = "8　社会　2020年11月23日 星期一"
    header += "　" * ((36 - columns(header)) // 2)
    text, joined = reflow("\n".join([header, *wrap_cjk(paragraph, 36)]))
    first, *body = text.split("\n")
    assert first == header
    assert joined > 3 and "".join(body) == paragraph


def test_japanese_pages_in_euc_jp_and_their_times(tmp_path):
    body = "新工場では、地元から100人程度を採用する予定だということです。\n訪れた男性は「しばらく外出を控えていたので、きょうは思い切り楽しみたい」と話していました。"
    page = "県内で新工場が完成\n2020年5月24日 18時30分\n" + body + "\n"
    for codec in ("euc_jp", "shift_jis"):
        path = tmp_path / f"{codec}.txt"
        path.write_bytes(page.encode(codec))
        (doc,) = clean_files([path], tmp_path, Config())
        assert doc.text == body, codec
        assert doc.title == "県内で新工場が完成"
        assert str(doc.published_at) == "2020-05-24 18:30:00"


def test_a_list_of_headlines_cut_to_one_length_is_no_wrapped_paragraph():
    # Sites trim the titles of a related-links list to one length: equal widths, no sentence.
    titles = [t[:18] for t in POOL.titles if len(t) >= 18][:6]
    assert len(titles) == 6
    page = "\n".join(["相关新闻", *titles, POOL.paragraphs[0]])
    assert reflow(page) == (page, 0)
