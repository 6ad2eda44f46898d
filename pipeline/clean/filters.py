"""The ``filter`` stage: checks that move a cleaned record to the rejects table.

A check returns a reject reason (with a detail) or None; it never rewrites
text. Transforms live in the other stages.
"""

from __future__ import annotations

from typing import Sequence

from pipeline.core.config import Config
from pipeline.core.document import REJECT_EMPTY_AFTER_CLEANING, REJECT_UNDECODABLE, Document


def too_short(doc: Document, min_chars: int) -> tuple[str, str] | None:
    """Nothing (or too little) is left once artifacts and header lines are gone.

    >>> too_short(Document(doc_id="x", source_path="a.txt", text="|"), 2)
    ('empty_after_cleaning', '1 characters left after cleaning, min_chars=2')
    >>> too_short(Document(doc_id="x", source_path="a.txt", text="正文。"), 2) is None
    True
    """
    chars = doc.char_count
    if chars < min_chars:
        return REJECT_EMPTY_AFTER_CLEANING, f"{chars} characters left after cleaning, min_chars={min_chars}"
    return None


def too_much_lost(doc: Document, max_ratio: float) -> tuple[str, str] | None:
    """Too much of the clean text is U+FFFD: the text was lost before it reached us.

    >>> too_much_lost(Document(doc_id="x", source_path="a.txt", text="正\ufffd\ufffd文。"), 0.05)
    ('undecodable', '2 of 5 characters are U+FFFD replacement characters (text lost upstream)')
    >>> too_much_lost(Document(doc_id="x", source_path="a.txt", text="正文。" * 20 + "\ufffd"), 0.05) is None
    True
    """
    lost, total = doc.unrecoverable_chars, doc.char_count
    if lost and lost > max_ratio * total:
        return (
            REJECT_UNDECODABLE,
            f"{lost} of {total} characters are U+FFFD replacement characters (text lost upstream)",
        )
    return None


def apply_filters(docs: Sequence[Document], config: Config) -> list[Document]:
    out = []
    for doc in docs:
        verdict = None
        if not doc.rejected:
            verdict = too_short(doc, config.min_chars) or too_much_lost(doc, config.max_unrecoverable_ratio)
        out.append(doc.rejecting(*verdict) if verdict else doc)
    return out
