"""What learning takes out as a site's furniture, and the article's own lines it leaves, at any corpus size.

Furniture belongs to a site: it stands at one edge of a large share of the
site's pages. An article's own lines (credits, affiliations, labels, subheads,
pull quotes, the closing sentence several reports of one event share, the
formulaic lead of a daily report) stand on a small share of any site, however
many pages share them, and stay in the text.
"""

from __future__ import annotations

import collections
import json
import random
from pathlib import Path

from conftest import read_tables, run_pipeline
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.chain import clean_files
from pipeline.core.config import Config

PROSE = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"


def paragraphs(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(PROSE) for _ in range(rng.randint(40, 90))) + "。" for _ in range(n)]


def title(rng: random.Random) -> str:
    return "".join(rng.choice(PROSE) for _ in range(rng.randint(8, 16)))


# A site's furniture: a header line on every page, a footer on most, a notice on some.
FURNITURE = {
    "siteA": ("来源：甲市融媒体中心", "【甲市新闻网 版权所有】", "欢迎扫码关注甲市发布"),
    "siteB": ("乙省日报客户端 新闻频道", "本频道值班主任：当班编辑", "打开乙省日报客户端看更多"),
    "siteC": ("丙州在线 > 新闻 > 本地", "丙州在线欢迎您", "丙州在线新闻中心出品"),
}
# The article's own lines, as real papers print them, at the rates they do.
ARTICLE_LINES = {
    "label": ("核心阅读", 0.06, "top"),
    "credit": ("制图：赵磊", 0.04, "bottom"),
    "affiliation": ("（作者为甲市社科院研究员）", 0.03, "bottom"),
    "subhead": ("■记者手记", 0.03, "bottom"),
    "closing": ("中共中央政治局常委、中央书记处书记王沪宁出席会议。", 0.06, "bottom"),
}


def site_page(rng: random.Random, site: str, k: int) -> tuple[str, list[str]]:
    """A page of ``site``: its title, furniture, body and (sometimes) article lines; and the article lines it holds."""
    header, footer, notice = FURNITURE[site]
    body = paragraphs(rng, rng.randint(3, 7))
    held = []
    for line, rate, where in ARTICLE_LINES.values():
        if rng.random() < rate:
            held.append(line)
            if where == "top":
                body = [line, *body]
            elif line.startswith("■"):
                body = [*body, line, *paragraphs(rng, 1)]
            else:
                body = [*body, line]
    lines = [f"{title(rng)}{k}", header, *body, footer] + ([notice] if rng.random() < 0.5 else [])
    return "\n".join(lines), held


def write_site(raw: Path, site: str, count: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    (raw / site).mkdir(parents=True, exist_ok=True)
    held = {}
    for k in range(count):
        text, lines = site_page(rng, site, k)
        name = f"{site}/{k:05d}.txt"
        (raw / name).write_text(text, encoding="utf-8")
        held[name] = lines
    return held


def cleaned(raw: Path) -> dict[str, str]:
    paths = sorted(p for p in raw.rglob("*.txt"))
    return {doc.source_path: doc.text for doc in clean_files(paths, raw, Config(workers=1))}


def test_a_sites_furniture_goes_and_every_article_line_stays(tmp_path):
    held = write_site(tmp_path, "siteA", 300, seed=1)
    texts = cleaned(tmp_path)
    assert sum(len(lines) for lines in held.values()) > 40, "too few article lines: a weak test"
    for name, lines in held.items():
        for line in lines:
            assert line in texts[name].split("\n"), (name, line)
        assert not any(piece in texts[name] for piece in FURNITURE["siteA"]), (name, texts[name][-80:])


@settings(max_examples=6, deadline=None)
@given(
    others=st.lists(
        st.tuples(st.sampled_from(["siteB", "siteC"]), st.integers(0, 400)),
        min_size=1,
        max_size=2,
        unique_by=lambda t: t[0],
    ),
    seed=st.integers(0, 1000),
)
def test_a_page_cleans_the_same_whatever_other_sites_are_in_the_run(tmp_path_factory, others, seed):
    """Unrelated pages of other sites, in any number, change nothing of a site's pages."""
    alone = tmp_path_factory.mktemp("alone")
    write_site(alone, "siteA", 60, seed)
    mixed = tmp_path_factory.mktemp("mixed")
    write_site(mixed, "siteA", 60, seed)
    for site, count in others:
        write_site(mixed, site, count, seed + 1)
    ours = cleaned(alone)
    theirs = {name: text for name, text in cleaned(mixed).items() if name.startswith("siteA/")}
    assert ours == theirs


def test_a_page_keeps_its_article_lines_in_a_site_ten_times_larger(tmp_path):
    """The first 100 pages of a site, and the same pages among 1,000: the same text."""
    small, large = tmp_path / "small", tmp_path / "large"
    held = write_site(small, "siteA", 100, seed=5)
    write_site(large, "siteA", 1000, seed=5)
    before, after = cleaned(small), cleaned(large)
    assert {name: after[name] for name in before} == before
    assert all(line in before[name] for name, lines in held.items() for line in lines)


def daily_report(day: int, cases: int, rng: random.Random) -> str:
    lead = (
        f"新华社北京2月{day + 1}日电 2月{day}日0—24时，31个省（自治区、直辖市）和新疆生产建设兵团报告新增确诊病例{cases}例，"
        f"新增治愈出院病例{cases // 3 + day}例。"
    )
    return "\n".join(
        [f"国家卫健委通报2月{day}日疫情", f"2020-02-{day + 1:02d} 08:{day:02d}", lead, *paragraphs(rng, 3)]
    )


def test_daily_reports_keep_their_formulaic_leads_dates_and_are_not_copies_of_each_other(tmp_path):
    rng = random.Random(2)
    site = tmp_path / "raw" / "health"
    site.mkdir(parents=True)
    for day in range(1, 13):
        (site / f"report-{day:02d}.txt").write_text(daily_report(day, 400 + 17 * day, rng), encoding="utf-8")
    for k in range(30):  # the site's other pages
        (site / f"news-{k:02d}.txt").write_text(
            "\n".join([title(rng), f"2020-02-{k % 28 + 1:02d} 09:00", *paragraphs(rng, 4)]), encoding="utf-8"
        )
    run_pipeline(tmp_path / "raw", tmp_path / "out")
    tables = read_tables(tmp_path / "out")
    reports = [row for row in tables["documents"].to_pylist() if row["source_path"].startswith("health/report-")]
    assert len(reports) == 12 and tables["duplicates"].num_rows == 0
    for row in reports:
        assert row["text"].split("\n")[0].startswith("新华社北京2月") and "新增确诊病例" in row["text"]
        assert row["date"] is not None


def test_a_feed_of_short_records_keeps_every_record(tmp_path):
    """Quotes, briefs and weather lines of one feed: many share a shape, none is furniture."""
    rng = random.Random(3)
    raw = tmp_path / "raw"
    raw.mkdir()
    with (raw / "feed.jsonl").open("w", encoding="utf-8") as feed:
        for k in range(600):
            price, change = rng.randint(500, 9000) / 100, rng.randint(-900, 900) / 100
            text = [f"{k % 50}号公司今日收盘价{price}元，涨跌幅{change}%，成交额{rng.randint(1, 90)}亿元。"]
            if k % 3 == 0:
                text.append(f"北京 晴 {rng.randint(-5, 30)}℃")
            feed.write(json.dumps({"id": k, "source": "快讯", "text": text}, ensure_ascii=False) + "\n")
    summary = run_pipeline(raw, tmp_path / "out")
    assert summary["rejects"] == 0 and summary["documents"] + summary["duplicates"] == 600
    texts = read_tables(tmp_path / "out")["documents"].column("text").to_pylist()
    assert all("收盘价" in text for text in texts)


def test_a_one_line_brief_and_an_interview_keep_their_text(tmp_path):
    brief = "本报记者近日采访了多位专家，他们的观点并不完全一致，有人认为应当加快推进，也有人主张稳妥起步。"
    question = "记者：这次改革最难的地方在哪里？"
    answer = "王明：最难的是让每一项政策都落到基层，让群众看得见、摸得着，这需要时间，也需要耐心。"
    (tmp_path / "brief.txt").write_text(brief, encoding="utf-8")
    (tmp_path / "interview.txt").write_text(
        "\n".join(["专访甲市市长：改革要让群众看得见", question, answer]), encoding="utf-8"
    )
    docs = {
        doc.source_path: doc
        for doc in clean_files([tmp_path / "brief.txt", tmp_path / "interview.txt"], tmp_path, Config())
    }
    assert docs["brief.txt"].reject is None and docs["brief.txt"].text == brief
    assert docs["interview.txt"].text.split("\n") == [question, answer]


def briefing(rng: random.Random, k: int) -> tuple[str, str]:
    """A press briefing's transcript: questions and answers, closing on a spokesman's short answer; and that answer."""
    speaker = rng.choice(["华春莹", "耿爽", "赵立坚"])
    closing = f"{speaker}：" + rng.choice(
        [
            "我没有可以提供的信息。",
            "我不掌握你提到的情况。",
            "我们会及时发布消息。",
            "这个问题我已经回答过了。",
            "谢谢。",
        ]
    )
    exchanges = [
        line
        for body in paragraphs(rng, rng.randint(2, 4))
        for line in (f"{rng.choice(['路透社记者', '总台记者', '彭博社记者'])}：{body[:30]}？", f"{speaker}：{body}")
    ]
    question = f"法新社记者：{title(rng)}，中方对此有何评论？"
    lines = [
        f"外交部发言人{speaker}主持例行记者会{k}",
        "来源：外交部网站",
        *exchanges,
        question,
        closing,
        "【打印本页】 【关闭窗口】",
    ]
    return "\n".join(lines), closing


def test_a_spokesmans_stock_answer_closing_a_transcript_stays(tmp_path):
    """A short answer recurs at the bottom of many transcripts (about a tenth each); it is said, not furniture."""
    rng = random.Random(7)
    (tmp_path / "mfa").mkdir()
    closing = {}
    for k in range(80):
        text, closing[f"mfa/{k:03d}.txt"] = briefing(rng, k)
        (tmp_path / f"mfa/{k:03d}.txt").write_text(text, encoding="utf-8")
    texts = cleaned(tmp_path)
    assert max(collections.Counter(closing.values()).values()) >= 8, "no answer recurs: a weak test"
    for name, line in closing.items():
        lines = texts[name].split("\n")
        assert lines[-1] == line, (name, lines[-2:])
        assert "来源：外交部网站" not in lines and "【打印本页】 【关闭窗口】" not in lines


def test_traditional_credit_lines_closing_every_article_stay(tmp_path):
    """A Taiwan paper closes each article with its data source or chart maker: the article's lines, in either script."""
    rng = random.Random(11)
    (tmp_path / "udn").mkdir()
    credits = {}
    for k in range(40):
        credits[f"udn/{k:03d}.txt"] = rng.choice(["資料來源：", "數據來源：", "製圖：", "版式設計："]) + rng.choice(
            ["國家統計局", "中央氣象局", "郭佳", "高翔", "衛生福利部"]
        )
        lines = [f"{title(rng)}{k}", "聯合新聞網 > 要聞", *paragraphs(rng, 4), credits[f"udn/{k:03d}.txt"], "延伸閱讀"]
        (tmp_path / f"udn/{k:03d}.txt").write_text("\n".join(lines), encoding="utf-8")
    docs = {doc.source_path: doc for doc in clean_files(sorted(tmp_path.rglob("*.txt")), tmp_path, Config(workers=1))}
    for name, credit in credits.items():
        assert docs[name].text.split("\n")[-1] == credit, (name, docs[name].text[-60:])
        assert docs[name].publication is None  # a data source is no publication
        assert "聯合新聞網 > 要聞" not in docs[name].text


def test_a_kicker_and_a_subtitle_go_to_their_columns_and_a_pull_quote_stays(tmp_path):
    rng = random.Random(4)
    body = paragraphs(rng, 3)
    pages = {
        "kicker.txt": ["新春走基层", "山村里的新年音乐会", "2020-01-05 来源：人民网", *body],
        "subtitle.txt": [
            "长江经济带发展成效显著",
            "——写在座谈会召开四周年之际",
            "2020-01-05 来源：人民网",
            *paragraphs(rng, 3),
        ],
        "quote.txt": [
            "山村里的新年音乐会",
            "“让每个孩子都有出彩的机会”",
            "2020-01-05 来源：人民网",
            *paragraphs(rng, 3),
        ],
    }
    for name, lines in pages.items():
        (tmp_path / name).write_text("\n".join(lines), encoding="utf-8")
    run_pipeline(tmp_path, tmp_path.parent / "out")
    rows = {row["source_path"]: row for row in read_tables(tmp_path.parent / "out")["documents"].to_pylist()}
    assert (rows["kicker.txt"]["kicker"], rows["kicker.txt"]["title"], rows["kicker.txt"]["text"]) == (
        "新春走基层",
        "山村里的新年音乐会",
        "\n".join(body),
    )
    assert (rows["subtitle.txt"]["subtitle"], rows["subtitle.txt"]["title"]) == (
        "——写在座谈会召开四周年之际",
        "长江经济带发展成效显著",
    )
    assert (
        rows["quote.txt"]["text"].split("\n")[0] == "“让每个孩子都有出彩的机会”"
        and rows["quote.txt"]["subtitle"] is None
    )


def test_a_title_every_page_of_a_site_repeats_is_still_the_title_not_the_section_label(tmp_path):
    """A daily programme's transcripts: the same headline on every page, under the section label."""
    rng = random.Random(5)
    for k in range(12):
        lines = ["要闻", "新闻联播文字版", f"2020-01-{k + 1:02d} 来源：央视网", *paragraphs(rng, 4)]
        (tmp_path / f"{k:02d}.txt").write_text("\n".join(lines), encoding="utf-8")
    docs = clean_files(sorted(tmp_path.glob("*.txt")), tmp_path, Config())
    assert {doc.title for doc in docs} == {"新闻联播文字版"}


def test_a_timeline_closing_the_article_and_boxed_subheads_stay(tmp_path):
    """Dates on lines of their own under the body are the article's timeline, not its dateline; ●减污，不要忘记 is a subhead."""
    rng = random.Random(6)
    timeline = [
        "载人航天大事记",
        "1999年11月20日",
        "神舟一号成功发射升空",
        "2003年10月15日",
        "杨利伟驾乘神舟五号进入太空",
        "2008年9月25日",
        "神舟七号航天员实现出舱行走",
    ]
    body = [*paragraphs(rng, 2), "●减污，不要忘记", *paragraphs(rng, 2)]
    (tmp_path / "page.txt").write_text(
        "\n".join(["二十年载人航天路", "2020-01-05 来源：人民网", *body, *timeline, "责任编辑：王明"]), encoding="utf-8"
    )
    (doc,) = clean_files([tmp_path / "page.txt"], tmp_path, Config())
    assert doc.text.split("\n") == [*body, *timeline]
    assert doc.date.isoformat() == "2020-01-05"


def test_a_flavours_furniture_is_found_the_same_whatever_the_chunks_and_partitions_it_is_counted_in(monkeypatch):
    # A site of two portals: a line only portal B prints stands on a third of the site but on all of B.
    from pipeline.clean.boilerplate import PAGE, TOP
    from pipeline.learn import flavour, support
    from pipeline.learn.support import TemplateCounts

    def counts() -> TemplateCounts:
        rng = random.Random(5)
        counted = TemplateCounts()
        for article in range(300):
            portal = "b" if article % 3 == 0 else "a"
            rows = {(0, PAGE, article + 1)}  # the page itself
            rows |= {(1000 + (portal == "b"), TOP, article + 1), (2000 + (portal == "b"), TOP, article + 1)}
            rows |= {(rng.getrandbits(63), TOP, article + 1) for _ in range(3)}  # lines of the article's own
            counted.add_page("site", (rows, {}))
        return counted

    whole = counts().counted(2)
    monkeypatch.setattr(flavour, "PAIRS_PER_CHUNK", 7)
    monkeypatch.setattr(support, "PARTITION_ROWS", 50)
    monkeypatch.setattr(support, "FOLD_MIN", 10)
    split = counts()
    split.fold()
    assert len(split.parts) >= 16
    chunked = split.counted(2)
    assert chunked.equals(whole)
    by_template = dict(zip(whole.column("template_hash").to_pylist(), whole.column("flavour_pages").to_pylist()))
    assert by_template[2001] == 100 and by_template[2000] == 300  # portal B's line is counted among B's articles


def cleaned_site(tmp_path: Path, site: str, pages: dict[str, str]) -> dict[str, dict]:
    """The documents of one site's pages (file name -> text), cleaned by the run sequence, by source path."""
    folder = tmp_path / "raw" / site
    folder.mkdir(parents=True)
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    run_pipeline(tmp_path / "raw", tmp_path / "out")
    return {row["source_path"]: row for row in read_tables(tmp_path / "out")["documents"].to_pylist()}


DEPARTMENTS = ("教务处", "人事处", "科学技术处", "党政办公室")


def school_notice(rng: random.Random, k: int) -> tuple[str, dict]:
    """A university's notice as its site prints it: a masthead, the site's menu, the notice, the site's footer."""
    department = DEPARTMENTS[k % len(DEPARTMENTS)]
    day = f"2024年{k % 12 + 1}月{k % 27 + 1}日"
    kind = "通知" if k % 3 else "公告"
    notice = [
        rng.choice(("校内各单位：", "各学院、各部门：", "各单位、各部门：")),
        f"经学校研究决定，现就有关事项{kind}如下：",
        *paragraphs(rng, rng.randint(3, 5)),
        f"特此{kind}。",
        f"南山大学{department}",
        day,
    ]
    page = [
        f"南山大学 | {department}",
        "首页 | 学校要闻 | 综合新闻 | 通知公告 | 媒体关注 | 校园文化",
        "您的位置：首页 > 通知公告 > 正文",
        f"关于做好第{k + 1}批{title(rng)}工作的{kind}",
        f"2024-{k % 12 + 1:02d}-{k % 27 + 1:02d}    {department}    阅读：{rng.randint(100, 999)}",
        *notice,
        f"上一篇：{title(rng)}",
        "【打印】 【关闭】",
        "版权所有 © 南山大学  地址：南山市大学路1号",
    ]
    return "\n".join(page), {"title": page[3], "notice": notice}


def test_a_sites_notices_keep_their_salutation_formula_signatory_and_date(tmp_path):
    """Every notice of a site repeats its genre's lines (各单位：, 特此通知。, the issuer): the notice's own, not furniture."""
    rng = random.Random(4)
    notices = {f"notice-{k:02d}.txt": school_notice(rng, k) for k in range(30)}
    expected = {f"nanshan/{name}": truth for name, (_, truth) in notices.items()}
    rows = cleaned_site(tmp_path, "nanshan", {name: text for name, (text, _) in notices.items()})
    assert set(rows) == set(expected)
    for name, truth in expected.items():
        row = rows[name]
        assert row["text"].split("\n") == truth["notice"], name
        assert row["title"] == truth["title"]
        assert row["date"] is not None


def test_a_short_headline_over_the_dateline_beats_the_sites_learned_masthead_and_menu(tmp_path):
    """Eight characters right above the dateline are the headline, though a section label looks the same."""
    rng = random.Random(6)
    pages, headlines = {}, {}
    for k in range(30):
        headline = "".join(rng.choice(PROSE) for _ in range(rng.randint(6, 8)))
        headlines[f"ettoday/{k:02d}.txt"] = headline
        page = [
            "ETtoday新聞雲",
            "新聞 | 政治 | 社會 | 國際 | 大陸 | 財經 | 生活 | 影劇 | 運動 | 旅遊",
            f"新聞雲 / {rng.choice(('大陸', '政治', '社會'))}",
            headline,
            f"2020年01月{k % 28 + 1:02d}日 19:{k:02d}",
            "記者萬儀明／綜合報導",
            *paragraphs(rng, 4),
        ]
        pages[f"{k:02d}.txt"] = "\n".join(page)
    rows = list(cleaned_site(tmp_path, "ettoday", pages).values())
    assert len(rows) == 30
    assert {row["source_path"]: row["title"] for row in rows} == headlines
    assert all(row["authors"] == ["萬儀明"] for row in rows)
