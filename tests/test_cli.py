import shutil

from conftest import SAMPLE_PAGE, SAMPLE_RAW

from flows.cli import main
from pipeline import store


def test_inspect_shows_the_page_the_metadata_and_what_was_removed(capsys):
    assert main(["inspect", str(SAMPLE_PAGE)]) == 0
    out = capsys.readouterr().out
    assert "稿件来源: 法治日报要闻 |" in out  # the raw page
    assert "title          北京以“个性化”任务推进市域社会治理" in out
    assert "clean text: 7 paragraphs" in out
    assert "strip/page_jump (4)" in out and "下转第三版" in out
    assert "page_dedup/repeated_block (8)" in out  # the second copy: its byline and seven paragraphs


def test_inspect_explains_a_reject(tmp_path, capsys):
    page = tmp_path / "scan.txt"
    page.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert main(["inspect", str(page)]) == 0
    assert "REJECTED scan.txt: binary" in capsys.readouterr().out


def test_bad_config_exits_2_with_a_message(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("dedup_threshold = 7\n")
    assert main(["run", "--raw", str(SAMPLE_RAW), "--out", str(tmp_path / "out"), "--config", str(config)]) == 2
    assert "dedup_threshold must be a number between 0 and 1" in capsys.readouterr().err


def test_output_inside_raw_exits_2(tmp_path, capsys):
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    assert main(["run", "--raw", str(raw), "--out", str(raw / "clean")]) == 2
    assert "overlap" in capsys.readouterr().err


def test_run_prints_a_summary_table(prefect_harness, tmp_path, capsys):
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    assert main(["run", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    for label in ("read", "clean", "duplicates", "rejects", "time"):
        assert f"  {label}" in out
    assert "counts add up: 15 = 7 + 2 + 6" in out

    assert main(["run", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 0
    assert "nothing new: 12 raw files unchanged" in capsys.readouterr().out

    assert main(["run", "--raw", str(raw), "--out", str(tmp_path / "out"), "--full"]) == 0
    out = capsys.readouterr().out
    assert "counts add up: 15 = 7 + 2 + 6" in out and "(run 2)" in out


def test_a_busy_output_exits_3_naming_the_other_run(tmp_path, capsys):
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    with store.locked(tmp_path / "out"):
        assert main(["run", "--raw", str(raw), "--out", str(tmp_path / "out"), "--wait", "0.2"]) == 3
    err = capsys.readouterr().err
    assert "another docclean run (pid" in err and "--wait" in err


def _run(raw, out, *extra):
    return main(["run", "--raw", str(raw), "--out", str(out), *extra])


def test_a_run_in_this_process_writes_what_the_prefect_flow_writes(prefect_harness, tmp_path, capsys, monkeypatch):
    from conftest import read_tables

    from flows.clean import clean_corpus

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    assert _run(raw, tmp_path / "cli") == 0
    err = capsys.readouterr().err
    assert "in this process" in err and "cleaning: batch 1/1" in err  # plain progress lines off a terminal
    clean_corpus(raw_dir=str(raw), out_dir=str(tmp_path / "flow"))
    ours, theirs = read_tables(tmp_path / "cli"), read_tables(tmp_path / "flow")
    for name in ours:
        assert ours[name].equals(theirs[name]), name


def test_dry_run_shows_the_plan_and_the_config_and_writes_nothing(tmp_path, capsys):
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    out = tmp_path / "out"
    assert _run(raw, out, "--dry-run", "--set", "dedup_threshold=0.8") == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "new 12 files:" in text and "dedup_threshold = 0.8" in text
    assert not out.exists()
    assert _run(raw, out) == 0
    (raw / "000_087269b42eb169e9.txt").write_text("北京以“个性化”任务推进市域社会治理。改了一个字。", encoding="utf-8")
    (raw / "junk" / "empty.txt").unlink()
    (raw / "new.txt").write_text("新的一篇文章，内容足够长，说的是另一件事情。", encoding="utf-8")
    capsys.readouterr()
    assert _run(raw, out, "--dry-run") == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "new 1 files: new.txt changed 1 files: 000_087269b42eb169e9.txt" in text
    assert "unchanged 10 files" in text and "missing 1 files" in text
    assert store.read_summary(out)["run"] == 1


def test_set_overrides_the_config_and_a_bad_one_is_one_line(tmp_path, capsys):
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    assert _run(raw, tmp_path / "out", "--set", "keep_policy=['earliest', 'longest']", "--set", "workers=1") == 0
    assert store.read_summary(tmp_path / "out")["output_settings"]["keep_policy"] == ["earliest", "longest"]
    capsys.readouterr()
    assert _run(raw, tmp_path / "other", "--set", "dedup_threshold=2", "--set", "workrs=1") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "dedup_threshold" in err and "did you mean 'workers'" in err
    assert _run(raw, tmp_path / "other", "--set", "nonsense") == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_version(capsys):
    import pytest

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("docclean ")


def test_explain_says_where_each_record_went(tmp_path, capsys):
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    out = tmp_path / "out"
    assert _run(raw, out) == 0
    duplicate = store.read_table(out, "duplicates").to_pylist()[0]
    capsys.readouterr()
    assert main(["explain", duplicate["doc_id"], "--out", str(out)]) == 0
    text = capsys.readouterr().out
    kept = store.read_table(out, "documents").to_pylist()
    kept_path = next(r["source_path"] for r in kept if r["doc_id"] == duplicate["duplicate_of"])
    assert f"duplicate ({duplicate['kind']}) of {duplicate['duplicate_of']} ({kept_path}" in text
    assert f"estimated similarity {duplicate['similarity']:.3f}" in text

    assert main(["explain", str(raw / "junk" / "scan.txt"), "--out", str(out), "--raw", str(raw)]) == 0
    assert "rejected: binary" in capsys.readouterr().out
    assert main(["explain", str(raw / "000_087269b42eb169e9.txt"), "--out", str(out), "--raw", str(raw)]) == 0
    text = capsys.readouterr().out
    assert "kept in documents" in text and "markers_removed 4" in text
    assert "strip/page_jump (4):" in text and "下转第三版   ×2" in text  # the page cleaned again, piece by piece
    assert main(["explain", str(raw / "feeds" / "portal-2020-01.jsonl"), "--out", str(out), "--raw", str(raw)]) == 0
    assert capsys.readouterr().out.count("feeds/portal-2020-01.jsonl line ") >= 3
    assert main(["explain", "0123456789abcdef", "--out", str(out)]) == 2
    assert "no record with doc_id" in capsys.readouterr().err


def test_inspect_gives_the_doc_id_a_run_gives(tmp_path, capsys):
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    out = tmp_path / "out"
    assert _run(raw, out) == 0
    page = raw / "tw" / "20200108-02-01.big5.txt"
    rows = store.read_table(out, "documents").to_pylist() + store.read_table(out, "duplicates").to_pylist()
    doc_id = next(r["doc_id"] for r in rows if r["source_path"] == "tw/20200108-02-01.big5.txt")
    capsys.readouterr()
    assert main(["inspect", str(page), "--out", str(out)]) == 0
    assert f"doc_id         {doc_id}" in capsys.readouterr().out


def test_an_unreachable_prefect_api_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")
    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")
    assert _run(raw, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "does not answer" in err and "unset PREFECT_API_URL" in err
    assert not (tmp_path / "out" / "documents").exists()


def test_a_terminal_gets_a_live_bar_per_pass():
    import io

    from flows.progress import for_stream

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    shown = for_stream(stream)
    for step in ("read", "clean"):
        for done in (1, 2):
            shown(
                {
                    "step": step,
                    "records": 300 * done,
                    "cleaned": 290 * done if step == "clean" else 0,
                    "rejected": 0,
                    "batches": 2,
                    "batches_done": done,
                    "files_done": 300 * done,
                    "files_total": 600,
                    "elapsed": 1.0 * done,
                    "pass_elapsed": 0.5 * done,
                }
            )
    shown.close()
    text = stream.getvalue()
    assert "reading" in text and "cleaning" in text and "2/2 batches" in text and "600/600 files" in text
    assert "rec/s" in text and "ETA" in text


def test_a_local_run_imports_nothing_of_dask_s3fs_or_prefect(tmp_path):
    # A local run pays for no orchestrator and no cluster client it does not use
    # (importing Dask alone was 0.65 s of every run's start).
    import json
    import subprocess
    import sys

    from conftest import child_env

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE_PAGE, raw)
    child = (
        "import json, runpy, sys\n"
        f"sys.argv = ['docclean', 'run', '--raw', {str(raw)!r}, '--out', {str(tmp_path / 'out')!r},"
        " '--set', 'workers=1']\n"
        "try:\n    runpy.run_module('flows.cli', run_name='__main__')\nexcept SystemExit as done:\n    code = done.code\n"
        "print(json.dumps([code, sorted({name.split('.')[0] for name in sys.modules})]))\n"
    )
    env = {key: value for key, value in child_env().items() if not key.startswith("PREFECT_")}
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, env=env, timeout=120)
    code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0, done.stderr
    assert (tmp_path / "out" / "summary.json").exists()
    assert {"pipeline", "pyarrow"} <= set(modules)
    assert not {"dask", "distributed", "s3fs", "prefect", "aiobotocore", "botocore", "gcsfs", "adlfs"} & set(modules)


def test_the_docclean_command_runs_without_pandas_and_writes_what_a_run_with_it_writes(tmp_path):
    """pyarrow imports pandas on its first array only to ask whether values are pandas objects (0.25 s a process)."""
    import subprocess
    import sys

    from conftest import child_env, read_tables, run_pipeline

    raw = shutil.copytree(SAMPLE_RAW, tmp_path / "raw")  # text, JSONL and HTML pages, and junk
    script = (
        "import sys\n"
        "from flows.cli import console\n"
        f"sys.argv = ['docclean', 'run', '--raw', {str(raw)!r}, '--out', {str(tmp_path / 'command')!r}, "
        "'--set', 'workers=2', '--set', 'batch_size=4']\n"
        "code = console()\n"
        "print('pandas' in sys.modules, code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=child_env(), timeout=300)
    assert done.stdout.strip().splitlines()[-1] == "False 0", done.stderr[-2000:]
    run_pipeline(raw, tmp_path / "here")  # in this process: pyarrow with pandas
    ours, theirs = read_tables(tmp_path / "command"), read_tables(tmp_path / "here")
    for name in ours:
        assert ours[name].equals(theirs[name]), name
    # `main` called inside another program leaves its process as it found it.
    assert main(["run", "--raw", str(raw), "--out", str(tmp_path / "inside")]) == 0
    import pandas  # noqa: F401
