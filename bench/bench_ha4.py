#!/usr/bin/env python3
"""The hot-standby primary's packet path with a real partner: CPU per DORA on both sides.

Run (root): .venv/bin/python bench/bench_ha4.py [--n 20000] [--window 64] [--partner hakea|kea]
($HAKEA_SRC: a directory to import server1's hakea from instead of this checkout; the partner is
$HAKEA_DHCP4 as in bench4.py.)

Sets up bench4.py's namespace lab, starts the partner (server2, standby: hakea-dhcp4 or kea-dhcp4)
in its namespace with bench4.py's hot-standby configuration, and runs server1 -- a Dhcp4Daemon
with its HA4Adapter, in this process, in server1's namespace -- on the same configuration. Instead
of a DHCP socket, a stub: the relayed DISCOVER/REQUEST datagrams perfdhcp sends are fed to
handle_datagram directly, `window` clients at a time (the REQUESTs of a window are answered only
once the partner acknowledged their lease4-update, as in the daemon). So the figures are the HA
machinery's own cost, free of perfdhcp and of DHCP socket I/O:
  - DORA/s: wall-clock throughput of the pair (bounded by the lease-update round trips);
  - server1 CPU µs per DORA (this process, time.process_time);
  - partner CPU µs per DORA (from /proc).
Every wait is bounded; the partner is stopped by PID and the namespaces removed at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, os.environ.get("HAKEA_SRC", str(HERE.parent)))
sys.path.insert(0, str(HERE))


def proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def inner(n: int, window: int, work: str, partner_pid: int) -> dict[str, float]:
    import bench4
    import bench_path4

    from hakea.config.dhcp4 import load_dhcp4_file
    from hakea.dhcp4.engine import Engine
    from hakea.leases.memfile4 import MemfileLeaseStore4
    from hakea.server import lease_cmds4
    from hakea.server.dhcp4_daemon import Dhcp4Daemon
    from hakea.server.ha4 import HA4Adapter
    from hakea.server.interfaces import Interface
    from hakea.server.sockets4 import Dhcp4Socket

    cfg = bench4.config("hot-standby", "server1", work)
    del cfg["Dhcp4"]["control-socket"]
    path = os.path.join(work, "inner-server1.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    config = load_dhcp4_file(path)
    daemon = Dhcp4Daemon(path)
    store = MemfileLeaseStore4(config.lease_database.name or "", persist=True, lfc_interval=0)
    daemon.config, daemon.store = config, store
    daemon.engine = Engine(config, store)
    daemon.engine.set_local_addresses([bench_path4.SERVER])
    stub = bench_path4.StubSock()
    iface = Interface("eth0", 2, bench_path4.SERVER, 24, b"\x02\x00\x00\x00\x00\x01")
    sock = Dhcp4Socket(iface, stub, 0, None)  # type: ignore[arg-type]
    lease_cmds4.register(daemon, enabled=config.lease_cmds_loaded)
    daemon.ha = HA4Adapter(daemon, config)
    await daemon.ha.start()
    deadline = time.monotonic() + 60
    while daemon.ha.core.state.value != "hot-standby" or not daemon.network_state.enabled(time.time()):
        if time.monotonic() > deadline:
            raise SystemExit(f"server1 never reached hot-standby: {daemon.ha.core.state.value}")
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.2)  # the partner too
    discovers = bench_path4._packets(n)
    addr = (bench_path4.RELAY, 67)
    offered: list[int] = []
    orig_send = daemon._send

    def capture(query, decision, s, now):  # type: ignore[no-untyped-def]
        if decision.reply.message_type == 2:
            offered.append(decision.reply.yiaddr)
        orig_send(query, decision, s, now)

    daemon._send = capture  # type: ignore[method-assign]
    waiting: list[Any] = []  # [count, future]: resolved once the stub has sent `count` datagrams
    plain_sendto = stub.sendto

    def sendto(payload: bytes, where: tuple[str, int]) -> int:
        sent = plain_sendto(payload, where)
        if waiting and stub.sent >= waiting[0] and not waiting[1].done():
            waiting[1].set_result(None)
        return sent

    stub.sendto = sendto  # type: ignore[method-assign,assignment]
    handle = daemon.handle_datagram
    local = bench_path4.SERVER
    acc = [0.0, 0.0, 0]
    if os.environ.get("BENCH_WRITE_TIMING"):
        from hakea.control import http_client

        orig_write_send = http_client._ClientConnection.send

        def timed_send(self, data, future, deadline, timeout):  # type: ignore[no-untyped-def]
            w0, c0 = time.perf_counter(), time.thread_time()
            orig_write_send(self, data, future, deadline, timeout)
            acc[0] += time.perf_counter() - w0
            acc[1] += time.thread_time() - c0
            acc[2] += 1

        http_client._ClientConnection.send = timed_send  # type: ignore[method-assign]
    spy = None
    if os.environ.get("BENCH_SPY"):
        with open(os.environ["BENCH_SPY"] + ".err", "w") as err:
            argv = ["py-spy", "record", "-r", "300", "-f", "raw", "-o", os.environ["BENCH_SPY"],
                    "--pid", str(os.getpid()), *os.environ.get("BENCH_SPY_ARGS", "").split()]
            spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        await asyncio.sleep(1.0)
    prof = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        prof = cProfile.Profile(time.process_time)
        prof.enable()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    c0, p0, t0 = time.process_time(), proc_cpu(partner_pid), time.monotonic()
    limit = t0 + 120
    for start in range(0, n, window):
        chunk = discovers[start : start + window]
        base = len(offered)
        for d in chunk:
            handle(d, addr, sock, local)
        want = stub.sent + len(chunk)
        for d, a in zip(chunk, offered[base:], strict=True):
            handle(bench_path4._request_for(d, a), addr, sock, local)
        if stub.sent < want:  # the ACKs leave as the partner acknowledges the updates
            done = asyncio.get_running_loop().create_future()
            waiting[:] = [want, done]
            try:
                await asyncio.wait_for(done, max(0.1, limit - time.monotonic()))
            except TimeoutError:
                raise SystemExit(f"stalled: {stub.sent} of {want} answers after 120 s") from None
    wall = time.monotonic() - t0
    cpu1, cpu2 = time.process_time() - c0, proc_cpu(partner_pid) - p0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    if spy is not None:
        spy.send_signal(2)
        spy.wait(timeout=30)
    if acc[2]:
        calls = int(acc[2])
        print(f"conn.send: {calls} calls, wall {acc[0] / calls * 1e6:.1f} us, "
              f"cpu {acc[1] / calls * 1e6:.1f} us", file=sys.stderr)
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats(os.environ["BENCH_PROFILE"]).print_stats(40)
    await daemon.ha.stop()
    store.close()
    return {"dora_per_s": n / wall, "server1_us": cpu1 / n * 1e6,
            "server1_sys_us": (r1.ru_stime - r0.ru_stime) / n * 1e6, "partner_us": cpu2 / n * 1e6,
            "wall_s": wall}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--partner", default="hakea", choices=("hakea", "kea"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--inner", nargs=2, metavar=("WORK", "PID"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        try:
            import uvloop

            res = uvloop.run(inner(args.n, args.window, args.inner[0], int(args.inner[1])))
        except ImportError:
            res = asyncio.run(inner(args.n, args.window, args.inner[0], int(args.inner[1])))
        print(json.dumps(res))
        return
    import atexit
    import statistics

    import bench4
    import benchlab

    lab = benchlab.Lab(bench4.FAMILY)
    atexit.register(lab.cleanup)
    lab.up()
    results = []
    for _ in range(args.rounds):
        partner = lab.start(args.partner, "hot-standby", "server2")
        try:
            r = subprocess.run(
                lab.netns("s1", sys.executable, __file__, "--n", str(args.n),
                          "--window", str(args.window), "--inner", lab.work, str(partner.pid)),
                capture_output=True, text=True, timeout=300,
            )
        finally:
            lab.stop(partner)
        if os.environ.get("BENCH_PROFILE") or os.environ.get("BENCH_WRITE_TIMING"):
            print(r.stderr[-12000:])
        if r.returncode != 0:
            print(r.stdout, r.stderr[-3000:], lab.log_tail("server2"))
            raise SystemExit(1)
        results.append(json.loads(r.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    print(f"partner {args.partner}, window {args.window}, n {args.n}: {med['dora_per_s']:,.0f} DORA/s; "
          f"server1 {med['server1_us']:.0f} µs CPU per DORA, partner {med['partner_us']:.0f} µs "
          f"(medians of {args.rounds})")


if __name__ == "__main__":
    main()
