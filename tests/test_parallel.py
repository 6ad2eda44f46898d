"""Batches cleaned in worker processes: every batch once, whatever the pool does."""

from conftest import SAMPLE_RAW

from pipeline import store
from pipeline.chain import clean_staged_batch, read_batch_pages
from pipeline.core.config import Config
from pipeline.executors.local_pool import map_batches
from pipeline.read.ingest import discover, relative_name
from pipeline.store.staging import open_staging


def test_every_batch_is_read_and_cleaned_once_by_two_workers_with_more_batches_than_in_flight(tmp_path):
    files = discover(SAMPLE_RAW)
    batches = [[path] for path in files]  # one file each: far more batches than 2 per worker
    staging = open_staging(tmp_path / "out")
    config = Config(workers=2)
    read = list(
        map_batches(
            read_batch_pages, [(i, paths, SAMPLE_RAW, staging, config) for i, paths in enumerate(batches)], config
        )
    )
    assert len(read) == len(batches) > 4
    fingerprinted = [
        name for part in staging.parts("files") for name in store.read_part(part).column("source_path").to_pylist()
    ]
    assert sum(counts["files"] for counts in read) == len(fingerprinted)
    assert sorted(fingerprinted) == sorted(relative_name(path, SAMPLE_RAW) for path in files)
    assert sum(counts["records"] for counts in read) == 15  # the sample's records, as `make sample` reports
    cleaned = list(map_batches(clean_staged_batch, [(i, staging, config, None) for i in range(len(batches))], config))
    assert sum(c["cleaned"] + c["rejected"] for c in cleaned) == 15
    assert len(list(staging.parts("documents"))) + len(list(staging.parts("rejects"))) >= len(batches)


def test_a_cleaning_batch_run_twice_gives_the_same_counts(tmp_path):
    """A retried task, or a batch Dask runs again after its worker died once it had finished."""
    import shutil

    from conftest import SAMPLE_RAW

    from pipeline import run as steps
    from pipeline.chain import clean_staged_batch
    from pipeline.core.config import Config

    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    with steps.opened(raw, tmp_path / "out", Config(workers=1, batch_size=4)) as run:
        steps.plan(run)
        steps.read_pages(run)
        steps.learn_templates(run)
        first = clean_staged_batch(0, run.staging, run.config, run.learned)
        again = clean_staged_batch(0, run.staging, run.config, run.learned)
        assert {k: again[k] for k in ("records", "cleaned", "rejected")} == {
            k: first[k] for k in ("records", "cleaned", "rejected")
        }
        steps.clean(run)  # every batch, batch 0 once more
        steps.decide(run)
        summary = steps.commit(run, steps.publish(run))
    assert summary["counts_add_up"] and summary["records"] == 15 and summary["documents"] == 7


def test_template_texts_come_once_each_from_the_first_batch_that_has_them(tmp_path):
    import pyarrow as pa

    from pipeline.store.staging import stage_template_texts, template_texts

    staging = open_staging(tmp_path / "out")
    stage_template_texts(staging, 0, {11: "责任编辑:<v>", 12: "来源:<v>"})
    stage_template_texts(staging, 1, {12: "来源:<v>", 13: "【字号 大 中 小】", 99: "不要的"})
    stage_template_texts(staging, 2, {})
    found = template_texts(staging, pa.array([13, 12, 11, 14], pa.uint64()))
    assert sorted(zip(found["template_hash"].to_pylist(), found["template"].to_pylist())) == [
        (11, "责任编辑:<v>"),
        (12, "来源:<v>"),
        (13, "【字号 大 中 小】"),
    ]
    assert template_texts(staging, pa.array([], pa.uint64())).num_rows == 0


def test_staged_pages_come_back_equal_with_the_template_hashes_of_the_reading_pass(tmp_path):
    """The hand-off between the passes: every record as it was (removals included), and the hashes beside them."""
    import gc

    from pipeline.chain import READING, count_templates
    from pipeline.core.stages import Batch, StageStats, run_stages
    from pipeline.read.ingest import read_batch
    from pipeline.store.staging import load_pages, stage_pages

    config = Config()
    docs = run_stages(
        READING[1:], Batch(docs=read_batch(discover(SAMPLE_RAW), SAMPLE_RAW, config)[0]), config, StageStats()
    ).docs
    assert any(r.stage == "page_dedup" for d in docs for r in d.removals), "the sample page holds its body twice"
    known: dict[str, int] = {}
    count_templates(docs, known=known)
    assert known
    staging = open_staging(tmp_path / "out")
    stage_pages(staging, 0, docs, known)
    gc.disable()  # a caller's choice to leave the collector off stays
    try:
        back, known_back = load_pages(staging, 0)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert back == docs and known_back == known


def test_workers_are_forked_only_by_a_process_without_other_threads():
    """A fork copies one thread: a lock another thread holds would stay held in every worker."""
    import threading

    from pipeline.executors.local_pool import start_method

    if threading.active_count() == 1:
        assert start_method() == "fork"
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        assert start_method() == "forkserver"
    finally:
        release.set()
        other.join()


def test_a_run_forks_its_workers_before_it_plans_and_uses_those_same_workers(tmp_path):
    """A worker forked after the plan of a million files shares 120 MiB it never reads; forked before, none."""
    import json
    import subprocess
    import sys
    import textwrap

    script = (
        textwrap.dedent(
            """
        import json, multiprocessing, os
        from pipeline.core.config import Config
        from pipeline.executors.local_pool import LocalExecutor
        from pipeline.read import ledger
        from pipeline import run as steps

        def pid(_):
            import sys
            return {"pid": os.getpid(), "pandas": "pandas" in sys.modules}

        forked_before_plan = []
        real_plan_run = ledger.plan_run

        def plan_run(*args, **kwargs):
            forked_before_plan.extend(sorted(p.pid for p in multiprocessing.active_children()))
            return real_plan_run(*args, **kwargs)

        ledger.plan_run = plan_run
        with steps.opened(RAW, OUT, Config(workers=2)) as run:
            steps.plan(run)
            results = list(run.executor.map(pid, [(i,) for i in range(8)], run.config))
            used = sorted({r["pid"] for r in results})
            inherited = all(r["pandas"] for r in results)
        with LocalExecutor() as alone:
            alone.start(Config(workers=1))
            single = multiprocessing.active_children()
        print(json.dumps({"before": forked_before_plan, "used": used, "single": len(single), "pandas": inherited}))
        """
        )
        .replace("RAW", repr(str(SAMPLE_RAW)))
        .replace("OUT", repr(str(tmp_path / "out")))
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(seen["before"]) == 2 and seen["used"] and set(seen["used"]) <= set(seen["before"])
    assert seen["single"] == 0
    # pyarrow imports pandas on its first array in any process: the workers share the driver's import, not one each.
    assert seen["pandas"]
