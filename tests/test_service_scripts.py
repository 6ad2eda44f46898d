"""The helper scripts an operator runs by hand: each prints what to use, and a ``kill`` stops everything it started."""

from __future__ import annotations

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
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert gone("127.0.0.1", int(address.rsplit(":", 1)[1])), "the scheduler outlived its script"
    assert gone("127.0.0.1", int(worker.rsplit(":", 1)[1])), "a worker outlived its script"
