"""The same page in every encoding a scraper produces gives the same clean text."""

import pytest
from conftest import CASES, SAMPLE_PAGE

from pipeline.chain import clean_files
from pipeline.clean.encoding import repair_text
from pipeline.core.document import (
    FLAG_GBK_AS_LATIN1_FIXED,
    FLAG_MOJIBAKE_FIXED,
    FLAG_UNRECOVERABLE,
)
from pipeline.read.decoding import decode_bytes

TRADITIONAL_PAGE = (CASES / "encoding" / "big5-compatible-page.txt").read_text(encoding="utf-8")
SIMPLIFIED_PAGE = SAMPLE_PAGE.read_text(encoding="utf-8")

VARIANTS = {
    "utf-8": lambda page: page.encode("utf-8"),
    "utf-8-bom": lambda page: b"\xef\xbb\xbf" + page.encode("utf-8"),
    "gb18030": lambda page: page.encode("gb18030"),
    "gb18030-read-as-latin-1": lambda page: page.encode("gb18030").decode("latin-1").encode("utf-8"),
    "utf-8-read-as-latin-1": lambda page: page.encode("utf-8").decode("latin-1").encode("utf-8"),
    "crlf": lambda page: page.replace("\n", "\r\n").encode("utf-8"),
}
TRADITIONAL_ONLY = {
    "big5": lambda page: page.encode("big5"),
    "big5-read-as-latin-1": lambda page: page.encode("big5").decode("latin-1").encode("utf-8"),
}


def clean_bytes(tmp_path, name, data, config):
    path = tmp_path / f"{name}.txt"
    path.write_bytes(data)
    (doc,) = clean_files([path], tmp_path, config)
    assert not doc.rejected, (doc.reject, doc.reject_detail)
    return doc


def comparable(doc):
    return (doc.text, doc.title, doc.date, doc.publication, doc.section, doc.authors, doc.pages)


@pytest.mark.parametrize("page", [SIMPLIFIED_PAGE, TRADITIONAL_PAGE], ids=["simplified", "traditional"])
def test_every_encoding_gives_the_same_clean_text(tmp_path, config, page):
    variants = dict(VARIANTS, **(TRADITIONAL_ONLY if page is TRADITIONAL_PAGE else {}))
    reference = clean_bytes(tmp_path, "reference", page.encode("utf-8"), config)
    assert reference.title and len(reference.paragraphs) >= 3
    for name, encode in variants.items():
        doc = clean_bytes(tmp_path, name, encode(page), config)
        assert comparable(doc) == comparable(reference), name


def test_encodings_and_repairs_are_recorded(tmp_path, config):
    page = TRADITIONAL_PAGE
    assert clean_bytes(tmp_path, "a", page.encode("big5"), config).encoding == "big5"
    assert clean_bytes(tmp_path, "b", page.encode("gb18030"), config).encoding == "gb18030"
    assert clean_bytes(tmp_path, "c", b"\xef\xbb\xbf" + page.encode("utf-8"), config).encoding == "utf-8-sig"
    latin = clean_bytes(tmp_path, "d", VARIANTS["gb18030-read-as-latin-1"](page), config)
    assert FLAG_GBK_AS_LATIN1_FIXED in latin.flags
    utf8 = clean_bytes(tmp_path, "e", VARIANTS["utf-8-read-as-latin-1"](page), config)
    assert FLAG_MOJIBAKE_FIXED in utf8.flags


def test_western_text_with_accents_is_not_reinterpreted():
    text = "Le café de la Société générale à Zürich, déjà ouvert."
    assert repair_text(text) == (text, ())


def test_symbols_of_chinese_text_are_left_alone_and_mac_roman_mojibake_is_still_undone():
    from pipeline.clean.encoding import _NOTHING_TO_REPAIR

    chinese = "第Ⅱ阶段②，比例为3∶1，见→图※。"
    assert _NOTHING_TO_REPAIR.fullmatch(chinese)
    assert repair_text(chinese) == (chinese, ())
    # √ ∂ ≈ are what Mac Roman makes of UTF-8 lead and continuation bytes: never on the fast path.
    assert repair_text("Gr√∂√üe, caf√© und M√ºnchen") == ("Größe, café und München", (FLAG_MOJIBAKE_FIXED,))


def test_lost_characters_are_flagged_not_passed_as_clean(tmp_path, config):
    body = "北京市委政法委发挥统筹协调作用，" * 20 + "成立由\ufffd\ufffd家单位组成的试点工作协调指导组。"
    doc = clean_bytes(tmp_path, "lost", body.encode("utf-8"), config)
    assert doc.unrecoverable_chars == 2
    assert FLAG_UNRECOVERABLE in doc.flags


def test_mostly_lost_text_is_rejected(tmp_path, config):
    path = tmp_path / "garbled.txt"
    path.write_text("标题\n" + "\ufffd" * 50 + "正文。", encoding="utf-8")
    (doc,) = clean_files([path], tmp_path, config)
    assert doc.reject == "undecodable"
    assert "U+FFFD" in doc.reject_detail


def test_truncated_last_character_keeps_the_text():
    data = "北京市委政法委发挥统筹协调作用。".encode("utf-8")[:-1]
    decoded = decode_bytes(data, ("gb18030",))
    assert decoded.encoding == "utf-8"
    assert decoded.text.startswith("北京市委政法委发挥统筹协调作用")
    assert "invalid_bytes_replaced" in decoded.flags


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b" \n\t\r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary"),
        (b"PK\x03\x04" + bytes(200), "binary"),
        (bytes(range(256)) * 8, "binary"),
    ],
    ids=["empty", "whitespace", "png", "zip", "all-bytes"],
)
def test_non_text_is_rejected_with_a_reason(data, reason):
    decoded = decode_bytes(data, ("gb18030", "big5"))
    assert decoded.reject == reason
    assert decoded.detail


def test_a_few_nul_bytes_are_removed_and_flagged():
    data = ("北京市委政法委发挥统筹协调作用。" * 20 + "\x00" + "成立试点工作协调指导组。" * 20).encode("utf-8")
    decoded = decode_bytes(data, ())
    assert "\x00" not in decoded.text
    assert "nul_removed" in decoded.flags


def test_mostly_ascii_gbk_is_not_mistaken_for_damaged_utf8():
    text = "Report 2020-01-04: " + "market index rose 0.5 percent today. " * 40 + "北京市。"
    decoded = decode_bytes(text.encode("gb18030"), ("gb18030", "big5"))
    assert decoded.encoding == "gb18030"
    assert decoded.text == text


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_utf16_and_utf32_with_a_bom_are_text(codec):
    text = "北京市委政法委发挥统筹协调作用。" * 5
    decoded = decode_bytes(text.encode(codec), ("gb18030",))
    assert decoded.text == text and decoded.flags == ("bom_removed",)


def test_gb18030_four_byte_characters_read_as_latin1_are_repaired_with_the_rest():
    """A book list whose columns a no-break space separates: GB18030 writes it in four bytes (81 30 84 32)."""
    from pipeline.clean.encoding import repair_text

    page = (
        "书名：红楼梦\xa0\xa0作者：曹雪芹\n出版社：人民文学出版社\xa0\xa0定价：59元\n书名：三国演义\xa0\xa0作者：罗贯中"
    )
    assert "\xa0".encode("gb18030") == b"\x810\x842"
    assert repair_text(page.encode("gb18030").decode("latin-1")) == (page, ("gbk_as_latin1_fixed",))
    # With an en space, a euro sign and an emoji among them (other four-byte and two-byte forms).
    other = "今天的价格是\u200299€，大家都很满意😀，记者在现场看到。"
    assert repair_text(other.encode("gb18030").decode("latin-1"))[0] == other
