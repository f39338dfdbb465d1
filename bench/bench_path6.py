"""The daemon's whole DHCPv6 packet path in one process: µs of CPU per Solicit/Request exchange.

Run: .venv/bin/python bench/bench_path6.py [--n 20000] [--rounds 3] [--persist] [--profile]
($HAKEA_SRC: a directory to import hakea from instead of this checkout, for before/after figures.)

Drives Dhcp6Daemon.handle_datagram (parse, stats, QueryMeta6, engine, reply building, encoding,
memfile append with --persist, the socket send) with the datagrams perfdhcp -6 -A 1 sends in the
bench6.py lab (a Relay-forw around a Solicit, then around the Request for the advertised address;
bytes captured from perfdhcp 2.2, one new client each), using the very Kea configuration bench6.py
gives both servers. The socket is a stub that drops what it is given. Figures are process CPU time
(time.process_time), so they stay meaningful on a loaded machine; the best of the rounds is
reported. Use it for A/B of hot-path changes; the end-to-end figures are bench6.py's.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.environ.get("HAKEA_SRC", str(Path(__file__).resolve().parents[1])))

from hakea.config.dhcp6 import load_dhcp6_file
from hakea.dhcp6.engine import Engine6
from hakea.dhcp6.wire import Packet6, RelayMessage6
from hakea.leases.memfile6 import MemfileLeaseStore6
from hakea.server.dhcp6_daemon import Dhcp6Daemon
from hakea.server.sockets6 import Dhcp6Socket, Interface6

SERVER = 0x20010DB8000100000000000000000001  # 2001:db8:1::1
RELAY = 0x20010DB8000100000000000000000010  # perfdhcp's address (the relay)
SERVER_DUID = bytes.fromhex("00030001020000000001")
# perfdhcp -6 -A 1: Relay-forw (link and peer address 2001:db8:1::1) around a Solicit with a
# DUID-LLT client id (the MAC at its end varies per client), IA_NA iaid 1, ORO 23 24, elapsed time.
_SOLICIT = bytes.fromhex(
    "0c0020010db800010000000000000000000120010db8000100000000000000000001"
    "00090034010000000001000e00010001329b7c62000c010203040003000c0000000100000e1000001518"
    "0006000400170018000800020000"
)
_DUID_MAC_AT = 34 + 4 + 4 + 4 + 8  # relay head, option 9 head, message head, option 1 head, LLT head


class _StubSock:
    def __init__(self) -> None:
        self.sent = 0

    def sendto(self, payload: bytes, addr: tuple[str, int, int, int]) -> int:
        self.sent += 1
        return len(payload)

    def fileno(self) -> int:
        return -1

    def close(self) -> None:
        pass


def _solicits(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        d = bytearray(_SOLICIT)
        d[_DUID_MAC_AT : _DUID_MAC_AT + 6] = b"\x00\x0c" + (0x01000000 + i).to_bytes(4, "big")
        d[34 + 4 + 1 : 34 + 4 + 4] = (i & 0xFFFFFF).to_bytes(3, "big")
        out.append(bytes(d))
    return out


def _request_for(solicit: bytes, advertise: Packet6 | RelayMessage6) -> bytes:
    """perfdhcp's Request: client id, server id, the Advertise's IA_NA, elapsed time; relayed."""
    relay = Packet6.parse(solicit)
    assert isinstance(relay, RelayMessage6) and isinstance(relay.inner, Packet6)
    assert isinstance(advertise, RelayMessage6) and isinstance(advertise.inner, Packet6)
    q, a = relay.inner, advertise.inner
    ia = a.get(3)
    assert q.client_id is not None and ia is not None
    opts = [(1, q.client_id), (2, SERVER_DUID), (3, ia), (8, b"\x00\x00")]
    relay.inner = Packet6(3, (q.transaction_id + 1) & 0xFFFFFF, opts)
    return relay.to_bytes()


def build(persist: bool, workdir: str) -> tuple[Dhcp6Daemon, Dhcp6Socket, _StubSock]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench6

    if os.path.isdir(bench6.WORK):  # made at the first import, for the lab; unused here
        os.rmdir(bench6.WORK)
    cfg = bench6.config("standalone", "server1")
    cfg["Dhcp6"]["lease-database"]["name"] = os.path.join(workdir, "leases6.csv")
    cfg["Dhcp6"]["lease-database"]["persist"] = persist
    del cfg["Dhcp6"]["control-socket"]
    path = os.path.join(workdir, "kea.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    config = load_dhcp6_file(path)
    daemon = Dhcp6Daemon(path)
    store = MemfileLeaseStore6(config.lease_database.name or "", persist=persist, lfc_interval=0)
    daemon.config, daemon.store, daemon.server_duid = config, store, SERVER_DUID
    daemon.engine = Engine6(config, store, SERVER_DUID)
    iface = Interface6("eth0", 2, b"\x02\x00\x00\x00\x00\x01", (), (SERVER,), True)
    stub = _StubSock()
    sock = Dhcp6Socket(iface, stub, SERVER)  # type: ignore[arg-type]
    return daemon, sock, stub


def run(n: int, persist: bool, profile: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-path6-") as workdir:
        daemon, sock, stub = build(persist, workdir)
        solicits = _solicits(n)
        source = (RELAY, 547)
        handle = daemon.handle_datagram
        advertised: list[Any] = []
        orig_send = daemon._send

        def capture(query, decision, s, now):  # type: ignore[no-untyped-def]
            advertised.append(decision.reply)
            orig_send(query, decision, s, now)

        daemon._send = capture  # type: ignore[method-assign]
        gc.collect()
        prof = cProfile.Profile() if profile else None
        if prof:
            prof.enable()
        t0 = time.process_time()
        for d in solicits:
            handle(d, source, sock, SERVER, 2)
        t_solicit = time.process_time() - t0
        if prof:
            prof.disable()
        assert len(advertised) == n, (len(advertised), n)
        requests = [_request_for(s, a) for s, a in zip(solicits, advertised, strict=True)]
        daemon._send = orig_send  # type: ignore[method-assign]
        stub.sent = 0
        if prof:
            prof.enable()
        t0 = time.process_time()
        for r in requests:
            handle(r, source, sock, SERVER, 2)
        t_request = time.process_time() - t0
        if prof:
            prof.disable()
            stats = pstats.Stats(prof).sort_stats(os.environ.get("SORT", "tottime"))
            stats.print_stats(int(os.environ.get("TOP", "25")))
        assert stub.sent == n, (stub.sent, n)
        assert daemon.store is not None and daemon.store.count() == n, daemon.store
        daemon.store.close()
        return t_solicit / n * 1e6, t_request / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--persist", action="store_true", help="memfile persist on (as in bench6.py)")
    ap.add_argument("--profile", action="store_true", help="cProfile one round")
    args = ap.parse_args()
    if args.profile:
        run(args.n, args.persist, True)
        return
    figures = [run(args.n, args.persist, False) for _ in range(args.rounds)]
    s = min(f[0] for f in figures)
    r = min(f[1] for f in figures)
    print(f"persist={args.persist} n={args.n}: SOLICIT {s:.1f} µs, REQUEST {r:.1f} µs, "
          f"SARR {s + r:.1f} µs CPU -> {1e6 / (s + r):,.0f} SARR/s per core (best of {args.rounds})")


if __name__ == "__main__":
    main()
