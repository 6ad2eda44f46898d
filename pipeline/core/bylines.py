"""Bylines: who wrote an article, read off a line of roles and names (本报记者 王明 李华, By Jane Doe).

A byline line holds roles (``[bylines] roles``), the reporters' names, and
around them words that are neither: the paper a role belongs to (澎湃新闻 记者
X, 文｜财新 X), where the report was filed (北京报道, 台北即時報導, 发自东京),
editors after the writers. Only the names are authors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pipeline.core.line_shapes import NAME, NAME_SPLIT, role_of, split_lazily

if TYPE_CHECKING:
    from pipeline.core.vocabulary import Vocabulary

# Cheap to scan for: a line without one of these has no place-of-filing token.
_FILED_HINT = re.compile("报道|報導|報道|发自|發自")
_REPORTED = re.compile("(?:报道|報導|報道)$")


def read_byline(vocabulary: Vocabulary, text: str) -> tuple[str | None, tuple[str, ...]] | None:
    """(role, names) when ``text`` is a byline: roles and names only, the paper and the place of filing aside.

    >>> from pipeline.core.patterns import load_patterns
    >>> v = load_patterns().vocabulary
    >>> read_byline(v, "澎湃新闻记者 冯雪 实习生 孙丽"), read_byline(v, "记者从北京市获悉，今年以来")
    (('澎湃新闻记者', ('冯雪', '孙丽')), None)
    >>> read_byline(v, "新京报记者 张三 编辑 李四 校对 王五"), read_byline(v, "本报记者 张三 编辑 李四 通讯员 王五")
    (('新京报记者', ('张三',)), ('本报记者', ('张三', '王五')))
    >>> read_byline(v, "本报记者 王明 北京报道"), read_byline(v, "記者王小明／台北報導")
    (('本报记者', ('王明',)), ('記者', ('王小明',)))
    >>> read_byline(v, "本报记者张帆、徐元锋报道")
    ('本报记者', ('张帆', '徐元锋'))
    >>> read_byline(v, "澎湃新闻 记者 冯雪"), read_byline(v, "文｜财新 郭佳")
    (('澎湃新闻记者', ('冯雪',)), ('文', ('郭佳',)))
    """
    for pattern in vocabulary.english_bylines:
        match = pattern.match(text)
        if match:
            names = re.split(r"\s*(?:,|\band\b|&)\s*", match.group("names"))
            # "By" names no role (a reporter, a correspondent): the role stays unknown.
            return None, tuple(n.strip() for n in names if n.strip())
    markers = vocabulary.byline_markers
    marked = text[:1] in markers if markers else False
    # A box set apart from a lone name boxes a byline (□ 阿依古丽·买买提); one glued to a word heads a section (■短评).
    spaced = marked and text[1:2].isspace()
    text = text.lstrip(markers).strip()
    filed = _FILED_HINT.search(text) is not None and any(map(vocabulary.is_place_of_filing, NAME_SPLIT.split(text)))
    role, names, editing = None, [], False
    paper, after_role = "", False
    for token, following in _with_next(NAME_SPLIT, text):
        if filed and vocabulary.is_place_of_filing(token):
            if "、" + token not in text:
                continue
            # （本报记者张帆、徐元锋报道）: the last name of a list, glued to the word for reporting.
            token = _REPORTED.sub("", token)
        if names and vocabulary.labels.get(token, ("",))[0] == "editor":
            # 新京报记者 张三 编辑 李四 校对 王五: who edited and checked the article did not write it.
            editing = True
            continue
        token_role = role_of(token, vocabulary.byline_roles)
        if token_role:
            editing = False  # 本报记者 张三 编辑 李四 通讯员 王五: the correspondent wrote too
            prefix, role_word, rest = token_role
            role = role or ((prefix or paper) + role_word)
            after_role = True
            if not rest:
                continue
            token = rest
            # "记者手记" is a heading; only a boxed byline, or one that says where it was filed
            # (記者王小明／台北報導), may glue role and name, and ■记者手记 is a heading still.
            if not (marked or filed) or token in vocabulary.byline_headings:
                return None
        elif (
            (role is None and not names and role_of(following, vocabulary.byline_roles) is not None)
            or (after_role and not names and following)
        ) and vocabulary.is_paper(token):
            # 澎湃新闻 记者 冯雪, 文｜财新 郭佳: the paper, between its role and its reporters' names.
            paper = token
            continue
        if not NAME.match(token) or token.endswith("摄"):
            # 本报记者 贺勇摄 credits a photo: the article's line, not its byline.
            return None
        if not editing:
            names.append(token)
    if not names or (
        role is None
        and (not marked or (len(names) < 2 and not spaced) or not all(len(name) <= 3 or "·" in name for name in names))
    ):
        # A boxed word alone (■短评, ■链接) is a subhead: boxed names need a role, to be several, or a space after
        # the box; and without a role they are people's (two or three ideographs, or 阿依古丽·买买提), not ●减污，不要忘记.
        return None
    return role, tuple(dict.fromkeys(names))


def _with_next(pattern: re.Pattern[str], text: str) -> Iterator[tuple[str, str]]:
    """Each non-empty part of ``pattern.split(text)`` with the part after it ("" last), split lazily (`split_lazily`).

    >>> list(_with_next(re.compile(r"[ ,]+"), " a, b c "))
    [('a', 'b'), ('b', 'c'), ('c', '')]
    """
    parts = filter(None, split_lazily(pattern, text))
    current = next(parts, None)
    for part in parts:
        yield current, part
        current = part
    if current is not None:
        yield current, ""


def read_editors(vocabulary: Vocabulary, text: str) -> tuple[str, ...] | None:
    """The names after an editor's label without a colon (编辑 秦嘉霭, 责编 王明 李华), else None.

    >>> from pipeline.core.patterns import load_patterns
    >>> v = load_patterns().vocabulary
    >>> read_editors(v, "编辑 秦嘉霭"), read_editors(v, "责任编辑 王明、李华"), read_editors(v, "制作 方法")
    (('秦嘉霭',), ('王明', '李华'), None)
    """
    words = [word for word in NAME_SPLIT.split(text.strip()) if word]
    if len(words) < 2 or words[0] not in vocabulary.editors_without_colon:
        return None
    return tuple(words[1:]) if all(NAME.match(word) for word in words[1:]) else None
