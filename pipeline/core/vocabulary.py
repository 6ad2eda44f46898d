"""The boilerplate vocabulary of `patterns.toml`, compiled: what header and footer lines are made of.

`explain` takes one header or footer line apart into pieces (split at ``|``,
at runs of two spaces, before a known ``label:`` and between bracketed
items) and names every piece: a date, a ``label: value`` item, a widget
(share, print, follow prompts), a breadcrumb, a copyright notice, a byline.
A line is boilerplate only when every piece of it is named; the values of
date, source, author, section and original-title pieces are what the
``extract`` stage harvests. The table is data: `pipeline.core.patterns.load_vocabulary`
compiles it, dropping the entries tagged for layouts that a caller leaves out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.core.bylines import read_byline, read_editors
from pipeline.core.dates import find_dates
from pipeline.core.line_shapes import (
    ANY_LABEL_SPLIT,
    BRACKET_BREAK,
    BRACKETED,
    BREADCRUMB,
    BREADCRUMB_HINT,
    CLOSING_BRACKET,
    CODE,
    DOTTED_TIME,
    EDGE,
    PAGE,
    PIPES,
    PIPES_HINT,
    SENTENCE_ENDS,
    SENTENCES,
    TIME_ONLY,
    WIDGET_WORDS,
    ZONE,
    ZONE_HINT,
    has_colon,
    split_lazily,
)
from pipeline.core.nfkc import nfkc

HARVESTED = ("date", "source", "author", "section", "page", "original_title", "byline")


def _normalized(line: str) -> str:
    # A wide space parts pieces (栏目：要闻　版次：01); NFKC would make it a plain one.
    return nfkc(line.replace("\u3000", "  ")).strip()


def _around_page(segment: str) -> list[str]:
    # A page mark is a piece of its own too: 第4版 经济新闻.
    page = PAGE.search(segment) if "版" in segment else None
    if page is None or (page.start() and not segment[page.start() - 1].isspace()):
        return [segment]
    return [segment[: page.start()], page.group(0), segment[page.end() :]]


@dataclass(frozen=True)
class Piece:
    """One named piece of a header or footer line, and the value it carries (if any)."""

    kind: str
    value: str = ""
    role: str = ""  # a byline's role (本报记者), which its value of names leaves out


MAX_REMEMBERED_LINES = 50_000


@dataclass(frozen=True)
class Vocabulary:
    labels: dict[str, tuple[str, bool]]  # label -> (kind, value is the rest of the line)
    label_split: re.Pattern[str] | None
    label_piece: re.Pattern[str] | None
    widgets: dict[str, str]  # folded phrase -> kind
    widget_patterns: tuple[tuple[str, re.Pattern[str], int], ...]  # (kind, pattern, longest text it can match)
    copyright: re.Pattern[str] | None
    cut_markers: frozenset[str]
    publications: tuple[str, ...]
    datelines: tuple[re.Pattern[str], ...]
    english_bylines: tuple[re.Pattern[str], ...]
    english_credits: tuple[re.Pattern[str], ...]
    byline_roles: tuple[str, ...] = ()
    byline_markers: str = ""
    dropped: frozenset[str] = field(default_factory=frozenset)
    article_lines: re.Pattern[str] | None = None
    document_lines: re.Pattern[str] | None = None  # a notice's salutation, items opener, closing formula
    closings: re.Pattern[str] | None = None  # a notice's closing formula (特此通知。)
    after_article_markers: frozenset[str] = frozenset()  # comments, a portal's picks: never the article's box
    anywhere: frozenset[str] = frozenset()  # widget kinds that are furniture between paragraphs too (ADVERTISEMENT)
    byline_headings: frozenset[str] = frozenset()
    places_of_filing: tuple[re.Pattern[str], ...] = ()
    paper_endings: tuple[str, ...] = ()
    editors_without_colon: frozenset[str] = frozenset()
    # Furniture lines recur on page after page: each is judged once per process.
    _explained: dict[str, tuple[Piece, ...] | None] = field(default_factory=dict, compare=False, repr=False)
    _pieced: dict[str, tuple[Piece, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_explained": {}, "_pieced": {}}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def explain(self, line: str) -> list[Piece] | None:
        """The pieces of a header or footer line, or None when some piece is not boilerplate.

        >>> from pipeline.core.patterns import load_patterns
        >>> v = load_patterns().vocabulary
        >>> [(p.kind, p.value) for p in v.explain("2020-09-08 15:32:11  来源:新华网  【字号 大 中 小】")]
        [('date', '2020-09-08 15:32:11'), ('source', '新华网'), ('control', '')]
        >>> [(p.kind, p.value) for p in v.explain("来源：央视新闻 | 编辑：陈静 | 审核：贾文")]
        [('source', '央视新闻'), ('editor', '陈静'), ('editor', '贾文')]
        >>> v.explain("北京市委政法委发挥统筹协调作用。") is None
        True
        """
        found = _remembered(self._explained, line, self._explain)
        return None if found is None else list(found)

    def is_article_line(self, line: str) -> bool:
        """A line of the article itself that looks like furniture (``[article_lines]``): a credit, an affiliation.

        >>> from pipeline.core.patterns import load_patterns
        >>> v = load_patterns().vocabulary
        >>> v.is_article_line("版式设计：蔡华伟"), v.is_article_line("（作者单位：北京大学）"), v.is_article_line("责任编辑：王明")
        (True, True, False)
        >>> v.is_article_line("各学院、各部门："), v.is_article_line("现将有关事项通知如下："), v.is_article_line("特此通知。")
        (True, True, True)
        """
        text = _normalized(line)
        if has_colon(line) and self._article_line(text):
            return True
        return self.document_lines is not None and self.document_lines.match(text) is not None

    def closes_document(self, line: str) -> bool:
        """A notice's closing formula (``[article_lines] closings``): the signatory and date under it are its own.

        >>> from pipeline.core.patterns import load_patterns
        >>> v = load_patterns().vocabulary
        >>> v.closes_document("特此公告。"), v.closes_document("此复"), v.closes_document("特此感谢各位读者的支持。")
        (True, True, False)
        """
        # Every closing formula holds 此 or 敬礼: the rest of a footer is passed over without normalising it.
        if self.closings is None or ("此" not in line and "敬礼" not in line):
            return False
        return self.closings.match(_normalized(line)) is not None

    def _article_line(self, text: str) -> bool:
        """`is_article_line` of text already `_normalized`."""
        return self.article_lines is not None and self.article_lines.match(text) is not None

    def _explain(self, line: str) -> tuple[Piece, ...] | None:
        text = _normalized(line)
        if not text or len(text) > 400 or (has_colon(text) and self._article_line(text)):
            return None
        whole = self.byline(text)
        if whole is not None:
            return (Piece("byline", "、".join(whole[1]), whole[0] or ""),)
        pieces: list[Piece] = []
        for segment in self._segments(text):
            piece = self._piece(segment)
            if piece is None:
                return None
            pieces.extend(piece)
        return tuple(pieces) or None

    def pieces(self, line: str) -> list[Piece]:
        """Every piece of a line, named or ``unknown`` (with its text): what `explain` judges, piece by piece.

        >>> from pipeline.core.patterns import load_patterns
        >>> [(p.kind, p.value) for p in load_patterns().vocabulary.pieces("发布时间：2020-11-30  来源：成都市人民政府  热度：高")]
        [('date', '2020-11-30'), ('source', '成都市人民政府'), ('unknown', '热度:高')]
        """
        return list(_remembered(self._pieced, line, self._pieces))

    def _pieces(self, line: str) -> tuple[Piece, ...]:
        text = _normalized(line)
        if not text or len(text) > 400:
            return (Piece("unknown", text),)
        out: list[Piece] = []
        for segment in self._segments(text):
            out.extend(self._piece(segment) or [Piece("unknown", segment)])
        return tuple(out)

    def _segments(self, text: str) -> list[str]:
        # Split at pipes and wide spaces, before each "label:" (known or not), and between bracketed items.
        parts = PIPES.split(text) if PIPES_HINT.search(text) else [text]
        if has_colon(text):
            if self.label_split is not None:
                parts = [p for part in parts for p in self.label_split.split(part)]
            parts = [p for part in parts for p in ANY_LABEL_SPLIT.split(part)]
        out: list[str] = []
        for part in parts:
            for segment in BRACKET_BREAK.split(part) if CLOSING_BRACKET.search(part) else [part]:
                around = [part for piece in self._around_date(segment) for part in _around_page(piece)]
                out.extend(piece for piece in around if piece.strip(EDGE))
        return out

    def _around_date(self, segment: str) -> list[str]:
        # A date is a piece of its own: 央视网 2020年06月28日 12:10 is a source and a
        # date, Published 26 April 2020 a date word and a date. A labelled
        # segment (发布时间：2020-01-05) stays whole.
        if self.label_piece is not None and has_colon(segment) and self.label_piece.match(segment.strip()):
            return [segment]
        dates = find_dates(segment)
        if not dates:
            return [segment]
        start, end = dates[0].start, dates[-1].end
        zone = ZONE.match(segment, end + len(segment[end:]) - len(segment[end:].lstrip()))
        if zone is not None and not segment[zone.end() :].strip():
            end = len(segment)
        return [segment[:start], segment[start:end], segment[end:]]

    def _piece(self, segment: str, depth: int = 0) -> list[Piece] | None:
        whole = BRACKETED.fullmatch(segment.strip())
        if whole and depth == 0:
            inner = whole.group(1).strip()
            return self._piece(inner, 1) if inner else [Piece("decoration")]
        core = segment.strip(EDGE)
        if not core:
            return [Piece("decoration")]
        labelled = self.label_piece.match(core) if self.label_piece is not None and has_colon(core) else None
        if labelled:
            return self._labelled(labelled.group("label"), labelled.group("value").strip(), segment)
        dates = find_dates(core)
        if dates and not ZONE.sub("", core.replace(core[dates[0].start : dates[-1].end], "")).strip(EDGE):
            return [Piece("date", core[dates[0].start : dates[-1].end])]
        zoneless = ZONE.sub("", core).strip() if ZONE_HINT.search(core) else core.strip()
        if TIME_ONLY.fullmatch(zoneless) or (zoneless != core and DOTTED_TIME.fullmatch(zoneless)):
            return [Piece("time", core)]
        kind = self._widget(core)
        if kind is not None:
            return [Piece(kind)]
        page = PAGE.fullmatch(core)
        if page:
            return [Piece("page", page.group(1))]
        if BREADCRUMB_HINT.search(core) and BREADCRUMB.fullmatch(core):
            return [Piece("breadcrumb", core)]
        if CODE.fullmatch(core):
            return [Piece("code")]
        if self.copyright is not None and self._rights(core):
            return [Piece("copyright")]
        if any(pattern.match(core) for pattern in self.english_credits):
            return [Piece("credit", core)]
        byline = self.byline(core)
        if byline is not None:
            return [Piece("byline", "、".join(byline[1]), byline[0] or "")]
        editors = read_editors(self, core)
        if editors is not None:
            return [Piece("editor", "、".join(editors))]
        if len(core) <= 20 and core in self.publications:
            return [Piece("source", core)]
        return None

    def _rights(self, core: str) -> bool:
        """A statement of the site's rights or distance: every sentence of it (a report that mentions 观点 is none).

        >>> from pipeline.core.patterns import load_patterns
        >>> v = load_patterns().vocabulary
        >>> v._rights("本网站所刊载信息，不代表中新社和中新网观点。刊用本网站稿件，务经书面授权。"), v._rights("© 2020 人民网 版权所有")
        (True, True)
        >>> v._rights("本报记者近日采访了多位专家，他们的观点并不完全一致，有人认为应当加快推进。")
        False
        >>> v._rights("本文观点仅代表作者本人。作者长期关注城市更新，曾在多地调研。")
        False
        """
        assert self.copyright is not None
        if self.copyright.search(core) is None:
            return False
        sentences = [part for part in SENTENCES.split(core) if part.strip(EDGE)]
        return len(sentences) <= 1 or all(self.copyright.search(sentence) for sentence in sentences)

    def _labelled(self, label: str, value: str, segment: str) -> list[Piece] | None:
        kind, rest = self.labels[self._label_name(label)]
        if kind in ("share", "control"):
            widgets = [w for w in re.split(r"[\s,，、]+", value.strip(EDGE)) if w]
            return [Piece(kind)] if all(self._widget(w) for w in widgets) else None
        if kind == "date":
            return [Piece("date", value)] if find_dates(value) or not value else None
        if kind == "breadcrumb":
            return [Piece("breadcrumb", value)]
        if not rest and (len(value) > 40 or segment.strip().rstrip("”’」』\"')）").endswith(SENTENCE_ENDS)):
            # A label followed by a sentence is prose ("编辑：这篇报道……", an interview's 记者：你怎么看？), not a credit.
            return None
        return [Piece(kind, value)]

    def _label_name(self, label: str) -> str:
        label = label.strip()
        return next(name for name in sorted(self.labels, key=len, reverse=True) if label.endswith(name))

    def _widget(self, text: str) -> str | None:
        core = text.strip(EDGE)
        folded = core.casefold()
        if folded in self.widgets:
            return self.widgets[folded]
        words = self._widget_words(folded)
        if words:
            return self.widgets[words[0]]
        for kind, pattern, longest in self.widget_patterns:
            if len(core) <= longest and pattern.fullmatch(core):
                return kind
        return None

    def _widget_words(self, folded: str) -> list[str] | None:
        """The words of ``folded`` when there are several and every one is a widget (分享 微信 微博)."""
        words = []
        for word in filter(None, split_lazily(WIDGET_WORDS, folded)):
            if word not in self.widgets:
                return None
            words.append(word)
        return words if len(words) > 1 else None

    def byline(self, text: str) -> tuple[str | None, tuple[str, ...]] | None:
        """(role, names) when ``text`` is a byline (`pipeline.core.bylines`).

        >>> from pipeline.core.patterns import load_patterns
        >>> load_patterns().vocabulary.byline("本报记者 张三 编辑 李四 通讯员 王五")
        ('本报记者', ('张三', '王五'))
        """
        return read_byline(self, text)

    def is_place_of_filing(self, token: str) -> bool:
        """Whether a byline's ``token`` says where the report was filed (北京报道, 发自东京): a place, no name.

        >>> from pipeline.core.patterns import load_patterns
        >>> v = load_patterns().vocabulary
        >>> v.is_place_of_filing("台北即時報導"), v.is_place_of_filing("发自东京"), v.is_place_of_filing("王明")
        (True, True, False)
        """
        return any(pattern.fullmatch(token) for pattern in self.places_of_filing)

    def is_paper(self, token: str) -> bool:
        """Whether a byline's ``token`` names a paper or site rather than a person (财新, 聯合報, 澎湃新闻).

        >>> from pipeline.core.patterns import load_patterns
        >>> v = load_patterns().vocabulary
        >>> v.is_paper("澎湃新闻"), v.is_paper("财新"), v.is_paper("聯合報"), v.is_paper("郭佳"), v.is_paper("钱江")
        (True, True, True, False, False)
        """
        # Not a known paper's first characters: 钱江 and 光明 are people's names too.
        return token.endswith(self.paper_endings) or token in self.publications

    def publication_in(self, text: str) -> str | None:
        """The longest known publication named in ``text``, if any.

        >>> from pipeline.core.patterns import load_patterns
        >>> load_patterns().vocabulary.publication_in("人民网－人民日报")
        '人民日报'
        """
        found = [(text.rfind(name), len(name), name) for name in self.publications if name in text]
        return max(found)[2] if found else None


def _remembered(memo: dict, line: str, judge):
    """``judge(line)``, once per distinct line while ``memo`` holds fewer than ``MAX_REMEMBERED_LINES``."""
    if line not in memo:
        if len(memo) >= MAX_REMEMBERED_LINES:
            memo.clear()
        memo[line] = judge(line)
    return memo[line]
