"""Bad arguments are exit 2 and one line that says how to fix them, before anything is read or written (issue 22, items 4 and 7).

Options that the stages cannot use (a seed numpy cannot take, codecs that do
not decode bytes to text) are refused with the other bad options, all at
once; a --config that is not a small regular file of UTF-8 TOML is refused
without being read (a FIFO would block, /dev/zero never ends); URL schemes
are matched in any case, and those docclean cannot use are refused with the
list of those that work; `parts` on an output that is not there is exit 2;
`inspect` and `explain` of a rejected record say what the stages removed
before it was rejected.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT, SAMPLE_PAGE, SAMPLE_RAW

from flows.cli import main
from pipeline.core.config import Config, ConfigError
from pipeline.core.options import Options
from pipeline.store import remote
from pipeline.store.objects import filesystem

ADDRESS_SPACE = 2 << 30  # a CLI that reads /dev/zero runs out of this in a second, not after 24 GB


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The docclean command in a child process of bounded memory and time (a hang or a runaway read fails the test)."""
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limited,
    )


def one_line_error(err: str) -> str:
    assert err.startswith("docclean: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def dry_run(tmp_path, *args: str) -> int:
    return main(["run", "--raw", str(SAMPLE_RAW), "--out", str(tmp_path / "out"), "--dry-run", *args])


# --- options the stages cannot use --------------------------------------------------------------


def test_a_seed_minhash_cannot_take_is_refused_and_the_largest_it_takes_works(tmp_path, capsys):
    from pipeline.dedup.signature import text_signatures

    assert dry_run(tmp_path, "--set", "seed=4294967296") == 2
    err = one_line_error(capsys.readouterr().err)
    assert (
        "seed must be between 0 and 4294967295 (MinHash permutations are drawn from a 32-bit seed), got 4294967296"
        in err
    )
    assert not (tmp_path / "out").exists()
    # The bound is the stage's own: the largest seed signs, one more would fail every record.
    config = Config(seed=2**32 - 1)
    assert text_signatures(["一篇正文，讲的是冬天的北京。"], 16, config.seed, 5, 3).shape == (1, 16)
    with pytest.raises(ValueError):
        text_signatures(["一篇正文，讲的是冬天的北京。"], 16, 2**32, 5, 3)


@pytest.mark.parametrize(
    "codec, why",
    [
        ("rot13", "'rot13' is not a text encoding (it maps str to str)"),
        ("base64", "'base64' is not a text encoding (it maps bytes to bytes)"),
        ("hex", "'hex' is not a text encoding (it maps bytes to bytes)"),
        ("zlib", "'zlib' is not a text encoding (it maps bytes to bytes)"),
        ("undefined", "'undefined' decodes nothing (every use of it fails)"),
        ("klingon", "'klingon' is not an encoding Python knows"),
    ],
)
def test_encodings_must_be_text_codecs(tmp_path, capsys, codec, why):
    assert dry_run(tmp_path, "--set", f"encodings=['gb18030', '{codec}']") == 2
    err = one_line_error(capsys.readouterr().err)
    assert f"encodings: {why}; use codec names such as gb18030, big5" in err
    with pytest.raises(ConfigError, match="use codec names such as"):
        Config.from_mapping({"encodings": [codec]})


def test_real_text_codecs_in_any_spelling_are_accepted():
    assert (
        Config.from_mapping({"encodings": ["GB18030", "utf_16", "latin-1", "Big5", "cp1252"]}).encodings[0] == "GB18030"
    )


def test_every_bad_value_and_key_of_the_file_and_of_set_is_in_one_line(tmp_path, capsys):
    config = tmp_path / "docclean.toml"
    config.write_text(
        'dedup_threshold = 7\nworkers = -1\nencodings = ["rot13"]\nfoo = 1\ndedup_treshold = 0.8\n'
        'keep_policy = ["longest", "newest"]\nnum_perm = 128\nlsh_bands = 24\n',
        encoding="utf-8",
    )
    assert (
        dry_run(tmp_path, "--config", str(config), "--set", "seed=-1", "--set", "batch_size=0", "--set", "nonsense")
        == 2
    )
    err = one_line_error(capsys.readouterr().err)
    for problem in (
        "dedup_threshold must be a number between 0 and 1",
        "workers must be between 0 and 256, got -1",
        "encodings: 'rot13' is not a text encoding",
        "unknown option 'foo'",
        "unknown option 'dedup_treshold' (did you mean 'dedup_threshold'?)",
        "keep_policy: unknown criterion 'newest'",
        "lsh_bands=24 does not divide num_perm=128",
        "seed must be between 0 and 4294967295",
        "batch_size must be between 1 and 100000, got 0",
        "--set 'nonsense': write it as KEY=VALUE",
    ):
        assert problem in err, problem
    assert "10 problems with the options: " in err
    # --set over a bad value of the file mends it.
    config.write_text("dedup_threshold = 7\n", encoding="utf-8")
    assert dry_run(tmp_path, "--config", str(config), "--set", "dedup_threshold=0.8") == 0
    assert "dedup_threshold = 0.8" in capsys.readouterr().out


def test_the_flow_options_report_codecs_and_bounds_together():
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as error:
        Options.model_validate({"encodings": ["base64"], "dedup_threshold": -0.5, "seed": 2**32})
    fields = {item["loc"][0] for item in error.value.errors()}
    assert fields == {"encodings", "dedup_threshold", "seed"}
    assert Options.model_json_schema()["properties"]["seed"]["maximum"] == 2**32 - 1


# --- the config file ----------------------------------------------------------------------------


def test_a_binary_config_is_exit_2(tmp_path, capsys):
    config = tmp_path / "scan.toml"
    config.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert dry_run(tmp_path, "--config", str(config)) == 2
    assert "is a binary file (it holds NUL bytes), not TOML text" in one_line_error(capsys.readouterr().err)
    config.write_bytes("dedup_threshold = 0.8 # 相似度\n".encode("gb18030"))
    assert dry_run(tmp_path, "--config", str(config)) == 2
    assert "is not UTF-8 text (byte 0xcf at offset 24)" in one_line_error(capsys.readouterr().err)


def test_a_folder_as_config_is_exit_2(tmp_path, capsys):
    assert dry_run(tmp_path, "--config", str(tmp_path)) == 2
    assert f"config file {str(tmp_path)!r} is a folder, not a file" in one_line_error(capsys.readouterr().err)


def test_a_config_over_1_mib_is_refused_unread(tmp_path, capsys):
    config = tmp_path / "huge.toml"
    with config.open("wb") as handle:
        handle.truncate(2 << 20)
    assert dry_run(tmp_path, "--config", str(config)) == 2
    assert "is larger than 1,048,576 bytes" in one_line_error(capsys.readouterr().err)


def test_a_fifo_as_config_is_exit_2_at_once(tmp_path):
    fifo = tmp_path / "options.toml"
    os.mkfifo(fifo)
    started = time.monotonic()
    done = cli("run", "--raw", str(SAMPLE_RAW), "--out", str(tmp_path / "out"), "--config", str(fifo), timeout=20)
    assert done.returncode == 2, done.stderr
    assert "is a FIFO (named pipe), not a file" in one_line_error(done.stderr)
    assert time.monotonic() - started < 15
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_as_config_is_exit_2_without_reading_it(tmp_path):
    done = cli("run", "--raw", str(SAMPLE_RAW), "--out", str(tmp_path / "out"), "--config", "/dev/zero", timeout=60)
    assert done.returncode == 2, done.stderr[-500:]
    assert "config file '/dev/zero' is a character device, not a file" in one_line_error(done.stderr)


def test_a_binary_patterns_file_is_exit_2(tmp_path, capsys):
    patterns = tmp_path / "patterns.toml"
    patterns.write_bytes(b"\xff\xfe\x00garbage" * 10)
    assert dry_run(tmp_path, "--set", f"patterns_file='{patterns}'") == 2
    assert "patterns_file" in one_line_error(capsys.readouterr().err)


def test_an_unknown_flag_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as done:
        main(["run", "--bogus"])
    assert done.value.code == 2
    assert "unrecognized arguments: --bogus (see docclean --help)" in one_line_error(capsys.readouterr().err)
    with pytest.raises(SystemExit) as done:
        main(["run", "--wait", "soon"])
    assert done.value.code == 2
    assert "argument --wait: invalid float value: 'soon' (see docclean run --help)" in one_line_error(
        capsys.readouterr().err
    )


# --- URLs ---------------------------------------------------------------------------------------


def test_an_upper_case_scheme_is_the_scheme():
    # Parsing only: making an s3fs filesystem contacts nothing.
    fs, path = filesystem("S3://bucket/pages")
    assert "s3" in fs.protocol and path == "bucket/pages"
    assert remote.normalized("S3://Bucket/Pages") == "s3://Bucket/Pages"


def test_an_upper_case_s3_raw_passes_the_checks_that_come_before_any_connection(tmp_path, capsys):
    # The raw URL is accepted; the output's scheme is what stops the run, before anything is contacted.
    assert main(["run", "--raw", "S3://bucket/pages", "--out", "HDFS://cluster/clean"]) == 2
    err = one_line_error(capsys.readouterr().err)
    assert "'HDFS://cluster/clean': hdfs:// URLs are not supported" in err and "S3" not in err


@pytest.mark.parametrize("url", ["hdfs://namenode/clean", "ftp://127.0.0.1:9/clean"])
def test_schemes_docclean_cannot_use_are_exit_2_naming_those_that_work(tmp_path, capsys, url):
    for args in (
        ["run", "--raw", str(SAMPLE_RAW), "--out", url],
        ["run", "--raw", url, "--out", str(tmp_path / "out")],
        ["parts", url, "documents"],
        ["explain", "0123456789abcdef", "--out", url],
    ):
        assert main(args) == 2, args
        err = one_line_error(capsys.readouterr().err)
        scheme = url.split("://")[0]
        assert f"{scheme}:// URLs are not supported" in err and "URLs that work here: s3://" in err, err
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("*:*"))


# --- parts --------------------------------------------------------------------------------------


def test_parts_of_a_missing_folder_or_a_folder_no_run_wrote_is_exit_2(tmp_path, capsys):
    assert main(["parts", str(tmp_path / "nowhere"), "documents"]) == 2
    assert "does not exist; give the output folder a run wrote" in one_line_error(capsys.readouterr().err)
    assert main(["parts", str(SAMPLE_RAW), "documents"]) == 2
    assert "holds no docclean output" in one_line_error(capsys.readouterr().err)


def test_parts_of_an_unreachable_store_is_exit_2(monkeypatch, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing answers there
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "docclean-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "docclean-test")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    assert main(["parts", "s3://bucket/clean", "documents"]) == 2
    assert "cannot reach the object store for s3://bucket/clean" in one_line_error(capsys.readouterr().err)


# --- inspect and explain of a rejected record ---------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A small output with a kept page, a page rejected after cleaning and one rejected at reading."""
    raw = tmp_path_factory.mktemp("raw")
    shutil.copy(SAMPLE_PAGE, raw / SAMPLE_PAGE.name)
    shutil.copy(SAMPLE_RAW / "junk" / "separators-only.txt", raw / "separators-only.txt")
    shutil.copy(SAMPLE_RAW / "junk" / "scan.txt", raw / "scan.txt")
    out = raw.parent / (raw.name + "-out")
    assert main(["run", "--raw", str(raw), "--out", str(out), "--set", "workers=1"]) == 0
    return raw, out


@pytest.mark.parametrize(
    "command, heading", [("explain", "rejected: {reason}"), ("inspect", "REJECTED {name}: {reason}")]
)
def test_explain_and_inspect_of_a_reject_show_what_the_stages_removed_before_it(built, capsys, command, heading):
    raw, out = built
    capsys.readouterr()
    assert main([command, str(raw / "separators-only.txt"), "--out", str(out), "--raw", str(raw)]) == 0
    text = capsys.readouterr().out
    assert heading.format(name="separators-only.txt", reason="empty_after_cleaning") in text
    assert "before it was rejected (empty_after_cleaning), the stages removed:" in text
    assert "strip/separator_line (3):" in text
    assert main([command, str(raw / "scan.txt"), "--out", str(out), "--raw", str(raw)]) == 0
    text = capsys.readouterr().out
    assert heading.format(name="scan.txt", reason="binary") in text
    assert "removed by the stages: nothing (rejected while being read, before any cleaning stage ran)" in text
