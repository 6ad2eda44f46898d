"""The ``dedup`` stage: find copies of one article across pages and keep one.

1. `pipeline.dedup.sign` (the ``sign`` stage): a MinHash of each document's
   match key and its LSH band keys, batch by batch.
2. `cluster`: documents that share a band key are candidates; every
   candidate pair is verified against ``dedup_threshold``: on the MinHash
   estimate when it is clear, on the exact Jaccard similarity of the two
   texts' shingle sets when the estimate lies within the margin (`DedupSettings.exact_margin`) of the
   threshold (near the threshold an estimate from 128 permutations is a coin
   toss). Verified pairs are the edges of a graph.
3. Centre clustering on that graph: documents are taken in keep order
   (``keep_policy``); one not yet placed becomes a kept copy, and its
   unplaced neighbours become its duplicates. Every duplicate therefore has
   a verified edge to the document it points at, and ``similarity`` is the
   similarity of that edge. Clusters do not chain: A~B and B~C with A and C
   apart leave C kept, whatever links it to A through B (300 pages that each
   overlap the next by 90% are not one cluster).

Runs are incremental: `cluster` takes the signatures of this run's new
documents and, as `Earlier`, the index of every document earlier runs kept or
marked as a duplicate. Band buckets of new documents are searched, and every
earlier cluster a verified pair reaches is taken back in whole (its buckets
searched too, until nothing new is reached), so each part of the graph that
changed is decided again as a run over everything would decide it.

All of it works on columns (doc ids, a signature matrix, band keys), not on
documents, so it can run as table operations on a larger engine.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa

from pipeline.core.config import Config
from pipeline.dedup.clusters import Clustering, Earlier, Texts, decide, earlier_rows, nothing_to_decide, prepare
from pipeline.dedup.index import by_piece
from pipeline.dedup.settings import DedupSettings
from pipeline.dedup.signature import EMPTY, similarity
from pipeline.dedup.sketch import MinHashSettings
from pipeline.store.layout import read_part

# In a band bucket up to this size every pair is checked; a bigger bucket (many
# copies of one text) is checked as a star around its first member in keep
# order, which keeps the work linear while still joining every true copy to
# the copy the cluster keeps.
ALL_PAIRS_BUCKET = 32
VERIFY_CHUNK = 32_768


def _matrix(column: pa.ChunkedArray | pa.Array, width: int, dtype: type) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        # One chunk with rows (a full run's empty earlier index beside it) is viewed, not copied.
        chunks = [chunk for chunk in column.chunks if len(chunk)]
        column = chunks[0] if len(chunks) == 1 else column.combine_chunks()
    return column.flatten().to_numpy(zero_copy_only=False).astype(dtype, copy=False).reshape(-1, width)


class RowsOf:
    """The rows of a fixed-width list column, gathered on demand (``take``) from its pieces.

    A piece is a matrix in memory, or a staged part (an Arrow file) opened
    for each gather and closed after it: the minhashes of a million
    documents (512 bytes each) are never all in memory, and the pages of a
    memory-mapped part read for one gather leave with it.

    >>> rows = RowsOf.of(pa.chunked_array([[[1, 2], [3, 4]], [[5, 6]]], pa.list_(pa.uint32(), 2)), 2, np.uint32)
    >>> rows.take(np.array([2, 0])).tolist(), len(rows)
    ([[5, 6], [1, 2]], 3)
    """

    def __init__(self, width: int, dtype: type) -> None:
        self.width, self.dtype = width, dtype
        self.pieces: list[np.ndarray | tuple[Path, str]] = []
        self.starts = [0]

    @classmethod
    def of(cls, column: pa.ChunkedArray | pa.Array, width: int, dtype: type) -> RowsOf:
        rows = cls(width, dtype)
        for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
            rows.add(_matrix(chunk, width, dtype))
        return rows

    def add(self, piece: np.ndarray | tuple[Path, str], count: int | None = None) -> None:
        """A matrix, or (path, column) of a staged part of ``count`` rows."""
        self.pieces.append(piece)
        self.starts.append(self.starts[-1] + (len(piece) if count is None else count))

    def extend(self, other: RowsOf) -> None:
        for piece, start, end in zip(other.pieces, other.starts, other.starts[1:]):
            self.add(piece, end - start)

    def __len__(self) -> int:
        return self.starts[-1]

    def take(self, rows: np.ndarray) -> np.ndarray:
        taken = np.empty((len(rows), self.width), self.dtype)
        for at, here in by_piece(self.starts, rows):
            piece = self.pieces[at]
            if isinstance(piece, tuple):
                path, column = piece
                piece = _matrix(read_part(path, columns=[column]).column(column), self.width, self.dtype)
            taken[here] = piece[rows[here] - self.starts[at]]
        return taken


def staged_signatures(paths: Sequence[Path], settings: MinHashSettings) -> tuple[pa.Table, RowsOf]:
    """This run's staged signature parts as `cluster` takes them: every column but the minhashes, copied out of the
    files, and the minhashes, left in them (read for the candidate pairs only)."""
    minhashes = RowsOf(settings.num_perm, np.uint32)
    tables = []
    for path in paths:
        table = read_part(path, schema=settings.schema)
        minhashes.add((Path(path), "minhash"), table.num_rows)
        tables.append(table.drop_columns(["minhash"]))
    if not tables:
        return settings.schema.empty_table().drop_columns(["minhash"]), minhashes
    return pa.concat_tables(tables).combine_chunks(), minhashes


def candidate_pairs(keys: np.ndarray, rank: np.ndarray | None = None, active: np.ndarray | None = None) -> np.ndarray:
    """Row pairs that share a band key, as an (m, 2) array, each pair (better rank, worse rank).

    ``rank`` orders rows (keep order, so that a big bucket's star is centred
    on the copy its cluster will keep and results do not depend on input
    order); ``active`` marks the rows whose buckets are searched, and only
    pairs with at least one active row are returned. Each searched bucket is
    taken whole, so a pair is found exactly as it would be if every row were
    active.
    """
    n, bands = keys.shape
    rank = np.arange(n) if rank is None else rank
    by_rank = np.argsort(rank, kind="stable")
    # Pairs as one int64 (left * n + right), made distinct band by band: the
    # pairs of all bands at once, most found by several bands, were the
    # largest arrays of a million-page dedup.
    found = np.empty(0, np.int64)
    for band in range(bands):
        column = keys[:, band]
        rows = by_rank if active is None else by_rank[np.isin(column[by_rank], column[active])]
        order = np.argsort(column[rows], kind="stable")
        members_all = rows[order]
        sorted_keys = column[members_all]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        pairs = bucket_pairs(members_all, starts, np.diff(np.r_[starts, len(rows)]))
        if pairs:
            both = np.concatenate(pairs).astype(np.int64)
            found = np.union1d(found, both[:, 0] * n + both[:, 1])
    pairs = np.stack(np.divmod(found, max(n, 1)), axis=1) if len(found) else np.empty((0, 2), dtype=np.int64)
    if active is not None:
        pairs = pairs[active[pairs[:, 0]] | active[pairs[:, 1]]]
    return pairs


def bucket_pairs(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    """The pairs of buckets laid end to end in ``members`` (each in keep order): all pairs, or a star past ALL_PAIRS_BUCKET."""
    # Buckets of two are nearly all of them: one array operation for all.
    twos = starts[sizes == 2]
    found = [np.stack([members[twos], members[twos + 1]], axis=1)]
    for start, size in zip(starts[sizes > 2], sizes[sizes > 2]):
        bucket = members[start : start + size]
        if size <= ALL_PAIRS_BUCKET:
            i, j = _upper_triangle(int(size))
            found.append(np.stack([bucket[i], bucket[j]], axis=1))
        else:
            found.append(np.stack([np.full(size - 1, bucket[0]), bucket[1:]], axis=1))
    return found


@functools.lru_cache(maxsize=ALL_PAIRS_BUCKET + 1)
def _upper_triangle(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(size, k=1)


def cluster(
    signatures: pa.Table,
    config: Config,
    earlier: Earlier | None = None,
    texts: Texts | None = None,
    minhashes: RowsOf | None = None,
) -> Clustering:
    """Decide, for every new document, whether it is kept or a copy of which one.

    ``texts`` fetches clean texts by doc_id, for the pairs whose estimate is
    too close to the threshold to decide on (without it, estimates decide).
    Because edges depend only on the two documents and their whole buckets,
    and every part of the graph a new document reaches is decided again whole,
    running over the files in several runs gives the same clusters as one
    run over all of them, up to buckets of more than ``ALL_PAIRS_BUCKET``
    documents, which are checked as a star. This is the in-memory search;
    `pipeline.dedup.shuffle_dedup` searches the same pairs on a Dask cluster.
    ``minhashes``: the minhash of each row of ``signatures``, when that table has no
    such column (`staged_signatures`: staged parts, read only for the pairs).
    """
    columns = ["doc_id", "band_keys", "char_count", "date", "metadata_fields", "text_hash"]
    if minhashes is None:
        columns.insert(1, "minhash")
    new = signatures.select(columns)
    old = earlier.signatures.select(columns).cast(new.schema) if earlier is not None else new.schema.empty_table()
    kept = earlier_rows(earlier, old.column("doc_id"))
    old_minhash = earlier.signatures.column("minhash").filter(kept) if earlier is not None else None
    old = old.filter(kept)
    if old.num_rows + new.num_rows == 0:
        return nothing_to_decide()
    rows = prepare(old, new, config, earlier)
    table = pa.concat_tables([old, new])
    dedup = config.dedup
    settings = dedup.minhash
    sigs = RowsOf(settings.num_perm, np.uint32)
    if old_minhash is not None:
        sigs.extend(RowsOf.of(old_minhash, settings.num_perm, np.uint32))
    sigs.extend(minhashes if minhashes is not None else RowsOf.of(new.column("minhash"), settings.num_perm, np.uint32))
    keys = _matrix(table.column("band_keys"), settings.bands, np.uint64)

    def search(to_search: np.ndarray, searched: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, int]:
        pairs = candidate_pairs(keys, rows.rank, to_search)
        # A pair with a row whose buckets were searched before was found then.
        pairs = pairs[~(searched[pairs[:, 0]] | searched[pairs[:, 1]])]
        sims, exact = np.empty(len(pairs)), 0
        # A chunk at a time: the gathered signatures of every pair at once would be the step's largest arrays.
        for start in range(0, len(pairs), VERIFY_CHUNK):
            left, right = pairs[start : start + VERIFY_CHUNK, 0], pairs[start : start + VERIFY_CHUNK, 1]
            # Both sides in one gather: a staged part is opened once a chunk.
            gathered = sigs.take(np.concatenate([left, right]))
            sims[start : start + VERIFY_CHUNK], settled = verify(
                gathered[: len(left)],
                gathered[len(left) :],
                rows.text_hash[left],
                rows.text_hash[right],
                rows.ids[left],
                rows.ids[right],
                dedup,
                texts,
            )
            exact += settled
        good = sims >= dedup.threshold
        return len(pairs), pairs[good], sims[good], exact

    return decide(rows, search, earlier.duplicate_of if earlier is not None else {})


def verify(
    left_sigs: np.ndarray,
    right_sigs: np.ndarray,
    left_hash: np.ndarray,
    right_hash: np.ndarray,
    left_ids: np.ndarray,
    right_ids: np.ndarray,
    dedup: DedupSettings,
    texts: Texts | None,
) -> tuple[np.ndarray, int]:
    """The similarity of each candidate pair (rows of the two sides), and how many were settled on the texts.

    Equal texts are copies (similarity 1). A text with no shingles matches
    nothing else. Otherwise the MinHash estimate decides, except near the
    threshold, where the exact Jaccard similarity of the two texts does.
    """
    sims = similarity(left_sigs, right_sigs).astype(np.float64)
    empty = (
        (left_sigs == EMPTY).all(axis=1) | (right_sigs == EMPTY).all(axis=1) if len(left_sigs) else np.zeros(0, bool)
    )
    same_text = left_hash == right_hash
    sims[empty] = 0.0
    sims[same_text] = 1.0
    near = ~same_text & ~empty & dedup.undecided(sims)
    if texts is None or not near.any():
        return sims, 0
    rows = np.flatnonzero(near)
    wanted = sorted({str(i) for i in np.concatenate([left_ids[rows], right_ids[rows]])})
    found = texts(wanted)
    missing = [doc_id for doc_id in wanted if doc_id not in found]
    if missing:
        raise LookupError(f"texts of {len(missing)} documents to verify are missing (e.g. {missing[0]})")
    sims[rows] = dedup.minhash.exact_similarity([found[left_ids[r]] for r in rows], [found[right_ids[r]] for r in rows])
    return sims, len(rows)
