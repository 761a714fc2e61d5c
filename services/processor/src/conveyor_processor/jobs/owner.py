"""Who holds a lease: this process and the thread running the job."""

from __future__ import annotations

import os
import socket
import threading
import uuid

# Unique per process, so a restarted worker never mistakes a dead one's lease for its own.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_owner() -> str:
    return f"{WORKER_ID}/{threading.current_thread().name}"
