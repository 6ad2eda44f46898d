"""NFKC for Chinese text, ten times faster and the same result.

Templates, the vocabulary and match keys compare lines after NFKC. Chinese
text is full of full-width punctuation (，：！？（）), so nearly every line
is not NFKC, and ``unicodedata.normalize`` on a paragraph costs about 13 µs.
Those characters decompose to plain ASCII, so `nfkc` replaces the ones a
line holds first: what is left is then NFKC already in almost every line,
which ``unicodedata.is_normalized`` checks at a tenth of the cost.
"""

from __future__ import annotations

import re
import unicodedata

# Characters whose compatibility decomposition is plain ASCII: full-width
# forms, the ideographic and no-break spaces, the ellipsis.
ASCII_FORMS = {chr(c): unicodedata.normalize("NFKD", chr(c)) for c in [*range(0xFF01, 0xFF5F), 0x3000, 0xA0, 0x2026]}
_ASCII_FORM = re.compile("[" + "".join(ASCII_FORMS) + "]")


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, replacing the common full-width forms first.

    NFKC is NFC of the compatibility decomposition, and each replaced
    character becomes exactly its decomposition: the result is the same.

    >>> nfkc("记者：王明（北京）！…"), nfkc("Ⅱ ② ＡＢＣ")
    ('记者:王明(北京)!...', 'II 2 ABC')
    """
    for form in set(_ASCII_FORM.findall(text)):
        text = text.replace(form, ASCII_FORMS[form])
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)
