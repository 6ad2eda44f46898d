"""Deciding from verified pairs: keep order, centre clustering, and the decision tables.

Both searches for pairs (`dedup.cluster` in memory, `shuffle_dedup.cluster`
on a Dask cluster) end here: `prepare` builds the small per-document columns
(`Rows`) and the earlier decisions, `decide` runs the rounds of the search it
is given and centre-clusters the verified edges in keep order (see
`pipeline.dedup.search` for why centres, not connected chains).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.config import Config

Texts = Callable[[Sequence[str]], dict[str, str]]


def keep_rank(
    policy: tuple[str, ...],
    char_count: np.ndarray,
    dates: pa.Array | pa.ChunkedArray,
    meta: np.ndarray,
    doc_ids: pa.Array | pa.ChunkedArray,
) -> np.ndarray:
    """Each row's place in keep order (0 first): the row that comes first in its cluster is kept.

    Criteria of ``keep_policy`` in order, the smallest ``doc_id`` breaking the last tie.
    ``dates`` (date32) and ``doc_ids`` stay Arrow columns: no Python object per document.

    >>> ids = pa.array(["b", "a", "c"])
    >>> keep_rank(("longest",), np.array([5, 5, 9]), pa.array([None, None, None], pa.date32()), np.zeros(3), ids).tolist()
    [2, 1, 0]
    """
    far = (datetime.date.max - datetime.date(1970, 1, 1)).days + 1
    days = pc.fill_null(dates.cast(pa.int32()).cast(pa.int64()), far).to_numpy()
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
    id_order[pc.sort_indices(doc_ids).to_numpy()] = np.arange(len(doc_ids))
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
    cluster must be decided again); ``stale`` the earlier duplicates whose
    kept copy's file changed: their similarity and kind are the new text's
    even when they point at it again. About 40 bytes a row: signatures and
    band keys are not here.
    """

    ids: np.ndarray
    rank: np.ndarray
    text_hash: np.ndarray
    m: int
    prior: np.ndarray
    active: np.ndarray
    # Earlier duplicates whose kept copy left (its raw file changed): verified again even when they point at it again.
    stale: np.ndarray | None = None

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
    table = pa.concat_tables(
        [old.select(SMALL_COLUMNS).cast(new.select(SMALL_COLUMNS).schema), new.select(SMALL_COLUMNS)]
    )
    m, n = old.num_rows, table.num_rows
    was_duplicate_of = earlier.duplicate_of if earlier is not None else {}
    ids = np.array(table.column("doc_id").to_pylist(), dtype=object)
    rank = keep_rank(
        config.keep_policy,
        table.column("char_count").to_numpy(),
        table.column("date"),
        table.column("metadata_fields").to_numpy(),
        table.column("doc_id"),
    )
    old_ids = table.column("doc_id").slice(0, m)
    # Earlier decisions as rows: prior[row] is the row of its kept copy.
    prior = np.arange(n)
    active = np.zeros(n, dtype=bool)
    active[m:] = True
    stale = np.zeros(n, dtype=bool)
    if was_duplicate_of:
        # Looked up among earlier rows only: a changed file's new rows reuse its doc_ids.
        dupes = pc.index_in(pa.array(list(was_duplicate_of), pa.string()), value_set=old_ids)
        kept = pc.index_in(pa.array(list(was_duplicate_of.values()), pa.string()), value_set=old_ids)
        listed = pc.is_valid(dupes).to_numpy(zero_copy_only=False)
        dupe_rows = dupes.to_numpy(zero_copy_only=False)[listed].astype(np.int64)
        kept_rows = kept.to_numpy(zero_copy_only=False)[listed]
        kept_known = ~np.isnan(kept_rows.astype(float))
        prior[dupe_rows[kept_known]] = kept_rows[kept_known].astype(np.int64)
        # A duplicate whose kept copy left is decided again, and verified again if it points at its new version.
        active[dupe_rows[~kept_known]] = True
        stale[dupe_rows[~kept_known]] = True
    if earlier is not None and earlier.removed:
        left_clusters = {was_duplicate_of.get(doc_id, doc_id) for doc_id in earlier.removed}
        leaving = pc.is_in(old_ids, value_set=pa.array(sorted(left_clusters), pa.string()))
        active[:m] |= np.isin(prior[:m], np.flatnonzero(leaving.to_numpy(zero_copy_only=False)))
    return Rows(ids, rank, table.column("text_hash").to_numpy(), m, prior, active, stale)


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
    stale = rows.stale if rows.stale is not None else np.zeros(n, dtype=bool)
    changed = [
        int(r) for r in np.flatnonzero(active[:m]) if duplicate_of[r] != was_duplicate_of.get(ids[r]) or stale[r]
    ]
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


def _centres(
    n: int, rows: np.ndarray, edges: np.ndarray, edge_sims: np.ndarray, rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Centre clustering of ``rows``: each row's kept copy (itself when kept), and its similarity to it.

    Rows are taken in keep order; a row not yet placed is kept, and its
    unplaced neighbours become its copies. Only rows with edges need the
    Python-level walk, so the work grows with the duplicates, not the corpus.
    """
    winner = np.arange(n)
    sims = np.ones(n, dtype=np.float32)
    if not len(edges):
        return winner, sims
    indptr, indices, data = _adjacency(n, edges, edge_sims)
    linked = rows[np.diff(indptr)[rows] > 0]
    placed = np.zeros(n, dtype=bool)
    for row in linked[np.argsort(rank[linked], kind="stable")].tolist():
        if placed[row]:
            continue
        placed[row] = True
        start, end = indptr[row], indptr[row + 1]
        neighbours, weight = indices[start:end], data[start:end]
        fresh = ~placed[neighbours]
        placed[neighbours[fresh]] = True
        winner[neighbours[fresh]] = row
        sims[neighbours[fresh]] = weight[fresh]
    return winner, sims


def _adjacency(n: int, edges: np.ndarray, edge_sims: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The undirected graph of ``edges`` as CSR arrays (indptr, neighbours, similarity), a repeated pair's similarities summed.

    What scipy's ``coo_matrix(...).tocsr()`` gives, without importing scipy.sparse (0.17 s a run).

    >>> indptr, indices, data = _adjacency(4, np.array([[0, 2], [3, 2]]), np.array([0.9, 0.8]))
    >>> indptr.tolist(), indices.tolist(), data.tolist()
    ([0, 1, 1, 3, 4], [2, 0, 3, 2], [0.9, 0.9, 0.8, 0.8])
    """
    both = np.concatenate([edges, edges[:, ::-1]]).astype(np.int64)
    key, inverse = np.unique(both[:, 0] * n + both[:, 1], return_inverse=True)
    data = np.bincount(
        inverse.ravel(), weights=np.concatenate([edge_sims, edge_sims]).astype(np.float64), minlength=len(key)
    )
    source, indices = np.divmod(key, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(source, minlength=n), out=indptr[1:])
    return indptr, indices, data


_NO_WORK = {
    "candidate_pairs": 0,
    "verified_pairs": 0,
    "exactly_verified_pairs": 0,
    "clusters_with_duplicates": 0,
    "largest_cluster": 0,
}


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


def nothing_to_decide() -> Clustering:
    """The `Clustering` of a run with no document, new or earlier."""
    return Clustering(
        _decision_table([], [], np.empty(0, np.float32), []), _change_table([], [], [], [], []), [], dict(_NO_WORK)
    )
