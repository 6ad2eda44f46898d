"""Downstream readers of an output: the dataset card, pandas with exact types, readable JSON."""

from __future__ import annotations

import json
import shutil

from conftest import SAMPLE_RAW, run_pipeline

from pipeline import store


def test_load_dataset_reads_each_table_by_name(tmp_path, monkeypatch):
    datasets = __import__("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    out = tmp_path / "clean"
    run_pipeline(raw, out)
    # A second run adds parts; the card's globs take every part of a table.
    (raw / "more.txt").write_text("国务院新闻办公室今天举行新闻发布会，介绍今年春运的总体安排。", encoding="utf-8")
    run_pipeline(raw, out)
    for name in ("documents", "duplicates", "rejects"):
        table = datasets.load_dataset(str(out), name, split="train", cache_dir=str(tmp_path / "cache"))
        expected = store.read_table(out, name)
        assert table.num_rows == expected.num_rows, name
        assert sorted(table["doc_id"]) == sorted(expected.column("doc_id").to_pylist())
    card = (out / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\nconfigs:\n") and "run 2" in card


def test_load_dataset_reads_a_table_that_had_no_rows_at_first(tmp_path, monkeypatch):
    """A run with nothing to reject writes a rejects part with no row group (an empty row group breaks
    `datasets`); once a later run rejects something, that empty part goes."""
    import pyarrow.parquet as pq

    datasets = __import__("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("国务院新闻办公室今天举行新闻发布会，介绍今年春运的总体安排。", encoding="utf-8")
    out = tmp_path / "clean"
    run_pipeline(raw, out)
    (empty,) = store.parts(out, "rejects")
    assert pq.ParquetFile(empty).metadata.num_row_groups == 0 and store.read_table(out, "rejects").num_rows == 0
    (raw / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    run_pipeline(raw, out)
    assert empty not in store.parts(out, "rejects")
    rejects = datasets.load_dataset(str(out), "rejects", split="train", cache_dir=str(tmp_path / "cache"))
    assert rejects["source_path"] == ["scan.txt"] and rejects["reason"] == ["binary"]


def test_load_dataset_gives_the_latest_run_of_this_output_with_one_cache(tmp_path, monkeypatch):
    """`datasets` caches by the card: each run, and each output of the same name, must be a new cache entry."""
    datasets = __import__("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    cache = str(tmp_path / "cache")

    def loaded(out):
        return sorted(datasets.load_dataset(str(out), "documents", split="train", cache_dir=cache)["doc_id"])

    def expected(out):
        return sorted(store.read_table(out, "documents").column("doc_id").to_pylist())

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(SAMPLE_RAW / "000_087269b42eb169e9.txt", raw)
    out = tmp_path / "a" / "clean"
    run_pipeline(raw, out)
    assert loaded(out) == expected(out)
    (raw / "more.txt").write_text("国务院新闻办公室今天举行新闻发布会，介绍今年春运的总体安排。", encoding="utf-8")
    run_pipeline(raw, out)
    assert loaded(out) == expected(out) and len(expected(out)) == 2

    # Another output also named "clean", from other pages, read through the same cache.
    other_raw = shutil.copytree(SAMPLE_RAW / "rmrb", tmp_path / "other")
    other = tmp_path / "b" / "clean"
    run_pipeline(other_raw, other)
    assert loaded(other) == expected(other) != expected(out)
    assert loaded(out) == expected(out)


def test_pandas_keeps_the_exact_types_and_summary_json_keeps_chinese(tmp_path):
    import pandas as pd

    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    out = tmp_path / "clean"
    run_pipeline(raw, out)
    frame = pd.read_parquet(out / "documents", dtype_backend="pyarrow")
    assert str(frame["authors"].dtype).startswith("list<") and str(frame["date"].dtype).startswith("date32")
    assert str(frame["source_line"].dtype) == "int32[pyarrow]"
    text = (out / "summary.json").read_text(encoding="utf-8")
    assert "\\u" not in text and json.loads(text)["run"] == 1
    title = json.loads(text)["largest_clusters"][0]["title"]
    assert title and not title.isascii() and title in (out / "runs" / "run-000001.json").read_text(encoding="utf-8")
