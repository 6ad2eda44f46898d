"""The one record type that flows through every stage, and the reason constants.

A `Document` starts life in `ingest` as one input record (a ``.txt`` page or one
line of a ``.jsonl`` file) and is only ever replaced by an updated copy
(`Document.replace`), never mutated. A record that cannot become an article
is not thrown away: it keeps its place in the batch with ``reject`` set to one
of the ``REJECT_*`` constants below, every later stage passes it through
untouched, and `write` puts it in the ``rejects`` table.
"""

from __future__ import annotations

import dataclasses
import datetime
import operator
from dataclasses import dataclass
from typing import NamedTuple

import xxhash

# Reasons a record lands in ``rejects``. Downstream jobs filter on these
# strings, so they are part of the output contract: add, never rename.
REJECT_UNSUPPORTED_FORMAT = "unsupported_format"
REJECT_EMPTY = "empty"
REJECT_BINARY = "binary"
REJECT_UNDECODABLE = "undecodable"
REJECT_TOO_LARGE = "too_large"
REJECT_UNREADABLE = "unreadable"
REJECT_MALFORMED_JSON = "malformed_json"
REJECT_MISSING_TEXT = "missing_text"
REJECT_EMPTY_AFTER_CLEANING = "empty_after_cleaning"
# Not a regular file (a FIFO, socket or device, or a link to one): never opened
# for reading, since a read could block for ever or never end.
REJECT_SPECIAL_FILE = "special_file"
# A symbolic link whose target lies outside the raw folder (see `Config.follow_symlinks`).
REJECT_SYMLINK_OUTSIDE_RAW = "symlink_outside_raw"
# A symbolic link to a folder: not walked, so that a link cannot loop or pull
# in another tree (see `Config.follow_symlinks`).
REJECT_SYMLINKED_FOLDER = "symlinked_folder"
# An HTML page (or a JSONL record's html) in which the extractor finds no article.
REJECT_NO_MAIN_TEXT = "no_main_text"
# A stage raised on this record (a bug, or input nobody foresaw): the record is
# kept out of the output with the error, and the rest of the batch goes on.
REJECT_PROCESSING_ERROR = "processing_error"

REJECT_REASONS = (
    REJECT_UNSUPPORTED_FORMAT,
    REJECT_EMPTY,
    REJECT_BINARY,
    REJECT_UNDECODABLE,
    REJECT_TOO_LARGE,
    REJECT_UNREADABLE,
    REJECT_MALFORMED_JSON,
    REJECT_MISSING_TEXT,
    REJECT_EMPTY_AFTER_CLEANING,
    REJECT_PROCESSING_ERROR,
    REJECT_SPECIAL_FILE,
    REJECT_SYMLINK_OUTSIDE_RAW,
    REJECT_SYMLINKED_FOLDER,
    REJECT_NO_MAIN_TEXT,
)

# How a record's text was obtained: a text page, a JSONL record's text, or the
# main text of an HTML page.
EXTRACTORS = ("text", "jsonl", "trafilatura")

# Flags describe something a stage noticed or repaired on a kept document.
FLAG_BOM_REMOVED = "bom_removed"
FLAG_NUL_REMOVED = "nul_removed"
FLAG_INVALID_BYTES = "invalid_bytes_replaced"
FLAG_MOJIBAKE_FIXED = "mojibake_fixed"
FLAG_GBK_AS_LATIN1_FIXED = "gbk_as_latin1_fixed"
FLAG_UNRECOVERABLE = "unrecoverable_chars"
FLAG_DATE_UNPARSED = "date_unparsed"
FLAG_MIXED_ENCODINGS = "mixed_encodings"
# A JSONL string held a lone UTF-16 surrogate (a JavaScript scraper cut an
# emoji in half); Parquet strings must be UTF-8, so it became U+FFFD.
FLAG_LONE_SURROGATE = "lone_surrogate_replaced"
# A JSONL metadata field had a shape docclean cannot read (a number for a
# title, an object without a name); its value is kept in ``extra``.
FLAG_FIELD_UNREADABLE = "metadata_field_unreadable"
# A hard-wrapped page (a PDF or print layout) had its paragraph lines joined (`pipeline.clean.reflow`).
FLAG_REFLOWED = "hard_wraps_joined"
# The bytes were not UTF-8 and no candidate encoding gave plausible text
# (`pipeline.read.decoding.plausible`): the text is the likeliest decode, kept, but a guess.
FLAG_ENCODING_UNCERTAIN = "encoding_uncertain"
# A JSONL date string gave its time with a zone (2024-03-05T08:30:00+08:00, ...Z): published_at
# holds the time as written, the zone is not kept (the column has none).
FLAG_TIME_ZONE_DROPPED = "time_zone_dropped"

FLAGS = (
    FLAG_BOM_REMOVED,
    FLAG_NUL_REMOVED,
    FLAG_INVALID_BYTES,
    FLAG_MOJIBAKE_FIXED,
    FLAG_GBK_AS_LATIN1_FIXED,
    FLAG_UNRECOVERABLE,
    FLAG_DATE_UNPARSED,
    FLAG_MIXED_ENCODINGS,
    FLAG_LONE_SURROGATE,
    FLAG_FIELD_UNREADABLE,
    FLAG_REFLOWED,
    FLAG_ENCODING_UNCERTAIN,
    FLAG_TIME_ZONE_DROPPED,
)


class Removal(NamedTuple):
    """One piece of text a stage took out of a page, kept for `inspect` and counts.

    A named tuple: a page holds dozens (every separator line, every paragraph
    of a body scraped twice), and batches are pickled between the passes.
    """

    stage: str
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Document:
    """One input record on its way to one row of exactly one output table.

    ``text`` is whatever the latest stage made of the record: the decoded page
    after `ingest`, the repaired text after `encoding`, and the clean article
    (paragraphs joined by ``"\\n"``) after `artifacts` and `page_dedup`.
    """

    doc_id: str
    source_path: str
    source_line: int | None = None
    text: str = ""
    size_bytes: int = 0
    encoding: str | None = None
    title: str | None = None
    date: datetime.date | None = None
    published_at: datetime.datetime | None = None
    publication: str | None = None
    section: str | None = None
    byline_role: str | None = None
    authors: tuple[str, ...] = ()
    pages: tuple[int, ...] = ()
    continued_from: tuple[int, ...] = ()
    page: str | None = None
    original_title: str | None = None
    url: str | None = None
    source_id: str | None = None
    extra: str | None = None
    extractor: str = "text"
    flags: tuple[str, ...] = ()
    removals: tuple[Removal, ...] = ()
    reject: str | None = None
    reject_detail: str | None = None

    # Batches are pickled between passes and processes. The default for a
    # frozen slotted dataclass sets each field through object.__setattr__ (five
    # times slower than the constructor), and named tuples go through Python
    # calls each way: the removals travel as plain tuples.
    def __reduce__(self):
        fields = _field_values(self)
        return _unpickled, (fields[:_REMOVALS], tuple(map(tuple, self.removals)), fields[_REMOVALS + 1 :])

    @property
    def rejected(self) -> bool:
        return self.reject is not None

    @property
    def unrecoverable_chars(self) -> int:
        """U+FFFD replacement characters in the text: text lost before or while decoding."""
        return self.text.count("\ufffd")

    @property
    def char_count(self) -> int:
        """Characters of text, the newlines between paragraphs not counted."""
        return len(self.text) - self.text.count("\n")

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n") if self.text else []

    def removed(self, stage: str, kind: str | None = None) -> list[Removal]:
        """The removals one stage recorded, optionally of one kind only."""
        return [r for r in self.removals if r.stage == stage and (kind is None or r.kind == kind)]

    def replace(self, **changes) -> Document:
        """A copy with ``changes``: `dataclasses.replace`, three times faster (every stage makes one per record).

        >>> Document("id", "a.txt", text="x").replace(text="y").text
        'y'
        """
        values = list(_field_values(self))
        for name, value in changes.items():
            values[_FIELD_AT[name]] = value
        return Document(*values)

    def with_flag(self, *flags: str) -> Document:
        new = tuple(f for f in flags if f not in self.flags)
        return self.replace(flags=self.flags + new) if new else self

    def rejecting(self, reason: str, detail: str) -> Document:
        """This record, moved to the rejects table with a reason and a human message."""
        assert reason in REJECT_REASONS, reason
        return self.replace(reject=reason, reject_detail=detail)


_DOCUMENT_FIELDS = tuple(f.name for f in dataclasses.fields(Document))
_field_values = operator.attrgetter(*_DOCUMENT_FIELDS)
_FIELD_AT = {name: at for at, name in enumerate(_DOCUMENT_FIELDS)}
_REMOVALS = _FIELD_AT["removals"]
_new_removal = tuple.__new__


def _unpickled(before: tuple, removals: tuple, after: tuple) -> Document:
    return Document(*before, tuple([_new_removal(Removal, removal) for removal in removals]), *after)


def make_doc_id(source_path: str, source_line: int | None = None) -> str:
    """A stable id from where the record came from, not from its content.

    Content ids would give two identical copies the same id, and the
    duplicates table must be able to point one copy at the other.

    >>> make_doc_id("2021/page.txt") == make_doc_id("2021/page.txt")
    True
    >>> make_doc_id("feed.jsonl", 1) != make_doc_id("feed.jsonl", 2)
    True
    >>> len(make_doc_id("a.txt"))
    16
    """
    key = source_path if source_line is None else f"{source_path}#{source_line}"
    return xxhash.xxh3_64_hexdigest(key.encode("utf-8", "surrogateescape"))
