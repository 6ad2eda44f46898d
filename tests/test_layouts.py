"""Pages from any scraper: golden pages of every gallery layout, and layouts cleaned without their patterns.

The gallery (bench/gallery/layouts.py) renders pages of twelve site families with
their truth. Golden pages check every field of one page; the generalisation
tests remove every built-in pattern that was added for a layout and check
that what its pages teach (learned boilerplate) still cleans them.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata

import pyarrow as pa
import pytest
from conftest import ROOT, read_tables, run_pipeline

from bench.gallery import layout_eval, layouts
from pipeline.chain import clean_files
from pipeline.clean.boilerplate import page_templates, template_hash
from pipeline.core.config import Config
from pipeline.learn.support import EdgeRows, TemplateCounts

GOLDEN = sorted((ROOT / "tests" / "cases" / "layouts").glob("*/*.truth.json"))


def norm(text) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


@pytest.mark.parametrize("truth_path", GOLDEN, ids=lambda p: f"{p.parent.name}/{p.name.split('.')[0]}")
def test_every_field_of_a_golden_page(truth_path):
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    page = next(p for p in truth_path.parent.glob(truth_path.name.split(".")[0] + ".*") if not p.name.endswith(".json"))
    (doc,) = clean_files([page], page.parent, Config())
    assert doc.reject is None, doc.reject_detail
    # Paragraph for paragraph, up to the width of punctuation (the pages print ASCII where the truth has full width).
    assert [norm(p) for p in doc.paragraphs] == [norm(p) for p in truth["text"].split("\n")]
    assert norm(doc.title) == norm(truth["title"])
    assert doc.date.isoformat() == truth["date"]
    assert doc.publication == truth["publication"]
    assert doc.section == truth["section"]
    assert list(doc.authors) == truth["authors"]
    if truth["published_at"]:
        assert doc.published_at.isoformat().startswith(truth["published_at"])
    assert doc.extractor == ("trafilatura" if page.suffix in (".html", ".htm") else "text")


@pytest.mark.parametrize("layout", sorted(layouts.LAYOUTS))
def test_a_layout_without_its_patterns_comes_out_clean(layout, tmp_path):
    """What a site nobody wrote patterns for looks like: 60 pages teach their own furniture."""
    truths = layouts.render_gallery(tmp_path, 60, seed=31, layouts=[layout])
    run_pipeline(tmp_path / "raw", tmp_path / "out", Config(drop_pattern_layouts=(layout,), batch_size=16))
    figures = layout_eval.evaluate(tmp_path / "out", truths)["overall"]
    assert figures["boilerplate_left"] == 0, [
        f.get("boilerplate_found") for f in layout_eval.evaluate(tmp_path / "out", truths)["failures"]
    ][:3]
    assert figures["body_lines_lost"] == 0
    assert figures["text_exact"] >= 0.95


def article(
    rng,
    n,
    vocabulary="的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经",
):
    return ["".join(rng.choice(vocabulary) for _ in range(rng.randint(40, 90))) + "。" for _ in range(n)]


SLOGAN = "坚持以人民为中心的发展思想，不断增强人民群众的获得感、幸福感、安全感。"
DISCLAIMER = (
    "本网站所刊载的文章仅代表作者观点，转载请注明出处，并保留原文链接。如有侵权，请与我们联系，我们将及时处理。"
)


def test_a_site_disclaimer_under_every_article_is_learned_and_a_quoted_slogan_is_not(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    rng = random.Random(2)
    for k in range(20):
        body = article(rng, 7)
        body.insert(rng.randint(2, 5), SLOGAN)  # quoted somewhere inside the body, never at its edges
        (raw / f"{k:03d}.txt").write_text("\n".join([f"第{k}篇文章的标题", *body, DISCLAIMER]), encoding="utf-8")
    summary = run_pipeline(raw, tmp_path / "out", Config(batch_size=8))
    texts = read_tables(tmp_path / "out")["documents"].column("text").to_pylist()
    assert len(texts) == 20
    assert all(SLOGAN in text for text in texts)
    assert not any("本网站所刊载" in text for text in texts)
    learned = [t["template"] for t in summary["boilerplate_learned"]]
    assert any(t.startswith("本网站所刊载") for t in learned) and not any("坚持以人民为中心" in t for t in learned)


LONG_PARAGRAPH = (
    "在由文化和旅游部、国家文物局联合主办的“归来——意大利返还中国流失文物展”中，七百多件文物成为关注焦点。"
    "双透明的玻璃柜内，陶器纹饰精美多样，红陶骆驼、红陶马栩栩如生，彩绘人物俑神态各异，吸引了众多观众驻足观看。"
    "这些文物历经磨难终于回到祖国怀抱，见证了中意两国在文物保护领域的友好合作。"
)


def test_a_long_body_paragraph_that_opens_some_articles_and_stands_inside_many_is_not_learned(tmp_path):
    """A paragraph quoted by many articles (a wire lede, a speech) is body text, however long and wherever it opens a page.

    Before long lines were counted inside bodies too, this one (over 120
    characters) was learned from the pages it opens and cut from them: a
    hundred thousand benchmark pages lost such paragraphs, and dedup a tenth of its recall.
    """
    assert len(LONG_PARAGRAPH) > 120
    raw = tmp_path / "raw"
    raw.mkdir()
    rng = random.Random(5)
    for k in range(40):
        body = article(rng, 7)
        if k < 8:
            body.insert(0, LONG_PARAGRAPH)  # opens eight articles
        else:
            body.insert(rng.randint(2, 5), LONG_PARAGRAPH)  # and is quoted inside thirty-two others
        (raw / f"{k:03d}.txt").write_text("\n".join([f"第{k}篇文章的标题", *body, DISCLAIMER]), encoding="utf-8")
    summary = run_pipeline(raw, tmp_path / "out", Config(batch_size=8))
    texts = read_tables(tmp_path / "out")["documents"].column("text").to_pylist()
    assert len(texts) == 40
    assert all(LONG_PARAGRAPH in text for text in texts)
    learned = [t["template"] for t in summary["boilerplate_learned"]]
    assert any(t.startswith("本网站所刊载") for t in learned) and not any("在由文化和旅游部" in t for t in learned)


def test_a_footer_line_one_source_uses_is_learned_for_that_source_only(tmp_path):
    """Support per source: a line at the foot of every page of one sub-folder, and inside bodies elsewhere."""
    raw = tmp_path / "raw"
    rng = random.Random(3)
    footer = "来源：本市融媒体中心"
    for site, count in (("siteA", 8), ("siteB", 40)):
        (raw / site).mkdir(parents=True)
        for k in range(count):
            body = article(rng, 6)
            lines = (
                [f"{site}第{k}篇", *body, footer]
                if site == "siteA"
                else [f"{site}第{k}篇", *body[:3], footer, *body[3:]]
            )
            (raw / site / f"{k:03d}.txt").write_text("\n".join(lines), encoding="utf-8")
    run_pipeline(raw, tmp_path / "out", Config(batch_size=8, drop_pattern_layouts=(), learn_boilerplate=True))
    rows = read_tables(tmp_path / "out")["documents"].to_pylist()
    texts = {row["source_path"]: row["text"] for row in rows}
    assert not any(footer in text for path, text in texts.items() if path.startswith("siteA/"))
    assert all(footer in text for path, text in texts.items() if path.startswith("siteB/"))


def test_later_runs_use_what_earlier_runs_learned(tmp_path):
    raw = tmp_path / "raw"
    (raw / "site").mkdir(parents=True)
    rng = random.Random(4)
    furniture = ["【阅读提示】点此查看更多精彩内容", "本频道责任人：值班主任"]

    def page(k):
        return "\n".join([f"第{k}篇的标题", *article(rng, 5), *furniture])

    for k in range(8):
        (raw / "site" / f"{k:03d}.txt").write_text(page(k), encoding="utf-8")
    first = run_pipeline(raw, tmp_path / "out")
    assert first["boilerplate_learned"]
    for k in range(8, 10):  # two new pages: too few to teach anything on their own
        (raw / "site" / f"{k:03d}.txt").write_text(page(k), encoding="utf-8")
    second = run_pipeline(raw, tmp_path / "out")
    assert second["files_processed"] == 2
    texts = read_tables(tmp_path / "out")["documents"].column("text").to_pylist()
    assert not any(line in text for text in texts for line in furniture)


def test_links_to_other_articles_under_every_page_are_learned_whatever_their_titles(tmp_path):
    """上一篇：<a different title on every page> is one template under a body, never above it."""
    raw = tmp_path / "raw"
    raw.mkdir()
    rng = random.Random(6)
    closing = "他最后说：我们会把这件事一直做下去，请大家放心。"
    for k in range(12):
        body = article(rng, 5) + ([closing] if k % 3 == 0 else [])
        links = [
            f"上一篇：{''.join(article(rng, 1))[: rng.randint(8, 30)]}……",
            f"下一篇：{''.join(article(rng, 1))[: rng.randint(8, 30)]}",
        ]
        (raw / f"{k:03d}.txt").write_text("\n".join([f"第{k}篇文章的标题", *body, *links]), encoding="utf-8")
    summary = run_pipeline(raw, tmp_path / "out")
    texts = read_tables(tmp_path / "out")["documents"].column("text").to_pylist()
    assert not any("上一篇" in text or "下一篇" in text for text in texts)
    assert sum(closing in text for text in texts) == 4
    assert {"上一篇:<v>", "下一篇:<v>"} <= {t["template"] for t in summary["boilerplate_learned"]}


def test_a_patterns_file_teaches_furniture_and_a_publication_to_a_single_page(tmp_path):
    """What the README shows: lines no table lists, taught through patterns_file, on a page too alone to learn from."""
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[[label]]\nkind = "editor"\nnames = ["值班编委"]\n\n'
        '[[widget]]\nkind = "follow"\nphrases = ["长按识别二维码关注潇湘晨报"]\n\n'
        '[publications]\nnames = ["潇湘晨报"]\n',
        encoding="utf-8",
    )
    rng = random.Random(7)
    body = article(rng, 3)
    page = "\n".join(
        [
            "湘江新区再添一座跨江大桥",
            "2021-06-01 08:30 来源：潇湘晨报要闻",
            *body,
            "值班编委：刘一鸣",
            "长按识别二维码关注潇湘晨报",
        ]
    )
    path = tmp_path / "page.txt"
    path.write_text(page, encoding="utf-8")
    (plain,) = clean_files([path], tmp_path, Config())
    assert "值班编委：刘一鸣" in plain.text  # unknown without the file
    (doc,) = clean_files([path], tmp_path, Config(patterns_file=str(extra)))
    assert list(doc.paragraphs) == body
    assert (doc.title, doc.publication, doc.section, doc.date.isoformat()) == (
        "湘江新区再添一座跨江大桥",
        "潇湘晨报",
        "要闻",
        "2021-06-01",
    )


def test_only_templates_that_can_be_learned_leave_the_counts_and_earlier_edges_count_exactly():
    """A template at one edge of a single article cannot be learned; the edges earlier runs kept count as if read now.

    The edge rows of earlier pages (the output's ``edges`` table) are counted
    with this run's, an article once however many runs saw it: the counts of
    an incremental output are a full rebuild's. Only ``inside`` adds up with
    the earlier support.
    """
    rng = random.Random(6)
    counts = TemplateCounts()
    shared, once, seen_before = "（责任编辑：王明）", "本文首发于某某客户端", "扫码下载某某新闻客户端"
    pages = [
        [f"第{k}篇的标题", *article(rng, 4), bottom]
        for k, bottom in enumerate([shared, shared, shared, once, seen_before])
    ]
    for lines in pages:
        counts.add_page("site", page_templates(lines))
    earlier = EdgeRows()
    for k in range(3):  # three earlier articles closed by seen_before, and one of this run's again (a repost)
        earlier.add(f"old{k}.txt", "site", page_templates([f"旧{k}篇的标题", *article(rng, 4), seen_before])[0])
    earlier.add("repost.txt", "site", page_templates(pages[0])[0])
    counts.add_rows(earlier.table())
    counted = counts.counted()
    bottom = dict(zip(counted.column("template_hash").to_pylist(), counted.column("bottom").to_pylist()))
    assert bottom[template_hash(shared)] == 3 and bottom[template_hash(seen_before)] == 4
    assert template_hash(once) not in bottom
    assert set(counted.column("pages").to_pylist()) == {8}  # five articles now, three before; the repost counts once
    before = pa.table(
        {
            "scope": ["site"],
            "template_hash": pa.array([template_hash(shared)], pa.uint64()),
            "template": [shared],
            "top": [0],
            "bottom": [3],
            "inside": [2],
            "pages": [8],
            "learned": [None],
        }
    )
    support = counts.support(before)
    inside = dict(zip(support.column("template_hash").to_pylist(), support.column("inside").to_pylist()))
    assert inside[template_hash(shared)] == 2 and inside[template_hash(seen_before)] == 0
