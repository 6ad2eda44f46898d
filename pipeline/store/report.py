"""The run report: what a run read, kept, dropped and rejected, and how long it took.

The same content three ways: the run summary (a dict, written as JSON beside
the tables), `count_rows` (a flat table, for a Prefect table artifact) and
`markdown` (for a Prefect markdown artifact and humans).
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from pipeline.core.schema import DUPLICATE_KINDS, SCHEMA_VERSION

if TYPE_CHECKING:
    from pipeline.core.config import Config
    from pipeline.dedup.clusters import Clustering
    from pipeline.store.part_writer import Published

LARGEST_CLUSTERS = 10
LEARNED_LISTED = 20


class CountsDoNotAddUp(RuntimeError):
    """A run's records do not all end in exactly one table: nothing is published."""


def run_summary(
    run: int, facts: dict[str, Any], published: Published, clustering: Clustering, config: Config
) -> dict[str, Any]:
    """The summary of a run that publishes: what its records became, and the corpus after it.

    Raises `CountsDoNotAddUp` when this run's records, or the corpus's, do
    not add up to documents + duplicates + rejects.
    """
    counts, totals, titles = published.counts, published.totals, published.titles
    records = facts.get("records", 0)
    summary = {
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **facts,
        "documents": published.rows["documents"] - counts["promoted"],
        "duplicates": published.rows["duplicates"]
        - counts["replaced_kept"]
        - counts["repointed"]
        - counts["reverified"],
        "rejects": published.rows["rejects"],
        "duplicates_by_kind": {
            **{kind: counts[f"kind:{kind}"] for kind in DUPLICATE_KINDS},
            "of_earlier_runs": counts["of_earlier"],
            "repeated_blocks_in_page": counts["repeated_blocks"],
        },
        "rejects_by_reason": dict(sorted(published.reasons.items())),
        "flags": dict(sorted(published.flags.items())),
        "earlier_rows": {
            "replaced_kept": counts["replaced_kept"],
            "repointed": counts["repointed"],
            "reverified": counts["reverified"],
            "promoted": counts["promoted"],
            "removed_changed_files": counts["removed"],
            "cleaned_again": counts["reread"],
        },
        "swaps": [
            {"doc_id": doc_id, "replaced_by": replaced_by} for doc_id, replaced_by in sorted(swaps(clustering.changes))
        ],
        "largest_clusters": [
            {
                "kept": kept,
                "title": titles.get(kept, (None, ""))[0],
                "source_path": titles.get(kept, (None, ""))[1],
                "size": size,
                "new_members": new,
            }
            for kept, size, new in clustering.clusters[:LARGEST_CLUSTERS]
        ],
        "totals": totals,
        "config": config.to_mapping(),
        "output_settings": config.output_settings(),
    }
    summary["counts_add_up"] = (
        records == summary["documents"] + summary["duplicates"] + summary["rejects"]
        and totals["records"] == totals["documents"] + totals["duplicates"] + totals["rejects"]
    )
    if not summary["counts_add_up"]:
        raise CountsDoNotAddUp(
            f"counts do not add up: {records} records read, {summary['documents']} + {summary['duplicates']} + "
            f"{summary['rejects']} written; totals {totals}. Nothing was published."
        )
    return summary


def learned_templates(table: pa.Table | None, limit: int = LEARNED_LISTED) -> list[dict[str, Any]]:
    """The learned boilerplate templates with the most support first: scope, template and article counts.

    >>> table = pa.table({"scope": ["", "siteA"], "template": ["责任编辑：<name>", "本网站所刊载<...>"],
    ...                   "top": [0, 0], "bottom": [40, 9], "inside": [1, 0]})
    >>> [(t["scope"], t["bottom"]) for t in learned_templates(table)]
    [('', 40), ('siteA', 9)]
    """
    if table is None or not table.num_rows:
        return []
    rows = table.select(["scope", "template", "top", "bottom", "inside"]).to_pylist()
    rows.sort(key=lambda r: (-max(r["top"], r["bottom"]), r["scope"], r["template"]))
    return rows[:limit]


def swaps(changes: pa.Table) -> list[tuple[str, str]]:
    """(earlier kept doc_id, new kept doc_id) for each kept copy that a better new copy replaced."""
    was_kept = pc.is_null(changes.column("was_duplicate_of"))
    swapped = changes.filter(pc.and_(was_kept, pc.is_valid(changes.column("duplicate_of"))))
    return list(zip(swapped.column("doc_id").to_pylist(), swapped.column("duplicate_of").to_pylist()))


def nothing_new(facts: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The summary of a run that found no new or changed file and wrote nothing.

    It has every count a downstream check reads (all zero), so that a
    scheduled no-op run reports like any other.

    >>> summary = nothing_new({"files": 12, "files_unchanged": 12}, 0.4)
    >>> summary["nothing_new"], summary["records"], summary["counts_add_up"], summary["run"]
    (True, 0, True, None)
    """
    return {
        **facts,
        "run": None,
        "nothing_new": True,
        "records": 0,
        "documents": 0,
        "duplicates": 0,
        "rejects": 0,
        "rejects_by_reason": {},
        "clusters_with_duplicates": 0,
        "counts_add_up": True,
        "seconds": round(seconds, 3),
    }


def count_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Every count of the run as (group, item, value) rows.

    >>> rows = count_rows({"files": 3, "records": 4, "documents": 2, "duplicates": 1, "rejects": 1,
    ...     "rejects_by_reason": {"binary": 1}, "duplicates_by_kind": {"exact": 1}})
    >>> [(r["group"], r["item"], r["value"]) for r in rows][:3]
    [('files', 'seen', 3), ('records', 'read', 4), ('records', 'documents', 2)]
    >>> ("rejects", "binary", 1) in [(r["group"], r["item"], r["value"]) for r in rows]
    True
    """
    rows: list[tuple[str, str, Any]] = [("files", "seen", summary.get("files", 0))]
    for key in ("files_processed", "files_changed", "files_unchanged", "files_missing"):
        if key in summary:
            rows.append(("files", key.removeprefix("files_"), summary[key]))
    rows += [
        ("records", "read", summary.get("records", 0)),
        ("records", "documents", summary.get("documents", 0)),
        ("records", "duplicates", summary.get("duplicates", 0)),
        ("records", "rejects", summary.get("rejects", 0)),
    ]
    rows += [("duplicates", kind, n) for kind, n in summary.get("duplicates_by_kind", {}).items()]
    rows += [("rejects", reason, n) for reason, n in summary.get("rejects_by_reason", {}).items()]
    rows += [("earlier rows", what, n) for what, n in summary.get("earlier_rows", {}).items()]
    rows += [("totals", table, n) for table, n in summary.get("totals", {}).items()]
    rows += [("seconds", stage, s) for stage, s in summary.get("seconds_by_stage", {}).items()]
    return [{"group": group, "item": item, "value": value} for group, item, value in rows]


def markdown(summary: dict[str, Any]) -> str:
    """A short human report of one run, with its largest duplicate clusters."""
    run = summary.get("run")
    title = f"docclean run {run}" if run else "docclean run (nothing new)"
    lines = [f"# {title}", ""]
    if summary.get("nothing_new"):
        lines.append(
            f"No new or changed raw files in `{summary.get('raw_dir')}` "
            f"({summary.get('files_unchanged', 0):,} unchanged); the output was not touched."
        )
        return "\n".join(lines) + "\n"
    mode = "full rebuild" if summary.get("full") else "incremental"
    lines += [
        f"{mode}: `{summary.get('raw_dir')}` -> `{summary.get('out_dir')}`",
        "",
        f"- files: {summary.get('files', 0):,} seen, {summary.get('files_processed', 0):,} processed "
        f"({summary.get('files_changed', 0):,} changed), {summary.get('files_unchanged', 0):,} unchanged",
        f"- records read: {summary.get('records', 0):,} = {summary.get('documents', 0):,} documents + "
        f"{summary.get('duplicates', 0):,} duplicates + {summary.get('rejects', 0):,} rejects"
        + ("" if summary.get("counts_add_up", True) else " **(counts do not add up)**"),
    ]
    kinds = summary.get("duplicates_by_kind", {})
    if kinds:
        lines.append("- duplicates: " + ", ".join(f"{kind} {n:,}" for kind, n in kinds.items()))
    reasons = summary.get("rejects_by_reason", {})
    if reasons:
        lines.append("- rejects: " + ", ".join(f"{reason} {n:,}" for reason, n in reasons.items()))
    earlier = {k: v for k, v in summary.get("earlier_rows", {}).items() if v}
    if earlier:
        lines.append("- earlier rows changed: " + ", ".join(f"{k} {v:,}" for k, v in earlier.items()))
    totals = summary.get("totals", {})
    if totals:
        lines.append(
            f"- corpus now: {totals.get('documents', 0):,} documents, {totals.get('duplicates', 0):,} duplicates, "
            f"{totals.get('rejects', 0):,} rejects from {totals.get('files', 0):,} files"
        )
    clusters = summary.get("largest_clusters", [])
    if clusters:
        lines += [
            "",
            "## Largest duplicate clusters",
            "",
            "| copies | new | kept doc_id | title | source |",
            "|---:|---:|---|---|---|",
        ]
        for c in clusters:
            title = (c.get("title") or "").replace("|", "\\|")
            lines.append(
                f"| {c['size']} | {c['new_members']} | `{c['kept']}` | {title} | `{c.get('source_path', '')}` |"
            )
    swaps = summary.get("swaps", [])
    if swaps:
        lines += ["", "## Kept copies replaced by a better new copy", ""]
        lines += [f"- `{s['doc_id']}` -> `{s['replaced_by']}`" for s in swaps[:20]]
        if len(swaps) > 20:
            lines.append(f"- ... and {len(swaps) - 20:,} more (see the run JSON)")
    learned = summary.get("boilerplate_learned", [])
    if learned:
        lines += [
            "",
            "## Boilerplate learned from the corpus (most support first)",
            "",
            "| scope | template | top | bottom | inside |",
            "|---|---|---:|---:|---:|",
        ]
        for t in learned:
            template = t["template"].replace("|", "\\|")
            lines.append(f"| {t['scope'] or '(corpus)'} | `{template}` | {t['top']} | {t['bottom']} | {t['inside']} |")
    seconds = summary.get("seconds_by_stage", {})
    if seconds:
        lines += ["", "## Time per stage (s)", "", "| stage | seconds |", "|---|---:|"]
        lines += [f"| {stage} | {s:.2f} |" for stage, s in seconds.items()]
    return "\n".join(lines) + "\n"


def artifact_key(out_dir: str) -> str:
    """A Prefect artifact key for one output folder: its name, and a hash of its full path.

    >>> artifact_key("/srv/data/clean"), artifact_key("/srv/其他/Clean_2")
    ('docclean-clean-7e0c6d4f', 'docclean-clean-2-9009ca22')
    """
    resolved = str(Path(out_dir).resolve())
    name = re.sub(r"[^a-z0-9]+", "-", Path(resolved).name.lower()).strip("-")[:40] or "out"
    return f"docclean-{name}-{xxhash.xxh3_64_hexdigest(resolved.encode('utf-8'))[:8]}"


# Tables a dataset reader loads by name: `datasets.load_dataset(OUT, "documents")`.
CARD_TABLES = ("documents", "duplicates", "rejects")


def dataset_card(summary: dict[str, Any]) -> str:
    """The output's README.md: a Hugging Face dataset card whose ``configs`` name each table's files.

    The tables have different columns, so a reader must load one at a time;
    the card tells `datasets` (and people) which files make which table. Each
    config's ``description`` names this run of this output: `datasets` keys
    its cache on the card's configs, so a card that stayed the same would
    give the rows of an earlier run, or of another output of the same name.
    """
    totals = summary.get("totals", {})
    fingerprint = card_fingerprint(summary)
    configs = "\n".join(
        f'- config_name: {name}\n  data_files: "{name}/*.parquet"'
        f'\n  description: "docclean run {summary.get("run")}, output {fingerprint}"'
        + ("\n  default: true" if name == "documents" else "")
        for name in CARD_TABLES
    )
    counts = ", ".join(f"{totals.get(name, 0):,} {name}" for name in CARD_TABLES)
    return f"""---
configs:
{configs}
---
# Clean news articles (docclean output)

Written by docclean run {summary.get("run")} (schema version {SCHEMA_VERSION}): {counts}.
Every input record is in exactly one table: `documents` (kept articles), `duplicates`
(copies, with `duplicate_of` naming the kept one) or `rejects` (with a reason).
`summary.json` and `runs/` describe the runs; `signatures/`, `edges/`, `files/` and
`templates/` are docclean's own indexes. `documents`, `duplicates` and `rejects` are
Delta Lake tables (each folder's `_delta_log/`).

```python
OUT = "path/to/this/folder"    # the folder this card is in (run {summary.get("run")} wrote it as {summary.get("out_dir")})

import datasets
documents = datasets.load_dataset(OUT, "documents", split="train")

import polars as pl            # Delta Lake: the latest run, in one line
documents = pl.read_delta(f"{{OUT}}/documents")

import pyarrow.dataset as ds   # exact Arrow types
documents = ds.dataset(f"{{OUT}}/documents").to_table()

import pandas as pd            # keeps list and nullable types
documents = pd.read_parquet(f"{{OUT}}/documents", dtype_backend="pyarrow")
```
"""


def card_fingerprint(summary: dict[str, Any]) -> str:
    """What tells one run of one output from any other, for readers that cache by the card.

    >>> a = card_fingerprint({"out_dir": "clean", "run": 1, "finished_at": "2026-01-01T00:00:00+00:00"})
    >>> a == card_fingerprint({"out_dir": "clean", "run": 2, "finished_at": "2026-01-01T00:00:00+00:00"})
    False
    """
    key = {k: summary.get(k) for k in ("out_dir", "run", "finished_at", "totals", "delta_versions", "seconds")}
    return xxhash.xxh3_64_hexdigest(json.dumps(key, sort_keys=True, default=str).encode("utf-8"))
