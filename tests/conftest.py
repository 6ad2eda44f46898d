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
