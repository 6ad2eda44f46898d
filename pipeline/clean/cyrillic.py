"""Cyrillic text that somebody read as cp1252 (Ïðåçèäåíò Ðîññèè), read again as cp1251: only where that is certain.

Run by the ``repair`` stage (`pipeline.clean.encoding.repair_text`) after the
GBK/Big5 re-read, which takes what is GBK beyond doubt first.
"""

from __future__ import annotations

import re

from pipeline.core.chardata import CP1251_LETTERS_AS_CP1252
from pipeline.read.plausible import cyrillic_word

__all__ = ["fix_cyrillic_as_cp1252"]


def fix_cyrillic_as_cp1252(text: str) -> str | None:
    """Re-read the lines of Cyrillic (cp1251) text that somebody read as cp1252: Ïðåçèäåíò Ðîññèè.

    A line is re-read only when the repair is certain for all of it:

    - every word that holds a character beyond ASCII is made only of
      characters that are Cyrillic letters in cp1251 and reads as a Cyrillic
      word (`decoding.cyrillic_word`: one alphabet, cased as words are);
    - such words stand apart as words do, between spaces, ASCII punctuation
      and quotes, and the line holds nothing else beyond ASCII but the
      punctuation both code pages share (« » – — … “ ” • and № as ¹): GBK
      read as Latin-1 has no spaces and its symbols (° ± µ · ¹) touch its
      letters (广告 is ¹ã¸æ);
    - the words are Russian or Ukrainian (the other Cyrillic letters of
      cp1251, Ў ђ ј љ, are GBK's full-width punctuation and symbols), hold
      six letters or more together, and one at least is a word of four
      letters or more in lower case or with a capital first: no Western word
      is four letters beyond ASCII (déjà, Zürich, où hold ASCII), and no
      common GBK character puts a lower-case letter first.

    It runs after the GBK/Big5 re-read, which takes what is GBK beyond doubt
    first (8.4万个 read as Latin-1 is 8.4Íò¸ö, Нтёц in cp1251).

    ASCII words (names, numbers) stay as they are. Returns None when nothing
    was re-read.

    >>> fix_cyrillic_as_cp1252("Â Ìîñêâå îòêðûëàñü «âûñòàâêà» iPhone ¹ 15.")
    'В Москве открылась «выставка» iPhone № 15.'
    >>> fix_cyrillic_as_cp1252("Le café à Zürich, déjà ouvert.") is None, fix_cyrillic_as_cp1252("ÏÐÅÇÈÄÅÍÒ") is None
    (True, True)
    >>> fix_cyrillic_as_cp1252("¹ã¸æ") is None
    True
    """
    if not _CYRILLIC_EVIDENCE.search(text):
        return None
    lines = text.split("\n")
    changed = False
    for at, line in enumerate(lines):
        if not _CYRILLIC_EVIDENCE.search(line) or _CYRILLIC_LINE_MISFIT.search(_CP1251_WORD.sub("", line)):
            continue
        words = {}
        for match in _CP1251_WORD.finditer(line):
            word = match.group()
            if word.isascii():
                continue
            before, after = line[match.start() - 1 : match.start()], line[match.end() : match.end() + 1]
            if (before and before not in _WORD_MAY_FOLLOW) or (after and after not in _WORD_MAY_PRECEDE):
                break
            reread = "" if _ASCII_LETTER.search(word) else word.encode("cp1252").decode("cp1251")
            if not cyrillic_word(reread) or not _RUSSIAN_OR_UKRAINIAN.fullmatch(reread):
                break
            words[word] = reread
        else:
            letters = sum(len(word) for word in words.values())
            if letters >= 6 and any(len(word) >= 4 and not word.isupper() for word in words.values()):
                lines[at] = _CP1251_WORD.sub(
                    lambda match, words=words: words.get(match.group(), match.group()), line
                ).replace("¹", "№")
                changed = True
    return "\n".join(lines) if changed else None


# Words of characters that may be Cyrillic letters read as cp1252, ASCII letters among them.
_CP1251_WORD = re.compile(f"[A-Za-z{re.escape(CP1251_LETTERS_AS_CP1252)}]+")
# Four letters beyond ASCII together, none of ASCII: the evidence looked for first.
_CYRILLIC_EVIDENCE = re.compile("(?<![A-Za-z])[\\xb8\\xc0-\\xff]{4,}(?![A-Za-z])")
# Beyond ASCII, a cp1251 line read as cp1252 holds its words and the punctuation both share.
_CYRILLIC_LINE_MISFIT = re.compile("[^\\x00-\\x7f\\xa0«»–—…“”„‘’•¹]")
# What may stand right before and right after such a word: ASCII, a space, quotes.
_WORD_MAY_FOLLOW = frozenset(map(chr, range(0x80))) | set("\xa0«“„‘")
_WORD_MAY_PRECEDE = frozenset(map(chr, range(0x80))) | set("\xa0»”“’…")
_ASCII_LETTER = re.compile("[A-Za-z]")
_RUSSIAN_OR_UKRAINIAN = re.compile("[А-яЁёІіЇїЄєҐґ]+")
