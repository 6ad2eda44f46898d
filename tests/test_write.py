"""The whole chain without Prefect, in a temp dir, read back from Parquet."""

import json
import shutil

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE_RAW
from pipeline import write
from pipeline.chain import clean_files
from pipeline.dedup import cluster, sign_documents
from pipeline.ingest import discover
from pipeline.schema import SCHEMA_VERSION, SCHEMA_VERSION_KEY


def run_chain(raw, out, config, batch_size=4):
    staging = write.open_staging(raw, out)
    files = discover(raw)
    records = 0
    for index, start in enumerate(range(0, len(files), batch_size)):
        docs = clean_files(files[start : start + batch_size], raw, config)
        records += len(docs)
        write.stage_batch(staging, index, docs, sign_documents(docs, config))
    decisions, stats = cluster(write.read_staged_signatures(staging, config), config)
    return write.publish(staging, decisions, config, {"records": records, "files": len(files), **stats})


@pytest.fixture
def raw(tmp_path):
    return shutil.copytree(SAMPLE_RAW, tmp_path / "raw")


def test_every_record_lands_in_exactly_one_table(raw, tmp_path, config):
    out = tmp_path / "clean"
    summary = run_chain(raw, out, config)
    documents, duplicates, rejects = (write.read_table(out, t) for t in ("documents", "duplicates", "rejects"))
    assert summary["counts_add_up"]
    assert summary["records"] == documents.num_rows + duplicates.num_rows + rejects.num_rows
    assert summary["documents"] == documents.num_rows >= 6
    assert duplicates.num_rows >= 2 and rejects.num_rows >= 5
    ids = documents["doc_id"].to_pylist() + duplicates["doc_id"].to_pylist() + rejects["doc_id"].to_pylist()
    assert len(ids) == len(set(ids))
    assert set(duplicates["duplicate_of"].to_pylist()) <= set(documents["doc_id"].to_pylist())
    on_disk = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["documents"] == summary["documents"]


def test_tables_carry_schema_and_version(raw, tmp_path, config):
    out = tmp_path / "clean"
    run_chain(raw, out, config)
    for name, schema in (("documents", write.DOCUMENTS), ("duplicates", write.DUPLICATES), ("rejects", write.REJECTS)):
        file_schema = pq.read_schema(out / name / write.PART_NAME)
        assert file_schema.metadata[SCHEMA_VERSION_KEY] == SCHEMA_VERSION.encode()
        assert file_schema.remove_metadata() == schema.remove_metadata()
        assert pq.ParquetFile(out / name / write.PART_NAME).metadata.row_group(0).column(0).compression == "ZSTD"


def test_output_reads_as_a_dataset_with_no_staging_left(raw, tmp_path, config):
    out = tmp_path / "clean"
    run_chain(raw, out, config)
    assert not list(out.glob(".*"))
    assert ds.dataset(out / "documents", format="parquet").count_rows() == write.read_table(out, "documents").num_rows


def test_a_failed_publish_leaves_the_previous_output_intact(raw, tmp_path, config, monkeypatch):
    out = tmp_path / "clean"
    run_chain(raw, out, config)
    before = {name: write.read_table(out, name) for name in write.TABLES}
    summary_before = (out / "summary.json").read_text(encoding="utf-8")

    (raw / "extra.txt").write_text("新增的一篇文章，内容完全不同于其他页面，用来改变输出。", encoding="utf-8")

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(write, "_write_split", explode)
    with pytest.raises(OSError, match="disk full"):
        run_chain(raw, out, config)
    for name in write.TABLES:
        assert write.read_table(out, name).equals(before[name])
    assert (out / "summary.json").read_text(encoding="utf-8") == summary_before
    assert not [p for p in (out / "documents").iterdir() if p.name != write.PART_NAME]

    monkeypatch.undo()
    summary = run_chain(raw, out, config)
    assert summary["records"] == json.loads(summary_before)["records"] + 1
    assert not list(out.glob(".staging-*"))


def test_same_input_same_output(raw, tmp_path, config):
    run_chain(raw, tmp_path / "one", config)
    run_chain(raw, tmp_path / "two", config, batch_size=3)
    for name in ("documents", "duplicates", "rejects", "signatures"):
        one = write.read_table(tmp_path / "one", name).sort_by("doc_id")
        two = write.read_table(tmp_path / "two", name).sort_by("doc_id")
        assert one.equals(two), name


def test_output_inside_raw_is_refused(raw):
    with pytest.raises(write.OutputError, match="overlap"):
        write.open_staging(raw, raw / "clean")
    with pytest.raises(write.OutputError, match="does not exist"):
        write.open_staging(raw / "nope", raw.parent / "clean")
