"""The ledger of processed files: what a run adds to it and what it keeps."""

import pyarrow as pa

from pipeline.core.schema import FILES
from pipeline.read.ledger import Fingerprint, ledger_table


def test_a_run_adds_new_files_replaces_changed_ones_and_keeps_the_rest_in_path_order():
    earlier = pa.Table.from_pylist(
        [
            {
                "source_path": "2020/a.txt",
                "size_bytes": 10,
                "mtime_ns": 1,
                "content_hash": "h-a",
                "records": 1,
                "run": 1,
            },
            {
                "source_path": "2020/b.txt",
                "size_bytes": 20,
                "mtime_ns": 2,
                "content_hash": "h-b",
                "records": 1,
                "run": 1,
            },
            {
                "source_path": "2020/é.txt",
                "size_bytes": 30,
                "mtime_ns": 3,
                "content_hash": None,
                "records": 1,
                "run": 1,
            },
        ],
        schema=FILES,
    )
    prints = {
        "2020/b.txt": Fingerprint(25, 5, "h-b2"),
        "2020/feed.jsonl": Fingerprint(99, 6, "h-feed"),
        "2019/z.txt": Fingerprint(7, 7, None),
    }
    table = ledger_table(prints, {"2020/b.txt": 1, "2020/feed.jsonl": 3}, 2, earlier)
    assert table.schema == FILES
    assert table.to_pylist() == [
        {"source_path": "2019/z.txt", "size_bytes": 7, "mtime_ns": 7, "content_hash": None, "records": 0, "run": 2},
        {"source_path": "2020/a.txt", "size_bytes": 10, "mtime_ns": 1, "content_hash": "h-a", "records": 1, "run": 1},
        {"source_path": "2020/b.txt", "size_bytes": 25, "mtime_ns": 5, "content_hash": "h-b2", "records": 1, "run": 2},
        {
            "source_path": "2020/feed.jsonl",
            "size_bytes": 99,
            "mtime_ns": 6,
            "content_hash": "h-feed",
            "records": 3,
            "run": 2,
        },
        {"source_path": "2020/é.txt", "size_bytes": 30, "mtime_ns": 3, "content_hash": None, "records": 1, "run": 1},
    ]


def test_a_first_run_has_no_earlier_ledger():
    table = ledger_table(
        {"b.txt": Fingerprint(1, 1, "x"), "a.txt": Fingerprint(2, 2, "y")}, {"a.txt": 1, "b.txt": 1}, 1, None
    )
    assert table["source_path"].to_pylist() == ["a.txt", "b.txt"]
    assert table["content_hash"].to_pylist() == ["y", "x"]
