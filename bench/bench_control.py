"""Control-channel benchmark: lease4-update over keep-alive HTTP/1.1 between two processes.

Run: `.venv/bin/python bench/bench_control.py [--seconds 1.5] [--reps 3]`.

The server is a child process running hakea.control.http_server with a CommandRegistry whose
lease4-update handler reads its arguments and answers (what the HA partner does, minus the store):
"hakea" registers it as an async handler (a task per request), "hakea-sync" with register_sync
(answered inside the read callback).
The client is this process using hakea.control.http_client. Both run on uvloop, on loopback.

Scenarios ("conns x depth": connections in the pool x requests in flight per connection):
  1x1    one request at a time (the per-update latency floor)
  8x1    8 in flight on 8 connections (the default way to talk to a Kea partner)
  64x1   64 in flight on 64 connections
  8x8    64 in flight on 8 pipelined connections (hakea <-> hakea only)
  1x64   64 in flight pipelined on one connection
"floor" rows: the ~25-line httptools server (synchronous answer) and a bare future-per-request client
of python-deps-measured.md section 3, run interleaved on the same machine, so hakea's overhead can
be read as a ratio even on a loaded box.
Each scenario runs --seconds (after a 0.3 s warm-up) or 200,000 requests, whichever ends first;
scenarios are interleaved round-robin over --reps repetitions and the median is reported, because
the bench machines are shared. CPU per request is read from /proc for the server and from
process_time for the client.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httptools

from hakea.control.envelope import decode, encode
from hakea.control.http_client import HttpCommandClient
from hakea.control.http_server import start_http_listener
from hakea.control.registry import CommandRegistry, CommandRequest

# A Kea 2.2 lease4-update as seen on the wire between two Kea peers (kea-2.2-wire-samples.txt).
LEASE_UPDATE: dict[str, Any] = {
    "arguments": {
        "client-id": "01:00:0c:01:02:03:04",
        "expire": 1795562763,
        "force-create": True,
        "fqdn-fwd": False,
        "fqdn-rev": False,
        "hostname": "",
        "hw-address": "00:0c:01:02:03:04",
        "ip-address": "10.0.0.1",
        "state": 0,
        "subnet-id": 2,
        "valid-lft": 4000,
    },
    "command": "lease4-update",
    "service": ["dhcp4"],
}

SCENARIOS = [(1, 1), (8, 1), (64, 1), (8, 8), (1, 64)]
FLOOR_SCENARIOS = [(1, 1), (8, 1), (64, 1)]  # the baseline has no pipelining through a pool
MAX_REQUESTS = 200_000


def serve(port_file: str, sync: bool) -> None:
    """Child process: the daemon side, with an async handler or a register_sync one."""

    async def main() -> None:
        registry = CommandRegistry()

        def update(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
            assert arguments is not None
            _ = (arguments["ip-address"], arguments["hw-address"], arguments["expire"])
            return {"result": 0, "text": "IPv4 lease updated."}

        async def lease4_update(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
            return update(arguments, request)

        if sync:
            registry.register_sync("lease4-update", update)
        else:
            registry.register("lease4-update", lease4_update)
        server = await start_http_listener(registry, "127.0.0.1", 0, idle_timeout=None)
        Path(port_file).write_text(str(server.port))
        await asyncio.Event().wait()

    import uvloop

    uvloop.run(main())


class _FloorServer(asyncio.Protocol):
    """Baseline: the ~25-line httptools server of python-deps-measured.md section 3 (sync answer)."""

    ANSWER = b'[{"result":0,"text":"IPv4 lease updated."}]'
    RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(ANSWER),
        ANSWER,
    )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.parser = httptools.HttpRequestParser(self)
        self.body = b""

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        decode(self.body)
        self.body = b""
        self.transport.write(self.RESPONSE)


class _FloorClient(asyncio.Protocol):
    """Baseline: a future per request on one connection; no pool, no timeout, no status check."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.waiting: deque[asyncio.Future[bytes]] = deque()
        self.body = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.waiting.popleft().set_result(self.body)
        self.body = b""

    async def post(self, data: bytes) -> Any:
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        self.transport.write(data)
        return decode(await future)


def serve_floor(port_file: str) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_FloorServer, "127.0.0.1", 0)
        Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
        await asyncio.Event().wait()

    import uvloop

    uvloop.run(main())


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def scenario(
    url: str, conns: int, depth: int, seconds: float, server_pid: int, floor: bool = False
) -> dict[str, float]:
    in_flight = conns * depth
    latencies: list[int] = []
    loop = asyncio.get_running_loop()
    body = encode(LEASE_UPDATE)
    floor_conns: list[_FloorClient] = []
    client = HttpCommandClient(pool_size=conns, pipeline_depth=depth)
    if floor:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        raw = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        raw += b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        for _ in range(conns):
            floor_conns.append((await loop.create_connection(_FloorClient, "127.0.0.1", port))[1])

    async def send(i: int) -> Any:
        if floor:
            return await floor_conns[i % conns].post(raw)
        return await client.post_command(url, body, 5)

    # Warm-up: open the connections.
    await asyncio.gather(*(send(i) for i in range(in_flight)))
    warm_end = loop.time() + 0.3
    while loop.time() < warm_end:
        await send(0)
    stop_at = loop.time() + seconds
    count = 0
    perf = time.perf_counter_ns

    async def worker(i: int) -> None:
        nonlocal count
        while loop.time() < stop_at and count < MAX_REQUESTS:
            t0 = perf()
            answer = await send(i)
            latencies.append(perf() - t0)
            count += 1
            assert answer[0]["result"] == 0

    srv0, cli0, wall0 = proc_cpu(server_pid), time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(in_flight)))
    wall = time.perf_counter() - wall0
    srv_cpu, cli_cpu = proc_cpu(server_pid) - srv0, time.process_time() - cli0
    for c in floor_conns:
        c.transport.close()
    await client.close()
    latencies.sort()
    return {
        "rps": count / wall,
        "p50": latencies[len(latencies) // 2] / 1000,
        "p99": latencies[int(len(latencies) * 0.99)] / 1000,
        "srv_cpu": srv_cpu / count * 1e6,
        "cli_cpu": cli_cpu / count * 1e6,
    }


async def run(seconds: float, reps: int, servers: dict[str, tuple[int, int]]) -> None:
    rows = [(stack, sc) for sc in SCENARIOS for stack in servers if stack != "floor" or sc in FLOOR_SCENARIOS]
    results: dict[tuple[str, tuple[int, int]], list[dict[str, float]]] = {row: [] for row in rows}
    for _ in range(reps):
        for stack, (conns, depth) in rows:  # interleaved repetitions
            pid, port = servers[stack]
            url = f"http://127.0.0.1:{port}/"
            results[(stack, (conns, depth))].append(
                await scenario(url, conns, depth, seconds, pid, floor=stack == "floor")
            )
    size = len(encode(LEASE_UPDATE))
    print(f"lease4-update, {size} bytes; median of {reps} interleaved runs of {seconds:g} s")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print()
    print(
        "| stack | conns x depth | req/s (range) | p50 us | p99 us | server CPU us/req | client CPU us/req |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for (stack, (conns, depth)), runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        lo, hi = min(r["rps"] for r in runs), max(r["rps"] for r in runs)
        rps = f"{med['rps']:,.0f} ({lo:,.0f}-{hi:,.0f})"
        print(
            f"| {stack} | {conns}x{depth} | {rps} | {med['p50']:.0f} | {med['p99']:.0f} "
            f"| {med['srv_cpu']:.1f} | {med['cli_cpu']:.1f} |"
        )


def start_child(mode: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    port_file = Path(f"/tmp/bench_control.{os.getpid()}.{mode}.port")
    child = subprocess.Popen([sys.executable, __file__, f"--{mode}", str(port_file)])
    deadline = time.monotonic() + 10
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline or child.poll() is not None:
            raise SystemExit("the server process did not start")
        time.sleep(0.02)
    return child, int(port_file.read_text()), port_file


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-floor", action="store_true", help="skip the minimal-stack baseline")
    parser.add_argument("--serve", metavar="PORT_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--serve-sync", metavar="PORT_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--floor", metavar="PORT_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve or args.serve_sync:
        serve(args.serve or args.serve_sync, sync=bool(args.serve_sync))
        return
    if args.floor:
        serve_floor(args.floor)
        return
    children = {"hakea": start_child("serve"), "hakea-sync": start_child("serve-sync")}
    if not args.no_floor:
        children["floor"] = start_child("floor")
    try:
        import uvloop

        servers = {name: (child.pid, port) for name, (child, port, _) in children.items()}
        uvloop.run(run(args.seconds, args.reps, servers))
    finally:
        for child, _, port_file in children.values():
            child.terminate()
            child.wait()
            port_file.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
