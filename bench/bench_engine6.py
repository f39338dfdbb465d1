"""DHCPv6 engine hot-path benchmark: µs per Engine6.process() call, real MemoryLeaseStore6.

Run: .venv/bin/python bench/bench_engine6.py [--n 20000] [--rounds 3]
Figures are CPU time of the process (time.process_time), best of the rounds.

Scenarios (messages prebuilt; the clock is an argument):
- solicit: a new client (new DUID) each time, relayed (one Relay-forw), IA_NA, ORO 23;
- request: the Request for the advertised address (stores a lease), relayed;
- renew: Renew of an existing lease;
- solicit+pd: Solicit with IA_NA and IA_PD;
- encode: Reply.to_bytes() of the relayed Reply (what the daemon adds per answer).
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import time
from collections.abc import Callable

from hakea.config.model import OptionData
from hakea.config.model6 import Dhcp6Config, PdPool6, Pool6, Subnet6
from hakea.dhcp6.decision6 import Decision6, QueryMeta6
from hakea.dhcp6.engine import Engine6
from hakea.dhcp6.ia import IaAddress, IaNa, IaPd
from hakea.dhcp6.wire import RELAY_FORW, RENEW, REQUEST, SOLICIT, Packet6, RelayMessage6
from hakea.leases.memory6 import MemoryLeaseStore6

NOW = 1_700_000_000.0
SERVER_DUID = bytes.fromhex("00030001020000000001")


def ip6(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


def config() -> Dhcp6Config:
    subnet = Subnet6(
        1, ip6("2001:db8:1::"), 64,
        pools=(Pool6(ip6("2001:db8:1::"), ip6("2001:db8:1::ffff:ffff")),),
        pd_pools=(PdPool6(ip6("2001:db8:8::"), 32, 56),),
        option_data=(OptionData(23, ip6("2001:db8::53").to_bytes(16, "big"), space="dhcp6"),),
    )  # fmt: skip
    return Dhcp6Config(subnets=(subnet,))


def duid(n: int) -> bytes:
    return b"\x00\x03\x00\x01" + n.to_bytes(6, "big")


def relayed(msg: Packet6) -> RelayMessage6:
    return RelayMessage6(RELAY_FORW, 0, ip6("2001:db8:1::1"), ip6("fe80::1"), [(18, b"port-1")], msg)


def solicit(n: int, pd: bool = False) -> RelayMessage6:
    opts = [(1, duid(n)), (8, b"\x00\x00"), IaNa(1).to_option(), (6, b"\x00\x17")]
    if pd:
        opts.append(IaPd(1).to_option())
    return relayed(Packet6(SOLICIT, n & 0xFFFFFF, opts))


def with_address(kind: int, n: int, address: int) -> RelayMessage6:
    opts = [
        (1, duid(n)),
        (2, SERVER_DUID),
        (8, b"\x00\x00"),
        IaNa(1, 0, 0, [IaAddress(address, 0, 0)]).to_option(),
    ]
    return relayed(Packet6(kind, n & 0xFFFFFF, opts))


def timed(label: str, n: int, rounds: int, run: Callable[[], None]) -> None:
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    print(f"{label:14s} {best / n * 1e6:8.1f} µs/call  ({n / best:,.0f}/s)")


def address_of(d: Decision6) -> int:
    node = d.reply
    while isinstance(node, RelayMessage6):
        node = node.inner
    assert isinstance(node, Packet6)
    return node.ia_na[0].addresses[0].address


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    a = parser.parse_args()
    n, rounds = a.n, a.rounds
    meta = QueryMeta6("eth0", 2, ip6("2001:db8:ffff::1"), 547, ip6("2001:db8:ffff::fe"), False)
    solicits = [solicit(i) for i in range(n)]
    pd_solicits = [solicit(i, pd=True) for i in range(n)]

    def run_solicit() -> None:
        engine = Engine6(config(), MemoryLeaseStore6(), SERVER_DUID)
        for m in solicits:
            engine.process(m, NOW, meta)

    timed("solicit", n, rounds, run_solicit)

    def run_solicit_pd() -> None:
        engine = Engine6(config(), MemoryLeaseStore6(), SERVER_DUID)
        for m in pd_solicits:
            engine.process(m, NOW, meta)

    timed("solicit+pd", n, rounds, run_solicit_pd)

    engine = Engine6(config(), MemoryLeaseStore6(), SERVER_DUID)
    requests = [
        with_address(REQUEST, i, address_of(engine.process(m, NOW, meta))) for i, m in enumerate(solicits)
    ]

    def run_request() -> None:
        e = Engine6(config(), MemoryLeaseStore6(), SERVER_DUID)
        for m in requests:
            e.process(m, NOW, meta)

    timed("request", n, rounds, run_request)
    store = MemoryLeaseStore6()
    e = Engine6(config(), store, SERVER_DUID)
    replies = [e.process(m, NOW, meta) for m in requests]
    renews = [with_address(RENEW, i, address_of(d)) for i, d in enumerate(replies)]

    def run_renew() -> None:
        for m in renews:
            e.process(m, NOW + 60, meta)

    timed("renew", n, rounds, run_renew)

    def run_encode() -> None:
        for d in replies:
            assert d.reply is not None
            d.reply.to_bytes()

    timed("encode", n, rounds, run_encode)


if __name__ == "__main__":
    main()
