"""Batches cleaned in worker processes: every batch once, whatever the pool does."""

from conftest import SAMPLE_RAW

from pipeline.chain import clean_staged_batch, read_batch_pages
from pipeline.config import Config
from pipeline.ingest import discover, relative_name
from pipeline.parallel import map_batches
from pipeline.staging import open_staging


def test_every_batch_is_read_and_cleaned_once_by_two_workers_with_more_batches_than_in_flight(tmp_path):
    files = discover(SAMPLE_RAW)
    batches = [[path] for path in files]  # one file each: far more batches than 2 per worker
    staging = open_staging(tmp_path / "out")
    config = Config(workers=2)
    read = list(map_batches(read_batch_pages, [(i, paths, SAMPLE_RAW, staging, config) for i, paths in enumerate(batches)], config))
    assert len(read) == len(batches) > 4
    fingerprinted = [name for counts in read for name in counts["files"]]
    assert sorted(fingerprinted) == sorted(relative_name(path, SAMPLE_RAW) for path in files)
    assert sum(counts["records"] for counts in read) == 15  # the sample's records, as `make sample` reports
    cleaned = list(map_batches(clean_staged_batch, [(i, staging, config, None) for i in range(len(batches))], config))
    assert sum(c["cleaned"] + c["rejected"] for c in cleaned) == 15
    assert len(list(staging.parts("documents"))) + len(list(staging.parts("rejects"))) >= len(batches)
