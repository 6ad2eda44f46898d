"""Benchmark: docclean on rendered corpora of N pages, against a straightforward datasketch pipeline.

    python -m bench.run --pages 10000 100000          # renders missing corpora first
    python -m bench.run --pages 300 --baseline-pages 300 --corpora /tmp/bench   # smoke run
    python -m bench.run --pages --scale 1000 10000     # article lines lost as the corpus grows

For each N it runs ``docclean run --full`` in a child process (in-process
runs, as the CLI runs without PREFECT_API_URL; ``--prefect``: as the Prefect
flow on a temporary server, as every run went before the CLI ran in-process)
over ``bench/corpora/N/raw`` and prints, from the run summary and a sampler of
the process tree's memory:

- end to end: pages/s and MB/s of the pipeline (Prefect's start-up excluded,
  and measured apart), peak RSS of all processes together, and the peak of
  their proportional set sizes (PSS: pages forked workers share with the run
  counted once, not once per process);
- per stage: CPU seconds, pages/s and MB/s per core (stages run in worker
  processes, so per-core rates add up across cores);
- dedup precision, recall and F1 over pairs of pages, against the corpus's
  ground truth (pages rendered from one original are one cluster).

With ``--layouts N`` it also renders a corpus that mixes page layouts (the
gallery of bench/gallery/layouts.py and the families of bench/gallery/more_layouts.py,
N pages in all, 10% reposts across layouts, articles from
../shared/corpus/rmrb-2020-01 when it is there), runs the flow over it and
prints, per layout, the share of texts equal to the article (NFKC, spaces
ignored), of right titles and dates, of pages with boilerplate left, and the
body lines removed (checked against the source articles), with dedup F1.

With ``--scale N [N ...]`` it renders, at each size N, the realistic gallery of
bench/gallery/scale_gallery.py (articles printed whole: labels, credits, bylines,
subheads, events that share a closing sentence, daily reports; see
bench/gallery/real_articles.py), cached under --corpora as scale-N, runs the flow over it
and prints per layout text_exact, title, date, boilerplate left, body lines lost,
pages that lose article text and the share of article characters lost; then one
table by corpus size (with dedup F1 and pages/s) and the lines lost most often
(bench/scale.py). It answers "is any article line lost, at any corpus size?".

In the same run it measures the baseline on the first ``--baseline-pages``
pages: decode, character 5-gram shingles of the raw text, datasketch
``MinHash`` with ``update`` per shingle (default SHA1 hashing), and
``MinHashLSH`` with its defaults (threshold 0.9), then union-find over the
query results. Our figures are printed as ratios to it. Nothing here is
asserted: the machine is noisy; read the figures.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.chain import STAGE_NAMES

ROOT = Path(__file__).resolve().parents[1]
# Every stage of the run in order (`pipeline.chain.STAGES`), and the batch work beside them.
STAGES = (*STAGE_NAMES, "learn", "stage")
# The run's steps, timed by the wall clock of the flow process.
STEPS = ("plan", "read_pages", "learn_templates", "clean", "dedup", "publish")
# The memory sampler reads resident sizes every 0.2 s and proportional set sizes every this many samples.
PSS_EVERY = 5


def render(pages: int, folder: Path) -> None:
    if not (folder / "corpus.json").exists():
        subprocess.run(
            [sys.executable, "-m", "bench.render_corpus", "--pages", str(pages), "--out", str(folder)],
            check=True,
            cwd=ROOT,
        )


def tree_rss(pid: int) -> dict[int, tuple[int, int]]:
    """{pid: (parent pid, resident bytes)} of ``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    stats: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children[int(fields[1])].append(int(entry))
            stats[int(entry)] = (int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, IndexError, ValueError):
            continue
    tree, stack = {}, [pid]
    while stack:
        current = stack.pop()
        tree[current] = stats.get(current, (0, 0))
        stack.extend(children.get(current, ()))
    return tree


def proportional_bytes(pid: int) -> int:
    """``pid``'s proportional set size: its private pages, and each page it shares divided among its sharers.

    Forked workers share their parent's pages until either writes them; a sum
    of resident sizes counts such a page once per process, a sum of these
    once. Reading it walks the process's page tables (30 ms for 1.5 GiB, and
    the process waits meanwhile), so the sampler reads it less often.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def process_roles(tree: dict[int, tuple[int, int]], root: int) -> dict[str, int]:
    """Resident bytes of the run's processes by role, for the peak-memory breakdown."""
    roles: dict[int, str] = {}
    root_command = _command(root)
    for pid in sorted(tree):
        parent = tree[pid][0]
        if pid == root:
            roles[pid] = "flow"
            continue
        command = _command(pid)
        if parent == root and command == root_command:
            # A run with no other thread forks its workers itself: they keep its command line.
            roles[pid] = "workers"
        elif "forkserver" in command:
            # Workers are forked by the fork server and keep its command line.
            roles[pid] = "workers" if parent in tree and parent != root else "fork server"
        elif "resource_tracker" in command:
            roles[pid] = "resource tracker"
        elif "uvicorn" in command or "prefect" in command:
            roles[pid] = "Prefect API"
        else:
            roles[pid] = command[:40] or "other"
    totals: dict[str, int] = collections.Counter()
    for pid, (_, size) in tree.items():
        totals[roles.get(pid, "other")] += size
    return dict(totals)


def run_docclean(raw: Path, out: Path, batch_size: int, prefect: bool = False) -> tuple[dict, float, int, dict]:
    """One full run in a child process: its summary, wall seconds, peak RSS of the tree and where it was.

    ``where`` also holds the peak of the tree's proportional set sizes (``pss``, ``pss_seconds``,
    ``pss_roles``): the memory the run really held, its shared pages counted once, sampled every
    `PSS_EVERY` samples.

    ``prefect``: as the Prefect flow, on a temporary server (how ``docclean run`` ran every
    run before it learned to run in-process; the server's work overlaps the run).
    """
    config = out.parent / f"{out.name}.toml"
    config.write_text(f"batch_size = {batch_size}\n")
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("docclean")),
            "run",
            "--raw",
            str(raw),
            "--out",
            str(out),
            "--full",
            "--config",
            str(config),
            *(["--prefect"] if prefect else []),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    peak = 0
    where: dict = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        for count in itertools.count():
            if done.is_set():
                break
            tree = tree_rss(child.pid)
            total = sum(size for _, size in tree.values())
            if total > peak:
                peak = total
                where.update(seconds=time.perf_counter() - started, roles=process_roles(tree, child.pid))
            if count % PSS_EVERY == 0:
                shares = {pid: (parent, proportional_bytes(pid)) for pid, (parent, _) in tree.items()}
                shared = sum(size for _, size in shares.values())
                if shared > where.get("pss", 0):
                    where.update(
                        pss=shared,
                        pss_seconds=time.perf_counter() - started,
                        pss_roles=process_roles(shares, child.pid),
                    )
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"docclean failed ({child.returncode}):\n{stderr.decode()[-3000:]}")
    return json.loads((out / "summary.json").read_text()), wall, peak, where


def pair_scores(predicted: dict[str, str], truth: dict[str, int]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of a clustering (page -> cluster) against the truth."""

    def pairs(sizes) -> int:
        return sum(n * (n - 1) // 2 for n in sizes)

    pages = [p for p in truth if p in predicted]
    both = collections.Counter((predicted[p], truth[p]) for p in pages)
    true_positive = pairs(both.values())
    predicted_pairs = pairs(collections.Counter(predicted[p] for p in pages).values())
    true_pairs = pairs(collections.Counter(truth[p] for p in pages).values())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def our_clusters(out: Path) -> dict[str, str]:
    """source_path -> kept doc_id, from the output tables (rejects are singletons)."""
    clusters = {}
    for name in ("documents", "duplicates", "rejects"):
        for part in sorted((out / name).glob("part-*.parquet")):
            table = pq.read_table(
                part, columns=["doc_id", "source_path", *(["duplicate_of"] if name == "duplicates" else [])]
            )
            kept = table.column("duplicate_of" if name == "duplicates" else "doc_id").to_pylist()
            clusters.update(zip(table.column("source_path").to_pylist(), kept))
    return clusters


def baseline(raw: Path, names: list[str], threshold: float | None) -> dict:
    """The straightforward datasketch pipeline over ``names``: timings and clusters."""
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    texts = []
    for name in names:
        data = (raw / name).read_bytes()
        try:
            texts.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(data.decode("gb18030", errors="replace"))
    read_seconds = time.perf_counter() - started
    begun = time.perf_counter()
    sketches = []
    for text in texts:
        sketch = MinHash(num_perm=128)
        for i in range(max(1, len(text) - 4)):
            sketch.update(text[i : i + 5].encode("utf-8"))
        sketches.append(sketch)
    sign_seconds = time.perf_counter() - begun
    begun = time.perf_counter()
    lsh = MinHashLSH(num_perm=128) if threshold is None else MinHashLSH(threshold=threshold, num_perm=128)
    for name, sketch in zip(names, sketches):
        lsh.insert(name, sketch)
    parent = {name: name for name in names}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for name, sketch in zip(names, sketches):
        for other in lsh.query(sketch):
            a, b = find(name), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    dedup_seconds = time.perf_counter() - begun
    return {
        "clusters": {name: find(name) for name in names},
        "seconds": {"read": read_seconds, "sign": sign_seconds, "dedup": dedup_seconds},
        "total": time.perf_counter() - started,
    }


LAYOUT_FIGURES = ("text_exact", "title", "date", "publication", "boilerplate_left", "body_lines_lost")


def layouts_bench(pages: int, folder: Path, batch_size: int) -> dict:
    """The mixed-layout corpus: cleaning quality per layout, and speed."""
    from bench.gallery import layout_eval, layouts, more_layouts

    for name, layout in more_layouts.UNSEEN.items():
        layouts.LAYOUTS.setdefault(name, layout)
    corpus = ROOT.parent / "shared" / "corpus" / "rmrb-2020-01"
    per_layout = max(1, pages // len(layouts.LAYOUTS))
    if not (folder / "truth.jsonl").exists():
        layouts.render_gallery(folder, per_layout, seed=2024, corpus=corpus if corpus.exists() else None, copies=0.1)
    truths = layout_eval.read_truth(folder / "truth.jsonl")
    out = folder.with_name(folder.name + "-out")
    summary, wall, peak, _ = run_docclean(folder / "raw", out, batch_size)
    report = layout_eval.evaluate(out, truths)
    seconds = summary["seconds"]
    print(f"\n== mixed layouts: {len(truths):,} pages, {len(layouts.LAYOUTS)} layouts, docclean run --full")
    print(f"  end to end   {len(truths) / seconds:>8,.0f} pages/s  {seconds:8.1f} s  peak RSS {peak / 2**20:,.0f} MiB")
    print("  layout              " + "  ".join(f"{name[:12]:>12}" for name in LAYOUT_FIGURES))
    for name, figures in [*report["layouts"].items(), ("overall", report["overall"])]:
        print(
            f"  {name:<20}"
            + "  ".join(
                f"{figures.get(key, float('nan')):>12.3f}"
                if isinstance(figures.get(key), float)
                else f"{figures.get(key, '-')!s:>12}"
                for key in LAYOUT_FIGURES
            )
        )
    dedup = report.get("dedup") or {}
    if dedup:
        print("  dedup        " + "  ".join(f"{k} {v}" for k, v in dedup.items() if not isinstance(v, (dict, list))))
    return {
        "layouts_corpus": len(truths),
        "seconds": seconds,
        "pages_per_s": round(len(truths) / seconds),
        "peak_rss_mib": round(peak / 2**20),
        "overall": report["overall"],
        "per_layout": report["layouts"],
        "dedup": dedup,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pages",
        type=int,
        nargs="*",
        default=[10_000, 100_000],
        help="benchmark corpus sizes (none: only --layouts / --scale)",
    )
    parser.add_argument("--corpora", type=Path, default=ROOT / "bench" / "corpora")
    parser.add_argument(
        "--baseline-pages", type=int, default=5_000, help="pages the (slow) baseline runs on (0: no baseline)"
    )
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--prefect", action="store_true", help="run docclean as the Prefect flow on a temporary server")
    parser.add_argument("--layouts", type=int, default=0, metavar="N", help="also run a mixed-layout corpus of N pages")
    parser.add_argument(
        "--scale",
        type=int,
        nargs="+",
        default=[],
        metavar="N",
        help="also run the realistic-article gallery at each size N (lines lost as the corpus grows)",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    results = []
    for pages in args.pages:
        corpus = args.corpora / str(pages)
        render(pages, corpus)
        facts = json.loads((corpus / "corpus.json").read_text())
        truth_table = pq.read_table(corpus / "truth.parquet")
        truth = dict(zip(truth_table.column("source_path").to_pylist(), truth_table.column("origin").to_pylist()))
        out = args.corpora / f"{pages}-out"
        summary, wall, peak, where = run_docclean(corpus / "raw", out, args.batch_size, args.prefect)
        megabytes = facts["bytes"] / 1e6
        seconds = summary["seconds"]
        precision, recall, f1 = pair_scores(our_clusters(out), truth)
        row = {
            "pages": pages,
            "megabytes": round(megabytes, 1),
            "seconds": seconds,
            "wall_with_prefect_start": round(wall, 1),
            "pages_per_s": round(pages / seconds),
            "mb_per_s": round(megabytes / seconds, 1),
            "peak_rss_mib": round(peak / 2**20),
            "peak_at_s": round(where.get("seconds", 0.0), 1),
            "peak_by_process_mib": {role: round(size / 2**20) for role, size in sorted(where.get("roles", {}).items())},
            "peak_pss_mib": round(where.get("pss", 0) / 2**20),
            "peak_pss_at_s": round(where.get("pss_seconds", 0.0), 1),
            "peak_pss_by_process_mib": {
                role: round(size / 2**20) for role, size in sorted(where.get("pss_roles", {}).items())
            },
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "stages": {s: round(summary["seconds_by_stage"].get(s, 0.0), 2) for s in (*STAGES, *STEPS)},
        }
        print(f"\n== {pages:,} pages ({megabytes:,.0f} MB), docclean run --full, batch_size {args.batch_size}")
        print(
            f"  end to end   {row['pages_per_s']:>8,} pages/s  {row['mb_per_s']:>7.1f} MB/s  {seconds:8.1f} s"
            f"  (+{wall - seconds:.1f} s Prefect start-up and exit)"
        )
        print(
            f"  peak RSS     {row['peak_rss_mib']:>8,} MiB (all processes), {row['peak_at_s']:.0f} s into the run: "
            + ", ".join(f"{role} {size:,}" for role, size in row["peak_by_process_mib"].items())
        )
        print(
            f"  peak PSS     {row['peak_pss_mib']:>8,} MiB (shared pages once), {row['peak_pss_at_s']:.0f} s into the run: "
            + ", ".join(f"{role} {size:,}" for role, size in row["peak_pss_by_process_mib"].items())
        )
        print(f"  dedup        precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")
        print("  stage        CPU s   ms CPU/page    pages/s/core   MB/s/core")
        for stage in STAGES:
            spent = summary["seconds_by_stage"].get(stage, 0.0)
            if spent:
                print(
                    f"  {stage:<11}{spent:8.2f} {1000 * spent / pages:>13.3f}"
                    f" {pages / spent:>15,.0f} {megabytes / spent:>11.1f}"
                )
        for step in STEPS:
            spent = summary["seconds_by_stage"].get(step, 0.0)
            print(f"  {step:<15}{spent:4.2f} s wall")

        if args.baseline_pages <= 0:  # no baseline asked for: the run's own figures only
            results.append(row)
            continue
        names = sorted(truth)[: args.baseline_pages]
        base = baseline(corpus / "raw", names, None)
        bp, br, bf = pair_scores(base["clusters"], {n: truth[n] for n in names})
        base_sign = len(names) / base["seconds"]["sign"]
        base_e2e = len(names) / base["total"]
        ours_sign = pages / summary["seconds_by_stage"]["sign"]
        row["baseline"] = {
            "pages": len(names),
            "pages_per_s": round(base_e2e),
            "sign_pages_per_s": round(base_sign),
            "precision": round(bp, 4),
            "recall": round(br, 4),
            "f1": round(bf, 4),
        }
        row["ratios"] = {
            "end_to_end": round(row["pages_per_s"] / base_e2e, 1),
            "sign_per_core": round(ours_sign / base_sign, 1),
        }
        print(
            f"  baseline ({len(names):,} pages, one core): {base_e2e:,.0f} pages/s end to end, signatures {base_sign:,.0f} pages/s,"
            f" F1 {bf:.4f} (P {bp:.4f} R {br:.4f})"
        )
        print(
            f"  ratios       end to end x{row['ratios']['end_to_end']}, signatures per core x{row['ratios']['sign_per_core']}"
            f" ({ours_sign:,.0f} vs {base_sign:,.0f} pages/s), F1 {f1:.4f} vs {bf:.4f}"
        )
        results.append(row)
    if args.layouts:
        results.append(layouts_bench(args.layouts, args.corpora / f"layouts-{args.layouts}", args.batch_size))
    if args.scale:
        import scale

        results.append(scale.scale_bench(args.scale, args.corpora, args.batch_size, run_docclean))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
