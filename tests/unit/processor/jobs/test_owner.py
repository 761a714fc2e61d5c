"""A lease names the process and the thread that holds it."""

from __future__ import annotations

import threading

from conveyor_processor.jobs.owner import WORKER_ID, lease_owner


def test_leases_are_owned_per_process_and_thread() -> None:
    assert lease_owner().startswith(f"{WORKER_ID}/")
    assert lease_owner() == lease_owner()
    owners: list[str] = []
    other = threading.Thread(target=lambda: owners.append(lease_owner()), name="other-thread")
    other.start()
    other.join()
    assert owners == [f"{WORKER_ID}/other-thread"]
