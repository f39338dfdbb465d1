"""The daemon's whole DHCPv4 packet path in one process: µs of CPU per DORA.

Run: .venv/bin/python bench/bench_path4.py [--n 20000] [--rounds 3] [--persist] [--profile]
($HAKEA_SRC: a directory to import hakea from instead of this checkout, for before/after figures.)

Drives Dhcp4Daemon.handle_datagram (parse, stats, QueryMeta, engine, reply building, encoding,
memfile append with --persist, the socket send) with the datagrams perfdhcp sends in the bench4.py
lab (relayed DISCOVER then REQUEST, one new client each; bytes captured from perfdhcp 2.2), using
the very Kea configuration bench4.py gives both servers. The socket is a stub that drops what it
is given. Figures are process CPU time (time.process_time), so they stay meaningful on a loaded
machine; the best of the rounds is reported. Use it for A/B of hot-path changes; the end-to-end
figures are bench4.py's. The stub, the timing and the command line are benchpath.py's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, os.environ.get("HAKEA_SRC", str(Path(__file__).resolve().parents[1])))
sys.path.insert(1, str(Path(__file__).resolve().parent))  # bench4, benchpath: after HAKEA_SRC

import bench4
from benchpath import PathBench, StubSock, main, write_config

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


def build(persist: bool, workdir: str) -> tuple[Dhcp4Daemon, tuple[object, ...], StubSock]:
    path = write_config(bench4.config("standalone", "server1", workdir), 4, persist, workdir)
    config = load_dhcp4_file(path)
    daemon = Dhcp4Daemon(path)
    store = MemfileLeaseStore4(config.lease_database.name or "", persist=persist, lfc_interval=0)
    daemon.config, daemon.store = config, store
    daemon.engine = Engine(config, store)
    iface = Interface("eth0", 2, SERVER, 24, b"\x02\x00\x00\x00\x00\x01")
    stub = StubSock()
    sock = Dhcp4Socket(iface, stub, 0, None)  # type: ignore[arg-type]
    daemon.engine.set_local_addresses([SERVER])
    return daemon, ((RELAY, 67), sock, SERVER), stub


PATH = PathBench(
    v=4, names=("DISCOVER", "REQUEST", "DORA"), build=build, queries=_packets,
    follow_up=lambda discover, offer: _request_for(discover, offer.yiaddr),
)

if __name__ == "__main__":
    main(PATH)
