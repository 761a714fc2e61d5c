"""moto server in its own process: AWS's wire protocols on a loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import boto3
import httpx
from botocore.config import Config

from conveyor_devstack.lifecycle import Lifecycle
from conveyor_devstack.moto_process import SENT_MAIL_PATH
from conveyor_devstack.ports import LOOPBACK, free_port, wait_for_port

# moto server, with the sent-mail listing the tests and the demo read.
MOTO_MAIN = "conveyor_devstack.moto_process"
# Credentials and region the emulator accepts; never real ones.
EMULATOR_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}
CREDENTIAL_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class MotoServer(Lifecycle):
    def __init__(self, *, port: int | None = None) -> None:
        self.port = port or free_port()
        # What env and client sign with: any keys while IAM is not enforced; an IAM
        # user's once it is (enforce_iam).
        self.credentials = {key: EMULATOR_ENV[key] for key in CREDENTIAL_KEYS}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        settings = {k: v for k, v in EMULATOR_ENV.items() if k not in CREDENTIAL_KEYS}
        return {**settings, **self.credentials, "AWS_ENDPOINT_URL": self.url}

    def _start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", MOTO_MAIN, "-H", LOOPBACK, "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            # Tests purge the service queues before each test, more often than once a minute.
            env={**os.environ, "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false"},
        )
        wait_for_port(self.port, timeout_seconds=30)

    def client(self, service: str, *, max_connections: int = 10) -> Any:
        """A boto3 client bound to this server, whatever this process's environment says."""
        return boto3.session.Session().client(  # type: ignore[call-overload]
            service,
            config=Config(max_pool_connections=max_connections),
            endpoint_url=self.url,
            region_name=EMULATOR_ENV["AWS_REGION"],
            aws_access_key_id=self.credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.credentials["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=self.credentials.get("AWS_SESSION_TOKEN"),
        )

    def enforce_iam(self) -> None:
        """From now on every request must be signed by an IAM user or an assumed role
        this server knows, and be allowed by its policies (moto's partial checks)."""
        response = httpx.post(f"{self.url}/moto-api/reset-auth", content=b"0", timeout=10)
        response.raise_for_status()

    def mailbox(self) -> bytes:
        """The e-mails SES 'sent' (conveyor_devstack.mailbox reads them)."""
        response = httpx.get(f"{self.url}{SENT_MAIL_PATH}", timeout=10)
        response.raise_for_status()
        return response.content

    def freeze(self) -> None:
        """Stop the server process (SIGSTOP): connections open, nothing answers."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self._process is not None:
            self.thaw()
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None
