"""Runs one after another over a growing raw folder: only new work, same result as one full run."""

import json
import os
import random
import shutil
import threading
import time

import pytest
from conftest import SAMPLE_PAGE, SAMPLE_RAW, read_tables, run_pipeline

from pipeline import store
from pipeline.core.config import Config
from pipeline.store import journal

REPOST_NOTE = "| 本文转载自法治网，转载时补充了这一句说明文字。\n"


def snapshot(folder):
    """Every file under ``folder`` with its bytes and mtime: what a reader could notice."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != store.LOCK_NAME
    }


def split_sample(tmp_path, groups):
    """The bundled sample's files dealt round-robin into ``groups`` lists of relative paths."""
    files = sorted(p.relative_to(SAMPLE_RAW) for p in SAMPLE_RAW.rglob("*") if p.is_file())
    return [files[i::groups] for i in range(groups)]


def add(raw, relative_paths):
    for rel in relative_paths:
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SAMPLE_RAW / rel, raw / rel)


@pytest.fixture
def raw(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    return folder


def test_a_run_with_nothing_new_changes_nothing(raw, tmp_path):
    out = tmp_path / "clean"
    add(raw, [p.relative_to(SAMPLE_RAW) for p in SAMPLE_RAW.rglob("*") if p.is_file()])
    run_pipeline(raw, out)
    before = snapshot(out)
    again = run_pipeline(raw, out)
    assert again["nothing_new"] and again["files_unchanged"] == 12 and again["files_processed"] == 0
    # Touched, not changed: same bytes, new mtime.
    os.utime(raw / SAMPLE_PAGE.name, ns=(time.time_ns(), time.time_ns()))
    assert run_pipeline(raw, out)["nothing_new"]
    assert snapshot(out) == before


def test_incremental_runs_add_up_to_one_full_run(raw, tmp_path):
    out = tmp_path / "clean"
    totals = 0
    for group in split_sample(tmp_path, 3):
        add(raw, group)
        summary = run_pipeline(raw, out)
        assert summary["files_processed"] == len(group) and summary["counts_add_up"]
        totals += summary["records"]
    run_pipeline(raw, tmp_path / "full", full=True)
    assert read_tables(out) == read_tables(tmp_path / "full")
    assert store.read_summary(out)["totals"]["records"] == totals == store.read_summary(tmp_path / "full")["records"]
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["run-000001.json", "run-000002.json", "run-000003.json"]


def test_a_new_copy_of_an_old_article_points_at_it_and_old_parts_stay_as_they_were(raw, tmp_path):
    out = tmp_path / "clean"
    add(raw, [SAMPLE_PAGE.name])
    run_pipeline(raw, out)
    old_part = snapshot(out)["documents/part-000001.parquet"]
    kept_id = store.read_table(out, "documents")["doc_id"].to_pylist()[0]

    text = SAMPLE_PAGE.read_text(encoding="utf-8")
    (raw / "mirror").mkdir()
    (raw / "mirror" / "copy.txt").write_text(text, encoding="utf-8")
    summary = run_pipeline(raw, out)

    (row,) = store.read_table(out, "duplicates").to_pylist()
    assert (row["source_path"], row["duplicate_of"], row["kind"]) == ("mirror/copy.txt", kept_id, "exact")
    assert summary["duplicates_by_kind"]["of_earlier_runs"] == 1 and summary["swaps"] == []
    assert snapshot(out)["documents/part-000001.parquet"] == old_part
    assert summary["largest_clusters"][0]["kept"] == kept_id and summary["largest_clusters"][0]["size"] == 2


def test_a_better_new_copy_takes_the_place_of_the_kept_one_and_the_swap_is_recorded(raw, tmp_path):
    out = tmp_path / "clean"
    add(raw, [SAMPLE_PAGE.name])
    run_pipeline(raw, out)
    old_id = store.read_table(out, "documents")["doc_id"].to_pylist()[0]

    text = SAMPLE_PAGE.read_text(encoding="utf-8")
    (raw / "zz_repost.txt").write_text(text.replace("|\n", REPOST_NOTE, 1), encoding="utf-8")
    summary = run_pipeline(raw, out)

    documents = store.read_table(out, "documents").to_pylist()
    duplicates = store.read_table(out, "duplicates").to_pylist()
    assert [d["source_path"] for d in documents] == ["zz_repost.txt"]
    assert [(d["doc_id"], d["duplicate_of"], d["kind"]) for d in duplicates] == [
        (old_id, documents[0]["doc_id"], "near")
    ]
    assert summary["swaps"] == [{"doc_id": old_id, "replaced_by": documents[0]["doc_id"]}]
    assert summary["earlier_rows"]["replaced_kept"] == 1
    run_json = json.loads((out / "runs" / "run-000002.json").read_text(encoding="utf-8"))
    assert run_json["swaps"] == summary["swaps"]

    run_pipeline(raw, tmp_path / "full", full=True)
    assert read_tables(out) == read_tables(tmp_path / "full")


def test_a_changed_raw_file_replaces_its_old_rows(raw, tmp_path):
    out = tmp_path / "clean"
    add(raw, [SAMPLE_PAGE.name, "rmrb/2020-01/20200104-01-05.txt", "rmrb/2020-01/20200104-04-03.txt"])
    run_pipeline(raw, out)
    assert store.read_table(out, "duplicates").num_rows == 1

    # The kept front-page copy is re-scraped as a different article: its
    # duplicate on page 4 must become the kept copy.
    page = raw / "rmrb/2020-01/20200104-01-05.txt"
    kept_id = store.read_table(out, "duplicates")["duplicate_of"].to_pylist()[0]
    page.write_bytes(SAMPLE_PAGE.read_bytes().replace("北京".encode(), "上海".encode()))
    summary = run_pipeline(raw, out)
    assert summary["files_changed"] == 1 and summary["earlier_rows"]["removed_changed_files"] >= 1

    documents = {r["source_path"]: r for r in store.read_table(out, "documents").to_pylist()}
    assert "rmrb/2020-01/20200104-04-03.txt" in documents
    assert documents["rmrb/2020-01/20200104-01-05.txt"]["doc_id"] == kept_id
    run_pipeline(raw, tmp_path / "full", full=True)
    assert read_tables(out) == read_tables(tmp_path / "full")
    ledger = {r["source_path"]: r for r in store.read_table(out, "files").to_pylist()}
    assert ledger["rmrb/2020-01/20200104-01-05.txt"]["run"] == 2 and ledger[SAMPLE_PAGE.name]["run"] == 1


def test_a_deleted_raw_file_keeps_its_rows(raw, tmp_path):
    out = tmp_path / "clean"
    add(raw, [SAMPLE_PAGE.name, "rmrb/2020-01/20200104-01-05.txt"])
    run_pipeline(raw, out)
    before = read_tables(out)
    (raw / SAMPLE_PAGE.name).unlink()
    (raw / "new.txt").write_text("一篇全新的文章，和别的页面都不一样，只为让这次运行有事可做。", encoding="utf-8")
    summary = run_pipeline(raw, out)
    assert summary["files_missing"] == 1 and summary["files_processed"] == 1
    assert set(before["documents"]["doc_id"].to_pylist()) <= set(read_tables(out)["documents"]["doc_id"].to_pylist())


def test_other_settings_need_a_full_rebuild(raw, tmp_path):
    out = tmp_path / "clean"
    add(raw, [SAMPLE_PAGE.name])
    run_pipeline(raw, out)
    (raw / "new.txt").write_text("又一篇新文章。", encoding="utf-8")
    with pytest.raises(store.OutputError, match=r"num_perm 128 -> 64.*--full"):
        run_pipeline(raw, out, Config(num_perm=64))
    # Running options may change between runs.
    assert run_pipeline(raw, out, Config(batch_size=7, lock_wait_seconds=1))["records"] == 1
    (raw / "newer.txt").write_text("再一篇新文章。", encoding="utf-8")
    assert run_pipeline(raw, out, Config(num_perm=64), full=True)["totals"]["records"] == 3


def test_a_second_writer_fails_clearly_or_waits(raw, tmp_path):
    out = tmp_path / "clean"
    add(raw, [SAMPLE_PAGE.name])
    with store.locked(out):
        with pytest.raises(store.BusyError, match=r"another docclean run \(pid \d+ .*\) is writing"):
            run_pipeline(raw, out)
    assert not store.parts(out, "documents")

    holder_done = threading.Event()

    def hold():
        with store.locked(out):
            time.sleep(0.6)
        holder_done.set()

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(0.1)
    summary = run_pipeline(raw, out, Config(lock_wait_seconds=10))
    thread.join()
    assert holder_done.is_set() and summary["records"] == 1


def test_a_crash_after_the_commit_point_is_finished_by_the_next_run(raw, tmp_path, monkeypatch):
    out = tmp_path / "clean"
    groups = split_sample(tmp_path, 2)
    add(raw, groups[0])
    run_pipeline(raw, out)
    add(raw, groups[1])

    def crash(out_dir):
        raise KeyboardInterrupt("killed while renaming")

    monkeypatch.setattr(journal, "_apply_journal", crash)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(raw, out)
    assert store.pending(out)
    monkeypatch.undo()

    assert run_pipeline(raw, out)["nothing_new"]  # the recovery finished the interrupted commit
    assert not store.pending(out)
    run_pipeline(raw, tmp_path / "full", full=True)
    assert read_tables(out) == read_tables(tmp_path / "full")


FURNITURE = "（本站编辑部出品）"


def site_page(rng, k, footer=True):
    """A page of one site: a title, five paragraphs of prose, and the site's footer line."""
    vocabulary = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    paragraphs = ["".join(rng.choice(vocabulary) for _ in range(rng.randint(40, 90))) + "。" for _ in range(5)]
    return "\n".join([f"第{k}篇文章的标题", *paragraphs, *([FURNITURE] if footer else [])])


def test_furniture_learned_later_cleans_earlier_pages_and_unlearned_furniture_comes_back(raw, tmp_path):
    """Incremental runs hold the text a full rebuild holds, when learning changes what earlier pages are.

    Four pages are too few to learn their footer; four more teach it, and the
    first four are read again and lose it. Eighty more pages of the site
    without it make it a line of under a tenth of the site's pages: the eight
    get it back.
    """
    out, rng = tmp_path / "clean", random.Random(11)
    site = raw / "site"
    site.mkdir()

    def write(first, count, footer=True):
        for k in range(first, first + count):
            (site / f"{k:04d}.txt").write_text(site_page(rng, k, footer), encoding="utf-8")

    def texts(where):
        return store.read_table(where, "documents").column("text").to_pylist()

    write(0, 4)
    first = run_pipeline(raw, out)
    assert first["files_reread"] == 0 and all(FURNITURE in text for text in texts(out))
    write(4, 4)
    second = run_pipeline(raw, out)
    assert second["files_processed"] == 4 and second["files_reread"] == 4
    assert second["earlier_rows"]["cleaned_again"] == 4 and second["records_reread"] == 4 and second["counts_add_up"]
    assert not any(FURNITURE in text for text in texts(out))
    run_pipeline(raw, tmp_path / "full", full=True)
    assert read_tables(out) == read_tables(tmp_path / "full")

    write(8, 80, footer=False)
    third = run_pipeline(raw, out)
    assert third["files_reread"] == 8 and sum(FURNITURE in text for text in texts(out)) == 8
    run_pipeline(raw, tmp_path / "full", full=True)
    assert read_tables(out) == read_tables(tmp_path / "full")
    # Every record ends in one table once: re-read records replace their earlier rows.
    assert store.read_summary(out)["totals"]["records"] == 88


def test_a_reread_page_whose_file_is_gone_keeps_its_rows_and_the_run_says_so(raw, tmp_path):
    out, rng = tmp_path / "clean", random.Random(12)
    site = raw / "site"
    site.mkdir()
    for k in range(4):
        (site / f"{k:04d}.txt").write_text(site_page(rng, k), encoding="utf-8")
    run_pipeline(raw, out)
    (site / "0000.txt").unlink()
    for k in range(4, 9):
        (site / f"{k:04d}.txt").write_text(site_page(rng, k), encoding="utf-8")
    summary = run_pipeline(raw, out)
    assert summary["files_reread"] == 3 and summary["files_reread_gone"] == 1
    rows = {row["source_path"]: row["text"] for row in store.read_table(out, "documents").to_pylist()}
    assert FURNITURE in rows["site/0000.txt"] and not any(
        FURNITURE in text for path, text in rows.items() if path != "site/0000.txt"
    )


def test_a_duplicate_of_an_edited_kept_copy_is_verified_again(raw, tmp_path):
    """The kept copy's file is edited: its copy is a near copy now (kind, similarity), as a full rebuild says."""
    out, rng = tmp_path / "clean", random.Random(13)
    kept = site_page(rng, 1, footer=False)
    lines = kept.split("\n")
    (raw / "a.txt").write_text(
        kept + "\n" + "这是原稿多出的一段文字，让它成为更完整的一份，因而被保留下来，而另一份成为它的副本。",
        encoding="utf-8",
    )
    (raw / "b.txt").write_text(kept, encoding="utf-8")
    run_pipeline(raw, out)
    before = store.read_table(out, "duplicates").to_pylist()
    assert [row["source_path"] for row in before] == ["b.txt"]
    # Edit a.txt: a few words of one paragraph, so b.txt is a copy of it still, less alike than it was.
    lines[3] = "另外" + lines[3][6:]
    (raw / "a.txt").write_text(
        "\n".join(lines)
        + "\n"
        + "这是原稿多出的一段文字，让它成为更完整的一份，因而被保留下来，而另一份成为它的副本。",
        encoding="utf-8",
    )
    summary = run_pipeline(raw, out)
    assert summary["earlier_rows"]["reverified"] == 1
    run_pipeline(raw, tmp_path / "full", full=True)
    got, want = (store.read_table(where, "duplicates").to_pylist() for where in (out, tmp_path / "full"))
    assert [(r["doc_id"], r["duplicate_of"], r["kind"], r["similarity"]) for r in got] == [
        (r["doc_id"], r["duplicate_of"], r["kind"], r["similarity"]) for r in want
    ]
    assert got[0]["similarity"] != before[0]["similarity"]


def test_a_raw_folder_given_through_a_link_is_the_folder_it_links_to(raw, tmp_path):
    """Names are relative to the real folder; the same folder by its real path and through a link is one folder."""
    add(raw, [p.relative_to(SAMPLE_RAW) for p in SAMPLE_RAW.rglob("*") if p.is_file()])
    link = tmp_path / "link"
    link.symlink_to(raw, target_is_directory=True)
    out = tmp_path / "clean"
    first = run_pipeline(link, out)
    names = store.read_table(out, "files").column("source_path").to_pylist()
    assert names and not any(name.startswith("..") for name in names)
    again = run_pipeline(raw, out)
    assert again["nothing_new"] and again["files_unchanged"] == first["files_processed"]
    run_pipeline(raw, tmp_path / "direct", full=True)
    assert read_tables(out) == read_tables(tmp_path / "direct")
