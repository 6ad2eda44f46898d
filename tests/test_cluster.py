"""Cleaning on a real Dask cluster: a scheduler and two workers on 127.0.0.1, started and stopped here.

The same run on the cluster and on this machine gives the same tables; a worker killed
mid-run costs nothing but time; a scheduler that is not there is one line and exit 2.
"""

from __future__ import annotations

import shutil
import threading
import time

from conftest import SAMPLE_RAW, read_tables, run_pipeline

from flows.cli import main
from pipeline import store
from pipeline.core.config import Config
from scripts.local_cluster import free_port


def test_a_run_on_the_cluster_writes_what_a_local_run_writes(dask_cluster, tmp_path, capsys):
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    assert (
        main(
            [
                "run",
                "--raw",
                str(raw),
                "--out",
                str(tmp_path / "cluster"),
                "--cluster",
                dask_cluster.address,
                "--set",
                "batch_size=3",
            ]
        )
        == 0
    )
    assert f"batches on the Dask cluster at {dask_cluster.address}" in capsys.readouterr().err
    run_pipeline(raw, tmp_path / "local", Config.from_mapping({"batch_size": 3}))
    ours, local = read_tables(tmp_path / "cluster"), read_tables(tmp_path / "local")
    for name in ours:
        assert ours[name].equals(local[name]), name


def test_the_flow_cleans_on_the_cluster(prefect_harness, dask_cluster, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.clean import clean_corpus

    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    state = clean_corpus(
        raw_dir=str(raw),
        out_dir=str(tmp_path / "flow"),
        options={"batch_size": 2},
        cluster=dask_cluster.address,
        return_state=True,
    )
    summary = state.result()
    assert summary["counts_add_up"] and summary["documents"] == 7
    # Every batch of both passes was a Prefect task (prefect-dask), and each one completed.
    # Task run states reach the API as events, a moment after the flow run ends.
    deadline = time.monotonic() + 90
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
            )
        batches = [r for r in runs if r.name.startswith(("read-batch", "clean-batch"))]
        if (
            len(batches) == 12 and all(r.state_type.value == "COMPLETED" for r in batches)
        ) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert len(batches) == 12 and all(r.state_type.value == "COMPLETED" for r in batches), [
        (r.name, r.state_type) for r in batches
    ]
    run_pipeline(raw, tmp_path / "local", Config.from_mapping({"batch_size": 2}))
    ours, local = read_tables(tmp_path / "flow"), read_tables(tmp_path / "local")
    assert all(ours[name].equals(local[name]) for name in ours)


def test_no_scheduler_or_an_unknown_scheme_is_one_line_and_exit_2(tmp_path, capsys):
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    for address in (f"tcp://127.0.0.1:{free_port()}", "foo://nowhere:1"):
        assert main(["run", "--raw", str(raw), "--out", str(tmp_path / "out"), "--cluster", address]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "Traceback" not in err and "Dask scheduler" in err, err
    assert not (tmp_path / "out" / "documents").exists()


def test_a_tls_scheduler_without_the_client_certificate_says_which_settings_are_missing(tmp_path, capfd):
    # It said "no Dask scheduler answers" (one did) and printed a traceback at exit.
    import dask

    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    for address in ("tls://127.0.0.1:8786", "wss://127.0.0.1:8786"):
        with dask.config.set({"distributed.comm.tls.ca-file": None, "distributed.comm.tls.client.cert": None}):
            code = main(["run", "--raw", str(raw), "--out", str(tmp_path / "out"), "--cluster", address])
        err = capfd.readouterr().err.strip()
        assert code == 2
        assert err.count("\n") == 0 and "Traceback" not in err, err
        assert "DASK_DISTRIBUTED__COMM__TLS__CA_FILE" in err and "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT" in err
    assert not (tmp_path / "out" / "documents").exists()


def test_a_worker_killed_mid_run_costs_only_time(dask_cluster, tmp_path):
    import random

    from bench.gallery import layouts

    pool = layouts.load_pool()
    rng = random.Random(3)
    raw = tmp_path / "raw"
    for n in range(3000):
        (raw / f"{n // 300:02d}").mkdir(parents=True, exist_ok=True)
        (raw / f"{n // 300:02d}" / f"{n:05d}.txt").write_text(
            rng.choice(pool.titles) + "\n" + "\n".join(rng.sample(pool.paragraphs, 5)) + "\n", encoding="utf-8"
        )
    out = tmp_path / "cluster"
    codes: list[int] = []
    runner = threading.Thread(
        target=lambda: codes.append(
            main(
                [
                    "run",
                    "--raw",
                    str(raw),
                    "--out",
                    str(out),
                    "--cluster",
                    dask_cluster.address,
                    "--set",
                    "batch_size=20",
                ]
            )
        )
    )
    runner.start()
    deadline = time.monotonic() + 120
    while not list(out.glob(store.STAGING_PREFIX + "*/pages-*")):
        assert time.monotonic() < deadline and runner.is_alive(), "the run never staged a batch"
        time.sleep(0.1)
    dask_cluster.kill("w1")
    runner.join(timeout=600)
    assert codes == [0]
    dask_cluster.start_worker("w1")  # for whatever runs next
    dask_cluster.wait_for_workers(2)
    run_pipeline(raw, tmp_path / "local", Config.from_mapping({"batch_size": 20}))
    ours, local = read_tables(out), read_tables(tmp_path / "local")
    for name in ours:
        assert ours[name].equals(local[name]), name
