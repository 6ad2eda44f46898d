"""The whole chain without Prefect, in a temp dir, read back from Parquet."""

import json
import shutil

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE_RAW, read_tables, run_pipeline

from pipeline import store
from pipeline.core.schema import (
    DOCUMENTS,
    DUPLICATES,
    REJECTS,
    SCHEMA_VERSION,
    SCHEMA_VERSION_KEY,
)
from pipeline.store import part_writer, publish


@pytest.fixture
def raw(tmp_path):
    return shutil.copytree(SAMPLE_RAW, tmp_path / "raw")


def test_every_record_lands_in_exactly_one_table(raw, tmp_path, config):
    out = tmp_path / "clean"
    summary = run_pipeline(raw, out, config)
    documents, duplicates, rejects = (store.read_table(out, t) for t in ("documents", "duplicates", "rejects"))
    assert summary["counts_add_up"]
    assert summary["records"] == documents.num_rows + duplicates.num_rows + rejects.num_rows
    assert summary["documents"] == documents.num_rows >= 6
    assert duplicates.num_rows >= 2 and rejects.num_rows >= 5
    ids = documents["doc_id"].to_pylist() + duplicates["doc_id"].to_pylist() + rejects["doc_id"].to_pylist()
    assert len(ids) == len(set(ids))
    assert set(duplicates["duplicate_of"].to_pylist()) <= set(documents["doc_id"].to_pylist())
    on_disk = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["documents"] == summary["documents"]
    assert json.loads((out / "runs" / "run-000001.json").read_text(encoding="utf-8")) == on_disk
    ledger = store.read_table(out, "files")
    assert sorted(ledger["source_path"].to_pylist()) == sorted(
        p.relative_to(raw).as_posix() for p in raw.rglob("*") if p.is_file()
    )
    assert sum(ledger["records"].to_pylist()) == summary["records"]


def test_duplicates_keep_the_whole_row(raw, tmp_path, config):
    out = tmp_path / "clean"
    run_pipeline(raw, out, config)
    duplicates = store.read_table(out, "duplicates").to_pylist()
    kept = {r["doc_id"]: r for r in store.read_table(out, "documents").to_pylist()}
    for row in duplicates:
        assert row["text"] and row["kind"] in ("exact", "near")
        assert (row["text"] == kept[row["duplicate_of"]]["text"]) == (row["kind"] == "exact")
        assert 0.7 <= row["similarity"] <= 1.0


def test_tables_carry_schema_and_version(raw, tmp_path, config):
    out = tmp_path / "clean"
    run_pipeline(raw, out, config)
    for name, schema in (("documents", DOCUMENTS), ("duplicates", DUPLICATES), ("rejects", REJECTS)):
        (part,) = store.parts(out, name)
        file_schema = pq.read_schema(part)
        assert file_schema.metadata[SCHEMA_VERSION_KEY] == SCHEMA_VERSION.encode()
        assert file_schema.remove_metadata() == schema.remove_metadata()
        assert pq.ParquetFile(part).metadata.row_group(0).column(0).compression == "ZSTD"


def test_output_reads_as_a_dataset_with_no_staging_left(raw, tmp_path, config):
    out = tmp_path / "clean"
    run_pipeline(raw, out, config)
    assert [p.name for p in out.glob(".*")] == [".lock"]
    assert ds.dataset(out / "documents", format="parquet").count_rows() == store.read_table(out, "documents").num_rows


def test_a_failed_publish_leaves_the_previous_output_intact(raw, tmp_path, config, monkeypatch):
    out = tmp_path / "clean"
    run_pipeline(raw, out, config)
    before = read_tables(out)
    summary_before = (out / "summary.json").read_text(encoding="utf-8")

    (raw / "extra.txt").write_text("新增的一篇文章，内容完全不同于其他页面，用来改变输出。", encoding="utf-8")

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(publish, "as_duplicates", explode)
    with pytest.raises(OSError, match="disk full"):
        run_pipeline(raw, out, config)
    assert read_tables(out) == before
    assert (out / "summary.json").read_text(encoding="utf-8") == summary_before

    monkeypatch.undo()
    summary = run_pipeline(raw, out, config)
    assert summary["records"] == 1 and summary["totals"]["records"] == json.loads(summary_before)["records"] + 1
    assert not list(out.glob(".staging-*")) and not list(out.rglob("*.tmp"))


def test_same_input_same_output(raw, tmp_path, config):
    run_pipeline(raw, tmp_path / "one", config)
    run_pipeline(raw, tmp_path / "two", config, batch_size=3)
    assert read_tables(tmp_path / "one") == read_tables(tmp_path / "two")


def test_output_inside_raw_is_refused(raw):
    with pytest.raises(store.OutputError, match="overlap"):
        store.check_folders(raw, raw / "clean")
    with pytest.raises(store.OutputError, match="does not exist"):
        store.check_folders(raw / "nope", raw.parent / "clean")


def test_the_order_files_are_listed_in_does_not_matter(raw, tmp_path, config, monkeypatch):
    from pipeline.read import ledger

    run_pipeline(raw, tmp_path / "sorted", config)
    listed = ledger.discover
    monkeypatch.setattr(ledger, "discover", lambda *args: list(reversed(listed(*args))))
    run_pipeline(raw, tmp_path / "reversed", config, batch_size=5)
    assert read_tables(tmp_path / "sorted") == read_tables(tmp_path / "reversed")


def test_nothing_is_written_outside_the_output_folder(raw, tmp_path, config):
    out, elsewhere = tmp_path / "clean", tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "documents").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(store.OutputError, match="symbolic link"):
        run_pipeline(raw, out, config)
    assert not list(elsewhere.iterdir())

    (out / "documents").unlink()
    run_pipeline(raw, out, config)
    # A journal (say, tampered with) that names a path outside is refused, not applied.
    (out / ".journal.json").write_text(json.dumps({"replace": [["summary.json", "../elsewhere/x"]], "delete": []}))
    with pytest.raises(store.OutputError, match="outside"):
        store.recover(out)
    assert not list(elsewhere.iterdir())


def test_parts_gather_batches_into_row_groups_and_the_ledger_is_sorted(raw, tmp_path, config, monkeypatch):
    """A part is not a row group per batch (readers and the writer's footer pay for each); the table is the same either way."""
    run_pipeline(raw, tmp_path / "one", config, batch_size=1)
    (part,) = store.parts(tmp_path / "one", "documents")
    assert pq.ParquetFile(part).metadata.num_row_groups == 1 < len(list(raw.rglob("*.txt")))
    ledger = store.read_table(tmp_path / "one", "files")["source_path"].to_pylist()
    assert ledger == sorted(ledger) and len(ledger) > 3

    monkeypatch.setattr(part_writer, "ROW_GROUP_BYTES", 1)
    monkeypatch.setattr(publish.ledger, "WRITE_ROWS", 2)
    run_pipeline(raw, tmp_path / "two", config, batch_size=1)
    (part,) = store.parts(tmp_path / "two", "documents")
    assert pq.ParquetFile(part).metadata.num_row_groups > 1
    (files_part,) = store.parts(tmp_path / "two", "files")
    assert pq.ParquetFile(files_part).metadata.num_row_groups == -(-len(ledger) // 2)
    assert read_tables(tmp_path / "two") == read_tables(tmp_path / "one")
    assert store.read_table(tmp_path / "two", "files")["source_path"].to_pylist() == ledger


def test_a_publish_stopped_by_a_full_disk_leaves_no_temp_files_behind(raw, tmp_path, config, monkeypatch):
    """The ledger's temp file half written when the disk fills: the failed run removes it on its way out."""
    import errno

    from pipeline.read import ledger

    out = tmp_path / "clean"
    run_pipeline(raw, out, config)
    before = read_tables(out)
    (raw / "extra.txt").write_text("新增的一篇文章，内容完全不同于其他页面，用来改变输出。", encoding="utf-8")

    def half_written(rows, path):
        path.write_bytes(b"PAR1" + b"\0" * 4096)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ledger, "write_ledger", half_written)
    with pytest.raises(OSError, match="No space"):
        run_pipeline(raw, out, config)
    assert not list(out.rglob("*.tmp")) and not list(out.glob(".staging-*"))
    assert read_tables(out) == before
