"""The bundled 法治日报 page, end to end through the cleaning stages."""

import datetime
import re

import pytest
from conftest import CASES, SAMPLE_PAGE

from pipeline.chain import clean_files
from pipeline.clean.punctuation import normalize_cjk_punctuation

GOLDEN = (CASES / "sample" / "000_087269b42eb169e9.clean.txt").read_text(encoding="utf-8").rstrip("\n")


def clean_sample(config):
    docs = clean_files([SAMPLE_PAGE], SAMPLE_PAGE.parent, config)
    assert len(docs) == 1 and not docs[0].rejected, docs
    return docs[0]


def test_metadata(config):
    doc = clean_sample(config)
    assert doc.title == "北京以“个性化”任务推进市域社会治理"
    assert doc.date == datetime.date(2021, 12, 13)
    assert (doc.publication, doc.section) == ("法治日报", "要闻")
    assert doc.byline_role == "本报记者"
    assert doc.authors == ("黄洁", "董凡超")
    assert doc.pages == (3,)
    assert doc.continued_from == (1,)
    assert doc.encoding == "utf-8"


def test_text_matches_the_hand_checked_golden(config):
    doc = clean_sample(config)
    assert doc.text == GOLDEN
    assert len(doc.paragraphs) == 7
    assert "|" not in doc.text
    assert not re.search("下转|上接|第[一二三]版", doc.text)


def test_body_appears_once_and_the_copy_is_accounted_for(config):
    doc = clean_sample(config)
    for paragraph in doc.paragraphs:
        assert doc.text.count(paragraph) == 1
    repeats = doc.removed("page_dedup", "repeated_block")
    # The second copy goes whole, its byline with it (page dedup runs before the header
    # lines are taken out), kept as the page had it (and before punctuation is normalized).
    assert repeats[0].text == "□ 本报记者 黄洁 董凡超"
    assert [normalize_cjk_punctuation(r.text) for r in repeats[1:]] == doc.paragraphs


def test_no_character_of_the_body_is_lost():
    """Undo what cleaning is meant to change and compare with the raw body line."""
    raw_lines = SAMPLE_PAGE.read_text(encoding="utf-8").split("\n")
    body = max(raw_lines, key=len)
    assert raw_lines.count(body) == 2
    expected = body.replace(" 下转第三版 上接第一版 ", "")
    ascii_again = GOLDEN.translate(str.maketrans({"，": ",", "；": ";", "（": "(", "）": ")"})).replace("\n", " ")
    assert ascii_again == expected


def test_punctuation_normalization_can_be_switched_off():
    from pipeline.core.config import Config

    doc = clean_sample(Config(normalize_punctuation=False))
    assert "引领,健全" in doc.text and "引领，健全" not in doc.text
    assert "街道(乡镇)" in doc.text


PAGES = CASES / "pages"


@pytest.mark.parametrize("path", sorted(PAGES.glob("*.same.txt")), ids=lambda p: p.name)
def test_clean_text_stays_byte_identical(path, config):
    (doc,) = clean_files([path], PAGES, config)
    assert doc.text + "\n" == path.read_text(encoding="utf-8")
    assert doc.removals == ()


@pytest.mark.parametrize("path", sorted(PAGES.glob("*.raw.txt")), ids=lambda p: p.name)
def test_raw_pages_give_their_golden_text(path, config):
    (doc,) = clean_files([path], PAGES, config)
    golden = path.with_name(path.name.replace(".raw.txt", ".clean.txt"))
    assert doc.text + "\n" == golden.read_text(encoding="utf-8")


def test_cleaning_is_idempotent(tmp_path, config):
    once = clean_sample(config)
    again_path = tmp_path / "again.txt"
    again_path.write_text(once.text, encoding="utf-8")
    (again,) = clean_files([again_path], tmp_path, config)
    assert again.text == once.text
