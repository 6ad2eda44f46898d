"""Publish one run: its new parts, the earlier parts dedup changed, the ledger, all at once.

Once cross-page dedup has decided, `publish` turns the staged batches into
this run's part of each table, rewrites the earlier parts that dedup changed
(a kept copy replaced by a better new one, rows of a raw file that changed),
builds the ledger, and writes all of it to hidden temp files. `commit` then
makes it visible in one step through `store.commit`. Nothing visible changes
before that. The layout of the output folder is described in `pipeline.store.layout`.
"""

from __future__ import annotations

import functools
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import store
from pipeline.core.schema import DOCUMENTS, DUPLICATES, EDGES, REJECTS
from pipeline.dedup.clusters import Clustering, Earlier
from pipeline.dedup.sketch import MinHashSettings
from pipeline.read import ledger
from pipeline.store import delta, report
from pipeline.store.layout import LEDGER, RUNS, SUMMARY_NAME, TABLES, TEMPLATES
from pipeline.store.part_writer import PartWriter, Published, true_count
from pipeline.store.report import LARGEST_CLUSTERS
from pipeline.store.rework import rework_earlier
from pipeline.store.rows import as_duplicates
from pipeline.store.staging import Staging

__all__ = ["Published", "commit", "committed_parts", "publish"]


def publish(
    staging: Staging,
    clustering: Clustering,
    plan: ledger.Plan,
    earlier: Earlier | None,
    settings: MinHashSettings,
    run: int,
    support: Path | None = None,
) -> Published:
    """Prepare this run's commit: new parts, rewritten earlier parts, ledger.

    ``earlier`` is None for a full rebuild: every earlier part is replaced.
    The ledger comes from the batches' staged `ledger.prints_table`: what each file read was, and its records.
    ``support`` is the staged template support to keep with the output (`staging.save_support`).
    Everything is written to hidden temp files; nothing visible changes until
    `commit`.
    """
    # Arrow's allocator keeps freed memory for reuse, and the dedup step just
    # freed every signature (1.4 GiB at a million documents): hand it back
    # before the documents are copied, or the process keeps both.
    pa.default_memory_pool().release_unused()
    out = staging.out_dir
    schemas = {
        "documents": DOCUMENTS,
        "duplicates": DUPLICATES,
        "rejects": REJECTS,
        "signatures": settings.schema,
        "edges": EDGES,
    }
    writing = ThreadPoolExecutor(1, thread_name_prefix="docclean-write")
    writers = {name: PartWriter(store.part_path(out, name, run), schema, writing) for name, schema in schemas.items()}
    done = Published(run=run)
    wanted = {kept for kept, _, _ in clustering.clusters[:LARGEST_CLUSTERS]}
    wanted_ids = pa.array(sorted(wanted), pa.string())
    try:
        offset = 0
        decisions = clustering.decisions
        for part, batch in store.read_ahead(
            staging.parts("documents"), functools.partial(store.read_part, schema=DOCUMENTS)
        ):
            decided = decisions.slice(offset, batch.num_rows)
            offset += batch.num_rows
            if batch.column("doc_id") != decided.column("doc_id"):
                raise ValueError(f"{part.name}: documents and dedup decisions are out of step")
            is_duplicate = pc.is_valid(decided.column("duplicate_of"))
            writers["documents"].write(batch.filter(pc.invert(is_duplicate)))
            duplicates = as_duplicates(batch.filter(is_duplicate), decided.filter(is_duplicate))
            writers["duplicates"].write(duplicates)
            # Looked up in Arrow: a Python string per row cost more than copying the rows.
            named = batch.filter(pc.is_in(batch.column("doc_id"), value_set=wanted_ids))
            for doc_id, title, source in zip(
                *(named.column(c).to_pylist() for c in ("doc_id", "title", "source_path"))
            ):
                done.titles[doc_id] = (title, source)
            for counted in pc.value_counts(pc.list_flatten(batch.column("flags"))).to_pylist():
                done.flags[counted["values"]] += counted["counts"]
            done.counts["repeated_blocks"] += true_count(batch.column("repeated_blocks_removed"))
            done.counts.update(f"kind:{kind}" for kind in duplicates.column("kind").to_pylist())
        done.counts["of_earlier"] = _copies_of_earlier(decisions)
        if offset != decisions.num_rows:
            raise ValueError(f"{decisions.num_rows} dedup decisions for {offset} staged documents")
        for _, table in store.read_ahead(staging.parts("rejects"), functools.partial(store.read_part, schema=REJECTS)):
            writers["rejects"].write(table)
            done.reasons.update(table.column("reason").to_pylist())
        for _, table in store.read_ahead(
            staging.parts("signatures"), functools.partial(store.read_part, schema=settings.schema)
        ):
            writers["signatures"].write(table)
        for _, table in store.read_ahead(staging.parts("edges"), functools.partial(store.read_part, schema=EDGES)):
            writers["edges"].write(table)

        if earlier is None:
            for name in TABLES:
                done.delete.extend(store.parts(out, name))
        else:
            rework_earlier(out, clustering.changes, earlier.removed, set(plan.changed), set(plan.reread), writers, done)
        if wanted - done.titles.keys():
            done.titles.update(_titles(out, wanted - done.titles.keys()))

        earlier_ledger = None
        if earlier is not None and store.parts(out, LEDGER):
            earlier_ledger = store.read_table(out, LEDGER)
        files_table = ledger.ledger_rows(
            [store.read_part(part) for part in staging.parts("files")], run, earlier_ledger
        )
        _write_whole(store.part_path(out, LEDGER, 0), functools.partial(ledger.write_ledger, files_table), done)
        if support is not None:
            _write_whole(store.part_path(out, TEMPLATES, 0), functools.partial(shutil.copyfile, support), done)

        for name, writer in writers.items():
            remaining = [p for p in store.parts(out, name) if p not in done.delete]
            temp = writer.finish(even_if_empty=not remaining)
            if temp is not None:
                done.replace.append((temp, writer.final))
                if writer.rows:
                    # The empty part an earlier run wrote only so that the table had a file has done its work.
                    done.delete.extend(p for p in remaining if pq.ParquetFile(p).metadata.num_rows == 0)
            done.rows[name] = writer.rows
    except BaseException:
        for writer in writers.values():
            writer.abort()
        done.discard()
        raise
    finally:
        writing.shutdown()
    done.totals = _totals_after(out, done.replace, done.delete)
    done.totals["records"] = true_count(files_table.column("records"))
    done.totals["files"] = files_table.num_rows
    return done


def _write_whole(final: Path, write: Callable[[Path], Any], done: Published) -> None:
    """A table rewritten whole every run (the ledger, the template support), written by ``write(temp)`` for the commit."""
    temp = store.temp_path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    write(temp)
    store.fsync_file(temp)
    done.replace.append((temp, final))


def _copies_of_earlier(decisions: pa.Table) -> int:
    """New documents that are copies of a document of an earlier run (their kept copy is not new)."""
    kept = decisions.column("duplicate_of").drop_null()
    return len(kept) - pc.sum(pc.is_in(kept, value_set=decisions.column("doc_id"))).as_py() if len(kept) else 0


def commit(staging: Staging, summary: dict[str, Any], published: Published, delta_log: bool = True) -> dict[str, Any]:
    """Write the run report beside the tables and make the whole run visible at once.

    With ``delta_log`` the Delta log of each table then follows the commit
    (`pipeline.store.delta`), and the report names the version it gets; an
    output at a URL has its log written there instead (`pipeline.store.remote`).
    """
    out = staging.out_dir
    if store.pending(out):
        # An earlier attempt got as far as deciding the commit: finish that one.
        store.finish_pending(out)
        shutil.rmtree(staging.path, ignore_errors=True)
        if delta_log:
            delta.sync_output(out, summary["run"])
        return summary
    if delta_log:
        after = committed_parts(out, published.replace, published.delete, tuple(delta.DELTA_TABLES))
        summary["delta_versions"] = delta.sync_local(out, summary["run"], after, commit=False)
    text = json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n"
    run_file = out / RUNS / f"run-{summary['run']:06d}.json"
    replace = [*published.replace, (store.write_text_temp(run_file, text), run_file)]
    replace.append((store.write_text_temp(out / SUMMARY_NAME, text), out / SUMMARY_NAME))
    replace.append((store.write_text_temp(out / store.CARD_NAME, report.dataset_card(summary)), out / store.CARD_NAME))
    store.commit(out, replace, published.delete)
    shutil.rmtree(staging.path, ignore_errors=True)
    if delta_log:
        delta.sync_output(out, summary["run"])
    return summary


def _titles(out: Path, ids: set[str]) -> dict[str, tuple[str | None, str]]:
    found: dict[str, tuple[str | None, str]] = {}
    wanted = pa.array(sorted(ids), pa.string())
    for name in ("documents", "duplicates"):
        for part in store.parts(out, name):
            table = pq.read_table(part, columns=["doc_id", "title", "source_path"])
            table = table.filter(pc.is_in(table.column("doc_id"), value_set=wanted))
            for doc_id, title, source in zip(
                *(table.column(c).to_pylist() for c in ("doc_id", "title", "source_path"))
            ):
                found[doc_id] = (title, source)
    return found


def committed_parts(out: Path, replace: list, delete: list, names: Sequence[str] = TABLES) -> dict[str, list[Path]]:
    """The parts of each table once a commit of ``replace`` (temp, final) and ``delete`` is applied, by final name."""
    finals = {final for _, final in replace}
    return {
        name: sorted(
            {p for p in store.parts(out, name) if p not in delete} | {f for f in finals if f.parent == out / name}
        )
        for name in names
    }


def _totals_after(out: Path, replace: list, delete: list) -> dict[str, int]:
    """Rows in each table once the commit is applied."""
    pending = {final: temp for temp, final in replace}
    after = committed_parts(out, replace, delete, ("documents", "duplicates", "rejects"))
    return {
        name: sum(pq.ParquetFile(pending.get(f, f)).metadata.num_rows for f in finals) for name, finals in after.items()
    }
