"""The explicit Arrow schemas of every table docclean writes.

Each field carries its documentation as field metadata (``description``), so
a reader can recover it from the Parquet file; the README's schema section is
the same text. The schema version is stored in each file's metadata under
``docclean.schema_version`` and changes whenever a column is added, removed
or changes meaning.
"""

from __future__ import annotations

import re

import pyarrow as pa

from pipeline.core.document import FLAGS, REJECT_REASONS

SCHEMA_VERSION = "4"
SCHEMA_VERSION_KEY = b"docclean.schema_version"


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


def _schema(table: str, *fields: pa.Field) -> pa.Schema:
    return pa.schema(fields, metadata={SCHEMA_VERSION_KEY: SCHEMA_VERSION.encode(), b"docclean.table": table.encode()})


DOC_ID = _field(
    "doc_id", pa.string(), "Stable id: xxh3-64 of source_path (and source_line for JSONL), 16 hex digits.", False
)
SOURCE_PATH = _field("source_path", pa.string(), "Input file, relative to the raw folder, '/'-separated.", False)
SOURCE_LINE = _field("source_line", pa.int32(), "1-based line in a .jsonl input; null for .txt pages.")
SOURCE_ID = _field(
    "source_id", pa.string(), "The JSONL record's own `id`, as a string, to join back to upstream data; null for pages."
)

DOCUMENT_FIELDS = (
    DOC_ID,
    SOURCE_PATH,
    SOURCE_LINE,
    SOURCE_ID,
    _field(
        "url",
        pa.string(),
        "URL of the page: a JSONL record's `url`, or an HTML page's own link (canonical, og:url), if any.",
    ),
    _field("title", pa.string(), "Article title."),
    _field(
        "subtitle",
        pa.string(),
        "Lines under the title that headline it (a ——subtitle, a deck), one per line; taken out of the text.",
    ),
    _field(
        "kicker",
        pa.string(),
        "Lines above the title that headline it (a kicker: 新春走基层), one per line; taken out of the text.",
    ),
    _field("date", pa.date32(), "Publication date."),
    _field(
        "published_at",
        pa.timestamp("ms"),
        "Publication date and time of day, when the page gives the time (as written, the site's local time, no time zone).",
    ),
    _field(
        "publication",
        pa.string(),
        "Newspaper, agency or site (法治日报), from the page's source line, edition header or paper credit.",
    ),
    _field("section", pa.string(), "Section label of the page (要闻)."),
    _field("page", pa.string(), "E-edition page the article is printed on (第03版 gives 3, A3版 gives A3)."),
    _field("original_title", pa.string(), "The title the article had where it first appeared (原标题)."),
    _field("byline_role", pa.string(), "Role in the byline (本报记者)."),
    _field("authors", pa.list_(pa.string()), "Author names from the byline, in order.", False),
    _field("pages", pa.list_(pa.int16()), "Pages the article jumps to (下转第三版 gives [3]).", False),
    _field("continued_from", pa.list_(pa.int16()), "Pages the article comes from (上接第一版 gives [1]).", False),
    _field("text", pa.string(), "Clean article text, one paragraph per line (joined by '\\n').", False),
    _field("paragraph_count", pa.int32(), "Number of paragraphs in text.", False),
    _field("char_count", pa.int32(), "Characters in text, newlines excluded.", False),
    _field(
        "encoding",
        pa.string(),
        "Encoding the input bytes were decoded from (utf-8, utf-8-sig, gb18030, big5, ...).",
        False,
    ),
    _field(
        "flags",
        pa.list_(pa.string()),
        "What the stages noticed or repaired: "
        + ", ".join(f"`{f}`" for f in FLAGS)
        + " (`mojibake_fixed`: ftfy changed the text; `date_unparsed`: a JSONL date that could not be read).",
        False,
    ),
    _field(
        "unrecoverable_chars",
        pa.int32(),
        "U+FFFD replacement characters left in text: text lost before or while decoding.",
        False,
    ),
    _field("markers_removed", pa.int32(), "Page-jump markers removed (下转第三版, 上接第一版, ...).", False),
    _field("separators_removed", pa.int32(), "Layout separator lines ('|') removed.", False),
    _field(
        "header_lines_removed",
        pa.int32(),
        "Section, byline, title and metadata lines moved out of the text into columns.",
        False,
    ),
    _field(
        "repeated_blocks_removed",
        pa.int32(),
        "Paragraphs dropped because they repeated an earlier paragraph of the same page.",
        False,
    ),
    _field("repeated_chars_removed", pa.int32(), "Characters in those dropped paragraphs.", False),
    _field(
        "boilerplate_removed",
        pa.int32(),
        "Header and footer lines taken out as page furniture: the vocabulary's (share, print, credits, notices) and the corpus's learned templates.",
        False,
    ),
    _field(
        "extractor",
        pa.string(),
        "How the text was obtained: text (a .txt page), jsonl (a record's text), trafilatura (the main text of an HTML page).",
        False,
    ),
    _field(
        "extra",
        pa.string(),
        "JSON object of the JSONL record's other fields (and of values docclean could not read); null when none.",
    ),
)

DOCUMENTS = _schema("documents", *DOCUMENT_FIELDS)

DUPLICATE_KINDS = ("exact", "near")

# A duplicate keeps its whole row: if the kept copy later goes away (its raw
# file changed) a duplicate can take its place without re-reading any input.
DUPLICATES = _schema(
    "duplicates",
    *DOCUMENT_FIELDS,
    _field("duplicate_of", pa.string(), "doc_id of the kept copy (a row of documents).", False),
    _field(
        "similarity", pa.float32(), "Estimated Jaccard similarity (MinHash) between this copy and the kept one.", False
    ),
    _field("kind", pa.string(), "exact: same clean text as the kept copy; near: similar text (repost, edit).", False),
)

REJECTS = _schema(
    "rejects",
    _field("doc_id", pa.string(), "Id the record would have had.", False),
    SOURCE_PATH,
    SOURCE_LINE,
    SOURCE_ID,
    _field("reason", pa.string(), "One of " + ", ".join(f"`{r}`" for r in REJECT_REASONS) + ".", False),
    _field("detail", pa.string(), "Human-readable explanation.", False),
    _field("size_bytes", pa.int64(), "Size of the input (file, or JSONL line) in bytes.", False),
)


SKETCH_KEY = b"docclean.minhash"


def signatures_schema(num_perm: int, bands: int, sketch: bytes = b"") -> pa.Schema:
    """Signatures of every clean or duplicate document: the index later runs deduplicate against.

    ``sketch`` (JSON: scheme, seed, permutations, n-grams, bands) is stored in
    the schema's metadata, so that signatures made another way are refused
    rather than compared (see `sketch.MinHashSettings`).
    """
    schema = _schema(
        "signatures",
        DOC_ID,
        _field(
            "minhash",
            pa.list_(pa.uint32(), num_perm),
            "MinHash: datasketch affine32 permutations over docclean's 32-bit shingle hash "
            "(`pipeline/dedup/signature.py`); the seed and sizes are in the file's `docclean.minhash` metadata (`pipeline/dedup/sketch.py`).",
            False,
        ),
        _field(
            "band_keys",
            pa.list_(pa.uint64(), bands),
            "LSH band keys; rows sharing a key in a band are candidates. A text with an empty match key (symbols only) "
            "gets keys of its exact text, so it matches exact copies only.",
            False,
        ),
        _field("char_count", pa.int32(), "Clean characters (keep policy input).", False),
        _field("date", pa.date32(), "Publication date (keep policy input)."),
        _field(
            "metadata_fields",
            pa.int8(),
            "How many of title, date, publication, authors are present (keep policy input).",
            False,
        ),
        _field("text_hash", pa.uint64(), "xxh3-64 of the clean text: equal hashes mark exact copies.", False),
    )
    return schema.with_metadata({**schema.metadata, SKETCH_KEY: sketch}) if sketch else schema


TEMPLATES = _schema(
    "templates",
    _field(
        "scope",
        pa.string(),
        "The site the support was counted in: a sub-folder of the raw folder, a JSONL record's source or its URL's "
        "host; '' for the pages of the raw folder itself.",
        False,
    ),
    _field("template_hash", pa.uint64(), "xxh3-64 of the template.", False),
    _field(
        "template",
        pa.string(),
        "The line with its dates, numbers and 'label: value' values masked (<date>, 0, <v>), a sentence (and a value that is one) "
        "as it is; first 200 characters.",
        False,
    ),
    _field(
        "top",
        pa.int64(),
        "Articles with a line of this template at the top edge (at most one body paragraph above it).",
        False,
    ),
    _field("bottom", pa.int64(), "Articles with it at the bottom edge.", False),
    _field("inside", pa.int64(), "Articles with it inside the body (paragraphs included).", False),
    _field("pages", pa.int64(), "Articles of the site (reposts of one article count once).", False),
    _field(
        "flavour_pages",
        pa.int64(),
        "Articles of the flavour of the site the template belongs to (the share's denominator): those of the site's "
        "most specific furniture line that stands beside it on 90% of its articles, else the site's.",
        False,
    ),
    _field(
        "learned",
        pa.string(),
        "Where the template is learned furniture of its site: top, bottom or both; null when it is not.",
    ),
)

EDGES = _schema(
    "edges",
    SOURCE_PATH,
    _field("scope", pa.string(), "The page's site (as in `templates`).", False),
    _field(
        "article_key",
        pa.uint64(),
        "Key of the article: copies of one article share it, so that they count once.",
        False,
    ),
    _field(
        "template_hash",
        pa.uint64(),
        "A template at the page's top or bottom edge; 0 for the row that stands for the page itself.",
        False,
    ),
    _field("where", pa.uint8(), "1 top edge, 2 bottom edge, 3 both (a short page), 4 the page itself.", False),
)

FILES = _schema(
    "files",
    SOURCE_PATH,
    _field("size_bytes", pa.int64(), "File size when it was processed.", False),
    _field("mtime_ns", pa.int64(), "Modification time (ns since the epoch) when it was processed.", False),
    _field("content_hash", pa.string(), "xxh3-128 of the file's bytes; null when the file could not be read.", True),
    _field("records", pa.int32(), "Records the file gave (rows in documents, duplicates and rejects).", False),
    _field("run", pa.int32(), "Run that processed this version of the file.", False),
)


def markdown_table(schema: pa.Schema, sizes: dict[str, str] | None = None) -> str:
    """The schema as the README's column table (``sizes`` names fixed list sizes symbolically).

    >>> print(markdown_table(pa.schema([_field("n", pa.int32(), "A count.", False)])))
    | column | type | meaning |
    |---|---|---|
    | `n` | int32, not null | A count. |
    """
    rows = ["| column | type | meaning |", "|---|---|---|"]
    for field in schema:
        kind = _type_name(field.type, (sizes or {}).get(field.name)) + ("" if field.nullable else ", not null")
        meaning = field.metadata[b"description"].decode("utf-8").replace("|", "\\|")
        rows.append(f"| `{field.name}` | {kind} | {meaning} |")
    return "\n".join(rows)


def _type_name(kind: pa.DataType, size: str | None = None) -> str:
    if isinstance(kind, pa.FixedSizeListType):
        return f"fixed_size_list<{kind.value_type}>[{size or kind.list_size}]"
    if isinstance(kind, pa.ListType):
        return f"list<{kind.value_type}>"
    return {pa.date32(): "date32", pa.float32(): "float32"}.get(kind, str(kind))


SIGNATURE_SIZES = {"minhash": "num_perm", "band_keys": "lsh_bands"}
_README_MARK = re.compile(r"(<!-- schema:(\w+) -->\n).*?(\n<!-- /schema -->)", re.DOTALL)


def readme_tables(readme: str) -> str:
    """``readme`` with every ``<!-- schema:TABLE -->`` block filled from the schemas above."""
    tables = {
        "documents": DOCUMENTS,
        "duplicates": DUPLICATES,
        "rejects": REJECTS,
        "signatures": signatures_schema(128, 16),
        "files": FILES,
        "templates": TEMPLATES,
        "edges": EDGES,
    }
    return _README_MARK.sub(
        lambda m: m.group(1) + markdown_table(tables[m.group(2)], SIGNATURE_SIZES) + m.group(3), readme
    )


if __name__ == "__main__":
    # Refresh the README's column tables: python -m pipeline.core.schema README.md
    import sys
    from pathlib import Path

    path = Path(sys.argv[1])
    path.write_text(readme_tables(path.read_text(encoding="utf-8")), encoding="utf-8")
