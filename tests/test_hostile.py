"""Hostile inputs: each gets its reject reason or its repair, none stops the run, none is lost.

Every test ends with the same check: each input file (each JSONL line) is in
exactly one of documents, duplicates and rejects.
"""

import io
import json
import os
import random
import subprocess
import sys
import textwrap
import zipfile
from collections import Counter

import pytest
from conftest import ROOT, SAMPLE_PAGE, child_env, run_pipeline

from pipeline import store
from pipeline.core.config import Config

ARTICLE = SAMPLE_PAGE.read_text(encoding="utf-8")
BODY = "北京市委政法委发挥统筹协调作用，成立由28家单位组成的试点工作协调指导组，组织各区同步部署开展试点工作。"


def rows_by_source(out):
    """source_path (with :line for JSONL) -> [(table, row)] over the three record tables."""
    found: dict[str, list] = {}
    for table in ("documents", "duplicates", "rejects"):
        for row in store.read_table(out, table).to_pylist():
            key = row["source_path"] + (f":{row['source_line']}" if row["source_line"] else "")
            found.setdefault(key, []).append((table, row))
    return found


def assert_each_input_once(out, expected_keys):
    found = rows_by_source(out)
    assert sorted(found) == sorted(expected_keys)
    assert all(len(rows) == 1 for rows in found.values()), {k: v for k, v in found.items() if len(v) > 1}
    summary = store.read_summary(out)
    assert summary["counts_add_up"] and summary["totals"]["records"] == len(expected_keys)
    return {key: rows[0] for key, rows in found.items()}


def png_bytes():
    return b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("article.txt", ARTICLE)
    return buffer.getvalue()


def test_a_folder_of_hostile_files_is_cleaned_without_losing_one(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    files = {
        "empty.txt": b"",
        "whitespace.txt": " \n\t\r\n\u3000\n".encode("utf-8"),
        "image.txt": png_bytes(),
        "archive.txt": zip_bytes(),
        "random.txt": random.Random(7).randbytes(4096),
        "nul.txt": ("标题\n" + BODY).encode("utf-8").replace("作用".encode(), "作\x00用".encode()),
        "truncated.txt": ("标题\n" + BODY).encode("utf-8")[:-1],
        "mixed.txt": "标题\n".encode() + BODY.encode("gb18030") + "\n第二段正文也在这里。".encode(),
        "utf16.txt": ("标题\n" + BODY).encode("utf-16"),
    }
    for name, data in files.items():
        (raw / name).write_bytes(data)
    summary = run_pipeline(raw, tmp_path / "clean")
    rows = assert_each_input_once(tmp_path / "clean", files)
    reasons = {key: (table, row.get("reason")) for key, (table, row) in rows.items()}
    assert reasons["empty.txt"] == ("rejects", "empty")
    assert reasons["whitespace.txt"] == ("rejects", "empty")
    assert reasons["image.txt"] == ("rejects", "binary") and "PNG" in rows["image.txt"][1]["detail"]
    assert reasons["archive.txt"] == ("rejects", "binary") and "ZIP" in rows["archive.txt"][1]["detail"]
    assert reasons["random.txt"] == ("rejects", "binary")

    documents = {r["source_path"]: r for r in store.read_table(tmp_path / "clean", "documents").to_pylist()}
    duplicates = {r["source_path"]: r for r in store.read_table(tmp_path / "clean", "duplicates").to_pylist()}
    texts = {**documents, **duplicates}
    assert texts["nul.txt"]["text"] == BODY and "nul_removed" in texts["nul.txt"]["flags"]
    assert texts["truncated.txt"]["text"].startswith(BODY[:-1])
    assert "invalid_bytes_replaced" in texts["truncated.txt"]["flags"]
    assert texts["mixed.txt"]["text"] == BODY + "\n第二段正文也在这里。"
    assert texts["mixed.txt"]["encoding"] == "utf-8+gb18030" and "mixed_encodings" in texts["mixed.txt"]["flags"]
    assert texts["utf16.txt"]["text"] == BODY and texts["utf16.txt"]["encoding"] == "utf-16-le"
    assert summary["rejects_by_reason"] == {"binary": 3, "empty": 2}


def test_jsonl_keeps_good_lines_and_rejects_each_broken_one_with_its_number(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    good = [json.dumps({"text": BODY + f"第{i}篇。", "title": f"标题{i}"}, ensure_ascii=False) for i in range(3)]
    lines = [
        good[0],
        '{"text": "半截',  # 2: cut off
        "",  # 3: blank, not a record
        good[1].encode("utf-8").decode("utf-8"),  # 4
        json.dumps({"text": BODY + "第三篇。"}, ensure_ascii=False).replace("第三篇", "第叁篇"),  # 5
        "\x00\x01\x02\x03\x04\x05\x06",  # 6: control bytes
        json.dumps({"title": "无正文"}, ensure_ascii=False),  # 7
        good[2],  # 8
    ]
    data = "\n".join(lines).encode("utf-8")
    gbk_line = json.dumps({"text": "这一行是GBK编码的正文，由另一个抓取器写入。"}, ensure_ascii=False).encode("gb18030")
    (raw / "feed.jsonl").write_bytes(data + b"\n" + gbk_line + b"\n")  # 9: another encoding
    run_pipeline(raw, tmp_path / "clean")
    keys = [f"feed.jsonl:{n}" for n in (1, 2, 4, 5, 6, 7, 8, 9)]
    rows = assert_each_input_once(tmp_path / "clean", keys)
    assert rows["feed.jsonl:2"][1]["reason"] == "malformed_json" and rows["feed.jsonl:2"][1]["detail"].startswith(
        "line 2:"
    )
    assert rows["feed.jsonl:6"][1]["reason"] == "binary" and rows["feed.jsonl:6"][1]["detail"].startswith("line 6:")
    assert rows["feed.jsonl:7"][1]["reason"] == "missing_text"
    kept = {k for k, (table, _) in rows.items() if table != "rejects"}
    assert kept == {"feed.jsonl:1", "feed.jsonl:4", "feed.jsonl:5", "feed.jsonl:8", "feed.jsonl:9"}
    assert rows["feed.jsonl:9"][1]["text"] == "这一行是GBK编码的正文，由另一个抓取器写入。"


def test_names_symlinks_and_unreadable_files(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    (raw / "pages").mkdir(parents=True)
    (raw / "pages" / "real.txt").write_text("标题\n" + BODY, encoding="utf-8")
    os.symlink(raw / "pages" / "real.txt", raw / "link.txt")  # a file link: read like the file
    os.symlink(raw / "pages", raw / "pages" / "loop")  # a folder loop: not followed
    os.symlink(raw / "missing.txt", raw / "dangling.txt")  # nothing behind it
    with open(os.fsencode(raw) + b"/\xb1\xb1\xbe\xa9.txt", "wb") as handle:  # GBK bytes in the name
        handle.write(
            "另一篇\n南极中山站的科考队员在严寒中迎来新年，升起国旗，向祖国和亲人送上新春祝福。".encode("utf-8")
        )
    locked = raw / "locked.txt"
    locked.write_text("正文。", encoding="utf-8")
    locked.chmod(0)
    real_open = os.open

    def no_permission(file, flags, *args, **kwargs):
        # root reads mode-000 files anyway; make the kernel's answer explicit.
        if os.fspath(file) == os.fspath(locked):
            raise PermissionError(13, "Permission denied")
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_permission)
    run_pipeline(raw, tmp_path / "clean")
    rows = assert_each_input_once(
        tmp_path / "clean",
        ["pages/real.txt", "link.txt", "dangling.txt", "\\xb1\\xb1\\xbe\\xa9.txt", "locked.txt", "pages/loop"],
    )
    assert rows["pages/loop"][1]["reason"] == "symlinked_folder"  # recorded, not walked
    assert rows["dangling.txt"][1]["reason"] == "unreadable"
    assert rows["locked.txt"][1]["reason"] == "unreadable" and "Permission" in rows["locked.txt"][1]["detail"]
    # The link is a copy of the page it points to.
    assert {rows["link.txt"][0], rows["pages/real.txt"][0]} == {"documents", "duplicates"}
    assert rows["\\xb1\\xb1\\xbe\\xa9.txt"][0] == "documents"

    # Once readable, the locked file is picked up by the next run.
    monkeypatch.undo()
    locked.chmod(0o644)
    summary = run_pipeline(raw, tmp_path / "clean")
    assert summary["files_processed"] == 1 and summary["files_changed"] == 1
    rows = assert_each_input_once(
        tmp_path / "clean",
        ["pages/real.txt", "link.txt", "dangling.txt", "\\xb1\\xb1\\xbe\\xa9.txt", "locked.txt", "pages/loop"],
    )
    assert rows["locked.txt"][0] == "documents"


HUGE_RUN = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from conftest import run_pipeline
    from pipeline.core.config import Config
    summary = run_pipeline(Path(sys.argv[1]), Path(sys.argv[2]), Config(max_file_bytes=8 << 20))
    print(summary["records"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """
)


def test_a_200_mb_single_line_is_rejected_in_bounded_memory(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    size = 200 * 1024 * 1024
    line = ("北京市委政法委发挥统筹协调作用，" * 4096).encode("utf-8")
    for name, prefix, suffix in (("huge.txt", b"", b""), ("huge.jsonl", b'{"text": "', b'"}\n')):
        with open(raw / name, "wb") as handle:
            handle.write(prefix)
            for _ in range(size // len(line)):
                handle.write(line)
            handle.write(suffix)
    good = json.dumps({"text": BODY}, ensure_ascii=False).encode("utf-8") + b"\n"
    with open(raw / "huge.jsonl", "ab") as handle:
        handle.write(good)
    (raw / "page.txt").write_text(
        "标题\n南极中山站的科考队员在严寒中迎来新年，升起国旗，向祖国和亲人送上新春祝福。", encoding="utf-8"
    )

    small = tmp_path / "small"
    small.mkdir()
    (small / "page.txt").write_bytes((raw / "page.txt").read_bytes())

    def peak(folder, out):
        result = subprocess.run(
            [sys.executable, "-c", HUGE_RUN, str(folder), str(out)],
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return map(int, result.stdout.split())

    _, baseline_mb = peak(small, tmp_path / "small-clean")
    records, peak_mb = peak(raw, tmp_path / "clean")
    rows = assert_each_input_once(tmp_path / "clean", ["huge.txt", "huge.jsonl:1", "huge.jsonl:2", "page.txt"])
    assert records == 4
    assert rows["huge.txt"][1]["reason"] == "too_large" and rows["huge.txt"][1]["size_bytes"] > size - len(line)
    assert rows["huge.jsonl:1"][1]["reason"] == "too_large" and rows["huge.jsonl:1"][1]["detail"].startswith("line 1:")
    assert rows["huge.jsonl:2"][0] == "documents"
    # Neither giant is ever held whole: memory per record is bounded by max_file_bytes
    # (8 MiB here), not by the size of the file.
    assert peak_mb - baseline_mb < 40, f"peak RSS {peak_mb} MiB, {baseline_mb} MiB on one small page"
    ledger = {r["source_path"]: r for r in store.read_table(tmp_path / "clean", "files").to_pylist()}
    assert ledger["huge.txt"]["content_hash"] and ledger["huge.txt"]["size_bytes"] > size - len(line)


@pytest.mark.slow
def test_a_folder_of_100000_tiny_files(tmp_path):
    raw = tmp_path / "raw"
    rng = random.Random(3)
    alphabet = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    for folder in range(100):
        (raw / f"{folder:03d}").mkdir(parents=True)
        for index in range(1000):
            text = "".join(rng.choice(alphabet) for _ in range(24)) + "。"
            (raw / f"{folder:03d}" / f"{index:04d}.txt").write_text(text, encoding="utf-8")
    summary = run_pipeline(raw, tmp_path / "clean", Config(batch_size=2048), batch_size=2048)
    assert summary["records"] == 100_000 and summary["counts_add_up"]
    totals = summary["totals"]
    assert totals["documents"] + totals["duplicates"] + totals["rejects"] == 100_000
    ledger = store.read_table(tmp_path / "clean", "files")
    assert ledger.num_rows == 100_000 and Counter(ledger["records"].to_pylist()) == {1: 100_000}
    again = run_pipeline(raw, tmp_path / "clean")
    assert again["nothing_new"] and again["files_unchanged"] == 100_000
