"""Lease commands over HTTP against real servers: hakea-dhcp4 and Kea 2.2, in the same run.

Run by hand (root not needed; Kea's binaries and hooks from the Debian packages):

    .venv/bin/python bench/bench_lease_cmds.py [--updates 4000] [--reps 3] [--no-kea]

Servers (each loads the same Kea memfile CSV of 25,000 leases in 10.1.0.0/16, persist on):
  hakea       hakea-dhcp4, its own HTTP listener on the HA peer URL (one-server hot-standby, the
              partner absent)
  kea-mt      kea-dhcp4 2.2, multi-threaded, HA's dedicated HTTP listener on the peer URL (2 listener
              threads, thread pool 2), same HA layout
  kea-ca      kea-dhcp4 2.2 single-threaded behind kea-ctrl-agent (Kea 2.2's classic layout: the agent
              owns the peer URL and forwards over the UNIX socket)

Client: this process, hakea's own HA client (hakea.control.http_client.HttpCommandClient, persistent
connections, uvloop) -- i.e. "two hakea processes" for the hakea rows. Scenarios, interleaved round
robin over --reps repetitions (the machine is shared: medians are reported):
  update x1   lease4-update as a Kea 2.2 partner sends it (expire, force-create, 11 keys), one at a time
  update x8   the same, 8 in flight on 8 connections (Kea's HA client never pipelines)
  page 10k    lease4-get-page {"from": "start"|last, "limit": 10000} until the end (3 pages: 10,000,
              10,000, ~5,000+), time per full page = request sent -> answer received and decoded
Server CPU per request comes from /proc/<pid>/stat (all threads).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hakea.control.envelope import encode
from hakea.control.http_client import HttpCommandClient

ROOT = Path(__file__).resolve().parents[1]
HAKEA_DHCP4 = str(ROOT / ".venv" / "bin" / "hakea-dhcp4")
HOOKS = "/usr/lib/x86_64-linux-gnu/kea/hooks"
PRELOADED = 25_000
PAGE = 10_000
FIRST = int(ipaddress.IPv4Address("10.1.0.10"))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_leases(path: Path) -> None:
    expire = int(time.time()) + 86_400
    rows = [
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context"
    ]
    for n in range(PRELOADED):
        address = ipaddress.IPv4Address(FIRST + n)
        mac = ":".join(f"{b:02x}" for b in b"\x0a" + n.to_bytes(5, "big"))
        rows.append(f"{address},{mac},01:{mac},86400,{expire},1,0,0,host{n}.example.org,0,")
    path.write_text("\n".join(rows) + "\n")


def dhcp4_config(workdir: Path, name: str, peer_url: str, *, mt: bool) -> dict[str, Any]:
    ha: dict[str, Any] = {
        "this-server-name": "server1",
        "mode": "hot-standby",
        "heartbeat-delay": 10_000,
        "max-response-delay": 60_000,
        "max-ack-delay": 10_000,
        "max-unacked-clients": 0,
        "peers": [
            {"name": "server1", "url": peer_url, "role": "primary"},
            {"name": "server2", "url": f"http://127.0.0.1:{free_port()}/", "role": "standby"},
        ],
    }
    config: dict[str, Any] = {
        "interfaces-config": {"interfaces": []},
        "control-socket": {"socket-type": "unix", "socket-name": str(workdir / f"{name}.sock")},
        "lease-database": {
            "type": "memfile",
            "persist": True,
            "lfc-interval": 0,
            "name": str(workdir / f"{name}-leases4.csv"),
        },
        "valid-lifetime": 4000,
        "subnet4": [{"id": 1, "subnet": "10.1.0.0/16", "pools": [{"pool": "10.1.0.10 - 10.1.255.250"}]}],
        "hooks-libraries": [
            {"library": f"{HOOKS}/libdhcp_lease_cmds.so"},
            {"library": f"{HOOKS}/libdhcp_ha.so", "parameters": {"high-availability": [ha]}},
        ],
        "loggers": [
            {
                "name": "kea-dhcp4",
                "severity": "WARN",
                "output_options": [{"output": str(workdir / f"{name}.log")}],
            }
        ],
    }
    if mt:
        config["multi-threading"] = {
            "enable-multi-threading": True,
            "thread-pool-size": 2,
            "packet-queue-size": 64,
        }
        ha["multi-threading"] = {
            "enable-multi-threading": True,
            "http-dedicated-listener": True,
            "http-listener-threads": 2,
            "http-client-threads": 2,
        }
    else:
        config["multi-threading"] = {"enable-multi-threading": False}
        ha["multi-threading"] = {"enable-multi-threading": False}
    return {"Dhcp4": config}


@dataclass
class Server:
    name: str
    url: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def cpu_pid(self) -> int:
        return self.procs[0].pid  # the DHCP daemon (the agent's CPU is added for kea-ca)

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.procs:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        return total

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()


def start(
    workdir: Path, name: str, argv: list[str], env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log = open(workdir / f"{name}.out", "ab")  # noqa: SIM115 - owned by the child
    p = subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, **(env or {})},
        cwd=workdir,
    )
    log.close()
    return p


async def wait_ready(client: HttpCommandClient, server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for p in server.procs:
            if p.poll() is not None:
                raise SystemExit(f"{server.name} exited ({p.returncode}); see its .out/.log file")
        try:
            answer = await client.post_command(
                server.url,
                {"command": "lease4-get", "service": ["dhcp4"], "arguments": {"ip-address": "10.1.0.10"}},
                2.0,
            )
            if answer[0]["result"] == 0:
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{server.name} not ready after {timeout} s")
        await asyncio.sleep(0.1)


def start_servers(workdir: Path, with_kea: bool) -> list[Server]:
    servers = []
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    write_leases(workdir / "hakea-leases4.csv")
    (workdir / "hakea.json").write_text(json.dumps(dhcp4_config(workdir, "hakea", url, mt=False)))
    servers.append(
        Server("hakea", url, [start(workdir, "hakea", [HAKEA_DHCP4, "-c", str(workdir / "hakea.json")])])
    )
    if with_kea:
        env = {"KEA_PIDFILE_DIR": str(workdir), "KEA_LOCKFILE_DIR": str(workdir)}
        url = f"http://127.0.0.1:{free_port()}/"
        write_leases(workdir / "kea-mt-leases4.csv")
        (workdir / "kea-mt.json").write_text(json.dumps(dhcp4_config(workdir, "kea-mt", url, mt=True)))
        servers.append(
            Server(
                "kea-mt",
                url,
                [start(workdir, "kea-mt", ["kea-dhcp4", "-c", str(workdir / "kea-mt.json")], env)],
            )
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        write_leases(workdir / "kea-ca-leases4.csv")
        (workdir / "kea-ca.json").write_text(json.dumps(dhcp4_config(workdir, "kea-ca", url, mt=False)))
        agent = {
            "Control-agent": {
                "http-host": "127.0.0.1",
                "http-port": port,
                "control-sockets": {
                    "dhcp4": {"socket-type": "unix", "socket-name": str(workdir / "kea-ca.sock")}
                },
                "loggers": [
                    {
                        "name": "kea-ctrl-agent",
                        "severity": "WARN",
                        "output_options": [{"output": str(workdir / "kea-ca-agent.log")}],
                    }
                ],
            }
        }
        (workdir / "kea-ca-agent.json").write_text(json.dumps(agent))
        daemon = start(workdir, "kea-ca", ["kea-dhcp4", "-c", str(workdir / "kea-ca.json")], env)
        time.sleep(0.5)  # the agent connects to the daemon's socket per command; order is not critical
        agent_proc = start(
            workdir, "kea-ca-agent", ["kea-ctrl-agent", "-c", str(workdir / "kea-ca-agent.json")], env
        )
        servers.append(Server("kea-ca", url, [daemon, agent_proc]))
    return servers


def update_bodies(count: int, offset: int) -> list[bytes]:
    """lease4-update exactly as a Kea 2.2 HA partner sends it; half renew preloaded leases, half
    create new ones (force-create)."""
    expire = int(time.time()) + 4000
    bodies = []
    for i in range(count):
        k = (offset + i) // 2  # even requests renew a preloaded lease, odd ones create or renew a new one
        n = k % PRELOADED if (offset + i) % 2 == 0 else PRELOADED + k % 15_000
        address = str(ipaddress.IPv4Address(FIRST + n))
        mac = ":".join(f"{b:02x}" for b in b"\x0a" + n.to_bytes(5, "big"))
        bodies.append(
            encode(
                {
                    "arguments": {
                        "client-id": f"01:{mac}",
                        "expire": expire,
                        "force-create": True,
                        "fqdn-fwd": False,
                        "fqdn-rev": False,
                        "hostname": f"host{n}.example.org",
                        "hw-address": mac,
                        "ip-address": address,
                        "state": 0,
                        "subnet-id": 1,
                        "valid-lft": 4000,
                    },
                    "command": "lease4-update",
                    "service": ["dhcp4"],
                }
            )
        )
    return bodies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_updates(server: Server, bodies: list[bytes], in_flight: int) -> dict[str, float]:
    async with HttpCommandClient(pool_size=in_flight) as client:
        for body in bodies[:50]:  # warm-up: connections open, caches hot
            await client.post_command(server.url, body, 10.0)
        work = bodies[50:]
        latencies: list[float] = []
        failures = 0
        cpu0, t0 = server.cpu_seconds(), time.perf_counter()

        async def worker(chunk: list[bytes]) -> None:
            nonlocal failures
            for body in chunk:
                start = time.perf_counter()
                answer = await client.post_command(server.url, body, 10.0)
                latencies.append(time.perf_counter() - start)
                if answer[0]["result"] != 0:
                    failures += 1

        await asyncio.gather(*(worker(work[i::in_flight]) for i in range(in_flight)))
        elapsed, cpu = time.perf_counter() - t0, server.cpu_seconds() - cpu0
    if failures:
        raise SystemExit(f"{server.name}: {failures} lease4-update failed")
    return {
        "p50_us": pct(latencies, 0.5) * 1e6,
        "p99_us": pct(latencies, 0.99) * 1e6,
        "rate": len(work) / elapsed,
        "cpu_us": cpu / len(work) * 1e6,
    }


async def run_pages(server: Server) -> dict[str, Any]:
    async with HttpCommandClient(pool_size=1) as client:
        start: str = "start"
        times, sizes = [], []
        cpu0 = server.cpu_seconds()
        while True:
            t0 = time.perf_counter()
            body = {
                "command": "lease4-get-page",
                "service": ["dhcp4"],
                "arguments": {"from": start, "limit": PAGE},
            }
            [answer] = await client.post_command(server.url, body, 60.0)
            times.append(time.perf_counter() - t0)
            leases = answer["arguments"]["leases"]
            sizes.append(len(leases))
            if len(leases) < PAGE:
                break
            start = leases[-1]["ip-address"]
        cpu = server.cpu_seconds() - cpu0
    return {
        "full_page_ms": statistics.median(times[: sizes.count(PAGE)]) * 1000,
        "sizes": sizes,
        "sweep_ms": sum(times) * 1000,
        "cpu_ms": cpu * 1000,
    }


async def main(args: argparse.Namespace) -> None:
    with_kea = (
        not args.no_kea
        and shutil.which("kea-dhcp4") is not None
        and shutil.which("kea-ctrl-agent") is not None
    )
    workdir = Path(tempfile.mkdtemp(prefix="bench-lease-cmds-"))
    servers = start_servers(workdir, with_kea)
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    try:
        async with HttpCommandClient(pool_size=1) as probe:
            for server in servers:
                await wait_ready(probe, server)
        offset = 0
        for rep in range(args.reps):
            for server in servers:
                for in_flight in (1, 8):
                    bodies = update_bodies(args.updates + 50, offset)
                    offset += len(bodies)
                    r = await run_updates(server, bodies, in_flight)
                    results.setdefault((server.name, f"update x{in_flight}"), []).append(r)
                    print(
                        f"rep {rep} {server.name:7} update x{in_flight}: p50 {r['p50_us']:7.0f} us  "
                        f"p99 {r['p99_us']:7.0f} us  {r['rate']:7.0f}/s  "
                        f"server CPU {r['cpu_us']:5.0f} us/req",
                        flush=True,
                    )
                r = await run_pages(server)
                results.setdefault((server.name, "page 10k"), []).append(r)
                print(
                    f"rep {rep} {server.name:7} page 10k : full page {r['full_page_ms']:6.0f} ms  "
                    f"sweep {r['sweep_ms']:6.0f} ms  pages {r['sizes']}  server CPU {r['cpu_ms']:5.0f} ms",
                    flush=True,
                )
    finally:
        for server in servers:
            server.stop()
    print(
        f"\nMedians of {args.reps} interleaved repetitions, {args.updates} updates per run; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; files in {workdir}\n"
    )
    print(
        "| server | lease4-update x1 p50 / p99 (µs) | x1 req/s | x8 p50 / p99 (µs) | x8 req/s "
        "| server CPU µs/update (x1, x8) | lease4-get-page 10,000 (ms) | 25k+ sweep (ms) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for server in servers:
        one, eight, page = (results[(server.name, k)] for k in ("update x1", "update x8", "page 10k"))

        def med(rows: list[dict[str, Any]], key: str) -> float:
            return float(statistics.median(r[key] for r in rows))

        print(
            f"| {server.name} | {med(one, 'p50_us'):.0f} / {med(one, 'p99_us'):.0f} "
            f"| {med(one, 'rate'):,.0f} "
            f"| {med(eight, 'p50_us'):.0f} / {med(eight, 'p99_us'):.0f} | {med(eight, 'rate'):,.0f} "
            f"| {med(one, 'cpu_us'):.0f}, {med(eight, 'cpu_us'):.0f} | {med(page, 'full_page_ms'):.0f} "
            f"| {med(page, 'sweep_ms'):.0f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=4000, help="lease4-update requests per run")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-kea", action="store_true", help="hakea only")
    arguments = parser.parse_args()
    try:
        import uvloop

        uvloop.run(main(arguments))
    except ImportError:  # pragma: no cover
        asyncio.run(main(arguments))
