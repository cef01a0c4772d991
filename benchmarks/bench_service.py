"""Load test of `mtus serve` on loopback: requests per second and latency of POST /v1/check.

Starts `mtus serve --workers N` on 127.0.0.1 (a free port), waits for /v1/health, then sends
the example cases (examples/cases/*.json, in turn) from C concurrent keep-alive connections for
a bounded time (default 20 s, never more than 60 s), and prints requests/s, the latency
percentiles (p50, p90, p99, max) and the status counts. The client is asyncio over raw sockets
(one process, no HTTP library) so that it leaves the cores to the server; it only ever connects
to 127.0.0.1 and stops by itself. Target (docs/performance.md): >= 1,000 requests/s over two
workers on the 2-core machine, p99 < 50 ms.

    python benchmarks/bench_service.py [--workers 2] [--connections 16] [--seconds 20]
"""
from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def requests_for(port: int) -> list[bytes]:
    out = []
    for path in sorted(glob.glob(str(ROOT / "examples" / "cases" / "*.json"))):
        body = json.dumps(json.loads(Path(path).read_text(encoding="utf-8"))).encode()
        head = (f"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        out.append(head + body)
    return out


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def connection(port: int, payloads: list[bytes], offset: int, deadline: float, latencies: list, statuses: dict):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    try:
        while time.perf_counter() < deadline:
            payload = payloads[i % len(payloads)]
            i += 1
            t0 = time.perf_counter()
            writer.write(payload)
            status = await read_response(reader)
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def load(port: int, payloads: list[bytes], connections: int, seconds: float, warmup: float) -> tuple[list, dict, float]:
    # warm-up: every worker compiles nothing more, but caches and the JIT-free paths settle
    await asyncio.gather(*(connection(port, payloads, k, time.perf_counter() + warmup, [], {})
                           for k in range(connections)))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(connection(port, payloads, k * 7, deadline, latencies, statuses)
                           for k in range(connections)))
    return latencies, statuses, time.perf_counter() - start


def wait_healthy(port: int, timeout: float = 30.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the service did not start in time")


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args(argv)
    seconds = min(args.seconds, MAX_SECONDS - args.warmup)
    port = free_port()
    env = dict(os.environ)
    server = subprocess.Popen([sys.executable, "-m", "engine", "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(args.workers)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_healthy(port)
        payloads = requests_for(port)
        latencies, statuses, elapsed = asyncio.run(load(port, payloads, args.connections, seconds, args.warmup))
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    latencies.sort()
    count = len(latencies)
    print(f"POST /v1/check, {len(payloads)} example cases in turn, {args.workers} workers, "
          f"{args.connections} connections, {elapsed:.1f} s on 127.0.0.1, {os.cpu_count()} cores")
    print(f"  requests: {count}  ({count / elapsed:,.0f} requests/s)")
    print("  latency ms: p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  max {:.1f}".format(
        *(1000 * percentile(latencies, p) for p in (50, 90, 99)), 1000 * (latencies[-1] if latencies else 0)))
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    ok = statuses.get(200, 0) == count and count / elapsed >= 1000 and percentile(latencies, 99) < 0.050
    print(f"  target (>= 1,000 requests/s, p99 < 50 ms, all 200): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
