"""Whether a decode is plausible for the script it yields: what a wrong guess of the encoding makes.

A legacy decode is a guess (`pipeline.read.decoding`); these rules say what
running text never holds where they look: Private Use Area characters, C1
controls, a Latin-1 symbol between two letters (w³adze), a lower-case letter
before an upper-case one beyond ASCII (b¹dŸ), a word of Latin letters beyond
ASCII only (Ïðåçèäåíò), CJK characters inside Latin words (w砤dze), alphabets
mixed inside a word, rare Han characters in bulk. The characters each rule
looks for are tables in `pipeline.core.chardata`.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from pipeline.core.chardata import (
    AFTER_OE,
    ALPHABET_LETTERS,
    BOX_DRAWING,
    C1_CONTROLS,
    CJK_LETTERS,
    COMMON_HAN_MASK,
    CYRILLIC_VOWELS,
    HALF_WIDTH_KATAKANA,
    LATIN1_SYMBOLS,
    LATIN_LOWER,
    LOWER_BEYOND_ASCII,
    NON_ASCII_LATIN,
    OTHER_ALPHABETS,
    PRIVATE_USE,
    UPPER_BEYOND_ASCII,
)
from pipeline.core.patterns import CJK_PUNCT, HAN, HAN_RANGES

__all__ = ["PLAIN_TEXT", "SNIFF_BYTES", "cyrillic_word", "is_junk", "oddities", "plausible", "plausible_word"]

# How much of a page is sniffed and judged.
SNIFF_BYTES = 64 * 1024
# Text made only of these characters holds no control or unassigned character to count.
PLAIN_TEXT = re.compile(
    "[\t\n\r\f\v\x1b\x20-\x7e\x80-\u024f\u2000-\u2064\u2070-\u218b\u2190-\u23ff\u2460-\u27bf"
    "\u3000-\u303f\u3041-\u3096\u3099-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f"
    "\uff01-\uffbe\ufeff]*"
)


def is_junk(ch: str) -> bool:
    # C1 controls (U+0080-U+009F) are not junk here: they are what Latin-1
    # mojibake of GBK or UTF-8 looks like, and `repair_text` reverses it.
    if ch in "\t\n\r\f\v\x1b" or "\x80" <= ch <= "\x9f":
        return False
    return unicodedata.category(ch) in ("Cc", "Cs", "Cn")


# A decode may hold this many characters per oddity and still be plausible:
# one odd character in a long page is a typo or a rare symbol, not a wrong
# guess; a short text may hold none.
CHARS_PER_ODDITY = 200
# Chinese text whose ideographs are more than a fifth outside the common ones
# (`chardata.COMMON_HAN`: 99% of running Chinese, simplified or traditional)
# is bytes of another encoding read as GBK or Big5 (Big5 read as GBK: 0.4,
# GBK read as Big5: 0.5, Shift-JIS read as GBK: 0.8). Japanese (kana at least
# half as many as the kanji) has its own kanji forms and is not judged so.
MAX_RARE_HAN_SHARE = 0.2
MIN_HAN_JUDGED = 6

_LETTER = r"[^\W\d_]"
_PRIVATE_USE = re.compile(f"[{PRIVATE_USE}{HALF_WIDTH_KATAKANA}]")
_C1_CONTROL = re.compile(f"[{C1_CONTROLS}]")
_SYMBOL_INSIDE_WORD = re.compile(
    f"(?<=[{ALPHABET_LETTERS}])[{re.escape(LATIN1_SYMBOLS)}{BOX_DRAWING}](?=[{ALPHABET_LETTERS}])"
)
_MISREAD_CASE = re.compile(
    f"[a-z{LOWER_BEYOND_ASCII}][{UPPER_BEYOND_ASCII}]|[{LOWER_BEYOND_ASCII}][A-Z]|Ÿ(?=[{LATIN_LOWER}])|(?<={_LETTER})[œŒ](?![{AFTER_OE}])"
)
_LETTER_SOUP = re.compile(f"(?<!{_LETTER})[{NON_ASCII_LATIN}]{{3,}}(?!{_LETTER})")
_CJK_INSIDE_LATIN = re.compile(f"[A-Za-z][{CJK_LETTERS}](?=[a-z])")
_CJK_TOUCHING_LATIN = re.compile(f"[A-Za-z][{CJK_LETTERS}]|[{CJK_LETTERS}](?=[A-Za-z])")
_ASCII_LETTERS = bytes(range(0x41, 0x5B)) + bytes(range(0x61, 0x7B))
# ASCII letters to each other character of a text of Latin words.
LATIN_TEXT_LETTERS = 4
_ALPHABETS_MIXED = re.compile(
    f"[A-Za-z{NON_ASCII_LATIN}][{OTHER_ALPHABETS}]|[{OTHER_ALPHABETS}][A-Za-z{NON_ASCII_LATIN}]"
)
# Text of these characters only (ASCII, CJK, their punctuation) can break
# none of the Latin rules, which are then skipped.
_ASCII_OR_CJK = re.compile(
    f"[\\x00-\\x7f{HAN}{CJK_PUNCT}\\u3040-\\u30ff\\uac00-\\ud7af\\uff00-\\uffef\\u2000-\\u206f]*"
)
_HAN_ANY = re.compile(f"[{HAN}]")


def private_use(text: str) -> int:
    """Private Use Area characters: GBK's reading of Big5 punctuation (，。 are A1 41, A1 43).

    Half-width katakana count too: news in Japanese writes katakana full
    width, and Shift-JIS reads GBK lead bytes as half-width katakana.

    >>> private_use("行政院今日召開院會，通過預算案。"), private_use("行政院今日召開院會\ue4c7通過預算案\ue4c9")
    (0, 2)
    >>> private_use("北京市委".encode("gb18030").decode("shift_jis"))
    8
    """
    return len(_PRIVATE_USE.findall(text))


def c1_controls(text: str) -> int:
    """C1 control characters: an ISO-8859 reading of a Windows code page's letters and quotes.

    >>> c1_controls("\x9cwiat"), c1_controls("świat")
    (1, 0)
    """
    return len(_C1_CONTROL.findall(text))


def symbols_inside_words(text: str) -> int:
    """Latin-1 symbols (and box drawing) between two letters of an alphabet: cp1250's ł ą ż read as cp1252 (w³adze, s¹d, mo¿e).

    >>> symbols_inside_words("W³adze og³osi³y, ¿e s¹d"), symbols_inside_words("25°C, 25 m², ±0.5, ¿Qué?, «oui», l·l")
    (4, 0)
    """
    return len(_SYMBOL_INSIDE_WORD.findall(text))


def misread_case(text: str) -> int:
    """Letters whose case or place no word has: cp1250's ź ś read as cp1252's Ÿ œ (bądź as b¹dŸ, coś as coœ).

    A lower-case letter followed by an upper-case one beyond ASCII, Ÿ before a
    lower-case letter, œ after a letter and before no vowel (French: cœur, sœur).

    >>> misread_case("£ódŸ, Ÿród³o, coœ, jeœli, пРЕЗИДЕНТ"), misread_case("cœur, sœur, œuvre, L'HAŸ, McDonald, Zürich, МВД")
    (5, 0)
    """
    return len(_MISREAD_CASE.findall(text))


def letter_soup(text: str) -> int:
    """Words of three letters or more, all of them Latin letters beyond ASCII: Cyrillic read as cp1252.

    >>> letter_soup("Ïðåçèäåíò Ðîññèè ïðîâ¸ë"), letter_soup("déjà à Zürich, où l'été, ça, Þórður")
    (3, 0)
    """
    return len(_LETTER_SOUP.findall(text))


def cjk_inside_latin_words(text: str) -> int:
    """CJK characters inside Latin words: GBK/Big5/Shift-JIS characters that swallowed a letter (w³adze read as w砤dze).

    One between a Latin letter and a lower-case one, anywhere; in a text of
    Latin words (four ASCII letters or more to each other character), any
    that touches a Latin letter (uciek³a read as uciek砤).

    >>> cjk_inside_latin_words("W砤dze miasta og硂si硑"), cjk_inside_latin_words("G隃 uciek砤 z fermy"), cjk_inside_latin_words("rzｹd")
    (3, 2, 1)
    >>> cjk_inside_latin_words("iPhone手机app，A股B股，5G网络，在app里")
    0
    """
    count = len(_CJK_INSIDE_LATIN.findall(text))
    ascii_text = text.encode("ascii", "ignore")
    letters = len(ascii_text) - len(ascii_text.translate(None, _ASCII_LETTERS))
    if letters >= LATIN_TEXT_LETTERS * (len(text) - len(ascii_text)):
        count += len(_CJK_TOUCHING_LATIN.findall(text)) - len(_CJK_INSIDE_LATIN.findall(text))
    return count


def alphabets_mixed(text: str) -> int:
    """A Latin letter touching a letter of another alphabet (Cyrillic, Greek, Arabic, Hebrew, Thai).

    >>> alphabets_mixed("wіadze"), alphabets_mixed("Президент iPhone, α-Centauri")
    (1, 0)
    """
    return len(_ALPHABETS_MIXED.findall(text))


def rare_han(text: str) -> int:
    """The ideographs outside the common ones, when they are more than a fifth of a Chinese text's, else 0.

    >>> rare_han("北京市委政法委发挥统筹协调作用。行政院今日召開院會。")
    0
    >>> rare_han("日本の首相は今日、東京で記者会見を開いた。")
    0
    >>> japanese = "日本の首相は今日、東京で記者会見を開いた。"
    >>> rare_han(japanese.encode("shift_jis").decode("gb18030"))
    15
    """
    if not _HAN_ANY.search(text):
        return 0
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mask = np.zeros(points.shape, dtype=bool)
    for low, high in HAN_RANGES:
        mask |= (points >= low) & (points <= high)
    han = points[mask]
    if len(han) < MIN_HAN_JUDGED or 2 * np.count_nonzero((points >= 0x3040) & (points <= 0x30FF)) >= len(han):
        return 0
    rare = int(len(han) - np.count_nonzero(COMMON_HAN_MASK[han]))
    return rare if rare > MAX_RARE_HAN_SHARE * len(han) else 0


def oddities(text: str) -> int:
    """What in ``text`` no correctly decoded text holds, counted: the rules above, and junk controls.

    >>> oddities("Władze miasta ogłosiły, że źródło skażenia wody zostało już znalezione.")
    0
    >>> oddities("W³adze miasta og³osi³y, ¿e Ÿród³o ska¿enia wody zosta³o ju¿ znalezione.")
    7
    """
    count = private_use(text) + rare_han(text)
    if not _ASCII_OR_CJK.fullmatch(text):
        count += (
            c1_controls(text)
            + symbols_inside_words(text)
            + misread_case(text)
            + letter_soup(text)
            + alphabets_mixed(text)
            + (0 if PLAIN_TEXT.fullmatch(text) else sum(1 for ch in text if is_junk(ch)))
        )
    if _LATIN_THEN_CJK.search(text):
        count += cjk_inside_latin_words(text)
    return count


_LATIN_THEN_CJK = re.compile(f"[A-Za-z][{CJK_LETTERS}]")


def plausible(text: str) -> bool:
    """Whether ``text`` reads as a correct decode: at most one oddity per `CHARS_PER_ODDITY` characters (of its first 64 KiB).

    >>> plausible("Władze miasta ogłosiły."), plausible("W³adze miasta og³osi³y.")
    (True, False)
    """
    sample = text[:SNIFF_BYTES]
    return oddities(sample) * CHARS_PER_ODDITY <= len(sample)


def plausible_word(word: str) -> bool:
    """Letters of one alphabet (Latin, Cyrillic, Greek), cased as a word is: lower, Title or UPPER.

    What a stretch of misread text must not be to be read again as GBK/Big5
    (`pipeline.clean.encoding`): a word of some single-byte code page.

    >>> plausible_word("władze"), plausible_word("России"), plausible_word("ÐÎÑÑÈÈ"), plausible_word("Ðîññèè")
    (True, True, True, True)
    >>> plausible_word("ÄãºÃ"), plausible_word("ÕÅÈý"), plausible_word("wіadze"), plausible_word("x2")
    (False, False, False, False)
    """
    if not word or not _ONE_ALPHABET.fullmatch(word):
        return False
    return word.islower() or word.isupper() or (word[0].isupper() and (len(word) == 1 or word[1:].islower()))


def cyrillic_word(word: str) -> bool:
    """A plausible word of Cyrillic letters that, three letters or more and not in capitals, holds a vowel.

    >>> cyrillic_word("Президент"), cyrillic_word("в"), cyrillic_word("МВД"), cyrillic_word("Гйй"), cyrillic_word("Ðîññèè")
    (True, True, True, False, False)
    """
    if not _CYRILLIC_WORD.fullmatch(word) or not plausible_word(word):
        return False
    return len(word) < 3 or word.isupper() or any(ch in CYRILLIC_VOWELS for ch in word)


_ONE_ALPHABET = re.compile(f"[A-Za-z{NON_ASCII_LATIN}]+|[\\u0400-\\u04ff]+|[\\u0370-\\u03ff]+")
_CYRILLIC_WORD = re.compile("[\\u0400-\\u04ff]+")
