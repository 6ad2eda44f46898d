import json
import os

from pipeline.core.config import Config
from pipeline.read.ingest import discover, read_batch, read_file


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_discover_is_recursive_and_sorted(tmp_path):
    for name in ("b/2.txt", "a/z.txt", "a/sub/1.txt", "c.jsonl", "notes.md"):
        write(tmp_path / name, "x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["c.jsonl", "notes.md", "a/z.txt", "a/sub/1.txt", "b/2.txt"]


def test_discover_survives_a_symlink_loop(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "a" / "page.txt", "正文。")
    os.symlink(raw / "a", raw / "a" / "loop")
    # Listed as an entry (it becomes a reject row), not walked.
    assert [p.name for p in discover(raw)] == ["loop", "page.txt"]
    # A link out of the raw folder is walked when all links are followed, each real folder once.
    write(tmp_path / "elsewhere" / "p.txt", "正文。")
    os.symlink(tmp_path / "elsewhere", tmp_path / "elsewhere" / "again")
    os.symlink(tmp_path / "elsewhere", raw / "ext")
    found = [p.relative_to(raw).as_posix() for p in discover(raw, "all")]
    assert found == ["a/loop", "a/page.txt", "ext/p.txt"]


def test_txt_is_one_record(tmp_path, config):
    path = write(tmp_path / "p.txt", "标题\n正文。")
    (doc,) = read_file(path, tmp_path, config)[0]
    assert (doc.source_path, doc.source_line, doc.text, doc.encoding) == ("p.txt", None, "标题\n正文。", "utf-8")


def test_a_feeds_author_field_of_long_space_runs_is_split_as_written(tmp_path, config):
    """Names apart by separators and runs of spaces thousands long (a padded export): read, not a stall."""
    author = "王明" + " " * 20_000 + "、" + " " * 20_000 + "李华 and Jane Doe" + " " * 20_000
    path = write(tmp_path / "feed.jsonl", json.dumps({"text": "正文。", "author": author}, ensure_ascii=False) + "\n")
    (doc,) = read_file(path, tmp_path, config)[0]
    assert doc.authors == ("王明", "李华", "Jane Doe")


def test_jsonl_keeps_good_lines_and_rejects_each_bad_one_with_its_line(tmp_path, config):
    lines = [
        json.dumps(
            {
                "text": "第一篇正文。",
                "title": "一",
                "date": "2020年1月4日",
                "source": "人民网",
                "url": "https://example.org/1",
                "authors": ["王明"],
            },
            ensure_ascii=False,
        ),
        "",
        '{"text": "截断的行',
        json.dumps({"title": "没有正文"}, ensure_ascii=False),
        json.dumps({"text": "   "}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": "第二篇正文。"}, ensure_ascii=False),
    ]
    path = write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    docs = read_file(path, tmp_path, config)[0]
    assert [(d.source_line, d.reject) for d in docs] == [
        (1, None),
        (3, "malformed_json"),
        (4, "missing_text"),
        (5, "empty"),
        (6, "malformed_json"),
        (7, None),
    ]
    first = docs[0]
    assert (first.title, first.publication, first.url, first.authors) == (
        "一",
        "人民网",
        "https://example.org/1",
        ("王明",),
    )
    assert first.date.isoformat() == "2020-01-04"
    assert "line 3" in docs[1].reject_detail
    assert "date_unparsed" not in first.flags
    assert len({d.doc_id for d in docs}) == len(docs)


def test_other_files_are_rejected_not_skipped(tmp_path, config):
    path = write(tmp_path / "page.doc", "<p>正文</p>")
    (doc,) = read_file(path, tmp_path, config)[0]
    assert doc.reject == "unsupported_format" and ".doc" in doc.reject_detail


def test_files_over_the_size_limit_are_rejected_unread(tmp_path):
    path = write(tmp_path / "big.txt", "正文。" * 100)
    (doc,) = read_file(path, tmp_path, Config(max_file_bytes=100))[0]
    assert doc.reject == "too_large" and doc.size_bytes == 900


def test_broken_symlink_is_unreadable(tmp_path, config):
    os.symlink(tmp_path / "missing.txt", tmp_path / "dangling.txt")
    (doc,) = read_batch(discover(tmp_path), tmp_path, config)[0]
    assert doc.reject == "unreadable" and doc.source_path == "dangling.txt"


def test_non_utf8_file_names_are_kept_readable(tmp_path, config):
    name = os.fsencode(tmp_path) + b"/\xb1\xb1\xbe\xa9.txt"
    with open(name, "wb") as handle:
        handle.write("正文。".encode("utf-8"))
    (doc,) = read_batch(discover(tmp_path), tmp_path, config)[0]
    assert doc.source_path == "\\xb1\\xb1\\xbe\\xa9.txt"
    assert doc.text == "正文。"


def test_an_unreadable_jsonl_date_is_flagged_not_dropped(tmp_path, config):
    path = write(tmp_path / "feed.jsonl", json.dumps({"text": "正文。", "date": "昨天下午"}, ensure_ascii=False))
    (doc,) = read_file(path, tmp_path, config)[0]
    assert doc.date is None and doc.flags == ("date_unparsed",)


def test_a_jsonl_time_of_day_is_kept_and_a_dropped_zone_is_flagged(tmp_path, config):
    import datetime

    from pipeline.chain import clean_records

    records = [
        {"text": "国务院新闻办公室今天举行新闻发布会。", "date": "2024-03-05T08:30:00+08:00"},
        {"text": "国务院新闻办公室明天举行新闻发布会。", "date": "2024-03-05 09:15"},
        {"text": "国务院新闻办公室后天举行新闻发布会。", "date": "2024-03-05"},
    ]
    path = write(tmp_path / "feed.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    zoned, local, day = clean_records(read_file(path, tmp_path, config)[0], config)
    assert zoned.published_at == datetime.datetime(2024, 3, 5, 8, 30) and "time_zone_dropped" in zoned.flags
    assert local.published_at == datetime.datetime(2024, 3, 5, 9, 15) and "time_zone_dropped" not in local.flags
    assert day.published_at is None and day.date == datetime.date(2024, 3, 5) and not day.flags
