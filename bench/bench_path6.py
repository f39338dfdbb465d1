"""The daemon's whole DHCPv6 packet path in one process: µs of CPU per Solicit/Request exchange.

Run: .venv/bin/python bench/bench_path6.py [--n 20000] [--rounds 3] [--persist] [--profile]
($HAKEA_SRC: a directory to import hakea from instead of this checkout, for before/after figures.)

Drives Dhcp6Daemon.handle_datagram (parse, stats, QueryMeta6, engine, reply building, encoding,
memfile append with --persist, the socket send) with the datagrams perfdhcp -6 -A 1 sends in the
bench6.py lab (a Relay-forw around a Solicit, then around the Request for the advertised address;
bytes captured from perfdhcp 2.2, one new client each), using the very Kea configuration bench6.py
gives both servers. The socket is a stub that drops what it is given. Figures are process CPU time
(time.process_time), so they stay meaningful on a loaded machine; the best of the rounds is
reported. Use it for A/B of hot-path changes; the end-to-end figures are bench6.py's. The stub, the
timing and the command line are benchpath.py's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, os.environ.get("HAKEA_SRC", str(Path(__file__).resolve().parents[1])))
sys.path.insert(1, str(Path(__file__).resolve().parent))  # bench6, benchpath: after HAKEA_SRC

import bench6
from benchpath import PathBench, StubSock, main, write_config

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


def build(persist: bool, workdir: str) -> tuple[Dhcp6Daemon, tuple[object, ...], StubSock]:
    path = write_config(bench6.config("standalone", "server1", workdir), 6, persist, workdir)
    config = load_dhcp6_file(path)
    daemon = Dhcp6Daemon(path)
    store = MemfileLeaseStore6(config.lease_database.name or "", persist=persist, lfc_interval=0)
    daemon.config, daemon.store, daemon.server_duid = config, store, SERVER_DUID
    daemon.engine = Engine6(config, store, SERVER_DUID)
    iface = Interface6("eth0", 2, b"\x02\x00\x00\x00\x00\x01", (), (SERVER,), True)
    stub = StubSock()
    sock = Dhcp6Socket(iface, stub, SERVER)  # type: ignore[arg-type]
    return daemon, ((RELAY, 547), sock, SERVER, 2), stub


PATH = PathBench(
    v=6, names=("SOLICIT", "REQUEST", "SARR"), build=build, queries=_solicits, follow_up=_request_for,
)

if __name__ == "__main__":
    main(PATH)
