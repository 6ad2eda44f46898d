import datetime

import pytest
from conftest import case_id, load_cases

from pipeline.clean.fields import wire_dateline
from pipeline.clean.metadata import extract_metadata, match_metadata_line, parse_byline
from pipeline.core.document import Document


@pytest.mark.parametrize("case", load_cases("metadata.toml", "bylines"), ids=case_id)
def test_bylines(case, patterns):
    found = parse_byline(case["input"], patterns)
    if "authors" not in case:
        assert found is None
    else:
        assert found == (case.get("role"), tuple(case["authors"]))


@pytest.mark.parametrize("case", load_cases("metadata.toml", "datelines"), ids=case_id)
def test_wire_datelines(case, patterns):
    assert wire_dateline(case["input"], patterns) == (tuple(case.get("authors", [])), case.get("agency"))


@pytest.mark.parametrize("case", load_cases("metadata.toml", "metadata_lines"), ids=case_id)
def test_metadata_lines(case, patterns):
    found = match_metadata_line(case["input"], patterns)
    if "date" not in case:
        assert found is None
    else:
        assert found == (datetime.date.fromisoformat(case["date"]), case["source"])


@pytest.mark.parametrize("case", load_cases("metadata.toml", "pages"), ids=case_id)
def test_pages(case, patterns):
    doc = extract_metadata(Document(doc_id="x", source_path="p.txt", text=case["input"]), patterns)
    assert doc.text == case["body"]
    assert doc.title == case.get("title")
    assert doc.date == (datetime.date.fromisoformat(case["date"]) if "date" in case else None)
    assert doc.publication == case.get("publication")
    assert doc.section == case.get("section")
    assert doc.byline_role == case.get("byline_role")
    assert list(doc.authors) == case.get("authors", [])
    # Everything that left the text is accounted for.
    removed = {r.text for r in doc.removed("extract")}
    assert set(case["input"].split("\n")) - set(case["body"].split("\n")) <= removed


def test_known_values_win_over_the_page(patterns):
    page = "正文。\n标题\n( 2021-12-13 ) 稿件来源: 法治日报要闻"
    doc = Document(
        doc_id="x",
        source_path="f.jsonl",
        source_line=1,
        text=page,
        title="订阅源标题",
        publication="人民网",
        date=datetime.date(2021, 1, 1),
    )
    doc = extract_metadata(doc, patterns)
    assert (doc.title, doc.publication, doc.date) == ("订阅源标题", "人民网", datetime.date(2021, 1, 1))


def test_an_english_bylines_separators_are_never_read_inside_a_name(patterns):
    """ "and" inside a word split a name every possible way: hours for a header line of 30 such words before."""
    line = "By Aa" + "andAa" * 30 + "!"
    assert patterns.vocabulary.byline(line) is None
    assert patterns.vocabulary.byline("By Jane Doe and John Smith in Hong Kong") == (None, ("Jane Doe", "John Smith"))
