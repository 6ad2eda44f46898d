"""Articles as real papers print them, for layout galleries of 1,000 to 100,000 pages.

layouts.Composer builds bodies from "usable" corpus paragraphs only: it leaves out
核心阅读, 版式设计：X, （作者单位：…）, bracketed bylines, ■ subheads, 图为… captions
and every other short line. Real articles are full of them, and a cleaner that
learns page furniture from lines recurring at the edges of many articles can take
them for furniture; a gallery without them cannot show that. Here every article is
printed whole:

- The People's Daily month as it is: title = line 1 (when line 1 is an 引题 ending
  in ——/： above the main title, the main title: the line a page shows as the
  title); a —— line right under it is the subtitle (not text, as in the gallery);
  the body is every other non-empty line, indentation stripped, kept as written.
  Articles the month prints twice (or nearly: sharing > 35% of their text) are used
  once.
- As many more distinct articles as a size needs: article k takes the *frame* of a
  printed article (its short or non-prose lines — labels, credits, affiliations,
  subheads, captions, lines under 40 characters or not ending in 。！？” — at their
  places, and the dateline of a paragraph such as 本报北京1月2日电（记者 X）) and
  fills its prose paragraphs with prose sampled from the whole month, so that two
  unrelated articles share at most ~35% of their text (layouts.Composer's rule and
  numbers). Lines of the frame that the month prints only once (a subhead, an
  affiliation) are remixed with another such line when a frame is used again, and a
  title already taken gets a short piece of another title: a real corpus repeats
  labels and credits, not one article's subheads 40 times.
- The additions of real_extras.py: events, subheads, pull quotes, credits and daily
  statistics, at the rates given there (events ~10%, subheads ~5%, lead lines ~5%,
  credits ~10%, daily reports ~1% of the Chinese originals).

The first articles (until the month is used up: 2,082 of its 2,194 files; the rest
are exact or near copies) are the printed ones, with
the additions; English layouts get layouts.Composer's English articles (the month
has none). ``RealComposer.article`` also returns the article's extras tags (real:/frame:,
event:, daily:, subhead, lead, credit), which the gallery's truths carry, so that losses
can be broken down by what a line was.

bench/gallery/scale_gallery.py renders these articles over all 17 layout families:

    python -m bench.gallery.scale_gallery --out build/scale-1000 --pages 1000 [--seed 0] [--copies 0.1] [--force]
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.gallery import layouts
from bench.gallery import real_extras as extras
from bench.gallery.article import Article
from bench.gallery.layouts import chance

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

CORPUS = ROOT.parent / "shared" / "corpus" / "rmrb-2020-01"
STRIP = " \u3000\xa0\r\t"
PROSE_MIN = 40
PROSE_END = "。！？”"
# An in-body dateline (kept as the opening of the paragraph it starts).
DATELINE = re.compile(
    r"^(?:据新华社电|(?:据?新华社|本报|人民网|中新社|中新网|央视网)[\u4e00-\u9fff]{0,8}?"
    r"(?:\d{1,2}月\d{1,2}日电|讯))(?:[\s\xa0]*（[^）]{0,40}）)?[\s\xa0]*"
)
# Lines at least this long count when two articles' shared text is measured.
OVERLAP_MIN_LINE = 20


def is_prose(line: str) -> bool:
    return len(line) >= PROSE_MIN and line[-1] in PROSE_END


@dataclass(frozen=True)
class Printed:
    """One article of the month, as printed."""

    name: str  # YYYYMMDD-PP-NN
    title: str
    subtitle: str | None
    lines: tuple[str, ...]
    date: dt.date


def read_printed(corpus: Path) -> list[Printed]:
    out, seen = [], set()
    for path in sorted(Path(corpus).rglob("*.txt")):
        lines = [line.strip(STRIP) for line in path.read_text(encoding="utf-8").split("\n")]
        lines = [line for line in lines if line]
        if len(lines) < 2:
            continue
        title, rest = lines[0], lines[1:]
        if title.endswith(("——", "：")) and len(rest) > 1 and len(rest[0]) <= 60 and rest[0][-1] not in "。！？":
            title, rest = rest[0], rest[1:]  # 引题 —— 主题: the main title
        subtitle = None
        if len(rest) > 1 and rest[0].startswith("——"):
            subtitle, rest = rest[0], rest[1:]
        if tuple(rest) in seen:
            continue
        seen.add(tuple(rest))
        day = path.stem[:8]
        out.append(Printed(path.stem, title, subtitle, tuple(rest), dt.date(int(day[:4]), int(day[4:6]), int(day[6:]))))
    if not out:
        raise SystemExit(f"no articles under {corpus}")
    return out


def shape(line: str) -> str:
    """What a remixed line must keep: its closing punctuation (）？”…) or just being words."""
    return line[-1] if line[-1] in "）？！”：】…" else "word"


class Library:
    """The month read once: its articles, their frames, the prose pool, how often each line recurs."""

    def __init__(self, corpus: Path):
        self.articles = read_printed(corpus)
        self.freq = Counter(line for a in self.articles for line in a.lines)
        pool: dict[str, None] = {}
        self.frames = [self._frame(a.lines, pool) for a in self.articles]
        self.pool = list(pool)
        self.titles = [a.title for a in self.articles]
        self.subtitles = [a.subtitle for a in self.articles if a.subtitle]
        self.distinct: dict[str, list[str]] = {}
        for a in self.articles:
            for line in a.lines:
                if self._distinctive(line):
                    self.distinct.setdefault(shape(line), []).append(line)
        self.material = extras.Material.from_corpus([a.lines for a in self.articles], self.titles, DATELINE)

    @staticmethod
    def _frame(lines: tuple[str, ...], pool: dict[str, None]) -> tuple[tuple[str, bool], ...]:
        """(text, is_slot) per line: a frame line as it is, or a prose slot with its dateline (maybe "")."""
        frame = []
        for line in lines:
            if not is_prose(line):
                frame.append((line, False))
                continue
            head = DATELINE.match(line)
            prefix = head.group(0) if head else ""
            rest = line[len(prefix) :]
            if is_prose(rest):
                pool.setdefault(rest)
            frame.append((prefix, True))
        return tuple(frame)

    def _distinctive(self, line: str) -> bool:
        return not is_prose(line) and self.freq[line] == 1 and len(line) >= 6

    def vary(self, line: str, rng: random.Random) -> str:
        """A distinctive line (printed once in the month) remixed with another of its shape; others as they are."""
        if not self._distinctive(line):
            return line
        others = self.distinct.get(shape(line), ())
        if len(others) < 5:
            others = self.distinct["word"]
        other = rng.choice(others)
        return line[: max(2, len(line) // 2)] + other[len(other) // 2 :]


@functools.lru_cache(maxsize=2)
def library(corpus: Path) -> Library:
    return Library(corpus)


class Overlaps:
    """layouts.Composer's measure: the largest share of characters an article shares with an earlier one."""

    def __init__(self):
        self.used: dict[str, list[int]] = {}
        self.sizes: list[int] = []

    def worst(self, lines) -> float:
        shared: dict[int, int] = {}
        for line in lines:
            if len(line) >= OVERLAP_MIN_LINE:
                for other in self.used.get(line, ()):
                    shared[other] = shared.get(other, 0) + len(line)
        size = sum(len(line) for line in lines)
        return max((s / (size + self.sizes[o] - s) for o, s in shared.items()), default=0.0)

    def add(self, lines) -> None:
        index = len(self.sizes)
        self.sizes.append(sum(len(line) for line in lines))
        for line in dict.fromkeys(lines):
            if len(line) >= OVERLAP_MIN_LINE:
                self.used.setdefault(line, []).append(index)


class RealComposer:
    """Chinese article k of a realistic corpus (see the module docstring); deterministic for a seed and call order."""

    MAX_SHARED = layouts.Composer.MAX_SHARED
    TRIES = layouts.Composer.TRIES

    def __init__(self, corpus: Path = CORPUS, seed: int = 0):
        self.lib = library(Path(corpus))
        self.order = list(range(len(self.lib.articles)))
        random.Random(seed).shuffle(self.order)
        self.cursor = 0
        self.cycle: list[int] = []
        self.overlaps = Overlaps()
        self.titles_used: set[str] = set()
        self.events = extras.Events(self.lib.material)
        self.daily = extras.DailyReports(seed)
        self.count = 0
        self.skipped = 0  # printed articles left out as (near) copies of earlier ones
        self.tags: Counter = Counter()

    def article(self, rng: random.Random, origin: str) -> tuple[Article, list[str]]:
        """The next article and its extras tags."""
        k, self.count = self.count, self.count + 1
        subtitle = None
        unique = True
        if chance(rng, extras.DAILY_RATE):
            title, lines, date, tag = self.daily.report(rng)
            lines += self._prose(rng, rng.randint(2, 3), lines)  # the day's context, different per site
            tags, unique = [tag], False  # the same day's reports may share a title
        else:
            printed = self._next_printed()
            if printed is not None:
                title, subtitle, lines, date = printed.title, printed.subtitle, list(printed.lines), printed.date
                tags = [f"real:{printed.name}"]
            else:
                i = self._next_frame(rng)
                base = self.lib.articles[i]
                lines = self._fill(i, rng)
                title = base.title
                subtitle = self.lib.vary(base.subtitle, rng) if base.subtitle else None
                date = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(366))
                tags = [f"frame:{base.name}"]
        date = self._decorate(k, lines, date, rng, tags)
        title = self._title(title, lines, rng, unique)
        self.overlaps.add(lines)
        self.tags.update(t.split(":")[0] for t in tags)
        others = tuple(rng.sample([t for t in rng.sample(self.lib.titles, 7) if t != title], 6))
        return Article(title, tuple(lines), date, "zh", origin, others, subtitle), tags

    def _next_printed(self) -> Printed | None:
        while self.cursor < len(self.order):
            printed = self.lib.articles[self.order[self.cursor]]
            self.cursor += 1
            if self.overlaps.worst(printed.lines) <= self.MAX_SHARED:
                return printed
            self.skipped += 1
        return None

    def _next_frame(self, rng: random.Random) -> int:
        if not self.cycle:
            self.cycle = list(range(len(self.lib.articles)))
            rng.shuffle(self.cycle)
        return self.cycle.pop()

    def _fill(self, i: int, rng: random.Random) -> list[str]:
        """Frame i with its prose slots filled, the least shared of TRIES draws (the first under MAX_SHARED)."""
        frame = [(self.lib.vary(text, rng) if not slot else text, slot) for text, slot in self.lib.frames[i]]
        n = sum(slot for _, slot in frame)
        best, best_overlap = None, 2.0
        for _ in range(self.TRIES):
            picks = iter(rng.sample(self.lib.pool, n))
            lines = [text + next(picks) if slot else text for text, slot in frame]
            overlap = self.overlaps.worst(lines)
            if overlap < best_overlap:
                best, best_overlap = lines, overlap
            if overlap <= self.MAX_SHARED:
                break
        return best

    def _prose(self, rng: random.Random, n: int, fixed: list[str]) -> list[str]:
        best, best_overlap = None, 2.0
        for _ in range(self.TRIES):
            picks = rng.sample(self.lib.pool, n)
            overlap = self.overlaps.worst(fixed + picks)
            if overlap < best_overlap:
                best, best_overlap = picks, overlap
            if overlap <= self.MAX_SHARED:
                break
        return best

    def _title(self, base: str, lines: list[str], rng: random.Random, unique: bool) -> str:
        """The title, or when taken (a real corpus rarely repeats one) or printed in the body too, with a
        short piece of another title. A title that is a phrase of its own body is common in print,
        but then the layouts' title line and the body cannot be told apart by the scoring (and
        more_layouts' GuardedSheet leaves such a title out of the page)."""
        title, body = base, layouts.norm("".join(lines))
        for _ in range(8):
            if (not unique or title not in self.titles_used) and layouts.norm(title) not in body:
                break
            other = rng.choice(self.lib.titles)
            pieces = re.findall(r"[\u4e00-\u9fff]{2,8}", other) or ["新观察"]
            title = base + rng.choice(("，", "　", " ", "：")) + rng.choice(pieces)
        self.titles_used.add(title)
        return title

    def _decorate(self, k: int, lines: list[str], date: dt.date, rng: random.Random, tags: list[str]) -> dt.date:
        """real_extras' additions, in print order: subhead, event sentence, pull quote, credits."""
        m = self.lib.material
        if chance(rng, extras.SUBHEAD_RATE):
            at = extras.trailing(lines)
            lines[at:at] = [extras.subhead_line(rng, m), *self._prose(rng, 1, lines)]
            tags.append("subhead")
        event = self.events.member(k, rng)
        if event is not None:
            if event.date is None:
                event.date = date
            date = event.date + dt.timedelta(days=rng.randint(0, 2))
            extras.attach(event, lines, rng, DATELINE)
            tags.append(f"event:{event.ident}:{event.kind}")
        if chance(rng, extras.LEAD_RATE):
            lines.insert(0, f"“{rng.choice(m.quotes)}”")
            tags.append("lead")
        if chance(rng, extras.CREDIT_RATE):
            lines += [extras.credit_line(rng, m) for _ in range(rng.choice((1, 1, 2)))]
            tags.append("credit")
        return date
