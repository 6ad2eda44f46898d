"""Cross-page dedup on a Dask cluster, with no signature in the driver process.

The same decisions as `dedup.cluster`, from the same search, done where the
signatures are:

1. Every part of the signatures index (the earlier runs' parts, minus the
   rows of changed raw files, then this run's staged parts) becomes, on a
   worker, one row per (document, band): ``band, key, row, rank``. That Dask
   DataFrame is shuffled by band key, so each LSH bucket lands whole in one
   partition, and kept in the workers' memory for the rounds of the search.
2. Each round of `clusters.decide` asks for the pairs of the buckets that hold a
   row to search: each partition gives them by the rule of
   `dedup.candidate_pairs` (`partition_pairs`).
3. The pairs are shuffled by the part that holds their left row, whose
   signatures a task reads and attaches; then by the part of their right
   row, where a task reads the other signatures and verifies each pair
   (`dedup.verify`, texts read from the Parquet parts for pairs near the
   threshold). Only verified edges and two counts reach the driver.

The driver holds `clusters.Rows` (doc_id, keep rank, text hash, earlier
decisions: about 40 bytes a document plus its doc_id) and the edges; the
centre clustering and the keep policy run there, as on one machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.config import Config
from pipeline.dedup import search
from pipeline.dedup.clusters import (
    SMALL_COLUMNS,
    Clustering,
    Earlier,
    Texts,
    decide,
    earlier_rows,
    nothing_to_decide,
    prepare,
)
from pipeline.dedup.search import _matrix, verify
from pipeline.dedup.settings import DedupSettings
from pipeline.dedup.sketch import MinHashSettings
from pipeline.store.layout import read_part

# Band rows per partition of the shuffled table, and pairs per partition of the pair shuffles.
ROWS_PER_PARTITION = 2_000_000


@dataclass(frozen=True)
class Part:
    """One Parquet part of the signatures index: where its rows start, and which of them take part (None: all)."""

    path: str
    offset: int
    count: int
    keep: np.ndarray | None = None

    def read(self, columns: list[str], settings: MinHashSettings) -> pa.Table:
        table = read_part(self.path, columns=columns)
        return table.filter(pa.array(self.keep)) if self.keep is not None else table


def band_rows(part: Part, rank: np.ndarray, settings: MinHashSettings) -> pd.DataFrame:
    """One row per (document, band) of a part: its band, band key, row number and keep rank."""
    keys = _matrix(part.read(["band_keys"], settings).column("band_keys"), settings.bands, np.uint64)
    count = len(keys)
    return pd.DataFrame(
        {
            "band": np.tile(np.arange(settings.bands, dtype=np.uint8), count),
            "key": keys.ravel(),
            "row": np.repeat(np.arange(part.offset, part.offset + count, dtype=np.int64), settings.bands),
            "rank": np.repeat(rank.astype(np.int64), settings.bands),
        }
    )


def partition_pairs(
    frame: pd.DataFrame, to_search: np.ndarray, searched: np.ndarray, n: int, starts: np.ndarray
) -> pd.DataFrame:
    """The candidate pairs of one partition's buckets that hold a row to search (`dedup.candidate_pairs`'s rule).

    ``to_search`` and ``searched`` are bit-packed masks over all rows;
    ``starts`` the first row of each part, to name the part of each side.
    """
    search_mask = np.unpackbits(to_search, count=n).astype(bool)
    searched_mask = np.unpackbits(searched, count=n).astype(bool)
    band, key, row, rank = (frame[c].to_numpy() for c in ("band", "key", "row", "rank"))
    order = np.lexsort((rank, key, band))
    band, key, row = band[order], key[order], row[order]
    found: list[np.ndarray] = [np.empty((0, 2), np.int64)]
    if len(row):
        first = np.flatnonzero(np.r_[True, (band[1:] != band[:-1]) | (key[1:] != key[:-1])])
        sizes = np.diff(np.r_[first, len(row)])
        hit = np.add.reduceat(search_mask[row].astype(np.int64), first) > 0
        found.extend(search.bucket_pairs(row, first[hit], sizes[hit]))
    pairs = np.unique(np.concatenate(found).astype(np.int64), axis=0)
    pairs = pairs[search_mask[pairs[:, 0]] | search_mask[pairs[:, 1]]]
    pairs = pairs[~(searched_mask[pairs[:, 0]] | searched_mask[pairs[:, 1]])]
    return pd.DataFrame(
        {
            "left": pairs[:, 0],
            "right": pairs[:, 1],
            "left_part": np.searchsorted(starts, pairs[:, 0], side="right") - 1,
            "right_part": np.searchsorted(starts, pairs[:, 1], side="right") - 1,
        }
    )


def _rows_of(
    parts: Sequence[Part], index: int, rows: np.ndarray, settings: MinHashSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signatures, text hashes and doc_ids of some rows (global numbers) of one part."""
    part = parts[index]
    table = part.read(["doc_id", "minhash", "text_hash"], settings)
    local = rows - part.offset
    sigs = _matrix(table.column("minhash"), settings.num_perm, np.uint32)[local]
    return (
        sigs,
        table.column("text_hash").to_numpy()[local],
        np.array(table.column("doc_id").to_pylist(), dtype=object)[local],
    )


def attach_left(frame: pd.DataFrame, parts: Sequence[Part], settings: MinHashSettings) -> pd.DataFrame:
    """Each distinct pair once, with its left row's signature, text hash and doc_id (read from the left rows' parts)."""
    frame = frame.drop_duplicates(["left", "right"])
    pieces = []
    for index, group in frame.groupby("left_part", sort=True):
        sigs, hashes, ids = _rows_of(parts, int(index), group["left"].to_numpy(), settings)
        pieces.append(
            pd.DataFrame(
                {
                    "left": group["left"].to_numpy(),
                    "right": group["right"].to_numpy(),
                    "right_part": group["right_part"].to_numpy(),
                    "left_sig": [bytes(s) for s in sigs],
                    "left_hash": hashes,
                    "left_id": ids,
                }
            )
        )
    return pd.concat(pieces) if pieces else _ATTACHED.copy()


def verify_partition(
    frame: pd.DataFrame, parts: Sequence[Part], dedup: DedupSettings, texts: Texts | None
) -> tuple[int, np.ndarray, np.ndarray, int]:
    """Verify one partition's pairs against their right rows' parts: (pairs, verified edges, similarities, settled on texts).

    One `dedup.verify` call for the whole partition, so the texts of its pairs near
    the threshold are fetched in one pass over the documents' parts.
    """
    if not len(frame):
        return 0, np.empty((0, 2), np.int64), np.empty(0), 0
    settings = dedup.minhash
    frame = frame.sort_values("right_part", kind="stable")
    right_sigs, right_hash, right_ids = [], [], []
    for index, group in frame.groupby("right_part", sort=True):
        sigs, hashes, ids = _rows_of(parts, int(index), group["right"].to_numpy(), settings)
        right_sigs.append(sigs)
        right_hash.append(hashes)
        right_ids.append(ids)
    left_sigs = np.frombuffer(b"".join(frame["left_sig"]), dtype=np.uint32).reshape(len(frame), settings.num_perm)
    found, settled = verify(
        left_sigs,
        np.concatenate(right_sigs),
        frame["left_hash"].to_numpy().astype(np.uint64),
        np.concatenate(right_hash),
        frame["left_id"].to_numpy(),
        np.concatenate(right_ids),
        dedup,
        texts,
    )
    good = found >= dedup.threshold
    edges = np.stack([frame["left"].to_numpy(), frame["right"].to_numpy()], axis=1)[good]
    return len(frame), edges, found[good], settled


_PAIRS = pd.DataFrame({c: pd.Series(dtype="int64") for c in ("left", "right", "left_part", "right_part")})
_ATTACHED = pd.DataFrame(
    {
        "left": pd.Series(dtype="int64"),
        "right": pd.Series(dtype="int64"),
        "right_part": pd.Series(dtype="int64"),
        "left_sig": pd.Series(dtype=object),
        "left_hash": pd.Series(dtype="uint64"),
        "left_id": pd.Series(dtype=object),
    }
)


def index_parts(
    earlier_paths: Sequence[Path], staged_paths: Sequence[Path], earlier: Earlier | None, settings: MinHashSettings
) -> tuple[list[Part], pa.Table, pa.Table]:
    """The parts of the index in row order, and the small columns of its earlier and new rows."""
    parts: list[Part] = []
    old, new = [], []
    offset = 0
    for path in earlier_paths:
        settings.check(pq.read_schema(path), str(path))
        small = read_part(path, columns=SMALL_COLUMNS)
        keep = earlier_rows(earlier, small.column("doc_id"))
        old.append(small.filter(keep))
        parts.append(Part(str(path), offset, int(keep.sum()), None if keep.all() else keep))
        offset += int(keep.sum())
    for path in staged_paths:
        small = read_part(path, columns=SMALL_COLUMNS)
        new.append(small)
        parts.append(Part(str(path), offset, small.num_rows))
        offset += small.num_rows
    schema = pa.schema([settings.schema.field(name) for name in SMALL_COLUMNS])
    return (
        parts,
        pa.concat_tables(old) if old else schema.empty_table(),
        pa.concat_tables(new) if new else schema.empty_table(),
    )


def cluster(
    client: Any,
    earlier_paths: Sequence[Path],
    staged_paths: Sequence[Path],
    config: Config,
    earlier: Earlier | None = None,
    texts: Texts | None = None,
) -> Clustering:
    """`dedup.cluster` on ``client``'s cluster: the same `Clustering`, the driver holding no signature."""
    import dask
    import dask.dataframe as dd

    settings = config.dedup.minhash
    parts, old, new = index_parts(earlier_paths, staged_paths, earlier, settings)
    if old.num_rows + new.num_rows == 0:
        return nothing_to_decide()
    rows = prepare(old, new, config, earlier)
    parts = [part for part in parts if part.count]
    starts = np.array([part.offset for part in parts], dtype=np.int64)
    n = rows.n
    partitions = max(1, -(-n * settings.bands // ROWS_PER_PARTITION))
    meta = pd.DataFrame(
        {
            "band": pd.Series(dtype="uint8"),
            "key": pd.Series(dtype="uint64"),
            "row": pd.Series(dtype="int64"),
            "rank": pd.Series(dtype="int64"),
        }
    )
    ranks = [rows.rank[part.offset : part.offset + part.count] for part in parts]
    with dask.config.set({"dataframe.convert-string": False}):
        bands = dd.from_map(band_rows, parts, ranks, settings=settings, meta=meta, enforce_metadata=False)
        # Kept in the workers' memory for every round of the search; released when this returns.
        buckets = client.persist(bands.shuffle(on="key", npartitions=partitions))

        def search(to_search: np.ndarray, searched: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, int]:
            pairs = buckets.map_partitions(
                partition_pairs,
                np.packbits(to_search),
                np.packbits(searched),
                n,
                starts,
                meta=_PAIRS,
                enforce_metadata=False,
            )
            attached = pairs.shuffle(on="left_part", npartitions=partitions).map_partitions(
                attach_left, parts, settings, meta=_ATTACHED, enforce_metadata=False
            )
            verified = [
                dask.delayed(verify_partition)(piece, parts, config.dedup, texts)
                for piece in attached.shuffle(on="right_part", npartitions=partitions).to_delayed()
            ]
            results = client.gather(client.compute(verified))
            return (
                sum(r[0] for r in results),
                np.concatenate([r[1] for r in results]),
                np.concatenate([r[2] for r in results]),
                sum(r[3] for r in results),
            )

        return decide(rows, search, earlier.duplicate_of if earlier is not None else {})
