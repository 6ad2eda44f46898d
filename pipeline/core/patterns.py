"""Load the pattern table (`patterns.toml`) and compile it once.

The table is data, not code: users extend it with their own TOML file
(`Config.patterns_file`) whose lists are appended to the built-in ones.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.errors import ConfigError
from pipeline.core.line_shapes import EDGE, LABEL_MARK, longest_match
from pipeline.core.vocabulary import Vocabulary

BUILTIN_TABLE = Path(__file__).with_name("patterns.toml")

# Ideographs (basic, extension A, compatibility) as a regex class body.
HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
HAN = "".join(f"{chr(low)}-{chr(high)}" for low, high in HAN_RANGES)
# CJK punctuation: CJK symbols block, full-width forms, curly quotes, ellipsis, dash.
CJK_PUNCT = (
    "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u201c\u201d\u2018\u2019\u2026\u2014\u00b7"
)
CHINESE_NUMERALS = "零〇一二三四五六七八九十百两"
HAN_CHAR = re.compile(f"[{HAN}]")
CJK_CHAR = re.compile(f"[{HAN}{CJK_PUNCT}]")


@dataclass(frozen=True)
class MetadataLine:
    name: str
    regex: re.Pattern[str]


# Every character Python counts as whitespace (what regex \s matches).
WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())


@dataclass(frozen=True)
class Patterns:
    separator_chars: str
    page_jump: re.Pattern[str]
    page_jump_start: re.Pattern[str]
    page_jump_unit: re.Pattern[str]
    forward_verbs: frozenset[str]
    paragraph_break: re.Pattern[str]
    metadata_lines: tuple[MetadataLine, ...]
    byline_markers: str
    byline_roles: tuple[str, ...]
    byline_max_chars: int
    section_max_chars: int
    title_max_chars: int
    sentence_end: str
    closing_quotes: str
    vocabulary: Vocabulary
    page_number: re.Pattern[str] | None = None

    # Separators are judged with str methods rather than regexes: a line of
    # ten thousand "| " followed by a letter made a regex backtrack for minutes.
    def is_separator_line(self, line: str) -> bool:
        """A line of separators and spaces only, with at least one separator.

        >>> p = load_patterns()
        >>> p.is_separator_line(" | ｜ "), p.is_separator_line("要闻 |"), p.is_separator_line("   ")
        (True, False, False)
        """
        return not line.strip(self.separator_chars + WHITESPACE) and any(ch in line for ch in self.separator_chars)

    def strip_trailing_separators(self, line: str) -> str:
        """The line without the separators (and spaces) it ends with.

        >>> load_patterns().strip_trailing_separators("稿件来源: 法治日报要闻 | |")
        '稿件来源: 法治日报要闻'
        """
        return line.rstrip(self.separator_chars + WHITESPACE)


@functools.lru_cache(maxsize=32)
def load_patterns(extra_file: str | None = None, without_layouts: frozenset[str] = frozenset()) -> Patterns:
    """The built-in table, extended by ``extra_file`` when given.

    ``without_layouts`` leaves out the entries tagged as added for those
    gallery layouts (``layouts = [...]``): the generalisation test's way of
    asking what docclean does on a layout nobody wrote patterns for.
    """
    table = _read(BUILTIN_TABLE)
    if extra_file:
        _extend(table, _read(Path(extra_file)))
    try:
        return _compile(table, without_layouts)
    except (KeyError, TypeError, re.error) as error:
        where = extra_file or str(BUILTIN_TABLE)
        raise ConfigError(f"pattern table {where!r} is malformed: {type(error).__name__}: {error}") from None


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read pattern table {str(path)!r}: {error}") from None


def _extend(base: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, list):
            base.setdefault(key, [])
            base[key] = base[key] + value
        elif isinstance(value, dict):
            section = base.setdefault(key, {})
            for inner_key, inner in value.items():
                if isinstance(inner, list) and isinstance(section.get(inner_key), list):
                    section[inner_key] = section[inner_key] + inner
                else:
                    section[inner_key] = inner
        else:
            base[key] = value


def _alternation(words: list[str]) -> str:
    # Longest first, so that 下转 is tried before 转.
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _compile(table: dict, without: frozenset[str] = frozenset()) -> Patterns:
    seps = "".join(table["separators"]["chars"])

    jumps = table["page_jumps"]
    verbs = _alternation(jumps["forward_verbs"] + jumps["backward_verbs"])
    units = _alternation(jumps["units"])
    number = f"[0-9０-９{CHINESE_NUMERALS}]+"
    bare = f"(?P<verb>{verbs})\\s*第?\\s*(?P<page>{number})\\s*(?:{units})"
    bracketed = [
        f"{re.escape(pair[0])}\\s*(?P<verb{i}>{verbs})\\s*第?\\s*(?P<page{i}>{number})\\s*(?:{units})\\s*{re.escape(pair[1])}"
        for i, pair in enumerate(jumps["brackets"])
    ]
    page_jump = re.compile("|".join(bracketed + [bare]))
    # Every marker starts with an opening bracket or a verb's first character.
    # Trying the marker regex only there (see `artifacts._jump_matches`) is
    # several times faster than letting it scan every position of a long line.
    starts = {pair[0] for pair in jumps["brackets"]} | {
        verb[0] for verb in jumps["forward_verbs"] + jumps["backward_verbs"]
    }
    page_jump_start = re.compile("[" + re.escape("".join(sorted(starts))) + "]")
    # Every marker names a unit (版); a line without one needs no closer look.
    page_jump_unit = re.compile(units)

    paragraphs = table["paragraphs"]
    paragraph_break = re.compile(
        f"([{re.escape(paragraphs['sentence_end'])}][{re.escape(paragraphs['closing_quotes'])}]*)[ \\t\\u3000]+(?=\\S)"
    )

    bylines = table["bylines"]
    roles = tuple(sorted(set(bylines["roles"]), key=len, reverse=True))
    return Patterns(
        separator_chars=seps,
        page_jump=page_jump,
        page_jump_start=page_jump_start,
        page_jump_unit=page_jump_unit,
        forward_verbs=frozenset(jumps["forward_verbs"]),
        paragraph_break=paragraph_break,
        metadata_lines=tuple(
            MetadataLine(entry.get("name", f"line{i}"), re.compile(entry["pattern"]))
            for i, entry in enumerate(table.get("metadata_lines", []))
            if not set(entry.get("layouts", ())) & without
        ),
        byline_markers="".join(bylines["markers"]),
        byline_roles=roles,
        byline_max_chars=int(bylines["max_line_chars"]),
        section_max_chars=int(table["sections"]["max_chars"]),
        title_max_chars=int(table["titles"]["max_chars"]),
        sentence_end=paragraphs["sentence_end"],
        closing_quotes=paragraphs["closing_quotes"],
        vocabulary=load_vocabulary(table, roles, "".join(bylines["markers"]), without),
        page_number=re.compile("|".join(f"(?:{p})" for p in table.get("page_numbers", {}).get("patterns", []))) or None,
    )


def han_count(text: str) -> int:
    """Ideographs in ``text`` (the ranges of `HAN`), counted without building a list.

    >>> han_count("北京 Beijing 2020年")
    3
    """
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return int(np.count_nonzero(is_han(points)))


def is_han(points: np.ndarray) -> np.ndarray:
    """Which code points are ideographs (the ranges of `HAN`)."""
    mask = np.zeros(points.shape, dtype=bool)
    for low, high in HAN_RANGES:
        mask |= (points >= low) & (points <= high)
    return mask


def load_vocabulary(
    table: dict, byline_roles: tuple[str, ...], byline_markers: str, without: frozenset[str]
) -> Vocabulary:
    """Compile the vocabulary tables, leaving out entries tagged for the layouts in ``without``."""

    def kept(entry: dict) -> bool:
        return not (set(entry.get("layouts", ())) & without)

    labels: dict[str, tuple[str, bool]] = {}
    for entry in filter(kept, table.get("label", [])):
        for name in entry["names"]:
            labels[unicodedata.normalize("NFKC", name)] = (entry["kind"], bool(entry.get("rest_of_line", False)))
    names = sorted(labels, key=len, reverse=True)
    alternation = "|".join(re.escape(n) for n in names)
    widgets: dict[str, str] = {}
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for entry in filter(kept, table.get("widget", [])):
        for phrase in entry.get("phrases", []):
            widgets[unicodedata.normalize("NFKC", phrase).strip(EDGE).casefold()] = entry["kind"]
        patterns.extend(
            (entry["kind"], compiled, longest_match(compiled))
            for compiled in map(re.compile, entry.get("patterns", []))
        )
    copyright_patterns = [p for entry in filter(kept, table.get("copyright", [])) for p in entry["patterns"]]
    anywhere = frozenset(entry["kind"] for entry in filter(kept, table.get("widget", [])) if entry.get("anywhere"))
    cut_markers = [m for entry in filter(kept, table.get("cut_marker", [])) for m in entry["markers"]]
    after_article = [
        m for entry in filter(kept, table.get("cut_marker", [])) if entry.get("after_article") for m in entry["markers"]
    ]
    bylines = table.get("bylines", {})
    return Vocabulary(
        labels=labels,
        # Before a label that follows a space, so "2020-10-02 08:36 来源：澎湃新闻" is two pieces.
        label_split=re.compile(f"\\s+(?=(?:\\S{{0,6}}?)(?:{alternation})\\s*{LABEL_MARK})") if names else None,
        label_piece=re.compile(f"^(?P<label>\\S{{0,6}}?(?:{alternation}))\\s*{LABEL_MARK}\\s*(?P<value>.*)$")
        if names
        else None,
        widgets=widgets,
        widget_patterns=tuple(patterns),
        anywhere=anywhere,
        copyright=_any_of(copyright_patterns, re.IGNORECASE),
        cut_markers=frozenset(unicodedata.normalize("NFKC", m).casefold() for m in cut_markers),
        after_article_markers=frozenset(unicodedata.normalize("NFKC", m).casefold() for m in after_article),
        publications=tuple(sorted(set(table.get("publications", {}).get("names", [])), key=len, reverse=True)),
        datelines=tuple(re.compile(p) for p in table.get("datelines", {}).get("patterns", [])),
        english_bylines=tuple(re.compile(p) for p in bylines.get("english", [])),
        english_credits=tuple(re.compile(p) for p in bylines.get("english_credits", [])),
        byline_roles=byline_roles,
        byline_markers=byline_markers,
        dropped=without,
        article_lines=_article_lines(table.get("article_lines", {}).get("labels", [])),
        document_lines=_any_of(
            table.get("article_lines", {}).get("document_lines", [])
            + table.get("article_lines", {}).get("closings", [])
        ),
        closings=_any_of(table.get("article_lines", {}).get("closings", [])),
        byline_headings=frozenset(bylines.get("headings", [])),
        places_of_filing=tuple(re.compile(p) for p in bylines.get("places_of_filing", [])),
        paper_endings=tuple(bylines.get("paper_endings", [])),
        editors_without_colon=frozenset(bylines.get("editors_without_colon", [])),
    )


def _any_of(patterns: list[str], flags: int = 0) -> re.Pattern[str] | None:
    """One pattern that matches where any of ``patterns`` does."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags) if patterns else None


def _article_lines(labels: list[str]) -> re.Pattern[str] | None:
    """A line that opens with one of ``labels`` and a colon, behind brackets or a bullet: （作者单位：北京大学）."""
    if not labels:
        return None
    names = "|".join(re.escape(unicodedata.normalize("NFKC", label)) for label in sorted(labels, key=len, reverse=True))
    return re.compile(rf"^[\s(（\[【〔■□●◆·•]*(?:{names})\s*[:：]")
