"""Benchmark of the DHCPv4 codec on the per-DORA hot path: parse a DISCOVER, build an OFFER.

    PYTHONPATH=. .venv/bin/python bench/bench_codec.py [iterations]

Prints microseconds per operation: `iterations` (default 200,000, at most 2,000,000) run in 100
rounds timed with time.perf_counter, the best round kept, so a busy machine (other processes
taking the CPU) disturbs the figure less.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from hakea.dhcp4.wire import DHCPOFFER, Packet4, encode_options

# A DHCPDISCOVER sent by ISC dhclient 4.4 (the bytes of tests/unit/dhcp4/test_wire.py).
DISCOVER = (
    bytes.fromhex("01010600f459f328000000000000000000000000000000000000000052540012345600000000000000000000")
    + bytes(192)
    + bytes.fromhex("638253633501010c02766d370d011c02030f06770c2c2f1a792aff")
    + bytes(37)
)

SERVER_ID = bytes((192, 0, 2, 1))
SUBNET_OPTIONS = {  # what a typical subnet answers: mask, routers, DNS, domain name
    1: b"\xff\xff\xff\x00",
    3: SERVER_ID,
    6: SERVER_ID + bytes((192, 0, 2, 2)),
    15: b"example.org",
}
SUBNET_TAIL = encode_options(SUBNET_OPTIONS)


def build_offer(query: Packet4) -> bytes:
    reply = Packet4.reply_to(query, DHCPOFFER)
    reply.yiaddr = 0xC000020A
    opts = reply.options
    opts[54] = SERVER_ID
    opts[51] = b"\x00\x00\x0e\x10"
    opts.update(SUBNET_OPTIONS)
    return reply.to_bytes()


def build_offer_with_tail(query: Packet4) -> bytes:
    reply = Packet4.reply_to(query, DHCPOFFER)
    reply.yiaddr = 0xC000020A
    opts = reply.options
    opts[54] = SERVER_ID
    opts[51] = b"\x00\x00\x0e\x10"
    return reply.to_bytes(SUBNET_TAIL)


ROUNDS = 100


def per_op_us(fn: Callable[[], object], iterations: int) -> float:
    per_round = max(iterations // ROUNDS, 1)
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(per_round):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / per_round * 1e6


def main() -> None:
    iterations = min(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000, 2_000_000)
    query = Packet4.parse(DISCOVER)
    assert Packet4.parse(build_offer(query)) == Packet4.parse(build_offer_with_tail(query))
    results = {
        "parse DISCOVER (dhclient, 3 options)": per_op_us(lambda: Packet4.parse(DISCOVER), iterations),
        "build OFFER (reply_to + 7 options + to_bytes)": per_op_us(lambda: build_offer(query), iterations),
        "build OFFER, subnet options pre-encoded (tail)": per_op_us(
            lambda: build_offer_with_tail(query), iterations
        ),
        "parse DISCOVER + build OFFER": per_op_us(lambda: build_offer(Packet4.parse(DISCOVER)), iterations),
    }
    per_round = max(iterations // ROUNDS, 1)
    print(f"hakea DHCPv4 codec, Python {sys.version.split()[0]}, best of {ROUNDS} rounds x {per_round}")
    for name, us in results.items():
        print(f"  {name:<48} {us:7.2f} us/op")


if __name__ == "__main__":
    main()
