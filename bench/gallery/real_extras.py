"""What real news corpora add to article bodies, beyond one month of one paper.

bench/gallery/real_articles.py renders People's Daily articles as printed; a corpus of
100,000 pages from many sites also has lines that recur across articles for good
reasons, and these are exactly the lines a cleaner that learns page furniture
from recurring edge lines is tempted to take. Each addition here is article text
(it stays in the truth), is drawn from the caller's seeded generator, and comes
at the rate named below (shares of the Chinese originals):

  events       ~10%: an event covered by 3-30 articles (over a few days, on many
               sites) that all end with the same closing sentence (…王沪宁出席。)
               or all open with the same sentence; sentences are real corpus ones
  subheads      ~5%: a subhead inside the body (■记者手记, 【短评】, 链接：…)
               followed by a paragraph, before the closing credits
  lead lines    ~5%: a pull quote right under the title (“…”, a corpus quotation)
  credits      ~10%: one or two credit lines at the end (制图：X, 数据来源：X,
               X摄（人民视觉）, （作者单位：X）, （执笔：X）, …), beyond the
               corpus's own
  daily reports ~1%: daily statistics whose lead has that day's date and
               numbers (新增确诊病例, 铁路发送旅客, 人民币汇率中间价); the same
               day is often reported by several sites, with the same figures

Sentence material (closing and opening sentences, quotations, credit names) is
taken from the corpus; templates and invented names fill in where it has few.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

EVENT_SHARE = 0.10
EVENT_SIZES = (3, 30)
SUBHEAD_RATE = 0.05
LEAD_RATE = 0.05
CREDIT_RATE = 0.10
DAILY_RATE = 0.01
SAME_DAY = 0.35  # a daily report repeats a day already reported (another site's report of it)

SUBHEADS = ("■记者手记", "【短评】", "记者手记", "■短评", "【延伸阅读】", "相关链接", "■链接", "【记者观察】")
# Not layouts.NAMES: those are the editors and reporters of the page furniture, and a
# credit naming one of them would make a furniture line part of the body.
CREDIT_NAMES = (
    "汪哲平",
    "庞洋",
    "程远",
    "高玉茹",
    "梁晓萌",
    "石磊",
    "叶青",
    "钟宁",
    "欧阳可",
    "方圆",
    "秦川",
    "江涛",
    "金晨",
    "陆一鸣",
    "顾小北",
    "邱实",
)
ORGS = (
    "国家统计局",
    "海关总署",
    "商务部",
    "国家卫生健康委",
    "中国人民银行",
    "交通运输部",
    "国家能源局",
    "工业和信息化部",
    "文化和旅游部",
    "农业农村部",
    "中国汽车工业协会",
    "国家铁路集团",
)
INSTITUTES = (
    "中国人民大学",
    "北京大学",
    "中国社会科学院",
    "国务院发展研究中心",
    "清华大学",
    "复旦大学",
    "南开大学",
    "武汉大学",
    "浙江大学",
    "中央党校（国家行政学院）",
)
# A sentence that closes a report of an official event: …王沪宁出席。 …参加会见。 …主持会议。
CLOSING = re.compile(r"(出席|主持|参加|陪同|在座|列席)[^，。；]{0,8}。$")
OFFICIAL = re.compile(r"(书记|委员|主席|部长|总理|主任|负责同志|领导)")
SENTENCE = re.compile(r"[^。！？]+[。！？]")
QUOTE = re.compile(r"“([^“”，。、：；！？]{6,16})”")


@dataclass
class Material:
    """Sentences and names taken from the corpus for the additions."""

    closings: list[str]
    openings: list[str]
    quotes: list[str]
    credit_names: list[str]
    institutes: list[str]
    link_topics: list[str]

    @classmethod
    def from_corpus(cls, bodies: list[tuple[str, ...]], titles: list[str], dateline: re.Pattern) -> Material:
        closings: dict[str, None] = {}
        openings: dict[str, None] = {}
        quotes: dict[str, None] = {}
        names: dict[str, None] = dict.fromkeys(CREDIT_NAMES)
        institutes: dict[str, None] = dict.fromkeys(INSTITUTES)
        for lines in bodies:
            for i, line in enumerate(lines):
                for sentence in SENTENCE.findall(line):
                    if (
                        8 <= len(sentence) <= 50
                        and CLOSING.search(sentence)
                        and OFFICIAL.search(sentence)
                        and not sentence[0].isdigit()
                        and not sentence.startswith(("“", "”", "我", "本报", "新华社"))
                    ):
                        closings.setdefault(sentence)
                if i < 2 and len(line) >= 40:
                    rest = line[dateline.match(line).end() :] if dateline.match(line) else line
                    first = SENTENCE.match(rest)
                    if (
                        first
                        and 15 <= len(first.group(0)) <= 50
                        and first.group(0)[-1] == "。"
                        and "“" not in first.group(0)
                    ):
                        openings.setdefault(first.group(0))
                quotes.update(dict.fromkeys(QUOTE.findall(line)))
                credit = re.fullmatch(r"(?:本版)?(?:版式设计|制图)：\s*(\S{2,4}(?:\s+\S{1,2})?)", line)
                if credit:
                    names.setdefault(re.sub(r"\s+", "", credit.group(1)))
                unit = re.fullmatch(r"（作者单位：(.{2,30})）", line)
                if unit:
                    institutes.setdefault(unit.group(1))
        topics = [p for t in titles for p in re.split(r"[，、：　 —（）·“”]+", t) if 4 <= len(p) <= 10]
        return cls(
            list(closings), list(openings), list(quotes), list(names), list(institutes), list(dict.fromkeys(topics))
        )


def credit_line(rng: random.Random, m: Material) -> str:
    name = rng.choice(m.credit_names)
    kind = rng.choices(range(9), [3, 2, 2, 2, 1, 2, 1.5, 1, 1])[0]
    return (
        f"制图：{name}",
        f"本版制图：{name}",
        f"数据来源：{rng.choice(ORGS)}",
        f"{name}摄（人民视觉）",
        f"本报记者  {name}摄",
        f"版式设计：{name}",
        f"（作者单位：{rng.choice(m.institutes)}）",
        f"（执笔：{name}）",
        f"（参与记者：{'、'.join(rng.sample(m.credit_names, 2))}）",
    )[kind]


def subhead_line(rng: random.Random, m: Material) -> str:
    if chance(rng, 0.25):
        return "链接：" + rng.choice(m.link_topics)
    return rng.choice(SUBHEADS)


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


# ---------------------------------------------------------------------------
# Events: several articles, one closing or opening sentence
# ---------------------------------------------------------------------------


@dataclass
class Event:
    ident: int
    kind: str  # "closing" or "opening"
    sentence: str
    date: dt.date | None = None


@dataclass
class Events:
    """Schedules the members of each event over the next few hundred articles, so that about
    EVENT_SHARE of all articles belong to one (mean size 16.5; members land near each other,
    as an event's coverage does)."""

    material: Material
    pending: dict[int, Event] = field(default_factory=dict)
    count: int = 0

    def member(self, k: int, rng: random.Random) -> Event | None:
        """The event article k belongs to: a scheduled one, or a new one it starts."""
        event = self.pending.pop(k, None)
        if event is not None:
            return event
        low, high = EVENT_SIZES
        if not chance(rng, EVENT_SHARE / ((low + high) / 2)):
            return None
        closing = bool(self.material.closings) and chance(rng, 0.7)
        sentence = rng.choice(self.material.closings if closing else self.material.openings)
        event = Event(self.count, "closing" if closing else "opening", sentence)
        self.count += 1
        size = rng.randint(low, high)
        for _ in range(size - 1):
            slot = k + rng.randint(1, 6 * size)
            while slot in self.pending:
                slot += 1
            self.pending[slot] = event
        return event


def attach(event: Event, lines: list[str], rng: random.Random, dateline: re.Pattern) -> None:
    """The event's sentence as its own line or inside a paragraph (both happen in print)."""
    prose = [i for i, line in enumerate(lines) if len(line) >= 40 and line[-1] in "。！？”"]
    if event.kind == "closing":
        tail = trailing(lines)
        last = [i for i in prose if i < tail]
        if last and chance(rng, 0.4):
            lines[last[-1]] += event.sentence
        else:
            lines.insert(tail, event.sentence)
    else:
        if prose and chance(rng, 0.6):
            i = prose[0]
            head = dateline.match(lines[i])
            cut = head.end() if head else 0
            lines[i] = lines[i][:cut] + event.sentence + lines[i][cut:]
        else:
            lines.insert(0, event.sentence)


def trailing(lines: list[str]) -> int:
    """Where the closing run of short lines (credits, bylines, affiliations) starts."""
    end = len(lines)
    while end > 1 and len(lines[end - 1]) < 40 and lines[end - 1][-1] not in "。！？":
        end -= 1
    return end


# ---------------------------------------------------------------------------
# Daily reports: the same lead every day, with that day's date and figures
# ---------------------------------------------------------------------------


def _epidemic(day: dt.date, r: random.Random, n: int) -> tuple[list[str], list[str], list[str]]:
    m, d, nxt = day.month, day.day, day + dt.timedelta(days=1)
    new, dead, suspect = r.randint(300, 4000), r.randint(10, 150), r.randint(500, 5000)
    total, cured = 10000 + 350 * n + r.randint(0, 300), 200 * n + r.randint(0, 500)
    leads = [
        (
            f"{m}月{d}日0—24时，31个省（自治区、直辖市）和新疆生产建设兵团报告新增确诊病例{new}例，"
            f"新增死亡病例{dead}例（湖北省{dead - r.randint(0, 4)}例），新增疑似病例{suspect}例。"
        ),
        (
            f"国家卫生健康委{nxt.month}月{nxt.day}日通报，{m}月{d}日0—24时，全国新增确诊病例{new}例，"
            f"新增死亡病例{dead}例，新增疑似病例{suspect}例。"
        ),
    ]
    details = [
        (
            f"当日新增治愈出院病例{r.randint(50, 900)}例，解除医学观察的密切接触者{r.randint(1000, 9000)}人，"
            f"重症病例减少{r.randint(10, 300)}例。"
        ),
        (
            f"截至{m}月{d}日24时，据31个省（自治区、直辖市）和新疆生产建设兵团报告，现有确诊病例{total - cured}例"
            f"（其中重症病例{r.randint(1000, 9000)}例），累计治愈出院病例{cured}例，累计报告确诊病例{total}例。"
        ),
        (
            f"累计追踪到密切接触者{60000 + 900 * n + r.randint(0, 999)}人，尚在医学观察的密切接触者"
            f"{r.randint(20000, 90000)}人。"
        ),
    ]
    titles = [f"{m}月{d}日全国新增确诊病例{new}例", f"国家卫健委：{m}月{d}日新增确诊病例{new}例"]
    return leads, details, titles


def _railway(day: dt.date, r: random.Random, n: int) -> tuple[list[str], list[str], list[str]]:
    m, d, later = day.month, day.day, day + dt.timedelta(days=1)
    riders, trains, change = r.randint(600, 1400), r.randint(300, 1200), r.uniform(0.5, 12.0)
    leads = [
        f"{m}月{d}日，全国铁路发送旅客{riders}万人次，同比增长{change:.1f}%，计划加开旅客列车{trains}列。",
        f"记者从中国国家铁路集团有限公司获悉：{m}月{d}日，全国铁路发送旅客{riders}万人次，加开旅客列车{trains}列。",
    ]
    details = [
        f"{m}月{d}日，全国民航运输旅客{r.randint(120, 220)}万人次，航班正常率{r.uniform(80, 95):.1f}%。",
        f"{m}月{d}日，全国公路完成客运量{r.randint(2000, 4000)}万人次，同比下降{r.uniform(1, 9):.1f}%。",
        (
            f"铁路部门预计，{later.month}月{later.day}日全国铁路将发送旅客{r.randint(600, 1400)}万人次，"
            f"计划加开旅客列车{r.randint(300, 1200)}列。"
        ),
    ]
    titles = [f"{m}月{d}日全国铁路发送旅客{riders}万人次", f"全国铁路{m}月{d}日发送旅客{riders}万人次"]
    return leads, details, titles


def _exchange(day: dt.date, r: random.Random, n: int) -> tuple[list[str], list[str], list[str]]:
    m, d = day.month, day.day
    usd, points, way = r.uniform(6.85, 7.15), r.randint(5, 260), r.choice(("调升", "调降"))
    leads = [
        (
            f"中国人民银行授权中国外汇交易中心公布，{day.year}年{m}月{d}日银行间外汇市场人民币汇率中间价为："
            f"1美元对人民币{usd:.4f}元，1欧元对人民币{r.uniform(7.6, 8.0):.4f}元，100日元对人民币{r.uniform(6.2, 6.6):.4f}元，"
            f"1港元对人民币{r.uniform(0.88, 0.92):.5f}元，1英镑对人民币{r.uniform(8.6, 9.2):.4f}元。"
        ),
        f"{m}月{d}日，人民币对美元汇率中间价报{usd:.4f}，较前一交易日{way}{points}个基点。",
    ]
    details = [
        f"人民币对美元汇率中间价较前一交易日{way}{points}个基点。",
        f"当日，在岸人民币对美元汇率16时30分收盘报{usd + r.uniform(-0.02, 0.02):.4f}。",
        f"1澳大利亚元对人民币{r.uniform(4.6, 4.9):.4f}元，1加拿大元对人民币{r.uniform(5.1, 5.4):.4f}元。",
    ]
    titles = [f"{m}月{d}日人民币对美元中间价报{usd:.4f}", f"人民币中间价{m}月{d}日{way}{points}个基点"]
    return leads, details, titles


DAILY = {
    "epidemic": (_epidemic, 1),
    "railway": (_railway, 1),
    "exchange": (_exchange, 0),
}  # (builder, days until published)


@dataclass
class DailyReports:
    """One report per call: a family, a day (often one reported before), that day's figures
    (seeded by family and day, so every report of a day agrees) and this site's wording."""

    seed: int
    days: dict[str, list[int]] = field(default_factory=dict)

    def report(self, rng: random.Random) -> tuple[str, list[str], dt.date, str]:
        family = rng.choice(sorted(DAILY))
        seen = self.days.setdefault(family, [])
        n = rng.choice(seen) if seen and chance(rng, SAME_DAY) else rng.randrange(366)
        seen.append(n)
        day = dt.date(2020, 1, 1) + dt.timedelta(days=n)
        build, lag = DAILY[family]
        leads, details, titles = build(day, random.Random(f"{self.seed}/{family}/{n}"), n)
        lines = [rng.choice(leads)] + rng.sample(details, rng.randint(1, 2))
        return rng.choice(titles), lines, day + dt.timedelta(days=lag), f"daily:{family}:{day.isoformat()}"
