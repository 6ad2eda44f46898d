from __future__ import annotations

import os
import tomllib
import uuid
from pathlib import Path

import pytest

from pipeline.core.config import Config
from pipeline.core.patterns import load_patterns

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(__file__).resolve().parent / "cases"
SAMPLE_RAW = ROOT / "data" / "raw"
SAMPLE_PAGE = SAMPLE_RAW / "000_087269b42eb169e9.txt"


def child_env() -> dict[str, str]:
    """The environment of a test's child Python: the repository root and tests/ on its path
    (`from conftest import ...`, `from pipeline ...`), set by the environment, not by the child's code."""
    path = [str(ROOT / "tests"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def load_cases(file: str, table: str) -> list[dict]:
    with (CASES / file).open("rb") as handle:
        return tomllib.load(handle)[table]


def case_id(case: dict) -> str:
    return case.get("name") or case["input"][:24]


# Fixtures that start a service (a Prefect API, a Dask scheduler and workers, an S3 server):
# the tests that use them are marked `services`, and `make test-fast` leaves them out.
SERVICE_FIXTURES = frozenset({"prefect_harness", "prefect_server", "dask_cluster", "s3_server", "s3"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


@pytest.fixture
def config() -> Config:
    return Config()


@pytest.fixture
def patterns():
    return load_patterns()


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """A real Dask scheduler and two workers on 127.0.0.1 (`dask scheduler`, `dask worker`), stopped at the end."""
    from scripts import local_cluster

    cluster = local_cluster.started(tmp_path_factory.mktemp("dask"), workers=2)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 API on 127.0.0.1 (SeaweedFS, `weed server -s3`), with authentication on; stopped at the end."""
    from scripts import local_s3

    server = local_s3.started(tmp_path_factory.mktemp("s3"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server, monkeypatch, tmp_path):
    """This test's AWS variables and cache folder, and a fresh bucket: returns (s3fs filesystem, bucket name)."""
    import s3fs

    for key, value in s3_server.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DOCCLEAN_CACHE", str(tmp_path / "cache"))
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    bucket = f"t-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket)
    return fs, bucket


@pytest.fixture(scope="session")
def prefect_harness():
    """One throwaway Prefect API for the whole session (starting one costs seconds)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def run_pipeline(
    raw: Path,
    out: Path,
    config: Config | None = None,
    *,
    full: bool = False,
    batch_size: int = 4,
    add_raw: bool = False,
) -> dict:
    """One run, in-process, by the run sequence the flow and the CLI use (`pipeline.run`).

    Small batches (``batch_size``) and one worker unless the config says
    otherwise, so that batching is exercised on small inputs.
    """
    from pipeline.run import execute

    config = config or Config()
    overrides = {"batch_size": batch_size} if config.batch_size == Config().batch_size else {}
    if config.workers == Config().workers:
        overrides["workers"] = 1
    if overrides:
        config = Config.from_mapping({**config.to_mapping(), **overrides})
    return execute(raw, out, config, full=full, add_raw=add_raw)


def read_tables(out: Path | str) -> dict:
    """Every data table of an output folder or URL, rows sorted by doc_id (parts and run order aside)."""
    from pipeline import store
    from pipeline.store import remote

    read = remote.read_table if remote.is_url(out) else store.read_table
    tables = {name: read(out, name) for name in store.TABLES}
    # The edges have no doc_id: a page's rows, by what they say.
    return {
        name: table.sort_by(
            "doc_id" if "doc_id" in table.column_names else [(c, "ascending") for c in table.column_names]
        )
        for name, table in tables.items()
    }
