"""A small asyncio HTTP/1.1 client for the load and fault benches (loopback only).

One connection per request (``Connection: close``), as respondents on different phones
would open them; reading the reply to its end keeps the measured time honest.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Reply:
    status: int  # -1: no reply (connection refused, reset or timed out)
    headers: dict[str, str]
    body: bytes
    seconds: float


async def request(
    address: tuple[str, int],
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Reply:
    started = time.perf_counter()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {address[0]}:{address[1]}", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(*address)
            try:
                writer.write(raw)
                await writer.drain()
                data = await reader.read()
            finally:
                writer.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        return Reply(-1, {}, b"", time.perf_counter() - started)
    elapsed = time.perf_counter() - started
    head, _, content = data.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(head_lines[0].split()[1])
    except (IndexError, ValueError):
        return Reply(-1, {}, b"", elapsed)
    reply_headers = {}
    for line in head_lines[1:]:
        name, _, value = line.partition(":")
        reply_headers.setdefault(name.strip().lower(), value.strip())
    return Reply(status, reply_headers, content, elapsed)


@dataclass
class Respondent:
    """One link: open the survey (session cookie and CSRF token), then send the answers."""

    token: str
    cookie: str = ""
    csrf: str = ""
    replies: list[tuple[str, Reply]] = field(default_factory=list)

    async def open(self, address) -> Reply:
        reply = await request(address, "GET", f"/s/{self.token}")
        self.replies.append(("open", reply))
        if reply.status == 200:
            self.cookie = reply.headers.get("set-cookie", "").split(";", 1)[0]
            found = CSRF.search(reply.body)
            self.csrf = found.group(1).decode() if found else ""
        return reply

    async def answer(self, address, answers: dict[str, str] | bytes) -> Reply:
        """Send the answers: a dict, or already URL-encoded (as the floor's bodies are, so that
        the client does the same work for both)."""
        encoded = answers if isinstance(answers, bytes) else urlencode(answers).encode()
        body = encoded + b"&" + urlencode({"csrf_token": self.csrf, "submit": "send"}).encode()
        reply = await request(
            address,
            "POST",
            f"/s/{self.token}",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": self.cookie,
            },
        )
        self.replies.append(("answer", reply))
        return reply


async def in_parallel(concurrency: int, jobs):
    """Run the coroutine factories in ``jobs`` with at most ``concurrency`` at once."""
    gate = asyncio.Semaphore(concurrency)

    async def run(job):
        async with gate:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))


def percentiles(seconds: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 (nearest rank), in seconds."""
    if not seconds:
        return (float("nan"),) * 3
    ordered = sorted(seconds)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))]

    return rank(50), rank(95), rank(99)
