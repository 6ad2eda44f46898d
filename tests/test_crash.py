"""Crash safety: a run killed at any point leaves readable output, and the next run finishes the job.

Each case runs the second of two runs in a child process that SIGKILLs
itself at one point of the write path (no cleanup, as when the machine or
the OOM killer stops it), or is sent SIGTERM from outside. Then:

- every visible Parquet file is whole and readable, and before the commit
  point the output is exactly the previous one;
- the next run completes, and the output equals the output of the same two
  runs done without interruption.
"""

import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pyarrow.parquet as pq
import pytest
from conftest import ROOT, SAMPLE_RAW, child_env, read_tables, run_pipeline

from pipeline import store

KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from conftest import run_pipeline
    from pipeline import chain, store
    from pipeline.store import part_writer

    point, nth = sys.argv[3], int(sys.argv[4])
    owner, name = {
        "staging": (chain, "stage_batch"),            # between two staged batches
        "part": (part_writer.PartWriter, "write"),   # while this run's new parts are written
        "commit": (store, "commit"),                  # every temp file written, no journal yet
        "rename": (os, "replace"),                    # journal in place, renames half done
    }[point]
    original = getattr(owner, name)
    calls = 0

    def killed_on_nth_call(*args, **kwargs):
        global calls
        if point == "rename" and ".staging-" in str(args[-1]):
            return original(*args, **kwargs)  # staging's own renames: not the commit's
        calls += 1
        if calls == 1:
            print("writing", flush=True)  # for a parent that sends its own signal
        if calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(owner, name, killed_on_nth_call)
    run_pipeline(Path(sys.argv[1]), Path(sys.argv[2]), batch_size=2)
    print("finished without being killed")
    """
)


def first_and_second_half():
    files = sorted(p.relative_to(SAMPLE_RAW) for p in SAMPLE_RAW.rglob("*") if p.is_file())
    return files[::2], files[1::2]


def add(raw, files):
    for rel in files:
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SAMPLE_RAW / rel, raw / rel)


def visible_files_are_whole(out):
    for table in (*store.TABLES, store.LEDGER):
        for part in store.parts(out, table):
            pq.read_table(part)  # raises on a truncated or half-written file
    assert store.read_summary(out) is not None


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The two runs without interruption: what every crashed sequence must end as."""
    base = tmp_path_factory.mktemp("uninterrupted")
    first, second = first_and_second_half()
    add(base / "raw", first)
    run_pipeline(base / "raw", base / "clean", batch_size=2)
    add(base / "raw", second)
    run_pipeline(base / "raw", base / "clean", batch_size=2)
    return read_tables(base / "clean")


@pytest.mark.parametrize(
    "point, nth, before_commit",
    [("staging", 2, True), ("part", 3, True), ("commit", 1, True), ("rename", 3, False), ("rename", 6, False)],
)
def test_a_run_killed_midway_leaves_readable_output_and_the_next_run_completes(
    tmp_path, uninterrupted, point, nth, before_commit
):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    first, second = first_and_second_half()
    add(raw, first)
    run_pipeline(raw, out, batch_size=2)
    previous = read_tables(out)
    add(raw, second)

    result = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(raw), str(out), point, str(nth)],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL, (result.stdout, result.stderr)
    visible_files_are_whole(out)
    if before_commit:
        assert read_tables(out) == previous
        assert not store.pending(out)
    else:
        assert store.pending(out)
        # Half renamed: a reader that asks docclean (read_table, docclean parts) sees the committed run whole.
        assert read_tables(out) == uninterrupted

    summary = run_pipeline(raw, out, batch_size=2)
    assert not store.pending(out) and not list(out.glob(".staging-*")) and not list(out.rglob("*.tmp"))
    if before_commit:
        assert summary["files_processed"] == len(second)
    else:
        assert summary["nothing_new"]  # the killed run was committed; recovery finished it
    assert read_tables(out) == uninterrupted


def test_a_run_stopped_by_sigterm_while_it_writes(tmp_path, uninterrupted):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    first, second = first_and_second_half()
    add(raw, first)
    run_pipeline(raw, out, batch_size=2)
    add(raw, second)
    stopped = 0
    for delay in (0.0, 0.01, 0.03):
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED_RUN, str(raw), str(out), "staging", "0"],
            cwd=ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout.readline().strip() == "writing"
        time.sleep(delay)
        child.send_signal(signal.SIGTERM)
        returncode = child.wait(timeout=60)
        child.stdout.close()
        child.stderr.close()
        stopped += returncode == -signal.SIGTERM
        visible_files_are_whole(out)
    assert stopped, "SIGTERM came too late every time: the test proved nothing"
    run_pipeline(raw, out, batch_size=2)
    assert read_tables(out) == uninterrupted
