"""Where one run keeps its cleaned batches until it publishes them.

Batches are written as they finish to a hidden staging folder inside the
output folder (readers never see it: pyarrow datasets skip names starting
with '.'), by whichever process cleaned them. `pipeline.store.publish` turns them
into the run's parts once dedup has decided.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa

from pipeline.core.document import Document
from pipeline.dedup.sketch import MinHashSettings
from pipeline.store.layout import STAGED_SUFFIX, STAGING_PREFIX, read_ahead, read_part, write_parquet
from pipeline.store.rows import document_table, reject_table


@dataclass(frozen=True)
class Staging:
    """The staging folder of one run."""

    out_dir: Path
    path: Path

    def part(self, kind: str, index: int) -> Path:
        return self.path / f"{kind}-{index:06d}{STAGED_SUFFIX}"

    def parts(self, kind: str) -> list[Path]:
        return sorted(self.path.glob(f"{kind}-*{STAGED_SUFFIX}"))

    def pages(self, index: int) -> Path:
        return self.path / f"pages-{index:06d}.pickle.zst"

    def counts(self, index: int) -> Path:
        return self.path / f"counts-{index:06d}.json"


def _replace_with(final: Path, write) -> None:
    # Written beside and renamed: a batch run twice at once (Dask may do that
    # when it wrongly thinks a worker died) never leaves a half-written file.
    temp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}")
    write(temp)
    os.replace(temp, final)


def _stage_table(final: Path, table: pa.Table) -> None:
    """Write ``table`` at ``final`` (an Arrow file), whole or not at all (`_replace_with`).

    Uncompressed Arrow: written once and read once or twice within the run, it
    costs a tenth of Parquet with zstd to write and to read (publish compresses
    what it keeps). Read it with `store.read_part`.
    """

    def write(temp: Path) -> None:
        with pa.ipc.new_file(temp, table.schema) as writer:
            writer.write_table(table)

    _replace_with(final, write)


def open_staging(out_dir: Path) -> Staging:
    """A fresh staging folder; call with the output lock held."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    path.mkdir()
    return Staging(out_dir, path)


def stage_batch(staging: Staging, index: int, docs: Sequence[Document], signatures: pa.Table) -> dict[str, int]:
    """Write one cleaned batch to staging; return its counts (also kept beside the parts)."""
    documents, rejects = document_table(docs), reject_table(docs)
    if documents.num_rows != signatures.num_rows:
        raise ValueError(f"batch {index}: {documents.num_rows} documents but {signatures.num_rows} signatures")
    for kind, table in (("documents", documents), ("rejects", rejects), ("signatures", signatures)):
        _stage_table(staging.part(kind, index), table)
    counts = {"records": len(docs), "cleaned": documents.num_rows, "rejected": rejects.num_rows}
    _replace_with(staging.counts(index), lambda temp: temp.write_text(json.dumps(counts), encoding="utf-8"))
    return counts


def staged_counts(staging: Staging, index: int) -> dict[str, int] | None:
    """The counts of a batch already cleaned and staged (its task ran before), or None."""
    path = staging.counts(index)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


# The hand-off lives for one run: zstd's fastest levels halve it (a body held
# twice compresses away) for a third of the time of its default level.
_HAND_OFF_CODEC = pa.Codec("zstd", compression_level=-7)


def stage_pages(staging: Staging, index: int, docs: Sequence[Document], known: dict[str, int] | None = None) -> None:
    """Keep one batch's records between the reading and the cleaning pass (pickled, zstd-compressed).

    ``known``: the template hashes the reading pass computed for their lines (`chain.count_templates`).
    """
    data = pickle.dumps((list(docs), known or {}), protocol=pickle.HIGHEST_PROTOCOL)
    packed = _HAND_OFF_CODEC.compress(data, asbytes=True)
    _replace_with(staging.pages(index), lambda temp: temp.write_bytes(len(data).to_bytes(8, "little") + packed))


def load_pages(staging: Staging, index: int) -> tuple[list[Document], dict[str, int]]:
    """The records and template hashes `stage_pages` kept (`drop_pages` removes them once the batch is cleaned)."""
    raw = staging.pages(index).read_bytes()
    data = _HAND_OFF_CODEC.decompress(raw[8:], decompressed_size=int.from_bytes(raw[:8], "little"), asbytes=True)
    # Unpickling makes a few hundred thousand objects, none in a cycle: the collector would only walk them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if collecting:
            gc.enable()


def stage_template_texts(staging: Staging, index: int, texts: dict[int, str]) -> None:
    """Keep one batch's template texts (hash -> text) beside it: the driver looks up the few it keeps at the end."""
    table = pa.table(
        {"template_hash": pa.array(list(texts), pa.uint64()), "template": pa.array(list(texts.values()), pa.string())}
    )
    _stage_table(staging.part("template-texts", index), table)


def stage_files(staging: Staging, index: int, files: pa.Table) -> None:
    """Keep one batch's `ledger.prints_table` (what each file was when read): publish writes the ledger from them."""
    _stage_table(staging.part("files", index), files)


def stage_edges(staging: Staging, index: int, edges: pa.Table) -> None:
    """Keep one batch's edge rows (`support.EdgeRows`): publish makes them this run's part of the ``edges`` table."""
    _stage_table(staging.part("edges", index), edges)


def stage_template_rows(staging: Staging, index: int, rows: pa.Table) -> None:
    """Keep one batch's template rows (a run on a cluster counts them there: `shuffle_support`)."""
    _stage_table(staging.part("template-rows", index), rows)


def template_texts(staging: Staging, hashes: pa.Array) -> pa.Table:
    """(template_hash, template) rows of ``hashes`` among the staged template texts, one per hash found.

    A template's text is the same in every batch, and a furniture line's is in
    most of them: each is taken from the first batch that has it (kept from
    all of them, a million pages' texts were 1.4 GiB).
    """
    wanted = np.unique(hashes.to_numpy(zero_copy_only=False).astype(np.uint64))
    found = np.zeros(len(wanted), dtype=bool)
    taken = []
    for _, table in read_ahead(staging.parts("template-texts"), read_part, ahead=2):
        if found.all():
            break
        batch_hashes = table.column("template_hash").to_numpy()
        # Looked up by binary search: an Arrow is_in would build a set of every wanted hash per batch.
        at = np.minimum(np.searchsorted(wanted, batch_hashes), len(wanted) - 1)
        rows = np.flatnonzero(wanted[at] == batch_hashes)
        rows = rows[~found[at[rows]]]
        rows = rows[np.unique(at[rows], return_index=True)[1]]  # a hash once, even if a batch held it twice
        found[at[rows]] = True
        taken.append(table.take(np.sort(rows)))
    schema = pa.schema([("template_hash", pa.uint64()), ("template", pa.string())])
    return pa.concat_tables([t.cast(schema) for t in taken]) if taken else schema.empty_table()


SUPPORT_NAME = "support.parquet"


def save_support(staging: Staging, support: pa.Table) -> Path:
    """Keep the template support that goes with the output until publish copies it there (the driver need not hold it)."""
    final = staging.path / SUPPORT_NAME
    # Parquet, as publish copies it into the output.
    _replace_with(final, lambda temp: write_parquet(support, temp))
    return final


def drop_pages(staging: Staging, index: int) -> None:
    """Remove a batch's kept records once its cleaned batch is staged.

    Not before: a worker that dies in between (a killed Dask worker) leaves
    the batch to be cleaned again from the same records.
    """
    staging.pages(index).unlink(missing_ok=True)


def read_staged_signatures(staging: Staging, settings: MinHashSettings) -> pa.Table:
    """This run's signatures, every batch, in batch order."""
    parts = [read_part(p, schema=settings.schema) for p in staging.parts("signatures")]
    return pa.concat_tables(parts) if parts else settings.schema.empty_table()
