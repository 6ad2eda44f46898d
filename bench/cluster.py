"""The Dask path against the local process pool, in one run, on one benchmark corpus.

    python -m bench.cluster [--corpus bench/corpora/100000] [--workers 2]

Starts a local Dask cluster (a scheduler and ``--workers`` single-threaded
workers on 127.0.0.1), then cleans the corpus twice, each in a fresh process:
with ``--cluster`` and with the local pool of as many worker processes. Prints
pages/s of each, their ratio, the peak resident memory of the driver (overall and per step; the
process that runs the steps; the cluster's workers are apart, and on the
cluster the dedup step runs there too), and whether both wrote the same tables.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts import local_cluster

ROOT = Path(__file__).resolve().parent.parent

ONE_RUN = """
import json, os, resource, sys, threading, time
from pipeline.core.config import Config
from pipeline.executors.dask_cluster import DaskExecutor, connect
from pipeline.run import direct, opened, sequence
raw, out, workers, address = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] or None
# The driver's resident size, sampled every 0.2 s, its peak per step.
step, peaks = ["start"], {}
def sample():
    while True:
        rss = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        peaks[step[0]] = max(peaks.get(step[0], 0), round(rss))
        time.sleep(0.2)
threading.Thread(target=sample, daemon=True).start()
def call(function, *args):
    step[0] = function.__name__
    return direct(function, *args)
client = connect(address) if address else None
begun = time.perf_counter()
with opened(raw, out, Config(workers=workers), full=True, executor=DaskExecutor(client) if client else None) as run:
    summary = sequence(run, call)
seconds = time.perf_counter() - begun
print(json.dumps({"seconds": seconds, "records": summary["records"], "documents": summary["documents"],
                  "duplicates": summary["duplicates"], "steps": {k: round(v, 1) for k, v in run.seconds.items()},
                  "driver_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "peaks_mib": peaks}))
"""


def one_run(raw: Path, out: Path, workers: int, address: str | None) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", ONE_RUN, str(raw), str(out), str(workers), address or ""],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / "corpora" / "100000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--cluster-only", action="store_true", help="only the cluster run (the driver's memory at 1M pages)"
    )
    args = parser.parse_args()
    raw = args.corpus / "raw"
    work = Path(tempfile.mkdtemp(prefix="docclean-cluster-"))
    (work / "dask").mkdir()
    cluster = local_cluster.started(work / "dask", workers=args.workers)
    try:
        on_cluster = one_run(raw, work / "cluster", args.workers, cluster.address)
        if args.cluster_only:
            print(
                f"{on_cluster['records']:,} pages ({raw}) on the Dask cluster, {args.workers} workers: "
                f"{on_cluster['records'] / on_cluster['seconds']:,.0f} pages/s, {on_cluster['seconds']:.1f} s, "
                f"driver peak RSS {on_cluster['driver_rss_mib']:,.0f} MiB"
            )
            print("  steps (s): " + ", ".join(f"{k} {v}" for k, v in on_cluster["steps"].items()))
            print(
                "  driver peak RSS by step (MiB): "
                + ", ".join(f"{k} {v:,}" for k, v in on_cluster["peaks_mib"].items())
            )
            return
        local = one_run(raw, work / "local", args.workers, None)
        from pipeline import store

        same_tables = all(
            store.read_table(work / "cluster", t)
            .sort_by("doc_id")
            .equals(store.read_table(work / "local", t).sort_by("doc_id"))
            for t in store.TABLES
        )
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    pages = local["records"]
    print(f"{pages:,} pages ({raw}), {args.workers} workers either way")
    for name, row in (("local pool", local), ("Dask cluster", on_cluster)):
        print(
            f"  {name:<13}{pages / row['seconds']:>8,.0f} pages/s  {row['seconds']:7.1f} s  driver peak RSS "
            f"{row['driver_rss_mib']:6,.0f} MiB  ({row['documents']:,} documents, {row['duplicates']:,} duplicates)"
        )
        print(f"  {'':<13}steps (s): " + ", ".join(f"{k} {v}" for k, v in row["steps"].items()))
        print(
            f"  {'':<13}driver peak RSS by step (MiB): " + ", ".join(f"{k} {v:,}" for k, v in row["peaks_mib"].items())
        )
    print(f"  ratio        cluster/local throughput {local['seconds'] / on_cluster['seconds']:.2f}")
    print(f"  same tables  {same_tables} (documents, duplicates, rejects, signatures, row for row)")


if __name__ == "__main__":
    main()
