"""One writer per output on object storage: a lease object, created only if absent, renewed while held.

A local output has its ``flock``; a bucket has no locks, and two machines
may run against one ``s3://`` output. The first run creates ``OUT/_lease.json``
with a conditional write (create only if absent) and renews it every
``LEASE_SECONDS / 4``; a holder that dies stops renewing, and once the lease
has expired the next run takes it over (a conditional replace of the
expired version, so two runs cannot both take it). The manifest commit is
conditional too (`pipeline.store.remote`), so even a holder that lost its lease
without noticing cannot overwrite a newer commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterator

from pipeline.store.layout import BusyError
from pipeline.store.objects import Conflict, Objects

LEASE_NAME = "_lease.json"
# Long enough that a slow renewal does not lose it, short enough that a
# crashed run's output is free again within minutes.
LEASE_SECONDS = 120.0


@dataclass
class Lease:
    """A held lease: its token, the tag of its current version, and whether renewing it ever failed."""

    objects: Objects
    token: str
    tag: str
    holder: str
    lost: bool = False
    stop: threading.Event = field(default_factory=threading.Event)

    def body(self) -> bytes:
        return json.dumps({"token": self.token, "holder": self.holder, "expires": time.time() + LEASE_SECONDS}).encode()

    def renew_until_stopped(self) -> None:
        while not self.stop.wait(LEASE_SECONDS / 4):
            try:
                self.tag = self.objects.put(LEASE_NAME, self.body(), replacing=self.tag)
            except Conflict:
                self.lost = True
                return
            except Exception:  # noqa: BLE001 - a failed renewal is retried; the lease lasts LEASE_SECONDS
                continue


def _taken_over(objects: Objects, holder: str, token: str) -> Lease | None:
    """The lease, if it is free or expired and this run wins the conditional write; None while another holds it."""
    probe = Lease(objects, token, "", holder)
    current = objects.get(LEASE_NAME)
    try:
        if current is None:
            probe.tag = objects.put(LEASE_NAME, probe.body())
            return probe
        data, tag = current
        try:
            expires = float(json.loads(data)["expires"])
        except (ValueError, KeyError, TypeError):
            expires = 0.0  # unreadable: treat as expired rather than blocking the output for ever
        if expires < time.time():
            probe.tag = objects.put(LEASE_NAME, probe.body(), replacing=tag)
            return probe
    except Conflict:
        return None
    return None


def holder_of(objects: Objects) -> str:
    current = objects.get(LEASE_NAME)
    if current is None:
        return "unknown"
    try:
        return str(json.loads(current[0]).get("holder", "unknown"))
    except ValueError:
        return "unknown"


@contextlib.contextmanager
def leased(
    objects: Objects, url: str, wait_seconds: float = 0.0, on_wait: Callable[[str], None] | None = None
) -> Iterator[Lease]:
    """Hold the output's lease for the block; `BusyError` when another run holds it past ``wait_seconds``."""
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    holder = f"pid {os.getpid()} on {socket.gethostname()}, since {since}"
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    told = False
    while (lease := _taken_over(objects, holder, token)) is None:
        if time.monotonic() >= deadline:
            raise BusyError(
                f"another docclean run ({holder_of(objects)}) is writing {url}; nothing was read or written. "
                f"Run again when it has finished, or wait for it with lock_wait_seconds / --wait SECONDS "
                f"(a crashed run's lease expires {LEASE_SECONDS:.0f} s after its last renewal)"
            )
        if on_wait is not None and not told:
            on_wait(f"waiting up to {wait_seconds:.0f} s for another run ({holder_of(objects)}) to release {url}")
            told = True
        time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
    renewer = threading.Thread(target=lease.renew_until_stopped, name="docclean-lease", daemon=True)
    renewer.start()
    try:
        yield lease
    finally:
        lease.stop.set()
        renewer.join()
        current = objects.get(LEASE_NAME)
        if current is not None and not lease.lost and current[1] == lease.tag:
            objects.delete(LEASE_NAME)
