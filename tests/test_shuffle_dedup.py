"""Dedup on the Dask cluster (band-key shuffle, pairs verified where their signatures are) decides as on one machine.

The bucket rule is checked against `dedup.candidate_pairs` on random band keys split over
partitions; then whole runs on a real scheduler and two workers are checked against local
runs: a first run with near-duplicates settled on their texts and a bucket too big for all
pairs, and an incremental run with new copies, changed files and a better copy of a kept one.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from conftest import read_tables, run_pipeline

from flows.cli import main
from pipeline import store
from pipeline.core.config import Config
from pipeline.dedup import search, shuffle_dedup


@pytest.mark.parametrize("seed", range(6))
def test_buckets_split_over_partitions_give_the_pairs_of_one_machine(seed):
    rng = np.random.default_rng(seed)
    n, bands = int(rng.integers(50, 400)), 4
    # Few distinct keys: buckets of every size, some over ALL_PAIRS_BUCKET.
    keys = rng.integers(0, int(rng.integers(3, 60)), size=(n, bands)).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rank = rng.permutation(n)
    to_search = rng.random(n) < rng.uniform(0.05, 1.0)
    searched = ~to_search & (rng.random(n) < 0.3)
    expected = search.candidate_pairs(keys, rank, to_search)
    expected = expected[~(searched[expected[:, 0]] | searched[expected[:, 1]])]

    rows = np.repeat(np.arange(n), bands)
    frame = {"band": np.tile(np.arange(bands, dtype=np.uint8), n), "key": keys.ravel(), "row": rows, "rank": rank[rows]}
    import pandas as pd

    frame = pd.DataFrame(frame)
    partitions = int(rng.integers(1, 5))
    starts = np.array([0, n // 2], dtype=np.int64)
    found = [
        shuffle_dedup.partition_pairs(piece, np.packbits(to_search), np.packbits(searched), n, starts)
        for _, piece in frame.groupby(frame["key"] % np.uint64(partitions))
    ]
    pairs = pd.concat(found).drop_duplicates(["left", "right"]).sort_values(["left", "right"])
    assert np.array_equal(pairs[["left", "right"]].to_numpy(), expected)
    assert np.array_equal(pairs["left_part"].to_numpy(), (pairs["left"].to_numpy() >= n // 2).astype(int))


def write_pages(raw, rng: random.Random, pool, start: int, count: int) -> None:
    """Pages of five paragraphs from a small shared set: many pairs land near the threshold."""
    paragraphs = [p for p in pool.paragraphs if 60 <= len(p) <= 200][:40]
    for k in range(start, start + count):
        folder = raw / f"{k // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        body = rng.sample(paragraphs, 5)
        (folder / f"{k:05d}.txt").write_text(rng.choice(pool.titles) + "\n" + "\n".join(body) + "\n", encoding="utf-8")


def stats(out) -> dict:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {
        key: summary[key]
        for key in (
            "candidate_pairs",
            "verified_pairs",
            "exactly_verified_pairs",
            "clusters_with_duplicates",
            "largest_cluster",
            "duplicates",
            "documents",
        )
    }


def test_runs_on_the_cluster_dedup_as_runs_on_one_machine_full_and_incremental(dask_cluster, tmp_path):
    from bench.gallery import layouts

    pool = layouts.load_pool()
    rng = random.Random(11)
    raw = tmp_path / "raw"
    write_pages(raw, rng, pool, 0, 300)
    # One story printed 40 times: its buckets are checked as a star, not all pairs.
    story = (raw / "00" / "00000.txt").read_text(encoding="utf-8")
    (raw / "copies").mkdir()
    for k in range(40):
        (raw / "copies" / f"{k:02d}.txt").write_text(story, encoding="utf-8")
    config = Config.from_mapping({"batch_size": 40})
    local, ours = tmp_path / "local", tmp_path / "cluster"
    cluster_args = ["--cluster", dask_cluster.address, "--set", "batch_size=40"]

    def both() -> None:
        run_pipeline(raw, local, config)
        assert main(["run", "--raw", str(raw), "--out", str(ours), *cluster_args]) == 0
        mine, theirs = read_tables(ours), read_tables(local)
        for name in theirs:
            assert mine[name].equals(theirs[name]), name
        assert stats(ours) == stats(local)
        # The boilerplate support, counted on the cluster, and what was learned from it.
        assert store.read_table(ours, store.TEMPLATES).equals(store.read_table(local, store.TEMPLATES))
        learned = [
            json.loads((out / "summary.json").read_text(encoding="utf-8"))["boilerplate_learned"]
            for out in (ours, local)
        ]
        assert learned[0] == learned[1]

    both()
    first = stats(local)
    assert first["exactly_verified_pairs"] > 0 and first["largest_cluster"] > search.ALL_PAIRS_BUCKET
    assert first["duplicates"] > 40
    assert json.loads((local / "summary.json").read_text(encoding="utf-8"))["boilerplate_learned"], (
        "nothing learned: a weak test"
    )

    # The next day: new pages, a longer copy of a kept story (the keep policy prefers it),
    # and changed files whose earlier rows leave the index.
    write_pages(raw, rng, pool, 300, 80)
    (raw / "copies" / "longer.txt").write_text(
        story + "补充报道：当地各部门将继续跟进，确保各项措施落到实处。\n", encoding="utf-8"
    )
    for k in range(5, 300, 37):
        write_pages(raw, rng, pool, k, 1)
    both()
    second = json.loads((local / "summary.json").read_text(encoding="utf-8"))
    assert second["files_changed"] >= 8 and second["run"] == 2
    assert second["earlier_rows"]["replaced_kept"] >= 1, second["earlier_rows"]
