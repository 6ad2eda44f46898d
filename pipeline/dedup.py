"""The ``dedup`` stage: find copies of one article across pages and keep one.

1. `sign_documents`: a MinHash of each document's match key (character
   n-grams for CJK, word n-grams otherwise) and its LSH band keys, as an
   Arrow table (`schema.signatures_schema`), batch by batch.
2. `cluster`: over the signatures of the whole corpus, documents that share a
   band key are candidates; every candidate pair is checked against
   ``dedup_threshold`` on the full signature before it counts; verified pairs
   are joined into clusters (connected components); one document per cluster
   is kept by ``keep_policy`` and the others point at it.

Connected components are transitive: A~B and B~C put A and C in one cluster
even if A and C alone fall below the threshold. For news reposts that is the
wanted behaviour (a chain of edits of one story).

All of it works on columns (doc ids, a signature matrix, band keys), not on
documents, so it can run as table operations on a larger engine.
"""

from __future__ import annotations

import datetime
from typing import Sequence

import numpy as np
import pyarrow as pa

from pipeline.config import Config
from pipeline.document import Document
from pipeline.schema import signatures_schema
from pipeline.signature import band_keys, similarity, text_signatures

# In a band bucket up to this size every pair is checked; a bigger bucket (many
# copies of one text) is checked as a star around its smallest doc_id, which
# keeps the work linear while still joining every true copy to the cluster.
ALL_PAIRS_BUCKET = 32
VERIFY_CHUNK = 65_536


def metadata_fields(doc: Document) -> int:
    return sum(bool(v) for v in (doc.title, doc.date, doc.publication, doc.authors))


def sign_documents(docs: Sequence[Document], config: Config) -> pa.Table:
    """Signatures and band keys of the kept documents of one batch."""
    kept = [d for d in docs if not d.rejected]
    sigs = text_signatures((d.text for d in kept), config.num_perm, config.seed, config.cjk_ngram, config.word_ngram)
    keys = band_keys(sigs, config.lsh_bands)
    schema = signatures_schema(config.num_perm, config.lsh_bands)
    return pa.table(
        {
            "doc_id": pa.array([d.doc_id for d in kept], pa.string()),
            "minhash": pa.FixedSizeListArray.from_arrays(pa.array(sigs.ravel(), pa.uint32()), config.num_perm),
            "band_keys": pa.FixedSizeListArray.from_arrays(pa.array(keys.ravel(), pa.uint64()), config.lsh_bands),
            "char_count": pa.array([d.char_count for d in kept], pa.int32()),
            "date": pa.array([d.date for d in kept], pa.date32()),
            "metadata_fields": pa.array([metadata_fields(d) for d in kept], pa.int8()),
        },
        schema=schema,
    )


def _matrix(column: pa.ChunkedArray | pa.Array, width: int, dtype: type) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column.flatten().to_numpy(zero_copy_only=False).astype(dtype, copy=False).reshape(-1, width)


def candidate_pairs(keys: np.ndarray) -> np.ndarray:
    """Row pairs (i < j) that share at least one band key, as an (m, 2) array."""
    n, bands = keys.shape
    found: list[np.ndarray] = []
    for band in range(bands):
        column = keys[:, band]
        order = np.argsort(column, kind="stable")
        sorted_keys = column[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, n])
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):
            members = np.sort(order[start : start + size])
            if size <= ALL_PAIRS_BUCKET:
                i, j = np.triu_indices(size, k=1)
                found.append(np.stack([members[i], members[j]], axis=1))
            else:
                found.append(np.stack([np.full(size - 1, members[0]), members[1:]], axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found).astype(np.int64), axis=0)


def _components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Connected-component label (the smallest row index) of every row."""
    parent = np.arange(n)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(n)])


def _keep_order(policy: tuple[str, ...], char_count: np.ndarray, dates: list, meta: np.ndarray, doc_ids: list[str]):
    """A sort key per row: the row that sorts first in its cluster is kept."""
    far = datetime.date.max.toordinal() + 1

    def key(row: int) -> tuple:
        parts: list = []
        for criterion in policy:
            day = dates[row].toordinal() if dates[row] is not None else None
            if criterion == "longest":
                parts.append(-int(char_count[row]))
            elif criterion == "shortest":
                parts.append(int(char_count[row]))
            elif criterion == "earliest":
                parts.append(day if day is not None else far)
            elif criterion == "latest":
                parts.append(-day if day is not None else far)
            elif criterion == "most_metadata":
                parts.append(-int(meta[row]))
        parts.append(doc_ids[row])
        return tuple(parts)

    return key


_NO_WORK = {"candidate_pairs": 0, "verified_pairs": 0, "clusters_with_duplicates": 0, "largest_cluster": 0}


def cluster(signatures: pa.Table, config: Config) -> tuple[pa.Table, dict[str, int]]:
    """Decide, for every signed document, its cluster and whether it is kept.

    Returns a table (doc_id, cluster_id, cluster_size, duplicate_of,
    similarity) in the input's row order, and counts of the work done.
    ``duplicate_of`` is null for kept documents.
    """
    n = signatures.num_rows
    doc_ids = signatures.column("doc_id").to_pylist()
    if n == 0:
        empty = pa.table({"doc_id": pa.array([], pa.string())})
        return _decisions(empty, [], np.empty(0, np.int32), [], np.empty(0, np.float32)), dict(_NO_WORK)
    sigs = _matrix(signatures.column("minhash"), config.num_perm, np.uint32)
    keys = _matrix(signatures.column("band_keys"), config.lsh_bands, np.uint64)

    # Rows in doc_id order, so that every decision is independent of input order.
    by_id = np.argsort(np.array(doc_ids, dtype=object), kind="stable")
    pairs = candidate_pairs(keys[by_id])
    verified = []
    for start in range(0, len(pairs), VERIFY_CHUNK):
        chunk = pairs[start : start + VERIFY_CHUNK]
        scores = similarity(sigs[by_id[chunk[:, 0]]], sigs[by_id[chunk[:, 1]]])
        verified.append(chunk[scores >= config.dedup_threshold])
    good = np.concatenate(verified) if verified else np.empty((0, 2), np.int64)
    labels_sorted = _components(n, good)
    labels = np.empty(n, dtype=np.int64)
    labels[by_id] = by_id[labels_sorted]

    char_count = signatures.column("char_count").to_numpy()
    dates = signatures.column("date").to_pylist()
    meta = signatures.column("metadata_fields").to_numpy()
    order_key = _keep_order(config.keep_policy, char_count, dates, meta, doc_ids)

    members: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        members.setdefault(int(label), []).append(row)
    kept_row = np.empty(n, dtype=np.int64)
    size = np.empty(n, dtype=np.int32)
    for rows in members.values():
        winner = min(rows, key=order_key)
        kept_row[rows] = winner
        size[rows] = len(rows)

    sims = similarity(sigs, sigs[kept_row]).astype(np.float32)
    cluster_ids = [doc_ids[k] for k in kept_row]
    duplicate_of = [None if kept_row[r] == r else doc_ids[kept_row[r]] for r in range(n)]
    stats = {
        "candidate_pairs": int(len(pairs)),
        "verified_pairs": int(len(good)),
        "clusters_with_duplicates": sum(1 for rows in members.values() if len(rows) > 1),
        "largest_cluster": max(len(rows) for rows in members.values()),
    }
    return _decisions(signatures.select(["doc_id"]), cluster_ids, size, duplicate_of, sims), stats


def _decisions(ids: pa.Table, cluster_ids: list, size: np.ndarray, duplicate_of: list, sims: np.ndarray) -> pa.Table:
    return pa.table(
        {
            "doc_id": ids.column("doc_id"),
            "cluster_id": pa.array(cluster_ids, pa.string()),
            "cluster_size": pa.array(size, pa.int32()),
            "duplicate_of": pa.array(duplicate_of, pa.string()),
            "similarity": pa.array(sims, pa.float32()),
        }
    )
