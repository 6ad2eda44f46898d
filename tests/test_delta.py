"""The output's tables as Delta Lake tables: each reader reads the latest run in one line, never a superseded part."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE_PAGE, SAMPLE_RAW, read_tables, run_pipeline

from pipeline import store
from pipeline.store import delta, remote

READ_TABLES = tuple(delta.DELTA_TABLES)


def duckdb_with_delta():
    """duckdb with its delta and httpfs (S3) extensions loaded by path: offline, from the duckdb-extension-* packages."""
    import duckdb
    import duckdb_extension_delta
    import duckdb_extension_httpfs

    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for package in (duckdb_extension_httpfs, duckdb_extension_delta):
        (extension,) = Path(package.__file__).parent.rglob("*.duckdb_extension")
        con.execute(f"LOAD '{extension}'")
    return con


def ids(rows) -> list[str]:
    return sorted(rows)


def changed_output(raw: Path, out: Path | str, between=lambda: None) -> dict:
    """Two runs over ``raw``: the second edits the kept copy of a pair (rows move between parts, parts are rewritten)
    and adds a page; ``between()`` is called between them. Returns the second run's summary."""
    for rel in ("rmrb/2020-01/20200104-01-05.txt", "rmrb/2020-01/20200104-04-03.txt"):
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SAMPLE_RAW / rel, raw / rel)
    shutil.copy2(SAMPLE_PAGE, raw / SAMPLE_PAGE.name)
    shutil.copytree(SAMPLE_RAW / "tw", raw / "tw")
    run_pipeline(raw, out)
    between()
    page = raw / "rmrb/2020-01/20200104-01-05.txt"
    page.write_bytes(SAMPLE_PAGE.read_bytes().replace("北京".encode(), "上海".encode()))
    (raw / "new.txt").write_text("国务院新闻办公室今天举行新闻发布会，介绍今年春运的总体安排。", encoding="utf-8")
    return run_pipeline(raw, out)


def test_every_delta_reader_reads_the_latest_run_after_an_incremental_run_that_rewrote_parts(tmp_path):
    import pandas as pd
    import polars as pl
    from deltalake import DeltaTable

    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    summary = changed_output(raw, out)
    assert summary["earlier_rows"]["removed_changed_files"] >= 1, "the second run must rewrite an earlier part"
    con = duckdb_with_delta()
    for name in READ_TABLES:
        expected = ids(store.read_table(out, name).column("doc_id").to_pylist())
        uri = str(out / name)
        assert ids(pl.read_delta(uri)["doc_id"].to_list()) == expected, name
        assert ids(r[0] for r in con.execute(f"SELECT doc_id FROM delta_scan('{uri}')").fetchall()) == expected, name
        table = DeltaTable(uri)
        assert ids(table.to_pyarrow_dataset().to_table().column("doc_id").to_pylist()) == expected, name
        assert ids(table.to_pandas()["doc_id"]) == expected, name
        # The log names exactly the committed parts: no superseded file, none missing.
        assert sorted(table.file_uris()) == sorted(str(p.absolute()) for p in store.parts(out, name)), name
        # One version per run that changed the table, each naming its run; the summary names the latest.
        assert table.version() == summary["delta_versions"][name], name
        changed = ["2", "1"] if name in ("documents", "duplicates") else ["1"]
        assert [h[delta.RUN_KEY] for h in table.history()] == changed, name
    # Exact values, not just ids: the date and the time of day come back as written.
    documents = pl.read_delta(str(out / "documents")).sort("doc_id").to_arrow()
    assert documents.cast(store.read_table(out, "documents").schema).equals(
        store.read_table(out, "documents").sort_by("doc_id")
    )
    # A glob of the plain Parquet reads the same rows: the log is a folder readers of files skip.
    frame = pd.read_parquet(out / "documents", dtype_backend="pyarrow")
    assert ids(frame["doc_id"]) == ids(store.read_table(out, "documents").column("doc_id").to_pylist())


def test_a_part_is_never_changed_in_place(tmp_path):
    """The log of an earlier version names a part with its size and rows: a rewritten part gets a new name."""
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    seen: dict[str, bytes] = {}

    def remember():
        seen.update((p.relative_to(out).as_posix(), p.read_bytes()) for n in READ_TABLES for p in store.parts(out, n))

    changed_output(raw, out, between=remember)
    rewritten = [p for name in READ_TABLES for p in store.parts(out, name) if ".r000002." in p.name]
    assert rewritten, "the edit must make the run rewrite an earlier part"
    for rel, data in seen.items():
        if (out / rel).exists():
            assert (out / rel).read_bytes() == data, rel


def test_a_run_cut_short_before_its_delta_log_is_caught_up_by_the_next(tmp_path, monkeypatch):
    from deltalake import DeltaTable

    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    shutil.copy2(SAMPLE_PAGE, raw / SAMPLE_PAGE.name)
    run_pipeline(raw, out)
    (raw / "new.txt").write_text("国务院新闻办公室今天举行新闻发布会，介绍今年春运的总体安排。", encoding="utf-8")

    real_sync = delta.sync_output

    def killed(out_dir, run):
        if run == 2:
            raise KeyboardInterrupt("killed after the commit, before the Delta log")
        return real_sync(out_dir, run)

    monkeypatch.setattr(delta, "sync_output", killed)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(raw, out)
    monkeypatch.undo()
    assert store.read_summary(out)["run"] == 2, "run 2 committed"
    assert DeltaTable(str(out / "documents")).version() == 0, "its log did not follow"

    # The next run, with nothing new to read, brings the log up to its commit first.
    summary = run_pipeline(raw, out)
    assert summary["files_processed"] == 0
    for name in READ_TABLES:
        table = DeltaTable(str(out / name))
        assert sorted(table.file_uris()) == sorted(str(p.absolute()) for p in store.parts(out, name)), name
        assert table.to_pyarrow_dataset().to_table().num_rows == store.read_table(out, name).num_rows


def test_a_full_rebuild_is_one_new_version_of_each_table(tmp_path):
    from deltalake import DeltaTable

    raw, out = tmp_path / "raw", tmp_path / "clean"
    shutil.copytree(SAMPLE_RAW, raw)
    run_pipeline(raw, out)
    summary = run_pipeline(raw, out, full=True)
    for name in READ_TABLES:
        table = DeltaTable(str(out / name))
        assert table.version() == summary["delta_versions"][name] == 1
        assert sorted(table.file_uris()) == sorted(str(p.absolute()) for p in store.parts(out, name))


@pytest.mark.services
def test_delta_readers_on_object_storage_read_the_latest_run(s3, tmp_path):
    import polars as pl
    from deltalake import DeltaTable

    fs, bucket = s3
    out_url = f"s3://{bucket}/clean"
    raw = tmp_path / "raw"
    raw.mkdir()
    summary = changed_output(raw, out_url)
    listed = json.loads(fs.cat(f"{bucket}/clean/{remote.MANIFEST_NAME}"))
    assert listed["retired"], "the second run must supersede objects"
    options = delta.s3_storage_options()
    s3_server_env = {k: v for k, v in options.items() if k.startswith("AWS_")}
    con = duckdb_with_delta()
    con.execute(
        "CREATE SECRET (TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL false, REGION ?)",
        [
            s3_server_env["AWS_ACCESS_KEY_ID"],
            s3_server_env["AWS_SECRET_ACCESS_KEY"],
            s3_server_env["AWS_ENDPOINT_URL"].removeprefix("http://"),
            s3_server_env["AWS_REGION"],
        ],
    )
    expected_tables = read_tables(out_url)
    for name in READ_TABLES:
        uri = f"{out_url}/{name}"
        expected = ids(expected_tables[name].column("doc_id").to_pylist())
        assert ids(pl.read_delta(uri, storage_options=options)["doc_id"].to_list()) == expected, name
        assert ids(r[0] for r in con.execute(f"SELECT doc_id FROM delta_scan('{uri}')").fetchall()) == expected, name
        table = DeltaTable(uri, storage_options=options)
        assert ids(table.to_pyarrow_dataset().to_table().column("doc_id").to_pylist()) == expected, name
        assert ids(table.to_pandas()["doc_id"]) == expected, name
        # Only objects the manifest lists; the ones it retired are still there for readers of version 0.
        listed_objects = {e["object"] for rel, e in listed["files"].items() if rel.startswith(f"{name}/part-")}
        assert {u.removeprefix(f"{out_url}/") for u in table.file_uris()} == listed_objects, name
        assert table.version() == listed["delta_versions"][name], name
    # The objects run 2 superseded stay one run: a reader still on version 0 reads run 1 whole.
    first = DeltaTable(f"{out_url}/documents", version=0, storage_options=options).to_pyarrow_dataset().to_table()
    assert (
        first.num_rows
        == json.loads(fs.cat(f"{bucket}/clean/{listed['files']['runs/run-000001.json']['object']}"))["totals"][
            "documents"
        ]
    )
    assert summary["run"] == 2
    # The local copy the run worked on holds no log of its own: the bucket's is the one.
    assert not list((remote.cache_folder("out", out_url) / "copy").rglob(delta.LOG_NAME))
    # A glob of the bucket's Parquet is not the table: superseded objects stay one run. The README says so.
    globbed = pq.ParquetDataset(f"{bucket}/clean/documents", filesystem=fs).read()
    assert globbed.num_rows >= expected_tables["documents"].num_rows


@pytest.mark.services
def test_a_run_cut_short_after_its_manifest_has_its_bucket_log_caught_up_by_the_next(s3, tmp_path, monkeypatch):
    from deltalake import DeltaTable

    fs, bucket = s3
    out_url = f"s3://{bucket}/clean"
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(SAMPLE_PAGE, raw / SAMPLE_PAGE.name)
    run_pipeline(raw, out_url)
    (raw / "new.txt").write_text("国务院新闻办公室今天举行新闻发布会，介绍今年春运的总体安排。", encoding="utf-8")
    real_sync = delta.sync

    def killed(table_uri, paths, describe, schema, run, *rest, commit=True):
        if commit and run == 2:
            raise KeyboardInterrupt("killed after the manifest, before the Delta log")
        return real_sync(table_uri, paths, describe, schema, run, *rest, commit=commit)

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(delta, "sync", killed)
        run_pipeline(raw, out_url)
    options = delta.s3_storage_options()
    assert json.loads(fs.cat(f"{bucket}/clean/{remote.MANIFEST_NAME}"))["run"] == 2
    assert DeltaTable(f"{out_url}/documents", storage_options=options).version() == 0, "the log did not follow"

    run_pipeline(raw, out_url)
    listed = json.loads(fs.cat(f"{bucket}/clean/{remote.MANIFEST_NAME}"))
    for name in READ_TABLES:
        table = DeltaTable(f"{out_url}/{name}", storage_options=options)
        objects = {e["object"] for rel, e in listed["files"].items() if rel.startswith(f"{name}/part-")}
        assert {u.removeprefix(f"{out_url}/") for u in table.file_uris()} == objects, name
        assert table.version() == listed["delta_versions"][name], name


def test_each_part_carries_its_bounds_so_a_filtered_delta_read_opens_only_the_parts_that_can_match(tmp_path):
    import polars as pl
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable

    raw, out = tmp_path / "raw", tmp_path / "clean"
    for day in ("20200102", "20200103", "20200104"):  # one run, one part, a day's pages each
        for page in sorted((SAMPLE_RAW / "rmrb" / "2020-01").glob(f"{day}-*")):
            (raw / day).mkdir(parents=True, exist_ok=True)
            shutil.copy2(page, raw / day / page.name)
        run_pipeline(raw, out)
    uri = str(out / "documents")
    table = DeltaTable(uri)
    actions = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    assert len(actions) == 3
    for action in actions:
        part = pq.read_table(out / "documents" / action["path"])
        for column in ("doc_id", "source_path", "date", "char_count"):
            bounds = pc.min_max(part.column(column)).as_py()
            assert (action[f"min.{column}"], action[f"max.{column}"]) == (bounds["min"], bounds["max"]), column
            assert action[f"null_count.{column}"] == part.column(column).null_count
        assert action.get("min.text") is None  # a page's text is no bound a reader filters on
    documents = store.read_table(out, "documents")
    dates = sorted(set(documents.column("date").to_pylist()) - {None})
    assert len(dates) >= 2
    con = duckdb_with_delta()
    dataset = table.to_pyarrow_dataset()
    for day in dates:
        expected = ids(documents.filter(pc.equal(documents.column("date"), day)).column("doc_id").to_pylist())
        assert ids(pl.scan_delta(uri).filter(pl.col("date") == day).collect()["doc_id"].to_list()) == expected
        found = con.execute(f"SELECT doc_id FROM delta_scan('{uri}') WHERE date = DATE '{day}'").fetchall()
        assert ids(r[0] for r in found) == expected
        # Only the parts whose bounds hold the day are opened.
        opened = {f.path for f in dataset.get_fragments(filter=pc.field("date") == day)}
        holding = {a["path"] for a in actions if a["min.date"] <= day <= a["max.date"]}
        assert {Path(p).name for p in opened} == holding and len(holding) < len(actions)
