"""`trustsurvey serve` in a child process on loopback, and a respondent that talks HTTP to it.

Used by the served-app tests and by the load and fault benches (bench/), which run the same
server the README tells operators to run.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

SECRET_KEY = "served-test-secret-key-0123456789abcdef"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a served app on ``database_url``: limits high enough for one
    loopback address to stand in for many respondents, and no background closer."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        TRUSTSURVEY_SECRET_KEY=SECRET_KEY,
        TRUSTSURVEY_INSTANCE=str(instance),
        TRUSTSURVEY_RATELIMIT_SUBMIT="1000000 per minute",
        TRUSTSURVEY_CLOSE_DUE_INTERVAL="0",
        **extra,
    )
    return env


@dataclass
class Served:
    """A running `trustsurvey serve` (gunicorn master and workers)."""

    env: dict[str, str]
    log: Path
    workers: int = 2
    threads: int = 4
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def start(self, wait: float = 30.0) -> Served:
        command = [sys.executable, "-m", "surveys.cli", "serve", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(self.workers), "--threads", str(self.threads)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            if len(self.worker_pids()) == self.workers:
                try:
                    if get(self.address, "/").status == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not answer in {wait} s: {self.log.read_text()[-2000:]}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def kill(self) -> None:
        """kill -9 of the master and every worker: nothing gets to finish or clean up."""
        pids = self.worker_pids()
        if self.process is not None:
            self.process.kill()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str


def request(address, method: str, path: str, body: bytes | None = None, headers=None) -> Reply:
    connection = http.client.HTTPConnection(*address, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read().decode("utf-8", "replace"),
        )
    finally:
        connection.close()


def get(address, path: str, headers=None) -> Reply:
    return request(address, "GET", path, headers=headers)


@dataclass
class Respondent:
    """One person with one link: opens the survey (cookie and CSRF token), then answers."""

    address: tuple[str, int]
    token: str
    cookie: str = ""
    csrf: str = ""

    def open(self) -> Reply:
        reply = get(self.address, f"/s/{self.token}")
        if reply.status == 200:
            self.cookie = reply.headers.get("set-cookie", "").split(";", 1)[0]
            self.csrf = CSRF.search(reply.body).group(1)
        return reply

    def answer(self, answers: dict[str, str], extra: dict[str, str] | None = None) -> Reply:
        form = answers | {"csrf_token": self.csrf, "submit": "send"} | (extra or {})
        return request(
            self.address,
            "POST",
            f"/s/{self.token}",
            body=urlencode(form).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": self.cookie,
            },
        )
