"""Dates and times as news pages write them, Chinese and English.

`find_dates` finds every date in a line (with the time of day that follows
it, when there is one): ``2020年02月12日``, ``2020-02-12 10:35``,
``2020/2/12``, ``2020.02.12``, ``2020年12月16日18:09``, ``May 24, 2020 6:30
PM``, ``24 May 2020``, ``2020-05-24T18:30:00Z``, ``二〇二〇年四月二十四日``,
with the weekday beside it (``星期五``, ``Tue``) as part of the date.
Impossible dates (month 13, February 30) are not dates. `parse_date` reads a whole value (a JSONL field).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"

# A weekday written beside a date belongs to it: 2020年4月24日 星期五, Tue 4 Aug 2020.
_WEEKDAY_AFTER = r"(?:\s*[（(]?(?:星期|礼拜|周)[一二三四五六日天][）)]?)?"
_WEEKDAY_BEFORE = r"(?:(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|nesday|sday|urday)?\.?,?\s+)?"
_CN_DIGITS = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0}
_TIME = (
    r"(?:\s*|T)(?P<hour>[01]?\d|2[0-3])\s*[:：时時]\s*(?P<minute>[0-5]\d)(?:\s*[:：分]\s*(?P<second>[0-5]\d))?"
    r"(?:\s*[分秒])?(?:\.\d+)?(?:\s*(?P<ampm>[AaPp]\.?[Mm]\.?))?"
)
# Digits not glued to other digits: 2020-01-04 in 12020-01-045 is no date.
_NUMERIC = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d\d)\s*(?P<sep>[-/.年])\s*(?P<month>[01]?\d)\s*(?:(?P=sep)|月)\s*(?P<day>[0-3]?\d)(?!\d)(?:\s*日)?"
    # The weekday before the time or after it: 2023-11-29 21:56:22 星期三.
    f"{_WEEKDAY_AFTER}(?:{_TIME})?{_WEEKDAY_AFTER}"
)
_CHINESE = re.compile(
    r"(?P<year>[〇零○Ｏ一二三四五六七八九]{4})\s*年\s*(?P<month>[一二三四五六七八九十]{1,2})\s*月\s*(?P<day>[一二三四五六七八九十]{1,3})\s*日"
    + _WEEKDAY_AFTER
)
_ENGLISH = re.compile(
    rf"(?<![A-Za-z]){_WEEKDAY_BEFORE}(?:(?P<month1>{_MONTH})\s+(?P<day1>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year1>(?:19|20)\d\d)"
    rf"|(?P<day2>[0-3]?\d)\s+(?P<month2>{_MONTH})\s+(?P<year2>(?:19|20)\d\d))(?![\dA-Za-z])"
    f"(?:,?{_TIME})?",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_LATIN_WORD = re.compile(r"[A-Za-z]{3}")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


@dataclass(frozen=True, slots=True)
class DateFound:
    """A date in a line, the time of day written after it (or None), and where it stands."""

    date: datetime.date
    time: datetime.time | None
    start: int
    end: int

    @property
    def published_at(self) -> datetime.datetime | None:
        return datetime.datetime.combine(self.date, self.time) if self.time is not None else None


def find_dates(line: str) -> list[DateFound]:
    """Every valid date of ``line``, in order, with its time of day when one follows.

    >>> [(f.date.isoformat(), f.time and f.time.isoformat()) for f in find_dates("2020年12月16日18:09  来源：人民网")]
    [('2020-12-16', '18:09:00')]
    >>> [(f.date.isoformat(), f.time and f.time.isoformat()) for f in find_dates("May 24, 2020 6:30 PM")]
    [('2020-05-24', '18:30:00')]
    >>> [f.date.isoformat() for f in find_dates("2020/2/12 至 2020.02.13，2021-02-30 不是日期")]
    ['2020-02-12', '2020-02-13']
    >>> [(f.date.isoformat(), line[f.start:f.end]) for line in ["河南日报　二〇二〇年四月二十四日　星期五"] for f in find_dates(line)]
    [('2020-04-24', '二〇二〇年四月二十四日\u3000星期五')]
    >>> [(f.date.isoformat(), f.time.isoformat(), line[f.start:f.end]) for line in ["财联社 2023-11-29 21:56:22 星期三"] for f in find_dates(line)]
    [('2023-11-29', '21:56:22', '2023-11-29 21:56:22 星期三')]
    """
    if _DIGIT.search(line) is None:
        # Only a date in Chinese numerals does without digits.
        return [f for m in _CHINESE.finditer(line) if (f := _chinese(m)) is not None] if "年" in line else []
    found = [f for m in _NUMERIC.finditer(line) if (f := _numeric(m)) is not None]
    if found:
        return found
    if "年" in line:
        found = [f for m in _CHINESE.finditer(line) if (f := _chinese(m)) is not None]
        if found:
            return found
    # The English pattern tries a weekday and twelve month names at every
    # position; a line without three Latin letters in a row cannot hold one.
    if not _LATIN_WORD.search(line):
        return []
    return [f for m in _ENGLISH.finditer(line) if (f := _english(m)) is not None]


def _chinese(match: re.Match[str]) -> DateFound | None:
    year = "".join(str(_CN_DIGITS[ch]) for ch in match.group("year"))
    date = _valid(year, str(_cn_number(match.group("month"))), str(_cn_number(match.group("day"))))
    return DateFound(date, None, match.start(), match.end()) if date else None


def _cn_number(text: str) -> int:
    """一 -> 1, 十 -> 10, 十二 -> 12, 二十四 -> 24, 三十一 -> 31 (the numbers of months and days).

    >>> [_cn_number(t) for t in ("一", "十", "十二", "二十", "二十四", "三十一")]
    [1, 10, 12, 20, 24, 31]
    """
    tens, _, units = text.rpartition("十")
    if "十" not in text:
        return _CN_DIGITS.get(text, 0) if len(text) == 1 else 0
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)


def _numeric(match: re.Match[str]) -> DateFound | None:
    date = _valid(match.group("year"), match.group("month"), match.group("day"))
    return DateFound(date, _time_of(match), match.start(), match.end()) if date else None


def _english(match: re.Match[str]) -> DateFound | None:
    month = match.group("month1") or match.group("month2")
    day = match.group("day1") or match.group("day2")
    year = match.group("year1") or match.group("year2")
    date = _valid(year, str(MONTHS[month.lower().rstrip(".")]), day)
    return DateFound(date, _time_of(match), match.start(), match.end()) if date else None


def _valid(year: str, month: str, day: str) -> datetime.date | None:
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _time_of(match: re.Match[str]) -> datetime.time | None:
    if match.group("hour") is None:
        return None
    hour = int(match.group("hour"))
    ampm = (match.group("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    return datetime.time(hour, int(match.group("minute")), int(match.group("second") or 0))


_TIME_ALONE = re.compile(f"^{_TIME}", re.IGNORECASE)


def parse_time(value: str) -> datetime.time | None:
    """The time of day a piece of a dateline gives on its own (5:44 PM, 10时35分).

    >>> parse_time("5:44 PM"), parse_time("UPDATED 4 HOURS AGO")
    (datetime.time(17, 44), None)
    """
    match = _TIME_ALONE.match(value.strip())
    return _time_of(match) if match else None


def parse_date(value: str) -> datetime.date | None:
    """A calendar date from the forms news pages use; None if there is none.

    >>> [parse_date(v) for v in ("2021-12-13", "2020年1月4日", "20200104", "2021/2/30", "soon")]
    [datetime.date(2021, 12, 13), datetime.date(2020, 1, 4), datetime.date(2020, 1, 4), None, None]
    """
    value = value.strip()
    compact = _COMPACT.match(value)
    if compact:
        return _valid(*compact.groups())
    found = find_dates(value)
    return found[0].date if found else None
