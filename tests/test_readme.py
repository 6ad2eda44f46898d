"""The README documents what the code produces: every column and every option."""

import dataclasses

from conftest import ROOT

from flows.reference import readme_cli
from pipeline.core.config import Config
from pipeline.core.document import REJECT_REASONS
from pipeline.core.option_descriptions import DESCRIPTIONS
from pipeline.core.options import readme_options
from pipeline.core.schema import (
    DOCUMENTS,
    DUPLICATES,
    EDGES,
    FILES,
    REJECTS,
    TEMPLATES,
    readme_tables,
    signatures_schema,
)

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"### `{title}`")
    end = README.find("\n### ", start + 1)
    return README[start:end]


def test_every_column_is_documented_under_its_table():
    tables = {
        "documents": DOCUMENTS,
        "duplicates": DUPLICATES,
        "rejects": REJECTS,
        "signatures": signatures_schema(128, 16),
        "files": FILES,
        "templates": TEMPLATES,
        "edges": EDGES,
    }
    for name, schema in tables.items():
        text = section(name)
        for field in schema:
            assert f"| `{field.name}` |" in text, (name, field.name)
    # The tables are the schemas' own descriptions: `python -m pipeline.core.schema README.md` refreshes them.
    assert readme_tables(README) == README


def test_every_option_and_reject_reason_is_documented():
    options = [field.name for field in dataclasses.fields(Config) if field.init]
    # Each option described once, in Config's order, and the README's table made from that description:
    # `python -m pipeline.core.options README.md` refreshes it.
    assert list(DESCRIPTIONS) == options
    assert readme_options(README) == README
    # So is the command-line reference, from the parser: `python -m flows.reference README.md`.
    assert readme_cli(README) == README
    for name in options:
        assert f"| `{name}` |" in README, name
    for reason in REJECT_REASONS:
        assert f"`{reason}`" in README, reason


def test_the_two_setup_commands_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make sample" in README and "make test" in README
    assert "\nsample:" in makefile and "\ntest:" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_deployment_commands_match_prefect_yaml():
    deployment = (ROOT / "prefect.yaml").read_text(encoding="utf-8")
    for fact in (
        "clean-corpus/daily",
        "--pool docclean",
        "work-pool create docclean --type process",
        "prefect --no-prompt deploy --all",
        "automation create --from-file deploy/crashed-runs.yaml",
        "--host 127.0.0.1",
        "Asia/Shanghai",
        "DOCCLEAN_ALLOWED_ROOTS",
        "PREFECT_SERVER_API_AUTH_STRING",
    ):
        assert fact in README, fact
    for fact in (
        "name: daily",
        "name: docclean",
        'cron: "30 2 * * *"',
        "timezone: Asia/Shanghai",
        "set_working_directory",
        "DOCCLEAN_ALLOWED_ROOTS",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY",
        "lock_wait_seconds",
    ):
        assert fact in deployment, fact
    assert "prefect --no-prompt deploy --all" in deployment
