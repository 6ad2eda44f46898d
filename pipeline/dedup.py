"""The ``dedup`` stage: find copies of one article across pages and keep one.

1. `sign_documents`: a MinHash of each document's match key (character
   n-grams for CJK, word n-grams otherwise) and its LSH band keys, as an
   Arrow table (`MinHashSettings.schema`), batch by batch. A text whose match
   key is empty (emoji, punctuation, box drawing only) has no shingles; its
   band keys are made from its exact text, so it matches exact copies only.
2. `cluster`: documents that share a band key are candidates; every
   candidate pair is verified against ``dedup_threshold``: on the MinHash
   estimate when it is clear, on the exact Jaccard similarity of the two
   texts' shingle sets when the estimate lies within ``EXACT_MARGIN`` of the
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

import datetime
import functools
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from pipeline.config import Config
from pipeline.document import Document
from pipeline.signature import EMPTY, MinHashSettings, similarity

# In a band bucket up to this size every pair is checked; a bigger bucket (many
# copies of one text) is checked as a star around its first member in keep
# order, which keeps the work linear while still joining every true copy to
# the copy the cluster keeps.
ALL_PAIRS_BUCKET = 32
VERIFY_CHUNK = 65_536
# Estimates this close to the threshold are settled on the texts themselves:
# five standard errors of a 128-permutation estimate near 0.7 (0.04 each), so
# that among ten thousand look-alike pairs (articles that share a long footer,
# at 0.67) not one passes on a lucky estimate.
EXACT_MARGIN = 0.2

Texts = Callable[[Sequence[str]], dict[str, str]]


def metadata_fields(doc: Document) -> int:
    return sum(bool(v) for v in (doc.title, doc.date, doc.publication, doc.authors))


def sign_documents(docs: Sequence[Document], config: Config) -> pa.Table:
    """Signatures and band keys of the kept documents of one batch."""
    settings = config.minhash
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
        mixed = (text_hash[:, None] ^ np.uint64(0x9E3779B97F4A7C15)) * np.uint64(0xBF58476D1CE4E5B9) + band * np.uint64(0x94D049BB133111EB)
        return mixed ^ (mixed >> np.uint64(31))


def _matrix(column: pa.ChunkedArray | pa.Array, width: int, dtype: type) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column.flatten().to_numpy(zero_copy_only=False).astype(dtype, copy=False).reshape(-1, width)


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
    found: list[np.ndarray] = []
    for band in range(bands):
        column = keys[:, band]
        rows = by_rank if active is None else by_rank[np.isin(column[by_rank], column[active])]
        order = np.argsort(column[rows], kind="stable")
        members_all = rows[order]
        sorted_keys = column[members_all]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, len(rows)])
        # Buckets of two are nearly all of them: one array operation for all.
        pairs_of_two = starts[sizes == 2]
        found.append(np.stack([members_all[pairs_of_two], members_all[pairs_of_two + 1]], axis=1))
        for start, size in zip(starts[sizes > 2], sizes[sizes > 2]):
            members = members_all[start : start + size]
            if size <= ALL_PAIRS_BUCKET:
                i, j = _upper_triangle(int(size))
                found.append(np.stack([members[i], members[j]], axis=1))
            else:
                found.append(np.stack([np.full(size - 1, members[0]), members[1:]], axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.unique(np.concatenate(found).astype(np.int64), axis=0)
    if active is not None:
        pairs = pairs[active[pairs[:, 0]] | active[pairs[:, 1]]]
    return pairs


@functools.lru_cache(maxsize=ALL_PAIRS_BUCKET + 1)
def _upper_triangle(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(size, k=1)


def keep_rank(policy: tuple[str, ...], char_count: np.ndarray, dates: list, meta: np.ndarray, doc_ids: np.ndarray) -> np.ndarray:
    """Each row's place in keep order (0 first): the row that comes first in its cluster is kept.

    Criteria of ``keep_policy`` in order, the smallest ``doc_id`` breaking the last tie.
    """
    far = datetime.date.max.toordinal() + 1
    days = np.array([d.toordinal() if d is not None else far for d in dates], dtype=np.int64)
    dated = days != far
    columns: list[np.ndarray] = []
    for criterion in policy:
        if criterion == "longest":
            columns.append(-char_count.astype(np.int64))
        elif criterion == "shortest":
            columns.append(char_count.astype(np.int64))
        elif criterion == "earliest":
            columns.append(days)
        elif criterion == "latest":
            columns.append(np.where(dated, -days, far))
        elif criterion == "most_metadata":
            columns.append(-meta.astype(np.int64))
    id_order = np.empty(len(doc_ids), dtype=np.int64)
    id_order[np.argsort(doc_ids.astype(str), kind="stable")] = np.arange(len(doc_ids))
    # np.lexsort sorts by its last key first.
    order = np.lexsort([id_order, *reversed(columns)]) if len(doc_ids) else np.zeros(0, np.int64)
    rank = np.empty(len(doc_ids), dtype=np.int64)
    rank[order] = np.arange(len(doc_ids))
    return rank


@dataclass(frozen=True)
class Earlier:
    """What earlier runs left behind, as read from the output folder.

    ``signatures``: the signature index (`MinHashSettings.schema`) of every
    earlier document, kept or duplicate. ``duplicate_of``: earlier duplicates
    (doc_id -> kept doc_id). ``removed``: earlier doc_ids that leave the index
    because their raw file changed; their clusters are worked out again.
    """

    signatures: pa.Table
    duplicate_of: dict[str, str] = field(default_factory=dict)
    removed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Clustering:
    """What `cluster` decided.

    ``decisions``: one row per new document, in input order (doc_id,
    duplicate_of (null when kept), similarity to the kept copy, kind).
    ``changes``: earlier documents whose decision changes, with the same
    columns plus ``was_duplicate_of``: a kept copy that a new copy replaces
    (the keep policy prefers it), duplicates re-pointed at another kept copy,
    and duplicates promoted because their kept copy left with a changed file.
    ``clusters``: every cluster this run touched that has copies, largest
    first: (kept doc_id, size, new members).
    """

    decisions: pa.Table
    changes: pa.Table
    clusters: list[tuple[str, int, int]]
    stats: dict[str, int]


SMALL_COLUMNS = ["doc_id", "char_count", "date", "metadata_fields", "text_hash"]


@dataclass
class Rows:
    """The small per-document columns of every row the dedup step looks at: earlier rows first, then new ones.

    ``prior[row]`` is the row of its earlier kept copy (itself when kept or
    new); ``active`` marks the rows to decide (new rows, and earlier ones whose
    cluster must be decided again). About 40 bytes a row: signatures and band
    keys are not here.
    """

    ids: np.ndarray
    rank: np.ndarray
    text_hash: np.ndarray
    m: int
    prior: np.ndarray
    active: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)


# search(to_search, searched) -> (candidate pairs, verified edges (k, 2), their similarities, exactly verified pairs)
Search = Callable[[np.ndarray, np.ndarray], tuple[int, np.ndarray, np.ndarray, int]]


def earlier_rows(earlier: Earlier | None, old_ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Which rows of the earlier index stay (False: their raw file changed)."""
    if earlier is None or not earlier.removed:
        return np.ones(len(old_ids), dtype=bool)
    removed = pa.array(sorted(earlier.removed), pa.string())
    return pc.invert(pc.is_in(old_ids, value_set=removed)).to_numpy(zero_copy_only=False)


def prepare(old: pa.Table, new: pa.Table, config: Config, earlier: Earlier | None) -> Rows:
    """`Rows` of the earlier index (``old``, removed rows already out) and this run's documents (``new``)."""
    table = pa.concat_tables([old.select(SMALL_COLUMNS).cast(new.select(SMALL_COLUMNS).schema), new.select(SMALL_COLUMNS)])
    m, n = old.num_rows, table.num_rows
    was_duplicate_of = earlier.duplicate_of if earlier is not None else {}
    ids = np.array(table.column("doc_id").to_pylist(), dtype=object)
    rank = keep_rank(config.keep_policy, table.column("char_count").to_numpy(), table.column("date").to_pylist(),
                     table.column("metadata_fields").to_numpy(), ids)
    old_ids = table.column("doc_id").slice(0, m)
    # Earlier decisions as rows: prior[row] is the row of its kept copy.
    prior = np.arange(n)
    active = np.zeros(n, dtype=bool)
    active[m:] = True
    if was_duplicate_of:
        # Looked up among earlier rows only: a changed file's new rows reuse its doc_ids.
        dupes = pc.index_in(pa.array(list(was_duplicate_of), pa.string()), value_set=old_ids)
        kept = pc.index_in(pa.array(list(was_duplicate_of.values()), pa.string()), value_set=old_ids)
        listed = pc.is_valid(dupes).to_numpy(zero_copy_only=False)
        dupe_rows = dupes.to_numpy(zero_copy_only=False)[listed].astype(np.int64)
        kept_rows = kept.to_numpy(zero_copy_only=False)[listed]
        kept_known = ~np.isnan(kept_rows.astype(float))
        prior[dupe_rows[kept_known]] = kept_rows[kept_known].astype(np.int64)
        # A duplicate whose kept copy left is decided again.
        active[dupe_rows[~kept_known]] = True
    if earlier is not None and earlier.removed:
        left_clusters = {was_duplicate_of.get(doc_id, doc_id) for doc_id in earlier.removed}
        leaving = pc.is_in(old_ids, value_set=pa.array(sorted(left_clusters), pa.string()))
        active[:m] |= np.isin(prior[:m], np.flatnonzero(leaving.to_numpy(zero_copy_only=False)))
    return Rows(ids, rank, table.column("text_hash").to_numpy(), m, prior, active)


def cluster(signatures: pa.Table, config: Config, earlier: Earlier | None = None, texts: Texts | None = None) -> Clustering:
    """Decide, for every new document, whether it is kept or a copy of which one.

    ``texts`` fetches clean texts by doc_id, for the pairs whose estimate is
    too close to the threshold to decide on (without it, estimates decide).
    Because edges depend only on the two documents and their whole buckets,
    and every part of the graph a new document reaches is decided again whole,
    running over the files in several runs gives the same clusters as one
    run over all of them, up to buckets of more than ``ALL_PAIRS_BUCKET``
    documents, which are checked as a star. This is the in-memory search;
    `pipeline.shuffle_dedup` searches the same pairs on a Dask cluster.
    """
    columns = ["doc_id", "minhash", "band_keys", "char_count", "date", "metadata_fields", "text_hash"]
    new = signatures.select(columns)
    old = earlier.signatures.select(columns).cast(new.schema) if earlier is not None else new.schema.empty_table()
    old = old.filter(earlier_rows(earlier, old.column("doc_id")))
    if old.num_rows + new.num_rows == 0:
        return Clustering(_decision_table([], [], np.empty(0, np.float32), []), _change_table([], [], [], [], []), [], dict(_NO_WORK))
    rows = prepare(old, new, config, earlier)
    table = pa.concat_tables([old, new])
    settings = config.minhash
    sigs = _matrix(table.column("minhash"), settings.num_perm, np.uint32)
    keys = _matrix(table.column("band_keys"), settings.bands, np.uint64)

    def search(to_search: np.ndarray, searched: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, int]:
        pairs = candidate_pairs(keys, rows.rank, to_search)
        # A pair with a row whose buckets were searched before was found then.
        pairs = pairs[~(searched[pairs[:, 0]] | searched[pairs[:, 1]])]
        sims, exact = np.empty(len(pairs)), 0
        # A chunk at a time: the gathered signatures of every pair at once would be the step's largest arrays.
        for start in range(0, len(pairs), VERIFY_CHUNK):
            left, right = pairs[start : start + VERIFY_CHUNK, 0], pairs[start : start + VERIFY_CHUNK, 1]
            sims[start : start + VERIFY_CHUNK], settled = verify(
                sigs[left], sigs[right], rows.text_hash[left], rows.text_hash[right], rows.ids[left], rows.ids[right],
                settings, config.dedup_threshold, texts)
            exact += settled
        good = sims >= config.dedup_threshold
        return len(pairs), pairs[good], sims[good], exact

    return decide(rows, search, earlier.duplicate_of if earlier is not None else {})


def decide(rows: Rows, search: Search, was_duplicate_of: dict[str, str]) -> Clustering:
    """Search the buckets of active rows, take in every earlier cluster a verified pair reaches, search again
    until nothing new is reached; then centre-cluster the verified edges in keep order."""
    n, m, ids, prior, active, text_hash = rows.n, rows.m, rows.ids, rows.prior, rows.active.copy(), rows.text_hash
    candidates = exact = 0
    found_edges: list[np.ndarray] = []
    found_sims: list[np.ndarray] = []
    searched = np.zeros(n, dtype=bool)
    while (to_search := active & ~searched).any():
        count, good, sims, verified_exactly = search(to_search, searched)
        searched |= to_search
        candidates += count
        exact += verified_exactly
        found_edges.append(good)
        found_sims.append(sims)
        reached = np.zeros(n, dtype=bool)
        reached[good.ravel()] = True
        reached[:m] |= np.isin(prior[:m], prior[reached])
        active |= reached
    edges = np.concatenate(found_edges) if found_edges else np.empty((0, 2), np.int64)
    edge_sims = np.concatenate(found_sims) if found_sims else np.empty(0)
    edges, first = np.unique(edges.reshape(-1, 2).astype(np.int64), axis=0, return_index=True)
    edge_sims = edge_sims[first]

    # Rows decided now: every active row. The others keep their earlier decision.
    winner, sims = _centres(n, np.flatnonzero(active), edges, edge_sims, rows.rank)
    unchanged = ~active
    winner[unchanged] = prior[unchanged]

    is_copy = winner != np.arange(n)
    duplicate_of = np.where(is_copy, ids[winner], None)
    kinds = np.where(is_copy, np.where(text_hash == text_hash[winner], "exact", "near"), "")
    decisions = _decision_table(ids[m:].tolist(), duplicate_of[m:].tolist(), sims[m:], kinds[m:].tolist())
    changed = [int(r) for r in np.flatnonzero(active[:m]) if duplicate_of[r] != was_duplicate_of.get(ids[r])]
    changes = _change_table(
        [str(ids[r]) for r in changed],
        [was_duplicate_of.get(ids[r]) for r in changed],
        [duplicate_of[r] for r in changed],
        sims[changed],
        [str(kinds[r]) for r in changed],
    )
    decided = np.flatnonzero(active)
    centres, sizes = np.unique(winner[decided], return_counts=True)
    new_members = np.bincount(np.searchsorted(centres, winner[decided][decided >= m]), minlength=len(centres))
    clusters = [(str(ids[c]), int(s), int(k)) for c, s, k in zip(centres, sizes, new_members) if s > 1]
    clusters.sort(key=lambda c: (-c[1], c[0]))
    stats = {
        "candidate_pairs": int(candidates),
        "verified_pairs": int(len(edges)),
        "exactly_verified_pairs": int(exact),
        "clusters_with_duplicates": len(clusters),
        "largest_cluster": max((c[1] for c in clusters), default=1),
    }
    return Clustering(decisions, changes, clusters, stats)


def verify(left_sigs: np.ndarray, right_sigs: np.ndarray, left_hash: np.ndarray, right_hash: np.ndarray,
           left_ids: np.ndarray, right_ids: np.ndarray, settings: MinHashSettings, threshold: float,
           texts: Texts | None) -> tuple[np.ndarray, int]:
    """The similarity of each candidate pair (rows of the two sides), and how many were settled on the texts.

    Equal texts are copies (similarity 1). A text with no shingles matches
    nothing else. Otherwise the MinHash estimate decides, except near the
    threshold, where the exact Jaccard similarity of the two texts does.
    """
    sims = similarity(left_sigs, right_sigs).astype(np.float64)
    empty = (left_sigs == EMPTY).all(axis=1) | (right_sigs == EMPTY).all(axis=1) if len(left_sigs) else np.zeros(0, bool)
    same_text = left_hash == right_hash
    sims[empty] = 0.0
    sims[same_text] = 1.0
    near = ~same_text & ~empty & (np.abs(sims - threshold) < EXACT_MARGIN)
    if texts is None or not near.any():
        return sims, 0
    rows = np.flatnonzero(near)
    wanted = sorted({str(i) for i in np.concatenate([left_ids[rows], right_ids[rows]])})
    found = texts(wanted)
    missing = [doc_id for doc_id in wanted if doc_id not in found]
    if missing:
        raise LookupError(f"texts of {len(missing)} documents to verify are missing (e.g. {missing[0]})")
    sims[rows] = settings.exact_similarity([found[left_ids[r]] for r in rows], [found[right_ids[r]] for r in rows])
    return sims, len(rows)


def _centres(n: int, rows: np.ndarray, edges: np.ndarray, edge_sims: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre clustering of ``rows``: each row's kept copy (itself when kept), and its similarity to it.

    Rows are taken in keep order; a row not yet placed is kept, and its
    unplaced neighbours become its copies. Only rows with edges need the
    Python-level walk, so the work grows with the duplicates, not the corpus.
    """
    winner = np.arange(n)
    sims = np.ones(n, dtype=np.float32)
    if not len(edges):
        return winner, sims
    both = np.concatenate([edges, edges[:, ::-1]])
    weights = np.concatenate([edge_sims, edge_sims])
    from scipy.sparse import coo_matrix  # here: scipy costs the CLI's start ~0.1 s

    graph = coo_matrix((weights, (both[:, 0], both[:, 1])), shape=(n, n)).tocsr()
    linked = rows[np.diff(graph.indptr)[rows] > 0]
    placed = np.zeros(n, dtype=bool)
    for row in linked[np.argsort(rank[linked], kind="stable")].tolist():
        if placed[row]:
            continue
        placed[row] = True
        start, end = graph.indptr[row], graph.indptr[row + 1]
        neighbours, weight = graph.indices[start:end], graph.data[start:end]
        fresh = ~placed[neighbours]
        placed[neighbours[fresh]] = True
        winner[neighbours[fresh]] = row
        sims[neighbours[fresh]] = weight[fresh]
    return winner, sims


_NO_WORK = {"candidate_pairs": 0, "verified_pairs": 0, "exactly_verified_pairs": 0, "clusters_with_duplicates": 0, "largest_cluster": 0}


def _decision_table(doc_ids: list, duplicate_of: list, sims: np.ndarray, kinds: list) -> pa.Table:
    return pa.table(
        {
            "doc_id": pa.array(doc_ids, pa.string()),
            "duplicate_of": pa.array(duplicate_of, pa.string()),
            "similarity": pa.array(sims, pa.float32()),
            "kind": pa.array(kinds, pa.string()),
        }
    )


def _change_table(doc_ids: list, was: list, duplicate_of: list, sims: np.ndarray, kinds: list) -> pa.Table:
    table = _decision_table(doc_ids, duplicate_of, np.asarray(sims, np.float32), kinds)
    return table.append_column("was_duplicate_of", pa.array(was, pa.string()))
