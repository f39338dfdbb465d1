"""The daemon's whole DHCPv4 packet path in one process: µs of CPU per DORA.

Run: .venv/bin/python bench/bench_path4.py [--n 20000] [--rounds 3] [--persist] [--profile]
($HAKEA_SRC: a directory to import hakea from instead of this checkout, for before/after figures.)

Drives Dhcp4Daemon.handle_datagram (parse, stats, QueryMeta, engine, reply building, encoding,
memfile append with --persist, the socket send) with the datagrams perfdhcp sends in the bench4.py
lab (relayed DISCOVER then REQUEST, one new client each; bytes captured from perfdhcp 2.2), using
the very Kea configuration bench4.py gives both servers. The socket is a stub that drops what it
is given. Figures are process CPU time (time.process_time), so they stay meaningful on a loaded
machine; the best of the rounds is reported. Use it for A/B of hot-path changes; the end-to-end
figures are bench4.py's.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.environ.get("HAKEA_SRC", str(Path(__file__).resolve().parents[1])))

from hakea.config.dhcp4 import load_dhcp4_file
from hakea.dhcp4.engine import Engine
from hakea.leases.memfile4 import MemfileLeaseStore4
from hakea.server.dhcp4_daemon import Dhcp4Daemon
from hakea.server.interfaces import Interface
from hakea.server.sockets4 import Dhcp4Socket

SERVER = 0xC6336401  # 198.51.100.1
RELAY = "198.51.100.10"
# perfdhcp -4 DISCOVER / REQUEST as received by the server (relayed: hops 1, giaddr .10); the
# client's MAC sits at chaddr (offset 28) and inside option 61, patched per client below.
_DISCOVER = (
    bytes.fromhex("010106010000000000000000000000000000000000000000c633640a000c01020304")
    + bytes(202)
    + bytes.fromhex("638253633501013707011c02030f060c3d0701000c01020304ff")
)
_CHADDR_AT = 28


class _StubSock:

    def __init__(self) -> None:
        self.sent = 0

    def sendto(self, payload: bytes, addr: tuple[str, int]) -> int:
        self.sent += 1
        return len(payload)

    def fileno(self) -> int:
        return -1

    def close(self) -> None:
        pass


def _packets(n: int) -> list[bytes]:
    """n DISCOVERs from n new clients: perfdhcp's, with the MAC in chaddr and option 61 replaced."""
    discovers = []
    for i in range(n):
        mac = b"\x00\x0c" + (0x01000000 + i).to_bytes(4, "big")
        d = bytearray(_DISCOVER)
        d[_CHADDR_AT : _CHADDR_AT + 6] = mac
        d = d.replace(b"\x3d\x07\x01\x00\x0c\x01\x02\x03\x04", b"\x3d\x07\x01" + mac)
        discovers.append(bytes(d))
    return discovers


def _request_for(discover: bytes, offered: int) -> bytes:
    # DISCOVER -> REQUEST: type 3, then 50 (offered address) and 54 (server id) before the PRL.
    at = discover.index(b"\x35\x01\x01", 240)
    return (discover[:at] + b"\x35\x01\x03" + b"\x32\x04" + offered.to_bytes(4, "big")
            + b"\x36\x04" + SERVER.to_bytes(4, "big") + discover[at + 3 :])  # fmt: skip


def build(persist: bool, workdir: str) -> tuple[Dhcp4Daemon, Dhcp4Socket, _StubSock]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench4

    if os.path.basename(bench4.WORK).startswith("bench4-"):  # its own, made at import: not needed
        with contextlib.suppress(OSError):
            os.rmdir(bench4.WORK)
    bench4.WORK = workdir
    cfg = bench4.config("standalone", "server1")
    cfg["Dhcp4"]["lease-database"]["name"] = os.path.join(workdir, "leases4.csv")
    cfg["Dhcp4"]["lease-database"]["persist"] = persist
    del cfg["Dhcp4"]["control-socket"]
    path = os.path.join(workdir, "kea.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    config = load_dhcp4_file(path)
    daemon = Dhcp4Daemon(path)
    store = MemfileLeaseStore4(config.lease_database.name or "", persist=persist, lfc_interval=0)
    daemon.config, daemon.store = config, store
    daemon.engine = Engine(config, store)
    iface = Interface("eth0", 2, SERVER, 24, b"\x02\x00\x00\x00\x00\x01")
    stub = _StubSock()
    sock = Dhcp4Socket(iface, stub, 0, None)  # type: ignore[arg-type]
    daemon.engine.set_local_addresses([SERVER])
    return daemon, sock, stub


def run(n: int, persist: bool, profile: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-path4-") as workdir:
        daemon, sock, stub = build(persist, workdir)
        discovers = _packets(n)
        addr = (RELAY, 67)
        handle = daemon.handle_datagram
        offered: list[int] = []
        orig_send = daemon._send

        def capture(query, decision, s, now):  # type: ignore[no-untyped-def]
            offered.append(decision.reply.yiaddr)
            orig_send(query, decision, s, now)

        daemon._send = capture  # type: ignore[method-assign]
        gc.collect()
        prof = cProfile.Profile() if profile else None
        if prof:
            prof.enable()
        t0 = time.process_time()
        for d in discovers:
            handle(d, addr, sock, SERVER)
        t_discover = time.process_time() - t0
        if prof:
            prof.disable()
        assert len(offered) == n, (len(offered), n)
        requests = [_request_for(d, a) for d, a in zip(discovers, offered, strict=True)]
        daemon._send = orig_send  # type: ignore[method-assign]
        stub.sent = 0
        if prof:
            prof.enable()
        t0 = time.process_time()
        for r in requests:
            handle(r, addr, sock, SERVER)
        t_request = time.process_time() - t0
        if prof:
            prof.disable()
            stats = pstats.Stats(prof).sort_stats(os.environ.get("SORT", "tottime"))
            stats.print_stats(int(os.environ.get("TOP", "25")))
        assert stub.sent == n, (stub.sent, n)
        assert daemon.store is not None and daemon.store.count() == n
        daemon.store.close()
        return t_discover / n * 1e6, t_request / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--persist", action="store_true", help="memfile persist on (as in bench4.py)")
    ap.add_argument("--profile", action="store_true", help="cProfile one round")
    args = ap.parse_args()
    if args.profile:
        run(args.n, args.persist, True)
        return
    figures = [run(args.n, args.persist, False) for _ in range(args.rounds)]
    d = min(f[0] for f in figures)
    r = min(f[1] for f in figures)
    print(f"persist={args.persist} n={args.n}: DISCOVER {d:.1f} µs, REQUEST {r:.1f} µs, "
          f"DORA {d + r:.1f} µs CPU -> {1e6 / (d + r):,.0f} DORA/s per core (best of {args.rounds})")


if __name__ == "__main__":
    main()
