"""The helper scripts an operator runs by hand: each prints what to use, and a ``kill`` stops everything it started."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT, child_env


def answers(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def started(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def first_line_with(proc: subprocess.Popen, text: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if text in line:
            return line.strip()
        if not line and proc.poll() is not None:
            break
    proc.kill()
    pytest.fail(f"no line with {text!r} from {proc.args}")


def gone(host: str, port: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not answers(host, port):
            return True
        time.sleep(0.5)
    return False


@pytest.mark.services
def test_local_s3_prints_exports_and_a_kill_stops_weed(tmp_path):
    proc = started(["scripts.local_s3", str(tmp_path / "s3")])
    line = first_line_with(proc, "AWS_ENDPOINT_URL")
    assert line.startswith("export AWS_ENDPOINT_URL=http://127.0.0.1:")
    port = int(line.rsplit(":", 1)[1])
    assert answers("127.0.0.1", port)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert gone("127.0.0.1", port), "weed still serves S3 after its script was killed"


@pytest.mark.services
def test_local_cluster_has_a_command_line_and_a_kill_stops_scheduler_and_workers(tmp_path):
    from distributed import Client

    proc = started(["scripts.local_cluster", "--workers", "1", "--folder", str(tmp_path / "dask")])
    line = first_line_with(proc, "scheduler tcp://")
    address = line.split()[1]
    assert address.startswith("tcp://127.0.0.1:")
    with Client(address, timeout="30s") as client:
        workers = client.scheduler_info()["workers"]
        (worker,) = workers
        assert worker.startswith("tcp://127.0.0.1:")
    # A worker that dies costs a run time, not the cluster: the script stays.
    (worker_pid,) = [pid for pid, cmdline in child_pids(proc.pid).items() if " worker " in cmdline]
    os.kill(worker_pid, signal.SIGKILL)
    time.sleep(3)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert gone("127.0.0.1", int(address.rsplit(":", 1)[1])), "the scheduler outlived its script"
    assert gone("127.0.0.1", int(worker.rsplit(":", 1)[1])), "a worker outlived its script"


def child_pids(pid: int) -> dict[int, str]:
    """The processes ``pid`` started, with their command lines (none once it is gone)."""
    found = {}
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                for child in map(int, handle.read().split()):
                    with contextlib.suppress(OSError), open(f"/proc/{child}/cmdline", "rb") as cmdline:
                        found[child] = cmdline.read().replace(b"\0", b" ").decode()
    return found


@pytest.mark.services
@pytest.mark.parametrize(
    "script, ready, server",
    [("scripts.local_s3", "AWS_ENDPOINT_URL", "weed"), ("scripts.local_cluster", "scheduler tcp://", "scheduler")],
)
def test_a_server_that_dies_ends_its_script_with_the_log_named(tmp_path, script, ready, server):
    # The script went on waiting for a signal, its printed address answering no more.
    args = [str(tmp_path / "s3")] if script.endswith("s3") else ["--workers", "1", "--folder", str(tmp_path / "dask")]
    proc = started([script, *args])
    servers: dict[int, str] = {}
    try:
        first_line_with(proc, ready)
        servers = child_pids(proc.pid)
        (victim,) = [pid for pid, cmd in servers.items() if server in {os.path.basename(a) for a in cmd.split()}]
        os.kill(victim, signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
    finally:
        servers = servers or child_pids(proc.pid)
        proc.kill()
        for pid in servers:  # each in a process group of its own: none outlives a failed test
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    assert proc.returncode == 1
    assert f"{server} exited by itself" in out and ".log" in out, out


@pytest.mark.parametrize("server_alive, status", [(True, 0), (False, 1)])
def test_a_signal_ends_the_script_with_status_1_when_its_server_had_already_died(
    tmp_path, monkeypatch, capsys, server_alive, status
):
    """A server that died in the second before the stopping signal came was not stopped by it."""
    from scripts import local_cluster

    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)" if server_alive else "pass"])
    if not server_alive:
        server.wait()

    def signalled(watched=None, every=1.0):
        raise KeyboardInterrupt  # SIGTERM, after `stop_on_signals`

    monkeypatch.setattr(local_cluster, "wait_for_signal", signalled)
    stopped = []
    try:
        assert (
            local_cluster.serve(lambda: ["up"], "weed", server, tmp_path / "weed.log", lambda: stopped.append(1))
            == status
        )
    finally:
        server.kill()
        server.wait()
    assert stopped == [1]
    assert ("weed exited by itself" in capsys.readouterr().err) == (not server_alive)
