"""Raw pages and outputs in a bucket, on a real S3 API (SeaweedFS on 127.0.0.1, started in conftest).

The same pages give the same tables from a bucket as from a folder, incremental
runs included; a run cut short mid-upload leaves readers on the last commit; one
writer per output URL; a commit by another writer is never overwritten; a URL
that cannot be used is one line and exit 2 before any work.
"""

from __future__ import annotations

import json
import shutil
import threading

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE_PAGE, SAMPLE_RAW, read_tables, run_pipeline

from flows.cli import main
from pipeline.core.config import Config
from pipeline.store import lease, local_copy, remote
from pipeline.store.layout import OutputError
from pipeline.store.objects import Objects, filesystem


def upload(fs, folder, url_path: str) -> None:
    fs.put(str(folder) + "/", url_path + "/", recursive=True)


def same_tables(ours, theirs) -> None:
    a, b = read_tables(ours), read_tables(theirs)
    for name in a:
        assert a[name].equals(b[name]), name


def manifest(fs, bucket: str, prefix: str = "clean") -> dict:
    return json.loads(fs.cat_file(f"{bucket}/{prefix}/{remote.MANIFEST_NAME}"))


def test_a_bucket_gives_the_tables_a_folder_gives_incremental_runs_too(s3, tmp_path):
    fs, bucket = s3
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    upload(fs, raw, f"{bucket}/raw")
    raw_url, out_url = f"s3://{bucket}/raw", f"s3://{bucket}/clean"
    summary = run_pipeline(raw_url, out_url)
    assert summary["out_dir"] == out_url and summary["raw_dir"] == raw_url and summary["raw_roots"] == [raw_url]
    run_pipeline(raw, tmp_path / "local")
    same_tables(out_url, tmp_path / "local")

    # A new page and a changed one, in the bucket and in the folder alike.
    page = (raw / "000_087269b42eb169e9.txt").read_text(encoding="utf-8")
    (raw / "rmrb" / "new.txt").write_text("本报讯 " + page[200:1400], encoding="utf-8")
    (raw / "tw" / "changed.txt").write_text(page[:900], encoding="utf-8")
    for name in ("rmrb/new.txt", "tw/changed.txt"):
        fs.put_file(str(raw / name), f"{bucket}/raw/{name}")
    second = run_pipeline(raw_url, out_url)
    run_pipeline(raw, tmp_path / "local")
    assert second["files_processed"] == 2 and second["run"] == 2
    same_tables(out_url, tmp_path / "local")
    assert manifest(fs, bucket)["run"] == 2

    # What readers use: the manifest's list, here through docclean parts, pandas and pyarrow.
    urls = remote.part_urls(out_url, "documents")
    frame = pd.concat([pd.read_parquet(url, dtype_backend="pyarrow") for url in urls])
    assert sorted(frame["doc_id"]) == sorted(read_tables(tmp_path / "local")["documents"].column("doc_id").to_pylist())
    s3fs_fs, _ = filesystem(out_url)
    assert pq.ParquetDataset([u.removeprefix("s3://") for u in urls], filesystem=s3fs_fs).read().num_rows == len(frame)


def test_a_run_cut_short_mid_upload_leaves_readers_on_the_last_commit(s3, tmp_path, monkeypatch):
    fs, bucket = s3
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    out_url = f"s3://{bucket}/clean"
    run_pipeline(raw, out_url)
    before, first = read_tables(out_url), manifest(fs, bucket)
    (raw / "rmrb" / "new.txt").write_text(
        (raw / "000_087269b42eb169e9.txt").read_text(encoding="utf-8")[:1500], encoding="utf-8"
    )

    real_put = type(fs)._put
    uploads = []

    async def dies_half_way(self, lpath, rpath, **kwargs):
        uploads.append(len(rpath))
        await real_put(self, lpath[: len(lpath) // 2], rpath[: len(rpath) // 2], **kwargs)
        raise ConnectionError("network gone mid-upload")

    # Each run makes its own filesystem, whose sync ``put`` fsspec binds to ``_put``.
    monkeypatch.setattr(type(fs), "_put", dies_half_way)
    with pytest.raises(ConnectionError):
        run_pipeline(raw, out_url)
    monkeypatch.setattr(type(fs), "_put", real_put)
    assert uploads and uploads[0] >= 2
    assert manifest(fs, bucket) == first
    now = read_tables(out_url)
    for name in before:
        assert now[name].equals(before[name]), name
    assert not fs.exists(f"{bucket}/clean/{lease.LEASE_NAME}"), "the lease outlived the failed run"

    # The next run commits; what run 1 listed stays one more run for readers still on it, then goes.
    second = run_pipeline(raw, out_url)
    assert second["files_processed"] == 1
    listed = manifest(fs, bucket)
    assert listed["retired"] and all(fs.exists(f"{bucket}/clean/{name}") for name in listed["retired"])
    (raw / "rmrb" / "third.txt").write_text(
        (raw / "000_087269b42eb169e9.txt").read_text(encoding="utf-8")[300:1800], encoding="utf-8"
    )
    run_pipeline(raw, out_url)
    assert not any(fs.exists(f"{bucket}/clean/{name}") for name in listed["retired"])
    run_pipeline(raw, tmp_path / "local")
    same_tables(out_url, tmp_path / "local")


def test_one_writer_per_output_url(s3, tmp_path, capsys, monkeypatch):
    fs, bucket = s3
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    out_url = f"s3://{bucket}/clean"
    objects = Objects(*filesystem(out_url))
    holding, release = threading.Event(), threading.Event()

    def other_run() -> None:
        with lease.leased(objects, out_url):
            holding.set()
            release.wait(60)

    holder = threading.Thread(target=other_run)
    holder.start()
    try:
        assert holding.wait(30)
        assert main(["run", "--raw", str(raw), "--out", out_url]) == 3
        err = capsys.readouterr().err
        assert "busy" in err and "is writing" in err and out_url in err
        assert not fs.exists(f"{bucket}/clean/{remote.MANIFEST_NAME}")
    finally:
        release.set()
        holder.join()
    # A lease whose holder died (expired, not renewed) is taken over.
    objects.put(lease.LEASE_NAME, json.dumps({"token": "x", "holder": "a crashed run", "expires": 0}).encode())
    capsys.readouterr()
    assert main(["run", "--raw", str(raw), "--out", out_url]) == 0
    assert manifest(fs, bucket)["run"] == 1
    # The closing line names what exists there: the manifest, not a summary.json the bucket does not hold.
    closing = capsys.readouterr().out
    assert f"{out_url}/{remote.MANIFEST_NAME}" in closing and "summary.json" not in closing
    assert not fs.exists(f"{bucket}/clean/summary.json")


def test_a_commit_by_another_writer_is_never_overwritten(s3, tmp_path, monkeypatch):
    fs, bucket = s3
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    out_url = f"s3://{bucket}/clean"
    real_push = remote.RemoteOutput.push

    def someone_commits_first(self, run):
        # What a writer that took an expired lease would do while this run still worked.
        self.objects.put(
            remote.MANIFEST_NAME,
            json.dumps({"format": remote.MANIFEST_FORMAT, "run": 7, "files": {}}).encode(),
            replacing=self.tag,
        )
        return real_push(self, run)

    monkeypatch.setattr(remote.RemoteOutput, "push", someone_commits_first)
    with pytest.raises(OutputError, match="another run committed"):
        run_pipeline(raw, out_url)
    assert manifest(fs, bucket)["run"] == 7


@pytest.mark.parametrize(
    "case",
    ["wrong credentials", "no credentials", "missing bucket", "unreachable", "scheme not installed", "unknown scheme"],
)
def test_a_url_that_cannot_be_used_is_one_line_and_exit_2_before_any_work(s3, tmp_path, capsys, monkeypatch, case):
    fs, bucket = s3
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    monkeypatch.chdir(tmp_path)
    out_url = {
        "missing bucket": "s3://no-such-bucket-here/clean",
        "scheme not installed": "gs://bucket/clean",
        "unknown scheme": "nosuch://bucket/clean",
    }.get(case, f"s3://{bucket}/clean")
    if case == "wrong credentials":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    if case == "no credentials":
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    if case == "unreachable":
        from scripts.local_cluster import free_port

        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    for args in (["--raw", str(raw), "--out", out_url], ["--raw", out_url, "--out", str(tmp_path / "out")]):
        assert main(["run", *args]) == 2, case
        err = capsys.readouterr().err
        assert err.startswith("docclean: error: ") and err.count("\n") == 1, err
        expected = {
            "wrong credentials": "denied",
            "no credentials": "no credentials were found",
            "missing bucket": "does not exist",
            "unreachable": "cannot reach",
            "scheme not installed": "not installed",
            "unknown scheme": "no filesystem is known",
        }[case]
        assert expected in err
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("*:*"))
    assert fs.find(bucket) == []


def test_an_output_prefix_with_other_objects_is_refused(s3, tmp_path, capsys):
    fs, bucket = s3
    fs.pipe_file(f"{bucket}/clean/report.pdf", b"%PDF-1.4 someone else's file")
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    assert main(["run", "--raw", str(raw), "--out", f"s3://{bucket}/clean"]) == 2
    assert "holds other objects" in capsys.readouterr().err
    assert fs.find(f"{bucket}/clean") == [f"{bucket}/clean/report.pdf"]


def test_the_cluster_reads_raw_pages_from_a_bucket(s3, dask_cluster, tmp_path):
    fs, bucket = s3
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    upload(fs, raw, f"{bucket}/raw")
    out_url = f"s3://{bucket}/clean"
    assert (
        main(
            [
                "run",
                "--raw",
                f"s3://{bucket}/raw",
                "--out",
                out_url,
                "--cluster",
                dask_cluster.address,
                "--set",
                "batch_size=3",
            ]
        )
        == 0
    )
    run_pipeline(raw, tmp_path / "local", Config.from_mapping({"batch_size": 3}))
    same_tables(out_url, tmp_path / "local")


def test_downloading_raw_objects_says_how_far_it_has_come(s3, tmp_path, capsys, monkeypatch):
    """Minutes of downloads at 100,000 objects: the terminal says so from the start, not only once pages are read."""
    fs, bucket = s3
    raw = tmp_path / "raw"
    raw.mkdir()
    page = SAMPLE_PAGE.read_text(encoding="utf-8")
    for n in range(12):
        (raw / f"p{n:02d}.txt").write_text(f"第{n}篇 " + page[n * 40 : n * 40 + 900], encoding="utf-8")
    upload(fs, raw, f"{bucket}/raw")
    monkeypatch.setattr(local_copy, "DOWNLOAD_CHUNK", 5)
    monkeypatch.setattr(local_copy, "PROGRESS_SECONDS", 0.0)
    assert main(["run", "--raw", f"s3://{bucket}/raw", "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if f"s3://{bucket}/raw" in line]
    assert lines[0] == f"docclean: listing s3://{bucket}/raw"
    assert lines[1].startswith(f"docclean: downloading 12 new or changed objects from s3://{bucket}/raw (")
    assert [line.split()[2] for line in lines[2:5]] == ["5/12", "10/12", "12/12"]
    # A second run downloads nothing and says so by not saying it.
    assert main(["run", "--raw", f"s3://{bucket}/raw", "--out", str(tmp_path / "out")]) == 0
    assert "new or changed objects" not in capsys.readouterr().err
