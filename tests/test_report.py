"""The run report reads back what the run did, in the JSON, the table and the markdown."""

import shutil

from conftest import SAMPLE_RAW, run_pipeline

from pipeline.store import report


def test_report_of_a_real_run(tmp_path):
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    summary = run_pipeline(raw, tmp_path / "clean")
    rows = {(r["group"], r["item"]): r["value"] for r in report.count_rows(summary)}
    assert rows[("records", "read")] == summary["records"] == 15
    assert rows[("rejects", "binary")] == 1 and rows[("totals", "documents")] == 7
    assert rows[("duplicates", "exact")] + rows[("duplicates", "near")] == summary["duplicates"] == 2

    text = report.markdown(summary)
    assert text.startswith("# docclean run 1\n")
    assert "records read: 15 = 7 documents + 2 duplicates + 6 rejects" in text
    assert "## Largest duplicate clusters" in text
    for cluster in summary["largest_clusters"]:
        assert f"`{cluster['kept']}`" in text and cluster["size"] == 2


def test_report_of_a_run_with_nothing_new():
    text = report.markdown({"nothing_new": True, "raw_dir": "data/raw", "files_unchanged": 12})
    assert "No new or changed raw files" in text and "12 unchanged" in text
