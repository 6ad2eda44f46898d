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
