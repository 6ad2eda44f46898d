"""The ``filter`` stage: checks that move a cleaned record to the rejects table.

A check returns a reject reason (with a detail) or None; it never rewrites
text. Transforms live in the other stages.
"""

from __future__ import annotations

from typing import Sequence

from pipeline.config import Config
from pipeline.document import REJECT_EMPTY_AFTER_CLEANING, Document


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


def apply_filters(docs: Sequence[Document], config: Config) -> list[Document]:
    out = []
    for doc in docs:
        verdict = None if doc.rejected else too_short(doc, config.min_chars)
        out.append(doc.rejecting(*verdict) if verdict else doc)
    return out
