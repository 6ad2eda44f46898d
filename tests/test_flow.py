"""End to end: the Prefect flow over a copy of the bundled sample, tables read back."""

import datetime
import shutil

import pytest
from conftest import CASES, SAMPLE_RAW

from pipeline.store.layout import read_table

GOLDEN = (CASES / "sample" / "000_087269b42eb169e9.clean.txt").read_text(encoding="utf-8").rstrip("\n")


@pytest.fixture
def raw(tmp_path):
    return shutil.copytree(SAMPLE_RAW, tmp_path / "raw")


def test_flow_cleans_the_sample(prefect_harness, raw, tmp_path):
    from flows.clean import clean_corpus

    out = tmp_path / "clean"
    summary = clean_corpus(raw_dir=str(raw), out_dir=str(out), options={"batch_size": 5})
    documents, duplicates, rejects = (read_table(out, t) for t in ("documents", "duplicates", "rejects"))

    assert summary["records"] == documents.num_rows + duplicates.num_rows + rejects.num_rows
    assert summary["counts_add_up"] and summary["files"] == 12

    rows = {r["source_path"]: r for r in documents.to_pylist()}
    sample = rows["000_087269b42eb169e9.txt"]
    assert sample["text"] == GOLDEN
    assert (sample["title"], sample["date"]) == ("北京以“个性化”任务推进市域社会治理", datetime.date(2021, 12, 13))
    assert (sample["publication"], sample["section"], sample["authors"]) == ("法治日报", "要闻", ["黄洁", "董凡超"])
    assert sample["pages"] == [3] and sample["paragraph_count"] == 7
    # The second copy goes whole: its byline and its seven paragraphs.
    assert sample["repeated_blocks_removed"] == 8 and sample["markers_removed"] == 4

    # The month's real duplicate (page 1 and page 4) and the feed's repost are found.
    dupes = {r["source_path"]: r for r in duplicates.to_pylist()}
    assert dupes["rmrb/2020-01/20200104-04-03.txt"]["duplicate_of"] == rows["rmrb/2020-01/20200104-01-05.txt"]["doc_id"]
    assert "feeds/portal-2020-01.jsonl" in dupes

    reasons = sorted(rejects["reason"].to_pylist())
    assert reasons == ["binary", "empty", "empty_after_cleaning", "malformed_json", "missing_text", "no_main_text"]
    assert set(summary["seconds_by_stage"]) >= {
        "read",
        "repair",
        "strip",
        "extract",
        "normalize",
        "page_dedup",
        "sign",
        "dedup",
    }


def test_flow_refuses_bad_options_before_reading_with_every_error_and_a_hint(prefect_harness, raw, tmp_path):
    from prefect.exceptions import ParameterTypeError

    from flows.clean import clean_corpus

    with pytest.raises(ParameterTypeError, match="did you mean 'dedup_threshold'"):
        clean_corpus(raw_dir=str(raw), out_dir=str(tmp_path / "clean"), options={"dedup_treshold": 0.9})
    with pytest.raises(ParameterTypeError) as error:
        clean_corpus(
            raw_dir=str(raw), out_dir=str(tmp_path / "clean"), options={"dedup_threshold": -0.5, "workers": 5000}
        )
    assert "dedup_threshold" in str(error.value) and "workers" in str(error.value)
    assert not (tmp_path / "clean").exists()


def test_the_run_form_describes_and_bounds_every_option():
    from prefect.utilities.callables import parameter_schema

    from flows.clean import clean_corpus
    from pipeline.core.config import Config

    schema = parameter_schema(clean_corpus).model_dump()
    for name in ("raw_dir", "out_dir", "options", "full", "add_raw"):
        assert schema["properties"][name].get("description"), name
    options = schema["definitions"]["Options"]["properties"]
    assert set(options) == set(Config().to_mapping())
    assert all(field.get("description") for field in options.values())
    assert options["dedup_threshold"]["minimum"] == 0 and options["dedup_threshold"]["maximum"] == 1
    assert options["workers"]["maximum"] == 256 and options["batch_size"]["maximum"] == 100_000


def test_a_deployment_run_uses_only_its_allowed_roots(prefect_harness, raw, tmp_path, monkeypatch):
    from flows.clean import clean_corpus
    from pipeline.store.layout import OutputError

    monkeypatch.setenv("DOCCLEAN_ALLOWED_ROOTS", str(tmp_path / "allowed"))
    with pytest.raises(OutputError, match="outside the folders this deployment may use") as refused:
        clean_corpus(raw_dir=str(raw), out_dir=str(tmp_path / "allowed" / "clean"))
    # Where to add the root: the deployment's own env, which wins over the worker's.
    assert "job_variables.env, which overrides the worker's environment" in str(refused.value)
    escape = tmp_path / "allowed" / ".." / "clean"
    with pytest.raises(OutputError, match="outside"):
        clean_corpus(raw_dir=str(tmp_path / "allowed"), out_dir=str(escape))
    (tmp_path / "allowed").mkdir()
    patterns = tmp_path / "patterns.toml"
    patterns.write_text("[publications]\nnames = []\n", encoding="utf-8")
    with pytest.raises(OutputError, match="outside"):
        clean_corpus(
            raw_dir=str(tmp_path / "allowed"),
            out_dir=str(tmp_path / "allowed" / "clean"),
            options={"patterns_file": str(patterns)},
        )
    with pytest.raises(OutputError, match="follow_symlinks"):
        clean_corpus(
            raw_dir=str(tmp_path / "allowed"),
            out_dir=str(tmp_path / "allowed" / "clean"),
            options={"follow_symlinks": "all"},
        )
    shutil.move(raw, tmp_path / "allowed" / "raw")
    summary = clean_corpus(raw_dir=str(tmp_path / "allowed" / "raw"), out_dir=str(tmp_path / "allowed" / "clean"))
    assert summary["counts_add_up"] and summary["documents"] == 7
    assert not (tmp_path / "clean").exists()
