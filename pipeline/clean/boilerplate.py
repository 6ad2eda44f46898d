"""Boilerplate learned from the corpus: lines that recur at the same edge of many pages.

No table lists every site's footer. A line whose *template* (the line with
its dates, numbers and ``label: value`` values masked) stands at the top or
the bottom of many different articles is page furniture, whatever its words:
``[责任编辑: <v>]``, ``<date> 来源:<v> 【字号 大 中 小】``, a site's
disclaimer paragraph. A sentence that recurs *inside* bodies (a slogan quoted
in many articles) is not: it stands at varying places, with body paragraphs
above and below it.

`page_templates` describes one page: for each line, its template, where it
stands (top edge, bottom edge, or inside the body) and a key of the article
around it, so that twenty reposts of one story count as one article, not as
twenty pages that share a closing line. `pipeline.learn.support` adds pages up and
learns from them; `is_learned` answers, for a line, whether it is learned
boilerplate.
"""

from __future__ import annotations

import functools
import re

import xxhash

from pipeline.core.dates import find_dates
from pipeline.core.nfkc import nfkc

# A line "inside the body" has more than this many prose lines on each side.
EDGE_DEPTH = 1
# Lines longer than this are templated without their labels and book titles
# masked (a disclaimer paragraph, a body paragraph), and give no pieces.
MAX_INNER_CHARS = 120
TOP, BOTTOM, BOTH, INSIDE = 1, 2, 3, 0
# The row of a page itself (template hash 0): how many articles its site has.
PAGE = 4
# A sentence ends in one of these marks, perhaps inside closing quotes (and
# a quote may end in an ellipsis: ……” closes many a quoted opening); a
# headline may end in …, a colon or a quote.
_SENTENCE_END = re.compile(r"(?:[。！？!?.]|(?:…|\.\.\.)(?=[”’」』\"')）]))[”’」』\"')）]*$")

_DIGITS = re.compile(r"\d+")
_DIGIT = re.compile(r"\d")
# The name inside book-title marks varies (《人民日报》, 《人民日报海外版》): masked like a value.
_TITLE_MARKS = re.compile(r"《[^《》]{1,20}》")
_LABEL_VALUE = re.compile(
    r"([^\s:：|｜【】\[\]（）()]{1,8}[:：])\s*[^|｜【】\[\]（）():：]{1,12}?(?=\s*(?:$|[|｜【】\[\]（）()]|\s\S{1,8}[:：]))"
)
# Where a furniture line joins pieces: wide or double spaces, pipes, before a
# "label:", between bracketed items. A piece one page prints on its own line
# (字体：【大 中 小】) another joins to its dateline; both count for it.
_PIECE_BREAK = re.compile(r"\s{2,}|\u3000+|[|｜]|\s(?=[^\s\d:：][^\s:：]{0,7}[:：])|(?<=[】\]])\s*(?=[【\[])")
_FOOTER_LABEL = re.compile(r"([^\s\d:：|｜]{1,8}[:：])\s*\S")
# Who speaks, before the colon: a name or a role, up to 20 characters (华春莹：, Zhao Lijian:).
_SPEAKER = re.compile(r"[^:：。!?！？]{1,20}[:：]\s*\S")
# The characters a sentence's template can end with (a cheap first test).
_SAID_LAST = frozenset("。!?！？.”’」』\"')）")
# A value that ends a sentence: 。！？ (ASCII after NFKC), or a full stop after a word (Thank you.).
_SAID = re.compile(r"(?:[。!?！？]|(?<=[^\W\d_])\.)[”’」』\"')）]*$")


def is_prose(line: str) -> bool:
    """A body-like line: a sentence of some length, or simply long.

    >>> is_prose("北京市委政法委发挥统筹协调作用，组织各区同步部署开展试点工作。"), is_prose("责任编辑：王明")
    (True, False)
    """
    text = line.strip()
    # Spaces are not counted: normalising punctuation turns "： " into "：", and a
    # line must not change sides when it is cleaned a second time.
    size = len(text) - text.count(" ")
    return (size >= 25 and _SENTENCE_END.search(text[-8:]) is not None) or size > 80


def is_said(template_text: str) -> bool:
    """A ``name: sentence`` template (what `template` makes of one): what somebody said, however short.

    Learned as a sentence is: on strong evidence, or on a short line's inside a
    block of furniture. A spokesman's stock answer closes many transcripts of a
    site; a site's labelled furniture holds a name, a source or a count.

    >>> is_said(template("华春莹：我没有可以提供的信息。")), is_said(template("Zhao Lijian: Thank you."))
    (True, True)
    >>> is_said(template("责任编辑：王明")), is_said(template("赞一个！")), is_said(template("Editor: J. Smith"))
    (False, False, False)
    """
    return (
        template_text[-1:] in _SAID_LAST
        and _SAID.search(template_text) is not None
        and _SPEAKER.match(template_text) is not None
    )


@functools.lru_cache(maxsize=1 << 16)
def template(line: str) -> str:
    """The line with what varies from page to page masked: dates, ``label: value`` values, numbers.

    >>> template("[责任编辑: 邓丽娟 ]"), template("2020-09-08 15:32:11  来源:新华网  【字号 大 中 小】")
    ('[责任编辑:<v> ]', '<date> 来源:<v> 【字号 大 中 小】')
    >>> template("浏览次数：5445"), template("本网站所刊载信息，不代表中新社和中新网观点。")
    ('浏览次数:<v>', '本网站所刊载信息,不代表中新社和中新网观点。')
    >>> template("华春莹：我不掌握你提到的情况。"), template("耿爽：我不掌握你提到的情况。")
    ('华春莹:我不掌握你提到的情况。', '耿爽:我不掌握你提到的情况。')

    A sentence (`is_prose`: every paragraph of a page is templated) is its
    own template, numbers and dates included: they are what it says. A daily
    report's lead (``2月5日0—24时，…新增确诊病例465例``) is another line each
    day, not one template that recurs.

    >>> template("2月5日0—24时，31个省（自治区、直辖市）报告新增确诊病例465例。") == template("2月6日0—24时，31个省（自治区、直辖市）报告新增确诊病例372例。")
    False
    """
    # Runs of spaces as one (str.split knows the same spaces as the \s of re, at a quarter of the cost on a paragraph).
    text = " ".join(nfkc(line).split())
    if is_prose(line):
        return text
    if len(text) <= MAX_INNER_CHARS:
        for found in reversed(find_dates(text)):
            text = text[: found.start] + "<date>" + text[found.end :]
        # Cheap tests first: most lines hold no title marks and no label.
        if "《" in text:
            text = _TITLE_MARKS.sub("《<v>》", text)
        if ":" in text:
            text = _LABEL_VALUE.sub(_masked_value, text)
    return _DIGITS.sub("0", text) if _DIGIT.search(text) else text


def _masked_value(match: re.Match[str]) -> str:
    # A value that is a sentence is what somebody said (华春莹：我不掌握你提到的情况。),
    # not a name, a source or a count: masked, every answer of one speaker
    # would be one template, learned as furniture on a site of transcripts.
    value = match.group(0)
    return value if _SAID.search(value) else match.group(1) + "<v>"


def template_hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(template(text).encode("utf-8"))


def footer_template(line: str) -> str | None:
    """A labelled footer line with its whole value masked, however long (上一篇：<title>, 相关个股：<list>).

    Only under a body: at the top, ``<name>：<quote>`` is how many headlines read.

    >>> footer_template("上一篇：汪洋出席宗教团体座谈会并讲话"), footer_template("他说：我们会继续努力，把这件事做好。")
    ('上一篇:<v>', None)
    """
    text = nfkc(line).strip()
    match = _FOOTER_LABEL.match(text)
    # A sentence (他说：……。) is a body's last line, not a labelled link.
    # A link cut short (上一篇：新年开训，我在站……) is no sentence.
    sentence = _SENTENCE_END.search(text.rstrip(".…")[-8:]) is not None and not text.endswith(("...", "…"))
    return None if match is None or len(text) > MAX_INNER_CHARS or sentence else match.group(1) + "<v>"


def _footer_hash(line: str) -> int | None:
    entry = _footer_entry(line)
    return None if entry is None else entry[0]


def pieces(line: str) -> list[str]:
    """The pieces a furniture line joins, when it joins two or more (prose lines are not split).

    >>> pieces("发布时间：2020-11-30 10:35  来源：成都市人民政府 字体：【大 中 小】")
    ['发布时间：2020-11-30 10:35', '来源：成都市人民政府', '字体：【大 中 小】']
    >>> pieces("【打印本页】【关闭窗口】"), pieces("字体：【大 中 小】")
    (['【打印本页】', '【关闭窗口】'], [])
    """
    if len(line) > MAX_INNER_CHARS or is_prose(line):
        return []
    parts = [part.strip() for part in _PIECE_BREAK.split(line.strip()) if part and part.strip()]
    return parts if len(parts) >= 2 else []


def is_learned(line: str, learned: frozenset[int], footer: bool = False, known: dict[str, int] | None = None) -> bool:
    """Whether a line is learned furniture: its template is learned, or the template of every piece it joins.

    ``known`` maps lines to their `template_hash`, where the reading pass computed it already.

    >>> learned = frozenset({template_hash("字体：【大 中 小】"), template_hash("来源：新华网")})
    >>> is_learned("来源：人民网", learned), is_learned("来源：人民网  字体：【大 中 小】", learned)
    (True, True)
    >>> is_learned("来源：人民网  作者：张三", learned)
    False
    """
    if not learned:
        return False
    hashed = known.get(line) if known else None
    if (template_hash(line) if hashed is None else hashed) in learned or (footer and _footer_hash(line) in learned):
        return True
    parts = pieces(line)
    return bool(parts) and all(template_hash(part) in learned for part in parts)


def positions(lines: list[str], prose: list[bool] | None = None) -> list[int]:
    """Where each line stands: TOP, BOTTOM, BOTH (a short page) or INSIDE the body (``prose``: `is_prose` of each line)."""
    prose = [is_prose(line) for line in lines] if prose is None else prose
    above, below = [], []
    count = 0
    for flag in prose:
        above.append(count)
        count += flag
    for flag in prose:
        count -= flag
        below.append(count)
    return [(TOP if a <= EDGE_DEPTH else 0) | (BOTTOM if b <= EDGE_DEPTH else 0) for a, b in zip(above, below)]


def _hashed(text: str) -> tuple[int, str]:
    return xxhash.xxh3_64_intdigest(text.encode("utf-8")), text


@functools.lru_cache(maxsize=1 << 16)
def _line_templates(line: str, prose: bool) -> tuple[tuple[int, str], ...]:
    """(hash, template) of a line and of each piece it joins (a furniture line recurs on page after page: once each)."""
    parts = [] if prose or len(line) > MAX_INNER_CHARS else pieces(line)
    return tuple(_hashed(template(part)) for part in [line, *parts])


@functools.lru_cache(maxsize=1 << 16)
def _footer_entry(line: str) -> tuple[int, str] | None:
    text = footer_template(line)
    return None if text is None else _hashed(text)


def page_templates(
    lines: list[str], known: dict[str, int] | None = None
) -> tuple[set[tuple[int, int, int]], dict[int, str]]:
    """The (template hash, position, article key) of the lines of one page worth counting, and the edge templates.

    A furniture line counts for its own template and for the pieces it joins.

    The article key is the smallest template hash of the page's inner prose
    lines other than the line itself: copies of one article share it,
    different articles do not. A line that recurs on the page counts once.
    One row stands for the page itself: (0, ``PAGE``, its article key), so
    that a site's articles can be counted.
    ``known`` gets the `template_hash` of its edge lines (the ones the ``extract`` stage asks about).
    """
    prose = [is_prose(line) for line in lines]
    # Every line counts, the long ones inside bodies too: a paragraph that opens
    # some articles and stands inside many others is body text, however long.
    templates = [_line_templates(line, flag) for line, flag in zip(lines, prose)]
    at = [i for i, flag in enumerate(prose) if flag]
    # The key comes from the body's inner paragraphs: a disclaimer or credit
    # paragraph at the first or last place is the same on every page of a site.
    inner = at[1:-1] if len(at) >= 3 else at
    smallest = sorted((templates[i][0][0], i) for i in inner)[:2]
    first_key, first_line = smallest[0] if smallest else (0, -1)
    second_key = smallest[1][0] if len(smallest) > 1 else 0
    rows: set[tuple[int, int, int]] = {(0, PAGE, first_key)}
    texts: dict[int, str] = {}
    for i, where in enumerate(positions(lines, prose)):
        line = lines[i]
        key = second_key if i == first_line else first_key
        found = templates[i]
        if known is not None and where != INSIDE:
            known[line] = found[0][0]
        if where == BOTTOM and (footer := _footer_entry(line)) is not None:
            found = (*found, footer)
        for h, text in found:
            rows.add((h, where, key))
            if where != INSIDE:
                texts.setdefault(h, text)
    return rows, texts


def site_of(source_path: str, source_line: int | None = None, source: str | None = None, url: str | None = None) -> str:
    """The site a page belongs to, where its furniture is learned: the group its share is counted in.

    A JSONL record's own ``source`` (or its URL's host) says it best; a page
    file's sub-folder is how scrapers keep sites apart, else its URL's host.
    Pages with none of these belong to the raw folder itself (``""``).

    >>> site_of("xinhua/0001.txt"), site_of("feed.jsonl", 3, "人民网"), site_of("feed.jsonl", 4, None, "https://www.news.cn/a.html")
    ('xinhua', '人民网', 'www.news.cn')
    >>> site_of("page.txt"), site_of("../feedB/2020/0101.txt"), site_of("../feedB/0101.txt")
    ('', '../feedB', '../feedB')
    """
    if source_line is not None and source:
        return source
    host = _host(url) if source_line is not None else None
    if host:
        return host
    up = 0
    parts = source_path.split("/")
    while up < len(parts) - 1 and parts[up] == "..":
        up += 1
    # A second raw folder's files are named ../<folder>/...: that folder is their site.
    if up:
        return "/".join(parts[: up + 1]) if up + 1 < len(parts) else ""
    return parts[0] if len(parts) > 1 else (_host(url) or "")


def page_site(doc) -> str:
    """`site_of` a `Document`, from what its reading found (its source, URL and path)."""
    return site_of(doc.source_path, doc.source_line, doc.publication, doc.url)


def _host(url: str | None) -> str | None:
    if not url or "//" not in url:
        return None
    host = url.split("//", 1)[1].split("/", 1)[0].split("@")[-1].split(":")[0].lower()
    return host or None
