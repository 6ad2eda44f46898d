"""The ``sign`` stage: a MinHash of each kept document and its LSH band keys, batch by batch.

The signature is of the document's match key (character n-grams for CJK,
word n-grams otherwise: `pipeline.dedup.signature`), with the columns the
keep policy needs beside it, as an Arrow table of the signatures schema
(`MinHashSettings.schema`). A text whose match key is empty (emoji,
punctuation, box drawing only) has no shingles; its band keys are made from
its exact text, so it matches exact copies only. `pipeline.dedup.search`
then finds the copies among all of them.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import xxhash

from pipeline.core.config import Config
from pipeline.core.document import Document
from pipeline.dedup.signature import EMPTY

__all__ = ["exact_text_keys", "metadata_fields", "sign_documents"]


def metadata_fields(doc: Document) -> int:
    return sum(bool(v) for v in (doc.title, doc.date, doc.publication, doc.authors))


def sign_documents(docs: Sequence[Document], config: Config) -> pa.Table:
    """Signatures and band keys of the kept documents of one batch."""
    settings = config.dedup.minhash
    kept = [d for d in docs if not d.rejected]
    sigs = settings.sign(d.text for d in kept)
    keys = settings.band_keys(sigs)
    text_hash = np.array([xxhash.xxh3_64_intdigest(d.text.encode("utf-8")) for d in kept], dtype=np.uint64)
    empty = (sigs == EMPTY).all(axis=1) if len(kept) else np.zeros(0, bool)
    if empty.any():
        keys[empty] = exact_text_keys(text_hash[empty], settings.bands)
    return pa.table(
        {
            "doc_id": pa.array([d.doc_id for d in kept], pa.string()),
            "minhash": pa.FixedSizeListArray.from_arrays(pa.array(sigs.ravel(), pa.uint32()), settings.num_perm),
            "band_keys": pa.FixedSizeListArray.from_arrays(pa.array(keys.ravel(), pa.uint64()), settings.bands),
            "char_count": pa.array([d.char_count for d in kept], pa.int32()),
            "date": pa.array([d.date for d in kept], pa.date32()),
            "metadata_fields": pa.array([metadata_fields(d) for d in kept], pa.int8()),
            "text_hash": pa.array(text_hash, pa.uint64()),
        },
        schema=settings.schema,
    )


def exact_text_keys(text_hash: np.ndarray, bands: int) -> np.ndarray:
    """Band keys of texts with no shingles: their exact text, mixed with the band (never a shingle band's key, but by a 2**-64 chance).

    >>> keys = exact_text_keys(np.array([7, 7, 8], np.uint64), 4)
    >>> bool((keys[0] == keys[1]).all()), bool((keys[0] == keys[2]).any())
    (True, False)
    """
    band = np.arange(bands, dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = (text_hash[:, None] ^ np.uint64(0x9E3779B97F4A7C15)) * np.uint64(0xBF58476D1CE4E5B9) + band * np.uint64(
            0x94D049BB133111EB
        )
        return mixed ^ (mixed >> np.uint64(31))
