"""Regressions of "Nothing lost, round 2": each test is named after the symptom it guards.

Every repro input is built inside the test; large inputs are generated.
"""

import shutil

from conftest import SAMPLE_PAGE, SAMPLE_RAW, read_tables, run_pipeline

from pipeline import store


def copy_sample(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW, raw)
    return raw


def test_an_edited_page_outside_any_cluster_does_not_break_later_runs(tmp_path):
    raw, out = copy_sample(tmp_path), tmp_path / "clean"
    run_pipeline(raw, out)
    page = raw / SAMPLE_PAGE.name
    page.write_text(page.read_text(encoding="utf-8").replace("北京", "南京", 1), encoding="utf-8")
    second = run_pipeline(raw, out)
    assert second["files_changed"] == 1 and second["counts_add_up"]
    assert second["earlier_rows"]["removed_changed_files"] == 1
    # And the run after it works too (the bug failed every later run).
    (raw / "extra.txt").write_text("新的标题\n新的一篇正文，内容与其他文章都不相同。", encoding="utf-8")
    third = run_pipeline(raw, out)
    assert third["files_processed"] == 1 and third["counts_add_up"]
    titles = read_tables(out)["documents"].column("text").to_pylist()
    assert sum("南京" in text for text in titles) >= 1
    assert store.read_summary(out)["totals"]["records"] == 16
