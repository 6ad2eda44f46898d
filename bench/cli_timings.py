"""Wall time of `docclean` commands as a user types them, each a fresh process.

    python -m bench.cli_timings [--repeat 3] [--no-prefect]

Prints the median of ``--repeat`` runs for: a one-page run, a run with
nothing new, exit 2 (a bad option), exit 3 (the output locked by another
run), `--dry-run`, `explain`; and, as the baseline measured in the same run,
the same one-page run through a temporary Prefect server (`--prefect`), which
is what every run cost before the in-process default.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from pipeline import store  # noqa: E402

DOCCLEAN = str(Path(sys.executable).with_name("docclean"))
SAMPLE = ROOT / "data" / "raw" / "000_087269b42eb169e9.txt"


def timed(args: list[str], expect: int, env: dict[str, str]) -> float:
    begun = time.perf_counter()
    done = subprocess.run([DOCCLEAN, *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - begun
    if done.returncode != expect:
        raise SystemExit(
            f"docclean {' '.join(args)} exited {done.returncode}, expected {expect}:\n{done.stderr[-2000:]}"
        )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-prefect", action="store_true", help="skip the --prefect baseline (~15 s a run)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    work = Path(tempfile.mkdtemp(prefix="docclean-cli-"))
    try:
        raw = work / "raw"
        raw.mkdir()
        shutil.copy(SAMPLE, raw / SAMPLE.name)
        rows: list[tuple[str, float, str]] = []

        def measure(label: str, make_args, expect: int = 0, target: str = "") -> float:
            seconds = statistics.median(timed(make_args(i), expect, env) for i in range(args.repeat))
            rows.append((label, seconds, target))
            return seconds

        one = measure(
            "1-page run", lambda i: ["run", "--raw", str(raw), "--out", str(work / f"one-{i}")], target="< 1.5 s"
        )
        measure("nothing new", lambda i: ["run", "--raw", str(raw), "--out", str(work / "one-0")])
        measure(
            "exit 2 (bad option)",
            lambda i: ["run", "--raw", str(raw), "--out", str(work / "x"), "--set", "dedup_threshold=7"],
            2,
            "< 1 s",
        )
        with store.locked(work / "one-0"):
            measure("exit 3 (locked)", lambda i: ["run", "--raw", str(raw), "--out", str(work / "one-0")], 3, "< 1 s")
        measure("--dry-run", lambda i: ["run", "--raw", str(raw), "--out", str(work / "one-0"), "--dry-run"])
        doc_id = store.read_table(work / "one-0", "documents").column("doc_id")[0].as_py()
        measure("explain", lambda i: ["explain", doc_id, "--out", str(work / "one-0")])
        if not args.no_prefect:
            base = measure(
                "1-page run --prefect", lambda i: ["run", "--raw", str(raw), "--out", str(work / f"p-{i}"), "--prefect"]
            )
        print(f"docclean CLI wall times, median of {args.repeat} (fresh process each, {os.cpu_count()} CPUs)")
        for label, seconds, target in rows:
            print(f"  {label:<24}{seconds:7.2f} s  {('target ' + target) if target else ''}")
        if not args.no_prefect:
            print(f"  ratio: in-process 1-page run is x{base / one:.1f} faster than through a temporary Prefect server")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
