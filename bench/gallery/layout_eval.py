"""Score docclean's output on a layout gallery (bench/gallery/layouts.py) against its ground truth.

    python -m bench.gallery.layout_eval OUT_DIR TRUTH_JSONL [--json FILE] [--show N]

OUT_DIR is docclean's output folder (Parquet folders ``documents``, ``duplicates``,
``rejects``); TRUTH_JSONL the gallery's ``truth.jsonl``. Rows are matched to truths by
``source_path``; a page may be in documents or duplicates; a reject, or a page in no
table, counts as wrong on every field. Text-like fields are compared after NFKC and
with all whitespace removed.

Per layout and overall:
  pages            pages in the truth
  text_exact       share whose text equals the truth
  title, date, publication, authors (set equality), and where the tables have the
  column: section, published_at, original_title, page
                   share of pages where the field equals the truth
  boilerplate_left share of pages whose output text still holds a truth boilerplate
                   piece (pieces under 4 characters are ignored)
  body_lines_lost  truth body paragraphs not found in the output text (all of a
                   rejected or missing page's paragraphs)
  rejected         pages in rejects
  missing          pages in no table
With ``origin`` in the truth and ``duplicate_of`` in the duplicates table, the
overall report also scores dedup: pairwise precision, recall and F1 of the
predicted clusters against the pages that share an origin.

With ``--losses`` (``evaluate(..., losses=True)``; the figures above are unchanged) it
also measures exactly what article text a page lost, per layout, overall and (for the
scale gallery's truths) per kind of article (``extras``):
  pages_losing_text share of pages whose output misses any truth character
  chars_lost       truth characters missing from the output text (a character diff
                   after NFKC with whitespace removed), and their share of all truth
                   characters (chars_lost_share)
  lines_lost       truth body lines not found in the output text, in order (a line
                   under 8 characters only in order: "……" is found anywhere), nor in
                   the ``subtitle`` or ``kicker`` columns where the tables have them
  lost_runs_20     runs of 20 or more consecutive lost characters
and the most frequent lost lines, with where they stood (first/last two lines, middle).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from itertools import combinations
from pathlib import Path

from bench.gallery.tables import number, text_table

TABLES = ("documents", "duplicates", "rejects")
MIN_BOILERPLATE = 4
LOST_RUN = 20  # a run of lost characters this long is a lost sentence, not a dropped mark
FOUND_ANYWHERE = 8  # a line at least this long counts as kept wherever the output has it
MOVED_COLUMNS = ("subtitle", "kicker")  # article lines a cleaner may move out of the text
# (metric, truth key, table column): compared only when the table has the column.
FIELDS = (
    ("title", "title", "title"),
    ("date", "date", "date"),
    ("publication", "publication", "publication"),
    ("authors", "authors", "authors"),
    ("section", "section", "section"),
    ("published_at", "published_at", "published_at"),
    ("original_title", "original_title", "original_title"),
    ("page", "page", "page"),
)


def norm(text) -> str:
    """NFKC, all whitespace removed; None is the empty string."""
    if text is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def read_rows(out_dir: Path, name: str) -> tuple[list[dict], set[str]]:
    """The rows of one output table and its column names; none when the folder is absent or empty."""
    folder = Path(out_dir) / name
    if not folder.is_dir() or not any(
        p.suffix == ".parquet" and not p.name.startswith((".", "_")) for p in folder.rglob("*")
    ):
        return [], set()
    import pyarrow.parquet as pq

    table = pq.read_table(folder)
    return table.to_pylist(), set(table.column_names)


def as_iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip().replace(" ", "T")


def same(metric: str, want, got) -> bool:
    if metric == "authors":
        return {norm(a) for a in want or []} == {norm(a) for a in got or [] if norm(a)}
    if metric == "date":
        return want == (as_iso(got)[:10] if got is not None else None)
    if metric == "published_at":
        if want is None or got is None:
            return want is None and got is None
        got = as_iso(got)
        return got[: len(want)] == want and (len(got) == len(want) or set(got[len(want) :]) <= set(":0."))
    if metric == "page":
        return (None if want is None else int(want)) == (None if got is None else int(got))
    if want is None:
        return not norm(got)
    return norm(want) == norm(got)


def score_page(fact: dict, row: dict | None, columns: set[str]) -> dict:
    """One page's results: metric -> bool (or a count for body_lines_lost)."""
    paragraphs = [p for p in fact["text"].split("\n") if p.strip()]
    result: dict = {"layout": fact["layout"], "source_path": fact["source_path"]}
    if row is None:
        result.update(text_exact=False, boilerplate_left=False, body_lines_lost=len(paragraphs))
        for metric, _, column in FIELDS:
            if column in columns:
                result[metric] = False
        return result
    text = norm(row.get("text"))
    result["text_exact"] = text == norm(fact["text"])
    pieces = [norm(b) for b in fact.get("boilerplate", [])]
    left = [b for b in pieces if len(b) >= MIN_BOILERPLATE and b in text]
    result["boilerplate_left"] = bool(left)
    if left:
        result["boilerplate_found"] = left
    result["body_lines_lost"] = sum(norm(p) not in text for p in paragraphs)
    for metric, key, column in FIELDS:
        if column in columns:
            result[metric] = same(metric, fact.get(key), row.get(column))
    return result


def missing_runs(truth: str, output: str) -> list[int]:
    """Lengths of the runs of ``truth`` characters that ``output`` lacks (both normalised).

    Common prefix and suffix are cut first (losses are mostly whole lines at an edge),
    so the character diff only runs over what differs.
    """
    if truth in output:
        return []
    start, limit = 0, min(len(truth), len(output))
    while start < limit and truth[start] == output[start]:
        start += 1
    end = 0
    while end < limit - start and truth[-1 - end] == output[-1 - end]:
        end += 1
    a, b = truth[start : len(truth) - end], output[start : len(output) - end]
    runs, at = [], 0
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        if block.a > at:
            runs.append(block.a - at)
        at = block.a + block.size
    return runs


def text_losses(fact: dict, row: dict | None) -> dict:
    """Which truth lines and how many truth characters the page's output lost."""
    pairs = [(p, norm(p)) for p in fact["text"].split("\n")]
    lines = [p for p, q in pairs if q]
    normed = [q for _, q in pairs if q]
    text = norm(row.get("text")) if row is not None else ""
    moved = "\n".join(norm(row.get(c)) for c in MOVED_COLUMNS if row is not None and row.get(c))
    lost, elsewhere, at = [], [], 0
    for i, (line, q) in enumerate(zip(lines, normed)):
        found = text.find(q, at)
        if found >= 0:
            at = found + len(q)
        elif len(q) >= FOUND_ANYWHERE and q in text:
            pass
        elif q in moved:
            elsewhere.append(q)
        else:
            lost.append((i, line))
    truth = "".join(normed)
    kept = "".join(q for q in normed if q not in elsewhere) if elsewhere else truth
    runs = missing_runs(kept, text) if lost or elsewhere or truth not in text else []
    where = ["top" if i < 2 else "bottom" if i >= len(lines) - 2 else "middle" for i, _ in lost]
    return {
        "truth_chars": len(truth),
        "chars_lost": sum(runs),
        "lost_runs_20": sum(r >= LOST_RUN for r in runs),
        "lines": len(lines),
        "lines_lost": len(lost),
        "lost_lines": [line for _, line in lost],
        "lost_where": where,
    }


def loss_summary(results: list[dict]) -> dict:
    n = len(results)
    chars = sum(r["truth_chars"] for r in results)
    lost = sum(r["chars_lost"] for r in results)
    return {
        "pages": n,
        "pages_losing_text": round(sum(r["chars_lost"] > 0 for r in results) / n, 4) if n else 0.0,
        "chars_lost": lost,
        "chars_lost_share": round(lost / chars, 6) if chars else 0.0,
        "lines": sum(r["lines"] for r in results),
        "lines_lost": sum(r["lines_lost"] for r in results),
        "lost_runs_20": sum(r["lost_runs_20"] for r in results),
    }


def loss_report(results: list[dict], truths: list[dict], top: int = 50) -> dict:
    """Losses per layout, overall, per kind of article (the truths' ``extras``), and the lines lost most often."""
    layouts: dict[str, list[dict]] = defaultdict(list)
    kinds: dict[str, list[dict]] = defaultdict(list)
    for result, fact in zip(results, truths):
        layouts[result["layout"]].append(result)
        for tag in dict.fromkeys(t.split(":")[0] for t in fact.get("extras", ())):
            kinds[tag].append(result)
    lines = Counter(line for r in results for line in r["lost_lines"])
    return {
        "overall": loss_summary(results),
        "layouts": {name: loss_summary(items) for name, items in sorted(layouts.items())},
        "extras": {name: loss_summary(items) for name, items in sorted(kinds.items())},
        "lost_where": dict(Counter(w for r in results for w in r["lost_where"])),
        "lost_lines": [[line, count] for line, count in lines.most_common(top)],
    }


def summarise(results: list[dict], metrics: list[str]) -> dict:
    n = len(results)
    out: dict = {"pages": n}
    for metric in ["text_exact", *metrics]:
        out[metric] = round(sum(bool(r.get(metric)) for r in results) / n, 4) if n else 0.0
    out["boilerplate_left"] = round(sum(r["boilerplate_left"] for r in results) / n, 4) if n else 0.0
    out["body_lines_lost"] = sum(r["body_lines_lost"] for r in results)
    out["rejected"] = sum(r.get("status") == "rejected" for r in results)
    out["missing"] = sum(r.get("status") == "missing" for r in results)
    return out


def dedup_scores(truths: list[dict], docs: list[dict], dups: list[dict]) -> dict | None:
    """Pairwise precision/recall of the predicted clusters against the truth's origins."""
    if not dups and not docs:
        return None
    if any("origin" not in t for t in truths):
        return None
    if dups and "duplicate_of" not in dups[0]:
        return None
    by_id = {r["doc_id"]: r["source_path"] for r in docs + dups if r.get("doc_id")}
    wanted = {t["source_path"] for t in truths}
    predicted: dict[str, str] = {}
    for r in docs:
        predicted[r["source_path"]] = r["source_path"]
    for r in dups:
        predicted[r["source_path"]] = by_id.get(r["duplicate_of"], r["duplicate_of"])

    def pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
        return {pair for members in groups.values() for pair in combinations(sorted(members), 2)}

    clusters: dict[str, list[str]] = defaultdict(list)
    for path, key in predicted.items():
        if path in wanted:
            clusters[key].append(path)
    origins: dict[str, list[str]] = defaultdict(list)
    for t in truths:
        origins[t["origin"]].append(t["source_path"])
    got, want = pairs(clusters), pairs(origins)
    hit = len(got & want)
    precision = hit / len(got) if got else 1.0
    recall = hit / len(want) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "true_pairs": len(want),
        "predicted_pairs": len(got),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def evaluate(out_dir: Path, truths: list[dict], losses: bool = False) -> dict:
    """Scores per layout and overall (see the module docstring), plus the failing pages;
    ``losses``: also the exact text losses (``report["losses"]``, per page in the results)."""
    docs, doc_columns = read_rows(out_dir, "documents")
    dups, dup_columns = read_rows(out_dir, "duplicates")
    rejects, _ = read_rows(out_dir, "rejects")
    columns = doc_columns | dup_columns
    rows: dict[str, dict] = {}
    for row in dups + docs:  # documents win over duplicates
        if row.get("source_line") is None:
            rows[row["source_path"]] = row
    rejected = {r["source_path"] for r in rejects}
    metrics = [metric for metric, _, column in FIELDS if column in columns]
    results = []
    for fact in truths:
        row = rows.get(fact["source_path"])
        result = score_page(fact, row, columns)
        if losses:
            result.update(text_losses(fact, row))
        result["status"] = "ok" if row is not None else ("rejected" if fact["source_path"] in rejected else "missing")
        results.append(result)
    layouts: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        layouts[result["layout"]].append(result)
    failing = [
        r
        for r in results
        if r["status"] != "ok"
        or not r["text_exact"]
        or r["boilerplate_left"]
        or not all(r.get(m, True) for m in metrics)
    ]
    report = {
        "metrics": ["text_exact", *metrics, "boilerplate_left", "body_lines_lost", "rejected", "missing"],
        "overall": summarise(results, metrics),
        "layouts": {name: summarise(items, metrics) for name, items in sorted(layouts.items())},
        "failures": failing,
    }
    dedup = dedup_scores(truths, docs, dups)
    if dedup is not None:
        report["dedup"] = dedup
    if losses:
        report["losses"] = loss_report(results, truths)
    return report


def read_truth(path: Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def format_table(report: dict) -> str:
    metrics = report["metrics"]
    short = {
        "text_exact": "text",
        "boilerplate_left": "boiler",
        "body_lines_lost": "lost",
        "publication": "publ",
        "published_at": "time",
        "original_title": "orig",
        "rejected": "rej",
        "missing": "miss",
    }
    head = ["layout", "pages"] + [short.get(m, m) for m in metrics]
    rows = [[name, s["pages"], *(s[m] for m in metrics)] for name, s in report["layouts"].items()]
    rows.append(["overall", report["overall"]["pages"], *(report["overall"][m] for m in metrics)])
    out = [text_table(head, rows, total=True)]
    if "dedup" in report:
        d = report["dedup"]
        out.append(
            f"dedup: precision {d['precision']:.3f}  recall {d['recall']:.3f}  f1 {d['f1']:.3f}  "
            f"({d['true_pairs']} true pairs, {d['predicted_pairs']} predicted)"
        )
    return "\n".join(out)


LOSS_FIGURES = ("pages", "pages_losing_text", "chars_lost", "chars_lost_share", "lines", "lines_lost", "lost_runs_20")


def format_losses(losses: dict, top: int = 20) -> str:
    """The loss table (per layout, per kind of article, overall) and the ``top`` lines lost most often."""
    head = ["", "pages", "losing", "chars", "share", "lines", "lost", "runs20"]
    rows = [[name, *(s[k] for k in LOSS_FIGURES)] for name, s in losses["layouts"].items()]
    rows += [[f"[{name}]", *(s[k] for k in LOSS_FIGURES)] for name, s in losses["extras"].items()]
    rows.append(["overall", *(losses["overall"][k] for k in LOSS_FIGURES)])
    out = [text_table(head, rows, cell=lambda value: number(value, 4), total=True)]
    out.append("lost lines by place: " + ", ".join(f"{k} {v}" for k, v in sorted(losses["lost_where"].items())))
    out.append(f"lines lost most often (top {top}):")
    out += [f"{count:6}  {text[:100]}" for text, count in losses["lost_lines"][:top]]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="docclean output folder")
    parser.add_argument("truth", type=Path, help="truth.jsonl of the gallery")
    parser.add_argument("--json", type=Path, help="write the whole report (failures included) here")
    parser.add_argument("--show", type=int, default=0, help="print the first N failing pages")
    parser.add_argument("--losses", action="store_true", help="also measure the article text lost (chars, lines, runs)")
    args = parser.parse_args(argv)
    report = evaluate(args.out_dir, read_truth(args.truth), losses=args.losses)
    print(format_table(report))
    if args.losses:
        print(format_losses(report["losses"]))
    for failure in report["failures"][: args.show]:
        wrong = [k for k, v in failure.items() if v is False and k != "boilerplate_left"]
        print(
            f"{failure['source_path']}: {failure['status']}; wrong: {', '.join(wrong) or '-'}"
            + (f"; boilerplate left: {failure['boilerplate_found'][:3]}" if failure.get("boilerplate_found") else "")
            + (f"; paragraphs lost: {failure['body_lines_lost']}" if failure["body_lines_lost"] else "")
        )
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
