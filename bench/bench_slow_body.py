"""Slow-body attack: does the served app still answer while clients trickle their bodies?

Starts `trustsurvey serve` (SQLite, its default workers and threads) and, if nginx is
installed, nginx in front of it with the README's settings. For each target (gunicorn
directly, then nginx) it opens --attackers connections that each announce a 1,000-byte POST
body and send one byte a second, and meanwhile fetches `/` from four ordinary clients
(5-second timeout) for --seconds. Prints the share of ordinary requests answered and their
p50/p95, with the machine's load. Loopback only; bounded by --seconds.

Usage: python bench/bench_slow_body.py [--attackers 40] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadclient import percentiles, request  # noqa: E402
from surveys import create_app, serve  # noqa: E402
from surveys import db as database  # noqa: E402
from tests.served import Served, free_port, server_environment  # noqa: E402

NGINX_CONF = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 3m;
        client_header_timeout 10s;
        client_body_timeout 10s;
        proxy_request_buffering on;
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


async def trickle(address, stop: asyncio.Event) -> None:
    """One attacker: a POST that promises 1,000 bytes and sends one a second."""
    try:
        reader, writer = await asyncio.open_connection(*address)
    except OSError:
        return
    head = (
        "POST /s/abc HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    try:
        writer.write(head.encode())
        while not stop.is_set():
            writer.write(b"a")
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
    except OSError:
        pass  # the server (or nginx) gave up on it
    finally:
        writer.close()


async def probe(address, seconds: float, attackers: int):
    stop = asyncio.Event()
    attack = [asyncio.create_task(trickle(address, stop)) for _ in range(attackers)]
    await asyncio.sleep(1.0)  # let the attackers take their places
    replies = []
    deadline = time.monotonic() + seconds

    async def ordinary():
        while time.monotonic() < deadline:
            replies.append(await request(address, "GET", "/", timeout=5.0))
            await asyncio.sleep(0.1)

    await asyncio.gather(*(ordinary() for _ in range(4)))
    stop.set()
    await asyncio.gather(*attack)
    return replies


def report(name: str, replies) -> None:
    answered = [r for r in replies if r.status == 200]
    p50, p95, _p99 = percentiles([r.seconds for r in answered])
    one, five, _ = os.getloadavg()
    print(
        f"  {name:<22} answered {len(answered)}/{len(replies)} "
        f"({100 * len(answered) / max(1, len(replies)):.0f} %), p50 {p50 * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms; load {one:.2f} (1 min) {five:.2f} (5 min)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attackers", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="trustsurvey-bench-slow."))
    os.chmod(folder, 0o755)
    env = server_environment(f"sqlite:///{folder / 'bench.sqlite3'}", folder / "instance")
    saved = dict(os.environ)
    os.environ.update(env)
    app = create_app({"CLOSE_DUE_INTERVAL": 0})
    with app.app_context():
        database.upgrade()
        database.db.engine.dispose()
    os.environ.clear()
    os.environ.update(saved)
    workers, threads = serve.default_workers(), 4
    server = Served(env, folder / "server.log", workers=workers, threads=threads)
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    nginx = None
    print(f"bench_slow_body: {args.attackers} slow bodies, {workers} workers x {threads} threads")
    try:
        server.start()
        replies = asyncio.run(probe(server.address, args.seconds, args.attackers))
        report("gunicorn directly", replies)
        if not Path(nginx_bin).exists():
            print("  nginx is not installed: behind-nginx figure not measured")
            return 0
        prefix = folder / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / sub).mkdir(parents=True)
            os.chmod(prefix / sub, 0o777)  # nginx's workers run as an unprivileged user
        port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, app_port=server.port))
        nginx = subprocess.Popen(
            [nginx_bin, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            if asyncio.run(request(("127.0.0.1", port), "GET", "/", timeout=2)).status == 200:
                break
            time.sleep(0.1)
        replies = asyncio.run(probe(("127.0.0.1", port), args.seconds, args.attackers))
        report("behind nginx (README)", replies)
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
