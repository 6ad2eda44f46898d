"""The shapes of header and footer lines, as compiled patterns and small tests: what `pipeline.core.vocabulary` splits and names lines with.

Data apart from logic: each pattern with why it is what it is. The
vocabulary's entries (labels, widgets, roles) come from ``patterns.toml``;
these are the shapes that hold for every site.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator

# Decoration around a piece: brackets, dashes, arrows, bullets.
EDGE = "【】[]（）()〔〕<>《》—–-_=~·•・●○◆◇■□▲△▼▽▶►▷↓↑→←*#＃\u3000 \t:：,，、;；.。!！?？\"“”'‘’"
BRACKETED = re.compile(r"[【\[（(〔]([^【】\[\]（）()〔〕]*)[】\]）)〕]")
PIPES = re.compile(r"\s*[|｜丨]\s*|\s{2,}|\u3000+|\s+/\s+|;\s+")
# A trail of pages is segments between marks. No segment holds a mark, so that a
# line of forty ">" is read in linear time (with \S+ segments the match tried
# every split of them: minutes for one line).
_TRAIL_MARK = r"[>»›＞]+"
_TRAIL_SEGMENT = r"[^\s>»›＞]+"
# Home > News > China; with slashes only when spaced (a headline may hold 中美/全球).
BREADCRUMB = re.compile(rf"{_TRAIL_SEGMENT}(?:(?:\s*{_TRAIL_MARK}\s*|\s+[/／]\s+){_TRAIL_SEGMENT}){{2,}}")
# A trail of pages as a title candidate: also two levels with spaces around their
# mark (首页 > 外交部发言人表态), but no number after a mark (利润增速>10%的企业达三成).
TRAIL = re.compile(
    rf"{_TRAIL_SEGMENT}(?:\s*{_TRAIL_MARK}\s*(?!\d){_TRAIL_SEGMENT}){{2,}}"
    rf"|{_TRAIL_SEGMENT}\s+{_TRAIL_MARK}\s+(?!\d){_TRAIL_SEGMENT}"
)
# A wire story's dateline, where and when it was filed: 新华社北京1月5日电, 中央社／ 台南18日電,
# 本报北京1月5日电 （记者 王明）. The article's first words, no headline (电 glued to more text is a
# word: 5日电价). Bounded pieces from the start: no backtracking to speak of.
WIRE_DATELINE = re.compile(
    r"^[^\s/／，。！？：:]{1,16}?[\s/／]*[^\s/／，。！？：:]{0,8}?(?:\d{1,2}月)?\d{1,2}日\s*[电電讯訊](?=$|[\s（(])"
)
# What a wire dateline must hold: checked first, since the bounded pieces before it try many splits.
WIRE_HINT = re.compile(r"\d日\s*[电電讯訊]")


def is_wire_dateline(line: str) -> bool:
    """A wire story's dateline (`WIRE_DATELINE`), on a line of its own or opening one.

    >>> is_wire_dateline("新华社北京1月5日电"), is_wire_dateline("多地5日电价下调方案公布")
    (True, False)
    """
    return WIRE_HINT.search(line) is not None and WIRE_DATELINE.match(line) is not None


CODE = re.compile(r"[A-Za-z]{0,4}\d{8,}[A-Za-z]{0,4}")
NAME = re.compile(r"^(?:[\u3400-\u9fff]{2,4}|[\u3400-\u9fff]+[·•][\u3400-\u9fff·•]+)$")
# Between a byline's words: 記者王小明／台北報導, 文丨张三 (丨 is in no name).
NAME_SPLIT = re.compile(r"[\s、，,/／|｜丨]+")
TIME_ONLY = re.compile(r"(?i)\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?")
# Before a "label:" nobody listed, so that its value is not taken for the previous label's.
ANY_LABEL_SPLIT = re.compile(r"\s+(?=[^\s\d:：|｜][^\s:：|｜]{0,5}[:：])")
# An e-edition's page: 第4版, A3版, 03版.
PAGE = re.compile(r"第?\s*([A-Za-z]?\d{1,3})\s*版")
# 19.45 GMT: a dotted time, only with its zone (alone it could be any number).
DOTTED_TIME = re.compile(r"(?:[01]?\d|2[0-3])\.[0-5]\d")
# What may follow a date on a dateline: a time zone.
ZONE = re.compile(r"(?i)\b(?:GMT|UTC|CST|EST|EDT|PST|PDT|BST|CET|JST|[+-]\d{2}:?\d{2})\b|北京时间")
# What a line must hold for each pattern above to match in it (ſ and the
# Kelvin sign match s and k when case is ignored). These are cheap to scan for.
# A body sentence, which is most of what `explain` is asked about, has none
# of them, and skipping the full patterns halves the time spent on it.
PIPES_HINT = re.compile(r"[|｜丨\u3000;]|\s[\s/]")
BREADCRUMB_HINT = re.compile(r"[>»›＞]|\s[/／]")
ZONE_HINT = re.compile(r"[A-Za-z\u017f\u212a]|[+-]\d|北京时间")
WIDGET_WORDS = re.compile(r"[\s,，、/]+")
# The label patterns, the splits before labels and between bracketed items
# need a colon or a closing bracket in the line.
CLOSING_BRACKET = re.compile(r"[】\]）)〕]")
BRACKET_BREAK = re.compile(r"(?<=[】\]）)〕])\s*(?=[【\[（(〔])")

# What follows a label: a colon, or the arrows some sites print instead (关键词 >> 防控，民生).
LABEL_MARK = "(?:[:：]|>{1,2}|»|＞{1,2})"
# Where a rights notice's sentences end; a label's value that ends so is a sentence, not a name.
SENTENCES = re.compile(r"(?<=[。！？!?；;])")
SENTENCE_ENDS = tuple("。！？!?…")


def has_colon(text: str) -> bool:
    """Whether a label mark may be in ``text`` (a colon, or the arrows of 关键词 >> 防控)."""
    return ":" in text or "：" in text or ">" in text or "»" in text or "＞" in text


def longest_match(pattern: re.Pattern[str]) -> int:
    """The most characters ``pattern`` can match (a widget pattern is tried on every body line: most are longer).

    >>> longest_match(re.compile(r"点击.{0,6}关注")), longest_match(re.compile(r"\\d+ min read")) > 10**6
    (10, True)
    """
    try:
        return re._parser.parse(pattern.pattern, pattern.flags).getwidth()[1]
    except Exception:  # noqa: BLE001 - a parser Python changed: never skip the pattern
        return sys.maxsize


def role_of(token: str, roles: tuple[str, ...]) -> tuple[str, str, str] | None:
    """(paper before the role, role, name glued after it) when a byline token holds a role.

    A role starts the token (本报记者, 记者王明), or ends it after the name of
    its paper or site (澎湃新闻记者); a one-character role (文, 图) only starts
    it, so that the name 贾文 is a name.

    >>> roles = ("本报记者", "记者", "文")
    >>> role_of("澎湃新闻记者", roles), role_of("贾文", roles), role_of("记者王明", roles)
    (('澎湃新闻', '记者', ''), None, ('', '记者', '王明'))
    >>> role_of("作者：本报记者", roles), role_of("（本报记者", roles)
    (('', '本报记者', ''), None)
    """
    if not roles or any_role(roles).search(token) is None:
        return None
    for role in roles:
        if token.startswith(role):
            return "", role, token[len(role) :]
        if len(role) > 1 and token.endswith(role) and 2 <= len(token) - len(role) <= 8:
            before = token[: -len(role)]
            if before.isalnum():
                return before, role, ""
            if before.endswith((":", "：")):
                # A label before the role (作者：本报记者) names no paper.
                return "", role, ""
    return None


def split_lazily(pattern: re.Pattern[str], text: str) -> Iterator[str]:
    """``pattern.split(text)`` one part at a time (``pattern`` has no groups and never matches empty).

    A body sentence is asked whether it is a byline or a row of widgets: its
    first word already says no, and splitting all of it cost more than the rest.

    >>> list(split_lazily(re.compile(r"[ ,]+"), " a, b c ")) == re.split(r"[ ,]+", " a, b c ")
    True
    """
    start = 0
    for gap in pattern.finditer(text):
        yield text[start : gap.start()]
        start = gap.end()
    yield text[start:]


@functools.lru_cache(maxsize=8)
def any_role(roles: tuple[str, ...]) -> re.Pattern[str]:
    # Most tokens hold no role at all: one regex pass says so.
    return re.compile("|".join(re.escape(role) for role in roles))
