"""The earlier parts a run changes: rows dedup moved, rows of raw files that changed or are read again.

`rework_earlier` is the part of `pipeline.store.publish` that touches what
earlier runs published. A part is never changed in place: it is rewritten
under a new name without the rows that leave, and the moved rows go into this
run's new parts.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import store
from pipeline.store.part_writer import PartWriter, Published, true_count
from pipeline.store.rows import as_duplicates


def rework_earlier(
    out: Path,
    changes: pa.Table,
    removed: frozenset[str],
    changed_paths: set[str],
    reread_paths: set[str],
    writers: dict[str, PartWriter],
    done: Published,
) -> None:
    """Take the rows dedup moved, and the rows of changed and re-read raw files, out of earlier parts.

    Moved rows go into this run's parts: a kept copy that a new copy replaces
    becomes a duplicate, a duplicate whose kept copy changed is re-pointed (or
    promoted to kept when its cluster has no better copy left). The rows of
    a file read again (`run.reread`) are this run's rows now, cleaned anew.
    """
    changed_ids = changes.column("doc_id")
    gone = pa.array(sorted(removed), pa.string())
    again = pa.array(sorted(reread_paths), pa.string())
    for name in ("documents", "duplicates"):
        for part in store.parts(out, name):
            ids = pq.read_table(part, columns=["doc_id"]).column("doc_id")
            moving = pc.is_in(ids, value_set=changed_ids)
            leaving = pc.is_in(ids, value_set=gone)
            if not (pc.any(moving).as_py() or pc.any(leaving).as_py()):
                continue
            table = pq.read_table(part)
            moved = table.filter(moving)
            decided = _lookup(changes, moved.column("doc_id"))
            now_kept = pc.is_null(decided.column("duplicate_of"))
            writers["documents"].write(moved.filter(now_kept))
            writers["duplicates"].write(
                as_duplicates(moved.filter(pc.invert(now_kept)), decided.filter(pc.invert(now_kept)))
            )
            # A part can lose rows of a changed file without any row moving:
            # every count must hold for an empty selection too.
            kept_now = true_count(now_kept)
            if name == "documents":
                done.counts["replaced_kept"] += moved.num_rows - kept_now
            else:
                # A duplicate of a changed kept copy that points at its new version again was verified again.
                same = true_count(
                    pc.fill_null(pc.equal(decided.column("duplicate_of"), decided.column("was_duplicate_of")), False)
                )
                done.counts["promoted"] += kept_now
                done.counts["repointed"] += moved.num_rows - kept_now - same
                done.counts["reverified"] += same
            _count_leaving(table.column("source_path"), leaving, again, done)
            _rewrite(part, pc.invert(pc.or_(moving, leaving)), done)
    leaving_paths = pa.array(sorted(changed_paths | reread_paths), pa.string())
    if len(leaving_paths):
        for part in store.parts(out, "rejects"):
            paths = pq.read_table(part, columns=["source_path"]).column("source_path")
            leaving = pc.is_in(paths, value_set=leaving_paths)
            if pc.any(leaving).as_py():
                _count_leaving(paths, leaving, again, done)
                _rewrite(part, pc.invert(leaving), done)
        for part in store.parts(out, "edges"):
            leaving = pc.is_in(
                pq.read_table(part, columns=["source_path"]).column("source_path"), value_set=leaving_paths
            )
            if pc.any(leaving).as_py():
                _rewrite(part, pc.invert(leaving), done)
    if len(gone):
        for part in store.parts(out, "signatures"):
            leaving = pc.is_in(pq.read_table(part, columns=["doc_id"]).column("doc_id"), value_set=gone)
            if pc.any(leaving).as_py():
                _rewrite(part, pc.invert(leaving), done)


def _count_leaving(paths: pa.ChunkedArray, leaving: pa.ChunkedArray, again: pa.Array, done: Published) -> None:
    """Count the earlier rows that leave: of changed files (``removed``), or of files read again (``reread``)."""
    reread = pc.and_(leaving, pc.is_in(paths, value_set=again)) if len(again) else None
    count = true_count(reread) if reread is not None else 0
    done.counts["reread"] += count
    done.counts["removed"] += true_count(leaving) - count


def _lookup(changes: pa.Table, ids: pa.ChunkedArray | pa.Array) -> pa.Table:
    """The rows of ``changes`` for ``ids``, in that order."""
    index = pc.index_in(ids, value_set=changes.column("doc_id"))
    return changes.take(index)


def _rewrite(part: Path, keep: pa.Array, done: Published) -> None:
    """Rewrite one earlier part without the rows ``keep`` drops, under a new name (or delete it if none stay).

    A part is never changed in place: the Delta log (`pipeline.store.delta`)
    of an earlier version still names it, with its size and row count.
    """
    table = pq.read_table(part)
    kept = table.filter(keep)
    done.delete.append(part)
    if kept.num_rows == 0:
        return
    final = store.rewritten_path(part, done.run)
    temp = store.temp_path(final)
    store.write_parquet(kept, temp)
    store.fsync_file(temp)
    done.replace.append((temp, final))
