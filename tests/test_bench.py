"""Smoke run of the benchmark: a few hundred pages through render, docclean and the baseline.

Figures are printed, never asserted (the machine is noisy); what is checked
is that the harness runs and that dedup quality on the rendered ground truth
is where BENCHMARKS.md says it is.
"""

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from bench.render_corpus import CORPUS


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the benchmark's source articles ({CORPUS}) are not on this machine")
def test_the_benchmark_runs_on_a_small_corpus(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--pages",
            "300",
            "--baseline-pages",
            "100",
            "--corpora",
            str(tmp_path),
            "--json",
            str(tmp_path / "figures.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (row,) = json.loads((tmp_path / "figures.json").read_text())
    assert row["pages"] == 300 and row["pages_per_s"] > 0 and row["peak_rss_mib"] > 0
    # Forked workers share their parent's pages: counted once, the run holds less than its resident sizes add up to.
    assert 0 < row["peak_pss_mib"] <= row["peak_rss_mib"] and "peak PSS" in result.stdout
    assert row["f1"] >= 0.95, row
    assert "baseline (100 pages" in result.stdout and "ratios" in result.stdout
    truth = tmp_path / "300" / "truth.parquet"
    assert truth.exists() and len(list((tmp_path / "300" / "raw").rglob("*.txt"))) == 300


def test_a_page_a_forked_child_shares_counts_once_in_proportional_sizes_and_twice_in_resident_sizes():
    import os
    import time

    from bench.run import proportional_bytes, tree_rss

    shared = b"\x01" * (64 * 2**20)  # written, so resident before the fork
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        os.write(write, b"x")
        os.close(write)
        time.sleep(600)  # alive, sharing ``shared``, until killed
        os._exit(0)
    try:
        os.close(write)
        os.read(read, 1)
        tree = tree_rss(os.getpid())
        resident = tree[os.getpid()][1] + tree[child][1]
        proportional = proportional_bytes(os.getpid()) + proportional_bytes(child)
        assert len(shared) and resident - proportional > 48 * 2**20
        assert proportional_bytes(-1) == 0  # no such process: nothing, not an error
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
