"""Render a layout gallery: articles in the page layouts of many news-site families, with ground truth.

Every layout models one common family of scraped news pages (an e-paper edition,
a news-agency web page, a portal repost, a WeChat reprint, a government site, an
English wire story, whole HTML pages, ...) and fills its headers and footers with
randomised but realistic content (editor names, times, view counts, article
codes, optional lines, varying order), so that boilerplate cannot be removed by
matching one fixed string. The article bodies are composed from a paragraph pool:
the small committed one (``tests/cases/layouts/pool.json``, excerpts of the
People's Daily month and invented English wire paragraphs) or, with ``--corpus``,
every usable paragraph of the People's Daily corpus.

    python -m bench.gallery.layouts --out build/gallery --pages-per-layout 200 [--seed 0] [--copies 0.1]

Output: OUT/raw/<layout>/NNNNNN<suffix> (one folder per layout, as one folder per
site is how scrapers save) and OUT/truth.jsonl, one truth dict per page: source_path,
layout, title, date, published_at, publication, section, page, authors,
original_title, text (the body paragraphs joined by "\\n"), boilerplate (every
non-body line or line piece the renderer inserted), encoding, crlf, origin
(pages with the same origin render the same article) and kind (original/copy).

    python -m bench.gallery.layouts --golden        # rewrite tests/cases/layouts/<layout>/
    python -m bench.gallery.layouts --build-pool ../shared/corpus/rmrb-2020-01   # rewrite pool.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import random
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bench.gallery import render_pages
from bench.gallery.article import Article

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

CASES = ROOT / "tests" / "cases" / "layouts"
POOL = CASES / "pool.json"
GOLDEN_SEED = 20200105
GOLDEN_PAGES = 2

# ---------------------------------------------------------------------------
# Random page furniture
# ---------------------------------------------------------------------------

NAMES = (
    "王明",
    "李华",
    "张晓东",
    "刘洋",
    "陈静",
    "赵磊",
    "孙丽",
    "周伟",
    "吴敏",
    "郑凯",
    "冯雪",
    "何静怡",
    "许志强",
    "韩梅",
    "曹宇",
    "邓丽娟",
    "彭涛",
    "吕晓燕",
    "蒋海峰",
    "沈佳",
    "贾文",
    "范晓峰",
    "郭婷",
    "罗斌",
    "唐晓",
    "宋佳琪",
    "魏然",
    "谢宏",
    "杜鹏飞",
    "袁媛",
)
EN_NAMES = (
    "Emma Collins",
    "David Park",
    "Sarah Whitfield",
    "Michael Osei",
    "Laura Brennan",
    "Tom Hale",
    "Priya Raman",
    "Lucas Moreau",
    "Anna Kowalski",
    "James Thornton",
    "Hannah Becker",
    "Kevin Liu",
    "Marta Silva",
    "Daniel Reyes",
    "Olivia Grant",
    "Chen Yu",
    "Ben Adler",
    "Ruth Okafor",
)
PAPERS = (
    "光明日报",
    "经济日报",
    "中国青年报",
    "解放日报",
    "南方日报",
    "文汇报",
    "新华日报",
    "大众日报",
    "浙江日报",
    "北京日报",
    "河北日报",
    "湖北日报",
    "四川日报",
    "工人日报",
)
EPAPER_SECTIONS = (
    "要闻",
    "综合新闻",
    "经济",
    "国内新闻",
    "时评",
    "文化",
    "科技",
    "教育",
    "社会",
    "理论",
    "民生",
    "地方新闻",
)
LEGAL_SECTIONS = ("要闻", "法治要闻", "政法", "地方", "法院", "检察", "公安", "评论", "经济", "综合")
KICKERS = (
    "新春走基层",
    "决胜全面建成小康社会",
    "奋斗新时代",
    "一线见闻",
    "聚焦脱贫攻坚",
    "高质量发展看地方",
    "在习近平新时代中国特色社会主义思想指引下",
    "新年新气象",
    "记者调查",
    "权威发布",
)
CITIES = (
    "北京",
    "上海",
    "广州",
    "武汉",
    "成都",
    "西安",
    "南京",
    "杭州",
    "昆明",
    "拉萨",
    "乌鲁木齐",
    "哈尔滨",
    "长沙",
    "福州",
)
REPOST_SOURCES = (
    "人民日报",
    "新华社",
    "光明日报",
    "经济日报",
    "中国新闻网",
    "央视新闻",
    "中国青年报",
    "北京日报",
    "新京报",
    "澎湃新闻",
)
WECHAT_SOURCES = ("人民日报", "新华社", "央视新闻", "光明日报", "中国青年报", "学习时报", "人民网", "共青团中央")
KEYWORDS = (
    "经济",
    "发展",
    "改革",
    "民生",
    "就业",
    "教育",
    "科技创新",
    "乡村振兴",
    "生态环境",
    "脱贫攻坚",
    "营商环境",
    "基层治理",
    "消费",
    "春运",
    "文化",
    "医疗",
    "养老",
    "交通",
    "制造业",
    "数字经济",
)
GOV_ISSUERS = (
    "杭州市人民政府",
    "成都市人民政府",
    "苏州市人民政府",
    "青岛市人民政府",
    "长沙市人民政府",
    "合肥市人民政府",
    "昆明市人民政府",
    "宁波市人民政府",
    "厦门市人民政府",
    "浙江省发展和改革委员会",
    "广东省教育厅",
    "江苏省生态环境厅",
    "山东省农业农村厅",
    "湖南省商务厅",
)
GOV_PATHS = (
    ("首页", "政务公开", "工作动态"),
    ("首页", "新闻中心", "政务要闻"),
    ("首页", "信息公开", "部门动态"),
    ("首页", "要闻动态", "区县动态"),
    ("首页", "政务公开", "通知公告"),
    ("网站首页", "新闻中心", "今日要闻"),
)
HTML_SITES = (
    ("中国经济网", "www.ce.cn"),
    ("光明网", "www.gmw.cn"),
    ("央广网", "www.cnr.cn"),
    ("环球网", "www.huanqiu.com"),
    ("中国网", "www.china.com.cn"),
    ("中国日报网", "www.chinadaily.com.cn"),
    ("国际在线", "www.cri.cn"),
)
EN_CITIES = (
    "BEIJING",
    "SHANGHAI",
    "LONDON",
    "WASHINGTON",
    "TOKYO",
    "SYDNEY",
    "GENEVA",
    "NEW YORK",
    "SINGAPORE",
    "FRANKFURT",
)
EN_MONTHS = ("Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
THEPAPER_DISCLAIMER = (
    "特别声明：本文为澎湃号作者或机构在澎湃新闻上传并发布，仅代表该作者或机构观点，"
    "不代表澎湃新闻的观点或立场，澎湃新闻仅提供信息发布平台。申请澎湃号请用电脑访问。"
)
CHINANEWS_NOTICE = "本网站所刊载信息，不代表中新社和中新网观点。 刊用本网站稿件，务经书面授权。"
CHINANEWS_MIRROR = "未经授权禁止转载、摘编、复制及建立镜像，违者将依法追究法律责任。"
SOHU_NOTICE = "声明：该文观点仅代表作者本人，搜狐号系信息发布平台，搜狐仅提供信息存储空间服务。"
REUTERS_STANDARDS = "Our Standards: The Thomson Reuters Trust Principles."


def cn(n: int) -> str:
    return render_pages.chinese_numeral(n)


def zh_date(d: dt.date, pad: bool = True) -> str:
    return f"{d.year}年{d.month:02d}月{d.day:02d}日" if pad else f"{d.year}年{d.month}月{d.day}日"


def clock(rng: random.Random, first: int = 6, last: int = 22) -> dt.time:
    return dt.time(rng.randint(first, last), rng.randrange(60), rng.randrange(60))


def stamp(d: dt.date, t: dt.time | None, seconds: bool) -> str | None:
    if t is None:
        return None
    return f"{d.isoformat()}T{t:%H:%M:%S}" if seconds else f"{d.isoformat()}T{t:%H:%M}"


def names(rng: random.Random, k: int, exclude: tuple[str, ...] = ()) -> list[str]:
    return rng.sample([n for n in NAMES if n not in exclude], k)


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def norm(text: str) -> str:
    """The comparison form of the evaluator: NFKC, all whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# ---------------------------------------------------------------------------
# Articles and their pool
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    titles: tuple[str, ...]
    paragraphs: tuple[str, ...]
    subtitles: tuple[str, ...]
    en_titles: tuple[str, ...]
    en_paragraphs: tuple[str, ...]


# Corpus paragraphs that would be ambiguous as body text (datelines alone, credits,
# captions, page furniture of the paper itself) are left out of the pool.
_SKIP_START = ("本报", "新华社", "据新华社", "（", "(", "核心阅读", "版式设计", "图为", "——", "【", "[", "记者")
_SKIP_ANY = (
    "责任编辑",
    "责编",
    "下转",
    "上接",
    "转第",
    "接第",
    "来源",
    "摄",
    "http",
    "www",
    "|",
    "\xa0",
    "图片",
    "制图",
    "编辑",
    "版）",
    "分享",
    "关注",
    "点击",
    "扫一扫",
    "打印",
    "关闭",
)


def usable_paragraph(text: str) -> bool:
    return (
        30 <= len(text) <= 300
        and not text.startswith(_SKIP_START)
        and not any(s in text for s in _SKIP_ANY)
        and text[-1] in "。！？”"
    )


def usable_title(text: str) -> bool:
    return (
        8 <= len(text) <= 30
        and not text.startswith(("——", "（", "("))
        and not text.endswith(("——", "：", "。"))
        and not any(s in text for s in _SKIP_ANY)
        and not re.search(r"\s", text)
    )


def read_corpus(corpus: Path) -> tuple[list[list[str]], list[str], list[str]]:
    """Per article its usable paragraphs; all usable titles; short subtitles; in a stable order."""
    bodies, titles, subtitles = [], {}, {}
    for path in sorted(corpus.rglob("*.txt")):
        lines = [line.strip(" \u3000\xa0\r\t") for line in path.read_text(encoding="utf-8").split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        if usable_title(lines[0]):
            titles.setdefault(lines[0])
        body = []
        for line in lines[1:]:
            if line.startswith("——"):
                if 8 <= len(line) <= 30 and not line.endswith(("。", "；")) and not any(s in line for s in _SKIP_ANY):
                    subtitles.setdefault(line)
            elif usable_paragraph(line):
                body.append(line)
        bodies.append(body)
    return bodies, list(titles), list(subtitles)


def build_pool(corpus: Path, paragraphs: int = 120, titles: int = 40, subtitles: int = 12) -> dict:
    """The committed pool: one paragraph each from ``paragraphs`` articles spread over the corpus."""
    bodies, all_titles, all_subtitles = read_corpus(corpus)
    bodies = [b for b in bodies if b]
    chosen: dict[str, None] = {}
    step = len(bodies) / paragraphs
    for i in range(paragraphs):
        body = bodies[int(i * step)]
        chosen.setdefault(body[len(body) // 2])
    spread = lambda items, k: [items[int(i * len(items) / k)] for i in range(k)]  # noqa: E731
    english = (
        json.loads(POOL.read_text(encoding="utf-8"))["english"] if POOL.is_file() else {"titles": [], "paragraphs": []}
    )
    return {
        "source": f"excerpts of {corpus.name} (People's Daily); english: invented",
        "titles": spread(all_titles, titles),
        "subtitles": spread(all_subtitles, subtitles),
        "paragraphs": list(chosen),
        "english": english,
    }


def load_pool(corpus: Path | None = None) -> Pool:
    """The articles' source: the committed pool, or every usable paragraph and title of ``corpus``."""
    data = json.loads(POOL.read_text(encoding="utf-8"))
    english = data["english"]
    if corpus is None:
        return Pool(
            tuple(data["titles"]),
            tuple(data["paragraphs"]),
            tuple(data["subtitles"]),
            tuple(english["titles"]),
            tuple(english["paragraphs"]),
        )
    bodies, titles, subtitles = read_corpus(Path(corpus))
    paragraphs = tuple(dict.fromkeys(p for body in bodies for p in body))
    if not paragraphs or not titles:
        raise SystemExit(f"no usable articles under {corpus}")
    return Pool(
        tuple(titles),
        paragraphs,
        tuple(subtitles) or tuple(data["subtitles"]),
        tuple(english["titles"]),
        tuple(english["paragraphs"]),
    )


class Composer:
    """Articles of 3-8 pool paragraphs. Two originals share at most ~35% of their characters
    (as long as the pool allows), so that unrelated pages are never near-duplicates."""

    MAX_SHARED = 0.35
    TRIES = 40

    def __init__(self, pool: Pool):
        self.pool = pool
        self.used: dict[str, list[int]] = {}
        self.sizes: list[int] = []
        self.overlaps: list[float] = []  # per article: its largest overlap with an earlier one

    def _overlap(self, paragraphs: tuple[str, ...]) -> float:
        shared: dict[int, int] = {}
        for p in paragraphs:
            for other in self.used.get(p, ()):
                shared[other] = shared.get(other, 0) + len(p)
        size = sum(len(p) for p in paragraphs)
        return max((s / (size + self.sizes[o] - s) for o, s in shared.items()), default=0.0)

    def article(self, rng: random.Random, lang: str = "zh", origin: str = "") -> Article:
        titles, pool = (
            (self.pool.titles, self.pool.paragraphs) if lang == "zh" else (self.pool.en_titles, self.pool.en_paragraphs)
        )
        if len(pool) < self.REAL_POOL:
            # A small pool would give many unrelated articles the same paragraph or
            # title, which no real corpus does (and which is exactly what a page's
            # furniture looks like): new paragraphs and titles are made from its parts.
            titles, pool = self._remix(titles, pool, rng)
        best, best_overlap = None, 2.0
        for _ in range(self.TRIES):
            k = min(len(pool), rng.randint(3, 8))
            paragraphs = tuple(rng.sample(pool, k))
            overlap = self._overlap(paragraphs)
            if overlap < best_overlap:
                best, best_overlap = paragraphs, overlap
            if overlap <= self.MAX_SHARED:
                break
        index = len(self.sizes)
        self.overlaps.append(best_overlap)
        self.sizes.append(sum(len(p) for p in best))
        for p in best:
            self.used.setdefault(p, []).append(index)
        title = rng.choice(titles)
        others = tuple(rng.sample([t for t in titles if t != title], min(6, len(titles) - 1)))
        day = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(366))
        subtitle = rng.choice(self.pool.subtitles) if lang == "zh" and self.pool.subtitles else None
        return Article(title, best, day, lang, origin, others, subtitle)

    # A pool of at least this many paragraphs is used as it is (a real corpus).
    REAL_POOL = 1000

    @staticmethod
    def _remix(titles: tuple[str, ...], pool: tuple[str, ...], rng: random.Random) -> tuple[list[str], list[str]]:
        """Fresh paragraphs (one to three sentences of the pool) and titles (halves of two pool titles)."""
        sentences = [
            s for p in pool for s in re.findall(r"[^。！？.!?]+[。！？.!?]+[”’」』\"]?", p) if len(s) >= 8
        ] or list(pool)
        paragraphs = []
        for _ in range(12):
            picked = rng.sample(sentences, min(len(sentences), rng.randint(2, 3)))
            paragraphs.append((" " if picked[0].isascii() else "").join(picked))
        heads = [t[: max(2, len(t) // 2)] for t in titles]
        tails = [t[max(2, len(t) // 2) :] for t in titles]
        fresh = [rng.choice(heads) + rng.choice(tails) for _ in range(12)]
        return fresh, paragraphs


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


class Sheet:
    """A page under construction: its lines, and which of them (or which pieces) are boilerplate."""

    def __init__(self, indent: str = ""):
        self.lines: list[str] = []
        self.boilerplate: list[str] = []
        self.indent = indent

    def bp(self, *pieces: str, sep: str = "  ") -> None:
        """One boilerplate line made of ``pieces`` (each is recorded)."""
        self.lines.append(sep.join(pieces))
        for piece in pieces:
            self.note(piece)

    def note(self, piece: str) -> None:
        piece = piece.strip()
        if piece and piece not in self.boilerplate:
            self.boilerplate.append(piece)

    def body(self, text: str) -> None:
        self.lines.append(self.indent + text)

    def blank(self) -> None:
        self.lines.append("")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def truth(article: Article, paragraphs, boilerplate, **fields) -> dict:
    out = {
        "layout": None,
        "title": article.title,
        "date": article.date.isoformat(),
        "published_at": None,
        "publication": None,
        "section": None,
        "page": None,
        "authors": [],
        "original_title": None,
        "text": "\n".join(paragraphs),
        "boilerplate": list(boilerplate),
    }
    out.update(fields)
    return out


def pick_indent(rng: random.Random) -> str:
    return rng.choices(["", "\u3000\u3000", "    ", " "], [5, 4, 1, 1])[0]


def jump_lines(rng: random.Random, page: int) -> tuple[int | None, list[str]]:
    """Where an e-paper article jumps: (paragraph index, marker lines) or (None, [])."""
    if page == 1 and chance(rng, 0.5):
        to = rng.randint(2, 8)
        left, right = rng.choice([("（", "）"), ("（", "）"), ("(", ")")])
        lines = [f"{left}下转第{cn(to)}版{right}"]
        if chance(rng, 0.6):
            lines.append(f"{left}上接第{cn(page)}版{right}")
        return -1, lines
    if page > 1 and chance(rng, 0.2):
        return 0, [f"（上接第{cn(rng.randint(1, page - 1))}版）"]
    return None, []


def legaldaily_epaper(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    page = rng.choice((1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12))
    section = rng.choice(LEGAL_SECTIONS)
    authors = tuple(names(rng, rng.choices([0, 1, 2, 3], [1, 3, 5, 1])[0]))
    publication = rng.choices(["法治日报", "检察日报", "人民法院报"], [6, 2, 2])[0]
    role = rng.choice(["本报记者", "本报记者", "本报见习记者", "本报通讯员"])
    source_label = rng.choice(["稿件来源", "稿件来源", "来源"])
    article = Article(
        title=a.title,
        paragraphs=a.paragraphs,
        date=a.date,
        page=page,
        publication=publication,
        authors=authors,
        section_label=section,
        byline_role=role,
        source_label=source_label,
    )
    jump_to = rng.randint(page + 1, page + 6) if chance(rng, 0.6) else None
    text = render_pages.render_page(article, jump_to=jump_to, twice=chance(rng, 0.75)) + "\n"
    boiler = ["|", section]
    if authors:
        boiler.append(f"□ {role} " + " ".join(authors))
    boiler += [a.title, f"( {article.date} ) {source_label}: {publication}{section} |"]
    if jump_to is not None:
        for marker in (f"下转第{cn(jump_to)}版", f"上接第{cn(page)}版"):
            if marker in text:
                boiler.append(marker)
    return text, truth(
        a, a.paragraphs, boiler, publication=publication, section=section, page=page, authors=list(authors)
    )


def epaper_header(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    paper = rng.choice(PAPERS)
    page = rng.choices(range(1, 13), [6, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1])[0]
    section = "要闻" if page == 1 and chance(rng, 0.7) else rng.choice(EPAPER_SECTIONS)
    s = Sheet(pick_indent(rng))
    style = rng.randrange(4)
    if style == 0:
        s.bp(f"{paper} {zh_date(a.date)} 第{page:02d}版 {section}")
    elif style == 1:
        s.bp(f"{paper}\u3000{zh_date(a.date)}\u3000第{page:02d}版：{section}")
    elif style == 2:
        s.bp(f"《{paper}》（ {zh_date(a.date)} 第{page:02d}版）")
        section = None
    else:
        s.bp(f"{paper} {a.date.isoformat()} 第{page}版 {section}")
    if chance(rng, 0.25):
        s.bp(rng.choice(KICKERS))
    s.bp(a.title)
    if a.subtitle and chance(rng, 0.2):
        s.bp(a.subtitle)
    authors: list[str] = []
    kind = rng.choices(["two", "one", "with_correspondent", "special", "none"], [4, 3, 2, 1, 1.5])[0]
    gap = rng.choice([" ", "\u3000", "  "])
    if kind == "two":
        authors = names(rng, 2)
        s.bp(f"本报记者{gap}" + gap.join(authors))
    elif kind == "one":
        authors = names(rng, 1)
        s.bp(f"本报记者{gap}{authors[0]}")
    elif kind == "with_correspondent":
        authors = names(rng, 2)
        s.bp(f"本报记者{gap}{authors[0]}{gap}本报通讯员{gap}{authors[1]}")
    elif kind == "special":
        authors = names(rng, 1)
        s.bp(f"本报特约记者{gap}{authors[0]}")
    where, markers = jump_lines(rng, page)
    paragraphs = list(a.paragraphs)
    cut = None if where is None else (0 if where == 0 else max(1, len(paragraphs) // 2))
    for i, p in enumerate(paragraphs):
        if cut == i:
            for m in markers:
                s.bp(m)
        s.body(p)
    footer: list[list[str]] = []
    if chance(rng, 0.85):
        editor = rng.choice(NAMES)
        footer.append([rng.choice([f"（责任编辑：{editor}）", f"责任编辑：{editor}", f"（本版编辑：{editor}）"])])
    if chance(rng, 0.7):
        footer.append(["分享到：", rng.choice(["微信 微博 QQ空间", "微信  微博  QQ空间  人人网", "QQ空间 微博 微信"])])
    rng.shuffle(footer)
    for block in footer:
        for line in block:
            s.bp(line)
    return s.text(), truth(a, paragraphs, s.boilerplate, publication=paper, section=section, page=page, authors=authors)


def xinhua_web(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    s = Sheet(pick_indent(rng))
    source = rng.choices(["新华网", "新华社"], [7, 3])[0]
    t = clock(rng)
    s.bp(a.title)
    when = f"{a.date.isoformat()} {t:%H:%M:%S}"
    src = rng.choice([f"来源：{source}", f"来源： {source}", f"来源:{source}"])
    font = rng.choice(["【字号 大 中 小】", "【字号 大 中 小】", "【字体：大 中 小】"])
    if chance(rng, 0.3):
        s.bp(when, src, font, sep=rng.choice(["  ", "\u3000"]))
    else:
        s.bp(when, src, sep=rng.choice(["  ", "\u3000", " "]))
        if chance(rng, 0.85):
            s.bp(font)
    paragraphs = list(a.paragraphs)
    authors: list[str] = []
    if chance(rng, 0.6):
        city = rng.choice(CITIES)
        authors = names(rng, rng.choice([0, 1, 2, 2]))
        reporter = f"（记者{'、'.join(authors)}）" if authors else ""
        paragraphs[0] = f"新华社{city}{a.date.month}月{a.date.day}日电{reporter}" + paragraphs[0]
    for p in paragraphs:
        s.body(p)
    editor = rng.choice(NAMES)
    credit = f"[责任编辑: {editor} ]"
    if chance(rng, 0.5):
        s.bp("【纠错】", credit, sep=rng.choice([" ", "  "]))
    else:
        for line in rng.sample(["【纠错】", credit], 2):
            s.bp(line)
    if chance(rng, 0.3):
        s.bp("0100" + "".join(str(rng.randrange(10)) for _ in range(38)))
    if chance(rng, 0.8):
        s.bp("扫一扫在手机打开当前页")
    return s.text(), truth(
        a, paragraphs, s.boilerplate, publication=source, published_at=stamp(a.date, t, True), authors=authors
    )


def portal_repost(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    flavour = rng.choice(["sina", "163", "sohu", "generic"])
    source = rng.choice(REPOST_SOURCES)
    s = Sheet(pick_indent(rng))
    crumbs = {
        "sina": "新浪首页 > 新闻中心 > 国内新闻",
        "163": "网易首页 > 新闻中心 > 国内新闻",
        "sohu": "搜狐首页 > 新闻 > 时政",
        "generic": "首页 > 新闻 > 国内新闻",
    }
    if chance(rng, 0.85):
        s.bp(crumbs[flavour].replace(" > ", rng.choice([" > ", " > ", ">", " / "])))
    s.bp(a.title)
    t = clock(rng)
    seconds = flavour == "163"
    when = {
        "sina": f"{zh_date(a.date)} {t:%H:%M}",
        "163": f"{a.date.isoformat()} {t:%H:%M:%S}",
        "sohu": f"{a.date.isoformat()} {t:%H:%M}",
        "generic": f"{zh_date(a.date)} {t:%H:%M}",
    }[flavour]
    s.bp(
        when,
        rng.choice([f"来源：{source}", f"来源: {source}", f"来源：{source}"]),
        sep=rng.choice(["  ", "\u3000", " "]),
    )
    s.blank()
    original_title = None
    if chance(rng, 0.5):
        original_title = a.others[0]
        s.bp(f"原标题：{original_title}")
        s.blank()
    for p in a.paragraphs:
        s.body(p)
        s.blank()
    editor = rng.choice(NAMES)
    code = f"{rng.choice(['NB', 'NE', 'NF', 'NQ'])}{rng.randrange(10000):04d}"
    credit = {
        "sina": f"责任编辑：{editor} SN{rng.randrange(100, 1000)}",
        "163": f"(责任编辑：{editor}_{code})",
        "sohu": f"责任编辑：{editor}",
        "generic": rng.choice([f"(责任编辑：{editor}_{code})", f"责任编辑：{editor}"]),
    }[flavour]
    footer = [[credit]]
    if chance(rng, 0.6):
        footer.append(["关键词：" + " ".join(rng.sample(KEYWORDS, rng.randint(2, 4)))])
    rng.shuffle(footer)
    if flavour == "sohu":
        footer.append(["返回搜狐，查看更多"] + ([SOHU_NOTICE] if chance(rng, 0.7) else []))
    if chance(rng, 0.8):
        footer.append([rng.choice(["打印 | 关闭", "打印 | 关闭", "【打印】 【关闭】", "举报 | 打印 | 关闭"])])
    for block in footer:
        for line in block:
            s.bp(line)
    return s.text(), truth(
        a,
        a.paragraphs,
        s.boilerplate,
        publication=source,
        original_title=original_title,
        published_at=stamp(a.date, t, seconds),
    )


def wechat_reprint(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    source = rng.choice(WECHAT_SOURCES)
    s = Sheet(rng.choice(["", "", "\u3000\u3000"]))
    if chance(rng, 0.8):
        s.bp(
            rng.choice(
                ["点击上方蓝字关注我们", "点击上方蓝字关注我们", f"点击上方“{source}”，关注我们", "点击蓝字 关注我们"]
            )
        )
    s.bp(a.title)
    t = clock(rng) if chance(rng, 0.3) else None
    meta = [f"来源：{source}", f"发布时间：{a.date.isoformat()}" + (f" {t:%H:%M}" if t else "")]
    rng.shuffle(meta)
    authors: list[str] = []
    if chance(rng, 0.25):
        authors = names(rng, 1)
        meta.insert(rng.randrange(3), rng.choice([f"作者：{authors[0]}", f"文 | {authors[0]}"]))
    for line in meta:
        s.bp(line)
    spaced = chance(rng, 0.4)
    for p in a.paragraphs:
        s.body(p)
        if spaced:
            s.blank()
    if chance(rng, 0.85):
        s.bp(rng.choice(["END", "- END -", "—END—", "— END —"]))
    editor, checker = names(rng, 2)
    if chance(rng, 0.5):
        s.bp(f"来源：{source}", f"编辑：{editor}", f"审核：{checker}", sep=" | ")
    else:
        s.bp(f"来源：{source}")
        s.bp(rng.choice([f"编辑：{editor}", f"本期编辑：{editor}", f"责任编辑：{editor}"]))
        s.bp(f"审核：{checker}")
        if chance(rng, 0.4):
            s.bp(f"监制：{rng.choice(NAMES)}")
    if chance(rng, 0.4):
        s.bp("往期推荐")
        for title in a.others[: rng.randint(2, 3)]:
            s.bp(title)
    s.bp(rng.choice(["点个“在看”，分享给更多人", "喜欢就点个“在看”吧", "↓↓↓ 点个在看，你最好看"]))
    return s.text(), truth(
        a, a.paragraphs, s.boilerplate, publication=source, authors=authors, published_at=stamp(a.date, t, False)
    )


def people_cn(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    source, publication = rng.choices(
        [("人民网－人民日报", "人民日报"), ("人民网", "人民网"), ("人民网－人民日报海外版", "人民日报海外版")],
        [6, 2.5, 1.5],
    )[0]
    s = Sheet(rng.choice(["", "\u3000\u3000"]))
    if chance(rng, 0.4):
        s.bp("人民网>>" + rng.choice(["时政", "社会·法治", "经济·科技", "教育", "地方"]) + ">>正文")
    s.bp(a.title)
    t = clock(rng, 0, 23)
    s.bp(f"{zh_date(a.date)}{t:%H:%M}", f"来源：{source}", sep=rng.choice(["  ", "\u3000\u3000", " "]))
    if chance(rng, 0.75):
        s.bp("分享到：")
    paragraphs = list(a.paragraphs)
    authors: list[str] = []
    page = None
    if publication != "人民网" and chance(rng, 0.6):
        authors = names(rng, rng.choice([1, 2]))
        s.bp("本报记者" + rng.choice([" ", "\u3000"]) + " ".join(authors))
    elif publication == "人民网" and chance(rng, 0.4):
        authors = names(rng, 1)
        paragraphs[0] = (
            f"人民网{rng.choice(CITIES)}{a.date.month}月{a.date.day}日电 （记者{authors[0]}）" + paragraphs[0]
        )
    for p in paragraphs:
        s.body(p)
    if publication != "人民网" and chance(rng, 0.6):
        page = rng.randint(1, 20)
        s.bp(f"《 {publication} 》（ {zh_date(a.date)} 第 {page:02d} 版）")
    editors = names(rng, rng.choice([1, 2]))
    s.bp(f"（责编：{'、'.join(editors)}）")
    return s.text(), truth(
        a,
        paragraphs,
        s.boilerplate,
        publication=publication,
        page=page,
        authors=authors,
        published_at=stamp(a.date, t, False),
    )


def chinanews(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    s = Sheet(rng.choice(["", "\u3000\u3000", "  "]))
    s.bp(a.title)
    t = clock(rng)
    s.bp(f"{zh_date(a.date)} {t:%H:%M}", "来源：中国新闻网", sep=rng.choice([" ", "\u3000", "  "]))
    if chance(rng, 0.3):
        s.bp(rng.choice(["分享到：", "参与互动"]))
    paragraphs = list(a.paragraphs)
    authors = names(rng, rng.choices([0, 1, 2], [2, 5, 3])[0])
    agency = rng.choices(["中新网", "中新社"], [4, 1])[0]
    city = rng.choice(CITIES) if chance(rng, 0.8) else ""
    reporter = rng.choice([f"(记者 {' '.join(authors)})", f"(记者{' '.join(authors)})"]) if authors else ""
    paragraphs[0] = f"{agency}{city}{a.date.month}月{a.date.day}日电 {reporter}" + paragraphs[0]
    for p in paragraphs:
        s.body(p)
    s.bp(rng.choice([f"【编辑:{rng.choice(NAMES)}】", f"【编辑：{rng.choice(NAMES)}】"]))
    if chance(rng, 0.85):
        s.bp(CHINANEWS_NOTICE)
    if chance(rng, 0.4):
        s.bp(CHINANEWS_MIRROR)
    return s.text(), truth(
        a, paragraphs, s.boilerplate, publication="中国新闻网", authors=authors, published_at=stamp(a.date, t, False)
    )


def thepaper(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    s = Sheet(rng.choice(["", "", "\u3000\u3000"]))
    s.bp(a.title)
    head: list[str] = []
    authors: list[str] = []
    kind = rng.choices(["one", "two", "intern", "chief", "none"], [4, 2, 2, 1, 2])[0]
    if kind == "one":
        authors = names(rng, 1)
        head.append(f"澎湃新闻记者 {authors[0]}")
    elif kind == "two":
        authors = names(rng, 2)
        head.append(f"澎湃新闻记者 {authors[0]} {authors[1]}")
    elif kind == "intern":
        authors = names(rng, 2)
        head.append(f"澎湃新闻记者 {authors[0]} 实习生 {authors[1]}")
    elif kind == "chief":
        authors = names(rng, 1)
        head.append(f"澎湃新闻首席记者 {authors[0]}")
    t = clock(rng)
    head.append(f"{a.date.isoformat()} {t:%H:%M} 来源：澎湃新闻")
    if len(head) == 2 and chance(rng, 0.3):
        head.reverse()
    for line in head:
        s.bp(line)
    if chance(rng, 0.3):
        s.bp("字号")
    for p in a.paragraphs:
        s.body(p)
    editor, proof = names(rng, 2)
    footer: list[str] = []
    if chance(rng, 0.4):
        footer.append(f"责任编辑：{editor} 图片编辑：{rng.choice(NAMES)}")
        footer.append(f"校对：{proof}")
    else:
        footer += [f"责任编辑：{editor}", f"校对：{proof}"]
    tail = [THEPAPER_DISCLAIMER]
    if chance(rng, 0.5):
        tail.append("澎湃新闻报料：021-962866")
    if chance(rng, 0.5):
        tail.append("澎湃新闻，未经授权不得转载")
    rng.shuffle(tail)
    if chance(rng, 0.4):
        tail.append(f"© 2014-{a.date.year} 上海东方报业有限公司")
    for line in footer + tail:
        s.bp(line)
    return s.text(), truth(
        a, a.paragraphs, s.boilerplate, publication="澎湃新闻", authors=authors, published_at=stamp(a.date, t, False)
    )


def gov_site(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    issuer = rng.choice(GOV_ISSUERS)
    s = Sheet(rng.choice(["", "\u3000\u3000", "\u3000\u3000", "  "]))
    where = rng.choice(["当前位置：", "您当前的位置：", "您现在的位置：", "当前位置: "])
    s.bp(where + rng.choice([" > ", ">", " >> "]).join(rng.choice(GOV_PATHS)))
    s.bp(a.title)
    t = clock(rng, 8, 18) if chance(rng, 0.5) else None
    published = f"发布时间：{a.date.isoformat()}" + (f" {t:%H:%M}" if t else "")
    meta = [published, rng.choice(["来源：", "信息来源：", "来源单位："]) + issuer]
    authors: list[str] = []
    if chance(rng, 0.2):
        authors = names(rng, 1)
        meta.append(f"作者：{authors[0]}")
    if chance(rng, 0.8):
        meta.append(rng.choice(["浏览次数：", "点击数：", "访问量：", "阅读次数："]) + str(rng.randint(12, 9000)))
    if chance(rng, 0.3):
        meta.append("字体：【大 中 小】")
    if chance(rng, 0.4):
        meta[0], meta[1] = meta[1], meta[0]
    if chance(rng, 0.25):
        for line in meta:
            s.bp(line)
    else:
        s.bp(*meta, sep=rng.choice(["  ", "\u3000\u3000", " "]))
    for p in a.paragraphs:
        s.body(p)
    s.bp(
        rng.choice(
            ["【打印本页】【关闭窗口】", "【打印本页】 【关闭窗口】", "[打印本页] [关闭窗口]", "【打印】【关闭】"]
        )
    )
    if chance(rng, 0.4):
        s.bp("扫一扫在手机打开当前页")
    if chance(rng, 0.5):
        office = issuer.replace("人民政府", "人民政府办公室") if issuer.endswith("人民政府") else issuer
        s.bp(
            f"主办单位：{office}",
            f"网站标识码：{rng.randrange(10**9, 10**10)}",
            f"{rng.choice('浙川苏鲁湘皖滇闽粤')}ICP备{rng.randrange(10**7, 10**8)}号",
            sep="  ",
        )
    return s.text(), truth(
        a, a.paragraphs, s.boilerplate, publication=issuer, authors=authors, published_at=stamp(a.date, t, False)
    )


def english_wire(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    s = Sheet(rng.choice(["", "", "  "]))
    s.bp(a.title)
    t = clock(rng, 0, 23)
    hour12 = t.hour % 12 or 12
    ampm = "AM" if t.hour < 12 else "PM"
    day = f"{MONTHS[a.date.month - 1]} {a.date.day}, {a.date.year}"
    style = rng.randrange(3)
    if style == 0:
        s.bp(f"{day} {hour12}:{t:%M} {ampm}")
    elif style == 1:
        s.bp(f"{day.upper()} / {hour12}:{t:%M} {ampm} / UPDATED {rng.randint(2, 9)} HOURS AGO")
    else:
        s.bp(f"{day} {hour12}:{t:%M} {ampm} GMT")
    if chance(rng, 0.3):
        s.bp(f"{rng.randint(2, 5)} Min Read")
    authors: list[str] = []
    if chance(rng, 0.85):
        authors = rng.sample(EN_NAMES, rng.choices([1, 2], [3, 1])[0])
        s.bp("By " + (authors[0] if len(authors) == 1 else rng.choice([", ", " and "]).join(authors)))
    paragraphs = list(a.paragraphs)
    city = rng.choice(EN_CITIES)
    paragraphs[0] = f"{city}, {EN_MONTHS[a.date.month - 1]} {a.date.day} (Reuters) - " + paragraphs[0]
    spaced = chance(rng, 0.3)
    for p in paragraphs:
        s.body(p)
        if spaced:
            s.blank()
    reporters = authors or rng.sample(EN_NAMES, 1)
    editors = rng.sample([n for n in EN_NAMES if n not in reporters], 2)
    credit = f"Reporting by {' and '.join(reporters)}"
    if chance(rng, 0.4):
        credit += f" in {city.title()}"
    if chance(rng, 0.3):
        credit += f"; Additional reporting by {rng.choice([n for n in EN_NAMES if n not in reporters + editors])}"
    credit += f"; Editing by {editors[0]}" + (f" and {editors[1]}" if chance(rng, 0.4) else "")
    s.bp(credit)
    s.bp(REUTERS_STANDARDS)
    return s.text(), truth(
        a, paragraphs, s.boilerplate, publication="Reuters", authors=authors, published_at=stamp(a.date, t, False)
    )


# ----- HTML layouts ---------------------------------------------------------


def esc(text: str) -> str:
    """Text as HTML source; © as an entity, as sites write it (GBK has no ©)."""
    return html.escape(text, quote=False).replace("©", "&copy;")


def html_charset(enc: str, rng: random.Random) -> str:
    return "utf-8" if enc.startswith("utf-8") else rng.choice(["gb2312", "gbk", "GB2312"])


def html_news(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    site, host = rng.choice(HTML_SITES)
    source = site if chance(rng, 0.5) else rng.choice(REPOST_SOURCES)
    channel = rng.choice(["国内", "时政", "社会", "财经", "科技", "地方"])
    t = clock(rng)
    seconds = chance(rng, 0.3)
    when = f"{a.date.isoformat()} {t:%H:%M:%S}" if seconds else f"{a.date.isoformat()} {t:%H:%M}"
    authors = names(rng, 1) if chance(rng, 0.4) else []
    editor = rng.choice(NAMES)
    boiler: list[str] = []

    def bp(text: str) -> str:
        if text.strip() and text.strip() not in boiler:
            boiler.append(text.strip())
        return esc(text)

    page_title = rng.choice([f"{a.title}_{channel}_{site}", f"{a.title} - {channel}频道 - {site}", f"{a.title}_{site}"])
    nav = ["首页", "新闻", "国内", "国际", "财经", "科技", "体育", "文化", "评论", "图片", "视频"]
    related = a.others[: rng.randint(3, 5)]
    hot = a.others[-2:]
    indent_p = rng.choice(
        ["<p>", "<p>", '<p style="text-indent: 2em;">', "<p>\u3000\u3000", "<p>&nbsp;&nbsp;&nbsp;&nbsp;"]
    )
    ua = rng.choice(["UA-", "hm-"]) + str(rng.randrange(10**6, 10**7))
    script = f"var _hmt = _hmt || []; _hmt.push(['_setAccount', '{ua}']);"
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        f'<meta charset="{html_charset(enc, rng)}">',
        f"<title>{bp(page_title)}</title>",
        f'<meta name="keywords" content="{html.escape(" ".join(rng.sample(KEYWORDS, 3)))}">',
        f'<meta name="description" content="{html.escape(a.paragraphs[0][:60])}">',
        f'<meta name="publishdate" content="{a.date.isoformat()}">',
        f'<meta name="source" content="{html.escape(source)}">',
        '<link rel="stylesheet" href="/css/article.css">',
        f"<script>{bp(script)}</script>",
        "</head>",
        "<body>",
        '<div class="top-nav"><ul>'
        + "".join(f'<li><a href="/{i}/">{bp(n)}</a></li>' for i, n in enumerate(nav))
        + "</ul></div>",
        f'<div class="breadcrumb"><a href="/">{bp(site + "首页")}</a> &gt; <a href="/{channel}/">{bp(channel + "新闻")}</a> &gt; {bp("正文")}</div>',
        '<div class="main">',
        '<div class="left">',
        f"<h1>{bp(a.title)}</h1>",
        '<div class="info">'
        + f'<span class="date">{bp(when)}</span> '
        + f'<span class="source">{bp("来源：" + source)}</span>'
        + (f' <span class="author">{bp("作者：" + authors[0])}</span>' if authors else "")
        + "</div>",
        '<div class="article" id="article">',
    ]
    for p in a.paragraphs:
        out.append(f"{indent_p}{esc(p)}</p>")
    if chance(rng, 0.3):
        out.append(f'<p class="pic"><img src="/images/{rng.randrange(10**8)}.jpg" alt=""></p>')
        out.append(f'<p class="pic-caption">{bp(rng.choice(["图片来源：视觉中国", "资料图", "图片来源：网络"]))}</p>')
    out.append(
        f'<p class="editor">{bp(rng.choice([f"（责任编辑：{editor}）", f"责任编辑：{editor}", f"[责任编辑：{editor}]"]))}</p>'
    )
    out.append("</div>")
    widgets = [
        f'<div class="share">{bp("分享到：")}<a class="wx">{bp("微信")}</a><a class="wb">{bp("微博")}</a><a class="qz">{bp("QQ空间")}</a></div>',
        '<div class="related"><h3>'
        + bp("相关新闻")
        + "</h3><ul>"
        + "".join(f'<li><a href="/{channel}/{rng.randrange(10**6)}.html">{bp(t_)}</a></li>' for t_ in related)
        + "</ul></div>",
        '<div class="comment"><h3>'
        + bp("网友评论")
        + "</h3>"
        + f"<p>{bp(f'已有{rng.randint(0, 300)}人参与')}</p><textarea></textarea><button>{bp('发表评论')}</button></div>",
    ]
    rng.shuffle(widgets)
    out += widgets
    out += [
        "</div>",
        '<div class="sidebar"><h3>'
        + bp("热点排行")
        + "</h3><ol>"
        + "".join(f'<li><a href="/hot/{i}.html">{bp(t_)}</a></li>' for i, t_ in enumerate(hot))
        + "</ol></div>",
        "</div>",
        '<div class="footer">',
        f"<p>{bp(f'Copyright © 1999-{a.date.year} {host}. All Rights Reserved')}</p>",
        f"<p>{bp(f'{site} 版权所有')} {bp(f'京ICP证{rng.randrange(10**5, 10**6)}号')}</p>",
        "</div>",
        "</body>",
        "</html>",
    ]
    if chance(rng, 0.3):  # a minified page
        text = "".join(line.strip() for line in out) + "\n"
    else:
        text = "\n".join(out) + "\n"
    return text, truth(
        a, a.paragraphs, boiler, publication=source, authors=authors, published_at=stamp(a.date, t, seconds)
    )


def html_epaper(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    paper = rng.choice(PAPERS)
    page = rng.choices(range(1, 13), [6, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1])[0]
    section = "要闻" if page == 1 and chance(rng, 0.7) else rng.choice(EPAPER_SECTIONS)
    boiler: list[str] = []

    def bp(text: str) -> str:
        if text.strip() and text.strip() not in boiler:
            boiler.append(text.strip())
        return esc(text)

    authors = names(rng, rng.choices([0, 1, 2], [1, 3, 3])[0])
    edition = rng.choice(
        [
            f"{paper}\u3000{zh_date(a.date)}\u3000第{page:02d}版：{section}",
            f"{paper} {zh_date(a.date)} 第{page:02d}版 {section}",
        ]
    )
    code = f"{rng.randrange(100000, 999999)}"
    nav_titles = a.others[: rng.randint(2, 4)]
    out = [
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        '<html xmlns="http://www.w3.org/1999/xhtml">',
        "<head>",
        f'<meta http-equiv="Content-Type" content="text/html; charset={html_charset(enc, rng)}" />',
        f"<title>{bp(rng.choice([f'{a.title}--{paper}', f'{paper}--{a.title}', f'{a.title}']))}</title>",
        '<link href="../../../styles/article.css" rel="stylesheet" type="text/css" />',
        "</head>",
        '<body leftmargin="0" topmargin="0">',
        '<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">',
        f'<tr><td class="px12" height="30">{bp(edition)}</td>'
        f'<td align="right"><a href="nw.D110000_{code}_{max(page - 1, 1):02d}.htm">{bp("上一版")}</a>&nbsp;&nbsp;'
        f'<a href="nw.D110000_{code}_{page + 1:02d}.htm">{bp("下一版")}</a></td></tr>',
        "</table>",
        '<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0"><tr>',
        '<td width="260" valign="top" class="nav"><div class="title">'
        + bp("本版标题导航")
        + "</div>"
        + "".join(f'<div><a href="nw.D110000_{code}_{i}.htm">{bp(t_)}</a></div>' for i, t_ in enumerate(nav_titles))
        + "</td>",
        '<td valign="top">',
        '<table width="100%" border="0" cellspacing="0" cellpadding="0">',
    ]
    if chance(rng, 0.25):
        out.append(f'<tr><td align="center"><h3>{bp(rng.choice(KICKERS))}</h3></td></tr>')
    out.append(f'<tr><td align="center"><h1>{bp(a.title)}</h1></td></tr>')
    if a.subtitle and chance(rng, 0.2):
        out.append(f'<tr><td align="center"><h2>{bp(a.subtitle)}</h2></td></tr>')
    if authors:
        byline = rng.choice(["本报记者 ", "作者：本报记者 ", "本报记者　"]) + " ".join(authors)
        out.append(f'<tr><td align="center" class="author">{bp(byline)}</td></tr>')
    out.append('<tr><td><div id="ozoom">')
    where, markers = jump_lines(rng, page)
    cut = None if where is None else (0 if where == 0 else max(1, len(a.paragraphs) // 2))
    br = chance(rng, 0.35)
    indent = rng.choice(["\u3000\u3000", "&nbsp;&nbsp;&nbsp;&nbsp;", ""])
    body: list[str] = []
    for i, p in enumerate(a.paragraphs):
        if cut == i:
            body += [bp(m) for m in markers]
        body.append(esc(p))
    if br:
        out.append("<founder-content>" + "<br/>".join(indent + b for b in body) + "</founder-content>")
    else:
        out.append("<founder-content>" + "".join(f"<P>{indent}{b}</P>" for b in body) + "</founder-content>")
    out += [
        "</div></td></tr>",
        "</table>",
        "</td></tr></table>",
        '<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">',
        f'<tr><td align="center">{bp(f"{paper}版权所有，未经书面授权禁止使用")}</td></tr>',
        f'<tr><td align="center">{bp(f"Copyright © {a.date.year} All Rights Reserved")}</td></tr>',
        "</table>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n", truth(
        a, a.paragraphs, boiler, publication=paper, section=section, page=page, authors=authors
    )


# ---------------------------------------------------------------------------
# The layouts
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    name: str
    suffix: str  # ".txt", ".html", ".htm"
    lang: str  # "zh" or "en": the articles it renders
    build: Callable[[Article, random.Random, str], tuple[str, dict]]
    encodings: tuple[tuple[str, float], ...] = (("utf-8", 0.87), ("gb18030", 0.10), ("utf-8-sig", 0.03))
    crlf: float = 0.15

    def render(self, article: Article, rng: random.Random) -> tuple[bytes, dict]:
        """The page bytes and its truth (everything but source_path)."""
        names_, weights = zip(*self.encodings)
        encoding = rng.choices(names_, weights)[0]
        crlf = chance(rng, self.crlf)
        text, fact = self.build(article, rng, encoding)
        if crlf:
            text = text.replace("\n", "\r\n")
        fact["layout"] = self.name
        fact["encoding"] = encoding
        fact["crlf"] = crlf
        return text.encode(encoding), fact


def _layouts() -> dict[str, Layout]:
    utf8 = (("utf-8", 1.0),)
    items = [
        Layout("legaldaily_epaper", ".txt", "zh", legaldaily_epaper),
        Layout("epaper_header", ".txt", "zh", epaper_header),
        Layout("xinhua_web", ".txt", "zh", xinhua_web),
        Layout("portal_repost", ".txt", "zh", portal_repost),
        Layout("wechat_reprint", ".txt", "zh", wechat_reprint),
        Layout("people_cn", ".txt", "zh", people_cn),
        Layout("chinanews", ".txt", "zh", chinanews),
        Layout("thepaper", ".txt", "zh", thepaper),
        Layout("gov_site", ".txt", "zh", gov_site),
        Layout("english_wire", ".txt", "en", english_wire, encodings=utf8),
        Layout("html_news", ".html", "zh", html_news, encodings=(("utf-8", 0.9), ("gb18030", 0.1)), crlf=0.1),
        Layout("html_epaper", ".htm", "zh", html_epaper, encodings=(("utf-8", 0.6), ("gb18030", 0.4)), crlf=0.4),
    ]
    return {layout.name: layout for layout in items}


LAYOUTS: dict[str, Layout] = _layouts()


def consistent(fact: dict) -> bool:
    """No boilerplate piece the evaluator looks for is part of the body text."""
    text = norm(fact["text"])
    return not any(len(norm(b)) >= 4 and norm(b) in text for b in fact["boilerplate"])


def render_one(layout: Layout, article: Article, rng: random.Random) -> tuple[bytes, dict]:
    for _ in range(20):
        state = rng.getstate()
        data, fact = layout.render(article, rng)
        if consistent(fact):
            break
        rng.setstate(state)
        rng.random()  # another draw of the page furniture
    fact["origin"] = article.origin
    return data, fact


def render_gallery(
    out: Path, pages_per_layout: int, seed: int = 0, layouts=None, corpus=None, copies: float = 0.0
) -> list[dict]:
    """Write out/raw/<layout>/NNNNNN<suffix> and out/truth.jsonl; return the truths (deterministic per seed).

    ``copies``: share of pages that are an earlier page's article rendered in another layout
    (a repost): same ``origin``, ``kind`` "copy", a date up to two days later.
    """
    out = Path(out)
    chosen = [LAYOUTS[name] for name in (layouts or LAYOUTS)]
    pool = load_pool(corpus)
    composer = Composer(pool)
    master = random.Random(seed)
    originals: dict[str, list[tuple[Article, str]]] = {"zh": [], "en": []}
    truths: list[dict] = []
    raw = out / "raw"
    for layout in chosen:
        (raw / layout.name).mkdir(parents=True, exist_ok=True)
    for i in range(pages_per_layout):
        for layout in chosen:
            rng = random.Random(master.getrandbits(64))
            sources = [o for o in originals[layout.lang] if o[1] != layout.name]
            if copies and sources and chance(rng, copies):
                article, _ = sources[rng.randrange(len(sources))]
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
                article = composer.article(rng, layout.lang, origin=f"o{len(truths):06d}")
                originals[layout.lang].append((article, layout.name))
                kind = "original"
            data, fact = render_one(layout, article, rng)
            relative = f"{layout.name}/{i:06d}{layout.suffix}"
            (raw / relative).write_bytes(data)
            truths.append({"source_path": relative, **fact, "kind": kind})
    with (out / "truth.jsonl").open("w", encoding="utf-8") as handle:
        for fact in truths:
            handle.write(json.dumps(fact, ensure_ascii=False) + "\n")
    return truths


def write_golden(dest: Path = CASES, seed: int = GOLDEN_SEED, pages: int = GOLDEN_PAGES) -> list[dict]:
    """The committed fixtures: ``pages`` pages per layout with ``<name>.truth.json`` beside each."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        truths = render_gallery(Path(tmp), pages, seed=seed)
        for name in LAYOUTS:
            if (dest / name).is_dir():
                shutil.rmtree(dest / name)
            (dest / name).mkdir(parents=True)
        for fact in truths:
            name = Path(fact["source_path"])
            shutil.copyfile(Path(tmp) / "raw" / name, dest / name)
            (dest / name.parent / f"{name.stem}.truth.json").write_text(
                json.dumps(fact, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
    return truths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="output folder (raw/ and truth.jsonl are written in it)")
    parser.add_argument("--pages-per-layout", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", type=Path, help="compose articles from this corpus folder instead of the pool")
    parser.add_argument("--copies", type=float, default=0.0, help="share of pages that repost an earlier article")
    parser.add_argument("--layouts", help="comma-separated layout ids (default: all)")
    parser.add_argument("--force", action="store_true", help="replace OUT/raw and OUT/truth.jsonl if they exist")
    parser.add_argument("--golden", action="store_true", help=f"rewrite the fixtures under {CASES}")
    parser.add_argument("--build-pool", type=Path, metavar="CORPUS", help=f"rewrite {POOL} from CORPUS")
    parser.add_argument("--list", action="store_true", help="list the layout ids")
    args = parser.parse_args(argv)
    if args.list:
        for layout in LAYOUTS.values():
            print(f"{layout.name:20} {layout.suffix:6} {layout.lang}")
        return
    if args.build_pool:
        POOL.parent.mkdir(parents=True, exist_ok=True)
        POOL.write_text(json.dumps(build_pool(args.build_pool), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {POOL}")
        return
    if args.golden:
        truths = write_golden()
        print(f"wrote {len(truths)} golden pages under {CASES}")
        return
    if args.out is None:
        parser.error("--out is required")
    layouts = args.layouts.split(",") if args.layouts else None
    unknown = [name for name in layouts or () if name not in LAYOUTS]
    if unknown:
        parser.error(f"unknown layouts {unknown}; known: {', '.join(LAYOUTS)}")
    raw = args.out / "raw"
    if raw.exists() and any(raw.iterdir()):
        if not args.force:
            parser.error(f"{raw} is not empty; pass --force to replace it")
        shutil.rmtree(raw)
    started = time.perf_counter()
    truths = render_gallery(
        args.out, args.pages_per_layout, seed=args.seed, layouts=layouts, corpus=args.corpus, copies=args.copies
    )
    print(f"{len(truths)} pages in {time.perf_counter() - started:.1f} s: {raw}/ and {args.out / 'truth.jsonl'}")


if __name__ == "__main__":
    main()
