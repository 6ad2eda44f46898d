from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.patterns import load_patterns

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(__file__).resolve().parent / "cases"
SAMPLE_RAW = ROOT / "data" / "raw"
SAMPLE_PAGE = SAMPLE_RAW / "000_087269b42eb169e9.txt"


def load_cases(file: str, table: str) -> list[dict]:
    with (CASES / file).open("rb") as handle:
        return tomllib.load(handle)[table]


def case_id(case: dict) -> str:
    return case.get("name") or case["input"][:24]


@pytest.fixture
def config() -> Config:
    return Config()


@pytest.fixture
def patterns():
    return load_patterns()


@pytest.fixture(scope="session")
def prefect_harness():
    """One throwaway Prefect API for the whole session (starting one costs seconds)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def run_pipeline(raw: Path, out: Path, config: Config | None = None, *, full: bool = False, batch_size: int = 4) -> dict:
    """One run of the pipeline without Prefect, stage for stage as `flows.clean` runs it."""
    from pipeline import ledger, report, store, write
    from pipeline.chain import clean_and_stage
    from pipeline.dedup import cluster

    config = config or Config()
    store.check_folders(raw, out)
    with store.locked(out, config.lock_wait_seconds):
        store.recover(out)
        if not full:
            store.check_compatible(out, config)
        plan = ledger.plan_run(raw, out, full, follow_symlinks=config.follow_symlinks)
        if plan.nothing_new:
            return report.nothing_new(plan.facts(), 0.0)
        run = store.next_run(out)
        staging = write.open_staging(out)
        records, prints = 0, {}
        for index, start in enumerate(range(0, len(plan.process), batch_size)):
            counts = clean_and_stage(index, plan.process[start : start + batch_size], raw, staging, config)
            records += counts["records"]
            prints.update(counts["files"])
        earlier = None if full else write.read_earlier(out, config, plan.changed)
        clustering = cluster(write.read_staged_signatures(staging, config), config, earlier)
        facts = {"records": records, **plan.facts(), **clustering.stats}
        summary, replace, delete = write.publish(staging, clustering, plan, earlier, config, run, facts, prints)
        return write.commit(staging, summary, replace, delete)


def read_tables(out: Path) -> dict:
    """Every data table of an output folder, rows sorted by doc_id (parts and run order aside)."""
    from pipeline import store

    return {name: store.read_table(out, name).sort_by("doc_id") for name in store.TABLES}
