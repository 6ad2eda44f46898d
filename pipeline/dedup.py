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

Runs are incremental: `cluster` takes the signatures of this run's new
documents and, as `Earlier`, the index of every document earlier runs kept or
marked as a duplicate. Only band buckets that hold a new document are
searched; earlier clusters are joined as they were, so the result equals
clustering everything at once (see `cluster`).

All of it works on columns (doc ids, a signature matrix, band keys), not on
documents, so it can run as table operations on a larger engine.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

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
            "text_hash": pa.array([xxhash.xxh3_64_intdigest(d.text.encode("utf-8")) for d in kept], pa.uint64()),
        },
        schema=schema,
    )


def _matrix(column: pa.ChunkedArray | pa.Array, width: int, dtype: type) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column.flatten().to_numpy(zero_copy_only=False).astype(dtype, copy=False).reshape(-1, width)


def candidate_pairs(keys: np.ndarray, rank: np.ndarray | None = None, active: np.ndarray | None = None) -> np.ndarray:
    """Row pairs that share a band key, as an (m, 2) array ordered by ``rank``.

    ``rank`` orders rows (doc_id order, so that results do not depend on
    input order); ``active`` marks the rows whose buckets are searched, and
    only pairs with at least one active row are returned. Each searched
    bucket is taken whole, so a pair is found exactly as it would be if every
    row were active.
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


def _pair_similarity(sigs: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Estimated similarity of rows ``left[k]`` and ``right[k]`` of ``sigs``, for every k.

    Rows are gathered ``VERIFY_CHUNK`` pairs at a time: gathered for every
    pair at once, they would be the dedup step's largest arrays.
    """
    scores = np.empty(len(left), dtype=np.float64)
    for start in range(0, len(left), VERIFY_CHUNK):
        end = start + VERIFY_CHUNK
        scores[start:end] = similarity(sigs[left[start:end]], sigs[right[start:end]])
    return scores


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
    return np.array([find(i) for i in range(n)], dtype=np.int64)


def _keep_order(policy: tuple[str, ...], char_count: np.ndarray, dates: list, meta: np.ndarray, doc_ids: np.ndarray):
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
        parts.append(str(doc_ids[row]))
        return tuple(parts)

    return key


@dataclass(frozen=True)
class Earlier:
    """What earlier runs left behind, as read from the output folder.

    ``signatures``: the signature index (`schema.signatures_schema`) of every
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
    (the keep policy prefers it), duplicates re-pointed at the new kept copy,
    and duplicates promoted because their kept copy left with a changed file.
    ``clusters``: every cluster this run touched that has copies, largest
    first: (kept doc_id, size, new members).
    """

    decisions: pa.Table
    changes: pa.Table
    clusters: list[tuple[str, int, int]]
    stats: dict[str, int]


def cluster(signatures: pa.Table, config: Config, earlier: Earlier | None = None) -> Clustering:
    """Decide, for every new document, whether it is kept or a copy of which one.

    Candidates are pairs that share a band key in a bucket holding a new
    document (or a member of an earlier cluster that lost a member); every
    candidate is verified against ``dedup_threshold`` on the full signature.
    Verified pairs join clusters (earlier clusters count as already joined);
    each cluster keeps one document by ``keep_policy``. Because edges depend
    only on the two signatures and their whole buckets, running over the files
    in several runs gives the same clusters as one run over all of them, up
    to buckets of more than ``ALL_PAIRS_BUCKET`` documents, which are checked
    as a star.
    """
    columns = ["doc_id", "minhash", "band_keys", "char_count", "date", "metadata_fields", "text_hash"]
    new = signatures.select(columns)
    old = earlier.signatures.select(columns).cast(new.schema) if earlier is not None else new.schema.empty_table()
    was_duplicate_of = earlier.duplicate_of if earlier is not None else {}
    if earlier is not None and earlier.removed:
        old = old.filter(pc.invert(pc.is_in(old.column("doc_id"), value_set=pa.array(sorted(earlier.removed), pa.string()))))
    table = pa.concat_tables([old, new])
    m, n = old.num_rows, table.num_rows
    if n == 0:
        return Clustering(_decision_table([], [], np.empty(0, np.float32), []), _change_table([], [], [], [], []), [], dict(_NO_WORK))
    ids = np.array(table.column("doc_id").to_pylist(), dtype=object)
    sigs = _matrix(table.column("minhash"), config.num_perm, np.uint32)
    keys = _matrix(table.column("band_keys"), config.lsh_bands, np.uint64)
    text_hash = table.column("text_hash").to_numpy()

    # Earlier decisions as rows: prior[row] is the row of its kept copy. A
    # cluster whose kept copy or any member left is worked out again from its
    # remaining members ("dissolved"), since that member may have joined them.
    prior = np.arange(n)
    active = np.zeros(n, dtype=bool)
    active[m:] = True
    if was_duplicate_of:
        # Looked up among earlier rows only: a changed file's new rows reuse its doc_ids.
        dupes = pc.index_in(pa.array(list(was_duplicate_of), pa.string()), value_set=old.column("doc_id"))
        kept = pc.index_in(pa.array(list(was_duplicate_of.values()), pa.string()), value_set=old.column("doc_id"))
        listed = pc.is_valid(dupes).to_numpy(zero_copy_only=False)
        dupe_rows = dupes.to_numpy(zero_copy_only=False)[listed].astype(np.int64)
        kept_rows = kept.to_numpy(zero_copy_only=False)[listed]
        kept_known = ~np.isnan(kept_rows.astype(float))
        prior[dupe_rows[kept_known]] = kept_rows[kept_known].astype(np.int64)
        # A duplicate whose kept copy left marks its cluster for a new look.
        active[dupe_rows[~kept_known]] = True
    if earlier is not None and earlier.removed:
        removed_clusters = {was_duplicate_of.get(doc_id, doc_id) for doc_id in earlier.removed}
        leaving = pc.is_in(old.column("doc_id"), value_set=pa.array(sorted(removed_clusters), pa.string()))
        leaving_rows = np.flatnonzero(leaving.to_numpy(zero_copy_only=False))
        active[:m] |= np.isin(prior[:m], leaving_rows)
    dissolved = np.flatnonzero(active[:m])
    prior[dissolved] = dissolved

    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(n)
    pairs = candidate_pairs(keys, rank, active if m else None)
    good = pairs[_pair_similarity(sigs, pairs[:, 0], pairs[:, 1]) >= config.dedup_threshold]

    # The rows that may join a cluster: rows in verified pairs, and every member
    # of an earlier cluster one of those belongs to. Other active rows (most
    # new articles) stay on their own, so the Python-level work below grows
    # with the duplicates, not with the corpus.
    touched = np.zeros(n, dtype=bool)
    touched[good.ravel()] = True
    touched |= np.isin(prior, np.unique(prior[touched]))
    rows = np.flatnonzero(touched)
    local = np.full(n, -1, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    edges = np.concatenate([good, np.stack([rows, prior[rows]], axis=1)])
    labels = _components(len(rows), local[edges])

    char_count = table.column("char_count").to_numpy()
    dates = table.column("date").to_pylist()
    meta = table.column("metadata_fields").to_numpy()
    order_key = _keep_order(config.keep_policy, char_count, dates, meta, ids)
    members: dict[int, list[int]] = {}
    for row, label in zip(rows, labels):
        members.setdefault(int(label), []).append(int(row))
    winner = np.arange(n)
    clusters = []
    for group in members.values():
        best = min(group, key=order_key)
        winner[group] = best
        if len(group) > 1:
            clusters.append((str(ids[best]), len(group), sum(1 for r in group if r >= m)))
    clusters.sort(key=lambda c: (-c[1], c[0]))

    is_copy = winner != np.arange(n)
    # A kept row's similarity to itself is 1; only copies are compared.
    sims = np.ones(n, dtype=np.float32)
    copies = np.flatnonzero(is_copy)
    sims[copies] = _pair_similarity(sigs, copies, winner[copies])
    duplicate_of = np.where(is_copy, ids[winner], None)
    kinds = np.where(is_copy, np.where(text_hash == text_hash[winner], "exact", "near"), "")
    decisions = _decision_table(ids[m:].tolist(), duplicate_of[m:].tolist(), sims[m:], kinds[m:].tolist())
    # Earlier rows that may have changed: those in clusters, and active ones
    # left on their own (a duplicate whose kept copy's file changed).
    candidates = np.flatnonzero((touched | active) & (np.arange(n) < m))
    changed = [int(r) for r in candidates if duplicate_of[r] != was_duplicate_of.get(ids[r])]
    changes = _change_table(
        [str(ids[r]) for r in changed],
        [was_duplicate_of.get(ids[r]) for r in changed],
        [duplicate_of[r] for r in changed],
        sims[changed],
        [str(kinds[r]) for r in changed],
    )
    stats = {
        "candidate_pairs": int(len(pairs)),
        "verified_pairs": int(len(good)),
        "clusters_with_duplicates": len(clusters),
        "largest_cluster": max((c[1] for c in clusters), default=1),
    }
    return Clustering(decisions, changes, clusters, stats)


_NO_WORK = {"candidate_pairs": 0, "verified_pairs": 0, "clusters_with_duplicates": 0, "largest_cluster": 0}


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
