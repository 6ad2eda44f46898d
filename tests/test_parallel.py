"""Batches cleaned in worker processes: every batch once, whatever the pool does."""

from conftest import SAMPLE_RAW

from pipeline.staging import open_staging
from pipeline.config import Config
from pipeline.ingest import discover, relative_name
from pipeline.parallel import clean_batches


def test_every_batch_is_cleaned_once_by_two_workers_with_more_batches_than_in_flight(tmp_path):
    files = discover(SAMPLE_RAW)
    batches = [[path] for path in files]  # one file each: far more batches than 2 per worker
    staging = open_staging(tmp_path / "out")
    results = list(clean_batches(batches, SAMPLE_RAW, staging, Config(workers=2)))
    assert len(results) == len(batches) > 4
    hashed = [name for counts in results for name in counts["files"]]
    assert sorted(hashed) == sorted(relative_name(path, SAMPLE_RAW) for path in files)
    assert sum(counts["records"] for counts in results) == 15  # the sample's records, as `make sample` reports
    assert len(list(staging.parts("documents"))) + len(list(staging.parts("rejects"))) >= len(batches)
