"""The scheduled deployment for real: a Prefect server, a process work pool, a worker,
`prefect deploy` from prefect.yaml and two `prefect deployment run --watch` runs with
new raw files added in between.

Everything is started here, bound to 127.0.0.1 on a free port with a fresh
PREFECT_HOME, and stopped by PID (process group) at the end, pass or fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, SAMPLE_PAGE, SAMPLE_RAW

from pipeline import store

PREFECT = str(Path(sys.executable).with_name("prefect"))
DEPLOYMENT = "clean-corpus/daily"
POOL = "docclean"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Services:
    """Background processes of this test, each in its own process group."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")
        proc = subprocess.Popen(
            [PREFECT, *args], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run([PREFECT, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"prefect {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}\n{self.tail()}"
        return result

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.logs.glob("*.log")))

    def stop(self) -> None:
        # Worker first, so that it does not see its server vanish mid-poll.
        for name in ("worker", "server"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_CLI_PROMPT="false",
    )
    services = Services(env, home)
    try:
        services.start("server", "server", "start", "--host", "127.0.0.1", "--port", str(port))
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert services.procs["server"].poll() is None, f"the Prefect server exited:\n{services.tail()}"
            assert time.monotonic() < deadline, f"the Prefect server did not come up in 120 s:\n{services.tail()}"
            time.sleep(0.5)
        services.run("work-pool", "create", POOL, "--type", "process")
        services.run("deploy", "--all")
        services.start("worker", "worker", "start", "--pool", POOL, "--limit", "1")
        yield services, api
    finally:
        services.stop()


def run_deployment(services: Services, raw: Path, out: Path) -> subprocess.CompletedProcess:
    params = json.dumps({"raw_dir": str(raw), "out_dir": str(out)})
    return services.run("deployment", "run", DEPLOYMENT, "--params", params, "--watch", "--watch-timeout", "240")


def artifacts(api: str, key: str) -> list[dict]:
    response = httpx.post(f"{api}/artifacts/filter", json={"artifacts": {"key": {"any_": [key]}}}, timeout=10)
    response.raise_for_status()
    return sorted(response.json(), key=lambda artifact: artifact["created"])


def test_two_scheduled_runs_on_a_real_server_dedup_across_runs(prefect_server, tmp_path):
    services, api = prefect_server
    deployments = httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()
    (daily,) = [d for d in deployments if d["name"] == "daily"]
    (schedule,) = daily["schedules"]
    assert schedule["schedule"]["cron"] == "30 2 * * *" and schedule["schedule"]["timezone"] == "Asia/Shanghai"
    assert daily["work_pool_name"] == POOL
    assert daily["global_concurrency_limit"]["limit"] == 1
    assert daily["concurrency_options"]["collision_strategy"] == "ENQUEUE"

    raw, out = tmp_path / "raw", tmp_path / "clean"
    shutil.copytree(SAMPLE_RAW, raw)
    run_deployment(services, raw, out)
    first = store.read_summary(out)
    assert first["run"] == 1 and first["counts_add_up"] and first["files"] == 12
    kept = {r["source_path"]: r["doc_id"] for r in store.read_table(out, "documents").to_pylist()}

    # The scraper's next day: one new article and a mirror of an old one.
    (raw / "mirror").mkdir()
    shutil.copy(SAMPLE_PAGE, raw / "mirror" / "copy.txt")
    (raw / "rmrb" / "2020-01" / "extra.txt").write_text(
        "国务院新闻办公室今天举行新闻发布会，介绍今年春运的总体安排和重点措施。\n"
        "发布会上，有关部门负责人表示，将全力保障旅客平安有序出行。",
        encoding="utf-8",
    )
    run_deployment(services, raw, out)
    second = store.read_summary(out)
    assert second["run"] == 2 and second["files_processed"] == 2 and second["files_unchanged"] == 12
    assert second["records"] == 2 and second["duplicates"] == 1 and second["documents"] == 1
    assert second["totals"]["records"] == first["records"] + 2 and second["counts_add_up"]

    duplicates = {r["source_path"]: r for r in store.read_table(out, "duplicates").to_pylist()}
    assert duplicates["mirror/copy.txt"]["duplicate_of"] == kept[SAMPLE_PAGE.name]
    assert duplicates["mirror/copy.txt"]["kind"] == "exact"

    reports = artifacts(api, "docclean-report")
    tables = artifacts(api, "docclean-counts")
    assert len(reports) == len(tables) == 2
    assert "# docclean run 2" in reports[-1]["data"] and "Largest duplicate clusters" in reports[-1]["data"]
    counts = json.loads(tables[-1]["data"]) if isinstance(tables[-1]["data"], str) else tables[-1]["data"]
    rows = {(r["group"], r["item"]): r["value"] for r in counts}
    assert rows[("records", "read")] == 2 and rows[("duplicates", "of_earlier_runs")] == 1
    assert rows[("files", "unchanged")] == 12 and ("seconds", "dedup") in rows
