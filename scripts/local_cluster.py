"""A local Dask cluster for tests and benchmarks: `dask scheduler` and `dask worker` on 127.0.0.1.

Each process runs in its own process group and is stopped by PID (workers
first), pass or fail. Used by tests/test_cluster.py and bench/cluster.py.

    python -m scripts.local_cluster --workers 2 --folder /tmp/dask   # prints the address; Ctrl-C or kill stops it all
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

DASK = str(Path(sys.executable).with_name("dask"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalCluster:
    """`dask scheduler` and `dask worker` processes, each in its own process group."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.procs = folder, {}
        self.address = f"tcp://127.0.0.1:{free_port()}"

    def start(self, name: str, *args: str) -> None:
        log = open(self.folder / f"{name}.log", "wb")
        # The worker's sampling profiler takes the GIL every 10 ms from the CPU-bound batches.
        env = {
            **os.environ,
            "DASK_DISTRIBUTED__WORKER__DAEMON": "false",
            "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
            "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
        }
        self.procs[name] = subprocess.Popen(
            [DASK, *args], cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_worker(self, name: str) -> None:
        self.start(
            name,
            "worker",
            self.address,
            "--host",
            "127.0.0.1",
            "--nworkers",
            "1",
            "--nthreads",
            "1",
            "--memory-limit",
            "2GiB",
            "--dashboard-address",
            "127.0.0.1:0",
            "--name",
            name,
            "--no-nanny",
            "--local-directory",
            str(self.folder / name),
        )

    def wait_for_workers(self, count: int, timeout: float = 60) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(count, timeout=timeout)

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        for name in sorted(self.procs, key=lambda n: n == "scheduler"):  # workers first
            stop_group(self.procs[name], 20)


def stop_group(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM a process started with ``start_new_session=True`` and its group; SIGKILL after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def stop_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt, as Ctrl-C is: call it before starting any server, so that
    a ``kill`` at any moment goes through the ``finally`` that stops them (they are in process groups of their
    own, out of reach of the signal)."""

    def stopping(signum, frame):
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stopping)


def wait_for_signal(watched: dict[str, subprocess.Popen] | None = None, every: float = 1.0) -> str | None:
    """Block until SIGINT (or SIGTERM or SIGHUP after `stop_on_signals`): None; or until a ``watched`` process
    ends by itself: its name (a server that died must not leave its script printing an address that answers no more)."""
    try:
        while True:
            for name, proc in (watched or {}).items():
                if proc.poll() is not None:
                    return name
            time.sleep(every)
    except KeyboardInterrupt:
        return None


def serve(
    lines: Callable[[], list[str]], name: str, proc: subprocess.Popen, log: Path, stop: Callable[[], None]
) -> int:
    """Print ``lines()``, then wait for a signal or for the server ``proc`` to die; ``stop`` what was started
    either way. The exit status: 1 (its log named) when the server ended by itself, else 0.

    Call it as soon as the servers are up: a signal that comes while the lines are made or printed stops them all the same.
    """
    try:
        for line in lines():
            print(line, flush=True)
        died = wait_for_signal({name: proc}) is not None
    except KeyboardInterrupt:
        # Servers run in process groups of their own: the signal did not reach them. One already
        # gone died by itself, though the signal came before the watch saw it (CI stops its
        # services right after the tests, a server that died during them included).
        died = proc.poll() is not None
    finally:
        stop()
    if died:
        print(f"{name} exited by itself (status {proc.returncode}); see {log}", file=sys.stderr, flush=True)
        return 1
    return 0


def started(folder: Path, workers: int = 2) -> LocalCluster:
    """A scheduler and ``workers`` single-threaded workers, all up; `LocalCluster.stop` ends them."""
    cluster = LocalCluster(folder)
    port = cluster.address.rsplit(":", 1)[1]
    try:
        cluster.start(
            "scheduler", "scheduler", "--host", "127.0.0.1", "--port", port, "--dashboard-address", "127.0.0.1:0"
        )
        for n in range(1, workers + 1):
            cluster.start_worker(f"w{n}")
        cluster.wait_for_workers(workers)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m scripts.local_cluster",
        description="A Dask scheduler and workers on 127.0.0.1 (dashboards too), until Ctrl-C or kill.",
    )
    parser.add_argument("--workers", type=int, default=2, help="single-threaded workers to start (default 2)")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/docclean-dask"), help="logs and worker space")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    stop_on_signals()
    try:
        cluster = started(args.folder, args.workers)
    except KeyboardInterrupt:
        return  # killed while starting: `started` stopped what it had started

    def lines() -> list[str]:
        return [
            f"scheduler {cluster.address} with {args.workers} workers; logs in {args.folder}",
            f"docclean run --raw RAW --out OUT --cluster {cluster.address}",
        ]

    # Only the scheduler is watched: a worker that dies costs a run time (Dask reruns its tasks), not the cluster.
    sys.exit(serve(lines, "scheduler", cluster.procs["scheduler"], cluster.folder / "scheduler.log", cluster.stop))


if __name__ == "__main__":
    main()
