"""JSON Lines feeds: one article per line, read as a stream, one bad line costing only itself.

A line is an object with a ``text`` field (a string, or a list of paragraph
strings) and optional metadata (`JSONL_FIELDS`). Values arrive in many
shapes: strings, lists of strings and the common nested forms
(``{"name": "张三"}``, ``{"zh": "标题", "en": "Title"}``) are read; a value of
any other shape is not turned into text, but kept, with every key docclean
does not use, in the ``extra`` column (a JSON object), and the record is
flagged. The record's own ``id`` is kept as ``source_id``, so that rows can
be joined back to the upstream data.

Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (as Windows and old Mac
tools write them); a file that starts with a UTF-16 or UTF-32 byte-order mark
is decoded as such. Each UTF-8 line is decoded on its own (feeds glued
together from several sources are not always one encoding).
"""

from __future__ import annotations

import codecs
import datetime
import itertools
import json
import re
from typing import Any, Callable, Iterable, Iterator

from pipeline.core.config import Config
from pipeline.core.dates import find_dates, parse_date
from pipeline.core.document import (
    FLAG_DATE_UNPARSED,
    FLAG_FIELD_UNREADABLE,
    FLAG_LONE_SURROGATE,
    FLAG_TIME_ZONE_DROPPED,
    REJECT_EMPTY,
    REJECT_MALFORMED_JSON,
    REJECT_MISSING_TEXT,
    REJECT_TOO_LARGE,
    Document,
    make_doc_id,
)
from pipeline.read.decoding import BOMS, decode_bytes
from pipeline.read.html import extract_html

JSONL_SUFFIXES = (".jsonl",)
TEXT_KEY = "text"
# A record with no text but the page's HTML: its main text is extracted (`pipeline.read.html`).
HTML_KEY = "html"

# JSONL keys docclean understands, in order of preference, and the Document
# field each fills. "source" is what most scrapers call the publication;
# when two keys fill one field, the first wins and the other stays in extra.
JSONL_FIELDS = {
    "title": "title",
    "date": "date",
    "publication": "publication",
    "source": "publication",
    "section": "section",
    "url": "url",
    "authors": "authors",
    "author": "authors",
    "id": "source_id",
}
# Keys of an object that hold its readable value, in order of preference.
VALUE_KEYS = ("name", "text", "value", "title", "zh", "zh-cn", "zh_cn", "zh-hans", "cn", "en")

_NEWLINE_BYTES = re.compile(rb"\r\n|\r|\n")
_NEWLINE_TEXT = re.compile(r"\r\n|\r|\n")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A separator and the spaces around it, matched only from the start of a run of
# spaces: ``\s*(?:…|\s+and\s+)`` tried every split of a long run (12 s for an
# author field of 2,400 spaces, cubic); this splits the same, in linear time.
_NAME_SEPARATORS = re.compile(r"[、，,;；/|]\s*|(?<!\s)\s+(?:[、，,;；/|]\s*|(?:and|和)\s+)")
_LATIN_LETTER = re.compile("[A-Za-z]")


def split_lines(chunks: Iterable, limit: int, newline: re.Pattern, empty) -> Iterator[tuple[int, Any, int]]:
    """(line number, line, size with its line end) of each line of a stream of chunks.

    Works on bytes or str alike (``newline`` and ``empty`` of that type). A
    line longer than ``limit`` is read through and never held: its line is
    None. A CR at the end of a chunk waits for the next one, which may start
    with the LF of a CRLF.

    >>> list(split_lines([b"a\\r", b"\\nbb\\rc\\n", b"ddddd\\ne"], 3, _NEWLINE_BYTES, b""))
    [(1, b'a', 3), (2, b'bb', 3), (3, b'c', 2), (4, None, 6), (5, b'e', 1)]
    """
    number, buffer, skipped, skipping = 0, empty, 0, False
    carriage_return = "\r" if isinstance(empty, str) else b"\r"
    for chunk in itertools.chain(chunks, [None]):
        final = chunk is None
        data = buffer + (empty if final else chunk)
        start = 0
        while (match := newline.search(data, start)) is not None:
            if not final and match.end() == len(data) and match.group() == carriage_return:
                break
            line = data[start : match.start()]
            number += 1
            size = skipped + len(line) + len(match.group())
            yield number, None if skipping or len(line) > limit else line, size
            start, skipped, skipping = match.end(), 0, False
        rest = data[start:]
        if final:
            if rest or skipping:
                number += 1
                yield number, None if skipping or len(rest) > limit else rest, skipped + len(rest)
            return
        if skipping or len(rest) > limit:
            # Over the limit: count it, hold only a trailing CR (half of a CRLF, perhaps).
            held = rest[-1:] if rest[-1:] == carriage_return else empty
            skipped += len(rest) - len(held)
            buffer, skipping = held, True
        else:
            buffer = rest


def jsonl_records(chunks: Iterator[bytes], file_doc: Document, config: Config) -> Iterator[Document]:
    """One record per non-blank line of a feed; blank lines are layout, not records.

    A file of blank lines only is one ``empty`` record, so that it still
    leaves a row behind.
    """
    first = next(chunks, b"")
    wide = next((codec for bom, codec in BOMS if codec != "utf-8" and first.startswith(bom)), None)
    stream = itertools.chain([first], chunks)
    if wide is None:
        lines = split_lines(stream, config.max_file_bytes, _NEWLINE_BYTES, b"")
    else:
        unit = 4 if "32" in wide else 2
        decoder = codecs.getincrementaldecoder(wide)(errors="replace")
        text = itertools.chain((decoder.decode(chunk) for chunk in stream), [decoder.decode(b"", final=True)])
        lines = (
            (n, line, size * unit)
            for n, line, size in split_lines(text, config.max_file_bytes // unit, _NEWLINE_TEXT, "")
        )
    records = 0
    for number, line, size in lines:
        record = file_doc.replace(doc_id=make_doc_id(file_doc.source_path, number), source_line=number, size_bytes=size)
        if line is None:
            records += 1
            yield record.rejecting(
                REJECT_TOO_LARGE, f"line {number}: {size} bytes > max_file_bytes={config.max_file_bytes}; not held"
            )
            continue
        if not line.strip():
            continue
        records += 1
        if wide is not None:
            yield parse_record(record, number, line.lstrip("\ufeff") if number == 1 else line, wide, (), config)
            continue
        decoded = decode_bytes(line, config.encodings)
        if decoded.reject:
            yield record.rejecting(decoded.reject, f"line {number}: {decoded.detail}")
            continue
        yield parse_record(record, number, decoded.text, decoded.encoding, decoded.flags, config)
    if not records:
        yield file_doc.rejecting(REJECT_EMPTY, "no records: every line is blank")


def parse_record(
    record: Document, number: int, line: str, encoding: str, flags: tuple[str, ...], config: Config
) -> Document:
    """The record of one JSON line, or its reject; never raises on what the line holds."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        return record.rejecting(REJECT_MALFORMED_JSON, f"line {number}: {error.msg} at column {error.colno}")
    except RecursionError:
        return record.rejecting(REJECT_MALFORMED_JSON, f"line {number}: nested too deeply to read")
    except ValueError as error:  # an integer of more digits than Python converts
        return record.rejecting(REJECT_MALFORMED_JSON, f"line {number}: {str(error)[:200]}")
    if not isinstance(value, dict):
        return record.rejecting(REJECT_MALFORMED_JSON, f"line {number}: expected an object, got {type(value).__name__}")
    text = read_text_field(value.get(TEXT_KEY))
    html = value.get(HTML_KEY) if text is None and isinstance(value.get(HTML_KEY), str) else None
    if text is None and html is None:
        shape = "no field 'text'" if TEXT_KEY not in value else f"'text' is {_shape(value[TEXT_KEY])}"
        return record.rejecting(
            REJECT_MISSING_TEXT, f"line {number}: {shape} (nor 'html'); expected a string or a list of strings"
        )
    if html is not None:
        text = html
    if not text.strip():
        return record.rejecting(REJECT_EMPTY, f"line {number}: 'text' is blank")
    fields, found_flags, extra = read_fields(value)
    try:
        extra_json = json.dumps(extra, ensure_ascii=False) if extra else None
    except (RecursionError, ValueError):
        return record.rejecting(REJECT_MALFORMED_JSON, f"line {number}: a field is nested too deeply to keep")
    text, text_scrubbed = scrub(text)
    extra_json, extra_scrubbed = scrub(extra_json)
    fields, fields_scrubbed = _scrub_fields(fields)
    if text_scrubbed or extra_scrubbed or fields_scrubbed:
        found_flags.append(FLAG_LONE_SURROGATE)
    record = record.replace(
        text=text,
        encoding=encoding,
        flags=flags + tuple(dict.fromkeys(found_flags)),
        extra=extra_json,
        extractor="jsonl",
        **fields,
    )
    return extract_html(record, config) if html is not None else record


def scrub(text: str | None) -> tuple[str | None, bool]:
    """Lone surrogates (half an emoji) replaced by U+FFFD; and whether there were any.

    >>> scrub("标题\\ud83d")
    ('标题�', True)
    """
    if text is None or not _SURROGATE.search(text):
        return text, False
    return _SURROGATE.sub("\ufffd", text), True


def _scrub_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    out: dict[str, Any] = {}
    changed = False
    for key, value in fields.items():
        if isinstance(value, str):
            value, scrubbed = scrub(value)
        elif key == "authors":
            pairs = [scrub(name) for name in value]
            value, scrubbed = tuple(name for name, _ in pairs), any(c for _, c in pairs)
        else:
            scrubbed = False
        out[key] = value
        changed = changed or scrubbed
    return out, changed


def read_fields(value: dict) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """(Document fields, flags, extra) of one JSON object; ``text`` aside."""
    fields: dict[str, Any] = {}
    flags: list[str] = []
    unused: set[str] = set()
    for key, field_name in JSONL_FIELDS.items():
        item = value.get(key)
        if item is None or item == "" or item == [] or item == {}:
            continue
        parsed = READERS[field_name](item)
        if parsed is None:
            flags.append(
                FLAG_DATE_UNPARSED if field_name == "date" and isinstance(item, str) else FLAG_FIELD_UNREADABLE
            )
            unused.add(key)
        elif field_name in fields:
            unused.add(key)
        else:
            fields[field_name] = parsed
            if field_name == "date" and isinstance(item, str):
                published_at, zoned = read_time(item)
                if published_at is not None:
                    fields["published_at"] = published_at
                if zoned:
                    flags.append(FLAG_TIME_ZONE_DROPPED)
    extra = {k: v for k, v in value.items() if k not in (TEXT_KEY, HTML_KEY) and (k not in JSONL_FIELDS or k in unused)}
    return fields, flags, extra


def read_text_field(item: Any) -> str | None:
    """A string, or a list of paragraph strings joined by newlines; None for other shapes."""
    if isinstance(item, str):
        return item
    if isinstance(item, list) and item and all(isinstance(p, str) for p in item):
        return "\n".join(item)
    return None


def read_string(item: Any) -> str | None:
    """A string from a string, a whole number, a one-string list or an object's value key.

    >>> [read_string(v) for v in (" 标题 ", 3, ["一"], {"zh": "标题", "en": "Title"}, {"a": 1}, 2.5, True)]
    ['标题', '3', '一', '标题', None, None, None]
    """
    if isinstance(item, str):
        return item.strip() or None
    if isinstance(item, int) and not isinstance(item, bool):
        return str(item)
    if isinstance(item, list) and len(item) == 1:
        return read_string(item[0])
    if isinstance(item, dict):
        for key in VALUE_KEYS:
            if isinstance(item.get(key), str) and item[key].strip():
                return item[key].strip()
        strings = [v for v in item.values() if isinstance(v, str) and v.strip()]
        return strings[0].strip() if len(strings) == 1 else None
    return None


def read_url(item: Any) -> str | None:
    return item.strip() or None if isinstance(item, str) else None


def read_names(item: Any) -> tuple[str, ...] | None:
    """Author names from a string, a list of strings or of ``{"name": ...}`` objects.

    >>> read_names("张三、李四"), read_names("王明 李华"), read_names("John Smith, Jane Doe")
    (('张三', '李四'), ('王明', '李华'), ('John Smith', 'Jane Doe'))
    >>> read_names([{"name": "张三"}, "李四"]), read_names({"name": "王五"}), read_names(7)
    (('张三', '李四'), ('王五',), None)
    """
    if isinstance(item, str):
        names = []
        for piece in _NAME_SEPARATORS.split(item.strip()):
            # Chinese names are separated by spaces too; "John Smith" is one name.
            names.extend(piece.split() if not _LATIN_LETTER.search(piece) else [piece.strip()])
        return tuple(dict.fromkeys(n for n in names if n)) or None
    if isinstance(item, dict):
        name = read_string(item)
        return (name,) if name else None
    if isinstance(item, list):
        names = [read_string(a) for a in item]
        if any(n is None for n in names):
            return None
        return tuple(dict.fromkeys(n for n in names if n)) or None
    return None


def read_date(item: Any) -> datetime.date | None:
    """A date from a date string, a YYYYMMDD number or a Unix time (seconds or milliseconds, UTC).

    >>> [read_date(v) for v in ("2020年1月4日", 20200104, 1578096000, 1578096000000, "昨天", 3.5)]
    [datetime.date(2020, 1, 4), datetime.date(2020, 1, 4), datetime.date(2020, 1, 4), datetime.date(2020, 1, 4), None, None]
    """
    if isinstance(item, str):
        return parse_date(item)
    if isinstance(item, int) and not isinstance(item, bool):
        if 10_000_000 <= item <= 99_999_999:
            return parse_date(str(item))
        seconds = item / 1000 if item >= 10**11 else item
        try:
            return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            return None
    return None


def read_time(item: str) -> tuple[datetime.datetime | None, bool]:
    """The date and time of day a date string gives (None without a time), and whether a time zone followed it.

    The time is kept as written (the ``published_at`` column holds local times, no zone).

    >>> read_time("2024-03-05T08:30:00+08:00"), read_time("2024-03-05 08:30"), read_time("2024-03-05")
    ((datetime.datetime(2024, 3, 5, 8, 30), True), (datetime.datetime(2024, 3, 5, 8, 30), False), (None, False))
    """
    found = find_dates(item)
    if not found or found[0].time is None:
        return None, False
    return found[0].published_at, bool(_ZONE_AFTER_TIME.match(item, found[0].end))


# What may follow an ISO or written time to name its zone: Z, an offset, a zone's name.
_ZONE_AFTER_TIME = re.compile(
    r"\s*(?:Z\b|[+-]\d{2}(?::?\d{2})?\b|(?i:GMT|UTC|CST|EST|EDT|PST|PDT|BST|CET|JST)\b|北京时间)"
)


READERS: dict[str, Callable[[Any], Any]] = {
    "title": read_string,
    "date": read_date,
    "publication": read_string,
    "section": read_string,
    "url": read_url,
    "authors": read_names,
    "source_id": read_string,
}


def _shape(item: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(item), f"a {type(item).__name__}"
    )
